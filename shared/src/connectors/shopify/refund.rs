//! Shopify's REST `Refund` resource read into the canonical refund: the
//! `refunds/create` webhook body (the bare refund), `GET …/refunds/{id}.json`
//! (`{"refund": …}`), and the `refunds` of an order (`GET orders/{id}.json`,
//! the `orders/*` bodies). A refund names its order only by id, so it is
//! read against the canonical order Ferry already has.
//!
//! Choices worth knowing (see docs/REFUNDS.md for the sources):
//! - a refunded line is its `subtotal` (after the line's discount, excluding
//!   tax, as Shopify's reference example shows) and `total_tax`, the shop's
//!   money (`*_set.shop_money`) when given; whether `subtotal` includes tax
//!   on a `taxes_included` order is unverified: if it does, the gap to the
//!   money shows as a negative amount-only part rather than going unseen;
//! - refunded shipping is `refund_shipping_lines` (API 2024-10 on); the tax
//!   is `tax_amount_set` when present, else the shipping line's own tax for
//!   a whole refund, else the net at the shipping line's rate. Older bodies
//!   carry it as an `order_adjustments` entry of kind `shipping_refund`
//!   (sign varies between examples: its size is taken), read only when
//!   there are no refund shipping lines;
//! - the money is the sum of the `transactions` of kind `refund` with status
//!   `success`; what is not on a line (a `refund_discrepancy`, for one) is
//!   the amount-only part, so the adjustments' signs never matter. A refund
//!   without such a transaction moved no money (`money_moved: false`).

use crate::connectors::webshop::{money, non_blank, parse_json, Amount, Timestamp};
use crate::connectors::ParseError;
use crate::model::refund::{settle, single_tax_rate, Refund, RefundLine};
use crate::model::{LineKind, Order};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A refund body (bare, or wrapped in `{"refund": …}`) of `order`.
pub fn parse_refund(body: &[u8], order: &Order) -> Result<Refund, ParseError> {
    #[derive(Deserialize)]
    struct Wrapped {
        refund: ShopifyRefund,
    }
    let top_level: BTreeMap<String, IgnoredAny> =
        parse_json(body).map_err(|e| ParseError(format!("not a Shopify refund: {e}")))?;
    let refund = if top_level.contains_key("refund") {
        parse_json::<Wrapped>(body)?.refund
    } else {
        parse_json::<ShopifyRefund>(body)?
    };
    refund.into_canonical(order)
}

/// The refunds inside an order body (bare, or wrapped in `{"order": …}`),
/// oldest first as Shopify lists them; none when it has none.
pub fn parse_order_refunds(body: &[u8], order: &Order) -> Result<Vec<Refund>, ParseError> {
    #[derive(Deserialize)]
    struct Refunds {
        refunds: Option<Vec<ShopifyRefund>>,
    }
    #[derive(Deserialize)]
    struct Wrapped {
        order: Refunds,
    }
    let top_level: BTreeMap<String, IgnoredAny> =
        parse_json(body).map_err(|e| ParseError(format!("not a Shopify order: {e}")))?;
    let refunds = if top_level.contains_key("order") {
        parse_json::<Wrapped>(body)?.order
    } else {
        parse_json::<Refunds>(body)?
    };
    refunds
        .refunds
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, refund)| {
            refund
                .into_canonical(order)
                .map_err(|e| ParseError(format!("refunds[{i}]: {}", e.0)))
        })
        .collect()
}

#[derive(Deserialize)]
struct ShopifyRefund {
    id: u64,
    order_id: Option<u64>,
    created_at: Option<Timestamp>,
    processed_at: Option<Timestamp>,
    note: Option<String>,
    refund_line_items: Option<Vec<RefundLineItem>>,
    refund_shipping_lines: Option<Vec<RefundShippingLine>>,
    order_adjustments: Option<Vec<OrderAdjustment>>,
    transactions: Option<Vec<Transaction>>,
}

#[derive(Deserialize)]
struct RefundLineItem {
    line_item_id: Option<u64>,
    quantity: Amount,
    subtotal: Option<Amount>,
    subtotal_set: Option<MoneySet>,
    total_tax: Option<Amount>,
    total_tax_set: Option<MoneySet>,
    line_item: Option<LineItem>,
}

