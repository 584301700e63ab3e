//! The one delivery loop: one queue message about a pending transfer, of
//! whatever flow, delivered to its target exactly once.
//!
//! [`process`] reads the transfer, asks its flow ([`super::flow`]) to
//! decide, and settles what it decided: skipped, failed, waiting, or
//! claimed and sent, then delivered (or linked), retried or failed.
//!
//! Exactly once rests on three things:
//! - a worker *claims* a transfer ([`Transfer::claimed`]: attempts + 1, a
//!   lease longer than any delivery runs) with a compare-and-swap before it
//!   calls the target, and renews it right before the target makes the
//!   document ([`super::lease`]), so two workers never deliver the same
//!   transfer at the same time, even when a target is slower than a lease;
//! - a flow's [`Delivery::send`] asks the target for what it already holds
//!   for the record before making anything, so a retry after a crash
//!   between "made in the target" and "transfer recorded" links it instead
//!   of making a second;
//! - every other message about a transfer that is no longer pending is a no-op.
//!
//! No worker waits long: a wait the remote asks for (`Retry-After`) beyond
//! the pacer's short hold sends the message back to the queue with that
//! delay (at most [`LONGEST_DELAY`]) and frees the transfer.
//!
//! Every change of the transfer is one of its transitions
//! (`model::transfer`); a transition refused here means the transfer moved
//! on meanwhile, and is handled as a lost race: look again (at most
//! `MAX_RACES` times). A panic in a delivery (a bug) fails that transfer
//! in words (`crate::panic_guard`).

use super::flow::{Decision, Delivery, Flow, FlowOf, Sent};
use super::lease::{Lease, Lost};
use crate::app::Ferry;
use crate::connectors::ConnectorError;
use crate::events;
use crate::health;
use crate::model::{Level, Refused, Transfer, TransferStatus, UsageDelta};
use crate::queue::{QueueError, TransferMessage};
use crate::store::StoreError;
use std::time::Duration;
use tracing::Instrument;

/// What became of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered {
        target_ref: String,
        linked: bool,
    },
    Skipped(String),
    Failed(String),
    /// Stays pending; enqueued again to run after the wait.
    Retrying {
        reason: String,
        after: Duration,
    },
    /// Nothing to do: not found, or no longer pending (or newer data of
    /// the record arrived while it was sent, and goes next).
    NothingToDo,
}

/// The message could not be handled now; the queue should deliver it again.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

const MAX_RACES: usize = 8;
/// The longest delay of a message sent back to the queue (SQS allows 15
/// minutes). A longer wait (a remote's `Retry-After` of an hour) comes
/// back after this and, still held back by the pacer, goes back again.
const LONGEST_DELAY: Duration = Duration::from_secs(900);

fn too_many_races() -> StoreError {
    StoreError::Unavailable("too many concurrent writes to one transfer".into())
}

/// Handles one queue message; `flow_of` says which flow moves the
/// transfer's kind.
pub async fn process(
    ferry: &Ferry,
    message: &TransferMessage,
    flow_of: FlowOf,
) -> Result<Outcome, WorkerError> {
    let span = tracing::info_span!(
        "transfer",
        tenant = %message.tenant,
        transfer = %message.transfer,
        connection = tracing::field::Empty,
    );
    let work = process_in_span(ferry, message, flow_of);
    match crate::panic_guard::catch("delivery", work.instrument(span.clone())).await {
        Ok(outcome) => outcome,
        Err(panicked) => {
            fail_after_panic(ferry, message, flow_of, &panicked)
                .instrument(span)
                .await
        }
    }
}

/// A delivery that panicked (a bug in Ferry) fails in words, so that it
/// stops there: left pending, it would be delivered again and panic again.
/// Whatever the target may already hold, a retry asks it first (see the
/// module's notes), so it never makes a second.
async fn fail_after_panic(
    ferry: &Ferry,
    message: &TransferMessage,
    flow_of: FlowOf,
    panicked: &crate::panic_guard::Panicked,
) -> Result<Outcome, WorkerError> {
    for _ in 0..MAX_RACES {
        let Some(transfer) = ferry
            .store
            .get_transfer(&message.tenant, &message.transfer)
            .await?
        else {
            return Ok(Outcome::NothingToDo);
        };
        if transfer.status != TransferStatus::Pending {
            return Ok(Outcome::NothingToDo);
        }
        let flow = flow_of(transfer.kind());
        let reason = format!(
            "Ferry hit an internal error on {} ({panicked}); it was not delivered — retry it \
             or contact support",
            flow.subject(&transfer)
        );
        if settle(ferry, flow, &transfer, TransferStatus::Failed, &reason).await? {
            return Ok(Outcome::Failed(reason));
        }
    }
    Err(too_many_races().into())
}

