//! What the Shopify and WooCommerce connectors share when they read an
//! order: amounts that arrive as text or as JSON numbers, timestamps, errors
//! that say where in the body they are, headers and names; and, in
//! [`money`], the arithmetic that turns a shop's line into the canonical
//! net figures (see the money rules in `model::order`).

pub(super) mod money;

use super::ParseError;
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use money::MAX_AMOUNT;
use rust_decimal::Decimal;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// The years an order's dates may fall in. Online shops, and the Unix
/// time they count from, start in 1970; four-digit years are what every shop
/// and ledger writes. A date outside is a shop's bug (or an attack), and
/// refusing it keeps every date calculation (a poll's overlap, a reminder's
/// window) far from the ends of chrono's calendar, where they would overflow.
const FIRST_YEAR: i32 = 1970;
const LAST_YEAR: i32 = 9999;

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn helpers_read_names_and_keys() {
        assert_eq!(full_name(Some(" Bob "), Some("")), Some("Bob".into()));
        assert_eq!(full_name(None, Some("")), None);
        assert_eq!(key_words("_billing_VAT-number"), "billingvatnumber");
        assert_eq!(shorten(&"x".repeat(50)).chars().count(), 41);
        assert_eq!(value_text(&serde_json::json!({"a": 1})), r#"{"a":1}"#);
    }
}
