//! The REST v3 order endpoints, with WooCommerce's authentication order
//! (Basic header, or the keys in the query), WordPress's error bodies and
//! parameter checks, and page-numbered lists with `X-WP-Total`,
//! `X-WP-TotalPages` and `Link` headers.

use super::super::webshop::{lock, parse_time};
use super::Shop;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

type SharedShop = Arc<Mutex<Shop>>;
/// A refused call; boxed, as a `Response` is large to pass around in `Err`.
type Refusal = Box<Response>;
type Params = Query<Vec<(String, String)>>;

const DEFAULT_PER_PAGE: usize = 10;
const MAX_PER_PAGE: usize = 100;

pub(super) fn router(shop: SharedShop) -> Router {
    Router::new()
        .route("/wp-json/wc/v3/orders", get(list_orders))
        .route("/wp-json/wc/v3/orders/{id}", get(one_order))
        .fallback(|| async {
            wp_error(
                StatusCode::NOT_FOUND,
                "rest_no_route",
                "No route was found matching the URL and request method.",
            )
        })
        .with_state(shop)
}

/// `{"code", "message", "data": {"status"}}`, as WordPress answers errors.
pub(super) fn wp_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(
            json!({ "code": code, "message": message, "data": { "status": status.as_u16() } }),
        ),
    )
        .into_response()
}

/// `page` (from 1) and `per_page` (1 to 100, 10 by default) of a list
/// request, or WooCommerce's refusal naming the parameter.
pub(super) fn paging(params: &BTreeMap<String, String>) -> Result<(usize, usize), Refusal> {
    let number = |name: &str, default: usize, max: usize| match params.get(name) {
        None => Some(default),
        Some(text) => text.parse::<usize>().ok().filter(|n| (1..=max).contains(n)),
    };
    let page = number("page", 1, usize::MAX)
        .ok_or_else(|| invalid_param("page", "page must be greater than or equal to 1"))?;
    let per_page = number("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE).ok_or_else(|| {
        invalid_param(
            "per_page",
            "per_page must be between 1 (inclusive) and 100 (inclusive)",
        )
    })?;
    Ok((page, per_page))
}

/// Page `page` of `items` as JSON, with WordPress's `X-WP-Total` and
/// `X-WP-TotalPages` headers.
pub(super) fn one_page<T>(
    items: &[T],
    page: usize,
    per_page: usize,
    json: impl Fn(&T) -> Value,
) -> Response {
    let total = items.len();
    let pages = total.div_ceil(per_page);
    let shown: Vec<Value> = items
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(json)
        .collect();
    let mut response = axum::Json(shown).into_response();
    for (name, value) in [("x-wp-total", total), ("x-wp-totalpages", pages)] {
        if let Ok(value) = axum::http::HeaderValue::from_str(&value.to_string()) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

pub(super) fn invalid_param(param: &str, why: &str) -> Refusal {
    Box::new(
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "code": "rest_invalid_param",
                "message": format!("Invalid parameter(s): {param}"),
                "data": { "status": 400, "params": { param: why } }
            })),
        )
            .into_response(),
    )
}

/// What every call goes through: the consumer key and secret, then an
/// injected fault. `denied` is WooCommerce's words when no key came at all.
pub(super) fn gate(
    shop: &mut Shop,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
    denied: &str,
) -> Option<Response> {
    let (key, secret) = match basic_credentials(headers) {
        Some(pair) => pair,
        None => match (params.get("consumer_key"), params.get("consumer_secret")) {
            (Some(key), Some(secret)) => (key.clone(), secret.clone()),
            _ => {
                return Some(wp_error(
                    StatusCode::UNAUTHORIZED,
                    "woocommerce_rest_cannot_view",
                    denied,
                ))
            }
        },
    };
    let config = &shop.config;
    if key != config.consumer_key {
        return Some(wp_error(
            StatusCode::UNAUTHORIZED,
            "woocommerce_rest_authentication_error",
            "Consumer key is invalid.",
        ));
    }
    if secret != config.consumer_secret {
        return Some(wp_error(
            StatusCode::UNAUTHORIZED,
            "woocommerce_rest_authentication_error",
            "Consumer secret is invalid.",
        ));
    }
    let status = shop.faults.take()?;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Some(wp_error(
        status,
        "sandbox_fault",
        status.canonical_reason().unwrap_or("Error"),
    ))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(B64.decode(encoded.trim()).ok()?).ok()?;
    let (key, secret) = decoded.split_once(':')?;
    Some((key.to_owned(), secret.to_owned()))
}

