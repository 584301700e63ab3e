//! The rounding line: what closes the gap between the gross a ledger
//! computes for a document and the webshop's total, and where closing it
//! stops being rounding.
//!
//! A ledger adds VAT up its own way (per rate on the document's net), while
//! a webshop rounds tax line by line; after every cent the prices can move
//! (see [`super`]) a cent or two may remain. That difference goes on one
//! line of a VAT-free product (`rounding_product`), quantity 1, so the
//! document's gross is the webshop's total exactly. A difference above the
//! ledger system's `rounding_limit` (default [`DEFAULT_LIMIT`]) is not
//! rounding but a tax setting that disagrees: then no line is added, the
//! document stays a draft, and [`TotalsDiffer`] says so in words.

use super::cents;
use rust_decimal::Decimal;

/// `rounding_limit` when the system says none: 1.00 in the order's currency.
pub const DEFAULT_LIMIT: Decimal = Decimal::from_parts(100, 0, 0, false, 2);
/// `rounding_product` when the system says none (e-conomic product number,
/// Fortnox article number).
pub const DEFAULT_PRODUCT: &str = "rounding";
/// `gift_card_product` when the system says none.
pub const DEFAULT_GIFT_CARD_PRODUCT: &str = "giftcard";
/// The text that marks a document left as a draft because its totals
/// differ: a retry knows it by this and never books it as it is.
pub const HELD_MARK: &str = "Held by Ferry:";

/// How a document's gross meets the webshop's total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Balance {
    /// The ledger's gross is the total: nothing to add.
    Exact,
    /// A rounding line of this amount (positive or negative) makes it so.
    Rounded(Decimal),
    /// Too far apart to be rounding.
    TooFar(TotalsDiffer),
}

/// The words of a document whose totals differ: by more than the limit
/// before any rounding line, or (`read_back`) as the ledger itself
/// computed the document Ferry sent at the webshop's total.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TotalsDiffer {
    pub difference: Decimal,
    pub ledger: Decimal,
    pub webshop: Decimal,
    pub limit: Decimal,
    pub currency: String,
    /// The ledger's own answer disagreed with Ferry's arithmetic (its VAT
    /// codes are not the shop's rates), after any rounding line.
    pub read_back: bool,
}

impl std::fmt::Display for TotalsDiffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "totals differ by {} {} (ledger {}, webshop {}), ",
            grouped(self.difference.abs()),
            self.currency,
            grouped(self.ledger),
            grouped(self.webshop)
        )?;
        if self.read_back {
            write!(
                f,
                "as the ledger computed the document: its VAT rates are not the shop's"
            )?;
        } else {
            write!(f, "more than the {} rounding allowed", grouped(self.limit))?;
        }
        write!(f, " — check the tax settings in the shop and the ledger")
    }
}

/// The ledger's own gross of a document Ferry sent at `webshop`: `None`
/// when it is the webshop's total, else why the document is to be held.
pub fn read_back(
    ledger: Decimal,
    webshop: Decimal,
    limit: Decimal,
    currency: &str,
) -> Option<TotalsDiffer> {
    let webshop = cents(webshop);
    (ledger != webshop).then(|| TotalsDiffer {
        difference: webshop - ledger,
        ledger,
        webshop,
        limit,
        currency: currency.to_owned(),
        read_back: true,
    })
}

impl TotalsDiffer {
    /// The note left on the draft, so that the bookkeeper and a retry see
    /// why (and the webshop's total a retry checks the draft against).
    pub fn note(&self) -> String {
        format!("{HELD_MARK} {self}; correct this draft, then retry the transfer in Ferry")
    }

    /// The short form of [`Self::note`] for a field a ledger lists (Fortnox's
    /// `ExternalInvoiceReference2`).
    pub fn mark(&self) -> String {
        format!("{HELD_MARK} webshop {}", grouped(self.webshop))
    }
}