#[derive(Deserialize)]
struct LineItem {
    sku: Option<String>,
    name: Option<String>,
    title: Option<String>,
    tax_lines: Option<Vec<TaxLine>>,
}

#[derive(Deserialize)]
struct RefundShippingLine {
    shipping_line_id: Option<u64>,
    subtotal_amount_set: Option<MoneySet>,
    tax_amount_set: Option<MoneySet>,
    shipping_line: Option<ShippingLine>,
}

#[derive(Deserialize)]
struct ShippingLine {
    title: Option<String>,
    code: Option<String>,
    price: Option<Amount>,
    discounted_price: Option<Amount>,
    tax_lines: Option<Vec<TaxLine>>,
}

#[derive(Deserialize)]
struct TaxLine {
    price: Option<Amount>,
    rate: Option<Amount>,
}

#[derive(Deserialize)]
struct OrderAdjustment {
    kind: Option<String>,
    amount: Option<Amount>,
    amount_set: Option<MoneySet>,
    tax_amount: Option<Amount>,
    tax_amount_set: Option<MoneySet>,
}

#[derive(Deserialize)]
struct Transaction {
    kind: Option<String>,
    status: Option<String>,
    amount: Amount,
}

#[derive(Deserialize)]
struct MoneySet {
    shop_money: Money,
}

#[derive(Deserialize)]
struct Money {
    amount: Amount,
}

/// The shop's money when Shopify sends the `*_set`, else the plain field.
fn shop_money(set: Option<&MoneySet>, plain: Option<Amount>) -> Option<Decimal> {
    set.map(|s| s.shop_money.amount.0).or(plain.map(|a| a.0))
}

fn rate_of(tax_lines: Option<&[TaxLine]>, tax: Decimal) -> Result<Option<Decimal>, ParseError> {
    match tax_lines {
        Some(lines) if !lines.is_empty() => Ok(Some(money::sum(
            lines.iter().map(|t| t.rate.unwrap_or_default().0),
        )?)),
        // No tax lines and no tax: none was charged.
        _ => Ok(tax.is_zero().then_some(Decimal::ZERO)),
    }
}

fn positive(amount: Decimal, what: &str) -> Result<Decimal, ParseError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(ParseError(format!(
            "{what}: a refunded amount or quantity cannot be negative ({amount})"
        )));
    }
    Ok(amount)
}

impl ShopifyRefund {
    fn into_canonical(self, order: &Order) -> Result<Refund, ParseError> {
        if let Some(order_id) = self.order_id {
            if order_id.to_string() != order.source_id {
                return Err(ParseError(format!(
                    "order_id: the refund is of order {order_id}, not of order {} ({})",
                    order.source_id, order.e_number
                )));
            }
        }
        let created_at = self
            .processed_at
            .or(self.created_at)
            .ok_or_else(|| ParseError("created_at: the refund has no date".into()))?
            .0;
        let mut lines = Vec::new();
        for (i, item) in self.refund_line_items.into_iter().flatten().enumerate() {
            lines.push(
                item.into_canonical()
                    .map_err(|e| ParseError(format!("refund_line_items[{i}]: {}", e.0)))?,
            );
        }
        let shipping_lines = self.refund_shipping_lines.unwrap_or_default();
        let had_shipping_lines = !shipping_lines.is_empty();
        for (i, shipping) in shipping_lines.into_iter().enumerate() {
            lines.push(
                shipping
                    .into_canonical()
                    .map_err(|e| ParseError(format!("refund_shipping_lines[{i}]: {}", e.0)))?,
            );
        }
        if !had_shipping_lines {
            for adjustment in self.order_adjustments.iter().flatten() {
                if adjustment.kind.as_deref() == Some("shipping_refund") {
                    lines.push(adjustment.shipping()?);
                }
            }
        }
        let refunds: Vec<&Transaction> = self
            .transactions
            .iter()
            .flatten()
            .filter(|t| {
                t.kind.as_deref() == Some("refund") && t.status.as_deref() == Some("success")
            })
            .collect();
        let paid_back = if refunds.is_empty() {
            None
        } else {
            Some(money::sum(refunds.iter().map(|t| t.amount.0))?)
        };
        let (amount_only, total) =
            settle(&lines, paid_back, single_tax_rate(order)).ok_or_else(|| {
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
            money_moved: paid_back.is_some(),
            reason: non_blank(self.note.as_deref()),
        })
    }
}

