//! e-conomic as the ledger of the shop's payments: a customer payment
//! voucher in the connection's cash journal against the order's booked
//! invoice.
//!
//! - The invoice: booked invoices (`/invoices/booked`), else draft invoices
//!   (`/invoices/drafts`), filtered on `references.other` (the webshop
//!   number every document carries, see `client`). A draft is booked with
//!   `POST /invoices/booked {"draftInvoice": {...}}` when the connection
//!   says so.
//! - The voucher: `POST /journals/{journalNumber}/vouchers` with one entry
//!   under `entries.customerPayments`: `customer`, `customerInvoice` (the
//!   booked invoice number), `amount`, `currency.code`, `date`,
//!   `contraAccount.accountNumber` (the gateway's account) and `text`,
//!   which carries the shop's transaction id. The voucher stays in the
//!   journal for the bookkeeper to book with the day's other entries
//!   (e-conomic's REST API has no booking of a journal; its newer Journals
//!   API has one, not used yet). Its number is the transfer's target number.
//! - A retry looks first (a crash between the voucher and Ferry's record
//!   must not make a second): entries of the journal
//!   (`/journals/{n}/entries`) and booked entries of the payment's year
//!   (`/accounting-years/{year}/entries`) filtered on `text$eq:` the same
//!   text.
//!
//! Assumptions, not checked against a live agreement: the amount of a
//! customer payment is entered as a credit to the customer (negative), the
//! contra account being debited; the accounting year is named by the
//! calendar year of the payment (the common set-up).

use super::client::{filter_value, missing_number, number_field, Economic};
use crate::connectors::payments::{amount_json, LedgerInvoice, PaymentBooking};
use crate::connectors::{ConnectorError, Delivered};
use crate::model::Payment;
use chrono::Datelike;
use reqwest::Method;
use serde_json::{json, Value};

/// The longest voucher text Ferry writes.
const TEXT_MAX: usize = 60;

/// The voucher's text: what a retry finds it by.
pub(super) fn voucher_text(payment: &Payment) -> String {
    let text = format!(
        "Payment {} {}",
        payment.order_e_number, payment.transaction_id
    );
    text.chars().take(TEXT_MAX).collect()
}

fn customer_number(invoice: &Value) -> Option<u64> {
    invoice
        .get("customer")
        .and_then(|c| number_field(c, "customerNumber"))
}

fn journal_of(booking: &PaymentBooking) -> Result<u64, ConnectorError> {
    booking.journal.ok_or_else(|| {
        ConnectorError::permanent(
            "the connection names no e-conomic journal for payments: set its payments' journal",
        )
    })
}

impl Economic {
    /// The invoice of the webshop number: booked, else a draft.
    pub(super) async fn invoice_of(
        &self,
        e_number: &str,
    ) -> Result<Option<LedgerInvoice>, ConnectorError> {
        let filter = format!("references.other$eq:{}", filter_value(e_number));
        let what = "invoice search";
        if let Some(booked) = self
            .first_match(&["invoices", "booked"], filter.clone(), None, what)
            .await?
        {
            let number = number_field(&booked, "bookedInvoiceNumber")
                .ok_or_else(|| missing_number("bookedInvoiceNumber", what))?;
            return Ok(Some(LedgerInvoice {
                number: number.to_string(),
                booked: true,
                customer: customer_number(&booked)
                    .ok_or_else(|| missing_number("customer", what))?
                    .to_string(),
                remainder: booked
                    .get("remainder")
                    .and_then(|r| serde_json::from_value(r.clone()).ok()),
            }));
        }
        let Some(draft) = self
            .first_match(&["invoices", "drafts"], filter, None, what)
            .await?
        else {
            return Ok(None);
        };
        let number = number_field(&draft, "draftInvoiceNumber")
            .ok_or_else(|| missing_number("draftInvoiceNumber", what))?;
        Ok(Some(LedgerInvoice {
            number: number.to_string(),
            booked: false,
            customer: customer_number(&draft)
                .ok_or_else(|| missing_number("customer", what))?
                .to_string(),
            remainder: None,
        }))
    }