/// Why a document Ferry held as a draft is not taken yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Held {
    /// Its gross is still not the webshop's total.
    #[error("{0}")]
    Differs(TotalsDiffer),
    #[error(
        "the draft held for its totals differs by {} {currency} (ledger {}, webshop {}) — make \
         the draft's total the webshop's, then retry the transfer",
        grouped(difference.abs()), grouped(*ledger), grouped(*webshop)
    )]
    Near {
        difference: Decimal,
        ledger: Decimal,
        webshop: Decimal,
        currency: String,
    },
    /// The note was edited so that the webshop's total cannot be read.
    #[error(
        "the draft is marked '{HELD_MARK}' but its note no longer says the webshop's total — \
         correct the draft, remove the note, then retry the transfer"
    )]
    Unreadable,
}

/// Whether a document found for an order may be taken as delivered: yes
/// unless Ferry held it (its `note` starts with [`HELD_MARK`]) and its
/// ledger `gross` is still not the webshop's total written in the note.
/// A held draft the bookkeeper corrected is linked (and booked, if the
/// connection books); one not corrected is never booked.
pub fn check_held(
    note: Option<&str>,
    gross: Option<Decimal>,
    limit: Decimal,
    currency: &str,
) -> Result<(), Held> {
    if !is_held(note) {
        return Ok(());
    }
    let webshop = note.and_then(held_total).ok_or(Held::Unreadable)?;
    let Some(ledger) = gross else {
        return Err(Held::Unreadable);
    };
    match balance(ledger, webshop, limit, currency) {
        Balance::Exact => Ok(()),
        Balance::TooFar(differ) => Err(Held::Differs(differ)),
        Balance::Rounded(difference) => Err(Held::Near {
            difference,
            ledger,
            webshop,
            currency: currency.to_owned(),
        }),
    }
}

/// The webshop's total written in a held document's note (`webshop 1,000.00`).
fn held_total(note: &str) -> Option<Decimal> {
    let (_, after) = note.split_once("webshop ")?;
    let number: String = after
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-'))
        .filter(|c| *c != ',')
        .collect();
    number.trim_end_matches('.').parse().ok()
}

/// Whether a document whose ledger gross is `ledger` reaches `webshop`
/// (the shop's total, rounded to the cent) within `limit`.
pub fn balance(ledger: Decimal, webshop: Decimal, limit: Decimal, currency: &str) -> Balance {
    let webshop = cents(webshop);
    let difference = webshop - ledger;
    if difference.is_zero() {
        Balance::Exact
    } else if difference.abs() <= limit {
        Balance::Rounded(difference)
    } else {
        Balance::TooFar(TotalsDiffer {
            difference,
            ledger,
            webshop,
            limit,
            currency: currency.to_owned(),
            read_back: false,
        })
    }
}

/// Whether a ledger's note says that the document was held by Ferry.
pub fn is_held(note: Option<&str>) -> bool {
    note.is_some_and(|n| n.trim_start().starts_with(HELD_MARK))
}

/// A `rounding_limit` as the system gives it: a decimal string (or number)
/// of at least zero with at most 2 decimals; `None` when it is none.
pub fn parse_limit(text: &str) -> Option<Decimal> {
    let limit: Decimal = text.trim().parse().ok()?;
    (!limit.is_sign_negative() && limit.scale() <= 2 && limit <= Decimal::from(1_000_000))
        .then_some(limit)
}

