//! Canonical [`Refund`] → the credit note a ledger takes: an e-conomic draft
//! invoice with negative quantities, or a Fortnox credit invoice (negative
//! rows, linked to the invoice it credits). Pure functions, no I/O.
//!
//! Both follow the money rules of [`super`]: every line gets a whole-cent
//! target, prices have at most 2 decimals and split in two when one cannot
//! reach the target, and a cent lost to the ledger's VAT on the net is put
//! back on a single-unit line, so the credit note's gross is the refund's
//! total to the cent (or a warning says why not).
//!
//! Signs: a credited line has a **negative quantity and a positive price**
//! (e-conomic's documented way; a negative `unitNetPrice` is unverified).
//! A negative amount-only part (money kept back) is the one line with a
//! positive quantity. Shipping and fees are lines on their own product or
//! article (on Fortnox too: a `Freight` sent on a credit invoice has been
//! seen to flip sign); an amount-only part is on the connection's
//! `refund_product`.
//!
//! The header never carries the bare order number as its look-up key: the
//! key is [`Refund::ledger_key`] (`#1001/R509562969`), so an order's own
//! look-up never finds a credit note, and a retry finds this one.

use super::{
    cent_for_vat_on_the_net, cent_targets, cents, gross_with_vat_on_the_net, money, price_parts,
    Mapped, MappingError, TaxedAmount,
};
use crate::model::refund::{Refund, RefundLine};
use crate::model::LineKind;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

/// e-conomic's limit on `productNumber`.
const PRODUCT_NUMBER_MAX: usize = 25;
/// Fortnox's limit on `YourOrderNumber`.
const YOUR_ORDER_NUMBER_MAX: usize = 30;
/// Fortnox's limit on `ExternalInvoiceReference1/2`.
const EXTERNAL_REFERENCE_MAX: usize = 80;

/// The product (e-conomic) or article (Fortnox) numbers a credit note's
/// non-product lines are booked on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditProducts {
    pub shipping: String,
    pub fee: String,
    /// The connection's `refund_product`: needed for an amount-only part.
    pub refund: Option<String>,
}

/// One credited amount before it is written for a ledger.
struct Credited<'a> {
    number: String,
    title: &'a str,
    /// Positive; 1 for an amount.
    quantity: Decimal,
    /// The amount credited, excluding tax: positive, or negative for money
    /// kept back.
    net: Decimal,
    rate: Option<Decimal>,
}

fn product_number(
    line: &RefundLine,
    products: &CreditProducts,
    target: &'static str,
) -> Result<String, MappingError> {
    match line.kind {
        LineKind::Product => {
            let sku = line
                .sku
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| MappingError::NoSku {
                    title: line.title.clone(),
                    target,
                    what: "a product number for the credited line",
                })?;
            Ok(sku.to_owned())
        }
        LineKind::Shipping => Ok(products.shipping.clone()),
        LineKind::Fee | LineKind::Discount => Ok(products.fee.clone()),
    }
}

fn no_refund_product(refund: &Refund, target: &'static str) -> MappingError {
    MappingError::Amount(format!(
        "refund {} of order {} gives back {} {} on no line: {target} needs a product to book it \
         on — set the connection's refund_product",
        refund.source_id,
        refund.order_e_number,
        refund
            .amount_only
            .as_ref()
            .map_or(Decimal::ZERO, |a| a.gross()),
        refund.currency
    ))
}

/// Every credited amount with its whole-cent target, lines first, then the
/// amount-only part.
fn credited<'a>(
    refund: &'a Refund,
    products: &CreditProducts,
    target: &'static str,
) -> Result<Vec<(Credited<'a>, Decimal)>, MappingError> {
    let mut credited = Vec::new();
    for line in &refund.lines {
        credited.push(Credited {
            number: product_number(line, products, target)?,
            title: &line.title,
            quantity: if line.quantity.is_zero() {
                Decimal::ONE
            } else {
                line.quantity
            },
            net: line.net,
            rate: line.tax_rate.or_else(|| derived_rate(line.net, line.tax)),
        });
    }
    if let Some(amount) = &refund.amount_only {
        let number = products
            .refund
            .clone()
            .ok_or_else(|| no_refund_product(refund, target))?;
        credited.push(Credited {
            number,
            title: "Refund",
            quantity: Decimal::ONE,
            net: amount.net,
            rate: amount
                .tax_rate
                .or_else(|| derived_rate(amount.net, amount.tax)),
        });
    }
    if credited.is_empty() {
        return Err(MappingError::Amount(format!(
            "refund {} of order {} gives nothing back: there is nothing to credit",
            refund.source_id, refund.order_e_number
        )));
    }
    let exact: Vec<Decimal> = credited.iter().map(|c| c.net).collect();
    Ok(credited.into_iter().zip(cent_targets(&exact)).collect())
}

