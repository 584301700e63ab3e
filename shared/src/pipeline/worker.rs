//! Delivering one pending transfer to its target, exactly once.
//!
//! Exactly once rests on three things:
//! - a worker *claims* a transfer ([`Transfer::claimed`]: attempts + 1, a
//!   lease) with a compare-and-swap before it calls the target, so two
//!   workers never deliver the same transfer at the same time;
//! - before creating a document it asks the target for one carrying the
//!   webshop's number, so a retry after a crash between "document created"
//!   and "transfer recorded" links the document instead of making a second;
//! - every other message about a transfer that is no longer pending is a no-op.
//!
//! Every change of the transfer is one of its transitions
//! (`model::transfer`); a transition refused here means the transfer moved
//! on meanwhile, and is handled as a lost race: look again.

use super::events;
use crate::app::Ferry;
use crate::connectors::{ConnectorError, Delivered, Target};
use crate::mapping;
use crate::model::{
    Connection, CredentialHealth, DocumentKind, Entity, HealthStatus, Level, Order, Payload,
    Refused, System, Transfer, TransferStatus, UsageDelta,
};
use crate::queue::{QueueError, TransferMessage};
use crate::store::StoreError;
use std::sync::Arc;
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
    /// Nothing to do: not found, or no longer pending.
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

const SERVICE: &str = "transfer-worker";
const MAX_RACES: usize = 8;

/// Handles one queue message.
pub async fn process(ferry: &Ferry, message: &TransferMessage) -> Result<Outcome, WorkerError> {
    let span = tracing::info_span!(
        "transfer",
        tenant = %message.tenant,
        transfer = %message.transfer,
        connection = tracing::field::Empty,
    );
    let work = process_in_span(ferry, message);
    match crate::panic_guard::catch("delivery", work.instrument(span.clone())).await {
        Ok(outcome) => outcome,
        Err(panicked) => {
            fail_after_panic(ferry, message, &panicked)
                .instrument(span)
                .await
        }
    }
}

/// A delivery that panicked (a bug in Ferry) fails in words, so that it
/// stops there: left pending, it would be delivered again and panic again.
/// Whatever the target may already hold, a retry asks it first (see the
/// module's notes), so it never makes a second document.
async fn fail_after_panic(
    ferry: &Ferry,
    message: &TransferMessage,
    panicked: &crate::panic_guard::Panicked,
) -> Result<Outcome, WorkerError> {
    let reason = format!(
        "Ferry hit an internal error on this order ({panicked}); it was not delivered — retry \
         it or contact support"
    );
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
        if settle(ferry, &transfer, TransferStatus::Failed, &reason).await? {
            return Ok(Outcome::Failed(reason));
        }
    }
    Err(StoreError::Unavailable("too many concurrent writes to one transfer".into()).into())
}

async fn process_in_span(ferry: &Ferry, message: &TransferMessage) -> Result<Outcome, WorkerError> {
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
        if transfer.entity.is_catalog() {
            // Products and stock run the other way (ERP to webshop).
            return crate::catalog_sync::process(ferry, message).await;
        }
        if transfer.status != TransferStatus::Pending {
            return Ok(Outcome::NothingToDo);
        }
        let now = ferry.clock.now();
        if let Some(until) = transfer.lease_until.filter(|until| *until > now) {
            // Another worker is delivering it; look again when its lease ends.
            let after = (until - now).to_std().unwrap_or_default();
            requeue(ferry, message, after).await?;
            return Ok(Outcome::Retrying {
                reason: "another worker is delivering it".into(),
                after,
            });
        }
        match decide(ferry, &transfer).await? {
            Decision::Skip(reason) => {
                match settle(ferry, &transfer, TransferStatus::Skipped, &reason).await? {
                    true => return Ok(Outcome::Skipped(reason)),
                    false => continue,
                }
            }
            Decision::Fail(reason) => {
                match settle(ferry, &transfer, TransferStatus::Failed, &reason).await? {
                    true => return Ok(Outcome::Failed(reason)),
                    false => continue,
                }
            }
            Decision::Wait { reason, after } => {
                if wait(ferry, &transfer, &reason).await? {
                    requeue(ferry, message, after).await?;
                    return Ok(Outcome::Retrying { reason, after });
                }
            }
            Decision::Deliver(plan) => {
                if let Some(outcome) = deliver(ferry, message, transfer, *plan).await? {
                    return Ok(outcome);
                }
            }
        }
    }
    Err(StoreError::Unavailable("too many concurrent writes to one transfer".into()).into())
}

