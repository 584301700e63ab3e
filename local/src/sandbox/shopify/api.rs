//! The Admin REST endpoints, checked as Shopify checks them: the access
//! token first, then the leaky bucket; lists page with opaque `page_info`
//! cursors that carry the first request's filters, so later requests may
//! only add `limit` and `fields`.

use super::super::webshop::{lock, parse_time};
use super::Shop;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

type SharedShop = Arc<Mutex<Shop>>;
/// A refused call; boxed, as a `Response` is large to pass around in `Err`.
type Refusal = Box<Response>;
type Params = Query<Vec<(String, String)>>;

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 250;

pub(super) fn router(shop: SharedShop) -> Router {
    Router::new()
        .route("/admin/api/{version}/shop.json", get(shop_json))
        .route("/admin/api/{version}/orders.json", get(list_orders))
        .route("/admin/api/{version}/orders/{file}", get(one_order))
        .with_state(shop)
}

pub(super) fn answer(status: StatusCode, headers: &[(&str, String)], body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            axum::http::HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

pub(super) fn not_found() -> Response {
    answer(StatusCode::NOT_FOUND, &[], json!({ "errors": "Not Found" }))
}

fn bad_request(field: &str, message: &str) -> Refusal {
    Box::new(answer(
        StatusCode::BAD_REQUEST,
        &[],
        json!({ "errors": { field: message } }),
    ))
}

/// What every call goes through: the version, the token, an injected
/// fault, then the bucket. `Ok` carries the call-limit header value.
pub(super) fn gate(shop: &mut Shop, version: &str, headers: &HeaderMap) -> Result<String, Refusal> {
    if !is_version(version) {
        return Err(not_found().into());
    }
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok());
    if token != Some(shop.config.access_token.as_str()) {
        return Err(Box::new(answer(
            StatusCode::UNAUTHORIZED,
            &[],
            json!({ "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)" }),
        )));
    }
    if let Some(status) = shop.faults.take() {
        return Err(fault(status).into());
    }
    let size = f64::from(shop.config.bucket_size.max(1));
    let leak = f64::from(shop.config.leak_per_second.max(1));
    let now = Instant::now();
    let drained = now.duration_since(shop.bucket.drained_at).as_secs_f64() * leak;
    shop.bucket.level = (shop.bucket.level - drained).max(0.0);
    shop.bucket.drained_at = now;
    if shop.bucket.level + 1.0 > size {
        let wait = (shop.bucket.level + 1.0 - size) / leak;
        return Err(Box::new(answer(
            StatusCode::TOO_MANY_REQUESTS,
            &[
                ("Retry-After", format!("{wait:.1}")),
                ("X-Shopify-Shop-Api-Call-Limit", format!("{size}/{size}")),
            ],
            json!({ "errors": format!(
                "Exceeded {leak} calls per second for api client. Reduce request rates to resume uninterrupted service."
            ) }),
        )));
    }
    shop.bucket.level += 1.0;
    Ok(format!("{}/{size}", shop.bucket.level.ceil()))
}

fn fault(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == StatusCode::TOO_MANY_REQUESTS {
        return answer(
            status,
            &[("Retry-After", "2.0".into())],
            json!({ "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service." }),
        );
    }
    let words = status.canonical_reason().unwrap_or("Error");
    answer(status, &[], json!({ "errors": words }))
}

fn is_version(version: &str) -> bool {
    version == "unstable"
        || (version.len() == 7
            && version
                .char_indices()
                .all(|(i, c)| if i == 4 { c == '-' } else { c.is_ascii_digit() }))
}

async fn shop_json(
    State(shop): State<SharedShop>,
    Path(version): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut shop = lock(&shop);
    let limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let config = &shop.config;
    let name = config.shop_domain.split('.').next().unwrap_or("sandbox");
    answer(
        StatusCode::OK,
        &[("X-Shopify-Shop-Api-Call-Limit", limit)],
        json!({ "shop": {
            "id": 548_380_009u64,
            "name": name,
            "email": format!("owner@{}", config.shop_domain),
            "domain": config.shop_domain,
            "myshopify_domain": config.shop_domain,
            "currency": config.market.currency(),
            "country_code": config.market.country_code(),
            "taxes_included": config.taxes_included,
            "plan_name": "basic",
            "iana_timezone": "Europe/Copenhagen",
        }}),
    )
}