async fn process_in_span(
    ferry: &Ferry,
    message: &TransferMessage,
    flow_of: FlowOf,
) -> Result<Outcome, WorkerError> {
    for _ in 0..MAX_RACES {
        let Some(transfer) = ferry
            .store
            .get_transfer(&message.tenant, &message.transfer)
            .await?
        else {
            tracing::warn!("message for a transfer that does not exist");
            return Ok(Outcome::NothingToDo);
        };
        tracing::Span::current().record("connection", transfer.connection.as_str());
        if transfer.status != TransferStatus::Pending {
            return Ok(Outcome::NothingToDo);
        }
        let now = ferry.clock.now();
        if let Some(until) = transfer.lease_until.filter(|until| *until > now) {
            // Another worker is delivering it; look again when its lease ends.
            let after = requeue(ferry, message, (until - now).to_std().unwrap_or_default()).await?;
            return Ok(Outcome::Retrying {
                reason: "another worker is delivering it".into(),
                after,
            });
        }
        let flow = flow_of(transfer.kind());
        let decided = match flow.decide(ferry, &transfer).await? {
            Decision::Skip(reason) => {
                settle(ferry, flow, &transfer, TransferStatus::Skipped, &reason)
                    .await?
                    .then_some(Outcome::Skipped(reason))
            }
            Decision::Fail(reason) => {
                settle(ferry, flow, &transfer, TransferStatus::Failed, &reason)
                    .await?
                    .then_some(Outcome::Failed(reason))
            }
            Decision::Wait { reason, after } => {
                wait_and_requeue(
                    ferry,
                    message,
                    &transfer,
                    transfer.waiting(&reason, now),
                    reason,
                    after,
                )
                .await?
            }
            Decision::Deliver(delivery) => {
                deliver(ferry, flow, message, transfer, delivery.as_ref()).await?
            }
        };
        if let Some(outcome) = decided {
            return Ok(outcome);
        }
    }
    Err(too_many_races().into())
}

/// Claims the transfer, calls the target, records the result. `None` means
/// a race was lost and the caller should look again.
async fn deliver(
    ferry: &Ferry,
    flow: &dyn Flow,
    message: &TransferMessage,
    transfer: Transfer,
    delivery: &dyn Delivery,
) -> Result<Option<Outcome>, WorkerError> {
    let limits = &ferry.limits;
    if transfer.attempts >= limits.max_attempts {
        let last = match &transfer.reason {
            Some(reason) => reason.clone(),
            None => format!("the {} did not answer", flow.target_word()),
        };
        let reason = format!("gave up after {} attempts: {last}", transfer.attempts);
        return Ok(
            settle(ferry, flow, &transfer, TransferStatus::Failed, &reason)
                .await?
                .then_some(Outcome::Failed(reason)),
        );
    }

    // Claim: one more attempt, and a lease that keeps other workers off.
    let Ok(claimed) = transfer.claimed(ferry.clock.now(), limits.lease) else {
        return Ok(None);
    };
    match ferry
        .store
        .update_transfer(&claimed, transfer.version, UsageDelta::default())
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(None),
        Err(e) => return Err(e.into()),
    }

    let lease = Lease::new(ferry, claimed);
    let sent = delivery.send(&lease).await;
    let (claimed, lost) = lease.into_parts();
    if sent.is_err() {
        match lost {
            // Nothing was made; another worker holds the transfer now, or
            // settled it: look again.
            Some(Lost::TakenOver) => {
                tracing::info!("lease lost before the document was made; looking again");
                return Ok(None);
            }
            Some(Lost::Store(e)) => return Err(e.into()),
            None => {}
        }
    }
    match sent {
        Ok(sent) => {
            if !record_delivered(ferry, claimed, &sent, delivery.newer_data_goes_again()).await? {
                // Newer data of the record is pending and enqueued: it goes next.
                return Ok(Some(Outcome::NothingToDo));
            }
            delivery.remember(ferry).await?;
            Ok(Some(Outcome::Delivered {
                target_ref: sent.target_ref,
                linked: sent.linked,
            }))
        }
        Err(ConnectorError::Transient {
            message: reason,
            retry_after,
        }) => {
            if claimed.attempts >= limits.max_attempts {
                let reason = format!("gave up after {} attempts: {reason}", claimed.attempts);
                return Ok(
                    settle(ferry, flow, &claimed, TransferStatus::Failed, &reason)
                        .await?
                        .then_some(Outcome::Failed(reason)),
                );
            }
            let after = retry_after
                .unwrap_or_default()
                .max(limits.backoff(claimed.attempts));
            let reason = format!(
                "{reason} (attempt {} of {})",
                claimed.attempts, limits.max_attempts
            );
            let waiting = claimed.waiting(&reason, ferry.clock.now());
            Ok(wait_and_requeue(ferry, message, &claimed, waiting, reason, after).await?)
        }
        Err(ConnectorError::Permanent { message: reason }) => {
            Ok(
                settle(ferry, flow, &claimed, TransferStatus::Failed, &reason)
                    .await?
                    .then_some(Outcome::Failed(reason)),
            )
        }
        Err(ConnectorError::Unauthorized { message: reason }) => {
            let system = delivery.target_system();
            health::refused(ferry, system, &reason).await?;
            let reason = format!(
                "waiting for working {} credentials: {reason}",
                system.kind.display_name()
            );
            let waiting = claimed.waiting_for_credentials(&reason, ferry.clock.now());
            let after = limits.unhealthy_retry;
            Ok(wait_and_requeue(ferry, message, &claimed, waiting, reason, after).await?)
        }
    }
}

