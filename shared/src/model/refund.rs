//! The canonical refund: what a shop's refund (Shopify's `Refund`, a
//! WooCommerce order refund) is parsed into and a ledger's credit note is
//! mapped from.
//!
//! Money rules, the same spirit as `model::order`:
//! - every amount is an exact [`Decimal`] in the refund's currency;
//! - a refund is stated the way the customer sees it: quantities and amounts
//!   given back are **positive** (a refunded mug is quantity 1, net 20.00);
//!   the ledger mappings negate them for the credit note;
//! - a line's `net` is the whole refunded line excluding tax, after any
//!   discount the order gave it; `tax` is the tax refunded on it;
//! - [`Refund::amount_only`] is money that is on no line (Shopify's refund
//!   discrepancy, a WooCommerce refund of an amount): **positive** when more
//!   was given back than the lines, **negative** when less (a restocking fee
//!   kept); it is booked on the connection's `refund_product`;
//! - [`Refund::total`] is what the customer got back, including tax: the
//!   lines' gross plus the amount-only part, to the cent.

use super::{LineKind, Order};
use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    /// The shop's own id of the refund (Shopify refund `id`, WooCommerce
    /// refund `id`): the key that makes one credit note of it.
    pub source_id: String,
    /// The source id of the order refunded.
    pub order_source_id: String,
    /// The order's webshop number ("#1001", "727"): the invoice the credit
    /// note refers to is found by it.
    pub order_e_number: String,
    /// When the refund was made (Shopify `processed_at`, else `created_at`;
    /// WooCommerce `date_created_gmt`).
    pub created_at: DateTime<Utc>,
    /// ISO 4217 code; the order's.
    pub currency: String,
    /// Refunded products, shipping and fees.
    pub lines: Vec<RefundLine>,
    /// Money refunded on no line (see the module's rules for its sign).
    pub amount_only: Option<RefundAmount>,
    /// What the customer got back, including tax.
    pub total: Decimal,
    /// `false` when the shop moved no money (a Shopify refund without a
    /// successful refund transaction: a restock or a cancelled line); such
    /// a refund is an edit or cancellation rather than a credit note, which
    /// the flow decides.
    pub money_moved: bool,
    /// The merchant's note or reason, when given.
    pub reason: Option<String>,
}

/// One refunded line: a product, or shipping or a fee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundLine {
    /// `Product`, `Shipping` or `Fee` (a refund has no discount lines: its
    /// product lines are already after their discount).
    pub kind: LineKind,
    /// The order line refunded, when the shop says (Shopify `line_item_id`,
    /// WooCommerce `_refunded_item_id`).
    pub order_line_id: Option<String>,
    /// The product's SKU: the ledger's product or article number.
    pub sku: Option<String>,
    pub title: String,
    /// Units given back (positive; 1 for shipping and fees).
    pub quantity: Decimal,
    /// The whole line's refunded amount, excluding tax (positive).
    pub net: Decimal,
    /// The whole line's refunded tax (positive).
    pub tax: Decimal,
    /// Tax rate as a fraction (0.25 for 25 %), when the shop says.
    pub tax_rate: Option<Decimal>,
}

/// Money refunded on no line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundAmount {
    /// Excluding tax.
    pub net: Decimal,
    pub tax: Decimal,
    /// The rate the tax was worked out at, when known.
    pub tax_rate: Option<Decimal>,
}

impl RefundLine {
    /// Including tax.
    pub fn gross(&self) -> Decimal {
        self.net + self.tax
    }
}

impl RefundAmount {
    /// Including tax.
    pub fn gross(&self) -> Decimal {
        self.net + self.tax
    }
}

impl Refund {
    /// The key a ledger finds this refund's credit note by: the order's
    /// number, `/R` and the refund's id ("#1001/R509562969"). Never the bare
    /// order number, so an order's own look-up never finds a credit note.
    pub fn ledger_key(&self) -> String {
        refund_key(&self.order_e_number, &self.source_id)
    }

    /// The lines' gross plus the amount-only part.
    pub fn lines_and_amount_gross(&self) -> Decimal {
        self.lines.iter().map(RefundLine::gross).sum::<Decimal>()
            + self
                .amount_only
                .as_ref()
                .map_or(Decimal::ZERO, RefundAmount::gross)
    }
}

/// The one tax rate of every line of the order that has an amount, when
/// there is one: the rate an amount-only refund is taken to carry.
pub fn single_tax_rate(order: &Order) -> Option<Decimal> {
    let mut rates = order
        .lines
        .iter()
        .filter(|line| !line.net_total().is_zero())
        .map(|line| line.tax_rate);
    let first = rates.next()??;
    rates.all(|rate| rate == Some(first)).then_some(first)
}

