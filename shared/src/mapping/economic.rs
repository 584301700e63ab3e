//! Canonical order → e-conomic's customer, products and sales document (a
//! draft invoice or a draft order: both take the same body).
//!
//! e-conomic computes a line as `cents(quantity × unitNetPrice ×
//! (100 − discountPercentage) / 100)` and takes `unitNetPrice` and (we
//! assume, as for every amount it takes) `discountPercentage` with at most 2
//! decimals. A discounted line keeps its discount visible as a percentage when
//! one lands on the cent; otherwise the discount goes into the net price and
//! the description says so. Shipping, fee and order-level discount lines use
//! the configured product numbers so that e-conomic books them.

pub use super::customer_name;
use super::rounding::{self, Balance};
use super::{
    cent_for_vat_on_the_net, cents, gross_with_vat_on_the_net, invoice_address, line_targets,
    money, order_warnings, price_parts, sku, street, text, vat_rate, Mapped, MappingError,
    TaxedAmount, CENT,
};
use crate::model::{LineKind, Order, OrderLine};
use rust_decimal::Decimal;
use serde::Serialize;

const TARGET: &str = "e-conomic";
/// e-conomic's limit on `productNumber`.
pub const PRODUCT_NUMBER_MAX: usize = 25;
/// e-conomic's limit on a line's `description`.
const DESCRIPTION_MAX: usize = 2500;

