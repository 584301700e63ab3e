//! Fortnox credit invoices, cancellations and updates, as inherent methods of
//! [`Fortnox`] (not yet on the `Target` trait; the refund flow will call
//! them).
//!
//! Fortnox credits an invoice once (`PUT /3/invoices/{n}/credit`, booked
//! invoices only; the answer is the original, now carrying
//! `CreditInvoiceReference`). So [`Fortnox::credit_refund`] books refunds
//! this way:
//!
//! 1. a credit invoice carrying the refund's key in
//!    `ExternalInvoiceReference1` (`#1001/R509562969`) is looked for first:
//!    found, it is the answer (booked when asked);
//! 2. the **first** refund of an invoice: `/credit`, then the copy it made
//!    is rewritten (`PUT /3/invoices/{credit}`) down to the refund's rows
//!    and references — Fortnox's own link both ways;
//! 3. a **later** refund (the original already has a credit invoice that is
//!    another refund's): a new invoice with negative rows (`POST`), linked by
//!    `ExternalInvoiceReference2` = the original's number and its remarks
//!    ("Kredit avser faktura N"). `CreditInvoiceReference` is not sent:
//!    whether Fortnox takes it on a new invoice is unverified, and
//!    well-kept integrations leave it out;
//! 4. a crash between `/credit` and the rewrite leaves an unbooked copy
//!    without a refund key: the next try finds it through the original's
//!    `CreditInvoiceReference` and finishes the rewrite.
//!
//! Before calling `/credit` the original is read, so a second credit is
//! refused in words by Ferry, whatever Fortnox's (unpublished) error code.

use super::client::{flag, missing, text_field, Fortnox};
use super::errors::describe_error;
use super::SYSTEM;
use crate::connectors::http::{refusal, Reply};
use crate::connectors::{ConfigError, ConnectorError, Delivered};
use crate::mapping::credit::{fortnox_credit_invoice, CreditProducts, FortnoxCreditInvoice};
use crate::mapping::fortnox::Document;
use crate::model::refund::Refund;
use crate::model::System;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The article numbers a credit invoice books shipping, fees and an
/// amount-only refund on: the system's `shipping_article_number` and
/// `fee_article_number` (default `shipping` and `fee`; made when missing)
/// and the connection's `refund_product`.
pub fn credit_articles(
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
    Ok(CreditProducts {
        shipping: number("shipping_article_number", "shipping"),
        fee: number("fee_article_number", "fee"),
        refund: refund_product
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
    })
}

fn refused(reply: &Reply, what: &str) -> ConnectorError {
    refusal(SYSTEM, reply, what, &describe_error(&reply.body))
}

/// `CreditInvoiceReference`, when it names an invoice ("0" or 0 is none).
fn credit_reference(invoice: &Value) -> Option<String> {
    text_field(invoice, "CreditInvoiceReference").filter(|r| r.trim() != "0")
}

impl Fortnox {
    /// `GET /3/invoices/{n}`: the invoice inside its envelope.
    pub async fn invoice(&self, number: &str) -> Result<Value, ConnectorError> {
        let what = format!("invoice {number}");
        let reply = self
            .api
            .call(Method::GET, self.url(&["invoices", number]), None)
            .await?;
        if !reply.status.is_success() {
            return Err(refused(&reply, &what));
        }
        Self::json(reply, &what)?
            .get("Invoice")
            .cloned()
            .ok_or_else(|| missing("Invoice", &what))
    }