async fn one_order(
    State(shop): State<SharedShop>,
    Path((version, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut shop = lock(&shop);
    let limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let order = file
        .strip_suffix(".json")
        .and_then(|id| id.parse::<u64>().ok())
        .and_then(|id| shop.orders.get(&id));
    match order {
        Some(order) => answer(
            StatusCode::OK,
            &[("X-Shopify-Shop-Api-Call-Limit", limit)],
            json!({ "order": order }),
        ),
        None => not_found(),
    }
}

/// The filters and order of a listing, carried inside its `page_info`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Filters {
    status: String,
    updated_at_min: Option<DateTime<Utc>>,
    updated_at_max: Option<DateTime<Utc>>,
    created_at_min: Option<DateTime<Utc>>,
    created_at_max: Option<DateTime<Utc>>,
    financial_status: Option<String>,
    since_id: Option<u64>,
    ids: Option<Vec<u64>>,
    fields: Option<Vec<String>>,
    sort_by: String,
    descending: bool,
}

/// A page position: strictly after or before an order's sort key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    filters: Filters,
    after: Option<Key>,
    before: Option<Key>,
}

/// (time in microseconds, or 0 when sorting by id; id)
type Key = (i64, u64);

async fn list_orders(
    State(shop): State<SharedShop>,
    Path(version): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    let mut shop = lock(&shop);
    let call_limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let params: BTreeMap<String, String> = params.into_iter().collect();
    let (cursor, limit) = match request_cursor(&params) {
        Ok(found) => found,
        Err(refused) => return *refused,
    };
    let mut filters = cursor.filters.clone();
    if let Some(fields) = params.get("fields") {
        filters.fields = Some(split_list(fields));
    }

    let mut matching: Vec<(Key, &Value)> = shop
        .orders
        .values()
        .filter(|order| matches(order, &filters))
        .map(|order| (sort_key(order, &filters.sort_by), order))
        .collect();
    matching.sort_by_key(|(key, _)| *key);
    if filters.descending {
        matching.reverse();
    }
    let keys: Vec<Key> = matching.iter().map(|(key, _)| *key).collect();
    let (start, end) = page_bounds(&keys, &cursor, limit);
    let page = &matching[start..end];

    let link_to = |after: Option<Key>, before: Option<Key>| {
        let token = encode_cursor(&Cursor {
            filters: cursor.filters.clone(),
            after,
            before,
        });
        format!(
            "<{}/admin/api/{version}/orders.json?limit={limit}&page_info={token}>",
            shop.base_url
        )
    };
    let mut links = Vec::new();
    if let (true, Some((first, _))) = (start > 0, page.first()) {
        links.push(format!("{}; rel=\"previous\"", link_to(None, Some(*first))));
    }
    if let (true, Some((last, _))) = (end < matching.len(), page.last()) {
        links.push(format!("{}; rel=\"next\"", link_to(Some(*last), None)));
    }
    let orders: Vec<Value> = page
        .iter()
        .map(|(_, order)| trimmed(order, filters.fields.as_deref()))
        .collect();
    let mut headers = vec![("X-Shopify-Shop-Api-Call-Limit", call_limit)];
    if !links.is_empty() {
        headers.push(("Link", links.join(", ")));
    }
    answer(StatusCode::OK, &headers, json!({ "orders": orders }))
}

/// The listing a request asks for, and its page size: a first request
/// carries filters, a later one only its `page_info` (plus `limit`, `fields`).
fn request_cursor(params: &BTreeMap<String, String>) -> Result<(Cursor, usize), Refusal> {
    if params.contains_key("page") {
        return Err(bad_request("page", "page cannot be passed."));
    }
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(limit)) if (1..=MAX_LIMIT).contains(&limit) => limit,
        Some(_) => return Err(bad_request("limit", "must be a number from 1 to 250")),
    };
    let Some(token) = params.get("page_info") else {
        let filters = first_filters(params)?;
        return Ok((
            Cursor {
                filters,
                after: None,
                before: None,
            },
            limit,
        ));
    };
    let allowed = |k: &String| matches!(k.as_str(), "page_info" | "limit" | "fields");
    if let Some(extra) = params.keys().find(|k| !allowed(k)) {
        return Err(bad_request(
            extra,
            "cannot be passed with page_info: put filters in the first request only",
        ));
    }
    let cursor = decode_cursor(token).ok_or_else(|| bad_request("page_info", "Invalid value."))?;
    Ok((cursor, limit))
}

/// Where the page starts and ends among the listing's sorted `keys`.
fn page_bounds(keys: &[Key], cursor: &Cursor, limit: usize) -> (usize, usize) {
    // `comes_after(a, b)`: a is later than b in the listing's order.
    let descending = cursor.filters.descending;
    let comes_after = |a: &Key, b: &Key| if descending { a < b } else { a > b };
    match (&cursor.after, &cursor.before) {
        (Some(after), _) => {
            let start = keys
                .iter()
                .position(|k| comes_after(k, after))
                .unwrap_or(keys.len());
            (start, (start + limit).min(keys.len()))
        }
        (None, Some(before)) => {
            let end = keys
                .iter()
                .position(|k| !comes_after(before, k))
                .unwrap_or(keys.len());
            (end.saturating_sub(limit), end)
        }
        (None, None) => (0, limit.min(keys.len())),
    }
}

