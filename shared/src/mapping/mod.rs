//! Canonical [`Order`] → the documents a target ledger takes: pure functions,
//! no I/O, one module per target.
//!
//! # Money to the cent
//!
//! Ledgers take unit prices with at most 2 decimals and compute each line's
//! amount themselves, while a webshop may price `3 × 3.333`. So every mapping
//! works the same way:
//!
//! 1. each line's exact net amount (`unit_price × quantity − discount`) gets a
//!    whole-cent *target*; the targets add up to the order's net amount rounded
//!    to the cent ([`cent_targets`], largest remainder first);
//! 2. each line is priced so that the ledger's own arithmetic lands exactly on
//!    its target, splitting a line in two when one price cannot
//!    ([`price_parts`]: `3 × 3.333` becomes `2 × 3.33 + 1 × 3.34`);
//! 3. when no pricing reaches the target (a fractional quantity such as
//!    `2.5 × …`), the mapping fails with [`MappingError::CannotMatchTotal`]:
//!    a document that silently differs from the webshop by a cent is worse
//!    than a transfer that says why it stopped;
//! 4. the ledger then computes VAT per rate on the document's net (each
//!    line at the rate its product carries: the shop's rate, none on a
//!    gift card sold), where the webshop rounded tax per line: the grosses
//!    can differ by a cent or two. A single-unit amount (shipping, a fee,
//!    one item) moves by a cent when that lands on the webshop's total
//!    ([`cent_for_vat_on_the_net`]);
//! 5. what still differs goes on one line of the ledger system's VAT-free
//!    `rounding_product`, quantity 1, priced at the difference, so that the
//!    document's gross as the ledger computes it is the webshop's total
//!    exactly ([`rounding`]). A difference above the system's
//!    `rounding_limit` (default 1.00) is not rounding but tax settings
//!    that disagree: no line is added, the document is marked held
//!    ([`rounding::HELD_MARK`]) and made as a draft only, and the transfer
//!    fails in words ([`TotalsDiffer`]); a retry takes the draft once the
//!    bookkeeper has corrected its total ([`rounding::check_held`]). The
//!    connectors also read the ledger's own total back and hold a
//!    document it totals otherwise ([`rounding::read_back`]).
//!
//! Whether the webshop's own lines add up to its stated total is a separate,
//! target-independent question: [`order_warnings`] answers it in words (the
//! worker can show them on the transfer); the documents follow the lines.

pub mod credit;
pub mod economic;
pub mod fortnox;
pub mod rate;
pub mod rounding;

pub use rounding::{Balance, TotalsDiffer};

use crate::model::{Address, Order, OrderLine};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::str::FromStr;

/// One cent (or öre, øre...).
pub const CENT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// A target document and what the merchant should know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped<T> {
    pub document: T,
    /// Plain-words notes, e.g. that the webshop's lines do not add up to its total.
    pub warnings: Vec<String>,
    /// How the document's gross, as the ledger computes it, meets the
    /// webshop's total: exactly, with the rounding line the document
    /// carries, or too far apart (the document is then to stay a draft).
    pub balance: Balance,
}

/// Why an order cannot become a target document. Retrying will not help;
/// the message says what the merchant can change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("line '{title}' has no SKU: {target} needs {what} — add one in the webshop")]
    NoSku {
        title: String,
        target: &'static str,
        what: &'static str,
    },
    #[error(
        "line '{title}' has the SKU '{sku}', which is {length} characters long: {target} allows \
         at most {max} characters in {what} — shorten the SKU in the webshop"
    )]
    SkuTooLong {
        title: String,
        sku: String,
        length: usize,
        max: usize,
        target: &'static str,
        what: &'static str,
    },
    #[error(
        "line '{title}' (quantity {quantity}, {amount} excluding tax) cannot be priced to the cent \
         in {target}, whose prices have at most 2 decimals, so the document would not match the \
         webshop's total — change the quantity in the webshop or enter this order by hand"
    )]
    CannotMatchTotal {
        title: String,
        quantity: Decimal,
        amount: Decimal,
        target: &'static str,
    },
    /// An amount too large or too precise to be written as a JSON number exactly.
    #[error("{0}")]
    Amount(String),
}

