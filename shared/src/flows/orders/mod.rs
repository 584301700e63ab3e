//! The order flow: a webshop's order into the ledger (e-conomic, Fortnox).
//!
//! - Decide ([`OrderFlow`]): integration, module and connection on; both
//!   systems there; the order readable and its state allowed by the
//!   connection; the month's quota left (or a pack bought,
//!   `crate::subscription::admit`); the ledger's credentials working.
//! - Deliver ([`OrderDelivery`]): ask the ledger for a document carrying the
//!   webshop's number (a retry after a lost answer links it), else make the
//!   customer, products and the document the order's state asks for
//!   (`Target::deliver_order`, which maps the order with `crate::mapping`).
//!   The order goes with the payment terms the connection maps its gateway
//!   to (`Order::payment_terms`, e-conomic's `paymentTerms`), set in decide.
//! - [`poll`]: the orders changed since the connection's cursor, read from
//!   the webshop, for the orders whose webhooks were lost.
//!
//! The loop that claims, sends and settles is `crate::pipeline::deliver`.

pub mod poll;
#[cfg(test)]
mod tests;

use crate::app::Ferry;
use crate::connectors::{ConnectorError, Target};
use crate::mapping;
use crate::model::{Connection, DocumentKind, Order, Payload, System, Transfer, UsageDelta};
use crate::pipeline::checks;
use crate::pipeline::flow::{Decision, Delivery, Flow, Hold, Sent};
use crate::pipeline::poll::{Budget, PollOutcome};
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Orders, from a webshop to a ledger.
pub struct OrderFlow;

#[async_trait]
impl Flow for OrderFlow {
    fn subject(&self, transfer: &Transfer) -> String {
        if transfer.source_ref.is_empty() {
            "a record".to_string()
        } else {
            format!("order {}", transfer.source_ref)
        }
    }

    fn target_word(&self) -> &'static str {
        "target"
    }

    async fn poll(
        &self,
        ferry: &Ferry,
        connection: &Connection,
        backfill: Option<DateTime<Utc>>,
        budget: Budget,
    ) -> Result<PollOutcome, StoreError> {
        let pass = poll::OrderPass::start(connection, backfill, ferry.clock.now());
        crate::pipeline::poll::run(ferry, connection, budget, pass).await
    }

    async fn decide(&self, ferry: &Ferry, transfer: &Transfer) -> Result<Decision, StoreError> {
        let tenant = &transfer.tenant;
        let connection = match checks::connection(ferry, transfer).await? {
            Ok(connection) => connection,
            Err(decision) => return Ok(decision),
        };
        // Settings, subscription and systems: one read (see `Store::tenant_setup`).
        let setup = ferry.store.tenant_setup(tenant).await?;
        if let Some(off) = checks::switched_off(&setup.settings, transfer.entity, &connection) {
            return Ok(off);
        }
        let store = ferry.store.as_ref();
        let Some(source_system) = setup.system(store, tenant, &connection.source).await? else {
            return Ok(Decision::Fail(
                "the connection's source system was removed".into(),
            ));
        };
        let target_system =
            match checks::target(setup.system(store, tenant, &connection.target).await?) {
                Ok(system) => system,
                Err(decision) => return Ok(decision),
            };
        let mut order = match read_order(ferry, &source_system, &connection, transfer) {
            Ok(order) => order,
            Err(reason) => return Ok(Decision::Fail(reason)),
        };
        order.payment_terms = connection
            .payments
            .as_ref()
            .and_then(|payments| payments.payment_terms_for(order.gateway.as_deref()));
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
        let target = match checks::ledger(ferry, &target_system) {
            Ok(target) => target,
            Err(decision) => return Ok(decision),
        };
        let kind = connection.document_for(&order.state);
        Ok(Decision::Deliver(Box::new(OrderDelivery {
            order,
            kind,
            target_system,
            target,
        })))
    }
}

/// The order as the intake read it (kept beside the data as received); a
/// transfer kept without it (recorded before Ferry kept it) is read again
/// by its webshop's connector, in the money the connection books in.
fn read_order(
    ferry: &Ferry,
    source_system: &System,
    connection: &Connection,
    transfer: &Transfer,
) -> Result<Order, String> {
    let Some(payload) = transfer.source_payload.as_ref() else {
        return Err("the received data is missing".into());
    };
    if let Some(order) = payload
        .canonical()
        .and_then(|read| serde_json::from_slice::<Order>(&read).ok())
    {
        return Ok(order);
    }
    let source = checks::connect(ferry, source_system, |credentials| {
        ferry.connectors.source(source_system, credentials)
    })?;
    let Ok(raw) = payload.bytes() else {
        return Err("the received data is missing".into());
    };
    source
        .parse_order_in(&raw, connection.currency)
        .map_err(|e| format!("the order could not be read: {e}"))
}

/// An order ready for its ledger.
pub struct OrderDelivery {
    order: Order,
    kind: DocumentKind,
    target_system: System,
    target: Arc<dyn Target>,
}

#[async_trait]
impl Delivery for OrderDelivery {
    fn target_system(&self) -> &System {
        &self.target_system
    }

    /// Finds the document made for this webshop number, or creates it
    /// while the worker still holds the transfer (the look-up may have been
    /// slow).
    async fn send(&self, hold: &dyn Hold) -> Result<Sent, ConnectorError> {
        let (document, linked) = match self
            .target
            .find_document(&self.order.e_number, self.kind)
            .await?
        {
            Some(existing) => (existing, true),
            None => {
                hold.renew().await?;
                (
                    self.target.deliver_order(&self.order, self.kind).await?,
                    false,
                )
            }
        };
        // The order's own warnings (also for a document found), then the
        // mapping's about the document as sent.
        let mut warnings = mapping::order_warnings(&self.order);
        for warning in &document.warnings {
            if !warnings.contains(warning) {
                warnings.push(warning.clone());
            }
        }
        Ok(Sent {
            target_ref: document.number,
            document: Payload::compress(&document.sent),
            linked,
            warnings,
            usage: UsageDelta {
                orders: 1,
                created: 1,
                ..UsageDelta::default()
            },
        })
    }
}
