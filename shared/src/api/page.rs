//! Cursor pagination for the lists the API builds in memory (systems,
//! connections, users, schedules: a tenant has tens of them, read whole
//! from one partition). Items are ordered by a stable key (their id); the
//! cursor is the key of the last item shown, so a page stays right when
//! items are added or removed between calls.

use super::error::ApiError;
use super::views::List;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// `cursor` and `limit` of a list without other filters.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 500 (50 by default).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// The page size asked for, checked.
pub fn limit(requested: Option<usize>) -> Result<usize, ApiError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid(
            "limit",
            format!("limit is 1 to {MAX_LIMIT}"),
        )),
    }
}

/// One page of `items`, which must be sorted by `key` (ascending).
pub fn paginate<T>(
    items: Vec<T>,
    cursor: Option<&str>,
    requested: Option<usize>,
    key: impl Fn(&T) -> String,
) -> Result<List<T>, ApiError> {
    let limit = limit(requested)?;
    let after = cursor.map(decode).transpose()?;
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|item| after.as_ref().is_none_or(|after| key(item) > *after))
        .collect();
    let next = (rest.len() > limit).then(|| encode(&key(&rest[limit - 1])));
    rest.truncate(limit);
    Ok(List { items: rest, next })
}

/// A store's page, with a cursor the store could not read answered as a
/// bad `cursor` (400) instead of a storage error.
pub fn from_store<T>(
    result: crate::store::StoreResult<crate::store::Page<T>>,
    cursor_given: bool,
) -> Result<crate::store::Page<T>, ApiError> {
    match result {
        Err(crate::store::StoreError::Corrupt(_)) if cursor_given => Err(ApiError::invalid(
            "cursor",
            "the cursor is not valid: use the `next` of the previous page, or leave it out",
        )),
        other => Ok(other?),
    }
}

fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

fn decode(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            ApiError::invalid(
                "cursor",
                "the cursor is not valid: use the `next` of the previous page, or leave it out",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("id{i:03}")).collect()
    }

    #[test]
    fn walks_every_item_once_in_pages() {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = paginate(ids(7), cursor.as_deref(), Some(3), Clone::clone).unwrap();
            assert!(page.items.len() <= 3);
            seen.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ids(7));
        // An exact multiple ends without an empty extra page.
        let page = paginate(ids(3), None, Some(3), Clone::clone).unwrap();
        assert_eq!((page.items.len(), page.next), (3, None));
    }

    #[test]
    fn refuses_bad_cursors_and_limits() {
        let err = paginate(ids(2), Some("!!"), None, Clone::clone).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("cursor"));
        for bad in [0, 501] {
            let err = paginate(ids(2), None, Some(bad), Clone::clone).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("limit"));
        }
    }
}
