//! The scheduler's pass (every minute on AWS, in process in ferry-local).
//!
//! - It reads the dead-letter queue, where there is one (AWS), every
//!   minute: each message SQS gave up on fails its transfer in words
//!   (`crate::dead_letters`).
//! - It sweeps: a pending transfer that nobody has touched for a while (its
//!   queue message was lost) is enqueued again, so no transfer stays
//!   pending for ever. The sweep pages through every pending transfer of
//!   every tenant, within a budget per pass (see [`SweepBudget`]); a
//!   backlog larger than the budget is gone through over several passes,
//!   each going on where the last one stopped.
//! - It re-checks credential health when a system's last check is older
//!   than [`health::RECHECK_AFTER`]; a target healthy again resumes its
//!   waiting transfers.
//! - It polls the connections that are due (read from the next-run index,
//!   never a scan), each through [`flows::poll`], several at a time.
//! - Each poll and each health check is one unit of work: a panic in one
//!   (a bug) fails that one alone (a poll in words, as its last run; see
//!   `crate::panic_guard`), and the pass goes on with the others. Both are
//!   bounded in time (a health check by its timeout, a poll by its
//!   [`Budget`]: every page of the source within `page_timeout`), and one
//!   that fails on the store is counted (`health_errors`, `poll_errors`)
//!   while the others go on.
//!
//! The sweep and the health re-check look at every tenant, so the
//! once-a-minute pass ([`scheduled_tick`]) runs them only every
//! [`HOUSEKEEPING_EVERY_MINUTES`] minutes (a pending transfer is stale only
//! after 15 minutes, credentials are re-checked hourly); the other minutes
//! cost only the due connections. [`tick`] runs everything at once (the
//! `ferry-local job scheduler` command).

use crate::app::Ferry;
use crate::model::{Connection, RunOutcome, TenantId, Transfer, TransferStatus};
use crate::pipeline::poll::{self, Budget};
use crate::queue::{DeadLetters, TransferMessage};
use crate::store::{StoreError, TransferQuery};
use crate::{dead_letters, flows, health};
use chrono::{DateTime, Timelike, Utc};
use futures::StreamExt;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    /// What became of the dead letters read (AWS only).
    pub dead_letters: dead_letters::DeadLetterReport,
    /// Health checks that could not finish (a store error; each is logged
    /// and due again at the next pass).
    pub health_errors: usize,
}

/// A pending transfer untouched for this long is enqueued again.
const STALE_AFTER: Duration = Duration::from_secs(15 * 60);
/// Stale transfers enqueued at once (each send is one SQS call).
const REQUEUES_AT_ONCE: usize = 16;

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

/// The once-a-minute pass: the dead letters (if `dead_letters` is given)
/// and due polls every minute, the sweep and health re-checks every
/// [`HOUSEKEEPING_EVERY_MINUTES`] minutes. The dead letters go first, so
/// that their transfers fail before the sweep would enqueue them again.
pub async fn scheduled_tick(
    ferry: &Ferry,
    dead_letters: Option<&dyn DeadLetters>,
) -> Result<TickReport, StoreError> {
    let read = match dead_letters {
        Some(letters) => match dead_letters::drain(ferry, letters).await {
            Ok(read) => read,
            Err(e) => {
                // The letters stay in their queue; the polls must still run.
                tracing::error!(error = %e, "the dead-letter queue could not be read");
                dead_letters::DeadLetterReport::default()
            }
        },
        None => dead_letters::DeadLetterReport::default(),
    };
    let mut report = if ferry
        .clock
        .now()
        .minute()
        .is_multiple_of(HOUSEKEEPING_EVERY_MINUTES)
    {
        tick(ferry).await?
    } else {
        let mut report = TickReport::default();
        poll_due(ferry, &mut report).await?;
        report
    };
    report.dead_letters = read;
    Ok(report)
}

/// Polls every due connection once, a few at a time.
pub async fn poll_due(ferry: &Ferry, report: &mut TickReport) -> Result<(), StoreError> {
    poll_due_within(ferry, report, Budget::default()).await
}