/// Everything needed to call the target.
struct Plan {
    order: Order,
    connection: Connection,
    target_system: System,
    target: Arc<dyn Target>,
}

enum Decision {
    Skip(String),
    Fail(String),
    Wait { reason: String, after: Duration },
    Deliver(Box<Plan>),
}

/// Is the integration, the module and the connection on; can the order be
/// read; is its state allowed; is the target healthy.
async fn decide(ferry: &Ferry, transfer: &Transfer) -> Result<Decision, StoreError> {
    let tenant = &transfer.tenant;
    let Some(connection) = ferry
        .store
        .get_connection(tenant, &transfer.connection)
        .await?
    else {
        return Ok(Decision::Fail("its connection was deleted".into()));
    };
    // Settings, subscription and systems: one read (see `Store::tenant_setup`).
    let setup = ferry.store.tenant_setup(tenant).await?;
    let settings = &setup.settings;
    if !settings.integration_active {
        return Ok(Decision::Skip(
            "the integration is switched off (Settings)".into(),
        ));
    }
    let module_on = match transfer.entity {
        Entity::Orders => settings.orders_active,
        Entity::Products => settings.products_active,
        Entity::Stock => settings.stock_active,
        Entity::Customers => settings.customers_active,
    };
    if !module_on {
        return Ok(Decision::Skip(format!(
            "the {} module is switched off (Settings)",
            entity_word(transfer.entity)
        )));
    }
    if !connection.active {
        return Ok(Decision::Skip(format!(
            "connection '{}' is switched off",
            connection.name
        )));
    }
    let store = ferry.store.as_ref();
    let Some(source_system) = setup.system(store, tenant, &connection.source).await? else {
        return Ok(Decision::Fail(
            "the connection's source system was removed".into(),
        ));
    };
    let Some(target_system) = setup.system(store, tenant, &connection.target).await? else {
        return Ok(Decision::Fail(
            "the connection's target system was removed".into(),
        ));
    };
    if !target_system.active {
        return Ok(Decision::Skip(format!(
            "{} '{}' is disconnected",
            target_system.kind.display_name(),
            target_system.name
        )));
    }
    let source = match ferry
        .sealer
        .open(&source_system.credentials, source_system.owner())
        .map_err(|e| e.to_string())
        .and_then(|creds| {
            ferry
                .connectors
                .source(&source_system, &creds)
                .map_err(|e| e.to_string())
        }) {
        Ok(source) => source,
        Err(reason) => return Ok(Decision::Fail(reason)),
    };
    let raw = match transfer.source_payload.as_ref().map(Payload::bytes) {
        Some(Ok(raw)) => raw,
        _ => return Ok(Decision::Fail("the received data is missing".into())),
    };
    let order = match source.parse_order(&raw) {
        Ok(order) => order,
        Err(e) => return Ok(Decision::Fail(format!("the order could not be read: {e}"))),
    };
    if !connection.allows_state(&order.state) {
        return Ok(Decision::Skip(format!(
            "order state '{}' is not allowed for transfer",
            order.state
        )));
    }
    if let crate::subscription::Admission::Wait { reason, after } =
        crate::subscription::admit(ferry, transfer, setup.subscription.clone()).await?
    {
        return Ok(Decision::Wait { reason, after });
    }
    if target_system.health.status == HealthStatus::Unhealthy {
        return Ok(Decision::Wait {
            reason: unhealthy_reason(&target_system),
            after: ferry.limits.unhealthy_retry,
        });
    }
    let target = match ferry
        .sealer
        .open(&target_system.credentials, target_system.owner())
        .map_err(|e| e.to_string())
        .and_then(|creds| {
            ferry
                .connectors
                .target(&target_system, &creds)
                .map_err(|e| e.to_string())
        }) {
        Ok(target) => target,
        Err(reason) => return Ok(Decision::Fail(reason)),
    };
    Ok(Decision::Deliver(Box::new(Plan {
        order,
        connection,
        target_system,
        target,
    })))
}

