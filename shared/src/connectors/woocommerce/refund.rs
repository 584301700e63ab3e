//! WooCommerce REST v3 order refunds read into the canonical refund:
//! `GET /wp-json/wc/v3/orders/{id}/refunds` (a list) and
//! `GET …/refunds/{refund_id}` (one). A refund belongs to an order Ferry
//! already has, so it is read against the canonical order.
//!
//! Choices worth knowing (see docs/REFUNDS.md for the sources):
//! - WooCommerce writes a refund's lines as the order's lines with the sign
//!   turned: `quantity` −1, `total` "−9.00", `total_tax` "−2.25". The
//!   canonical refund states them positive; a line with a positive amount
//!   is refused in words (it is not a refund);
//! - `shipping_lines` and `fee_lines` are read like `line_items` (they are
//!   in WooCommerce's controller, not in its docs);
//! - `_refunded_item_id` in a line's `meta_data` names the order line;
//! - `amount` (positive) is the money given back; what is not on a line is
//!   the amount-only part (a refund of an amount has `line_items: []`);
//! - the `refunds` summary inside an order (`{id, reason|refund, total}`)
//!   carries no lines: the flow reads the refunds list for those.

use super::html::decode_text;
use crate::connectors::webshop::{money, non_blank, parse_json, value_text, Amount, Timestamp};
use crate::connectors::ParseError;
use crate::model::refund::{settle, single_tax_rate, Refund, RefundLine};
use crate::model::{LineKind, Order};
use rust_decimal::Decimal;
use serde::Deserialize;

/// One refund (`GET …/orders/{id}/refunds/{refund_id}`) of `order`.
pub fn parse_refund(body: &[u8], order: &Order) -> Result<Refund, ParseError> {
    parse_json::<WooRefund>(body)?.into_canonical(order)
}

/// The refunds list of `order` (`GET …/orders/{id}/refunds`), as listed.
pub fn parse_refunds(body: &[u8], order: &Order) -> Result<Vec<Refund>, ParseError> {
    parse_json::<Vec<WooRefund>>(body)?
        .into_iter()
        .enumerate()
        .map(|(i, refund)| {
            refund
                .into_canonical(order)
                .map_err(|e| ParseError(format!("[{i}]: {}", e.0)))
        })
        .collect()
}

#[derive(Deserialize)]
struct WooRefund {
    id: u64,
    date_created_gmt: Option<Timestamp>,
    date_created: Option<Timestamp>,
    amount: Amount,
    reason: Option<String>,
    line_items: Option<Vec<RefundItem>>,
    shipping_lines: Option<Vec<RefundItem>>,
    fee_lines: Option<Vec<RefundItem>>,
}

/// A refunded product, shipping or fee line: the fields the three share
/// (a shipping line's name is `method_title`).
#[derive(Deserialize)]
struct RefundItem {
    name: Option<String>,
    method_title: Option<String>,
    sku: Option<String>,
    quantity: Option<Amount>,
    total: Amount,
    total_tax: Option<Amount>,
    meta_data: Option<Vec<Meta>>,
}

#[derive(Deserialize)]
struct Meta {
    key: Option<String>,
    value: Option<serde_json::Value>,
}

/// A refund line's amount, stated negative by WooCommerce, as given back.
fn given_back(amount: Decimal, what: &str) -> Result<Decimal, ParseError> {
    if amount > Decimal::ZERO {
        return Err(ParseError(format!(
            "{what}: a refund's line is negative in WooCommerce, not {amount}"
        )));
    }
    money::sub(Decimal::ZERO, amount)
}