impl RefundLineItem {
    fn into_canonical(self) -> Result<RefundLine, ParseError> {
        let item = self.line_item.unwrap_or(LineItem {
            sku: None,
            name: None,
            title: None,
            tax_lines: None,
        });
        let net = positive(
            shop_money(self.subtotal_set.as_ref(), self.subtotal).unwrap_or_default(),
            "subtotal",
        )?;
        let tax = positive(
            shop_money(self.total_tax_set.as_ref(), self.total_tax).unwrap_or_default(),
            "total_tax",
        )?;
        Ok(RefundLine {
            kind: LineKind::Product,
            order_line_id: self.line_item_id.map(|id| id.to_string()),
            sku: non_blank(item.sku.as_deref()),
            title: non_blank(item.name.as_deref())
                .or_else(|| non_blank(item.title.as_deref()))
                .unwrap_or_default(),
            quantity: positive(self.quantity.0, "quantity")?,
            net,
            tax,
            tax_rate: rate_of(item.tax_lines.as_deref(), tax)?,
        })
    }
}

impl RefundShippingLine {
    fn into_canonical(self) -> Result<RefundLine, ParseError> {
        let shipping = self.shipping_line;
        let net = positive(
            shop_money(self.subtotal_amount_set.as_ref(), None).unwrap_or_default(),
            "subtotal_amount_set",
        )?;
        let tax_lines = shipping.as_ref().and_then(|s| s.tax_lines.as_deref());
        let charged_tax = money::sum(
            tax_lines
                .unwrap_or_default()
                .iter()
                .map(|t| t.price.unwrap_or_default().0),
        )?;
        let rate = rate_of(tax_lines, charged_tax)?;
        let tax = match shop_money(self.tax_amount_set.as_ref(), None) {
            Some(tax) => tax,
            None => {
                let charged_on = shipping
                    .as_ref()
                    .and_then(|s| s.discounted_price.or(s.price))
                    .map(|a| a.0);
                if charged_on == Some(net) {
                    charged_tax
                } else {
                    money::mul(net, rate.unwrap_or_default())?
                        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
                }
            }
        };
        let title = shipping
            .as_ref()
            .and_then(|s| non_blank(s.title.as_deref()).or_else(|| non_blank(s.code.as_deref())))
            .unwrap_or_else(|| "Shipping".into());
        Ok(RefundLine {
            kind: LineKind::Shipping,
            order_line_id: self.shipping_line_id.map(|id| id.to_string()),
            sku: None,
            title,
            quantity: Decimal::ONE,
            net,
            tax: positive(tax, "tax_amount_set")?,
            tax_rate: rate,
        })
    }
}