/// [`poll_due`] with each poll held to `budget`: a source that does not
/// answer stops its own poll after `budget.page_timeout` (see
/// `crate::pipeline::poll`), and a store error on one connection is
/// counted as that poll's error while the others go on. Only the list of
/// due connections failing to load fails the pass.
pub async fn poll_due_within(
    ferry: &Ferry,
    report: &mut TickReport,
    budget: Budget,
) -> Result<(), StoreError> {
    let now = ferry.clock.now();
    let due = ferry.store.due_connections(now, DUE_PER_PASS).await?;
    let mut polls = futures::stream::iter(due)
        .map(|connection| async move {
            let polled = async {
                let Some(claimed) = claim(ferry, &connection).await? else {
                    return Ok(None);
                };
                flows::poll(ferry, &claimed, None, budget).await.map(Some)
            };
            (connection.id.clone(), polled.await)
        })
        .buffer_unordered(POLLS_AT_ONCE);
    while let Some((connection, polled)) = polls.next().await {
        let outcome = match polled {
            Ok(Some(outcome)) => outcome,
            Ok(None) => continue,
            Err(e) => {
                // Its next run was not moved on, or its outcome not kept:
                // the next pass polls it again.
                tracing::warn!(error = %e, connection = %connection, "poll not finished");
                report.polled += 1;
                report.poll_errors += 1;
                continue;
            }
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
    connection.next_run_at = poll::next_run(&connection, now);
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

/// How much one sweep reads at most. A tenant's pending transfers past its
/// share, and the tenants the time did not reach, come first in the next
/// pass (see [`SweepProgress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepBudget {
    /// Pending transfers per list call.
    pub page: usize,
    /// Pending transfers read per tenant and pass.
    pub per_tenant: usize,
    /// A pass starts no new page after this long (the scheduler's
    /// function has 55 s for the sweep, health checks and polls).
    pub time: Duration,
}

impl Default for SweepBudget {
    fn default() -> Self {
        Self {
            page: 500,
            per_tenant: 20_000,
            time: Duration::from_secs(20),
        }
    }
}

/// Where the sweep goes on: kept in the process between passes (warm on
/// Lambda, where the scheduler runs every minute; for the life of
/// ferry-local). Lost on a cold start, the sweep begins again from the
/// newest: that delays a transfer by a pass at worst, never skips it.
#[derive(Debug, Default)]
pub struct SweepProgress {
    /// Per tenant not gone through to the end: the bound its pass started
    /// with and the next page's cursor.
    within: HashMap<TenantId, Resume>,
    /// The tenant the last pass had no time for: the next starts there.
    first: Option<TenantId>,
}

#[derive(Debug, Clone)]
struct Resume {
    to: DateTime<Utc>,
    cursor: String,
}

/// The process's sweep progress (one per process; see [`SweepProgress`]).
static PROGRESS: Mutex<Option<SweepProgress>> = Mutex::new(None);

async fn sweep(ferry: &Ferry) -> Result<TickReport, StoreError> {
    // Taken out for the pass: a pass running at the same time (it should
    // not) starts afresh rather than waiting for this one.
    let mut progress = lock_progress().take().unwrap_or_default();
    let swept = sweep_within(ferry, &mut progress, SweepBudget::default()).await;
    *lock_progress() = Some(progress);
    swept
}

fn lock_progress() -> std::sync::MutexGuard<'static, Option<SweepProgress>> {
    match PROGRESS.lock() {
        Ok(progress) => progress,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// One sweep within `budget`, going on from `progress` and leaving in it
/// where the next one goes on. Every pending transfer is visited within
/// a few passes however many there are: each pass reads at least one page,
/// a tenant goes on where it stopped, and the time runs out on a different
/// tenant each pass.
pub async fn sweep_within(
    ferry: &Ferry,
    progress: &mut SweepProgress,
    budget: SweepBudget,
) -> Result<TickReport, StoreError> {
    let started = Instant::now();
    let mut report = TickReport::default();
    let now = ferry.clock.now();
    let stale = chrono::Duration::from_std(STALE_AFTER.max(ferry.limits.lease)).unwrap_or_default();
    let mut tenants = ferry.store.list_tenants().await?;
    // Start with the tenant the last pass had no time for.
    if let Some(first) = progress.first.take() {
        if let Some(at) = tenants.iter().position(|t| t.id == first) {
            tenants.rotate_left(at);
        }
    }
    let mut pages = 0usize;
    for tenant in tenants {
        // A page per pass at least, so every pass moves on.
        if pages > 0 && started.elapsed() >= budget.time {
            progress.first = Some(tenant.id);
            break;
        }
        let resume = progress.within.remove(&tenant.id);
        // Only a transfer received before `to` can be untouched that long.
        let mut query = TransferQuery {
            status: Some(TransferStatus::Pending),
            to: Some(resume.as_ref().map_or(now - stale, |r| r.to)),
            cursor: resume.as_ref().map(|r| r.cursor.clone()),
            limit: budget.page,
            ..TransferQuery::default()
        };
        let mut read = 0usize;
        loop {
            let page = ferry.store.list_transfers(&tenant.id, &query).await?;
            pages += 1;
            read += page.items.len();
            let stale_ones = page.items.into_iter().filter(|transfer| {
                let leased = transfer.lease_until.is_some_and(|until| until > now);
                !leased && now - transfer.updated_at >= stale
            });
            report.requeued += requeue(ferry, stale_ones.collect()).await?;
            let Some(next) = page.next else {
                break;
            };
            if read >= budget.per_tenant || started.elapsed() >= budget.time {
                let to = query.to.unwrap_or(now);
                progress
                    .within
                    .insert(tenant.id.clone(), Resume { to, cursor: next });
                if started.elapsed() >= budget.time {
                    // Next pass: this tenant first, where it stopped.
                    progress.first = Some(tenant.id);
                    return Ok(logged(report));
                }
                break;
            }
            query.cursor = Some(next);
        }
    }
    Ok(logged(report))
}

/// Enqueues the transfers again, a few at a time; answers how many.
async fn requeue(ferry: &Ferry, transfers: Vec<Transfer>) -> Result<usize, StoreError> {
    let sends = futures::stream::iter(transfers)
        .map(|transfer| async move {
            let message = TransferMessage {
                tenant: transfer.tenant,
                transfer: transfer.id,
            };
            ferry.queue.enqueue(&message, Duration::ZERO).await
        })
        .buffer_unordered(REQUEUES_AT_ONCE);
    futures::pin_mut!(sends);
    let mut sent = 0;
    while let Some(result) = sends.next().await {
        result.map_err(|e| StoreError::Unavailable(e.to_string()))?;
        sent += 1;
    }
    Ok(sent)
}

fn logged(report: TickReport) -> TickReport {
    if report.requeued > 0 {
        tracing::info!(
            requeued = report.requeued,
            "stale pending transfers enqueued again"
        );
    }
    report
}

#[cfg(test)]
mod tests;