impl WooRefund {
    fn into_canonical(self, order: &Order) -> Result<Refund, ParseError> {
        let created_at = self
            .date_created_gmt
            .or(self.date_created)
            .ok_or_else(|| ParseError("date_created_gmt: the refund has no date".into()))?
            .0;
        if self.amount.0.is_sign_negative() && !self.amount.0.is_zero() {
            return Err(ParseError(format!(
                "amount: a refund's amount is positive in WooCommerce, not {}",
                self.amount.0
            )));
        }
        let rate = single_tax_rate(order);
        let mut lines = Vec::new();
        for (field, kind, items) in [
            ("line_items", LineKind::Product, self.line_items),
            ("shipping_lines", LineKind::Shipping, self.shipping_lines),
            ("fee_lines", LineKind::Fee, self.fee_lines),
        ] {
            for (i, item) in items.into_iter().flatten().enumerate() {
                lines.push(
                    item.into_canonical(kind, rate)
                        .map_err(|e| ParseError(format!("{field}[{i}].{}", e.0)))?,
                );
            }
        }
        let (amount_only, total) = settle(&lines, Some(self.amount.0), rate).ok_or_else(|| {
            ParseError("the refund's amounts are too large to calculate with".into())
        })?;
        Ok(Refund {
            source_id: self.id.to_string(),
            order_source_id: order.source_id.clone(),
            order_e_number: order.e_number.clone(),
            created_at,
            currency: order.currency.clone(),
            lines,
            amount_only,
            total,
            money_moved: true,
            reason: non_blank(self.reason.as_deref()),
        })
    }
}

