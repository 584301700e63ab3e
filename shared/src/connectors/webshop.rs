//! What the Shopify and WooCommerce connectors share: reading amounts that
//! arrive as text or as JSON numbers, timestamps, errors that say where in the
//! body they are, headers, and turning a shop's line into the canonical net
//! figures (see the money rules in `model::order`).

use super::ParseError;
use crate::model::Order;
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// No real order has an amount beyond this; bounding amounts keeps every sum
/// and product of them far from `Decimal`'s limits, so nothing can overflow.
const MAX_AMOUNT: i64 = 10_000_000_000_000;

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

/// The years an order's dates may fall in. Online shops, and the Unix
/// time they count from, start in 1970; four-digit years are what every shop
/// and ledger writes. A date outside is a shop's bug (or an attack), and
/// refusing it keeps every date calculation (a poll's overlap, a reminder's
/// window) far from the ends of chrono's calendar, where they would overflow.
const FIRST_YEAR: i32 = 1970;
const LAST_YEAR: i32 = 9999;

/// Decimal places kept on a unit price that had to be divided out of a line
/// total; the rest of the division goes into the line's discount.
const UNIT_PRICE_DP: u32 = 6;

/// An exact amount as a shop sends it: a decimal string (`"199.00"`), or a
/// JSON number (WooCommerce's line `price`, tax `rate`s). A JSON number is
/// read through its shortest text form, which is the text the shop wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Amount(pub Decimal);

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AmountVisitor)
    }
}

struct AmountVisitor;

impl Visitor<'_> for AmountVisitor {
    type Value = Amount;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an amount (a decimal string or a number)")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Amount, E> {
        let trimmed = text.trim();
        // WooCommerce formats an amount that was never set as "".
        if trimmed.is_empty() {
            return Ok(Amount(Decimal::ZERO));
        }
        let parsed = if trimmed.contains(['e', 'E']) {
            Decimal::from_scientific(trimmed)
        } else {
            Decimal::from_str_exact(trimmed)
        };
        match parsed {
            Ok(value) => bounded(value, text),
            Err(_) => Err(E::custom(format!("invalid decimal '{}'", shorten(text)))),
        }
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Amount, E> {
        bounded(Decimal::from(value), &value.to_string())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Amount, E> {
        bounded(Decimal::from(value), &value.to_string())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Amount, E> {
        // `Display` for f64 prints the shortest text that reads back as the
        // same number: for `0.06` in the body that is "0.06", exactly.
        let text = value.to_string();
        if !value.is_finite() {
            return Err(E::custom(format!("invalid decimal '{text}'")));
        }
        self.visit_str(&text)
    }
}

fn bounded<E: de::Error>(value: Decimal, text: &str) -> Result<Amount, E> {
    if value.abs() > Decimal::from(MAX_AMOUNT) {
        Err(E::custom(format!("amount too large '{}'", shorten(text))))
    } else {
        Ok(Amount(value))
    }
}

/// A point in time: RFC 3339 with an offset (Shopify), or without one, which
/// is taken as UTC (WooCommerce's `_gmt` fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Timestamp(pub DateTime<Utc>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match parse_timestamp(&text) {
            Some(at) => Ok(Timestamp(at)),
            None if read_timestamp(&text).is_some() => Err(de::Error::custom(format!(
                "the date-time '{}' is outside the years {FIRST_YEAR} to {LAST_YEAR}",
                shorten(&text)
            ))),
            None => Err(de::Error::custom(format!(
                "invalid date-time '{}'",
                shorten(&text)
            ))),
        }
    }
}

/// A shop's point in time, when it reads and falls in the years
/// [`FIRST_YEAR`] to [`LAST_YEAR`].
pub(super) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    read_timestamp(text).filter(|at| within_years(*at))
}

fn within_years(at: DateTime<Utc>) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&at.year())
}

fn read_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Parses `body` as `T`; an error names the path in the body where it is
/// ("line_items[0].price: invalid decimal 'abc' at line 1 column 120").
pub(super) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ParseError> {
    let mut json = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            ParseError(inner.to_string())
        } else {
            ParseError(format!("{path}: {inner}"))
        }
    })?;
    json.end().map_err(|error| ParseError(error.to_string()))?;
    Ok(value)
}

/// A JSON value as text for a custom field: strings as they are, numbers and
/// booleans as written, lists and objects as compact JSON, null as "".
pub(super) fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `Some(trimmed)` unless the text is missing or blank.
pub(super) fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// "First Last", leaving out the blank parts.
pub(super) fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let parts: Vec<String> = [first, last].into_iter().filter_map(non_blank).collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The first of `names` present as a header with a non-blank text value.
pub(super) fn header_text(headers: &::http::HeaderMap, names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|name| headers.get(*name))
        .filter_map(|value| value.to_str().ok())
        .find_map(|text| non_blank(Some(text)))
}