    /// The uncancelled invoice whose `ExternalInvoiceReference1` is exactly
    /// `refund`'s key (Fortnox's search also matches longer values).
    pub async fn find_credit_invoice(
        &self,
        refund: &Refund,
    ) -> Result<Option<Delivered>, ConnectorError> {
        let key = refund.ledger_key();
        let mut url = self.url(&["invoices"]);
        url.query_pairs_mut()
            .append_pair("externalinvoicereference1", &key);
        let body = Self::json(
            self.api.call(Method::GET, url, None).await?,
            "credit invoice search",
        )?;
        let found = body
            .get("Invoices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|doc| {
                doc.get("ExternalInvoiceReference1").and_then(Value::as_str) == Some(&key)
                    && !flag(doc, "Cancelled")
            });
        found
            .map(|doc| {
                let number = text_field(doc, "DocumentNumber")
                    .ok_or_else(|| missing("DocumentNumber", "credit invoice search"))?;
                Ok(Delivered {
                    number,
                    sent: serde_json::to_vec(doc).unwrap_or_default(),
                    warnings: Vec::new(),
                })
            })
            .transpose()
    }

    /// Makes each article the credit invoice names that Fortnox lacks.
    async fn ensure_credit_articles(
        &self,
        credit: &FortnoxCreditInvoice,
    ) -> Result<(), ConnectorError> {
        let mut done: Vec<&str> = Vec::new();
        for row in &credit.invoice_rows {
            let number = row.article_number.as_str();
            if done.contains(&number) {
                continue;
            }
            done.push(number);
            let reply = self
                .api
                .call(Method::GET, self.url(&["articles", number]), None)
                .await?;
            match reply.status {
                s if s.is_success() => continue,
                StatusCode::NOT_FOUND => {}
                _ => return Err(refused(&reply, &format!("lookup of article '{number}'"))),
            }
            let article =
                serde_json::json!({ "ArticleNumber": number, "Description": row.description });
            let body = Self::envelope(&article, "Article")?;
            let reply = self
                .api
                .call(Method::POST, self.url(&["articles"]), Some(body))
                .await?;
            if !reply.status.is_success() {
                return Err(refused(&reply, &format!("article '{number}'")));
            }
        }
        Ok(())
    }

    /// `PUT /3/invoices/{n}/{action}` (`credit`, `cancel`, `bookkeep`): the
    /// invoice as Fortnox answers.
    async fn act(&self, number: &str, action: &str, what: &str) -> Result<Value, ConnectorError> {
        let reply = self
            .api
            .call(Method::PUT, self.url(&["invoices", number, action]), None)
            .await?;
        if !reply.status.is_success() {
            return Err(refused(&reply, what));
        }
        Self::json(reply, what)?
            .get("Invoice")
            .cloned()
            .ok_or_else(|| missing("Invoice", what))
    }

    /// Credits all of booked invoice `number` (`PUT …/credit`) and gives
    /// the credit invoice's number. Refused in words, without asking Fortnox
    /// to, when the invoice is credited already or not booked.
    pub async fn credit_whole(&self, number: &str) -> Result<String, ConnectorError> {
        let original = self.invoice(number).await?;
        if let Some(credit) = credit_reference(&original) {
            return Err(ConnectorError::permanent(format!(
                "invoice {number} was already credited by credit invoice {credit}: {SYSTEM} \
                 credits an invoice once — a further refund is a new invoice with negative rows"
            )));
        }
        if !flag(&original, "Booked") {
            return Err(ConnectorError::permanent(format!(
                "invoice {number} is not booked: {SYSTEM} credits booked invoices only — an \
                 unbooked invoice is cancelled or changed instead"
            )));
        }
        let answer = self
            .act(number, "credit", &format!("credit of invoice {number}"))
            .await?;
        credit_reference(&answer).ok_or_else(|| missing("CreditInvoiceReference", "credit"))
    }

    /// Cancels unbooked invoice `number` (`PUT …/cancel`).
    pub async fn cancel_invoice(&self, number: &str) -> Result<(), ConnectorError> {
        self.act(
            number,
            "cancel",
            &format!("cancellation of invoice {number}"),
        )
        .await
        .map(|_| ())
    }

    /// Rewrites unbooked invoice `number` (`PUT /3/invoices/{n}`); refused
    /// in words by Fortnox once it is booked.
    pub async fn update_invoice(
        &self,
        number: &str,
        document: &Document,
    ) -> Result<Delivered, ConnectorError> {
        let sent = Self::envelope(document, "Invoice")?;
        self.put_invoice(number, sent).await
    }

    async fn put_invoice(&self, number: &str, sent: Vec<u8>) -> Result<Delivered, ConnectorError> {
        let what = format!("update of invoice {number}");
        let reply = self
            .api
            .call(
                Method::PUT,
                self.url(&["invoices", number]),
                Some(sent.clone()),
            )
            .await?;
        if !reply.status.is_success() {
            return Err(refused(&reply, &what));
        }
        Self::json(reply, &what)?;
        Ok(Delivered {
            number: number.to_owned(),
            sent,
            warnings: Vec::new(),
        })
    }

    /// Rewrites the copy `/credit` made: its rows keep their `RowId`s in
    /// order (rows left out of a PUT with `RowId`s are removed), so the
    /// credit invoice ends with exactly the refund's rows.
    async fn rewrite_credit(
        &self,
        credit_number: &str,
        mut credit: FortnoxCreditInvoice,
    ) -> Result<Delivered, ConnectorError> {
        let copy = self.invoice(credit_number).await?;
        let row_ids: Vec<u64> = copy
            .get("InvoiceRows")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|row| row.get("RowId").and_then(Value::as_u64))
            .collect();
        for (row, id) in credit.invoice_rows.iter_mut().zip(row_ids) {
            row.row_id = Some(id);
        }
        let sent = Self::envelope(&credit, "Invoice")?;
        self.put_invoice(credit_number, sent).await
    }

    /// One credit invoice for `refund` of booked invoice `invoice_number`,
    /// booked when `book` (see the module's steps).
    pub async fn credit_refund(
        &self,
        refund: &Refund,
        invoice_number: &str,
        products: &CreditProducts,
        book: bool,
    ) -> Result<Delivered, ConnectorError> {
        if let Some(found) = self.find_credit_invoice(refund).await? {
            let booked =
                serde_json::from_slice::<Value>(&found.sent).is_ok_and(|doc| flag(&doc, "Booked"));
            if book && !booked {
                return self.bookkeep(&found.number, found.sent).await;
            }
            return Ok(found);
        }
        let original = self.invoice(invoice_number).await?;
        if !flag(&original, "Booked") {
            return Err(ConnectorError::permanent(format!(
                "invoice {invoice_number} is not booked: {SYSTEM} credits booked invoices only — \
                 book it first"
            )));
        }
        let customer = text_field(&original, "CustomerNumber")
            .ok_or_else(|| missing("CustomerNumber", "invoice"))?;
        let mapped = fortnox_credit_invoice(refund, invoice_number, &customer, products)?;
        self.ensure_credit_articles(&mapped.document).await?;
        for warning in &mapped.warnings {
            tracing::warn!(refund = %refund.source_id, "{warning}");
        }
        let first = match credit_reference(&original) {
            None => Some(self.credit_whole(invoice_number).await?),
            Some(credit) => {
                // A copy `/credit` made that no refund claimed: a crash
                // before its rewrite. Anything else is another refund's.
                let copy = self.invoice(&credit).await?;
                let claimed = text_field(&copy, "ExternalInvoiceReference1")
                    .is_some_and(|r| r.contains("/R"));
                let unfinished = !claimed && !flag(&copy, "Booked") && !flag(&copy, "Cancelled");
                unfinished.then_some(credit)
            }
        };
        let delivered = match first {
            Some(credit) => self.rewrite_credit(&credit, mapped.document).await?,
            None => {
                let sent = Self::envelope(&mapped.document, "Invoice")?;
                let reply = self
                    .api
                    .call(Method::POST, self.url(&["invoices"]), Some(sent.clone()))
                    .await?;
                let created = Self::json(reply, "credit invoice")?;
                let number = created
                    .get("Invoice")
                    .and_then(|doc| text_field(doc, "DocumentNumber"))
                    .ok_or_else(|| missing("DocumentNumber", "credit invoice"))?;
                Delivered {
                    number,
                    sent,
                    warnings: Vec::new(),
                }
            }
        };
        let delivered = if book {
            self.bookkeep(&delivered.number, delivered.sent).await?
        } else {
            delivered
        };
        Ok(Delivered {
            warnings: mapped.warnings,
            ..delivered
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::fortnox::client::is_credit;
    use serde_json::json;

    #[test]
    fn knows_a_credit_by_its_flag_or_its_negative_total() {
        assert!(is_credit(&json!({ "Credit": true, "Total": 0 })));
        assert!(is_credit(&json!({ "Total": -125.5 })));
        assert!(is_credit(&json!({ "Total": "-125.50" })));
        assert!(!is_credit(&json!({ "Total": 125.5, "Credit": false })));
        assert!(!is_credit(&json!({})));
    }

    #[test]
    fn a_zero_credit_reference_is_none() {
        assert_eq!(
            credit_reference(&json!({ "CreditInvoiceReference": "0" })),
            None
        );
        assert_eq!(
            credit_reference(&json!({ "CreditInvoiceReference": 0 })),
            None
        );
        assert_eq!(
            credit_reference(&json!({ "CreditInvoiceReference": "17" })).as_deref(),
            Some("17")
        );
    }
}