async fn one_order(
    State(shop): State<SharedShop>,
    Path(id): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    let params: BTreeMap<String, String> = params.into_iter().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you cannot view this resource.",
    ) {
        return refused;
    }
    match id.parse::<u64>().ok().and_then(|id| shop.orders.get(&id)) {
        Some(order) => axum::Json(order.clone()).into_response(),
        None => wp_error(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_shop_order_invalid_id",
            "Invalid ID.",
        ),
    }
}

async fn list_orders(
    State(shop): State<SharedShop>,
    OriginalUri(uri): OriginalUri,
    Query(raw): Params,
    headers: HeaderMap,
) -> Response {
    let params: BTreeMap<String, String> = raw.iter().cloned().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you cannot list resources.",
    ) {
        return refused;
    }
    let listing = match Listing::from_params(&params, shop.config.utc_offset) {
        Ok(listing) => listing,
        Err(refused) => return *refused,
    };

    let mut matching: Vec<&Value> = shop
        .orders
        .values()
        .filter(|o| listing.matches(o))
        .collect();
    matching.sort_by_key(|o| listing.sort_key(o));
    if listing.descending {
        matching.reverse();
    }
    let total = matching.len();
    let pages = total.div_ceil(listing.per_page);
    if total > 0 && listing.page > pages {
        return wp_error(
            StatusCode::BAD_REQUEST,
            "rest_post_invalid_page_number",
            "The page number requested is larger than the number of pages available.",
        );
    }
    let start = (listing.page - 1) * listing.per_page;
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(listing.per_page)
        .map(|o| (*o).clone())
        .collect();

    // WordPress links to the same request with another page number.
    let link_to = |page: usize| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in raw.iter().filter(|(n, _)| n != "page") {
            query.append_pair(name, value);
        }
        query.append_pair("page", &page.to_string());
        format!("<{}{}?{}>", shop.base_url, uri.path(), query.finish())
    };
    let mut links = Vec::new();
    if listing.page > 1 {
        links.push(format!("{}; rel=\"prev\"", link_to(listing.page - 1)));
    }
    if listing.page < pages {
        links.push(format!("{}; rel=\"next\"", link_to(listing.page + 1)));
    }
    let mut response = axum::Json(page).into_response();
    let answer_headers = response.headers_mut();
    for (name, value) in [
        ("x-wp-total", Some(total.to_string())),
        ("x-wp-totalpages", Some(pages.to_string())),
        ("link", (!links.is_empty()).then(|| links.join(", "))),
    ] {
        if let Some(Ok(value)) = value.map(|v| axum::http::HeaderValue::from_str(&v)) {
            answer_headers.insert(name, value);
        }
    }
    response
}

/// A list request's filters, order and page, checked as WordPress checks them.
struct Listing {
    page: usize,
    per_page: usize,
    modified_after: Option<DateTime<Utc>>,
    modified_before: Option<DateTime<Utc>>,
    after: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    statuses: Option<Vec<String>>,
    include: Option<Vec<u64>>,
    orderby: String,
    descending: bool,
}

