//! Tables and key layout of the embedded store.
//!
//! Every table maps bytes to bytes. A key is a prefix of length-prefixed
//! parts (tenant, status, ...) followed by one raw, ordered tail (an id, or
//! a time key). Because every prefix part carries its length, the prefix of
//! one tenant (or one reference) can never match another's, whatever
//! characters a reference holds.

use crate::store::{StoreError, StoreResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use redb::TableDefinition;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub type Table = TableDefinition<'static, &'static [u8], &'static [u8]>;

/// tenant id -> Tenant
pub const TENANTS: Table = TableDefinition::new("tenants");
/// tenant id -> Settings
pub const SETTINGS: Table = TableDefinition::new("settings");
/// [tenant] user id -> User
pub const USERS: Table = TableDefinition::new("users");
/// [tenant] system id -> System
pub const SYSTEMS: Table = TableDefinition::new("systems");
/// [tenant] connection id -> Connection
pub const CONNECTIONS: Table = TableDefinition::new("connections");
/// connection id -> tenant id (webhooks find connections by id alone)
pub const CONNECTION_OWNERS: Table = TableDefinition::new("connection_owners");
/// `<next_run_at>#<connection id>` -> tenant id, only for connections with a next run
pub const DUE: Table = TableDefinition::new("connections_due");
/// [tenant] transfer id -> Transfer without payloads
pub const TRANSFERS: Table = TableDefinition::new("transfers");
/// [tenant, transfer id] `source`|`target` -> compressed payload bytes
pub const PAYLOADS: Table = TableDefinition::new("transfer_payloads");
/// [tenant] `<received_at>#<id>` -> transfer id
pub const BY_TIME: Table = TableDefinition::new("transfers_by_time");
/// [tenant, status] `<received_at>#<id>` -> transfer id
pub const BY_STATUS: Table = TableDefinition::new("transfers_by_status");
/// [tenant, connection] `<received_at>#<id>` -> transfer id
pub const BY_CONNECTION: Table = TableDefinition::new("transfers_by_connection");
/// [tenant, connection, status] `<received_at>#<id>` -> transfer id
pub const BY_CONNECTION_STATUS: Table = TableDefinition::new("transfers_by_connection_status");
/// [tenant, reference] `<received_at>#<id>` -> transfer id; one entry for the
/// webshop number and one for the target number
pub const BY_REFERENCE: Table = TableDefinition::new("transfers_by_reference");
/// [tenant] `<at>#<event id>` -> LogEvent
pub const LOGS: Table = TableDefinition::new("logs");
/// expiry (8 bytes) [tenant] `<at>#<event id>` -> nothing: what to purge next
pub const LOG_EXPIRY: Table = TableDefinition::new("logs_by_expiry");
/// [tenant, period] -> Usage
pub const USAGE: Table = TableDefinition::new("usage");

pub const ALL_TABLES: [Table; 17] = [
    TENANTS,
    SETTINGS,
    USERS,
    SYSTEMS,
    CONNECTIONS,
    CONNECTION_OWNERS,
    DUE,
    TRANSFERS,
    PAYLOADS,
    BY_TIME,
    BY_STATUS,
    BY_CONNECTION,
    BY_CONNECTION_STATUS,
    BY_REFERENCE,
    LOGS,
    LOG_EXPIRY,
    USAGE,
];

/// A key prefix of length-prefixed parts.
pub fn prefix(parts: &[&str]) -> Vec<u8> {
    let mut key = Vec::with_capacity(parts.iter().map(|p| p.len() + 4).sum());
    for part in parts {
        key.extend_from_slice(&(part.len() as u32).to_be_bytes());
        key.extend_from_slice(part.as_bytes());
    }
    key
}

/// A full key: the prefix parts, then the ordered tail.
pub fn key(parts: &[&str], tail: &str) -> Vec<u8> {
    let mut key = prefix(parts);
    key.extend_from_slice(tail.as_bytes());
    key
}

/// The end of a prefix's range: tails are text, so no tail byte is 0xFF.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    end.push(0xFF);
    end
}

/// An instant as fixed-width text that sorts in time order (years 0-9999).
pub fn time_key(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// `<time>#<id>`: ordered by time, then id.
pub fn time_id(at: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", time_key(at))
}

/// An expiry as 8 bytes that sort in time order (negative times included).
pub fn expiry_bytes(at: DateTime<Utc>) -> [u8; 8] {
    ((at.timestamp() as u64) ^ (1 << 63)).to_be_bytes()
}

/// A page cursor: the sort tail of the last item shown.
pub fn encode_cursor(tail: &str) -> String {
    URL_SAFE_NO_PAD.encode(tail.as_bytes())
}

pub fn decode_cursor(cursor: &str) -> StoreResult<String> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            StoreError::Corrupt(
                "the page cursor is not valid: start again from the first page".into(),
            )
        })
}

pub fn to_json<T: Serialize>(value: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

pub fn from_json<T: DeserializeOwned>(bytes: &[u8], what: &str) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn prefixes_of_different_parts_never_overlap() {
        // Without lengths, reference "a" would be a prefix of reference "a\0b".
        let short = prefix(&["t_1", "a"]);
        let long = key(&["t_1", "a\0b"], "x");
        assert!(!long.starts_with(&short));
    }

    #[test]
    fn time_keys_sort_like_times() {
        let early = Utc.with_ymd_and_hms(999, 1, 1, 0, 0, 0).unwrap();
        let late = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let later = late + chrono::Duration::nanoseconds(1);
        assert!(time_key(early) < time_key(late));
        assert!(time_key(late) < time_key(later));
        assert_eq!(time_key(late).len(), time_key(later).len());
        assert!(expiry_bytes(early) < expiry_bytes(late));
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let tail = time_id(Utc::now(), "tr_abc");
        assert_eq!(decode_cursor(&encode_cursor(&tail)).unwrap(), tail);
        assert!(decode_cursor("not base64 !").is_err());
    }
}