/// A rate from a tax over its net, to a whole percent as ledgers' rates are.
fn derived_rate(net: Decimal, tax: Decimal) -> Option<Decimal> {
    if tax.is_zero() {
        return Some(Decimal::ZERO);
    }
    let percent = tax.checked_div(net)?.checked_mul(Decimal::ONE_HUNDRED)?;
    Some(percent.round_dp(0) / Decimal::ONE_HUNDRED)
}

/// (quantity, unit price) parts for a credited amount: negative quantities
/// at positive prices; money kept back at a positive quantity.
fn credit_parts(
    credited: &Credited,
    target: Decimal,
    ledger: &'static str,
) -> Result<Vec<(Decimal, Decimal)>, MappingError> {
    let parts = price_parts(credited.quantity, target.abs()).ok_or_else(|| {
        MappingError::CannotMatchTotal {
            title: credited.title.to_owned(),
            quantity: credited.quantity.normalize(),
            amount: target,
            target: ledger,
        }
    })?;
    let kept_back = target.is_sign_negative() && !target.is_zero();
    Ok(parts
        .into_iter()
        .map(|part| {
            let quantity = if kept_back {
                part.quantity
            } else {
                -part.quantity
            };
            (quantity, part.unit_price)
        })
        .collect())
}

/// Moves a cent onto a single-unit credited line (quantity −1) when the
/// ledger's VAT on the net misses the refund's total; `prices[i]` is line
/// `i`'s unit price. Returns a warning when no cent can close the gap.
fn match_vat_on_the_net(
    refund: &Refund,
    lines: &[(Decimal, Decimal, Decimal)],
    prices: &mut [Decimal],
    ledger: &str,
) -> Option<String> {
    // (quantity, price, rate) → the credited amounts, positive.
    let amounts: Vec<TaxedAmount> = lines
        .iter()
        .map(|(quantity, price, rate)| TaxedAmount {
            rate: *rate,
            net: -cents(quantity * price),
            movable: *quantity == Decimal::NEGATIVE_ONE,
        })
        .collect();
    if let Some((index, change)) = cent_for_vat_on_the_net(&amounts, refund.total) {
        prices[index] += change;
        return None;
    }
    let gross = gross_with_vat_on_the_net(&amounts);
    (gross != cents(refund.total)).then(|| {
        format!(
            "refund {} of order {}: {ledger} computes VAT on the credit note's net, so it credits \
             {} {}, {} {} from the {} {} refunded; no price could move by a cent to close the gap",
            refund.source_id,
            refund.order_e_number,
            gross,
            refund.currency,
            gross - cents(refund.total),
            refund.currency,
            cents(refund.total),
            refund.currency
        )
    })
}

fn shorten(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

// ---------- e-conomic ----------

/// What a credit note copies from the invoice it credits (read from
/// e-conomic's booked invoice): the customer, layout, terms and recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct EconomicInvoice {
    pub booked_invoice_number: u64,
    pub customer_number: u64,
    pub layout_number: u64,
    pub payment_terms_number: u64,
    /// The invoice's `recipient` as e-conomic has it (name, address, VAT zone).
    pub recipient: Value,
    /// The VAT rate of the recipient's VAT zone, when known: lets the
    /// mapping put back a cent lost to VAT on the net.
    pub vat_rate: Option<Decimal>,
}