fn first_filters(params: &BTreeMap<String, String>) -> Result<Filters, Refusal> {
    let time = |field: &str| -> Result<Option<DateTime<Utc>>, Refusal> {
        match params.get(field) {
            None => Ok(None),
            Some(text) => parse_time(text).map(Some).ok_or_else(|| {
                bad_request(
                    field,
                    "must be a date-time such as 2024-04-01T10:00:00+02:00",
                )
            }),
        }
    };
    let status = params.get("status").map_or("open", String::as_str);
    if !matches!(status, "open" | "closed" | "cancelled" | "any") {
        return Err(bad_request(
            "status",
            "must be open, closed, cancelled or any",
        ));
    }
    let (sort_by, descending) = match params
        .get("order")
        .map(|o| o.split_whitespace().collect::<Vec<_>>())
    {
        None => ("created_at".to_owned(), true),
        Some(words) => match words.as_slice() {
            [field, direction @ ("asc" | "desc" | "ASC" | "DESC")]
                if matches!(*field, "id" | "created_at" | "updated_at" | "processed_at") =>
            {
                ((*field).to_owned(), direction.eq_ignore_ascii_case("desc"))
            }
            _ => {
                return Err(bad_request(
                    "order",
                    "must be a field and a direction, e.g. updated_at asc",
                ))
            }
        },
    };
    let number = |field: &str| -> Result<Option<u64>, Refusal> {
        match params.get(field) {
            None => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| bad_request(field, "must be a number")),
        }
    };
    let ids = match params.get("ids") {
        None => None,
        Some(list) => Some(
            split_list(list)
                .iter()
                .map(|id| id.parse::<u64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| bad_request("ids", "must be a comma-separated list of ids"))?,
        ),
    };
    Ok(Filters {
        status: status.to_owned(),
        updated_at_min: time("updated_at_min")?,
        updated_at_max: time("updated_at_max")?,
        created_at_min: time("created_at_min")?,
        created_at_max: time("created_at_max")?,
        financial_status: params
            .get("financial_status")
            .filter(|s| s.as_str() != "any")
            .cloned(),
        since_id: number("since_id")?,
        ids,
        fields: params.get("fields").map(|f| split_list(f)),
        sort_by,
        descending,
    })
}

fn split_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn order_time(order: &Value, field: &str) -> Option<DateTime<Utc>> {
    order[field].as_str().and_then(parse_time)
}

fn order_id(order: &Value) -> u64 {
    order["id"].as_u64().unwrap_or_default()
}

fn matches(order: &Value, filters: &Filters) -> bool {
    let set = |field: &str| !order[field].is_null();
    let status_ok = match filters.status.as_str() {
        "open" => !set("closed_at") && !set("cancelled_at"),
        "closed" => set("closed_at"),
        "cancelled" => set("cancelled_at"),
        _ => true,
    };
    let within = |field: &str, min: &Option<DateTime<Utc>>, max: &Option<DateTime<Utc>>| {
        let at = order_time(order, field);
        min.is_none_or(|min| at.is_some_and(|at| at >= min))
            && max.is_none_or(|max| at.is_some_and(|at| at <= max))
    };
    let id = order_id(order);
    status_ok
        && within(
            "updated_at",
            &filters.updated_at_min,
            &filters.updated_at_max,
        )
        && within(
            "created_at",
            &filters.created_at_min,
            &filters.created_at_max,
        )
        && filters
            .financial_status
            .as_deref()
            .is_none_or(|wanted| order["financial_status"].as_str() == Some(wanted))
        && filters.since_id.is_none_or(|since| id > since)
        && filters.ids.as_ref().is_none_or(|ids| ids.contains(&id))
}

fn sort_key(order: &Value, sort_by: &str) -> Key {
    let time = match sort_by {
        "id" => 0,
        field => order_time(order, field).map_or(0, |at| at.timestamp_micros()),
    };
    (time, order_id(order))
}

fn trimmed(order: &Value, fields: Option<&[String]>) -> Value {
    match (fields, order.as_object()) {
        (Some(fields), Some(object)) => Value::Object(
            object
                .iter()
                .filter(|(key, _)| fields.iter().any(|f| f == *key))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        _ => order.clone(),
    }
}

fn encode_cursor(cursor: &Cursor) -> String {
    B64URL.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode_cursor(token: &str) -> Option<Cursor> {
    let bytes = B64URL.decode(token.trim()).ok()?;
    serde_json::from_slice(&bytes).ok()
}
