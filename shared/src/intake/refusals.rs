//! Refused webhooks are counted, not logged one by one: a flood of forged
//! or misdirected webhooks must not fill the store (nor the Logs screen).
//!
//! All the refusals of one connection for one reason in one minute are one
//! log event whose `count` goes up by one per refusal (an atomic add in the
//! store, [`crate::store::Store::count_log`]); the first of the minute
//! also writes one line to the process log. The merchant sees on the Logs
//! screen, per minute and reason, how many were refused.

use crate::app::Ferry;
use crate::model::text::kept;
use crate::model::{Connection, Level, LogEvent};
use chrono::{DateTime, DurationRound, Utc};
use sha2::{Digest, Sha256};

/// The service the counted events are logged under.
const SERVICE: &str = "webhook-intake";

/// Counts one webhook refused for `connection` because of `reason` (the
/// refusal's words; few and fixed, never the sender's text). A failure to
/// count is only logged: the refusal's answer does not depend on it.
pub(super) async fn count(ferry: &Ferry, connection: &Connection, reason: &str) {
    let now = ferry.clock.now();
    let event = refusals_of_the_minute(connection, reason, now);
    let expires = event.at + chrono::Duration::from_std(ferry.limits.log_ttl).unwrap_or_default();
    match ferry.store.count_log(&event, expires).await {
        Ok(1) => {
            tracing::warn!(%reason, "webhook refused (the next ones of this minute are only counted)")
        }
        Ok(count) => tracing::debug!(%reason, count, "webhook refused"),
        Err(e) => tracing::warn!(%reason, error = %e, "webhook refused; could not count it"),
    }
}

/// The event counting `connection`'s refusals for `reason` in the minute of
/// `now`: the same minute, connection and reason always give the same
/// event (its id is the minute's time and a digest of the two).
fn refusals_of_the_minute(connection: &Connection, reason: &str, now: DateTime<Utc>) -> LogEvent {
    let minute = now
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap_or(now);
    let digest = Sha256::new()
        .chain_update(connection.id.as_str())
        .chain_update([0])
        .chain_update(reason)
        .finalize();
    let mut random = [0u8; 16];
    random.copy_from_slice(&digest[..16]);
    let millis = u64::try_from(minute.timestamp_millis()).unwrap_or_default();
    LogEvent {
        id: ulid::Ulid::from_parts(millis, u128::from_be_bytes(random)).to_string(),
        tenant: connection.tenant.clone(),
        at: minute,
        service: SERVICE.to_owned(),
        level: Level::Warn,
        message: kept(&format!(
            "a webhook was refused: {reason} (every such refusal in this minute is in the count)"
        )),
        connection: Some(connection.id.clone()),
        transfer: None,
        count: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConnectionId, DocumentKind, Entity, RunOutcome, Scope, SystemId, TenantId};
    use chrono::TimeZone;

    fn connection() -> Connection {
        let now = Utc::now();
        Connection {
            id: ConnectionId::generate(),
            tenant: TenantId::generate(),
            name: "Shop > Books".into(),
            source: SystemId::generate(),
            target: SystemId::generate(),
            entity: Entity::Orders,
            allowed_states: Vec::new(),
            document: DocumentKind::DraftInvoice,
            documents: Default::default(),
            schedule: None,
            active: true,
            scope: Scope::default(),
            next_run_at: None,
            cursor: None,
            last_run: RunOutcome::default(),
            created_at: now,
            updated_at: now,
            currency: Default::default(),
            payments: None,
        }
    }

    #[test]
    fn one_event_per_connection_reason_and_minute() {
        let (a, b) = (connection(), connection());
        let at = |s| Utc.with_ymd_and_hms(2026, 12, 3, 14, 5, s).unwrap();
        let bad = "the X-Shopify-Hmac-Sha256 signature does not match the body";
        let first = refusals_of_the_minute(&a, bad, at(1));
        assert_eq!(first, refusals_of_the_minute(&a, bad, at(59)));
        assert_eq!(first.at, at(0));
        assert_ne!(first.id, refusals_of_the_minute(&b, bad, at(1)).id);
        assert_ne!(first.id, refusals_of_the_minute(&a, "no header", at(1)).id);
        let next = refusals_of_the_minute(&a, bad, at(0) + chrono::Duration::minutes(1));
        assert!(next.id > first.id, "ids sort by time");
    }
}