impl Listing {
    fn from_params(
        params: &BTreeMap<String, String>,
        offset: chrono::FixedOffset,
    ) -> Result<Self, Refusal> {
        let number =
            |name: &str, default: usize, range: std::ops::RangeInclusive<usize>, why: &str| {
                match params.get(name) {
                    None => Ok(default),
                    Some(text) => match text.parse::<usize>() {
                        Ok(n) if range.contains(&n) => Ok(n),
                        _ => Err(invalid_param(name, why)),
                    },
                }
            };
        let gmt = matches!(
            params.get("dates_are_gmt").map(String::as_str),
            Some("true" | "1")
        );
        let time = |name: &str| -> Result<Option<DateTime<Utc>>, Refusal> {
            let Some(text) = params.get(name) else {
                return Ok(None);
            };
            let has_offset = DateTime::parse_from_rfc3339(text.trim()).is_ok();
            let at = parse_time(text).ok_or_else(|| {
                invalid_param(
                    name,
                    &format!("Invalid date. {name} must be an ISO8601 date"),
                )
            })?;
            // Without an offset the time is the site's, unless told it is GMT.
            Ok(Some(if has_offset || gmt {
                at
            } else {
                at - chrono::Duration::seconds(i64::from(offset.local_minus_utc()))
            }))
        };
        let orderby = params.get("orderby").map_or("date", String::as_str);
        if !matches!(
            orderby,
            "date" | "id" | "modified" | "include" | "title" | "slug"
        ) {
            return Err(invalid_param(
                "orderby",
                "orderby is not one of date, id, include, title, slug, modified.",
            ));
        }
        let descending = match params.get("order").map(String::as_str) {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(_) => return Err(invalid_param("order", "order is not one of asc and desc.")),
        };
        let list = |name: &str| {
            params.get(name).map(|text| {
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
        };
        let include = match list("include") {
            None => None,
            Some(ids) => Some(
                ids.iter()
                    .map(|id| id.parse::<u64>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| invalid_param("include", "include[0] is not of type integer."))?,
            ),
        };
        Ok(Self {
            page: number(
                "page",
                1,
                1..=usize::MAX,
                "page must be greater than or equal to 1",
            )?,
            per_page: number(
                "per_page",
                DEFAULT_PER_PAGE,
                1..=MAX_PER_PAGE,
                "per_page must be between 1 (inclusive) and 100 (inclusive)",
            )?,
            modified_after: time("modified_after")?,
            modified_before: time("modified_before")?,
            after: time("after")?,
            before: time("before")?,
            statuses: list("status").filter(|s| !s.iter().any(|s| s == "any")),
            include,
            orderby: orderby.to_owned(),
            descending,
        })
    }

    fn matches(&self, order: &Value) -> bool {
        let created = gmt_time(order, "date_created_gmt");
        let modified = gmt_time(order, "date_modified_gmt");
        let after = |at: Option<DateTime<Utc>>, min: Option<DateTime<Utc>>| {
            min.is_none_or(|m| at.is_some_and(|a| a > m))
        };
        let before = |at: Option<DateTime<Utc>>, max: Option<DateTime<Utc>>| {
            max.is_none_or(|m| at.is_some_and(|a| a < m))
        };
        let status = order["status"].as_str().unwrap_or_default();
        let id = order["id"].as_u64().unwrap_or_default();
        after(modified, self.modified_after)
            && before(modified, self.modified_before)
            && after(created, self.after)
            && before(created, self.before)
            && self
                .statuses
                .as_ref()
                .is_none_or(|wanted| wanted.iter().any(|w| w == status))
            && self.include.as_ref().is_none_or(|ids| ids.contains(&id))
    }

    fn sort_key(&self, order: &Value) -> (i64, u64) {
        let id = order["id"].as_u64().unwrap_or_default();
        let time = match self.orderby.as_str() {
            "id" | "include" => 0,
            "modified" => gmt_time(order, "date_modified_gmt").map_or(0, |t| t.timestamp_micros()),
            _ => gmt_time(order, "date_created_gmt").map_or(0, |t| t.timestamp_micros()),
        };
        (time, id)
    }
}

fn gmt_time(order: &Value, field: &str) -> Option<DateTime<Utc>> {
    order[field].as_str().and_then(parse_time)
}