/// Rounds to whole cents, half away from zero (as ledgers do).
pub fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Whole-cent targets for exact amounts, adding up to their rounded sum.
///
/// Each amount is rounded; the cents the rounding gained or lost overall are
/// given back to (or taken from) the amounts whose rounding moved them
/// furthest, one cent each, so no line moves by more than a cent.
pub fn cent_targets(exact: &[Decimal]) -> Vec<Decimal> {
    let mut targets: Vec<Decimal> = exact.iter().map(|amount| cents(*amount)).collect();
    let wanted = cents(exact.iter().copied().sum());
    let mut gap = wanted - targets.iter().copied().sum::<Decimal>();
    if gap.is_zero() {
        return targets;
    }
    let step = if gap.is_sign_positive() { CENT } else { -CENT };
    // How far each line's rounding went against the direction of the gap.
    let direction = if step.is_sign_positive() {
        Decimal::ONE
    } else {
        Decimal::NEGATIVE_ONE
    };
    let shortfall = |i: usize| (exact[i] - targets[i]) * direction;
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by(|a, b| shortfall(*b).cmp(&shortfall(*a)).then(a.cmp(b)));
    for i in order {
        if gap.is_zero() {
            break;
        }
        targets[i] += step;
        gap -= step;
    }
    targets
}

/// A quantity at one unit price: a ledger line, or part of one split in two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricedQuantity {
    pub quantity: Decimal,
    pub unit_price: Decimal,
}

/// Unit prices with at most 2 decimals for `quantity` so that the ledger's
/// `cents(quantity × price)` adds up to `target` exactly: one price when one
/// fits, otherwise (whole quantities only) two prices a cent apart
/// (`3` for `10.00` → `2 × 3.33 + 1 × 3.34`). `None` when nothing fits.
pub fn price_parts(quantity: Decimal, target: Decimal) -> Option<Vec<PricedQuantity>> {
    if quantity.is_zero() {
        return None;
    }
    // Checked: a tiny quantity (0.0000001) divides an amount beyond
    // `Decimal`, or to a price whose products below would overflow; no
    // real line has a price of 10^18, so none is looked for.
    let guess = cents(target.checked_div(quantity)?);
    if guess.abs() > Decimal::from(i64::MAX) {
        return None;
    }
    for unit_price in [guess, guess - CENT, guess + CENT] {
        if cents(quantity * unit_price) == target {
            return Some(vec![PricedQuantity {
                quantity,
                unit_price,
            }]);
        }
    }
    if !quantity.fract().is_zero() {
        return None;
    }
    // Solve for a positive quantity; a negative one is the mirror image.
    let sign = if quantity.is_sign_negative() {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    let count = quantity.abs();
    let amount = target * sign;
    let low = (amount / count / CENT).floor() * CENT;
    let higher = (amount - count * low) / CENT; // whole cents, 0 ≤ higher < count
    if !higher.fract().is_zero() || higher.is_sign_negative() || higher >= count {
        return None;
    }
    let parts: Vec<PricedQuantity> = [(count - higher, low), (higher, low + CENT)]
        .into_iter()
        .filter(|(part, _)| !part.is_zero())
        .map(|(part, unit_price)| PricedQuantity {
            quantity: part * sign,
            unit_price,
        })
        .collect();
    let total: Decimal = parts.iter().map(|p| cents(p.quantity * p.unit_price)).sum();
    (total == target).then_some(parts)
}

/// One amount of a document as a ledger adds it up: its VAT rate (`0.25`
/// for 25 %), its net, and whether a cent may be moved onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaxedAmount {
    pub rate: Decimal,
    pub net: Decimal,
    /// A single-unit amount without a discount (shipping, a fee, one item),
    /// whose price can move by a cent and stay what it says.
    pub movable: bool,
}