/// Claims the transfer, calls the target, records the result. `None` means
/// a race was lost and the caller should look again.
async fn deliver(
    ferry: &Ferry,
    message: &TransferMessage,
    transfer: Transfer,
    plan: Plan,
) -> Result<Option<Outcome>, WorkerError> {
    let limits = &ferry.limits;
    if transfer.attempts >= limits.max_attempts {
        let reason = format!(
            "gave up after {} attempts: {}",
            transfer.attempts,
            transfer
                .reason
                .as_deref()
                .unwrap_or("the target did not answer")
        );
        return Ok(settle(ferry, &transfer, TransferStatus::Failed, &reason)
            .await?
            .then_some(Outcome::Failed(reason)));
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

    let target_name = plan.target_system.kind.display_name();
    match send(
        plan.target.as_ref(),
        &plan.order,
        plan.connection.document_for(&plan.order.state),
    )
    .await
    {
        Ok((document, linked)) => {
            // The order's own warnings (also for a document found), then the
            // mapping's about the document as sent.
            let mut warnings = mapping::order_warnings(&plan.order);
            for warning in &document.warnings {
                if !warnings.contains(warning) {
                    warnings.push(warning.clone());
                }
            }
            record_delivered(ferry, claimed, &document, linked, &warnings).await?;
            Ok(Some(Outcome::Delivered {
                target_ref: document.number,
                linked,
            }))
        }
        Err(ConnectorError::Transient {
            message: reason,
            retry_after,
        }) => {
            if claimed.attempts >= limits.max_attempts {
                let reason = format!("gave up after {} attempts: {reason}", claimed.attempts);
                return Ok(settle(ferry, &claimed, TransferStatus::Failed, &reason)
                    .await?
                    .then_some(Outcome::Failed(reason)));
            }
            let after = retry_after
                .unwrap_or_default()
                .max(limits.backoff(claimed.attempts));
            let reason = format!(
                "{reason} (attempt {} of {})",
                claimed.attempts, limits.max_attempts
            );
            if wait(ferry, &claimed, &reason).await? {
                requeue(ferry, message, after).await?;
                Ok(Some(Outcome::Retrying { reason, after }))
            } else {
                Ok(None)
            }
        }
        Err(ConnectorError::Permanent { message: reason }) => {
            Ok(settle(ferry, &claimed, TransferStatus::Failed, &reason)
                .await?
                .then_some(Outcome::Failed(reason)))
        }
        Err(ConnectorError::Unauthorized { message: reason }) => {
            mark_unhealthy(ferry, &plan.target_system, &reason).await?;
            let reason = format!("waiting for working {target_name} credentials: {reason}");
            let waiting = claimed.waiting_for_credentials(&reason, ferry.clock.now());
            if save_waiting(ferry, &claimed, waiting).await? {
                let after = limits.unhealthy_retry;
                requeue(ferry, message, after).await?;
                Ok(Some(Outcome::Retrying { reason, after }))
            } else {
                Ok(None)
            }
        }
    }
}

/// Finds the document made for this webshop number, or creates it.
async fn send(
    target: &dyn Target,
    order: &Order,
    kind: DocumentKind,
) -> Result<(Delivered, bool), ConnectorError> {
    if let Some(existing) = target.find_document(&order.e_number, kind).await? {
        return Ok((existing, true));
    }
    Ok((target.deliver_order(order, kind).await?, false))
}

/// Records the delivery. A document now exists, so this must land: on a
/// version conflict (the record changed meanwhile) it is applied again to
/// the newest version.
async fn record_delivered(
    ferry: &Ferry,
    claimed: Transfer,
    document: &Delivered,
    linked: bool,
    warnings: &[String],
) -> Result<(), WorkerError> {
    let sent = Payload::compress(&serde_json::to_vec(&document.sent).unwrap_or_default());
    let mut current = claimed;
    for _ in 0..MAX_RACES {
        let now = ferry.clock.now();
        let next = match linked {
            true => current.linked(&document.number, sent.clone(), warnings, now),
            false => current.delivered(&document.number, sent.clone(), warnings, now),
        };
        // Refused only when already delivered: nothing left to record.
        let Ok(done) = next else {
            return Ok(());
        };
        let expected = current.version;
        let usage = UsageDelta {
            orders: u64::from(done.entity == Entity::Orders),
            products: u64::from(done.entity == Entity::Products),
            stock: u64::from(done.entity == Entity::Stock),
            created: 1,
            ..UsageDelta::default()
        };
        match ferry.store.update_transfer(&done, expected, usage).await {
            Ok(()) => {
                tracing::info!(target_ref = %document.number, linked, "delivered");
                for warning in warnings {
                    events::log(
                        ferry,
                        &done.tenant,
                        SERVICE,
                        Level::Warn,
                        format!("delivered as {} with a warning: {warning}", document.number),
                        Some(&done.connection),
                        Some(&done.id),
                    )
                    .await;
                }
                return Ok(());
            }
            Err(StoreError::Conflict) => {
                match ferry
                    .store
                    .get_transfer(&current.tenant, &current.id)
                    .await?
                {
                    Some(fresh) => current = fresh,
                    None => return Ok(()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Unavailable("too many concurrent writes to one transfer".into()).into())
}

/// Ends a transfer as skipped or failed. `false` if a race was lost.
async fn settle(
    ferry: &Ferry,
    transfer: &Transfer,
    status: TransferStatus,
    reason: &str,
) -> Result<bool, StoreError> {
    let now = ferry.clock.now();
    let next = match status {
        TransferStatus::Failed => transfer.failed(reason, now),
        _ => transfer.skipped(reason, now),
    };
    // Refused only when no longer pending: a race lost.
    let Ok(done) = next else {
        return Ok(false);
    };
    let usage = UsageDelta {
        errors: u64::from(status == TransferStatus::Failed),
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
    let (level, verb) = match status {
        TransferStatus::Failed => (Level::Error, "failed"),
        _ => (Level::Info, "skipped"),
    };
    tracing::info!(status = status.as_str(), reason, "transfer settled");
    let number = if transfer.source_ref.is_empty() {
        "a record".to_string()
    } else {
        format!("order {}", transfer.source_ref)
    };
    events::log(
        ferry,
        &transfer.tenant,
        SERVICE,
        level,
        format!("{number} {verb}: {reason}"),
        Some(&transfer.connection),
        Some(&transfer.id),
    )
    .await;
    Ok(true)
}

/// Keeps a transfer pending with the reason it waits. `false` if a race was lost.
async fn wait(ferry: &Ferry, transfer: &Transfer, reason: &str) -> Result<bool, StoreError> {
    let waiting = transfer.waiting(reason, ferry.clock.now());
    save_waiting(ferry, transfer, waiting).await
}

/// Writes `waiting`, the next state of `transfer`; a refusal (no longer
/// pending) is a race lost, as a version conflict is: `false`.
async fn save_waiting(
    ferry: &Ferry,
    transfer: &Transfer,
    waiting: Result<Transfer, Refused>,
) -> Result<bool, StoreError> {
    let Ok(waiting) = waiting else {
        return Ok(false);
    };
    match ferry
        .store
        .update_transfer(&waiting, transfer.version, UsageDelta::default())
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}

async fn requeue(
    ferry: &Ferry,
    message: &TransferMessage,
    after: Duration,
) -> Result<(), QueueError> {
    ferry.queue.enqueue(message, after).await
}

async fn mark_unhealthy(ferry: &Ferry, system: &System, reason: &str) -> Result<(), StoreError> {
    let Some(mut fresh) = ferry.store.get_system(&system.tenant, &system.id).await? else {
        return Ok(());
    };
    let now = ferry.clock.now();
    fresh.health = CredentialHealth {
        status: HealthStatus::Unhealthy,
        reason: Some(reason.to_owned()),
        checked_at: Some(now),
    };
    ferry.store.put_system(&fresh).await?;
    events::log(
        ferry,
        &system.tenant,
        SERVICE,
        Level::Error,
        format!(
            "{} '{}' refused its credentials: {reason}",
            system.kind.display_name(),
            system.name
        ),
        None,
        None,
    )
    .await;
    Ok(())
}

fn unhealthy_reason(system: &System) -> String {
    format!(
        "waiting: the credentials of {} '{}' do not work ({}); update them under Systems",
        system.kind.display_name(),
        system.name,
        system.health.reason.as_deref().unwrap_or("no reason given")
    )
}

fn entity_word(entity: Entity) -> &'static str {
    match entity {
        Entity::Orders => "orders",
        Entity::Products => "products",
        Entity::Stock => "stock",
        Entity::Customers => "customers",
    }
}
