//! A pending transfer ended as failed or skipped, counted, and said so on
//! the Logs screen: one step for the delivery loop ([`super::deliver`]) and
//! the dead letters (`crate::dead_letters`).

use crate::app::Ferry;
use crate::events;
use crate::model::{Level, Transfer, TransferStatus, UsageDelta};
use crate::store::StoreError;

/// The Logs screen files these under the worker: it is where deliveries end.
pub const SERVICE: &str = "transfer-worker";

/// Ends `transfer` as `status` (failed; anything else: skipped) with
/// `reason`, logging "<subject> failed: <reason>". `false` when a race was
/// lost: the transfer is no longer pending, or was written meanwhile (look
/// again).
pub async fn settle(
    ferry: &Ferry,
    transfer: &Transfer,
    status: TransferStatus,
    reason: &str,
    subject: &str,
) -> Result<bool, StoreError> {
    let now = ferry.clock.now();
    let failed = status == TransferStatus::Failed;
    let next = match failed {
        true => transfer.failed(reason, now),
        false => transfer.skipped(reason, now),
    };
    // Refused only when no longer pending: a race lost.
    let Ok(done) = next else {
        return Ok(false);
    };
    let usage = UsageDelta {
        errors: u64::from(failed),
        ..UsageDelta::default()
    };
    match ferry
        .store
        .update_transfer(&done, transfer.version, usage)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(false),
        Err(e) => return Err(e),
    }
    let (level, verb) = match failed {
        true => (Level::Error, "failed"),
        false => (Level::Info, "skipped"),
    };
    tracing::info!(tenant = %transfer.tenant, transfer = %transfer.id,
        status = done.status.as_str(), reason, "transfer settled");
    events::log(
        ferry,
        &transfer.tenant,
        SERVICE,
        level,
        format!("{subject} {verb}: {reason}"),
        Some(&transfer.connection),
        Some(&transfer.id),
    )
    .await;
    Ok(true)
}