impl OrderAdjustment {
    /// A pre-2024-10 shipping refund; its sign varies, its size does not.
    fn shipping(&self) -> Result<RefundLine, ParseError> {
        let net = shop_money(self.amount_set.as_ref(), self.amount)
            .unwrap_or_default()
            .abs();
        let tax = shop_money(self.tax_amount_set.as_ref(), self.tax_amount)
            .unwrap_or_default()
            .abs();
        Ok(RefundLine {
            kind: LineKind::Shipping,
            order_line_id: None,
            sku: None,
            title: "Shipping".into(),
            quantity: Decimal::ONE,
            net,
            tax,
            tax_rate: if tax.is_zero() {
                Some(Decimal::ZERO)
            } else {
                None
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::tests::{d, line, order};
    use serde_json::json;

    /// The order the refunds are of: two mugs at 80.00 + 25 % and shipping.
    fn mug_order() -> Order {
        order(vec![
            line(LineKind::Product, Some("MUG"), "Mug", "2", "80.00"),
            line(LineKind::Shipping, None, "PostNord", "1", "40.00"),
        ])
    }

    fn money_set(amount: &str) -> serde_json::Value {
        json!({ "shop_money": { "amount": amount, "currency_code": "DKK" },
                "presentment_money": { "amount": amount, "currency_code": "DKK" } })
    }

    fn refund_line_item() -> serde_json::Value {
        json!({
            "id": 104689539, "line_item_id": 703073504, "location_id": 487838322,
            "quantity": 1, "restock_type": "return",
            "subtotal": 80.0, "subtotal_set": money_set("80.00"),
            "total_tax": 20.0, "total_tax_set": money_set("20.00"),
            "line_item": { "id": 703073504, "sku": "MUG", "name": "Mug - blue", "title": "Mug",
                "price": "80.00", "quantity": 2, "current_quantity": 1,
                "tax_lines": [ { "price": "40.00", "rate": 0.25, "title": "Moms" } ] }
        })
    }

    fn transaction(amount: &str, status: &str) -> serde_json::Value {
        json!({ "id": 179259969, "order_id": 450789469, "kind": "refund", "status": status,
                "amount": amount, "currency": "DKK", "gateway": "shopify_payments",
                "parent_id": 801038806, "processed_at": "2026-11-02T10:15:00+01:00", "test": false })
    }

    fn body(value: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn reads_a_line_and_shipping_refund_of_api_2024_10() {
        let webhook = json!({
            "id": 509562969, "order_id": 450789469, "created_at": "2026-11-02T10:14:00+01:00",
            "processed_at": "2026-11-02T10:15:00+01:00", "note": "broke in the post",
            "restock": false, "user_id": 548380009, "duties": [], "additional_fees": [],
            "refund_line_items": [refund_line_item()],
            "refund_shipping_lines": [ {
                "id": 1058498, "shipping_line_id": 369256396,
                "subtotal_amount_set": money_set("40.00"),
                "shipping_line": { "id": 369256396, "title": "PostNord", "price": "40.00",
                    "tax_lines": [ { "price": "10.00", "rate": 0.25, "title": "Moms" } ] }
            } ],
            "order_adjustments": [],
            "transactions": [transaction("150.00", "success")]
        });
        let refund = parse_refund(&body(webhook), &mug_order()).unwrap();
        assert_eq!(refund.source_id, "509562969");
        assert_eq!(refund.order_e_number, "#1001");
        assert_eq!(refund.ledger_key(), "#1001/R509562969");
        assert_eq!(refund.created_at.to_rfc3339(), "2026-11-02T09:15:00+00:00");
        assert_eq!(refund.reason.as_deref(), Some("broke in the post"));
        assert_eq!(refund.lines.len(), 2);
        let mug = &refund.lines[0];
        assert_eq!(
            (mug.kind, mug.sku.as_deref(), mug.order_line_id.as_deref()),
            (LineKind::Product, Some("MUG"), Some("703073504"))
        );
        assert_eq!(
            (mug.quantity, mug.net, mug.tax),
            (d("1"), d("80.00"), d("20.00"))
        );
        assert_eq!(mug.tax_rate, Some(d("0.25")));
        let shipping = &refund.lines[1];
        assert_eq!(shipping.kind, LineKind::Shipping);
        assert_eq!(shipping.title, "PostNord");
        assert_eq!((shipping.net, shipping.tax), (d("40.00"), d("10.00")));
        assert_eq!(refund.amount_only, None);
        assert_eq!(refund.total, d("150.00"));
        assert!(refund.money_moved);
    }

    #[test]
    fn reads_a_shipping_refund_from_an_older_order_adjustment() {
        let webhook = json!({
            "id": 11, "order_id": 450789469, "created_at": "2026-11-02T10:14:00+01:00",
            "refund_line_items": [refund_line_item()],
            "order_adjustments": [ { "id": 3, "order_id": 450789469, "refund_id": 11,
                "kind": "shipping_refund", "reason": "Shipping refund",
                "amount": "-40.00", "tax_amount": "-10.00",
                "amount_set": money_set("-40.00"), "tax_amount_set": money_set("-10.00") } ],
            "transactions": [transaction("150.00", "success")]
        });
        let refund = parse_refund(&body(json!({ "refund": webhook })), &mug_order()).unwrap();
        let shipping = &refund.lines[1];
        assert_eq!(shipping.kind, LineKind::Shipping);
        assert_eq!((shipping.net, shipping.tax), (d("40.00"), d("10.00")));
        assert_eq!(refund.amount_only, None);
        assert_eq!(refund.total, d("150.00"));
    }

    #[test]
    fn money_beyond_the_lines_is_an_amount_only_part_whatever_the_adjustment_says() {
        // 25.00 back with no line: a goodwill refund (a discrepancy adjustment).
        let webhook = json!({
            "id": 12, "order_id": 450789469, "created_at": "2026-11-03T09:00:00Z",
            "refund_line_items": [],
            "order_adjustments": [ { "id": 4, "kind": "refund_discrepancy", "reason": "Refund discrepancy",
                "amount": "-25.00", "tax_amount": "0.00" } ],
            "transactions": [transaction("25.00", "success"), transaction("5.00", "pending")]
        });
        let refund = parse_refund(&body(webhook), &mug_order()).unwrap();
        assert!(refund.lines.is_empty());
        let part = refund.amount_only.clone().unwrap();
        assert_eq!((part.net, part.tax), (d("20.00"), d("5.00")));
        assert_eq!(refund.total, d("25.00"));
    }

    #[test]
    fn a_refund_without_a_successful_transaction_moved_no_money() {
        let mut item = refund_line_item();
        item["restock_type"] = json!("cancel");
        let webhook = json!({
            "id": 13, "order_id": 450789469, "created_at": "2026-11-03T09:00:00Z",
            "refund_line_items": [item], "transactions": []
        });
        let refund = parse_refund(&body(webhook), &mug_order()).unwrap();
        assert!(!refund.money_moved);
        assert_eq!(refund.amount_only, None);
        assert_eq!(refund.total, d("100.00"));
    }

    #[test]
    fn reads_the_refunds_of_an_order_body() {
        let order_body = json!({ "order": {
            "id": 450789469, "name": "#1001", "currency": "DKK",
            "refunds": [
                { "id": 1, "order_id": 450789469, "created_at": "2026-11-02T10:14:00+01:00",
                  "refund_line_items": [refund_line_item()], "transactions": [transaction("100.00", "success")] },
                { "id": 2, "order_id": 450789469, "created_at": "2026-11-04T10:14:00+01:00",
                  "refund_line_items": [], "transactions": [transaction("12.50", "success")] }
            ]
        } });
        let refunds = parse_order_refunds(&body(order_body), &mug_order()).unwrap();
        assert_eq!(refunds.len(), 2);
        assert_eq!(refunds[0].total, d("100.00"));
        assert_eq!(refunds[1].amount_only.as_ref().unwrap().net, d("10.00"));
        let none = parse_order_refunds(br#"{"id": 450789469}"#, &mug_order()).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn refuses_bad_bodies_in_words_without_panicking() {
        let order = mug_order();
        let error = parse_refund(b"[1,2]", &order).unwrap_err();
        assert!(error.0.contains("not a Shopify refund"), "{error}");
        let error = parse_refund(
            br#"{"id": 5, "order_id": 1, "created_at": "2026-11-03T09:00:00Z"}"#,
            &order,
        )
        .unwrap_err();
        assert!(
            error.0.contains("not of order 450789469 (#1001)"),
            "{error}"
        );
        let error = parse_refund(br#"{"id": 5}"#, &order).unwrap_err();
        assert!(error.0.contains("the refund has no date"), "{error}");
        let mut item = refund_line_item();
        item["quantity"] = json!(-1);
        let negative =
            json!({ "id": 5, "created_at": "2026-11-03T09:00:00Z", "refund_line_items": [item] });
        let error = parse_refund(&body(negative), &order).unwrap_err();
        assert!(
            error.0.contains("refund_line_items[0]: quantity"),
            "{error}"
        );
        let mut item = refund_line_item();
        item["subtotal_set"] = money_set("abc");
        let bad =
            json!({ "id": 5, "created_at": "2026-11-03T09:00:00Z", "refund_line_items": [item] });
        let error = parse_refund(&body(bad), &order).unwrap_err();
        assert!(
            error.0.contains("refund_line_items[0].subtotal_set"),
            "{error}"
        );
        for junk in [
            &b""[..],
            b"null",
            b"{\"refund\": 3}",
            b"{\"id\": \"x\"}",
            &[0xff, 0xfe],
        ] {
            assert!(parse_refund(junk, &order).is_err());
        }
        for junk in [
            &b""[..],
            b"null",
            b"{\"order\": 3}",
            b"{\"refunds\": [3]}",
            &[0xff, 0xfe],
        ] {
            assert!(parse_order_refunds(junk, &order).is_err());
        }
    }
}
