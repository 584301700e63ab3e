//! The catalogue flow (products, stock and customers, from the ERP to the
//! webshop): how one such transfer is decided and sent. The loop that
//! claims, sends and settles it is `crate::pipeline::deliver`, as for orders.
//!
//! - Decide ([`CatalogFlow`]): integration, module and connection on; the
//!   shop there, connected and its credentials working; the item (or
//!   customer) as the ERP gave it readable.
//! - Send ([`CatalogSending`]): the item to its variant by SKU
//!   ([`super::deliver`]), the customer by e-mail ([`super::customers`]).
//!   Setting a price or a stock level is idempotent (an absolute value), so
//!   a retry after a crash sets the same value again and nothing is made
//!   twice; a customer is looked up by e-mail before it is created.
//!
//! Once delivered, the fingerprint of what was sent is stored, so the next
//! poll sends the item only when it changes again.

use super::customers::deliver_customer;
use super::deliver::{deliver_catalog_item, location_map, CatalogDelivery};
use super::poll::CatalogPass;
use crate::app::Ferry;
use crate::connectors::catalog::CatalogTarget;
use crate::connectors::customers::CustomerTarget;
use crate::connectors::ConnectorError;
use crate::model::catalog::Synced;
use crate::model::{
    CatalogItem, Connection, CustomerRecord, Entity, Payload, System, Transfer, UsageDelta,
};
use crate::pipeline::checks;
use crate::pipeline::flow::{Decision, Delivery, Flow, Hold, Sent};
use crate::pipeline::poll::{Budget, PollOutcome};
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// An item (or customer) ready for the shop, and what is remembered once
/// it is there.
pub struct CatalogSending {
    /// The key and fingerprint of what is sent, remembered once delivered.
    key: String,
    fingerprint: String,
    entity: Entity,
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

/// Products, stock and customers, from the ERP to the webshop.
pub struct CatalogFlow;

#[async_trait]
impl Flow for CatalogFlow {
    fn subject(&self, transfer: &Transfer) -> String {
        let what = match transfer.entity {
            Entity::Stock => "stock of SKU",
            Entity::Customers => "customer",
            _ => "price of SKU",
        };
        format!("{what} {}", transfer.source_ref)
    }

    fn target_word(&self) -> &'static str {
        "shop"
    }

    async fn poll(
        &self,
        ferry: &Ferry,
        connection: &Connection,
        backfill: Option<DateTime<Utc>>,
        budget: Budget,
    ) -> Result<PollOutcome, StoreError> {
        let pass = CatalogPass::start(connection, backfill, ferry.clock.now());
        crate::pipeline::poll::run(ferry, connection, budget, pass).await
    }

    async fn decide(&self, ferry: &Ferry, transfer: &Transfer) -> Result<Decision, StoreError> {
        let tenant = &transfer.tenant;
        let connection = match checks::connection(ferry, transfer).await? {
            Ok(connection) => connection,
            Err(decision) => return Ok(decision),
        };
        let settings = ferry.store.get_settings(tenant).await?;
        if let Some(off) = checks::switched_off(&settings, transfer.entity, &connection) {
            return Ok(off);
        }
        let target_system =
            match checks::target(ferry.store.get_system(tenant, &connection.target).await?) {
                Ok(system) => system,
                Err(decision) => return Ok(decision),
            };
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
        if let Some(wait) = checks::unhealthy(ferry, &target_system) {
            return Ok(wait);
        }
        let (key, fingerprint) = (record.key(), record.fingerprint(transfer.entity));
        let sending = match shop_side(ferry, &target_system, record) {
            Ok(sending) => sending,
            Err(reason) => return Ok(Decision::Fail(reason)),
        };
        Ok(Decision::Deliver(Box::new(CatalogSending {
            key,
            fingerprint,
            entity: transfer.entity,
            sending,
            connection,
            target_system,
        })))
    }
}

/// The shop's side for the record, or why it cannot be reached (in words).
fn shop_side(ferry: &Ferry, target_system: &System, record: Synced) -> Result<Sending, String> {
    let connectors = &ferry.connectors;
    Ok(match record {
        Synced::Item(item) => {
            let target = checks::connect(ferry, target_system, |credentials| {
                connectors.catalog_target(target_system, credentials)
            })?;
            Sending::Item {
                locations: location_map(target_system)?,
                target,
                item,
            }
        }
        Synced::Customer(customer) => Sending::Customer {
            target: checks::connect(ferry, target_system, |credentials| {
                connectors.customer_target(target_system, credentials)
            })?,
            customer,
        },
    })
}

#[async_trait]
impl Delivery for CatalogSending {
    fn target_system(&self) -> &System {
        &self.target_system
    }

    /// Prices and stock levels are absolute values, and a customer is
    /// looked up before it is made: sent twice, they make nothing twice, so
    /// the hold is not renewed (one write less per item).
    async fn send(&self, _hold: &dyn Hold) -> Result<Sent, ConnectorError> {
        let shop = self.target_system.kind.display_name();
        let delivery = self.sending.send(shop, self.entity).await?;
        // Customers have no counter of their own: they count as created
        // or updated only.
        let usage = UsageDelta {
            products: u64::from(self.entity == Entity::Products),
            stock: u64::from(self.entity == Entity::Stock),
            created: u64::from(delivery.created),
            updated: u64::from(!delivery.created),
            ..UsageDelta::default()
        };
        Ok(Sent {
            target_ref: delivery.target_ref,
            document: Payload::compress(&serde_json::to_vec(&delivery.sent).unwrap_or_default()),
            linked: false,
            warnings: Vec::new(),
            usage,
        })
    }

    /// The fingerprint of what was sent: the next poll sends the item
    /// only when it changes again.
    async fn remember(&self, ferry: &Ferry) -> Result<(), StoreError> {
        ferry
            .store
            .put_catalog_fingerprint(
                &self.connection.tenant,
                &self.connection.id,
                &self.key,
                &self.fingerprint,
            )
            .await
    }

    /// A price or stock level is an absolute value: newer data that came
    /// while this was sent goes too, and is not recorded as this delivery.
    fn newer_data_goes_again(&self) -> bool {
        true
    }
}