/// Lower case letters and digits only: "_billing_VAT-number" → "billingvatnumber".
pub(super) fn key_words(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Shortens an echoed input so that an error message stays readable.
pub(super) fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}

fn overflow() -> ParseError {
    ParseError("the order's amounts are too large to calculate with".into())
}

pub(super) fn add(a: Decimal, b: Decimal) -> Result<Decimal, ParseError> {
    a.checked_add(b).ok_or_else(overflow)
}

pub(super) fn sub(a: Decimal, b: Decimal) -> Result<Decimal, ParseError> {
    a.checked_sub(b).ok_or_else(overflow)
}

pub(super) fn mul(a: Decimal, b: Decimal) -> Result<Decimal, ParseError> {
    a.checked_mul(b).ok_or_else(overflow)
}

pub(super) fn sum(amounts: impl IntoIterator<Item = Decimal>) -> Result<Decimal, ParseError> {
    amounts.into_iter().try_fold(Decimal::ZERO, add)
}

/// The order as parsed, when its figures are within the bounds above
/// ([`MAX_QUANTITY`] and the rest), which keep every calculation on it
/// within `Decimal`; else why not, in words.
pub(super) fn calculable(order: Order) -> Result<Order, ParseError> {
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
pub(super) fn unit_and_discount(
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
pub(super) fn net_from_gross(
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

    #[derive(Debug, Deserialize)]
    struct Line {
        price: Amount,
    }

    #[test]
    fn reads_amounts_from_text_and_numbers_exactly() {
        for (json, expected) in [
            (r#"{"price": "199.00"}"#, "199.00"),
            (r#"{"price": 3}"#, "3"),
            (r#"{"price": 0.06}"#, "0.06"),
            (r#"{"price": 26.666666666666668}"#, "26.666666666666668"),
            (r#"{"price": "-5.5"}"#, "-5.5"),
            (r#"{"price": ""}"#, "0"),
        ] {
            let line: Line = parse_json(json.as_bytes()).unwrap();
            assert_eq!(line.price.0, dec(expected), "{json}");
        }
    }

    #[test]
    fn refuses_bad_and_huge_amounts_with_the_path() {
        let err = parse_json::<Line>(br#"{"price": "abc"}"#).unwrap_err();
        assert!(err.0.starts_with("price: invalid decimal 'abc'"), "{err}");
        let err = parse_json::<Line>(br#"{"price": "1e40"}"#).unwrap_err();
        assert!(err.0.starts_with("price: "), "{err}");
        let err = parse_json::<Line>(br#"{"price": 1e300}"#).unwrap_err();
        assert!(err.0.starts_with("price: "), "{err}");
        let err = parse_json::<Line>(br#"{"price": true}"#).unwrap_err();
        assert!(err.0.starts_with("price: invalid type: boolean"), "{err}");
    }

    #[test]
    fn refuses_trailing_text_and_broken_json() {
        assert!(parse_json::<Line>(br#"{"price": "1"} x"#).is_err());
        let err = parse_json::<Line>(br#"{"price": "#).unwrap_err();
        assert!(err.0.contains("line 1"), "{err}");
    }

    #[test]
    fn reads_times_with_and_without_offset() {
        assert_eq!(
            parse_timestamp("2008-01-10T11:00:00-05:00")
                .unwrap()
                .to_rfc3339(),
            "2008-01-10T16:00:00+00:00"
        );
        assert_eq!(
            parse_timestamp("2017-03-22T19:28:02").unwrap().to_rfc3339(),
            "2017-03-22T19:28:02+00:00"
        );
        assert!(parse_timestamp("yesterday").is_none());
    }

    #[test]
    fn refuses_times_outside_the_years_1970_to_9999_in_words() {
        #[derive(Debug, Deserialize)]
        struct Dated {
            #[allow(dead_code)]
            at: Timestamp,
        }
        for text in [
            "-262143-01-01T00:00:00",
            "+262142-12-31T23:59:59",
            "0001-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "9999-12-31T23:59:59-01:00",
        ] {
            assert!(parse_timestamp(text).is_none(), "{text}");
            let body = format!(r#"{{"at": "{text}"}}"#);
            let err = parse_json::<Dated>(body.as_bytes()).unwrap_err();
            assert!(
                err.0.starts_with("at: the date-time")
                    && err.0.contains("outside the years 1970 to 9999"),
                "{err}"
            );
        }
        for text in ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
            assert!(parse_timestamp(text).is_some(), "{text}");
        }
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

    #[test]
    fn helpers_read_names_and_keys() {
        assert_eq!(full_name(Some(" Bob "), Some("")), Some("Bob".into()));
        assert_eq!(full_name(None, Some("")), None);
        assert_eq!(key_words("_billing_VAT-number"), "billingvatnumber");
        assert_eq!(shorten(&"x".repeat(50)).chars().count(), 41);
        assert_eq!(value_text(&serde_json::json!({"a": 1})), r#"{"a":1}"#);
    }
}