/// The gross a ledger computes: the net plus, for each VAT rate,
/// `cents(net of that rate × rate)`, VAT on the net as a VAT report has it.
pub(crate) fn gross_with_vat_on_the_net(amounts: &[TaxedAmount]) -> Decimal {
    let mut by_rate: Vec<(Decimal, Decimal)> = Vec::new();
    for amount in amounts {
        match by_rate.iter_mut().find(|(rate, _)| *rate == amount.rate) {
            Some((_, net)) => *net += amount.net,
            None => by_rate.push((amount.rate, amount.net)),
        }
    }
    by_rate
        .iter()
        .map(|(rate, net)| net + cents(net * rate))
        .sum()
}

/// Webshops round tax per line; ledgers compute VAT per rate on the whole
/// net. The two can differ by a cent or two, and then the ledger's gross
/// misses the webshop's total. Returns which movable amount to change, and
/// by how much (±1 or ±2 cents, the last movable amount first), so that the
/// ledger's gross is `total`; `None` when it already is or no move gets
/// there (then [`order_warnings`] is what the merchant sees).
pub(crate) fn cent_for_vat_on_the_net(
    amounts: &[TaxedAmount],
    total: Decimal,
) -> Option<(usize, Decimal)> {
    let total = cents(total);
    if gross_with_vat_on_the_net(amounts) == total {
        return None;
    }
    let mut moved = amounts.to_vec();
    for index in (0..amounts.len()).rev().filter(|i| amounts[*i].movable) {
        for step in [1i64, -1, 2, -2] {
            let change = Decimal::new(step, 2);
            let net = amounts[index].net + change;
            if net <= Decimal::ZERO {
                continue;
            }
            moved[index].net = net;
            if gross_with_vat_on_the_net(&moved) == total {
                return Some((index, change));
            }
        }
        moved[index].net = amounts[index].net;
    }
    None
}

/// The VAT rate (a fraction, `0.25`) a ledger is expected to apply to a
/// line: none on a gift card sold (its product is VAT-free); else the
/// source's rate, or (when it gave none) the line's tax over its net, to a
/// whole percent as ledgers' rates are.
pub(crate) fn vat_rate(line: &OrderLine, target: &str) -> Result<Decimal, MappingError> {
    if line.gift_card {
        return Ok(Decimal::ZERO);
    }
    if let Some(rate) = line.tax_rate {
        return Ok(rate);
    }
    let net = line.net_total();
    if net.is_zero() {
        return Ok(Decimal::ZERO);
    }
    // Checked: a net of a few millionths makes any tax a share beyond `Decimal`.
    line.tax
        .checked_div(net)
        .and_then(|share| share.checked_mul(Decimal::ONE_HUNDRED))
        .map(|percent| percent.round_dp(0) / Decimal::ONE_HUNDRED)
        .ok_or_else(|| {
            MappingError::Amount(format!(
                "line '{}': its tax of {} on a net amount of {} is not a VAT rate {target} can \
                 take — check the line in the webshop",
                line.title.trim(),
                line.tax,
                net
            ))
        })
}

/// The exact net amounts of the order's lines and their whole-cent targets.
pub(crate) fn line_targets(order: &Order) -> Vec<Decimal> {
    let exact: Vec<Decimal> = order.lines.iter().map(OrderLine::net_total).collect();
    cent_targets(&exact)
}

/// The webshop's lines with their tax, to the cent: what the documents follow.
fn lines_total(order: &Order) -> Decimal {
    let lines_net = cents(order.lines.iter().map(OrderLine::net_total).sum());
    let lines_tax: Decimal = order.lines.iter().map(|l| l.tax).sum();
    cents(lines_net + lines_tax)
}

/// What the merchant should know about the order whatever the target: the
/// webshop's lines should add up to its total. Documents follow the lines.
pub fn order_warnings(order: &Order) -> Vec<String> {
    let mut warnings = Vec::new();
    let lines_tax: Decimal = order.lines.iter().map(|l| l.tax).sum();
    let lines_total = lines_total(order);
    let total = cents(order.totals.total);
    if lines_total != total {
        warnings.push(format!(
            "order {}: its lines add up to {} {} including tax, but the webshop's total is {} {}; \
             the document follows the lines — check the order in the webshop",
            order.e_number, lines_total, order.currency, total, order.currency
        ));
    }
    let tax = cents(order.totals.tax);
    if cents(lines_tax) != tax && lines_total == total {
        warnings.push(format!(
            "order {}: its lines carry {} {} of tax, but the webshop's tax total is {} {}",
            order.e_number,
            cents(lines_tax),
            order.currency,
            tax,
            order.currency
        ));
    }
    warnings
}

