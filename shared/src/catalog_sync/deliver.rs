//! Delivering one products, stock or customers transfer to the webshop.
//!
//! The same guarantees as for orders, through the same transitions of the
//! transfer and the same store operations: a worker claims the transfer
//! (attempts + 1 and a lease, compare-and-swap) before it calls the shop; transient failures are retried with back-off,
//! permanent ones fail at once with words a merchant can act on. Setting a
//! price or a stock level is idempotent (an absolute value), so a retry
//! after a crash sets the same value again and nothing is made twice; a
//! customer is looked up by e-mail before it is created (see [`super::customers`]).
//!
//! Once delivered, the fingerprint of what was sent is stored, so the next
//! poll sends the item only when it changes again.

use super::customers::deliver_customer;
use crate::app::Ferry;
use crate::connectors::catalog::{shop_quantity, CatalogTarget, ShopVariant, StockLocation};
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
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const SERVICE: &str = "transfer-worker";
const MAX_RACES: usize = 8;
/// The target system's setting that maps the ERP's warehouses to the shop's
/// locations: `{"<warehouse>": "<location id>"}`.
pub const STOCK_LOCATIONS: &str = "stock_locations";

/// What was done in the shop.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogDelivery {
    /// The shop's id of what was updated (variant, product, customer).
    pub target_ref: String,
    /// What was sent (or, when nothing needed sending, why not).
    pub sent: Value,
    /// It was made in the shop (a new customer), not updated.
    pub created: bool,
}

/// Finds the item's variant by SKU and sends the price (`products`) or the
/// stock per location (`stock`). `stock_locations` is the target system's
/// warehouse → location map. Errors are worded for the merchant.
pub async fn deliver_catalog_item(
    target: &dyn CatalogTarget,
    shop: &str,
    entity: Entity,
    item: &CatalogItem,
    stock_locations: &BTreeMap<String, String>,
) -> Result<CatalogDelivery, ConnectorError> {
    let Some(sku) = item.sku.as_deref() else {
        return Err(ConnectorError::permanent(format!(
            "item {} '{}' has no SKU, so it cannot be matched to a product in {shop}: give it one in the ERP",
            item.number, item.name
        )));
    };
    let variant = one_variant(target, shop, sku).await?;
    let sent = match entity {
        Entity::Stock => send_stock(target, shop, item, &variant, stock_locations).await?,
        _ => send_price(target, item, &variant).await?,
    };
    Ok(CatalogDelivery {
        target_ref: variant.id,
        sent,
        created: false,
    })
}

/// The one variant carrying the SKU; none or several is a failure.
async fn one_variant(
    target: &dyn CatalogTarget,
    shop: &str,
    sku: &str,
) -> Result<ShopVariant, ConnectorError> {
    let mut variants = target.find_variants(sku).await?;
    match variants.len() {
        1 => Ok(variants.remove(0)),
        0 => Err(ConnectorError::permanent(format!(
            "no product in {shop} has SKU '{sku}': add the SKU to the product in {shop}, or correct it in the ERP"
        ))),
        n => {
            let names: Vec<String> = variants
                .iter()
                .map(|v| format!("'{}' (id {})", v.title, v.id))
                .collect();
            Err(ConnectorError::permanent(format!(
                "SKU '{sku}' matches {n} variants in {shop}: {}; give each variant its own SKU so Ferry knows which to update",
                names.join(", ")
            )))
        }
    }
}

async fn send_price(
    target: &dyn CatalogTarget,
    item: &CatalogItem,
    variant: &ShopVariant,
) -> Result<Value, ConnectorError> {
    let Some(price) = item.price else {
        return Err(ConnectorError::permanent(format!(
            "item {} '{}' has no sales price in the ERP; set one, or leave the item out of the webshop",
            item.number, item.name
        )));
    };
    target.set_price(variant, price).await
}

async fn send_stock(
    target: &dyn CatalogTarget,
    shop: &str,
    item: &CatalogItem,
    variant: &ShopVariant,
    map: &BTreeMap<String, String>,
) -> Result<Value, ConnectorError> {
    if item.stock.is_empty() {
        return Err(ConnectorError::permanent(format!(
            "the ERP keeps no stock for item {} '{}' (not a stock item, or no inventory module)",
            item.number, item.name
        )));
    }
    let locations = target.stock_locations().await?;
    let plan = stock_plan(shop, item, &locations, map)?;
    let mut sent = Vec::with_capacity(plan.len());
    for (location, quantity) in plan {
        sent.push(
            target
                .set_stock(variant, location.as_ref(), quantity)
                .await?,
        );
    }
    Ok(match sent.len() {
        1 => sent.remove(0),
        _ => Value::Array(sent),
    })
}

