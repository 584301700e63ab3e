//! Fortnox as the ledger of the shop's payments: an invoice payment
//! (`/3/invoicepayments`) on the order's invoice, bookkept.
//!
//! - The invoice: `/3/invoices?externalinvoicereference1=` (the webshop
//!   number every invoice carries, see `client`): `DocumentNumber`,
//!   `Booked`, `CustomerNumber`, `Balance`. An invoice not bookkept yet is
//!   bookkept (`PUT /3/invoices/{n}/bookkeep`) when the connection says so:
//!   Fortnox takes payments only on bookkept invoices.
//! - The payment: `POST /3/invoicepayments` with `{"InvoicePayment":
//!   {"InvoiceNumber", "Amount", "PaymentDate", "ModeOfPayment",
//!   "ModeOfPaymentAccount"}}` (the account when the gateway names one),
//!   then `PUT /3/invoicepayments/{Number}/bookkeep`. Its `Number` is the
//!   transfer's target number.
//! - A retry looks first: `GET /3/invoicepayments?invoicenumber=` lists the
//!   invoice's payments; one with the same `Amount`, `PaymentDate` and
//!   `ModeOfPayment` is this payment (an invoice payment has no field of
//!   its own for the shop's transaction id, so two payments of one invoice
//!   alike in all three would be taken for one). Found but not bookkept (a
//!   crash between the two calls), it is bookkept now.
//!
//! `Amount` is in the invoice's currency as Fortnox keeps it (SEK for a
//! domestic invoice); a foreign-currency invoice's `AmountCurrency` is left
//! to Fortnox.

use super::client::{missing, text_field, Fortnox, INVOICES};
use crate::connectors::payments::{amount_json, LedgerInvoice, PaymentBooking};
use crate::connectors::{ConnectorError, Delivered};
use crate::model::Payment;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

const WHAT: &str = "invoice payment";

/// An amount as Fortnox sends it (a number, or text).
fn amount(value: &Value, field: &str) -> Option<Decimal> {
    match value.get(field)? {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn mode_of_payment(payment: &Payment, booking: &PaymentBooking) -> Result<String, ConnectorError> {
    booking.account.mode_of_payment.clone().ok_or_else(|| {
        ConnectorError::permanent(format!(
            "the payment method '{}' names no Fortnox mode of payment: set it under the \
             connection's payment methods",
            payment.gateway
        ))
    })
}

impl Fortnox {
    /// The invoice of the webshop number, bookkept or not.
    pub(super) async fn invoice_of(
        &self,
        e_number: &str,
    ) -> Result<Option<LedgerInvoice>, ConnectorError> {
        let Some(invoice) = self.search(&INVOICES, e_number).await?.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(LedgerInvoice {
            number: text_field(&invoice, "DocumentNumber")
                .ok_or_else(|| missing("DocumentNumber", "invoice"))?,
            booked: invoice.get("Booked").and_then(Value::as_bool) == Some(true),
            customer: text_field(&invoice, "CustomerNumber").unwrap_or_default(),
            remainder: amount(&invoice, "Balance"),
        }))
    }

    /// The payment already registered on the invoice for this payment,
    /// bookkept (now, if it was not).
    pub(super) async fn invoice_payment_of(
        &self,
        payment: &Payment,
        invoice: &LedgerInvoice,
        booking: &PaymentBooking,
    ) -> Result<Option<Delivered>, ConnectorError> {
        let mode = mode_of_payment(payment, booking)?;
        let mut url = self.url(&["invoicepayments"]);
        url.query_pairs_mut()
            .append_pair("invoicenumber", &invoice.number);
        let body = Self::json(
            self.api.call(Method::GET, url, None).await?,
            "invoice payment search",
        )?;
        let date = payment.paid_at.format("%Y-%m-%d").to_string();
        let found = body
            .get("InvoicePayments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|made| {
                text_field(made, "InvoiceNumber").as_deref() == Some(invoice.number.as_str())
                    && amount(made, "Amount") == Some(payment.amount)
                    && made.get("PaymentDate").and_then(Value::as_str) == Some(date.as_str())
                    && made
                        .get("ModeOfPayment")
                        .and_then(Value::as_str)
                        .is_none_or(|m| m == mode)
            })
            .cloned();
        let Some(found) = found else {
            return Ok(None);
        };
        let number = text_field(&found, "Number").ok_or_else(|| missing("Number", WHAT))?;
        if found.get("Booked").and_then(Value::as_bool) != Some(true) {
            self.bookkeep_payment(&number).await?;
        }
        Ok(Some(Delivered {
            number,
            sent: serde_json::to_vec(&found).unwrap_or_default(),
            warnings: Vec::new(),
        }))
    }

    /// Registers the payment on the invoice and bookkeeps it.
    pub(super) async fn make_invoice_payment(
        &self,
        payment: &Payment,
        invoice: &LedgerInvoice,
        booking: &PaymentBooking,
    ) -> Result<Delivered, ConnectorError> {
        let mut body = json!({
            "InvoiceNumber": invoice.number,
            "Amount": amount_json(payment.amount)?,
            "PaymentDate": payment.paid_at.format("%Y-%m-%d").to_string(),
            "ModeOfPayment": mode_of_payment(payment, booking)?,
        });
        if let Some(account) = booking.account.account {
            body["ModeOfPaymentAccount"] = json!(account);
        }
        let sent = Self::envelope(&body, "InvoicePayment")?;
        let reply = self
            .api
            .call(
                Method::POST,
                self.url(&["invoicepayments"]),
                Some(sent.clone()),
            )
            .await?;
        let made = Self::json(reply, WHAT)?;
        let number = made
            .get("InvoicePayment")
            .and_then(|p| text_field(p, "Number"))
            .ok_or_else(|| missing("Number", WHAT))?;
        self.bookkeep_payment(&number).await?;
        Ok(Delivered {
            number,
            sent,
            warnings: Vec::new(),
        })
    }

    async fn bookkeep_payment(&self, number: &str) -> Result<(), ConnectorError> {
        let url = self.url(&["invoicepayments", number, "bookkeep"]);
        let reply = self.api.call(Method::PUT, url, None).await?;
        Self::json(reply, &format!("bookkeeping of invoice payment {number}")).map(|_| ())
    }
}