/// The merchant's e-conomic numbers (from the system's configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub layout_number: u64,
    pub payment_terms_number: u64,
    pub vat_zone_number: u64,
    pub customer_group_number: u64,
    pub product_group_number: u64,
    /// Product number for shipping lines (default `shipping`).
    pub shipping_product_number: String,
    /// Product number for fee lines (default `fee`).
    pub fee_product_number: String,
    /// Product number for order-level discount lines (default `discount`).
    pub discount_product_number: String,
    /// The VAT-free product a rounding line is booked on (`rounding_product`,
    /// default `rounding`).
    pub rounding_product_number: String,
    /// The product group Ferry makes the rounding product in when
    /// e-conomic does not have it (`rounding_product_group_number`): one
    /// whose sales account carries no VAT.
    pub rounding_product_group_number: Option<u64>,
    /// The largest difference a rounding line may close (`rounding_limit`).
    pub rounding_limit: Decimal,
    /// The VAT-free product a gift card sold is booked on
    /// (`gift_card_product`, default `giftcard`): its group's account is a
    /// liability, not revenue.
    pub gift_card_product_number: String,
    /// The product group Ferry makes the gift-card product in when missing
    /// (`gift_card_product_group_number`).
    pub gift_card_product_group_number: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerGroupRef {
    pub customer_group_number: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentTermsRef {
    pub payment_terms_number: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VatZoneRef {
    pub vat_zone_number: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductGroupRef {
    pub product_group_number: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutRef {
    pub layout_number: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRef {
    pub customer_number: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductRef {
    pub product_number: String,
}

/// `POST /customers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub currency: String,
    pub customer_group: CustomerGroupRef,
    pub payment_terms: PaymentTermsRef,
    pub vat_zone: VatZoneRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corporate_identification_number: Option<String>,
}

/// `POST /products`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub product_number: String,
    pub name: String,
    pub product_group: ProductGroupRef,
    #[serde(with = "money")]
    pub sales_price: Decimal,
    /// For a VAT-free product whose group the system does not name: the
    /// setting that would name it. Ferry cannot make such a product (it
    /// would carry the ordinary group's VAT); one e-conomic has is used.
    #[serde(skip)]
    pub unnamed_group: Option<&'static str>,
}

/// `POST /invoices/drafts` or `POST /orders/drafts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub currency: String,
    /// The price of 100 units of `currency` in the agreement's base
    /// currency; left out for the base currency, and to let e-conomic use
    /// its own rate of the day (set by the connector, see its `currency`).
    #[serde(with = "money::option", skip_serializing_if = "Option::is_none")]
    pub exchange_rate: Option<Decimal>,
    pub customer: CustomerRef,
    pub layout: LayoutRef,
    pub payment_terms: PaymentTermsRef,
    pub recipient: Recipient,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    pub references: References,
    pub notes: Notes,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub vat_zone: VatZoneRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub address: String,
    pub zip: String,
    pub city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// `references.other` carries the webshop's order number: it is filterable,
/// so a retry finds the document instead of making a second one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct References {
    pub other: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notes {
    pub heading: String,
    /// Set only on a document held as a draft because its totals differ
    /// ([`rounding::TotalsDiffer::note`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_line1: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub line_number: u32,
    pub sort_key: u32,
    pub product: ProductRef,
    pub description: String,
    #[serde(with = "money")]
    pub quantity: Decimal,
    #[serde(with = "money")]
    pub unit_net_price: Decimal,
    #[serde(with = "money::option", skip_serializing_if = "Option::is_none")]
    pub discount_percentage: Option<Decimal>,
    /// The VAT rate (a fraction) e-conomic is expected to apply: the
    /// shop's rate of the order line, none on a VAT-free product. Not sent:
    /// e-conomic takes it from the product's group.
    #[serde(skip)]
    pub vat_rate: Decimal,
}

impl Line {
    /// The line's net amount as e-conomic computes it.
    pub fn total(&self) -> Decimal {
        line_total(
            self.quantity,
            self.unit_net_price,
            self.discount_percentage.unwrap_or_default(),
        )
    }
}

fn line_total(quantity: Decimal, unit_net_price: Decimal, discount_percentage: Decimal) -> Decimal {
    cents(
        quantity * unit_net_price * (Decimal::ONE_HUNDRED - discount_percentage)
            / Decimal::ONE_HUNDRED,
    )
}

/// The customer to create when none is found by email (or by name).
pub fn customer(order: &Order, settings: &Settings) -> Customer {
    let address = invoice_address(order);
    Customer {
        name: customer_name(order),
        email: order.customer.email.as_deref().and_then(text),
        currency: order.currency.clone(),
        customer_group: CustomerGroupRef {
            customer_group_number: settings.customer_group_number,
        },
        payment_terms: PaymentTermsRef {
            payment_terms_number: settings.payment_terms_number,
        },
        vat_zone: VatZoneRef {
            vat_zone_number: settings.vat_zone_number,
        },
        address: address.and_then(street),
        zip: address.and_then(|a| text(&a.zip)),
        city: address.and_then(|a| text(&a.city)),
        country: address.and_then(|a| a.country_code.clone()),
        corporate_identification_number: order.customer.vat_number.as_deref().and_then(text),
    }
}

/// The product number a line is booked on.
fn product_number(line: &OrderLine, settings: &Settings) -> Result<String, MappingError> {
    match line.kind {
        LineKind::Product if line.gift_card => Ok(settings.gift_card_product_number.clone()),
        LineKind::Product => {
            let sku = sku(line).ok_or_else(|| MappingError::NoSku {
                title: line.title.clone(),
                target: TARGET,
                what: "a product number",
            })?;
            let length = sku.chars().count();
            if length > PRODUCT_NUMBER_MAX {
                return Err(MappingError::SkuTooLong {
                    title: line.title.clone(),
                    sku: sku.to_owned(),
                    length,
                    max: PRODUCT_NUMBER_MAX,
                    target: TARGET,
                    what: "a product number",
                });
            }
            Ok(sku.to_owned())
        }
        LineKind::Shipping => Ok(settings.shipping_product_number.clone()),
        LineKind::Fee => Ok(settings.fee_product_number.clone()),
        LineKind::Discount => Ok(settings.discount_product_number.clone()),
    }
}

/// Every product the document refers to, once each, as it would be created
/// if e-conomic does not have it yet: the order's, and the rounding
/// product when the document needs a rounding line.
pub fn products(order: &Order, settings: &Settings) -> Result<Vec<Product>, MappingError> {
    let mut products: Vec<Product> = Vec::new();
    for line in &order.lines {
        let product_number = product_number(line, settings)?;
        if products.iter().any(|p| p.product_number == product_number) {
            continue;
        }
        if line.gift_card {
            products.push(vat_free_product(
                product_number,
                "Gift cards",
                settings.gift_card_product_group_number,
                "gift_card_product_group_number",
            ));
            continue;
        }
        let (name, sales_price) = match line.kind {
            LineKind::Product => (line.title.trim().to_owned(), cents(line.unit_price)),
            LineKind::Shipping => ("Shipping".to_owned(), Decimal::ZERO),
            LineKind::Fee => ("Fees".to_owned(), Decimal::ZERO),
            LineKind::Discount => ("Discount".to_owned(), Decimal::ZERO),
        };
        products.push(Product {
            name: if name.is_empty() {
                product_number.clone()
            } else {
                name
            },
            product_number,
            product_group: ProductGroupRef {
                product_group_number: settings.product_group_number,
            },
            sales_price,
            unnamed_group: None,
        });
    }
    let rounded = matches!(
        balance(order, settings, &lines(order, settings)?),
        Balance::Rounded(_)
    );
    let number = &settings.rounding_product_number;
    if rounded && !products.iter().any(|p| &p.product_number == number) {
        products.push(vat_free_product(
            number.clone(),
            "Rounding",
            settings.rounding_product_group_number,
            "rounding_product_group_number",
        ));
    }
    Ok(products)
}

fn vat_free_product(
    product_number: String,
    name: &str,
    group: Option<u64>,
    setting: &'static str,
) -> Product {
    Product {
        product_number,
        name: name.to_owned(),
        product_group: ProductGroupRef {
            product_group_number: group.unwrap_or_default(),
        },
        sales_price: Decimal::ZERO,
        unnamed_group: group.is_none().then_some(setting),
    }
}

/// One order line priced for e-conomic: one document line, or two when a
/// single 2-decimal price cannot reach the line's amount.
fn price_line(
    line: &OrderLine,
    target: Decimal,
) -> Result<Vec<(Decimal, Decimal, Option<Decimal>)>, MappingError> {
    let cannot = || MappingError::CannotMatchTotal {
        title: line.title.clone(),
        quantity: line.quantity.normalize(),
        amount: target,
        target: TARGET,
    };
    if !line.discount.is_zero() {
        let unit = cents(line.unit_price);
        let gross = line.quantity * unit;
        // Checked: a gross of a few millionths makes the share beyond
        // `Decimal`; the line is then priced without a percentage.
        let percentage = line
            .discount
            .checked_div(gross)
            .and_then(|share| share.checked_mul(Decimal::ONE_HUNDRED))
            .filter(|share| share.abs() <= Decimal::ONE_THOUSAND)
            .map(cents);
        if let Some(percentage) = percentage {
            for p in [percentage, percentage - CENT, percentage + CENT] {
                let valid = p > Decimal::ZERO && p <= Decimal::ONE_HUNDRED;
                if valid && line_total(line.quantity, unit, p) == target {
                    return Ok(vec![(line.quantity, unit, Some(p))]);
                }
            }
        }
    }
    if line.quantity.is_zero() {
        return if target.is_zero() {
            Ok(vec![(line.quantity, cents(line.unit_price), None)])
        } else {
            Err(cannot())
        };
    }
    let parts = price_parts(line.quantity, target).ok_or_else(cannot)?;
    Ok(parts
        .into_iter()
        .map(|part| (part.quantity, part.unit_price, None))
        .collect())
}

fn description(line: &OrderLine, folded_discount: bool, currency: &str) -> String {
    let title = line.title.trim();
    let text = if folded_discount {
        format!(
            "{title} (price after a discount of {} {currency})",
            cents(line.discount)
        )
    } else {
        title.to_owned()
    };
    text.chars().take(DESCRIPTION_MAX).collect()
}

/// The document's lines, numbered 1..n. Fails before anything is sent when
/// a product line has no usable SKU or the amounts cannot match to the cent.
pub fn lines(order: &Order, settings: &Settings) -> Result<Vec<Line>, MappingError> {
    let targets = line_targets(order);
    let mut lines = Vec::with_capacity(order.lines.len());
    for (line, target) in order.lines.iter().zip(targets) {
        let product_number = product_number(line, settings)?;
        let vat_rate = vat_rate(line, TARGET)?;
        for (quantity, unit_net_price, discount_percentage) in price_line(line, target)? {
            let folded = !line.discount.is_zero() && discount_percentage.is_none();
            let number = u32::try_from(lines.len() + 1).unwrap_or(u32::MAX);
            lines.push(Line {
                line_number: number,
                sort_key: number,
                product: ProductRef {
                    product_number: product_number.clone(),
                },
                description: description(line, folded, &order.currency),
                quantity,
                unit_net_price,
                discount_percentage,
                vat_rate,
            });
        }
    }
    match_vat_on_the_net(order, &mut lines);
    Ok(lines)
}

/// e-conomic computes VAT per rate on the document's net, while webshops
/// round tax per line. A cent the two disagree on is moved onto a
/// single-unit line without a discount (shipping, say) when that lands on
/// the webshop's total ([`cent_for_vat_on_the_net`]); what remains is the
/// rounding line's ([`balance`]).
fn match_vat_on_the_net(order: &Order, lines: &mut [Line]) {
    let amounts = taxed_amounts(lines);
    if let Some((index, change)) = cent_for_vat_on_the_net(&amounts, order.totals.total) {
        lines[index].unit_net_price += change;
    }
}

/// The lines as e-conomic taxes them: each at its product's rate.
fn taxed_amounts(lines: &[Line]) -> Vec<TaxedAmount> {
    lines
        .iter()
        .map(|l| TaxedAmount {
            rate: l.vat_rate,
            net: l.total(),
            movable: l.quantity == Decimal::ONE && l.discount_percentage.is_none(),
        })
        .collect()
}

/// The document's gross as e-conomic computes it: VAT per rate on the net
/// of the lines at that rate (the rates their products' groups carry in
/// the document's VAT zone).
pub fn gross(lines: &[Line]) -> Decimal {
    gross_with_vat_on_the_net(&taxed_amounts(lines))
}

/// How these lines' gross meets the webshop's total within the system's
/// `rounding_limit` ([`rounding::balance`]).
pub fn balance(order: &Order, settings: &Settings, lines: &[Line]) -> Balance {
    rounding::balance(
        gross(lines),
        order.totals.total,
        settings.rounding_limit,
        &order.currency,
    )
}

/// The rounding line: the VAT-free rounding product, once, at the difference.
fn rounding_line(settings: &Settings, number: u32, difference: Decimal) -> Line {
    Line {
        line_number: number,
        sort_key: number,
        product: ProductRef {
            product_number: settings.rounding_product_number.clone(),
        },
        description: "Rounding to the webshop's total".to_owned(),
        quantity: Decimal::ONE,
        unit_net_price: difference,
        discount_percentage: None,
        vat_rate: Decimal::ZERO,
    }
}

/// "Order #1001" whether the webshop's number carries the `#` or not.
pub fn heading(e_number: &str) -> String {
    if e_number.starts_with('#') {
        format!("Order {e_number}")
    } else {
        format!("Order #{e_number}")
    }
}

/// The sales document for a customer e-conomic already has.
///
/// A rounding line is added when the lines' gross misses the webshop's
/// total by at most the `rounding_limit`; beyond it, the document carries
/// the reason in `notes.textLine1` and is to stay a draft
/// ([`Mapped::balance`] says which).
pub fn document(
    order: &Order,
    settings: &Settings,
    customer_number: u64,
    mut lines: Vec<Line>,
) -> Mapped<Document> {
    let balance = balance(order, settings, &lines);
    let mut held = None;
    match &balance {
        Balance::Exact => {}
        Balance::Rounded(difference) => {
            let number = u32::try_from(lines.len() + 1).unwrap_or(u32::MAX);
            lines.push(rounding_line(settings, number, *difference));
        }
        Balance::TooFar(differ) => held = Some(differ.note()),
    }
    let billing = invoice_address(order);
    let vat_zone = VatZoneRef {
        vat_zone_number: settings.vat_zone_number,
    };
    let delivery = order.shipping_address.as_ref().and_then(|a| {
        Some(Delivery {
            address: street(a)?,
            zip: a.zip.trim().to_owned(),
            city: a.city.trim().to_owned(),
            country: a.country_code.clone(),
        })
    });
    let document = Document {
        date: order.created_at.format("%Y-%m-%d").to_string(),
        currency: order.currency.clone(),
        exchange_rate: None,
        customer: CustomerRef { customer_number },
        layout: LayoutRef {
            layout_number: settings.layout_number,
        },
        payment_terms: PaymentTermsRef {
            payment_terms_number: order.payment_terms.unwrap_or(settings.payment_terms_number),
        },
        recipient: Recipient {
            name: customer_name(order),
            address: billing.and_then(street),
            zip: billing.and_then(|a| text(&a.zip)),
            city: billing.and_then(|a| text(&a.city)),
            country: billing.and_then(|a| a.country_code.clone()),
            vat_zone,
        },
        delivery,
        references: References {
            other: order.e_number.clone(),
        },
        notes: Notes {
            heading: heading(&order.e_number),
            text_line1: held,
        },
        lines,
    };
    Mapped {
        document,
        warnings: order_warnings(order),
        balance,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::mapping::tests::{d, line, order, order_a_cent_apart};
    use crate::mapping::to_json;

    pub(crate) fn settings() -> Settings {
        Settings {
            layout_number: 19,
            payment_terms_number: 1,
            vat_zone_number: 1,
            customer_group_number: 1,
            product_group_number: 1,
            shipping_product_number: "shipping".into(),
            fee_product_number: "fee".into(),
            discount_product_number: "discount".into(),
            rounding_product_number: "rounding".into(),
            rounding_product_group_number: Some(9),
            rounding_limit: rounding::DEFAULT_LIMIT,
            gift_card_product_number: "giftcard".into(),
            gift_card_product_group_number: Some(8),
        }
    }

    fn net(lines: &[Line]) -> Decimal {
        lines.iter().map(Line::total).sum()
    }

    fn order_net(o: &Order) -> Decimal {
        o.totals.total - o.totals.tax
    }

    #[test]
    fn a_cent_lost_to_vat_on_the_net_is_put_back_on_a_single_unit_line() {
        // Tax rounded per line against VAT on the net: a cent apart.
        let o = order_a_cent_apart();
        let plain = d("49.04");
        assert_ne!(
            plain + cents(plain * d("0.25")),
            o.totals.total,
            "the example must hit the gap"
        );
        let mapped = lines(&o, &settings()).unwrap();
        let document_net = net(&mapped);
        assert_eq!(
            document_net + cents(document_net * d("0.25")),
            o.totals.total
        );
        assert_eq!(mapped[0].unit_net_price, d("0.02"));
        assert_eq!(mapped[1].unit_net_price, d("0.02"));
        let moved = mapped[2].unit_net_price - d("49.00");
        assert!(moved == d("0.01") || moved == d("-0.01"), "moved {moved}");
    }

    #[test]
    fn maps_product_shipping_fee_and_discount_lines() {
        let mut mug = line(
            LineKind::Product,
            Some("MUG-BLUE"),
            "Blue mug",
            "2",
            "100.00",
        );
        mug.discount = d("20.00");
        let o = order(vec![
            mug,
            line(LineKind::Product, Some("TEA-1"), "Green tea", "1", "45.50"),
            line(LineKind::Shipping, None, "Standard shipping", "1", "39.00"),
            line(LineKind::Fee, None, "Payment fee", "1", "5.00"),
            line(LineKind::Discount, None, "SUMMER10", "1", "-10.00"),
        ]);
        let lines = lines(&o, &settings()).unwrap();
        let numbers: Vec<&str> = lines
            .iter()
            .map(|l| l.product.product_number.as_str())
            .collect();
        assert_eq!(
            numbers,
            ["MUG-BLUE", "TEA-1", "shipping", "fee", "discount"]
        );
        assert_eq!(
            lines.iter().map(|l| l.line_number).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(lines[0].unit_net_price, d("100.00"));
        assert_eq!(lines[0].discount_percentage, Some(d("10.00")));
        assert_eq!(lines[0].total(), d("180.00"));
        assert_eq!(lines[1].discount_percentage, None);
        assert_eq!(lines[4].unit_net_price, d("-10.00"));
        assert_eq!(net(&lines), order_net(&o));

        let mapped = document(&o, &settings(), 7, lines);
        assert!(mapped.warnings.is_empty());
        let json: serde_json::Value =
            serde_json::from_slice(&to_json(&mapped.document).unwrap()).unwrap();
        assert_eq!(json["customer"]["customerNumber"], 7);
        assert_eq!(json["layout"]["layoutNumber"], 19);
        assert_eq!(json["recipient"]["vatZone"]["vatZoneNumber"], 1);
        assert_eq!(json["recipient"]["name"], "Karen Blixen");
        assert_eq!(json["delivery"]["address"], "Strandvejen 1");
        assert_eq!(json["references"]["other"], "#1001");
        assert_eq!(json["notes"]["heading"], "Order #1001");
        assert_eq!(json["date"], "2024-05-17");
        assert_eq!(json["lines"][0]["discountPercentage"], 10.0);
        assert_eq!(json["lines"][1]["unitNetPrice"], 45.5);
        assert!(json["lines"][1].get("discountPercentage").is_none());
        assert_eq!(json["lines"][0]["description"], "Blue mug");
    }

    #[test]
    fn rounds_to_the_cent_by_splitting_a_line() {
        // 3 × 3.333 = 9.999 → 10.00 in the shop; 3.33 or 3.34 alone cannot make 10.00.
        let o = order(vec![line(
            LineKind::Product,
            Some("PEN"),
            "Pen",
            "3",
            "3.333",
        )]);
        let lines = lines(&o, &settings()).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].quantity, lines[0].unit_net_price),
            (d("2"), d("3.33"))
        );
        assert_eq!(
            (lines[1].quantity, lines[1].unit_net_price),
            (d("1"), d("3.34"))
        );
        assert_eq!(net(&lines), d("10.00"));
        assert_eq!(net(&lines), order_net(&o));
        assert!(lines.iter().all(|l| l.unit_net_price.scale() <= 2));
    }

    #[test]
    fn distributes_the_rounding_remainder_across_lines() {
        // Each line is 0.005 (→ 0.01 alone); together 0.015 → 0.02, not 0.03.
        let o = order(vec![
            line(LineKind::Product, Some("A"), "A", "1", "0.005"),
            line(LineKind::Product, Some("B"), "B", "1", "0.005"),
            line(LineKind::Product, Some("C"), "C", "1", "0.005"),
        ]);
        let lines = lines(&o, &settings()).unwrap();
        assert_eq!(net(&lines), d("0.02"));
    }

    #[test]
    fn keeps_a_discount_percentage_only_when_it_lands_on_the_cent() {
        // 3 × 19.99 = 59.97 less 6.00 = 53.97: 10.01 % of 59.97 is 53.967 → 53.97.
        let mut tea = line(LineKind::Product, Some("TEA"), "Tea", "3", "19.99");
        tea.discount = d("6.00");
        // 100 × 100.00 less 333.33: no 2-decimal percentage reaches 9666.67.
        let mut chairs = line(LineKind::Product, Some("CHAIR"), "Chair", "100", "100.00");
        chairs.discount = d("333.33");
        let o = order(vec![tea, chairs]);
        let lines = lines(&o, &settings()).unwrap();
        assert!(lines[0].discount_percentage.is_some());
        assert_eq!(lines[0].total(), d("53.97"));
        assert!(lines[1..].iter().all(|l| l.discount_percentage.is_none()));
        assert_eq!(
            lines[1].description,
            "Chair (price after a discount of 333.33 DKK)"
        );
        assert_eq!(
            lines[1..].iter().map(Line::total).sum::<Decimal>(),
            d("9666.67")
        );
        assert_eq!(net(&lines), order_net(&o));
    }

    #[test]
    fn refuses_amounts_that_cannot_match_to_the_cent() {
        // 2.5 m at 0.404 = 1.01: 0.40 gives 1.00, 0.41 gives 1.03.
        let o = order(vec![line(
            LineKind::Product,
            Some("ROPE"),
            "Rope",
            "2.5",
            "0.404",
        )]);
        let error = lines(&o, &settings()).unwrap_err();
        assert!(matches!(error, MappingError::CannotMatchTotal { .. }));
        assert_eq!(
            error.to_string(),
            "line 'Rope' (quantity 2.5, 1.01 excluding tax) cannot be priced to the cent in \
             e-conomic, whose prices have at most 2 decimals, so the document would not match the \
             webshop's total — change the quantity in the webshop or enter this order by hand"
        );
    }

    #[test]
    fn a_product_line_without_sku_fails_in_words() {
        let o = order(vec![line(LineKind::Product, None, "Blue mug", "1", "10")]);
        assert_eq!(
            lines(&o, &settings()).unwrap_err().to_string(),
            "line 'Blue mug' has no SKU: e-conomic needs a product number — add one in the webshop"
        );
        let blank = order(vec![line(
            LineKind::Product,
            Some("  "),
            "Blue mug",
            "1",
            "10",
        )]);
        assert!(matches!(
            products(&blank, &settings()),
            Err(MappingError::NoSku { .. })
        ));
    }

    #[test]
    fn a_sku_longer_than_25_characters_fails_in_words() {
        let long = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"; // 26
        let o = order(vec![line(
            LineKind::Product,
            Some(long),
            "Alphabet poster",
            "1",
            "10",
        )]);
        let error = lines(&o, &settings()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 'Alphabet poster' has the SKU 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', which is 26 characters \
             long: e-conomic allows at most 25 characters in a product number — shorten the SKU in \
             the webshop"
        );
        let ok = order(vec![line(
            LineKind::Product,
            Some(&long[..25]),
            "Poster",
            "1",
            "10",
        )]);
        assert!(lines(&ok, &settings()).is_ok());
    }

    #[test]
    fn lists_each_product_once_with_its_group_and_price() {
        let o = order(vec![
            line(LineKind::Product, Some("MUG"), "Blue mug", "1", "99.995"),
            line(LineKind::Product, Some("MUG"), "Blue mug", "2", "99.995"),
            line(LineKind::Shipping, None, "Post", "1", "39"),
        ]);
        let products = products(&o, &settings()).unwrap();
        assert_eq!(products.len(), 2);
        assert_eq!(products[0].product_number, "MUG");
        assert_eq!(products[0].sales_price, d("100.00"));
        assert_eq!(products[1].product_number, "shipping");
        assert_eq!(products[1].name, "Shipping");
        let json = String::from_utf8(to_json(&products[0]).unwrap()).unwrap();
        assert_eq!(
            json,
            r#"{"productNumber":"MUG","name":"Blue mug","productGroup":{"productGroupNumber":1},"salesPrice":100}"#
        );
    }

    #[test]
    fn the_customer_carries_the_configured_numbers_and_vat_number() {
        let o = order(vec![line(
            LineKind::Product,
            Some("MUG"),
            "Blue mug",
            "1",
            "10",
        )]);
        let c = customer(&o, &settings());
        assert_eq!(c.name, "Karen Blixen");
        assert_eq!(c.email.as_deref(), Some("karen@example.com"));
        assert_eq!(c.currency, "DKK");
        assert_eq!(
            c.corporate_identification_number.as_deref(),
            Some("DK12345678")
        );
        assert_eq!(c.address.as_deref(), Some("Rungstedvej 111"));
        assert_eq!(c.country.as_deref(), Some("DK"));
        let json: serde_json::Value = serde_json::from_slice(&to_json(&c).unwrap()).unwrap();
        assert_eq!(json["customerGroup"]["customerGroupNumber"], 1);
        assert_eq!(json["paymentTerms"]["paymentTermsNumber"], 1);
        assert_eq!(json["vatZone"]["vatZoneNumber"], 1);
    }

    #[test]
    fn a_gift_card_sold_is_booked_on_the_vat_free_gift_card_product() {
        let mut card = line(
            LineKind::Product,
            Some("GC-500"),
            "Gift card",
            "1",
            "500.00",
        );
        card.gift_card = true;
        let mut o = order(vec![
            card,
            line(LineKind::Product, Some("MUG"), "Blue mug", "1", "100.00"),
        ]);
        // No VAT on a gift card sold: the shop charges 500.00 + 125.00.
        o.lines[0].tax = Decimal::ZERO;
        o.lines[0].tax_rate = None;
        o.totals.tax = d("25.00");
        o.totals.total = d("625.00");
        let settings = settings();
        let lines = lines(&o, &settings).unwrap();
        assert_eq!(lines[0].product.product_number, "giftcard");
        assert_eq!(lines[0].vat_rate, Decimal::ZERO);
        let mapped = document(&o, &settings, 1, lines);
        assert_eq!(mapped.balance, Balance::Exact);
        assert_eq!(gross(&mapped.document.lines), d("625.00"));
        let products = products(&o, &settings).unwrap();
        assert_eq!(products[0].product_number, "giftcard");
        assert_eq!(products[0].product_group.product_group_number, 8);
        assert_eq!(products[0].unnamed_group, None);

        let unnamed = Settings {
            gift_card_product_group_number: None,
            ..settings
        };
        let products = super::products(&o, &unnamed).unwrap();
        assert_eq!(
            products[0].unnamed_group,
            Some("gift_card_product_group_number")
        );
    }

    #[test]
    fn the_document_takes_the_gateways_payment_terms_else_the_systems() {
        let terms = |payment_terms: Option<u64>| {
            let mut o = order(vec![line(
                LineKind::Product,
                Some("TEA-1"),
                "Green tea",
                "1",
                "45.50",
            )]);
            o.gateway = Some("paypal".into());
            o.payment_terms = payment_terms;
            let lines = lines(&o, &settings()).unwrap();
            let mapped = document(&o, &settings(), 7, lines);
            let json: serde_json::Value =
                serde_json::from_slice(&to_json(&mapped.document).unwrap()).unwrap();
            json["paymentTerms"]["paymentTermsNumber"].clone()
        };
        assert_eq!(terms(Some(4)), 4, "the connection's terms for the gateway");
        assert_eq!(terms(None), 1, "the system's payment_terms_number");
    }

    #[test]
    fn headings_carry_one_hash() {
        assert_eq!(heading("#1001"), "Order #1001");
        assert_eq!(heading("727"), "Order #727");
    }
}