impl RefundItem {
    fn into_canonical(
        self,
        kind: LineKind,
        order_rate: Option<Decimal>,
    ) -> Result<RefundLine, ParseError> {
        let net = given_back(self.total.0, "total")?;
        let tax = given_back(self.total_tax.unwrap_or_default().0, "total_tax")?;
        let quantity = match (kind, self.quantity) {
            (LineKind::Product, Some(quantity)) => given_back(quantity.0, "quantity")?,
            _ => Decimal::ONE,
        };
        // The order's one rate when the line's tax is that rate (to the
        // cent); no tax is 0 %; otherwise the ledger works it out.
        let tax_rate = if tax.is_zero() {
            Some(Decimal::ZERO)
        } else {
            order_rate.filter(|rate| {
                net.checked_mul(*rate)
                    .and_then(|expected| expected.checked_sub(tax))
                    .is_some_and(|gap| gap.abs() <= Decimal::new(1, 2))
            })
        };
        let order_line_id = self
            .meta_data
            .iter()
            .flatten()
            .find(|m| m.key.as_deref() == Some("_refunded_item_id"))
            .and_then(|m| m.value.as_ref())
            .map(value_text)
            .and_then(|id| non_blank(Some(&id)));
        let title = non_blank(self.name.as_deref())
            .or_else(|| non_blank(self.method_title.as_deref()))
            .map_or_else(
                || match kind {
                    LineKind::Shipping => "Shipping".to_owned(),
                    LineKind::Fee => "Fee".to_owned(),
                    _ => String::new(),
                },
                |t| decode_text(&t),
            );
        Ok(RefundLine {
            kind,
            order_line_id,
            sku: non_blank(self.sku.as_deref()),
            title,
            quantity,
            net,
            tax,
            tax_rate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::tests::{d, line, order};
    use serde_json::json;

    fn mug_order() -> Order {
        let mut order = order(vec![
            line(LineKind::Product, Some("MUG"), "Mug", "2", "80.00"),
            line(LineKind::Shipping, None, "PostNord", "1", "40.00"),
        ]);
        order.source_id = "727".into();
        order.e_number = "727".into();
        order
    }

    fn refund_with_lines() -> serde_json::Value {
        json!({
            "id": 726, "date_created": "2026-11-02T11:15:00", "date_created_gmt": "2026-11-02T10:15:00",
            "amount": "150.00", "reason": "Broke in the post", "refunded_by": 1, "refunded_payment": true,
            "meta_data": [],
            "line_items": [ {
                "id": 314, "name": "Mug &amp; saucer", "product_id": 93, "variation_id": 0,
                "quantity": -1, "tax_class": "", "subtotal": "-80.00", "subtotal_tax": "-20.00",
                "total": "-80.00", "total_tax": "-20.00",
                "taxes": [ { "id": 1, "total": "-20", "subtotal": "-20" } ],
                "meta_data": [ { "id": 2961, "key": "_refunded_item_id", "value": "311" } ],
                "sku": "MUG", "price": -80
            } ],
            "shipping_lines": [ {
                "id": 315, "method_title": "PostNord", "method_id": "flat_rate",
                "total": "-40.00", "total_tax": "-10.00",
                "taxes": [ { "id": 1, "total": "-10" } ],
                "meta_data": [ { "key": "_refunded_item_id", "value": 312 } ]
            } ],
            "fee_lines": []
        })
    }

    #[test]
    fn reads_a_refund_of_a_line_and_shipping_as_given_back() {
        let body = serde_json::to_vec(&refund_with_lines()).unwrap();
        let refund = parse_refund(&body, &mug_order()).unwrap();
        assert_eq!(refund.source_id, "726");
        assert_eq!(refund.ledger_key(), "727/R726");
        assert_eq!(refund.created_at.to_rfc3339(), "2026-11-02T10:15:00+00:00");
        let mug = &refund.lines[0];
        assert_eq!(mug.title, "Mug & saucer");
        assert_eq!(mug.order_line_id.as_deref(), Some("311"));
        assert_eq!(
            (mug.quantity, mug.net, mug.tax),
            (d("1"), d("80.00"), d("20.00"))
        );
        assert_eq!(mug.tax_rate, Some(d("0.25")));
        let shipping = &refund.lines[1];
        assert_eq!(shipping.kind, LineKind::Shipping);
        assert_eq!(shipping.order_line_id.as_deref(), Some("312"));
        assert_eq!((shipping.net, shipping.tax), (d("40.00"), d("10.00")));
        assert_eq!(refund.amount_only, None);
        assert_eq!(refund.total, d("150.00"));
    }

    #[test]
    fn an_amount_refund_is_the_amount_only_part() {
        let list = json!([
            refund_with_lines(),
            { "id": 730, "date_created_gmt": "2026-11-04T08:00:00", "amount": "10.00",
              "reason": "", "line_items": [] }
        ]);
        let refunds = parse_refunds(&serde_json::to_vec(&list).unwrap(), &mug_order()).unwrap();
        assert_eq!(refunds.len(), 2);
        let amount = &refunds[1];
        assert!(amount.lines.is_empty());
        assert_eq!(amount.reason, None);
        let part = amount.amount_only.clone().unwrap();
        assert_eq!(
            (part.net, part.tax, part.gross()),
            (d("8.00"), d("2.00"), d("10.00"))
        );
        assert_eq!(amount.total, d("10.00"));
    }

    #[test]
    fn refuses_bad_bodies_in_words_without_panicking() {
        let order = mug_order();
        let mut positive = refund_with_lines();
        positive["line_items"][0]["total"] = json!("80.00");
        let error = parse_refund(&serde_json::to_vec(&positive).unwrap(), &order).unwrap_err();
        assert!(
            error
                .0
                .contains("line_items[0].total: a refund's line is negative"),
            "{error}"
        );
        let mut negative = refund_with_lines();
        negative["amount"] = json!("-150.00");
        let error = parse_refund(&serde_json::to_vec(&negative).unwrap(), &order).unwrap_err();
        assert!(
            error.0.contains("amount: a refund's amount is positive"),
            "{error}"
        );
        let error = parse_refund(br#"{"id": 1, "amount": "1.00"}"#, &order).unwrap_err();
        assert!(error.0.contains("the refund has no date"), "{error}");
        for junk in [
            &b""[..],
            b"[]",
            b"{\"id\": -1}",
            b"{\"id\": 1, \"amount\": \"x\"}",
            &[0xff],
        ] {
            assert!(parse_refund(junk, &order).is_err());
        }
        assert!(parse_refunds(b"{}", &order).is_err());
        assert!(parse_refunds(b"[]", &order).unwrap().is_empty());
    }
}