    /// Books the draft invoice: the booked invoice.
    pub(super) async fn book_draft(
        &self,
        draft: &LedgerInvoice,
    ) -> Result<LedgerInvoice, ConnectorError> {
        let number = draft
            .number
            .parse()
            .map_err(|_| missing_number("draftInvoiceNumber", "draft invoice"))?;
        let booked = self.book(number, Vec::new()).await?;
        Ok(LedgerInvoice {
            number: booked.number,
            booked: true,
            customer: draft.customer.clone(),
            remainder: None,
        })
    }

    /// The voucher already made for the payment: in the journal, or booked.
    pub(super) async fn voucher_of(
        &self,
        payment: &Payment,
        booking: &PaymentBooking,
    ) -> Result<Option<Delivered>, ConnectorError> {
        let journal = journal_of(booking)?.to_string();
        let filter = format!("text$eq:{}", filter_value(&voucher_text(payment)));
        let what = "payment voucher search";
        let year = payment.paid_at.year().to_string();
        let places: [&[&str]; 2] = [
            &["journals", &journal, "entries"],
            &["accounting-years", &year, "entries"],
        ];
        for place in places {
            if let Some(entry) = self.first_match(place, filter.clone(), None, what).await? {
                let number = entry
                    .get("voucher")
                    .and_then(|v| number_field(v, "voucherNumber"))
                    .or_else(|| number_field(&entry, "voucherNumber"))
                    .ok_or_else(|| missing_number("voucherNumber", what))?;
                return Ok(Some(Delivered {
                    number: number.to_string(),
                    sent: serde_json::to_vec(&entry).unwrap_or_default(),
                    warnings: Vec::new(),
                }));
            }
        }
        Ok(None)
    }

    /// Makes the customer payment voucher in the journal.
    pub(super) async fn make_voucher(
        &self,
        payment: &Payment,
        invoice: &LedgerInvoice,
        booking: &PaymentBooking,
    ) -> Result<Delivered, ConnectorError> {
        let journal = journal_of(booking)?;
        let contra = booking.account.contra_account.ok_or_else(|| {
            ConnectorError::permanent(format!(
                "the payment method '{}' names no e-conomic contra account: set it under the \
                 connection's payment methods",
                payment.gateway
            ))
        })?;
        let (Ok(customer), Ok(invoice_number)) = (
            invoice.customer.parse::<u64>(),
            invoice.number.parse::<u64>(),
        ) else {
            return Err(ConnectorError::permanent(format!(
                "e-conomic's invoice {} has no customer or number Ferry can read",
                invoice.number
            )));
        };
        let voucher = json!({
            "accountingYear": {"year": payment.paid_at.year().to_string()},
            "journal": {"journalNumber": journal},
            "entries": {"customerPayments": [{
                "customer": {"customerNumber": customer},
                "customerInvoice": invoice_number,
                "amount": amount_json(-payment.amount)?,
                "currency": {"code": payment.currency},
                "date": payment.paid_at.format("%Y-%m-%d").to_string(),
                "contraAccount": {"accountNumber": contra},
                "text": voucher_text(payment),
            }]},
        });
        let sent =
            serde_json::to_vec(&voucher).map_err(|e| ConnectorError::permanent(e.to_string()))?;
        let url = self.url(&["journals", &journal.to_string(), "vouchers"]);
        let reply = self.api.call(Method::POST, url, Some(sent.clone())).await?;
        let made = Self::json(reply, "payment voucher")?;
        // One voucher sent: the answer is it, or a list holding it.
        let made = match made {
            Value::Array(mut vouchers) if !vouchers.is_empty() => vouchers.swap_remove(0),
            other => other,
        };
        let number = number_field(&made, "voucherNumber")
            .ok_or_else(|| missing_number("voucherNumber", "payment voucher"))?;
        Ok(Delivered {
            number: number.to_string(),
            sent,
            warnings: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_voucher_text_carries_the_order_and_the_transaction_within_its_length() {
        let mut payment = Payment {
            transaction_id: "389404469".into(),
            order_source_id: "450789469".into(),
            order_e_number: "#1001".into(),
            gateway: "paypal".into(),
            amount: "100.00".parse().unwrap(),
            currency: "DKK".into(),
            paid_at: chrono::Utc
                .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
                .unwrap(),
            gift_card: false,
        };
        assert_eq!(voucher_text(&payment), "Payment #1001 389404469");
        payment.transaction_id = "x".repeat(200);
        assert_eq!(voucher_text(&payment).chars().count(), TEXT_MAX);
    }
}
