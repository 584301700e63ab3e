//! Money arithmetic on a shop's order, where an amount is whatever the shop
//! sent: the bounds that keep every later sum within `Decimal`, checked
//! add / sub / mul / sum that fail in words instead of panicking, and the
//! canonical net figures of a line (see the money rules in `model::order`).

use super::shorten;
use crate::connectors::ParseError;
use crate::model::Order;
use rust_decimal::{Decimal, RoundingStrategy};

/// No real order has an amount beyond this; bounding amounts keeps every sum
/// and product of them far from `Decimal`'s limits, so nothing can overflow.
pub(super) const MAX_AMOUNT: i64 = 10_000_000_000_000;

/// Bounds on a parsed order's figures, checked by [`calculable`] once the
/// order is read. With them, no line's net exceeds 2 × 10^20, the sum of
/// every line of an order stays below 10^25, and a sum times any tax rate
/// or percentage below 10^28: every sum, product and rounding the mappings
/// and the ledgers' arithmetic make stays within `Decimal` (about 7.9 × 10^28)
/// without a check at each step. No real order comes near them; an order
/// beyond them fails in words and is kept.
const MAX_QUANTITY: i64 = 10_000_000;
/// A line's discount: at most its whole price (`MAX_QUANTITY × MAX_AMOUNT`).
const MAX_LINE_AMOUNT: i128 = MAX_QUANTITY as i128 * MAX_AMOUNT as i128;
/// 1000 %, as a fraction.
const MAX_TAX_RATE: i64 = 10;
const MAX_LINES: usize = 10_000;

/// Decimal places kept on a unit price that had to be divided out of a line
/// total; the rest of the division goes into the line's discount.
const UNIT_PRICE_DP: u32 = 6;

fn overflow() -> ParseError {
    ParseError("the order's amounts are too large to calculate with".into())
}

pub(crate) fn add(a: Decimal, b: Decimal) -> Result<Decimal, ParseError> {
    a.checked_add(b).ok_or_else(overflow)
}

pub(crate) fn sub(a: Decimal, b: Decimal) -> Result<Decimal, ParseError> {
    a.checked_sub(b).ok_or_else(overflow)
}

pub(crate) fn mul(a: Decimal, b: Decimal) -> Result<Decimal, ParseError> {
    a.checked_mul(b).ok_or_else(overflow)
}

pub(crate) fn sum(amounts: impl IntoIterator<Item = Decimal>) -> Result<Decimal, ParseError> {
    amounts.into_iter().try_fold(Decimal::ZERO, add)
}

/// The order as parsed, when its figures are within the bounds above
/// ([`MAX_QUANTITY`] and the rest), which keep every calculation on it
/// within `Decimal`; else why not, in words.
pub(crate) fn calculable(order: Order) -> Result<Order, ParseError> {
    if order.lines.len() > MAX_LINES {
        return Err(ParseError(format!(
            "the order has {} lines; Ferry takes at most {MAX_LINES}",
            order.lines.len()
        )));
    }
    fn within(value: Decimal, max: impl Into<Decimal>) -> bool {
        value.abs() <= max.into()
    }
    for line in &order.lines {
        let title = shorten(&line.title);
        if !within(line.quantity, MAX_QUANTITY) {
            return Err(ParseError(format!(
                "line '{title}': the quantity {} is larger than any order has (at most {MAX_QUANTITY})",
                line.quantity
            )));
        }
        if let Some(rate) = line.tax_rate.filter(|rate| !within(*rate, MAX_TAX_RATE)) {
            return Err(ParseError(format!(
                "line '{title}': a tax rate of {} % is not possible",
                (rate.saturating_mul(Decimal::ONE_HUNDRED)).normalize()
            )));
        }
        let amounts_ok = within(line.unit_price, MAX_AMOUNT)
            && within(line.tax, MAX_AMOUNT)
            && within(line.discount, MAX_LINE_AMOUNT);
        if !amounts_ok {
            return Err(ParseError(format!("line '{title}': {}", overflow().0)));
        }
    }
    Ok(order)
}