/// Which quantity goes to which location:
/// - a shop without locations gets the total;
/// - with a map, each mapped location gets its warehouse's stock (none
///   listed for the item is 0); warehouses left out of the map are not sent;
/// - without a map, a shop with one location gets the total there, and a
///   shop with several cannot be guessed.
pub fn stock_plan(
    shop: &str,
    item: &CatalogItem,
    locations: &[StockLocation],
    map: &BTreeMap<String, String>,
) -> Result<Vec<(Option<StockLocation>, i64)>, ConnectorError> {
    if locations.is_empty() {
        return Ok(vec![(None, shop_quantity(item.total_stock()))]);
    }
    if map.is_empty() {
        if let [only] = locations {
            return Ok(vec![(
                Some(only.clone()),
                shop_quantity(item.total_stock()),
            )]);
        }
        let names: Vec<String> = locations
            .iter()
            .map(|l| format!("'{}' ({})", l.name, l.id))
            .collect();
        return Err(ConnectorError::permanent(format!(
            "{shop} has {} locations ({}); say which warehouse fills which under the shop system's {STOCK_LOCATIONS} setting, e.g. {{\"default\": \"{}\"}}",
            locations.len(),
            names.join(", "),
            locations[0].id
        )));
    }
    map.iter()
        .map(|(warehouse, location_id)| {
            let location = locations
                .iter()
                .find(|l| &l.id == location_id)
                .ok_or_else(|| {
                    ConnectorError::permanent(format!(
                        "{STOCK_LOCATIONS} sends warehouse '{warehouse}' to location {location_id}, which is not an active location of {shop}"
                    ))
                })?;
            let quantity = item.stock.get(warehouse).copied().unwrap_or(Decimal::ZERO);
            Ok((Some(location.clone()), shop_quantity(quantity)))
        })
        .collect()
}

/// The warehouse → location map of a shop system; a setting of the wrong
/// shape is a configuration error the merchant must fix.
pub fn location_map(system: &System) -> Result<BTreeMap<String, String>, String> {
    let wrong = || {
        format!(
            "the {STOCK_LOCATIONS} setting of '{}' must map warehouse names to location ids, e.g. {{\"default\": \"655441491\"}}",
            system.name
        )
    };
    match system.config.get(STOCK_LOCATIONS) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(warehouse, location)| match location {
                Value::String(id) if !id.trim().is_empty() => {
                    Ok((warehouse.clone(), id.trim().to_owned()))
                }
                Value::Number(id) => Ok((warehouse.clone(), id.to_string())),
                _ => Err(wrong()),
            })
            .collect(),
        Some(_) => Err(wrong()),
    }
}

