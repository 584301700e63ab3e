//! The payment flow: the shop's payment of an order booked on the order's
//! invoice in the ledger (an e-conomic customer payment voucher, a Fortnox
//! invoice payment), once.
//!
//! - Record ([`record`]): a payment arrives with its order (a paid order's
//!   webhook or poll asks the shop for its payments, `Source::payments`) or
//!   on its own (Shopify's `order_transactions/create`), and becomes its own
//!   transfer of kind `payment`, keyed by the shop's transaction id
//!   (`pipeline::record::record_payment`): whatever arrives again, once.
//! - Decide ([`PaymentFlow`]): integration, module and connection on; the
//!   connection books payments (its `payments`), and maps the payment's
//!   gateway; the order's transfer delivered, and its invoice found in the
//!   ledger, booked, or a draft that the connection says to book (else it
//!   waits for the merchant to book it).
//! - Deliver ([`PaymentDelivery`]): ask the ledger for the payment booked
//!   already (a retry after a crash between booking and recording links
//!   it), else book the draft invoice if need be and book the payment,
//!   each right after renewing the hold.

pub mod record;
#[cfg(test)]
mod tests;

use crate::app::Ferry;
use crate::connectors::payments::{LedgerInvoice, PaymentBooking};
use crate::connectors::{ConnectorError, Target};
use crate::health;
use crate::model::{
    Connection, DocumentKind, Payload, Payment, System, Transfer, TransferId, TransferStatus,
    UsageDelta,
};
use crate::pipeline::checks;
use crate::pipeline::flow::{Decision, Delivery, Flow, Hold, Sent};
use crate::pipeline::poll::{Budget, PollOutcome};
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// How long a payment waits for its order's invoice before it looks
/// again, in first back-offs (`Limits::retry_base`): 30 s at the default
/// limits, as the order is usually only a moment behind. A payment whose
/// order failed or was skipped, or whose invoice is a draft, looks again
/// after `Limits::unhealthy_retry` (the merchant has to act first).
const INVOICE_WAIT_BACKOFFS: u32 = 15;

/// Payments of orders, from a webshop to the ledger's invoices.
pub struct PaymentFlow;

#[async_trait]
impl Flow for PaymentFlow {
    fn subject(&self, transfer: &Transfer) -> String {
        if transfer.source_ref.is_empty() {
            format!("payment {}", transfer.source_id)
        } else {
            format!("the payment of order {}", transfer.source_ref)
        }
    }

    fn target_word(&self) -> &'static str {
        "ledger"
    }

    /// Payments are read with their orders (the order flow's poll asks for
    /// a paid order's payments): a poll of the connection is the orders'.
    async fn poll(
        &self,
        ferry: &Ferry,
        connection: &Connection,
        backfill: Option<DateTime<Utc>>,
        budget: Budget,
    ) -> Result<PollOutcome, StoreError> {
        crate::flows::orders::OrderFlow
            .poll(ferry, connection, backfill, budget)
            .await
    }

    async fn decide(&self, ferry: &Ferry, transfer: &Transfer) -> Result<Decision, StoreError> {
        let tenant = &transfer.tenant;
        let connection = match checks::connection(ferry, transfer).await? {
            Ok(connection) => connection,
            Err(decision) => return Ok(decision),
        };
        let setup = ferry.store.tenant_setup(tenant).await?;
        if let Some(off) = checks::switched_off(&setup.settings, transfer.entity, &connection) {
            return Ok(off);
        }
        let Some(settings) = connection.payments.as_ref() else {
            return Ok(Decision::Skip(
                "the connection books no payments: set its payment methods in Ferry to have \
                 paid orders marked paid"
                    .into(),
            ));
        };
        let payment = match read_payment(transfer) {
            Ok(payment) => payment,
            Err(reason) => return Ok(Decision::Fail(reason)),
        };
        let Some(account) = settings.gateway(&payment.gateway) else {
            return Ok(Decision::Fail(format!(
                "the payment method '{}' is not mapped: add it under the connection's payment \
                 methods in Ferry",
                payment.gateway
            )));
        };
        if !makes_invoices(&connection) {
            return Ok(Decision::Skip(
                "the connection makes orders, not invoices, in the ledger: a payment is booked \
                 on an invoice"
                    .into(),
            ));
        }
        let store = ferry.store.as_ref();
        let target_system =
            match checks::target(setup.system(store, tenant, &connection.target).await?) {
                Ok(system) => system,
                Err(decision) => return Ok(decision),
            };

        // The order's own transfer must have made its invoice first.
        let order_id = TransferId::for_record(&connection.id, &payment.order_source_id);
        let order = ferry.store.get_transfer(tenant, &order_id).await?;
        let e_number = match (&order, payment.order_e_number.is_empty()) {
            (Some(order), true) if !order.source_ref.is_empty() => order.source_ref.clone(),
            _ => payment.order_e_number.clone(),
        };
        let invoice_wait = ferry
            .limits
            .retry_base
            .saturating_mul(INVOICE_WAIT_BACKOFFS);
        let order_named = order_word(&e_number, &payment);
        match &order {
            Some(order) if order.status == TransferStatus::Delivered => {}
            Some(order) if order.status != TransferStatus::Pending => {
                return Ok(Decision::Wait {
                    reason: format!(
                        "waiting for order {order_named}'s invoice: the order was {} ({}); \
                         the payment is booked once the order reaches the ledger",
                        order.status.as_str(),
                        order.reason.as_deref().unwrap_or("no reason given")
                    ),
                    after: ferry.limits.unhealthy_retry,
                })
            }
            _ => {
                return Ok(Decision::Wait {
                    reason: format!("waiting for order {order_named}'s invoice"),
                    after: invoice_wait,
                })
            }
        }

        let target = match checks::ledger(ferry, &target_system) {
            Ok(target) => target,
            Err(decision) => return Ok(decision),
        };
        let ledger = target_system.kind.display_name();
        let invoice = match target.payment_invoice(&e_number).await {
            Ok(Some(invoice)) => invoice,
            Ok(None) => {
                return Ok(Decision::Wait {
                    reason: format!(
                        "waiting for order {order_named}'s invoice: {ledger} has none for it yet"
                    ),
                    after: invoice_wait,
                })
            }
            Err(error) => return asking_failed(ferry, &target_system, error).await,
        };
        if !invoice.booked && !settings.book {
            return Ok(Decision::Wait {
                reason: format!(
                    "waiting until invoice {} of order {order_named} is booked in {ledger}: a \
                     payment is booked only on a booked invoice (or let the connection's \
                     payments book drafts)",
                    invoice.number
                ),
                after: ferry.limits.unhealthy_retry,
            });
        }
        Ok(Decision::Deliver(Box::new(PaymentDelivery {
            payment,
            invoice,
            booking: PaymentBooking {
                account: account.clone(),
                journal: settings.journal,
            },
            target_system,
            target,
        })))
    }
}

