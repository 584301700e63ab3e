//! Service events shown on the Logs screen (kept for `Limits::log_ttl`).

use crate::app::Ferry;
use crate::model::{ConnectionId, Level, LogEvent, TenantId, TransferId};

/// Appends an event; a failure to log is itself only logged, never fatal.
pub async fn log(
    ferry: &Ferry,
    tenant: &TenantId,
    service: &str,
    level: Level,
    message: impl Into<String>,
    connection: Option<&ConnectionId>,
    transfer: Option<&TransferId>,
) {
    let at = ferry.clock.now();
    let event = LogEvent {
        id: ulid::Ulid::new().to_string(),
        tenant: tenant.clone(),
        at,
        service: service.to_owned(),
        level,
        message: message.into(),
        connection: connection.cloned(),
        transfer: transfer.cloned(),
    };
    let expires = at + chrono::Duration::from_std(ferry.limits.log_ttl).unwrap_or_default();
    if let Err(e) = ferry.store.append_log(&event, expires).await {
        tracing::warn!(error = %e, "could not store a log event");
    }
}
