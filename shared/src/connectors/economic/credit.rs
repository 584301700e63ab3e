//! e-conomic credit notes and draft corrections, as inherent methods of
//! [`Economic`] (not yet on the `Target` trait; the refund flow will call
//! them):
//!
//! - [`Economic::credit_refund`] makes one credit note per refund: a draft
//!   invoice with negative quantities (`crate::mapping::credit`) whose
//!   `references.other` is the refund's key (`#1001/R509562969`), booked
//!   when asked. It looks the key up first (drafts, then booked invoices),
//!   so a retry or a duplicate finds the note instead of making a second;
//!   a draft found is booked when booking was asked.
//! - [`Economic::delete_draft`] removes an unbooked draft invoice (an order
//!   cancelled before booking); a 404 says it is gone already.
//! - [`Economic::replace_draft`] rewrites a draft invoice in place (an edited
//!   order): e-conomic's `PUT` replaces the whole draft.
//!
//! An order's own look-up (`references.other$eq:{e_number}`) never matches a
//! credit note, whose key always carries `/R…` after the order number.

use super::client::{filter_value, missing_number, number_field, Economic};
use super::errors::describe_error;
use super::SYSTEM;
use crate::connectors::http::{refusal, Reply};
use crate::connectors::{ConfigError, ConnectorError, Delivered};
use crate::mapping::credit::{economic_credit_note, CreditProducts, EconomicInvoice};
use crate::mapping::economic::Document;
use crate::mapping::to_json;
use crate::model::refund::Refund;
use crate::model::System;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::Value;

/// A credit note found by its refund key.
#[derive(Debug, Clone, PartialEq)]
pub enum FoundCredit {
    Draft(Delivered),
    Booked(Delivered),
}

/// What became of a draft asked to be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftRemoval {
    Deleted,
    /// e-conomic answered 404: deleted before, or booked meanwhile — the
    /// caller checks which with the order's look-up.
    AlreadyGone,
}

/// The product numbers a credit note books shipping, fees and an
/// amount-only refund on: the system's `shipping_product_number` and
/// `fee_product_number` (as for orders) and the connection's
/// `refund_product` (given by the caller, when set).
pub fn credit_products(
    system: &System,
    refund_product: Option<&str>,
) -> Result<CreditProducts, ConfigError> {
    let number = |field: &str, default: &str| -> String {
        system
            .config_str(field)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(default)
            .to_owned()
    };
    let refund = refund_product.map(str::trim).filter(|n| !n.is_empty());
    if let Some(refund) = refund.filter(|n| n.chars().count() > 25) {
        return Err(ConfigError {
            system: system.name.clone(),
            field: "refund_product".into(),
            message: format!("refund_product '{refund}' is longer than e-conomic's 25 characters"),
        });
    }
    Ok(CreditProducts {
        shipping: number("shipping_product_number", "shipping"),
        fee: number("fee_product_number", "fee"),
        refund: refund.map(str::to_owned),
    })
}

fn refused(reply: &Reply, what: &str) -> ConnectorError {
    refusal(SYSTEM, reply, what, &describe_error(&reply.body))
}

/// A nested whole number (`customer.customerNumber`).
fn nested(value: &Value, outer: &str, field: &str) -> Option<u64> {
    number_field(value.get(outer)?, field)
}

/// The one tax rate of every credited amount, when there is one: the
/// recipient's VAT zone rate as far as the refund shows it.
fn one_rate(refund: &Refund) -> Option<Decimal> {
    let mut rates = refund
        .lines
        .iter()
        .filter(|l| !l.net.is_zero())
        .map(|l| l.tax_rate)
        .chain(refund.amount_only.iter().map(|a| a.tax_rate));
    let first = rates.next()??;
    rates.all(|r| r == Some(first)).then_some(first)
}

impl Economic {
    /// The credit note carrying `refund`'s key, in drafts or booked.
    pub async fn find_credit_note(
        &self,
        refund: &Refund,
    ) -> Result<Option<FoundCredit>, ConnectorError> {
        let filter = format!("references.other$eq:{}", filter_value(&refund.ledger_key()));
        for (path, field, booked) in [
            (["invoices", "drafts"], "draftInvoiceNumber", false),
            (["invoices", "booked"], "bookedInvoiceNumber", true),
        ] {
            let Some(found) = self
                .first_match(&path, filter.clone(), None, "credit note search")
                .await?
            else {
                continue;
            };
            let number = number_field(&found, field)
                .ok_or_else(|| missing_number(field, "credit note search"))?;
            let delivered = Delivered {
                number: number.to_string(),
                sent: serde_json::to_vec(&found).unwrap_or_default(),
                warnings: Vec::new(),
            };
            return Ok(Some(if booked {
                FoundCredit::Booked(delivered)
            } else {
                FoundCredit::Draft(delivered)
            }));
        }
        Ok(None)
    }