/// `POST /invoices/drafts`: a credit note is a draft invoice with negative
/// quantities, booked like any invoice.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EconomicCreditNote {
    pub date: String,
    pub currency: String,
    pub customer: super::economic::CustomerRef,
    pub layout: super::economic::LayoutRef,
    pub payment_terms: super::economic::PaymentTermsRef,
    pub recipient: Value,
    pub references: super::economic::References,
    pub notes: EconomicNotes,
    pub lines: Vec<super::economic::Line>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EconomicNotes {
    pub heading: String,
    pub text_line1: String,
}

impl EconomicCreditNote {
    /// The net amount e-conomic computes (negative for a credit).
    pub fn net(&self) -> Decimal {
        self.lines.iter().map(super::economic::Line::total).sum()
    }
}

/// The e-conomic credit note for `refund` of the booked invoice `invoice`.
pub fn economic_credit_note(
    refund: &Refund,
    invoice: &EconomicInvoice,
    products: &CreditProducts,
) -> Result<Mapped<EconomicCreditNote>, MappingError> {
    use super::economic::{CustomerRef, LayoutRef, Line, PaymentTermsRef, ProductRef, References};
    const TARGET: &str = "e-conomic";
    let mut rows: Vec<(Decimal, Decimal, Decimal)> = Vec::new();
    let mut lines = Vec::new();
    for (credited, target) in credited(refund, products, TARGET)? {
        let length = credited.number.chars().count();
        if length > PRODUCT_NUMBER_MAX {
            return Err(MappingError::SkuTooLong {
                title: credited.title.to_owned(),
                sku: credited.number.clone(),
                length,
                max: PRODUCT_NUMBER_MAX,
                target: TARGET,
                what: "a product number",
            });
        }
        for (quantity, unit_net_price) in credit_parts(&credited, target, TARGET)? {
            let number = u32::try_from(lines.len() + 1).unwrap_or(u32::MAX);
            // e-conomic taxes every line at the recipient's zone rate.
            let rate = invoice.vat_rate.or(credited.rate).unwrap_or_default();
            rows.push((quantity, unit_net_price, rate));
            lines.push(Line {
                line_number: number,
                sort_key: number,
                product: ProductRef {
                    product_number: credited.number.clone(),
                },
                description: credited.title.trim().to_owned(),
                quantity,
                unit_net_price,
                discount_percentage: None,
                vat_rate: rate,
            });
        }
    }
    let mut prices: Vec<Decimal> = lines.iter().map(|l| l.unit_net_price).collect();
    let mut warnings = Vec::new();
    if invoice.vat_rate.is_some() {
        warnings.extend(match_vat_on_the_net(refund, &rows, &mut prices, TARGET));
    }
    for (line, price) in lines.iter_mut().zip(prices) {
        line.unit_net_price = price;
    }
    let document = EconomicCreditNote {
        date: refund.created_at.format("%Y-%m-%d").to_string(),
        currency: refund.currency.clone(),
        customer: CustomerRef {
            customer_number: invoice.customer_number,
        },
        layout: LayoutRef {
            layout_number: invoice.layout_number,
        },
        payment_terms: PaymentTermsRef {
            payment_terms_number: invoice.payment_terms_number,
        },
        recipient: invoice.recipient.clone(),
        references: References {
            other: refund.ledger_key(),
        },
        notes: EconomicNotes {
            heading: format!("Credit note for invoice {}", invoice.booked_invoice_number),
            text_line1: format!(
                "Credits invoice {} (order {}, refund {})",
                invoice.booked_invoice_number, refund.order_e_number, refund.source_id
            ),
        },
        lines,
    };
    // Credit notes carry no rounding line: the cent move above, else a
    // warning.
    Ok(Mapped {
        document,
        warnings,
        balance: super::rounding::Balance::Exact,
    })
}

// ---------- Fortnox ----------

