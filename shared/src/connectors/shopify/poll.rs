//! Listing changed orders: the `Link` header's `page_info` cursors and the
//! `X-Shopify-Shop-Api-Call-Limit` bucket reading.

use crate::connectors::{ConnectorError, OrderPage};
use chrono::{DateTime, SecondsFormat, Utc};
use std::time::Duration;

/// Shopify's largest page.
pub(super) const PAGE_SIZE: usize = 250;

/// The first request of a listing: every filter goes here, as Shopify
/// refuses filters next to a `page_info`. Ordered by `updated_at` ascending,
/// so an order changed while Ferry pages moves behind the cursor and is
/// still listed.
pub(super) fn first_query(since: DateTime<Utc>) -> String {
    let since = since.to_rfc3339_opts(SecondsFormat::Secs, true);
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("status", "any")
        .append_pair("updated_at_min", &since)
        .append_pair("limit", &PAGE_SIZE.to_string())
        .append_pair("order", "updated_at asc")
        .finish()
}

/// A later request: the `page_info` exactly as Shopify gave it, and `limit`.
pub(super) fn next_query(page_info: &str) -> Result<String, ConnectorError> {
    // The token goes into the query as it came; anything that could end
    // the parameter would mean it was not Shopify's.
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'%');
    if page_info.is_empty() || !page_info.bytes().all(plain) {
        return Err(ConnectorError::permanent(
            "the saved Shopify page position is not valid; Ferry starts that poll again from its date",
        ));
    }
    Ok(format!("limit={PAGE_SIZE}&page_info={page_info}"))
}

/// The `page_info` of the `rel="next"` link in a `Link` header, if any:
/// `<https://shop/admin/api/v/orders.json?limit=250&page_info=abc>; rel="next", <…>; rel="previous"`.
pub fn next_page_info(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let is_next = params.split(';').any(|param| {
            let param = param.trim();
            param.strip_prefix("rel=").is_some_and(|rel| {
                rel.trim_matches('"')
                    .split_whitespace()
                    .any(|r| r == "next")
            })
        });
        if !is_next {
            return None;
        }
        let url = target.trim().strip_prefix('<')?.strip_suffix('>')?.trim();
        let (_, query) = url.split_once('?')?;
        query.split('&').find_map(|pair| {
            pair.strip_prefix("page_info=")
                .filter(|token| !token.is_empty())
                .map(str::to_owned)
        })
    })
}

/// `32/40`: calls in the bucket and its size.
pub fn call_limit(value: &str) -> Option<(f64, f64)> {
    let (used, size) = value.trim().split_once('/')?;
    let used: f64 = used.trim().parse().ok()?;
    let size: f64 = size.trim().parse().ok()?;
    (used.is_finite() && size.is_finite() && size > 0.0 && used >= 0.0).then_some((used, size))
}

/// How long to hold back after a call that left the bucket at `used` of
/// `size`: nothing below three quarters, else until it has leaked back to
/// three quarters. Every plan's bucket leaks a twentieth of its size a
/// second (40 at 2/s, 80 at 4/s, 400 at 20/s).
pub fn slow_down(used: f64, size: f64) -> Option<Duration> {
    let calm = size * 0.75;
    if used < calm {
        return None;
    }
    let leak_per_second = size / 20.0;
    Some(Duration::from_secs_f64(
        ((used - calm + 1.0) / leak_per_second).min(20.0),
    ))
}

/// The orders of a list answer `{"orders": [...]}`, each written out alone.
pub(super) fn page(body: &[u8], next: Option<String>) -> Result<OrderPage, ConnectorError> {
    #[derive(serde::Deserialize)]
    struct Listing {
        orders: Vec<serde_json::Value>,
    }
    let listing: Listing = serde_json::from_slice(body).map_err(|_| {
        ConnectorError::permanent(
            "Shopify answered the order list with something that is not a list of orders",
        )
    })?;
    let orders = listing
        .orders
        .iter()
        .map(|order| serde_json::to_vec(order).unwrap_or_default())
        .collect();
    Ok(OrderPage { orders, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_page_among_the_links() {
        let link = "<https://shop.myshopify.com/admin/api/2024-04/orders.json?limit=250&page_info=prevTok>; rel=\"previous\", \
                    <https://shop.myshopify.com/admin/api/2024-04/orders.json?page_info=eyJk-_x&limit=250>; rel=\"next\"";
        assert_eq!(next_page_info(link).as_deref(), Some("eyJk-_x"));
    }

    #[test]
    fn no_next_link_means_the_last_page() {
        let link = "<https://shop.myshopify.com/admin/api/2024-04/orders.json?limit=250&page_info=abc>; rel=\"previous\"";
        assert_eq!(next_page_info(link), None);
        assert_eq!(next_page_info(""), None);
        assert_eq!(next_page_info("garbage; rel=next"), None);
    }

    #[test]
    fn accepts_unquoted_rel_and_spaces() {
        let link = " < https://x/orders.json?page_info=abc >;rel=next";
        assert_eq!(next_page_info(link).as_deref(), Some("abc"));
        let link = "<https://x/orders.json?page_info=abc>;  rel=next";
        assert_eq!(next_page_info(link).as_deref(), Some("abc"));
    }

    #[test]
    fn later_requests_carry_only_the_token_and_limit() {
        assert_eq!(next_query("abc").unwrap(), "limit=250&page_info=abc");
        assert!(next_query("abc&status=any").is_err());
        assert!(next_query("").is_err());
    }

    #[test]
    fn first_request_carries_the_filters() {
        let since = DateTime::parse_from_rfc3339("2026-01-01T10:00:00+01:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            first_query(since),
            "status=any&updated_at_min=2026-01-01T09%3A00%3A00Z&limit=250&order=updated_at+asc"
        );
    }

    #[test]
    fn slows_down_near_the_top_of_the_bucket() {
        assert_eq!(call_limit("32/40"), Some((32.0, 40.0)));
        assert_eq!(call_limit("x/40"), None);
        assert_eq!(call_limit("1/0"), None);
        assert_eq!(slow_down(10.0, 40.0), None);
        // 32 of 40: back to 30 and one spare at 2 a second.
        assert_eq!(slow_down(32.0, 40.0), Some(Duration::from_millis(1500)));
        assert_eq!(
            slow_down(400.0, 400.0),
            Some(Duration::from_secs_f64(101.0 / 20.0))
        );
    }

    #[test]
    fn writes_out_each_order_alone() {
        let body = br##"{"orders":[{"id":820982911946154508,"name":"#1001"},{"id":2}]}"##;
        let page = page(body, Some("t".into())).unwrap();
        assert_eq!(page.orders.len(), 2);
        assert_eq!(
            page.orders[0],
            br##"{"id":820982911946154508,"name":"#1001"}"##.to_vec()
        );
        assert_eq!(page.next.as_deref(), Some("t"));
        assert!(super::page(b"{\"errors\":\"x\"}", None).is_err());
    }
}