/// Whether the connection's orders become invoices (a payment is booked on
/// an invoice): its document, or any document it makes for a state.
fn makes_invoices(connection: &Connection) -> bool {
    std::iter::once(&connection.document)
        .chain(connection.documents.values())
        .any(|kind| *kind != DocumentKind::Order)
}

/// How the order is named in words: its webshop number, else its id.
fn order_word(e_number: &str, payment: &Payment) -> String {
    if e_number.is_empty() {
        format!("id {}", payment.order_source_id)
    } else {
        e_number.to_owned()
    }
}

/// A question to the ledger that failed while deciding: a transient error
/// waits, refused credentials mark the system unhealthy and wait, a
/// permanent one fails the payment.
async fn asking_failed(
    ferry: &Ferry,
    system: &System,
    error: ConnectorError,
) -> Result<Decision, StoreError> {
    Ok(match error {
        ConnectorError::Transient {
            message,
            retry_after,
        } => Decision::Wait {
            reason: message,
            after: retry_after.unwrap_or(ferry.limits.retry_base.saturating_mul(4)),
        },
        ConnectorError::Permanent { message } => Decision::Fail(message),
        ConnectorError::Unauthorized { message } => {
            health::refused(ferry, system, &message).await?;
            Decision::Wait {
                reason: format!(
                    "waiting for working {} credentials: {message}",
                    system.kind.display_name()
                ),
                after: ferry.limits.unhealthy_retry,
            }
        }
    })
}

/// The payment as recorded (kept beside the data as received).
fn read_payment(transfer: &Transfer) -> Result<Payment, String> {
    transfer
        .source_payload
        .as_ref()
        .and_then(Payload::canonical)
        .and_then(|read| serde_json::from_slice::<Payment>(&read).ok())
        .ok_or_else(|| "the payment as received is missing or unreadable".to_owned())
}

/// A payment ready for its invoice.
pub struct PaymentDelivery {
    payment: Payment,
    invoice: LedgerInvoice,
    booking: PaymentBooking,
    target_system: System,
    target: Arc<dyn Target>,
}

#[async_trait]
impl Delivery for PaymentDelivery {
    fn target_system(&self) -> &System {
        &self.target_system
    }

    /// Finds the payment booked already, or books the draft invoice (when
    /// it is one) and then the payment, renewing the hold before each.
    async fn send(&self, hold: &dyn Hold) -> Result<Sent, ConnectorError> {
        let (document, linked) = match self
            .target
            .find_payment(&self.payment, &self.invoice, &self.booking)
            .await?
        {
            Some(found) => (found, true),
            None => {
                let invoice = if self.invoice.booked {
                    self.invoice.clone()
                } else {
                    hold.renew().await?;
                    self.target.book_invoice(&self.invoice).await?
                };
                hold.renew().await?;
                let made = self
                    .target
                    .book_payment(&self.payment, &invoice, &self.booking)
                    .await?;
                (made, false)
            }
        };
        Ok(Sent {
            target_ref: document.number,
            document: Payload::compress(&document.sent),
            linked,
            warnings: document.warnings,
            usage: UsageDelta {
                created: 1,
                ..UsageDelta::default()
            },
        })
    }
}