/// `POST /3/invoices` (`{"Invoice": …}`) for a refund after the first, or
/// `PUT /3/invoices/{credit}` to turn the copy `/credit` made into this
/// refund: negative rows, shipping and fees as article rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FortnoxCreditInvoice {
    pub customer_number: String,
    pub invoice_date: String,
    pub currency: String,
    pub your_order_number: String,
    /// The refund's key: how a retry finds this credit.
    pub external_invoice_reference1: String,
    /// The number of the invoice credited.
    pub external_invoice_reference2: String,
    pub remarks: String,
    #[serde(rename = "VATIncluded")]
    pub vat_included: bool,
    /// Always 0: shipping and fees are rows here, and the copy `/credit`
    /// makes carries the original's freight and fee until this clears them.
    #[serde(with = "money")]
    pub freight: Decimal,
    #[serde(with = "money")]
    pub administration_fee: Decimal,
    pub invoice_rows: Vec<FortnoxCreditRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FortnoxCreditRow {
    /// Set by the connector to keep (and so rewrite) a row of the credit
    /// invoice `/credit` made; rows left out of a PUT with `RowId`s go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_id: Option<u64>,
    pub article_number: String,
    pub description: String,
    #[serde(with = "money")]
    pub delivered_quantity: Decimal,
    #[serde(with = "money")]
    pub price: Decimal,
    /// VAT percentage (25 for 25 %).
    #[serde(rename = "VAT", with = "money")]
    pub vat: Decimal,
}

impl FortnoxCreditInvoice {
    /// The net amount Fortnox computes (negative for a credit).
    pub fn net(&self) -> Decimal {
        self.invoice_rows
            .iter()
            .map(|r| cents(r.delivered_quantity * r.price))
            .sum()
    }
}

