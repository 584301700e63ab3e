//! Service events shown on the Logs screen (kept for `Limits::log_ttl`).
//! A message often carries a remote's words (an error body), so at most
//! [`crate::model::text::KEPT_TEXT_BYTES`] of it are stored.

use crate::app::Ferry;
use crate::model::text::kept;
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
        message: kept(&message.into()),
        connection: connection.cloned(),
        transfer: transfer.cloned(),
        count: 1,
    };
    let expires = at + chrono::Duration::from_std(ferry.limits.log_ttl).unwrap_or_default();
    if let Err(e) = ferry.store.append_log(&event, expires).await {
        tracing::warn!(error = %e, "could not store a log event");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::text::KEPT_TEXT_BYTES;
    use crate::store::LogQuery;
    use crate::testing::world;

    #[tokio::test]
    async fn a_remote_page_in_a_message_is_stored_cut_to_1_kb() {
        let ferry = world().await.ferry;
        let tenant = TenantId::generate();
        let page = format!(
            "e-conomic refused the invoice: {}",
            "<p>ø</p>".repeat(50_000)
        );
        log(
            &ferry,
            &tenant,
            "transfer-worker",
            Level::Error,
            page.clone(),
            None,
            None,
        )
        .await;
        let stored = ferry
            .store
            .list_logs(&tenant, &LogQuery::default())
            .await
            .unwrap()
            .items;
        assert_eq!(stored.len(), 1);
        let message = &stored[0].message;
        assert!(message.len() <= KEPT_TEXT_BYTES, "{} bytes", message.len());
        assert!(message.starts_with("e-conomic refused the invoice: <p>ø</p>"));
        assert!(page.starts_with(message.trim_end_matches('…')));
    }
}
