//! Shopify's payments: an order's transactions (`Transaction` resource,
//! `GET /admin/api/{version}/orders/{id}/transactions.json`, answered as
//! `{"transactions": [...]}`) and the `order_transactions/create` webhook,
//! whose body is one transaction.
//!
//! Fields relied on (Shopify's REST Transaction resource): `id`,
//! `order_id`, `kind` (`authorization`, `sale`, `capture`, `void`,
//! `refund`), `status` (`pending`, `failure`, `success`, `error`),
//! `gateway` (`shopify_payments`, `paypal`, `gift_card`, `manual`, ...),
//! `amount` (decimal text), `currency`, `processed_at` / `created_at`.
//!
//! A payment is a `sale` or `capture` with status `success`; an
//! authorization is not money received, and a `manual` (bank transfer,
//! cash on delivery) order has no successful sale until the merchant marks
//! it paid. An order is asked for its transactions only while its
//! `financial_status` says money came in.

use super::super::webshop::{non_blank, parse_json, Amount, Timestamp};
use super::super::ParseError;
use crate::model::{Order, Payment, GIFT_CARD_GATEWAY};
use serde::Deserialize;

/// The topic of Shopify's transaction webhook.
pub const TRANSACTION_TOPIC: &str = "order_transactions/create";

/// The `financial_status` values of an order that has received money.
const PAID_STATES: &[&str] = &["paid", "partially_paid", "partially_refunded", "refunded"];

/// Whether the order (its state is its `financial_status`) was paid.
pub fn is_paid(order: &Order) -> bool {
    PAID_STATES.contains(&order.state.as_str())
}

#[derive(Deserialize)]
struct Transaction {
    id: u64,
    order_id: Option<u64>,
    kind: Option<String>,
    status: Option<String>,
    gateway: Option<String>,
    amount: Amount,
    currency: Option<String>,
    processed_at: Option<Timestamp>,
    created_at: Option<Timestamp>,
}

#[derive(Deserialize)]
struct Transactions {
    transactions: Vec<Transaction>,
}

impl Transaction {
    /// The payment it is, when it is money received; `order` fills what a
    /// transaction does not carry (the order's number, its currency).
    fn payment(self, order: Option<&Order>) -> Result<Option<Payment>, ParseError> {
        let kind = self.kind.as_deref().unwrap_or_default();
        let succeeded = self.status.as_deref() == Some("success");
        if !matches!(kind, "sale" | "capture") || !succeeded {
            return Ok(None);
        }
        let order_id = match (self.order_id, order) {
            (Some(id), _) => id.to_string(),
            (None, Some(order)) => order.source_id.clone(),
            (None, None) => {
                return Err(ParseError(format!(
                    "transaction {} does not name its order (order_id)",
                    self.id
                )))
            }
        };
        let Some(at) = self.processed_at.or(self.created_at) else {
            return Err(ParseError(format!(
                "transaction {} has no time (processed_at)",
                self.id
            )));
        };
        let currency = non_blank(self.currency.as_deref())
            .or_else(|| order.map(|o| o.currency.clone()))
            .ok_or_else(|| ParseError(format!("transaction {} has no currency", self.id)))?;
        let gateway = non_blank(self.gateway.as_deref()).unwrap_or_else(|| "unknown".into());
        Ok(Some(Payment {
            transaction_id: self.id.to_string(),
            order_source_id: order_id,
            order_e_number: order.map(|o| o.e_number.clone()).unwrap_or_default(),
            gift_card: gateway == GIFT_CARD_GATEWAY,
            gateway,
            amount: self.amount.0,
            currency,
            paid_at: at.0,
        }))
    }
}

/// The payment of an `order_transactions/create` body (none when the
/// transaction is no money received).
pub fn parse_webhook(body: &[u8]) -> Result<Vec<Payment>, ParseError> {
    let transaction: Transaction =
        parse_json(body).map_err(|e| ParseError(format!("not a Shopify transaction: {e}")))?;
    Ok(transaction.payment(None)?.into_iter().collect())
}

/// The payments among an order's transactions list.
pub fn parse_list(body: &[u8], order: &Order) -> Result<Vec<Payment>, ParseError> {
    let list: Transactions = parse_json(body)
        .map_err(|e| ParseError(format!("not a list of Shopify transactions: {e}")))?;
    let mut payments = Vec::new();
    for transaction in list.transactions {
        payments.extend(transaction.payment(Some(order))?);
    }
    Ok(payments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn transaction(kind: &str, status: &str, gateway: &str) -> serde_json::Value {
        json!({
            "id": 389404469, "order_id": 450789469, "kind": kind, "status": status,
            "gateway": gateway, "amount": "409.94", "currency": "DKK",
            "processed_at": "2024-05-17T22:31:00+02:00"
        })
    }

    #[test]
    fn a_successful_sale_or_capture_is_a_payment_and_nothing_else_is() {
        let body = serde_json::to_vec(&transaction("sale", "success", "shopify_payments")).unwrap();
        let payments = parse_webhook(&body).unwrap();
        assert_eq!(payments.len(), 1);
        let paid = &payments[0];
        assert_eq!(paid.transaction_id, "389404469");
        assert_eq!(paid.order_source_id, "450789469");
        assert_eq!(paid.order_e_number, "");
        assert_eq!(paid.amount.to_string(), "409.94");
        assert_eq!(paid.paid_at.to_rfc3339(), "2024-05-17T20:31:00+00:00");
        assert!(!paid.gift_card);

        for (kind, status) in [
            ("authorization", "success"),
            ("sale", "pending"),
            ("refund", "success"),
            ("capture", "failure"),
        ] {
            let body = serde_json::to_vec(&transaction(kind, status, "manual")).unwrap();
            assert!(parse_webhook(&body).unwrap().is_empty(), "{kind} {status}");
        }
    }

    #[test]
    fn a_gift_card_transaction_is_a_gift_card_payment_and_a_body_without_an_id_is_refused() {
        let body = serde_json::to_vec(&transaction("sale", "success", "gift_card")).unwrap();
        assert!(parse_webhook(&body).unwrap()[0].gift_card);
        assert!(parse_webhook(br#"{"kind": "sale"}"#).is_err());
    }
}