/// The Fortnox credit invoice for `refund` of invoice `invoice_number`
/// (of customer `customer_number`).
pub fn fortnox_credit_invoice(
    refund: &Refund,
    invoice_number: &str,
    customer_number: &str,
    products: &CreditProducts,
) -> Result<Mapped<FortnoxCreditInvoice>, MappingError> {
    const TARGET: &str = "Fortnox";
    let mut rows = Vec::new();
    let mut taxed = Vec::new();
    for (credited, target) in credited(refund, products, TARGET)? {
        let rate = credited.rate.unwrap_or_default();
        for (quantity, price) in credit_parts(&credited, target, TARGET)? {
            taxed.push((quantity, price, rate));
            rows.push(FortnoxCreditRow {
                row_id: None,
                article_number: credited.number.clone(),
                description: credited.title.trim().to_owned(),
                delivered_quantity: quantity,
                price,
                vat: (rate * Decimal::ONE_HUNDRED).normalize(),
            });
        }
    }
    let mut prices: Vec<Decimal> = rows.iter().map(|r| r.price).collect();
    let warnings: Vec<String> = match_vat_on_the_net(refund, &taxed, &mut prices, TARGET)
        .into_iter()
        .collect();
    for (row, price) in rows.iter_mut().zip(prices) {
        row.price = price;
    }
    let document = FortnoxCreditInvoice {
        customer_number: customer_number.to_owned(),
        invoice_date: refund.created_at.format("%Y-%m-%d").to_string(),
        currency: refund.currency.clone(),
        your_order_number: shorten(&refund.order_e_number, YOUR_ORDER_NUMBER_MAX),
        external_invoice_reference1: shorten(&refund.ledger_key(), EXTERNAL_REFERENCE_MAX),
        external_invoice_reference2: shorten(invoice_number, EXTERNAL_REFERENCE_MAX),
        remarks: format!(
            "Kredit avser faktura {invoice_number} / Credit for invoice {invoice_number} \
             (order {}, refund {})",
            refund.order_e_number, refund.source_id
        ),
        vat_included: false,
        freight: Decimal::ZERO,
        administration_fee: Decimal::ZERO,
        invoice_rows: rows,
    };
    // Credit notes carry no rounding line: the cent move above, else a
    // warning.
    Ok(Mapped {
        document,
        warnings,
        balance: super::rounding::Balance::Exact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::tests::d;
    use crate::mapping::to_json;
    use crate::model::refund::RefundAmount;
    use chrono::TimeZone;

    fn products() -> CreditProducts {
        CreditProducts {
            shipping: "shipping".into(),
            fee: "fee".into(),
            refund: Some("refund".into()),
        }
    }

    fn refund_line(
        kind: LineKind,
        sku: Option<&str>,
        quantity: &str,
        net: &str,
        tax: &str,
    ) -> RefundLine {
        RefundLine {
            kind,
            order_line_id: None,
            sku: sku.map(str::to_owned),
            title: sku.unwrap_or("Shipping").to_owned(),
            quantity: d(quantity),
            net: d(net),
            tax: d(tax),
            tax_rate: Some(d("0.25")),
        }
    }

    /// One of three mugs (10.00 for three: 3.33…) and the shipping back,
    /// plus 2.50 goodwill.
    fn refund() -> Refund {
        Refund {
            source_id: "509562969".into(),
            order_source_id: "450789469".into(),
            order_e_number: "#1001".into(),
            created_at: chrono::Utc.with_ymd_and_hms(2026, 11, 2, 9, 15, 0).unwrap(),
            currency: "DKK".into(),
            lines: vec![
                refund_line(LineKind::Product, Some("MUG"), "3", "10.00", "2.50"),
                refund_line(LineKind::Shipping, None, "1", "39.99", "10.00"),
            ],
            amount_only: Some(RefundAmount {
                net: d("2.00"),
                tax: d("0.50"),
                tax_rate: Some(d("0.25")),
            }),
            total: d("64.99"),
            money_moved: true,
            reason: None,
        }
    }

    fn invoice() -> EconomicInvoice {
        EconomicInvoice {
            booked_invoice_number: 20001,
            customer_number: 7,
            layout_number: 19,
            payment_terms_number: 1,
            recipient: serde_json::json!({ "name": "Karen Blixen", "vatZone": { "vatZoneNumber": 1 } }),
            vat_rate: Some(d("0.25")),
        }
    }

    /// VAT per rate on the (positive) credited net, as a ledger adds it up.
    fn ledger_gross(rows: &[(Decimal, Decimal)]) -> Decimal {
        let net: Decimal = rows.iter().map(|(q, p)| -cents(q * p)).sum();
        net + cents(net * d("0.25"))
    }

    #[test]
    fn an_economic_credit_note_has_negative_quantities_and_the_refund_key() {
        let mapped = economic_credit_note(&refund(), &invoice(), &products()).unwrap();
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
        let note = mapped.document;
        assert_eq!(note.references.other, "#1001/R509562969");
        assert_ne!(note.references.other, "#1001");
        assert!(note.notes.text_line1.contains("invoice 20001"));
        assert!(note.notes.text_line1.contains("refund 509562969"));
        assert_eq!(note.customer.customer_number, 7);
        // 3 mugs for 10.00 split into 2 × 3.33 + 1 × 3.34, all negative.
        let numbers: Vec<&str> = note
            .lines
            .iter()
            .map(|l| l.product.product_number.as_str())
            .collect();
        assert_eq!(numbers, ["MUG", "MUG", "shipping", "refund"]);
        assert!(note.lines.iter().all(|l| l.quantity.is_sign_negative()));
        assert!(note.lines.iter().all(|l| l.unit_net_price >= Decimal::ZERO));
        assert_eq!(note.net(), d("-51.99"));
        let rows: Vec<(Decimal, Decimal)> = note
            .lines
            .iter()
            .map(|l| (l.quantity, l.unit_net_price))
            .collect();
        assert_eq!(ledger_gross(&rows), d("64.99"));
        let json: serde_json::Value = serde_json::from_slice(&to_json(&note).unwrap()).unwrap();
        assert_eq!(json["references"]["other"], "#1001/R509562969");
        assert_eq!(json["lines"][0]["quantity"], -2);
        assert!(json["notes"]["textLine1"].as_str().unwrap().len() < 250);
    }

    #[test]
    fn money_kept_back_is_a_positive_line_on_the_refund_product() {
        let mut kept = refund();
        kept.lines.truncate(1);
        kept.amount_only = Some(RefundAmount {
            net: d("-2.00"),
            tax: d("-0.50"),
            tax_rate: Some(d("0.25")),
        });
        kept.total = d("10.00");
        let note = economic_credit_note(&kept, &invoice(), &products())
            .unwrap()
            .document;
        let last = note.lines.last().unwrap();
        assert_eq!((last.quantity, last.unit_net_price), (d("1"), d("2.00")));
        assert_eq!(note.net(), d("-8.00"));
    }

    #[test]
    fn an_amount_without_a_refund_product_or_a_sku_is_refused_in_words() {
        let without = CreditProducts {
            refund: None,
            ..products()
        };
        let error = economic_credit_note(&refund(), &invoice(), &without).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("set the connection's refund_product"),
            "{error}"
        );
        let error = fortnox_credit_invoice(&refund(), "12", "3", &without).unwrap_err();
        assert!(
            error.to_string().contains("Fortnox needs a product"),
            "{error}"
        );
        let mut nothing = refund();
        nothing.lines.clear();
        nothing.amount_only = None;
        let error = fortnox_credit_invoice(&nothing, "12", "3", &products()).unwrap_err();
        assert!(error.to_string().contains("nothing to credit"), "{error}");
        let mut no_sku = refund();
        no_sku.lines[0].sku = None;
        let error = economic_credit_note(&no_sku, &invoice(), &products()).unwrap_err();
        assert!(matches!(error, MappingError::NoSku { .. }), "{error}");
    }

    #[test]
    fn a_fortnox_credit_invoice_has_negative_rows_shipping_as_a_row_and_both_references() {
        let mapped = fortnox_credit_invoice(&refund(), "12", "3", &products()).unwrap();
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
        let credit = mapped.document;
        assert_eq!(credit.external_invoice_reference1, "#1001/R509562969");
        assert_eq!(credit.external_invoice_reference2, "12");
        assert_eq!(credit.your_order_number, "#1001");
        assert!(credit.remarks.contains("Kredit avser faktura 12"));
        let articles: Vec<&str> = credit
            .invoice_rows
            .iter()
            .map(|r| r.article_number.as_str())
            .collect();
        assert_eq!(articles, ["MUG", "MUG", "shipping", "refund"]);
        assert!(credit
            .invoice_rows
            .iter()
            .all(|r| r.delivered_quantity.is_sign_negative()));
        assert_eq!(credit.invoice_rows[2].vat, d("25"));
        assert_eq!(credit.net(), d("-51.99"));
        let rows: Vec<(Decimal, Decimal)> = credit
            .invoice_rows
            .iter()
            .map(|r| (r.delivered_quantity, r.price))
            .collect();
        assert_eq!(ledger_gross(&rows), d("64.99"));
        let json: serde_json::Value = serde_json::from_slice(&to_json(&credit).unwrap()).unwrap();
        assert_eq!(
            json["Freight"], 0,
            "shipping is a row; the copy's freight is cleared"
        );
        assert_eq!(json["InvoiceRows"][2]["DeliveredQuantity"], -1);
    }

    #[test]
    fn a_cent_lost_to_vat_on_the_net_is_put_back_on_a_single_unit_line() {
        // Two 0.02 stickers and 49.00 shipping: tax per line 0.01 + 0.01 +
        // 12.25 = 61.31 back; 25 % of the net 49.04 makes 61.30.
        let mut apart = refund();
        apart.lines = vec![
            refund_line(LineKind::Product, Some("A"), "1", "0.02", "0.01"),
            refund_line(LineKind::Product, Some("B"), "1", "0.02", "0.01"),
            refund_line(LineKind::Shipping, None, "1", "49.00", "12.25"),
        ];
        apart.amount_only = None;
        apart.total = d("61.31");
        let credit = fortnox_credit_invoice(&apart, "12", "3", &products())
            .unwrap()
            .document;
        let rows: Vec<(Decimal, Decimal)> = credit
            .invoice_rows
            .iter()
            .map(|r| (r.delivered_quantity, r.price))
            .collect();
        assert_eq!(ledger_gross(&rows), d("61.31"));
        let note = economic_credit_note(&apart, &invoice(), &products())
            .unwrap()
            .document;
        let rows: Vec<(Decimal, Decimal)> = note
            .lines
            .iter()
            .map(|l| (l.quantity, l.unit_net_price))
            .collect();
        assert_eq!(ledger_gross(&rows), d("61.31"));
    }
}