/// The canonical `(unit_price, discount)` of a line whose net amounts are
/// known for the whole line, before and after its discount.
///
/// `unit_price × quantity − discount` always equals `net_after` exactly. When
/// the division by the quantity does not come out even (10.00 / 3), the unit
/// price is rounded up at six decimals and the few millionths go into the
/// discount, so the line still adds up to what the shop charged.
pub(crate) fn unit_and_discount(
    quantity: Decimal,
    net_before: Decimal,
    net_after: Decimal,
) -> Result<(Decimal, Decimal), ParseError> {
    if quantity.is_zero() {
        // A removed line: no unit price can be divided out of it.
        return Ok((net_before, sub(Decimal::ZERO, net_after)?));
    }
    let exact = net_before.checked_div(quantity).ok_or_else(overflow)?;
    let unit = exact.round_dp_with_strategy(UNIT_PRICE_DP, RoundingStrategy::AwayFromZero);
    let discount = sub(mul(unit, quantity)?, net_after)?;
    Ok((unit.normalize(), discount.normalize()))
}

/// The canonical `(unit_price, discount)` of a line whose price and discount
/// include tax (Shopify's `taxes_included`): the tax the shop charged is taken
/// out of the line after its discount, and the price before the discount is
/// scaled by the same proportion, so both keep the shop's own rounding.
pub(crate) fn net_from_gross(
    quantity: Decimal,
    gross_unit_price: Decimal,
    gross_discount: Decimal,
    tax: Decimal,
    tax_rate: Option<Decimal>,
) -> Result<(Decimal, Decimal), ParseError> {
    let gross_before = mul(gross_unit_price, quantity)?;
    let gross_after = sub(gross_before, gross_discount)?;
    let net_after = sub(gross_after, tax)?;
    let net_before = if gross_discount.is_zero() {
        net_after
    } else if !gross_after.is_zero() {
        mul(net_after, gross_before)?
            .checked_div(gross_after)
            .ok_or_else(overflow)?
    } else {
        // All of it discounted: no tax was charged to learn the share from.
        let divisor = add(Decimal::ONE, tax_rate.unwrap_or_default())?;
        if divisor <= Decimal::ZERO {
            return Err(ParseError(
                "a tax rate of -100 % or less is not possible".into(),
            ));
        }
        gross_before.checked_div(divisor).ok_or_else(overflow)?
    };
    unit_and_discount(quantity, net_before, net_after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LineKind, OrderLine};

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn an_order_beyond_the_bounds_is_refused_in_words() {
        let order = |quantity: &str, unit_price: &str, rate: &str| Order {
            lines: vec![OrderLine {
                kind: LineKind::Product,
                sku: None,
                title: "Mug".into(),
                quantity: dec(quantity),
                unit_price: dec(unit_price),
                discount: Decimal::ZERO,
                tax: Decimal::ZERO,
                tax_rate: Some(dec(rate)),
                gift_card: false,
            }],
            ..crate::mapping::tests::order(vec![])
        };
        assert!(calculable(order("10000000", "10000000000000", "10")).is_ok());
        let err = calculable(order("9223372036854775808", "1", "0.25")).unwrap_err();
        assert!(
            err.0.contains("the quantity 9223372036854775808 is larger"),
            "{err}"
        );
        let err = calculable(order("1", "10000000000000.01", "0.25")).unwrap_err();
        assert!(err.0.contains("too large to calculate with"), "{err}");
        let err = calculable(order("1", "1", "10000000000000")).unwrap_err();
        assert!(
            err.0
                .contains("a tax rate of 1000000000000000 % is not possible"),
            "{err}"
        );
    }

    #[test]
    fn divides_unit_prices_and_keeps_the_line_exact() {
        assert_eq!(
            unit_and_discount(dec("2"), dec("6.00"), dec("6.00")).unwrap(),
            (dec("3"), dec("0"))
        );
        let (unit, discount) = unit_and_discount(dec("3"), dec("10.00"), dec("9.00")).unwrap();
        assert_eq!(unit, dec("3.333334"));
        assert_eq!(unit * dec("3") - discount, dec("9.00"));
        assert_eq!(discount, dec("1.000002"));
    }

    #[test]
    fn takes_tax_out_of_gross_prices() {
        // 2 × 129.00 DKK incl. 25 % VAT, 10 % off: the shop charged 46.44 tax.
        let (unit, discount) = net_from_gross(
            dec("2"),
            dec("129.00"),
            dec("25.80"),
            dec("46.44"),
            Some(dec("0.25")),
        )
        .unwrap();
        assert_eq!((unit, discount), (dec("103.2"), dec("20.64")));
        // Fully discounted: the rate gives the net price.
        let (unit, discount) = net_from_gross(
            dec("1"),
            dec("125.00"),
            dec("125.00"),
            dec("0"),
            Some(dec("0.25")),
        )
        .unwrap();
        assert_eq!((unit, discount), (dec("100"), dec("100")));
        assert!(net_from_gross(dec("1"), dec("1"), dec("1"), dec("0"), Some(dec("-1"))).is_err());
    }
}
