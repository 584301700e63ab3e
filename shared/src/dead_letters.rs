//! Dead letters: the queue messages SQS gave up on (moved to the
//! dead-letter queue after too many receives), turned into failed transfers
//! the merchant sees and can retry, so that none stays pending unseen.
//!
//! The scheduler reads up to [`PER_PASS`] of them each minute. For each:
//! - a transfer still pending fails with the reason in words, "gave up after
//!   5 attempts: <its last reason>", and an error on the Logs screen; then
//!   the message is deleted;
//! - a transfer gone, or settled meanwhile (delivered, failed, skipped):
//!   the message is deleted, nothing else;
//! - a transfer a worker holds right now (a live lease): left alone; the
//!   message comes back next pass, when that delivery has settled it or not;
//! - a body that names no transfer: logged and deleted (nothing to fail);
//! - the store does not answer: the message is left in the queue, which
//!   hands it out again next pass. Nothing is lost.
//!
//! ferry-local has no dead letters (see `crate::queue`).

use crate::app::Ferry;
use crate::model::{Transfer, TransferStatus};
use crate::pipeline::settle;
use crate::queue::sqs::parse_message;
use crate::queue::{DeadLetter, DeadLetters, QueueError, TransferMessage};
use crate::store::StoreError;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Messages read per pass; more wait for the next pass (a minute later).
pub const PER_PASS: usize = 200;
/// Messages received, and handled, at once.
const PER_RECEIVE: usize = 10;
/// A pass stops receiving after this long, so the scheduler's other work
/// keeps its time.
const TIME_PER_PASS: Duration = Duration::from_secs(20);
/// Version conflicts tolerated on one transfer before leaving its message.
const MAX_RACES: usize = 8;
/// The last reason when the transfer has none: the worker stopped (or its
/// storage did not answer) before it could note one.
const NO_REASON: &str =
    "Ferry could not finish handling it and no reason was recorded; retry it, and contact \
     support if it fails again";

/// What one pass did with the dead letters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeadLetterReport {
    /// Transfers failed with the reason in words.
    pub failed: usize,
    /// Messages deleted without a change: the transfer was gone or already
    /// settled, or the body named none.
    pub dropped: usize,
    /// Messages left in the queue for the next pass (a store error, a
    /// transfer a worker holds, a delete that did not go through).
    pub left: usize,
}

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Failed,
    Dropped,
    Left,
}

/// Reads the dead-letter queue once (up to [`PER_PASS`] messages, for at
/// most 20 s). An error of the queue itself stops the pass; what was not
/// read stays there.
pub async fn drain(
    ferry: &Ferry,
    letters: &dyn DeadLetters,
) -> Result<DeadLetterReport, QueueError> {
    let started = Instant::now();
    let mut report = DeadLetterReport::default();
    let mut read = 0;
    while read < PER_PASS && started.elapsed() < TIME_PER_PASS {
        let batch = letters.receive(PER_RECEIVE.min(PER_PASS - read)).await?;
        if batch.is_empty() {
            break;
        }
        read += batch.len();
        let fates =
            futures::future::join_all(batch.iter().map(|letter| handle(ferry, letters, letter)))
                .await;
        for fate in fates {
            match fate {
                Fate::Failed => report.failed += 1,
                Fate::Dropped => report.dropped += 1,
                Fate::Left => report.left += 1,
            }
        }
    }
    if report != DeadLetterReport::default() {
        tracing::info!(
            failed = report.failed,
            dropped = report.dropped,
            left = report.left,
            "dead letters read"
        );
    }
    Ok(report)
}

/// Settles one message's transfer, then deletes the message unless it must
/// come back.
async fn handle(ferry: &Ferry, letters: &dyn DeadLetters, letter: &DeadLetter) -> Fate {
    let fate = match parse_message(&letter.body) {
        Err(e) => {
            let body: String = letter.body.chars().take(200).collect();
            tracing::error!(error = %e, %body, "dead letter that names no transfer dropped");
            Fate::Dropped
        }
        Ok(message) => match settle(ferry, &message, letter.tries).await {
            Ok(fate) => fate,
            Err(e) => {
                tracing::warn!(error = %e, tenant = %message.tenant, transfer = %message.transfer,
                    "dead letter left for the next pass: the store did not answer");
                Fate::Left
            }
        },
    };
    if fate == Fate::Left {
        return fate;
    }
    match letters.acknowledge(letter).await {
        Ok(()) => fate,
        Err(e) => {
            // It comes back; the transfer is settled by then, so the next
            // pass only deletes it.
            tracing::warn!(error = %e, "dead letter handled but not deleted; it comes back");
            Fate::Left
        }
    }
}

/// Fails the message's transfer if it is still pending and free.
async fn settle(ferry: &Ferry, message: &TransferMessage, tries: u32) -> Result<Fate, StoreError> {
    for _ in 0..MAX_RACES {
        let Some(transfer) = ferry
            .store
            .get_transfer(&message.tenant, &message.transfer)
            .await?
        else {
            return Ok(Fate::Dropped);
        };
        if transfer.status != TransferStatus::Pending {
            return Ok(Fate::Dropped);
        }
        let now = ferry.clock.now();
        if transfer.lease_until.is_some_and(|until| until > now) {
            return Ok(Fate::Left);
        }
        let reason = gave_up(&transfer, tries);
        let subject = crate::flows::of(transfer.kind()).subject(&transfer);
        if settle::settle(ferry, &transfer, TransferStatus::Failed, &reason, &subject).await? {
            tracing::info!(tenant = %transfer.tenant, transfer = %transfer.id,
                "dead letter: transfer failed");
            return Ok(Fate::Failed);
        }
        // Written meanwhile: look again.
    }
    Ok(Fate::Left)
}

/// "gave up after 5 attempts: <the last reason>". The attempts are the
/// transfer's own (calls to the target); when it never got that far, the
/// queue's tries. The last reason drops the worker's "(attempt 3 of 5)",
/// which the count replaces.
pub fn gave_up(transfer: &Transfer, tries: u32) -> String {
    let attempts = match transfer.attempts {
        0 => tries,
        attempts => attempts,
    };
    let last = transfer
        .reason
        .as_deref()
        .map(without_attempt_note)
        .filter(|reason| !reason.is_empty())
        .unwrap_or(NO_REASON);
    match attempts {
        0 => format!("gave up after repeated attempts: {last}"),
        1 => format!("gave up after 1 attempt: {last}"),
        n => format!("gave up after {n} attempts: {last}"),
    }
}

/// "timed out (attempt 3 of 5)" -> "timed out".
fn without_attempt_note(reason: &str) -> &str {
    match reason.rfind(" (attempt ") {
        Some(at) if reason.ends_with(')') => reason[..at].trim_end(),
        _ => reason.trim(),
    }
}

#[cfg(test)]
mod tests;