/// The SKU of a product line, trimmed; an empty one counts as missing.
pub(crate) fn sku(line: &OrderLine) -> Option<&str> {
    line.sku.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The name the customer goes by in the ledger: the company when there is one.
pub fn customer_name(order: &Order) -> String {
    let customer = &order.customer;
    let billing = order.billing_address.as_ref();
    [
        customer.company.as_deref(),
        Some(customer.name.as_str()),
        billing.and_then(|a| a.company.as_deref()),
        billing.map(|a| a.name.as_str()),
        customer.email.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|name| !name.is_empty())
    .unwrap_or("Webshop customer")
    .to_owned()
}

pub(crate) fn street(address: &Address) -> Option<String> {
    let street = match address.line2.as_deref().map(str::trim) {
        Some(line2) if !line2.is_empty() => format!("{}, {}", address.line1.trim(), line2),
        _ => address.line1.trim().to_owned(),
    };
    (!street.is_empty()).then_some(street)
}

pub(crate) fn text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

pub(crate) fn invoice_address(order: &Order) -> Option<&Address> {
    order
        .billing_address
        .as_ref()
        .or(order.shipping_address.as_ref())
}

/// Writes a document as JSON bytes, refusing (instead of rounding) any
/// amount that JSON numbers cannot carry exactly.
pub fn to_json(document: &impl Serialize) -> Result<Vec<u8>, MappingError> {
    serde_json::to_vec(document).map_err(|e| MappingError::Amount(e.to_string()))
}

/// `Decimal` as a JSON *number* (ledgers want `12.5`, not `"12.50"`).
///
/// JSON numbers are read and written as `f64` by most libraries, ours
/// included. A decimal with at most 15 significant digits (every amount,
/// price and quantity a ledger takes) is written exactly as the shortest
/// text that reads back as its nearest `f64`: `12.50` → `12.5`, `3.33` →
/// `3.33`. That is checked for every value; one that would come back
/// different is refused with an error, never rounded silently.
pub mod money {
    use super::*;
    use serde::ser::Error as _;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(amount: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        let exact = amount.normalize();
        if exact.scale() == 0 {
            if let Some(whole) = exact.to_i64() {
                return serializer.serialize_i64(whole);
            }
        }
        let float = exact
            .to_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| S::Error::custom(format!("the amount {exact} cannot be written")))?;
        match Decimal::from_str(&float.to_string()) {
            Ok(back) if back == exact => serializer.serialize_f64(float),
            _ => Err(S::Error::custom(format!(
                "the amount {exact} has too many digits to be sent exactly"
            ))),
        }
    }

    /// For `Option<Decimal>` fields (use with `skip_serializing_if = "Option::is_none"`).
    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            amount: &Option<Decimal>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match amount {
                Some(amount) => super::serialize(amount, serializer),
                None => serializer.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Address, Customer, LineKind, Totals};
    use chrono::TimeZone;

    pub fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    pub fn line(
        kind: LineKind,
        sku: Option<&str>,
        title: &str,
        qty: &str,
        price: &str,
    ) -> OrderLine {
        OrderLine {
            kind,
            sku: sku.map(str::to_owned),
            title: title.into(),
            quantity: d(qty),
            unit_price: d(price),
            discount: Decimal::ZERO,
            tax: Decimal::ZERO,
            tax_rate: Some(d("0.25")),
            gift_card: false,
        }
    }

    /// Two 0.02 items and 49.00 shipping: tax rounded per line (0.01 each)
    /// makes 61.31, a ledger's 25 % of the net 49.04 makes 61.30.
    pub fn order_a_cent_apart() -> Order {
        order(vec![
            line(LineKind::Product, Some("A"), "Sticker", "1", "0.02"),
            line(LineKind::Product, Some("B"), "Pin", "1", "0.02"),
            line(LineKind::Shipping, None, "Post", "1", "49.00"),
        ])
    }

    /// An order whose tax is 25 % of each line, and whose totals agree with its lines.
    pub fn order(lines: Vec<OrderLine>) -> Order {
        let lines: Vec<OrderLine> = lines
            .into_iter()
            .map(|mut l| {
                l.tax = cents(l.net_total() * d("0.25"));
                l
            })
            .collect();
        let net = cents(lines.iter().map(OrderLine::net_total).sum());
        let tax: Decimal = lines.iter().map(|l| l.tax).sum();
        let at = chrono::Utc
            .with_ymd_and_hms(2024, 5, 17, 22, 30, 0)
            .unwrap();
        let address = Address {
            name: "Karen Blixen".into(),
            company: None,
            line1: "Rungstedvej 111".into(),
            line2: None,
            city: "Rungsted Kyst".into(),
            zip: "2960".into(),
            region: None,
            country_code: Some("DK".into()),
            phone: None,
        };
        Order {
            source_id: "450789469".into(),
            e_number: "#1001".into(),
            state: "paid".into(),
            currency: "DKK".into(),
            created_at: at,
            updated_at: at,
            customer: Customer {
                source_id: Some("207119551".into()),
                name: "Karen Blixen".into(),
                email: Some("karen@example.com".into()),
                company: None,
                vat_number: Some("DK12345678".into()),
                phone: None,
            },
            billing_address: Some(address.clone()),
            shipping_address: Some(Address {
                line1: "Strandvejen 1".into(),
                ..address
            }),
            totals: Totals {
                total: net + tax,
                tax,
                discount: lines.iter().map(|l| l.discount).sum(),
                shipping: lines
                    .iter()
                    .filter(|l| l.kind == LineKind::Shipping)
                    .map(OrderLine::net_total)
                    .sum(),
            },
            lines,
            custom_fields: vec![],
            note: None,
            shop_money: None,
            gateway: None,
            payment_terms: None,
        }
    }

    #[derive(Serialize)]
    struct Amounts {
        #[serde(with = "money")]
        price: Decimal,
        #[serde(with = "money::option", skip_serializing_if = "Option::is_none")]
        discount: Option<Decimal>,
    }

    fn json(price: &str) -> Result<String, MappingError> {
        let bytes = to_json(&Amounts {
            price: d(price),
            discount: None,
        })?;
        Ok(String::from_utf8(bytes).unwrap())
    }

    fn taxed(rate: &str, net: &str, movable: bool) -> TaxedAmount {
        TaxedAmount {
            rate: d(rate),
            net: d(net),
            movable,
        }
    }

    #[test]
    fn vat_on_the_net_is_rounded_once_per_rate() {
        let amounts = [
            taxed("0.25", "0.02", true),
            taxed("0.06", "10.10", true),
            taxed("0.25", "0.02", true),
        ];
        // 0.04 × 25 % = 0.01 (not 0.005 + 0.005 rounded to 0.02); 10.10 × 6 % = 0.61.
        assert_eq!(gross_with_vat_on_the_net(&amounts), d("10.76"));
    }

    #[test]
    fn the_cent_goes_on_the_last_movable_amount_that_reaches_the_total() {
        let amounts = [
            taxed("0.25", "0.02", true),
            taxed("0.25", "0.02", true),
            taxed("0.25", "49.00", false),
        ];
        // Per-line tax makes 49.04 + 0.01 + 0.01 + 12.25; the net's VAT is 12.26.
        assert_eq!(gross_with_vat_on_the_net(&amounts), d("61.30"));
        let (index, change) = cent_for_vat_on_the_net(&amounts, d("61.31")).unwrap();
        assert_eq!(index, 1, "the last movable amount");
        let mut moved = amounts;
        moved[index].net += change;
        assert_eq!(gross_with_vat_on_the_net(&moved), d("61.31"));
        assert_eq!(
            cent_for_vat_on_the_net(&amounts, d("61.30")),
            None,
            "already there"
        );
    }

    #[test]
    fn a_total_no_net_can_reach_gets_a_rounding_line_on_both_ledgers() {
        // 3 × 31.96 less 15 % is 81.498 (tax 20.37 on the exact amount) and
        // shipping 31.20 (tax 7.80): the webshop says 140.87. At 25 % VAT on
        // the net, 112.69 gives 140.86 and 112.70 gives 140.88.
        let mut filters = line(LineKind::Product, Some("F-02"), "Filters", "3", "31.96");
        filters.discount = d("14.382");
        let o = order(vec![
            filters,
            line(LineKind::Shipping, None, "GLS", "1", "31.20"),
        ]);
        assert_eq!(o.totals.total, d("140.87"));
        let settings = economic::tests::settings();
        let lines = economic::lines(&o, &settings).unwrap();
        let mapped = economic::document(&o, &settings, 1, lines);
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
        assert!(matches!(mapped.balance, Balance::Rounded(_)));
        let rounding = mapped.document.lines.last().unwrap();
        assert_eq!(rounding.product.product_number, "rounding");
        assert_eq!(rounding.quantity, Decimal::ONE);
        assert_eq!(rounding.vat_rate, Decimal::ZERO);
        assert!(rounding.unit_net_price.abs() <= d("0.02"));
        assert_eq!(economic::gross(&mapped.document.lines), d("140.87"));

        let fortnox_settings = fortnox::Settings::default();
        let mapped = fortnox::document(
            &o,
            "1",
            crate::model::DocumentKind::DraftInvoice,
            &fortnox_settings,
        )
        .unwrap();
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
        let row = mapped.document.rows().last().unwrap();
        assert_eq!(row.article_number.as_deref(), Some("rounding"));
        assert_eq!(row.vat, Decimal::ZERO);
        assert_eq!(fortnox::gross(&mapped.document), d("140.87"));
    }

    #[test]
    fn totals_beyond_the_limit_add_no_line_and_hold_the_document() {
        let mut o = order(vec![line(
            LineKind::Product,
            Some("MUG"),
            "Mug",
            "1",
            "800.00",
        )]);
        // The shop charged no VAT; the ledger adds 25 %: 200.00 apart.
        o.lines[0].tax = Decimal::ZERO;
        o.totals.tax = Decimal::ZERO;
        o.totals.total = d("800.00");
        let settings = economic::tests::settings();
        let lines = economic::lines(&o, &settings).unwrap();
        let mapped = economic::document(&o, &settings, 1, lines);
        let Balance::TooFar(differ) = &mapped.balance else {
            panic!("{:?}", mapped.balance);
        };
        assert_eq!(
            differ.to_string(),
            "totals differ by 200.00 DKK (ledger 1,000.00, webshop 800.00), more than the 1.00 \
             rounding allowed — check the tax settings in the shop and the ledger"
        );
        assert_eq!(mapped.document.lines.len(), 1, "no rounding line");
        let note = mapped.document.notes.text_line1.as_deref();
        assert!(rounding::is_held(note), "{note:?}");

        let mapped = fortnox::document(
            &o,
            "1",
            crate::model::DocumentKind::DraftInvoice,
            &fortnox::Settings::default(),
        )
        .unwrap();
        assert!(matches!(mapped.balance, Balance::TooFar(_)));
        assert_eq!(mapped.document.rows().len(), 1);
        assert!(rounding::is_held(mapped.document.comments.as_deref()));
    }

    #[test]
    fn no_cent_is_moved_when_nothing_may_move_or_no_move_is_enough() {
        let fixed = [taxed("0.25", "49.04", false)];
        assert_eq!(cent_for_vat_on_the_net(&fixed, d("61.31")), None);
        let movable = [taxed("0.25", "49.04", true)];
        assert_eq!(
            cent_for_vat_on_the_net(&movable, d("62.30")),
            None,
            "a euro off is not a rounding difference"
        );
        let tiny = [taxed("0.25", "0.01", true)];
        assert_eq!(
            cent_for_vat_on_the_net(&tiny, d("-0.01")),
            None,
            "an amount never moves to zero or below"
        );
    }

    #[test]
    fn money_is_a_json_number_written_exactly() {
        assert_eq!(json("12.50").unwrap(), r#"{"price":12.5}"#);
        assert_eq!(json("3.33").unwrap(), r#"{"price":3.33}"#);
        assert_eq!(json("0.10").unwrap(), r#"{"price":0.1}"#);
        assert_eq!(json("-4.99").unwrap(), r#"{"price":-4.99}"#);
        assert_eq!(json("1234567890.12").unwrap(), r#"{"price":1234567890.12}"#);
        assert_eq!(json("3").unwrap(), r#"{"price":3}"#);
        assert_eq!(json("2.000").unwrap(), r#"{"price":2}"#);
        assert_eq!(json("0.00").unwrap(), r#"{"price":0}"#);
        // Every 2-decimal amount up to 100,000.00 reads back as itself.
        for cents_value in (0..10_000_000i64).step_by(9_973) {
            let amount = Decimal::new(cents_value, 2);
            let text = json(&amount.to_string()).unwrap();
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            let back = Decimal::from_str(&back["price"].to_string()).unwrap();
            assert_eq!(back, amount, "{text}");
        }
    }

    #[test]
    fn money_refuses_what_a_json_number_cannot_carry() {
        let error = json("12345678901234567.89").unwrap_err();
        assert!(
            error.to_string().contains("12345678901234567.89"),
            "{error}"
        );
        let with_discount = to_json(&Amounts {
            price: d("1"),
            discount: Some(d("12.50")),
        })
        .unwrap();
        assert_eq!(with_discount, br#"{"price":1,"discount":12.5}"#);
    }

    #[test]
    fn cent_targets_add_up_to_the_rounded_sum() {
        let exact = [d("3.333"), d("3.333"), d("3.334")];
        let targets = cent_targets(&exact);
        assert_eq!(targets.iter().copied().sum::<Decimal>(), d("10.00"));
        assert_eq!(targets, vec![d("3.33"), d("3.33"), d("3.34")]);

        let exact = [d("0.005"), d("0.005"), d("0.005")]; // rounds to 0.03, sum 0.015 → 0.02
        let targets = cent_targets(&exact);
        assert_eq!(targets.iter().copied().sum::<Decimal>(), d("0.02"));
        assert!(targets
            .iter()
            .all(|t| *t == d("0.01") || *t == Decimal::ZERO));

        let exact = [d("-1.005"), d("2.00")];
        let targets = cent_targets(&exact);
        assert_eq!(targets.iter().copied().sum::<Decimal>(), cents(d("0.995")));
    }

    #[test]
    fn price_parts_split_a_line_that_one_price_cannot_carry() {
        assert_eq!(
            price_parts(d("2"), d("25.00")).unwrap(),
            vec![PricedQuantity {
                quantity: d("2"),
                unit_price: d("12.50")
            }]
        );
        let parts = price_parts(d("3"), d("10.00")).unwrap();
        assert_eq!(
            parts,
            vec![
                PricedQuantity {
                    quantity: d("2"),
                    unit_price: d("3.33")
                },
                PricedQuantity {
                    quantity: d("1"),
                    unit_price: d("3.34")
                }
            ]
        );
        let parts = price_parts(d("-3"), d("-10.00")).unwrap();
        let total: Decimal = parts.iter().map(|p| cents(p.quantity * p.unit_price)).sum();
        assert_eq!(total, d("-10.00"));
        assert!(parts.iter().all(|p| p.unit_price.scale() <= 2));
        // A fractional quantity that lands on the cent with one price.
        assert_eq!(
            price_parts(d("0.3"), d("1.00")).unwrap()[0].unit_price,
            d("3.33")
        );
        // 2.5 × 0.40 = 1.00, 2.5 × 0.41 = 1.025 → 1.03: 1.01 is out of reach.
        assert_eq!(price_parts(d("2.5"), d("1.01")), None);
    }

    #[test]
    fn warns_when_the_webshops_lines_do_not_add_up() {
        let mut o = order(vec![line(
            LineKind::Product,
            Some("MUG"),
            "Blue mug",
            "1",
            "100",
        )]);
        assert!(order_warnings(&o).is_empty());
        o.totals.total += d("1.00");
        let warnings = order_warnings(&o);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("125.00 DKK"), "{}", warnings[0]);
        assert!(warnings[0].contains("126.00 DKK"), "{}", warnings[0]);
    }
}
