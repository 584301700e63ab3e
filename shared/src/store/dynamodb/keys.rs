//! Key patterns and attribute names of the table (see the module docs).

use crate::model::{ConnectionId, TenantId, TransferId, TransferStatus};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
/// TTL attribute (epoch seconds) on log events.
pub const EXPIRES_AT: &str = "expires_at";

/// GSI `by_status`: `ST` = `T#<tenant>#<status>`, sort `RT`.
pub const BY_STATUS: &str = "by_status";
pub const ST: &str = "ST";
/// Sort key of the transfer indexes: `<received_at>#<transfer id>`.
pub const RT: &str = "RT";
/// GSI `by_source_ref`: `SREF` = `T#<tenant>#<webshop number>`, sort `RT`.
pub const BY_SOURCE_REF: &str = "by_source_ref";
pub const SREF: &str = "SREF";
/// GSI `by_target_ref`: `TREF` = `T#<tenant>#<target number>`, sort `RT`.
pub const BY_TARGET_REF: &str = "by_target_ref";
pub const TREF: &str = "TREF";
/// GSI `by_due`: `DUE` = `DUE#<shard>`, sort `DUE_AT` = `<next_run_at>#<connection id>`.
pub const BY_DUE: &str = "by_due";
pub const DUE: &str = "DUE";
pub const DUE_AT: &str = "DUE_AT";
/// Shards of the due index (see the module docs).
pub const DUE_SHARDS: u8 = 4;

/// Transfer attributes that point at the payload parts.
pub const SOURCE_PAYLOAD: &str = "src";
pub const TARGET_PAYLOAD: &str = "tgt";
/// A payload part's bytes.
pub const DATA: &str = "data";
/// A fresh id per put of a transfer item: when a put's answer is lost and
/// the SDK's retry finds its condition failed, this tells the item that
/// attempt wrote from another writer's.
pub const WRITE: &str = "w";
/// The connection owner's tenant.
pub const TENANT: &str = "tenant";

pub const TENANTS_PK: &str = "TENANTS";
pub const TRANSFER_SK: &str = "TR";
pub const OWNER_SK: &str = "OWNER";
pub const SETTINGS_SK: &str = "SET";
pub const USER_PREFIX: &str = "USR#";
pub const SYSTEM_PREFIX: &str = "SYS#";
pub const CONNECTION_PREFIX: &str = "CON#";

pub fn tenant_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}")
}

pub fn tenant_sk(tenant: &TenantId) -> String {
    format!("T#{tenant}")
}

pub fn usage_sk(period: &str) -> String {
    format!("USE#{period}")
}

/// A usage period that is a month (`2026-11`), not a day (`2026-11-23`).
pub fn is_month_period(period: &str) -> bool {
    period.len() == 7
}

pub fn transfer_pk(tenant: &TenantId, id: &TransferId) -> String {
    format!("T#{tenant}#TR#{id}")
}

/// One part of a stored payload: `P#<payload key>#<part number>`.
pub fn payload_part_sk(payload_key: &str, part: usize) -> String {
    format!("P#{payload_key}#{part:04}")
}

/// The payload key of a part's sort key; `None` for any other sort key.
pub fn payload_key_of_part(sk: &str) -> Option<&str> {
    let (key, _part) = sk.strip_prefix("P#")?.rsplit_once('#')?;
    Some(key)
}

pub fn owner_pk(connection: &ConnectionId) -> String {
    format!("CON#{connection}")
}

pub fn log_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}#LOG")
}

pub fn status_key(tenant: &TenantId, status: TransferStatus) -> String {
    format!("T#{tenant}#{}", status.as_str())
}

pub fn reference_key(tenant: &TenantId, reference: &str) -> String {
    format!("T#{tenant}#{reference}")
}

pub fn due_shard(connection: &ConnectionId) -> String {
    let digest = Sha256::digest(connection.as_str().as_bytes());
    format!("DUE#{}", digest[0] % DUE_SHARDS)
}

/// An instant as fixed-width text that sorts in time order (years 0-9999).
pub fn time_key(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// `<time>#<id>`: ordered by time, then id.
pub fn time_id(at: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", time_key(at))
}

/// The smallest text above every `time_id` of instants up to `at`
/// (ids never hold `$`, which sorts right after `#`).
pub fn after_time(at: DateTime<Utc>) -> String {
    format!("{}$", time_key(at))
}

pub fn encode_cursor(sort_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(sort_key.as_bytes())
}

pub fn decode_cursor(cursor: &str) -> Option<String> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

/// A short digest of a payload's bytes: tells whether it changed.
pub fn payload_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_keys_of_an_instant_sort_below_its_bound() {
        let at = Utc::now();
        let id = "con_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
        assert!(time_id(at, id) < after_time(at));
        assert!(time_id(at, "con_-") < after_time(at));
        assert!(after_time(at) < time_id(at + chrono::Duration::nanoseconds(1), "con_-"));
    }

    #[test]
    fn a_part_sort_key_names_its_payload_key() {
        assert_eq!(
            payload_key_of_part(&payload_part_sk("01abc", 7)),
            Some("01abc")
        );
        assert_eq!(payload_key_of_part(TRANSFER_SK), None);
        assert_eq!(payload_key_of_part("P#no-part-number"), None);
    }

    #[test]
    fn due_shards_spread_and_stay_put() {
        let id = ConnectionId::generate();
        assert_eq!(due_shard(&id), due_shard(&id));
        let shards: std::collections::HashSet<String> = (0..64)
            .map(|_| due_shard(&ConnectionId::generate()))
            .collect();
        assert_eq!(shards.len(), usize::from(DUE_SHARDS));
    }
}