    /// What a credit note copies from booked invoice `number`.
    async fn credited_invoice(
        &self,
        number: u64,
        refund: &Refund,
    ) -> Result<EconomicInvoice, ConnectorError> {
        let what = format!("booked invoice {number}");
        let reply = self
            .api
            .call(
                Method::GET,
                self.url(&["invoices", "booked", &number.to_string()]),
                None,
            )
            .await?;
        if !reply.status.is_success() {
            return Err(refused(&reply, &what));
        }
        let invoice = Self::json(reply, &what)?;
        let field = |outer: &str, field: &str| {
            nested(&invoice, outer, field).ok_or_else(|| missing_number(field, &what))
        };
        Ok(EconomicInvoice {
            booked_invoice_number: number,
            customer_number: field("customer", "customerNumber")?,
            layout_number: field("layout", "layoutNumber")?,
            payment_terms_number: field("paymentTerms", "paymentTermsNumber")?,
            recipient: invoice
                .get("recipient")
                .cloned()
                .ok_or_else(|| missing_number("recipient", &what))?,
            vat_rate: one_rate(refund),
        })
    }

    /// Refuses in words when a product the credit note names is missing.
    async fn check_products(&self, numbers: &[String]) -> Result<(), ConnectorError> {
        for number in numbers {
            let reply = self
                .api
                .call(Method::GET, self.url(&["products", number]), None)
                .await?;
            match reply.status {
                s if s.is_success() => {}
                StatusCode::NOT_FOUND => {
                    return Err(ConnectorError::permanent(format!(
                        "{SYSTEM} has no product '{number}' to book the credit note on — create \
                         it in e-conomic (or change the connection's product numbers)"
                    )))
                }
                _ => return Err(refused(&reply, &format!("lookup of product '{number}'"))),
            }
        }
        Ok(())
    }

    /// One credit note for `refund` of booked invoice `invoice_number`,
    /// booked when `book`; found instead of made when it exists.
    pub async fn credit_refund(
        &self,
        refund: &Refund,
        invoice_number: u64,
        products: &CreditProducts,
        book: bool,
    ) -> Result<Delivered, ConnectorError> {
        match self.find_credit_note(refund).await? {
            Some(FoundCredit::Booked(found)) => return Ok(found),
            Some(FoundCredit::Draft(found)) if !book => return Ok(found),
            Some(FoundCredit::Draft(found)) => {
                let number = found
                    .number
                    .parse()
                    .map_err(|_| missing_number("draftInvoiceNumber", "credit note"))?;
                return self.book(number, found.sent).await;
            }
            None => {}
        }
        let invoice = self.credited_invoice(invoice_number, refund).await?;
        let mapped = economic_credit_note(refund, &invoice, products)?;
        let mut numbers: Vec<String> = mapped
            .document
            .lines
            .iter()
            .map(|l| l.product.product_number.clone())
            .collect();
        numbers.dedup();
        self.check_products(&numbers).await?;
        for warning in &mapped.warnings {
            tracing::warn!(refund = %refund.source_id, "{warning}");
        }
        let sent = to_json(&mapped.document)?;
        let reply = self
            .api
            .call(
                Method::POST,
                self.url(&["invoices", "drafts"]),
                Some(sent.clone()),
            )
            .await?;
        let created = Self::json(reply, "credit note")?;
        let number = number_field(&created, "draftInvoiceNumber")
            .ok_or_else(|| missing_number("draftInvoiceNumber", "credit note"))?;
        let delivered = if book {
            self.book(number, sent).await?
        } else {
            Delivered {
                number: number.to_string(),
                sent,
                warnings: Vec::new(),
            }
        };
        Ok(Delivered {
            warnings: mapped.warnings,
            ..delivered
        })
    }

    /// Deletes draft invoice `number` (`DELETE /invoices/drafts/{n}`).
    pub async fn delete_draft(&self, number: u64) -> Result<DraftRemoval, ConnectorError> {
        let reply = self
            .api
            .call(
                Method::DELETE,
                self.url(&["invoices", "drafts", &number.to_string()]),
                None,
            )
            .await?;
        match reply.status {
            s if s.is_success() => Ok(DraftRemoval::Deleted),
            StatusCode::NOT_FOUND => Ok(DraftRemoval::AlreadyGone),
            _ => Err(refused(
                &reply,
                &format!("deletion of draft invoice {number}"),
            )),
        }
    }

    /// Replaces draft invoice `number` with `document`
    /// (`PUT /invoices/drafts/{n}`, the whole draft). A draft booked or
    /// deleted meanwhile is refused (404) in words.
    pub async fn replace_draft(
        &self,
        number: u64,
        document: &Document,
    ) -> Result<Delivered, ConnectorError> {
        let sent = to_json(document)?;
        let reply = self
            .api
            .call(
                Method::PUT,
                self.url(&["invoices", "drafts", &number.to_string()]),
                Some(sent.clone()),
            )
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(ConnectorError::permanent(format!(
                "{SYSTEM} has no draft invoice {number} any more (booked or deleted): a booked \
                 invoice is corrected with a credit note"
            )));
        }
        Self::json(reply, &format!("update of draft invoice {number}"))?;
        Ok(Delivered {
            number: number.to_string(),
            sent,
            warnings: Vec::new(),
        })
    }
}
