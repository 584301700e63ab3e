//! The scheduler's pass (every minute on AWS, in process in ferry-local).
//!
//! Today it sweeps: a pending transfer that nobody has touched for a while
//! (its queue message was lost, or sent to the DLQ) is enqueued again, so no
//! transfer stays pending for ever. Polling sources on the connections'
//! schedules joins this pass with the polling issue.

use crate::app::Ferry;
use crate::model::TransferStatus;
use crate::queue::TransferMessage;
use crate::store::{StoreError, TransferQuery};
use serde::Serialize;
use std::time::Duration;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    /// Pending transfers enqueued again.
    pub requeued: usize,
}

/// A pending transfer untouched for this long is enqueued again.
const STALE_AFTER: Duration = Duration::from_secs(15 * 60);
/// At most this many per tenant and pass (the rest next minute).
const SWEEP_LIMIT: usize = 200;

pub async fn tick(ferry: &Ferry) -> Result<TickReport, StoreError> {
    let mut report = TickReport::default();
    let now = ferry.clock.now();
    let stale = chrono::Duration::from_std(STALE_AFTER.max(ferry.limits.lease)).unwrap_or_default();
    for tenant in ferry.store.list_tenants().await? {
        let query = TransferQuery {
            status: Some(TransferStatus::Pending),
            limit: SWEEP_LIMIT,
            ..TransferQuery::default()
        };
        let page = ferry.store.list_transfers(&tenant.id, &query).await?;
        for transfer in page.items {
            let leased = transfer.lease_until.is_some_and(|until| until > now);
            if leased || now - transfer.updated_at < stale {
                continue;
            }
            let message = TransferMessage {
                tenant: tenant.id.clone(),
                transfer: transfer.id.clone(),
            };
            if let Err(e) = ferry.queue.enqueue(&message, Duration::ZERO).await {
                return Err(StoreError::Unavailable(e.to_string()));
            }
            report.requeued += 1;
        }
    }
    if report.requeued > 0 {
        tracing::info!(requeued = report.requeued, "stale pending transfers enqueued again");
    }
    Ok(report)
}