/// An amount to the cent with thousands grouped: `1,003.12`, `-0.05`.
pub fn grouped(amount: Decimal) -> String {
    let text = format!("{:.2}", cents(amount).abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let mut out = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    let sign = if amount.is_sign_negative() && !cents(amount).is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{out}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::tests::d;

    #[test]
    fn a_difference_within_the_limit_is_a_rounding_line() {
        assert_eq!(
            balance(d("61.30"), d("61.31"), DEFAULT_LIMIT, "DKK"),
            Balance::Rounded(d("0.01"))
        );
        assert_eq!(
            balance(d("61.32"), d("61.31"), DEFAULT_LIMIT, "DKK"),
            Balance::Rounded(d("-0.01"))
        );
        assert_eq!(
            balance(d("61.31"), d("61.305"), DEFAULT_LIMIT, "DKK"),
            Balance::Exact
        );
        assert_eq!(
            balance(d("99.00"), d("100.00"), DEFAULT_LIMIT, "DKK"),
            Balance::Rounded(d("1.00"))
        );
        assert!(matches!(
            balance(d("61.30"), d("61.31"), Decimal::ZERO, "DKK"),
            Balance::TooFar(_)
        ));
    }

    #[test]
    fn a_difference_over_the_limit_is_told_in_words() {
        let Balance::TooFar(differ) = balance(d("1003.12"), d("1000.00"), DEFAULT_LIMIT, "DKK")
        else {
            panic!("3.12 is more than 1.00");
        };
        assert_eq!(
            differ.to_string(),
            "totals differ by 3.12 DKK (ledger 1,003.12, webshop 1,000.00), more than the 1.00 \
             rounding allowed — check the tax settings in the shop and the ledger"
        );
        assert!(is_held(Some(&differ.note())));
        assert!(!is_held(Some("Order #1001")));
        assert!(!is_held(None));
    }

    #[test]
    fn a_held_draft_is_taken_only_once_it_is_corrected() {
        let Balance::TooFar(differ) = balance(d("1003.12"), d("1000.00"), DEFAULT_LIMIT, "DKK")
        else {
            panic!("3.12 is more than 1.00");
        };
        for note in [differ.note(), differ.mark()] {
            let note = Some(note.as_str());
            assert_eq!(
                check_held(note, Some(d("1000.00")), DEFAULT_LIMIT, "DKK"),
                Ok(())
            );
            assert_eq!(
                check_held(note, Some(d("1003.12")), DEFAULT_LIMIT, "DKK"),
                Err(Held::Differs(differ.clone()))
            );
            let near = check_held(note, Some(d("1000.40")), DEFAULT_LIMIT, "DKK").unwrap_err();
            assert!(near.to_string().contains("differs by 0.40 DKK"), "{near}");
        }
        assert_eq!(
            check_held(Some("Order #1"), Some(d("1")), DEFAULT_LIMIT, "DKK"),
            Ok(())
        );
        assert_eq!(
            check_held(
                Some("Held by Ferry: see me"),
                Some(d("1")),
                DEFAULT_LIMIT,
                "DKK"
            ),
            Err(Held::Unreadable)
        );
    }

    #[test]
    fn a_ledger_that_computes_otherwise_is_told_in_words() {
        assert_eq!(
            read_back(d("140.87"), d("140.87"), DEFAULT_LIMIT, "DKK"),
            None
        );
        let differ = read_back(d("733.75"), d("598.94"), DEFAULT_LIMIT, "USD").unwrap();
        assert_eq!(
            differ.to_string(),
            "totals differ by 134.81 USD (ledger 733.75, webshop 598.94), as the ledger computed \
             the document: its VAT rates are not the shop's — check the tax settings in the shop \
             and the ledger"
        );
        let note = differ.note();
        assert_eq!(
            check_held(Some(&note), Some(d("598.94")), DEFAULT_LIMIT, "USD"),
            Ok(())
        );
    }

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(grouped(d("1234567.5")), "1,234,567.50");
        assert_eq!(grouped(d("999.999")), "1,000.00");
        assert_eq!(grouped(d("-0.05")), "-0.05");
        assert_eq!(grouped(d("0")), "0.00");
        assert_eq!(grouped(d("100")), "100.00");
    }

    #[test]
    fn limits_are_decimal_texts_of_at_most_two_decimals() {
        assert_eq!(parse_limit("1.00"), Some(d("1.00")));
        assert_eq!(parse_limit(" 0.10 "), Some(d("0.10")));
        assert_eq!(parse_limit("0"), Some(d("0")));
        assert_eq!(parse_limit("-1"), None);
        assert_eq!(parse_limit("0.001"), None);
        assert_eq!(parse_limit("one"), None);
    }
}
