//! Listing changed orders: numbered pages with `X-WP-Total` and
//! `X-WP-TotalPages`.
//!
//! Pages are numbered, so an order leaving the list while Ferry pages
//! (trashed, deleted) moves every later order one place forward and one
//! could be passed over. The listing is ordered by creation, which a change
//! does not move, and the page token remembers how many orders the listing
//! had: when a later page finds fewer, the listing starts again from its
//! first page (recording an order again changes nothing).

use crate::connectors::{ConnectorError, OrderPage};
use chrono::{DateTime, Utc};

/// WooCommerce's largest page.
pub(super) const PAGE_SIZE: usize = 100;

/// Where a listing stands: the page to fetch and the listing's size when
/// its first page was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    pub page: usize,
    pub total: usize,
}

impl Position {
    pub const FIRST: Position = Position { page: 1, total: 0 };

    /// `3:250`: page 3 of a listing of 250 orders.
    pub fn parse(token: &str) -> Result<Self, ConnectorError> {
        token
            .split_once(':')
            .and_then(|(page, total)| {
                Some(Position {
                    page: page.parse().ok().filter(|p| *p >= 1)?,
                    total: total.parse().ok()?,
                })
            })
            .ok_or_else(|| {
                ConnectorError::permanent(
                    "the saved WooCommerce page position is not valid; Ferry starts that poll again from its date",
                )
            })
    }

    pub fn token(self) -> String {
        format!("{}:{}", self.page, self.total)
    }
}

/// The query of one page of orders modified after `since`.
pub(super) fn query(since: DateTime<Utc>, page: usize) -> Vec<(&'static str, String)> {
    vec![
        (
            "modified_after",
            since.format("%Y-%m-%dT%H:%M:%S").to_string(),
        ),
        ("dates_are_gmt", "true".into()),
        ("status", "any".into()),
        ("orderby", "date".into()),
        ("order", "asc".into()),
        ("per_page", PAGE_SIZE.to_string()),
        ("page", page.to_string()),
    ]
}

/// What a page's headers say about the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counts {
    pub total: usize,
    pub pages: usize,
}

pub(super) fn counts(headers: &reqwest::header::HeaderMap) -> Option<Counts> {
    let number =
        |name: &str| -> Option<usize> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    Some(Counts {
        total: number("x-wp-total")?,
        pages: number("x-wp-totalpages")?,
    })
}

/// The token of the page after `page`, if the listing has one.
pub(super) fn next(page: usize, counts: Counts) -> Option<String> {
    (page < counts.pages).then(|| {
        Position {
            page: page + 1,
            total: counts.total,
        }
        .token()
    })
}

/// The orders of a list answer (a JSON array), each written out alone.
pub(super) fn orders(body: &[u8]) -> Result<Vec<Vec<u8>>, ConnectorError> {
    let listing: Vec<serde_json::Value> = serde_json::from_slice(body).map_err(|_| {
        ConnectorError::permanent(
            "WooCommerce answered the order list with something that is not a list of orders",
        )
    })?;
    Ok(listing
        .iter()
        .map(|order| serde_json::to_vec(order).unwrap_or_default())
        .collect())
}

/// A page with its orders and the next token.
pub(super) fn page(body: &[u8], page: usize, counts: Counts) -> Result<OrderPage, ConnectorError> {
    Ok(OrderPage {
        orders: orders(body)?,
        next: next(page, counts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_positions() {
        assert_eq!(
            Position::parse("3:250").unwrap(),
            Position {
                page: 3,
                total: 250
            }
        );
        assert_eq!(Position { page: 2, total: 7 }.token(), "2:7");
        assert!(Position::parse("0:10").is_err());
        assert!(Position::parse("x").is_err());
    }

    #[test]
    fn pages_until_the_total_pages() {
        let counts = Counts {
            total: 250,
            pages: 3,
        };
        assert_eq!(next(1, counts).as_deref(), Some("2:250"));
        assert_eq!(next(3, counts), None);
    }

    #[test]
    fn reads_the_counts_from_the_headers() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-wp-total", "250".parse().unwrap());
        headers.insert("x-wp-totalpages", "3".parse().unwrap());
        assert_eq!(
            counts(&headers),
            Some(Counts {
                total: 250,
                pages: 3
            })
        );
        headers.remove("x-wp-totalpages");
        assert_eq!(counts(&headers), None);
    }

    #[test]
    fn asks_in_gmt_by_creation() {
        let since = DateTime::parse_from_rfc3339("2026-01-01T10:00:00+01:00")
            .unwrap()
            .with_timezone(&Utc);
        let query = query(since, 2);
        assert!(query.contains(&("modified_after", "2026-01-01T09:00:00".into())));
        assert!(query.contains(&("dates_are_gmt", "true".into())));
        assert!(query.contains(&("page", "2".into())));
        assert!(query.contains(&("per_page", "100".into())));
    }
}
