//! The transfer worker's part for products, stock and customers: decide,
//! claim, send to the webshop, settle.
//!
//! The same guarantees as for orders, through the same transitions of the
//! transfer and the same store operations: a worker claims the transfer
//! (attempts + 1 and a lease, compare-and-swap) before it calls the shop;
//! transient failures are retried with back-off, permanent ones fail at
//! once with words a merchant can act on. Setting a price or a stock level
//! is idempotent (an absolute value), so a retry after a crash sets the
//! same value again and nothing is made twice; a customer is looked up by
//! e-mail before it is created (see [`super::customers`]).
//!
//! Once delivered, the fingerprint of what was sent is stored, so the next
//! poll sends the item only when it changes again.

use super::customers::deliver_customer;
use super::deliver::{deliver_catalog_item, location_map, CatalogDelivery};
use crate::app::Ferry;
use crate::connectors::catalog::CatalogTarget;
use crate::connectors::customers::CustomerTarget;
use crate::connectors::ConnectorError;
use crate::health;
use crate::model::catalog::Synced;
use crate::model::{
    CatalogItem, Connection, CustomerRecord, Entity, HealthStatus, Level, Payload, Refused, System,
    Transfer, TransferStatus, UsageDelta,
};
use crate::pipeline::events;
use crate::pipeline::worker::{Outcome, WorkerError};
use crate::queue::TransferMessage;
use crate::store::StoreError;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const SERVICE: &str = "transfer-worker";
const MAX_RACES: usize = 8;

/// Everything needed to call the shop.
struct Plan {
    /// The key and fingerprint of what is sent, remembered once delivered.
    key: String,
    fingerprint: String,
    sending: Sending,
    connection: Connection,
    target_system: System,
}

/// What goes to the shop, and the shop's side that takes it.
enum Sending {
    Item {
        item: CatalogItem,
        target: Arc<dyn CatalogTarget>,
        locations: BTreeMap<String, String>,
    },
    Customer {
        customer: CustomerRecord,
        target: Arc<dyn CustomerTarget>,
    },
}

impl Sending {
    async fn send(&self, shop: &str, entity: Entity) -> Result<CatalogDelivery, ConnectorError> {
        match self {
            Sending::Item {
                item,
                target,
                locations,
            } => deliver_catalog_item(target.as_ref(), shop, entity, item, locations).await,
            Sending::Customer { customer, target } => {
                deliver_customer(target.as_ref(), shop, customer).await
            }
        }
    }
}

enum Decision {
    Skip(String),
    Fail(String),
    Wait { reason: String, after: Duration },
    Deliver(Box<Plan>),
}

