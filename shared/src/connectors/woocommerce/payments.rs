//! WooCommerce's payment of an order, read from the order itself (no call
//! to the shop): WooCommerce sets `date_paid` / `date_paid_gmt` when the
//! order is paid (the gateway confirmed it, or the merchant marked a bank
//! transfer or cash-on-delivery order processing or completed), names the
//! gateway in `payment_method` (`stripe`, `paypal`, `bacs`, `cod`, ...) and
//! the gateway's own id in `transaction_id` (empty for gateways without one).
//!
//! One payment per paid order, of its `total`: keyed by `transaction_id`
//! when there is one, else by the order's id (`order-<id>`), so the same
//! paid order read again (webhook, poll) is the same payment. An order
//! without `date_paid` is not paid yet: nothing is recorded.

use crate::connectors::webshop::{non_blank, parse_json, Amount, Timestamp};
use crate::connectors::ParseError;
use crate::model::{Order, Payment};
use serde::Deserialize;

#[derive(Deserialize)]
struct PaidOrder {
    id: u64,
    date_paid_gmt: Option<Timestamp>,
    date_paid: Option<Timestamp>,
    payment_method: Option<String>,
    transaction_id: Option<String>,
    total: Amount,
    currency: String,
}

/// The payment of the order `raw` (as the shop sent it), when it was paid.
pub fn of_order(order: &Order, raw: &[u8]) -> Result<Vec<Payment>, ParseError> {
    // A date the shop left empty ("date_paid": "") reads as not paid.
    let value: serde_json::Value = parse_json(raw)?;
    let blank = |field: &str| value.get(field).and_then(|v| v.as_str()) == Some("");
    if blank("date_paid_gmt") && blank("date_paid") {
        return Ok(Vec::new());
    }
    let paid: PaidOrder = parse_json(raw)?;
    let Some(at) = paid.date_paid_gmt.or(paid.date_paid) else {
        return Ok(Vec::new());
    };
    let transaction_id =
        non_blank(paid.transaction_id.as_deref()).unwrap_or_else(|| format!("order-{}", paid.id));
    Ok(vec![Payment {
        transaction_id,
        order_source_id: order.source_id.clone(),
        order_e_number: order.e_number.clone(),
        gateway: non_blank(paid.payment_method.as_deref()).unwrap_or_else(|| "unknown".into()),
        amount: paid.total.0,
        currency: paid.currency,
        paid_at: at.0,
        gift_card: false,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::tests::{line, order};
    use crate::model::LineKind;
    use serde_json::json;

    fn woo(fields: serde_json::Value) -> Vec<u8> {
        let mut body = json!({"id": 727, "total": "100.00", "currency": "EUR"});
        for (key, value) in fields.as_object().unwrap() {
            body[key] = value.clone();
        }
        serde_json::to_vec(&body).unwrap()
    }

    #[test]
    fn a_paid_order_is_one_payment_keyed_by_its_transaction_else_its_id() {
        let order = order(vec![line(
            LineKind::Product,
            Some("A"),
            "Mug",
            "1",
            "80.00",
        )]);
        let paid = woo(
            json!({"date_paid_gmt": "2026-11-23T10:00:00", "payment_method": "stripe",
            "transaction_id": "ch_3Mx"}),
        );
        let payments = of_order(&order, &paid).unwrap();
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0].transaction_id, "ch_3Mx");
        assert_eq!(payments[0].gateway, "stripe");
        assert_eq!(payments[0].amount.to_string(), "100.00");

        let bank = woo(
            json!({"date_paid_gmt": "2026-11-23T10:00:00", "payment_method": "bacs",
            "transaction_id": ""}),
        );
        assert_eq!(
            of_order(&order, &bank).unwrap()[0].transaction_id,
            "order-727"
        );
    }

    #[test]
    fn an_order_without_date_paid_is_not_paid() {
        let order = order(vec![line(
            LineKind::Product,
            Some("A"),
            "Mug",
            "1",
            "80.00",
        )]);
        let cod = woo(json!({"payment_method": "cod", "date_paid": null, "date_paid_gmt": null}));
        assert!(of_order(&order, &cod).unwrap().is_empty());
        let blank = woo(json!({"payment_method": "cod", "date_paid": "", "date_paid_gmt": ""}));
        assert!(of_order(&order, &blank).unwrap().is_empty());
    }
}