impl RefundAmount {
    /// A gross amount split at `rate` (net to the cent, the tax the rest);
    /// without a rate, all of it is net. `None` when the rate is -100 % or
    /// less, or the division leaves `Decimal`.
    pub fn from_gross(gross: Decimal, tax_rate: Option<Decimal>) -> Option<Self> {
        let divisor = Decimal::ONE.checked_add(tax_rate.unwrap_or_default())?;
        if divisor <= Decimal::ZERO {
            return None;
        }
        let net = gross
            .checked_div(divisor)?
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        Some(Self {
            net,
            tax: gross.checked_sub(net)?,
            tax_rate,
        })
    }
}

/// The amount-only part and the total of a refund whose lines are `lines`:
/// with the money the shop says it gave back (`paid_back`), what is not on
/// a line becomes the amount-only part (at `tax_rate`), and the total is the
/// money; without it (no money moved), the total is the lines'. `None` when
/// the sums leave `Decimal`.
pub fn settle(
    lines: &[RefundLine],
    paid_back: Option<Decimal>,
    tax_rate: Option<Decimal>,
) -> Option<(Option<RefundAmount>, Decimal)> {
    let lines_gross = lines.iter().try_fold(Decimal::ZERO, |sum, line| {
        sum.checked_add(line.net)?.checked_add(line.tax)
    })?;
    let Some(paid_back) = paid_back else {
        return Some((None, lines_gross));
    };
    let rest = paid_back.checked_sub(lines_gross)?;
    if rest.abs() < Decimal::new(1, 2) {
        return Some((None, lines_gross));
    }
    Some((Some(RefundAmount::from_gross(rest, tax_rate)?), paid_back))
}

/// See [`Refund::ledger_key`].
pub fn refund_key(order_e_number: &str, refund_id: &str) -> String {
    format!("{order_e_number}/R{refund_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn the_ledger_key_is_never_the_bare_order_number() {
        assert_eq!(refund_key("#1001", "509562969"), "#1001/R509562969");
        assert_ne!(refund_key("#1001", "5"), "#1001");
    }

    fn line(net: &str, tax: &str) -> RefundLine {
        RefundLine {
            kind: LineKind::Product,
            order_line_id: None,
            sku: Some("MUG".into()),
            title: "Mug".into(),
            quantity: d("1"),
            net: d(net),
            tax: d(tax),
            tax_rate: Some(d("0.25")),
        }
    }

    #[test]
    fn money_not_on_a_line_becomes_the_amount_only_part() {
        let lines = [line("80.00", "20.00")];
        // 10.00 more than the mug: at 25 %, 8.00 net and 2.00 tax.
        let (rest, total) = settle(&lines, Some(d("110.00")), Some(d("0.25"))).unwrap();
        assert_eq!(
            rest,
            Some(RefundAmount {
                net: d("8.00"),
                tax: d("2.00"),
                tax_rate: Some(d("0.25"))
            })
        );
        assert_eq!(total, d("110.00"));
        // 5.00 kept back: a negative part; the total is still the money.
        let (rest, total) = settle(&lines, Some(d("95.00")), Some(d("0.25"))).unwrap();
        assert_eq!(rest.unwrap().gross(), d("-5.00"));
        assert_eq!(total, d("95.00"));
        // The money is the lines: no part.
        assert_eq!(
            settle(&lines, Some(d("100.00")), None).unwrap(),
            (None, d("100.00"))
        );
        // No money moved: the lines are the total.
        assert_eq!(settle(&lines, None, None).unwrap(), (None, d("100.00")));
        // An amount at no known rate is all net; an impossible rate is refused.
        assert_eq!(
            RefundAmount::from_gross(d("10.00"), None).unwrap().net,
            d("10.00")
        );
        assert!(RefundAmount::from_gross(d("10.00"), Some(d("-1"))).is_none());
    }

    #[test]
    fn the_gross_adds_lines_and_the_amount_only_part() {
        let refund = Refund {
            source_id: "1".into(),
            order_source_id: "2".into(),
            order_e_number: "#1001".into(),
            created_at: Utc::now(),
            currency: "DKK".into(),
            lines: vec![RefundLine {
                kind: LineKind::Product,
                order_line_id: None,
                sku: Some("MUG".into()),
                title: "Mug".into(),
                quantity: d("1"),
                net: d("80.00"),
                tax: d("20.00"),
                tax_rate: Some(d("0.25")),
            }],
            amount_only: Some(RefundAmount {
                net: d("-8.00"),
                tax: d("-2.00"),
                tax_rate: Some(d("0.25")),
            }),
            total: d("90.00"),
            money_moved: true,
            reason: None,
        };
        assert_eq!(refund.lines_and_amount_gross(), d("90.00"));
    }
}