/// Handles one queue message about a products, stock or customers
/// transfer, as `pipeline::worker::process` does for orders.
pub async fn process(ferry: &Ferry, message: &TransferMessage) -> Result<Outcome, WorkerError> {
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
        let now = ferry.clock.now();
        if let Some(until) = transfer.lease_until.filter(|until| *until > now) {
            let after = (until - now).to_std().unwrap_or_default();
            ferry.queue.enqueue(message, after).await?;
            return Ok(Outcome::Retrying {
                reason: "another worker is delivering it".into(),
                after,
            });
        }
        match decide(ferry, &transfer).await? {
            Decision::Skip(reason) => {
                if settle(ferry, &transfer, TransferStatus::Skipped, &reason).await? {
                    return Ok(Outcome::Skipped(reason));
                }
            }
            Decision::Fail(reason) => {
                if settle(ferry, &transfer, TransferStatus::Failed, &reason).await? {
                    return Ok(Outcome::Failed(reason));
                }
            }
            Decision::Wait { reason, after } => {
                if wait(ferry, &transfer, &reason).await? {
                    ferry.queue.enqueue(message, after).await?;
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

async fn decide(ferry: &Ferry, transfer: &Transfer) -> Result<Decision, StoreError> {
    let tenant = &transfer.tenant;
    let Some(connection) = ferry
        .store
        .get_connection(tenant, &transfer.connection)
        .await?
    else {
        return Ok(Decision::Fail("its connection was deleted".into()));
    };
    let settings = ferry.store.get_settings(tenant).await?;
    if !settings.integration_active {
        return Ok(Decision::Skip(
            "the integration is switched off (Settings)".into(),
        ));
    }
    let module_on = match transfer.entity {
        Entity::Stock => settings.stock_active,
        Entity::Customers => settings.customers_active,
        _ => settings.products_active,
    };
    if !module_on {
        return Ok(Decision::Skip(format!(
            "the {} module is switched off (Settings)",
            transfer.entity.word()
        )));
    }
    if !connection.active {
        return Ok(Decision::Skip(format!(
            "connection '{}' is switched off",
            connection.name
        )));
    }
    let Some(target_system) = ferry.store.get_system(tenant, &connection.target).await? else {
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
    let record = match transfer
        .source_payload
        .as_ref()
        .map(Payload::bytes)
        .and_then(Result::ok)
        .map(|raw| Synced::read(transfer.entity, &raw))
    {
        Some(Ok(record)) => record,
        Some(Err(e)) => {
            return Ok(Decision::Fail(format!(
                "the received data could not be read: {e}"
            )))
        }
        None => return Ok(Decision::Fail("the received data is missing".into())),
    };
    if target_system.health.status == HealthStatus::Unhealthy {
        return Ok(Decision::Wait {
            reason: format!(
                "waiting: the credentials of {} '{}' do not work ({}); update them under Systems",
                target_system.kind.display_name(),
                target_system.name,
                target_system
                    .health
                    .reason
                    .as_deref()
                    .unwrap_or("no reason given")
            ),
            after: ferry.limits.unhealthy_retry,
        });
    }
    let (key, fingerprint) = (record.key(), record.fingerprint(transfer.entity));
    let sending = match shop_side(ferry, &target_system, record) {
        Ok(sending) => sending,
        Err(reason) => return Ok(Decision::Fail(reason)),
    };
    Ok(Decision::Deliver(Box::new(Plan {
        key,
        fingerprint,
        sending,
        connection,
        target_system,
    })))
}

/// The shop's side for the record, or why it cannot be reached (in words).
fn shop_side(ferry: &Ferry, target_system: &System, record: Synced) -> Result<Sending, String> {
    let credentials = ferry
        .sealer
        .open(&target_system.credentials, target_system.owner())
        .map_err(|e| e.to_string())?;
    let connectors = &ferry.connectors;
    Ok(match record {
        Synced::Item(item) => Sending::Item {
            locations: location_map(target_system)?,
            target: connectors
                .catalog_target(target_system, &credentials)
                .map_err(|e| e.to_string())?,
            item,
        },
        Synced::Customer(customer) => Sending::Customer {
            target: connectors
                .customer_target(target_system, &credentials)
                .map_err(|e| e.to_string())?,
            customer,
        },
    })
}

/// Claims the transfer, calls the shop, records the result. `None`: a race
/// was lost; look again.
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
                .unwrap_or("the shop did not answer")
        );
        return Ok(settle(ferry, &transfer, TransferStatus::Failed, &reason)
            .await?
            .then_some(Outcome::Failed(reason)));
    }
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

    let shop = plan.target_system.kind.display_name();
    let result = plan.sending.send(shop, claimed.entity).await;
    match result {
        Ok(delivery) => {
            let landed = record_delivered(ferry, claimed, &delivery).await?;
            if !landed {
                // The item changed while it was sent: the newer data is
                // pending and enqueued, and goes next.
                return Ok(Some(Outcome::NothingToDo));
            }
            ferry
                .store
                .put_catalog_fingerprint(
                    &plan.connection.tenant,
                    &plan.connection.id,
                    &plan.key,
                    &plan.fingerprint,
                )
                .await?;
            Ok(Some(Outcome::Delivered {
                target_ref: delivery.target_ref,
                linked: false,
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
                ferry.queue.enqueue(message, after).await?;
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
            health::refused(ferry, &plan.target_system, &reason).await?;
            let reason = format!("waiting for working {shop} credentials: {reason}");
            let waiting = claimed.waiting_for_credentials(&reason, ferry.clock.now());
            if save_waiting(ferry, &claimed, waiting).await? {
                let after = limits.unhealthy_retry;
                ferry.queue.enqueue(message, after).await?;
                Ok(Some(Outcome::Retrying { reason, after }))
            } else {
                Ok(None)
            }
        }
    }
}

/// Records the delivery. On a version conflict it looks again: if the item
/// changed meanwhile (new data, pending again and enqueued), the newer data
/// still has to go, so the transfer stays pending; `false` then.
async fn record_delivered(
    ferry: &Ferry,
    claimed: Transfer,
    delivery: &CatalogDelivery,
) -> Result<bool, WorkerError> {
    let sent_payload = claimed.source_payload.clone();
    let document = Payload::compress(&serde_json::to_vec(&delivery.sent).unwrap_or_default());
    let mut current = claimed;
    for _ in 0..MAX_RACES {
        if current.status != TransferStatus::Pending || current.source_payload != sent_payload {
            return Ok(current.status == TransferStatus::Delivered
                && current.source_payload == sent_payload);
        }
        let expected = current.version;
        let now = ferry.clock.now();
        // Pending (see above), so not refused.
        let Ok(done) = current.delivered(&delivery.target_ref, document.clone(), &[], now) else {
            return Ok(false);
        };
        // Customers have no counter of their own: they count as created
        // or updated only.
        let usage = UsageDelta {
            products: u64::from(done.entity == Entity::Products),
            stock: u64::from(done.entity == Entity::Stock),
            created: u64::from(delivery.created),
            updated: u64::from(!delivery.created),
            ..UsageDelta::default()
        };
        match ferry.store.update_transfer(&done, expected, usage).await {
            Ok(()) => {
                tracing::info!(target_ref = %delivery.target_ref, "catalogue item delivered");
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
    let what = match transfer.entity {
        Entity::Stock => "stock of SKU",
        Entity::Customers => "customer",
        _ => "price of SKU",
    };
    events::log(
        ferry,
        &transfer.tenant,
        SERVICE,
        level,
        format!("{what} {} {verb}: {reason}", transfer.source_ref),
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