// The worker's part ------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DEFAULT_WAREHOUSE;
    use async_trait::async_trait;
    use serde_json::json;
    use std::sync::Mutex;

    /// A shop in memory that records what it was asked to do.
    #[derive(Default)]
    struct FakeShop {
        variants: Vec<ShopVariant>,
        locations: Vec<StockLocation>,
        calls: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl CatalogTarget for FakeShop {
        async fn find_variants(&self, sku: &str) -> Result<Vec<ShopVariant>, ConnectorError> {
            Ok(self
                .variants
                .iter()
                .filter(|v| v.sku == sku)
                .cloned()
                .collect())
        }
        async fn set_price(
            &self,
            variant: &ShopVariant,
            price: Decimal,
        ) -> Result<Value, ConnectorError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("price {} {price}", variant.id));
            Ok(json!({"price": price.to_string()}))
        }
        async fn stock_locations(&self) -> Result<Vec<StockLocation>, ConnectorError> {
            Ok(self.locations.clone())
        }
        async fn set_stock(
            &self,
            variant: &ShopVariant,
            location: Option<&StockLocation>,
            quantity: i64,
        ) -> Result<Value, ConnectorError> {
            let at = location.map_or("-".to_owned(), |l| l.id.clone());
            self.calls
                .lock()
                .unwrap()
                .push(format!("stock {} {at} {quantity}", variant.id));
            Ok(json!({"available": quantity}))
        }
    }

    fn variant(id: &str, sku: &str) -> ShopVariant {
        ShopVariant {
            id: id.into(),
            product_id: "p".into(),
            sku: sku.into(),
            title: format!("Mug {id}"),
            price: None,
            inventory_item_id: Some(format!("inv{id}")),
        }
    }

    fn location(id: &str) -> StockLocation {
        StockLocation {
            id: id.into(),
            name: format!("Store {id}"),
        }
    }

    fn item(stock: &[(&str, i64)]) -> CatalogItem {
        CatalogItem {
            number: "100".into(),
            sku: Some("MUG".into()),
            name: "Mug".into(),
            price: Some(Decimal::new(9950, 2)),
            stock: stock
                .iter()
                .map(|(w, q)| ((*w).to_owned(), Decimal::from(*q)))
                .collect(),
        }
    }

    #[tokio::test]
    async fn sends_the_price_to_the_one_variant() {
        let shop = FakeShop {
            variants: vec![variant("1", "MUG"), variant("2", "CUP")],
            ..FakeShop::default()
        };
        let done = deliver_catalog_item(
            &shop,
            "Shopify",
            Entity::Products,
            &item(&[]),
            &BTreeMap::new(),
        )
        .await
        .unwrap();
        assert_eq!(done.target_ref, "1");
        assert_eq!(*shop.calls.lock().unwrap(), vec!["price 1 99.50"]);
    }

    #[tokio::test]
    async fn no_sku_a_missing_sku_and_a_collision_fail_with_their_reason() {
        let shop = FakeShop {
            variants: vec![variant("1", "MUG"), variant("2", "MUG")],
            ..FakeShop::default()
        };
        let mut no_sku = item(&[]);
        no_sku.sku = None;
        let reason = |r: Result<CatalogDelivery, ConnectorError>| match r {
            Err(ConnectorError::Permanent { message }) => message,
            other => panic!("expected a permanent failure, got {other:?}"),
        };
        let none = BTreeMap::new();
        assert!(reason(
            deliver_catalog_item(&shop, "Shopify", Entity::Products, &no_sku, &none).await
        )
        .contains("has no SKU"));
        let collision = reason(
            deliver_catalog_item(&shop, "Shopify", Entity::Products, &item(&[]), &none).await,
        );
        assert!(collision.contains("matches 2 variants"), "{collision}");
        let mut other = item(&[]);
        other.sku = Some("PLATE".into());
        assert!(reason(
            deliver_catalog_item(&shop, "Shopify", Entity::Products, &other, &none).await
        )
        .contains("no product in Shopify has SKU 'PLATE'"));
        assert!(shop.calls.lock().unwrap().is_empty(), "nothing was changed");
    }

    #[tokio::test]
    async fn stock_goes_to_the_mapped_locations() {
        let shop = FakeShop {
            variants: vec![variant("1", "MUG")],
            locations: vec![location("10"), location("20")],
            ..FakeShop::default()
        };
        let map = BTreeMap::from([
            ("A".to_owned(), "10".to_owned()),
            ("B".to_owned(), "20".to_owned()),
        ]);
        deliver_catalog_item(
            &shop,
            "Shopify",
            Entity::Stock,
            &item(&[("A", 7), ("C", 3)]),
            &map,
        )
        .await
        .unwrap();
        assert_eq!(
            *shop.calls.lock().unwrap(),
            vec!["stock 1 10 7", "stock 1 20 0"],
            "B holds none; C is not mapped"
        );
    }

    #[test]
    fn several_locations_without_a_map_cannot_be_guessed() {
        let two = [location("10"), location("20")];
        let stock = item(&[(DEFAULT_WAREHOUSE, 5)]);
        let error = stock_plan("Shopify", &stock, &two, &BTreeMap::new()).unwrap_err();
        assert!(error.to_string().contains("has 2 locations"), "{error}");
        let one = stock_plan("Shopify", &stock, &two[..1], &BTreeMap::new()).unwrap();
        assert_eq!(one, vec![(Some(location("10")), 5)]);
        let none = stock_plan("WooCommerce", &stock, &[], &BTreeMap::new()).unwrap();
        assert_eq!(none, vec![(None, 5)]);
        let wrong = BTreeMap::from([(DEFAULT_WAREHOUSE.to_owned(), "99".to_owned())]);
        assert!(stock_plan("Shopify", &stock, &two, &wrong).is_err());
    }
}
