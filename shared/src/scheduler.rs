//! The scheduler's pass (every minute on AWS, in process in ferry-local).
//!
//! - It sweeps: a pending transfer that nobody has touched for a while (its
//!   queue message was lost, or sent to the DLQ) is enqueued again, so no
//!   transfer stays pending for ever.
//! - It re-checks credential health when a system's last check is older
//!   than [`health::RECHECK_AFTER`]; a target healthy again resumes its
//!   waiting transfers.
//! - It polls the connections that are due (read from the next-run index,
//!   never a scan), each through [`polling::poll`], several at a time.
//! - Each poll and each health check is one unit of work: a panic in one
//!   (a bug) fails that one alone (a poll in words, as its last run; see
//!   `crate::panic_guard`), and the pass goes on with the others; a health
//!   check is also bounded in time, and one that fails on the store is
//!   counted (`health_errors`) while the others go on.
//!
//! The sweep and the health re-check look at every tenant, so the
//! once-a-minute pass ([`scheduled_tick`]) runs them only every
//! [`HOUSEKEEPING_EVERY_MINUTES`] minutes (a pending transfer is stale only
//! after 15 minutes, credentials are re-checked hourly); the other minutes
//! cost only the due connections. [`tick`] runs everything at once (the
//! `ferry-local job scheduler` command).

use crate::app::Ferry;
use crate::model::{Connection, RunOutcome, TransferStatus};
use crate::queue::TransferMessage;
use crate::store::{StoreError, TransferQuery};
use crate::{health, polling};
use chrono::Timelike;
use futures::StreamExt;
use serde::Serialize;
use std::time::Duration;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    /// Pending transfers enqueued again.
    pub requeued: usize,
    /// Systems whose credentials were checked.
    pub checked: usize,
    /// Waiting transfers enqueued because their target is healthy again.
    pub resumed: usize,
    /// Connections polled.
    pub polled: usize,
    /// Orders the polls found.
    pub records_found: u64,
    /// Polls that stopped on an error (the error is in the connection's last run).
    pub poll_errors: usize,
    /// Health checks that could not finish (a store error; each is logged
    /// and due again at the next pass).
    pub health_errors: usize,
}

/// A pending transfer untouched for this long is enqueued again.
const STALE_AFTER: Duration = Duration::from_secs(15 * 60);
/// At most this many per tenant and pass (the rest next minute).
const SWEEP_LIMIT: usize = 200;

/// Due connections read per pass (the rest are due again next minute).
const DUE_PER_PASS: usize = 1000;
/// Polls running at once: each mostly waits for its shop.
const POLLS_AT_ONCE: usize = 16;
/// The sweep and the health re-check run in minutes divisible by this.
pub const HOUSEKEEPING_EVERY_MINUTES: u32 = 10;

/// Everything at once: sweep, health re-checks, due polls.
pub async fn tick(ferry: &Ferry) -> Result<TickReport, StoreError> {
    let mut report = sweep(ferry).await?;
    check_health(ferry, &mut report).await?;
    poll_due(ferry, &mut report).await?;
    Ok(report)
}

/// The once-a-minute pass: due polls every minute, the sweep and health
/// re-checks every [`HOUSEKEEPING_EVERY_MINUTES`] minutes.
pub async fn scheduled_tick(ferry: &Ferry) -> Result<TickReport, StoreError> {
    if ferry
        .clock
        .now()
        .minute()
        .is_multiple_of(HOUSEKEEPING_EVERY_MINUTES)
    {
        return tick(ferry).await;
    }
    let mut report = TickReport::default();
    poll_due(ferry, &mut report).await?;
    Ok(report)
}

/// Polls every due connection once, a few at a time.
pub async fn poll_due(ferry: &Ferry, report: &mut TickReport) -> Result<(), StoreError> {
    let now = ferry.clock.now();
    let due = ferry.store.due_connections(now, DUE_PER_PASS).await?;
    let mut polls = futures::stream::iter(due)
        .map(|connection| async move {
            let Some(connection) = claim(ferry, &connection).await? else {
                return Ok(None);
            };
            polling::poll(ferry, &connection, None, polling::Budget::default())
                .await
                .map(Some)
        })
        .buffer_unordered(POLLS_AT_ONCE);
    while let Some(polled) = polls.next().await {
        let Some(outcome) = polled? else {
            continue;
        };
        report.polled += 1;
        report.records_found += outcome.records_found;
        report.poll_errors += usize::from(outcome.error.is_some());
    }
    Ok(())
}

/// Moves the connection's next run on before polling it, so that a pass
/// running at the same time (or the next one, if this poll is long) does
/// not poll it too. `None`: not to be polled now.
async fn claim(ferry: &Ferry, due: &Connection) -> Result<Option<Connection>, StoreError> {
    let now = ferry.clock.now();
    let Some(mut connection) = ferry.store.get_connection(&due.tenant, &due.id).await? else {
        return Ok(None);
    };
    if connection.next_run_at.is_none_or(|at| at > now) {
        return Ok(None); // another pass claimed it, or its schedule changed
    }
    connection.next_run_at = polling::next_run(&connection, now);
    if !connection.active {
        connection.last_run = RunOutcome {
            at: Some(now),
            records_found: 0,
            error: Some("not polled: the connection is switched off".into()),
        };
        ferry.store.put_connection(&connection).await?;
        return Ok(None);
    }
    ferry.store.put_connection(&connection).await?;
    Ok(Some(connection))
}

/// Checks the credentials of every system whose last check is old (see
/// [`health::check_due`]: bounded, a few at a time, going on after a failure).
async fn check_health(ferry: &Ferry, report: &mut TickReport) -> Result<(), StoreError> {
    let pass = health::check_due(ferry, health::CHECK_TIMEOUT).await?;
    report.checked += pass.checked;
    report.resumed += pass.resumed;
    report.health_errors += pass.failed.len();
    Ok(())
}

async fn sweep(ferry: &Ferry) -> Result<TickReport, StoreError> {
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
        tracing::info!(
            requeued = report.requeued,
            "stale pending transfers enqueued again"
        );
    }
    Ok(report)
}