/// Records the delivery; `false` when newer data of the record arrived
/// meanwhile and goes next (only where `newer_goes_again`). What the
/// target holds now must be recorded, so a version conflict (the transfer
/// changed meanwhile) applies it again to the newest version.
async fn record_delivered(
    ferry: &Ferry,
    claimed: Transfer,
    sent: &Sent,
    newer_goes_again: bool,
) -> Result<bool, WorkerError> {
    let sent_data = claimed.source_payload.clone();
    let mut current = claimed;
    for _ in 0..MAX_RACES {
        if newer_goes_again && current.source_payload != sent_data {
            return Ok(false);
        }
        let now = ferry.clock.now();
        let (number, document, warnings) =
            (&sent.target_ref, sent.document.clone(), &sent.warnings);
        let next = match sent.linked {
            true => current.linked(number, document, warnings, now),
            false => current.delivered(number, document, warnings, now),
        };
        // Refused only when no longer pending: delivered by another (or
        // ended some other way); nothing left to record.
        let Ok(done) = next else {
            return Ok(current.status == TransferStatus::Delivered);
        };
        match ferry
            .store
            .update_transfer(&done, current.version, sent.usage)
            .await
        {
            Ok(()) => {
                tracing::info!(target_ref = %sent.target_ref, linked = sent.linked, "delivered");
                for warning in warnings {
                    events::log(
                        ferry,
                        &done.tenant,
                        super::settle::SERVICE,
                        Level::Warn,
                        format!("delivered as {number} with a warning: {warning}"),
                        Some(&done.connection),
                        Some(&done.id),
                    )
                    .await;
                }
                return Ok(true);
            }
            Err(StoreError::Conflict) => {
                match ferry
                    .store
                    .get_transfer(&current.tenant, &current.id)
                    .await?
                {
                    Some(fresh) => current = fresh,
                    None => return Ok(false),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(too_many_races().into())
}

/// Ends a transfer as skipped or failed, named as its flow names it.
/// `false` if a race was lost.
async fn settle(
    ferry: &Ferry,
    flow: &dyn Flow,
    transfer: &Transfer,
    status: TransferStatus,
    reason: &str,
) -> Result<bool, StoreError> {
    let subject = flow.subject(transfer);
    super::settle::settle(ferry, transfer, status, reason, &subject).await
}

/// Writes `waiting`, the next state of `transfer` (pending, with the reason
/// it waits), and enqueues the message again to run after `after`. A
/// refusal (no longer pending) is a race lost, as a version conflict is:
/// `None`.
async fn wait_and_requeue(
    ferry: &Ferry,
    message: &TransferMessage,
    transfer: &Transfer,
    waiting: Result<Transfer, Refused>,
    reason: String,
    after: Duration,
) -> Result<Option<Outcome>, WorkerError> {
    let Ok(waiting) = waiting else {
        return Ok(None);
    };
    match ferry
        .store
        .update_transfer(&waiting, transfer.version, UsageDelta::default())
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let after = requeue(ferry, message, after).await?;
    Ok(Some(Outcome::Retrying { reason, after }))
}

/// Enqueues the message again, visible after `after` but at most
/// [`LONGEST_DELAY`]; the delay used.
async fn requeue(
    ferry: &Ferry,
    message: &TransferMessage,
    after: Duration,
) -> Result<Duration, QueueError> {
    let after = after.min(LONGEST_DELAY);
    ferry.queue.enqueue(message, after).await?;
    Ok(after)
}
