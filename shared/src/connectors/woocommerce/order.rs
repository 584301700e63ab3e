//! A WooCommerce REST v3 order (also the `order.*` webhook body) read into
//! the canonical order. Only the fields Ferry uses are declared.
//!
//! Choices worth knowing:
//! - the state is `status`; times are the `_gmt` fields, which carry no
//!   offset and are UTC (the plain ones, site-local, are only a fallback);
//! - WooCommerce stores every line's `subtotal` (before discount) and `total`
//!   (after) excluding tax, whatever `prices_include_tax` says, so they are
//!   the canonical net figures as they are; the unit price is `subtotal /
//!   quantity` (the line `price` field is after discount, so it is not used);
//! - coupons are already taken off the lines, so `coupon_lines` add nothing;
//! - a fee is a fee line, but a negative fee (how discounts are often added
//!   by hand or by plugins) is a discount that sits on no line, so it becomes
//!   a `Discount` line, as the money rules ask;
//! - public `meta_data` (keys not starting with `_`) become custom fields,
//!   line meta named "<SKU or name>: <key>";
//! - the VAT number comes from the first order meta whose key is one of the
//!   common plugins' keys: `_billing_vat_number`, `_vat_number`,
//!   `vat_number`, `_billing_vat`, `billing_vat`, `_billing_vat_id`,
//!   `vat_id`, `_billing_eu_vat_number` (compared without `_`, `-` or case).

use super::html::decode_text;
use crate::connectors::webshop::{
    full_name, key_words, money, non_blank, parse_json, value_text, Amount, Timestamp,
};
use crate::connectors::ParseError;
use crate::model::{Address, CustomField, Customer, LineKind, Order, OrderLine, Totals};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;

/// Meta keys (as lower-case letters and digits) that hold a VAT number.
const VAT_META_KEYS: &[&str] = &[
    "billingvatnumber",
    "vatnumber",
    "billingvat",
    "billingvatid",
    "vatid",
    "billingeuvatnumber",
    "euvatnumber",
];

pub(super) fn parse(body: &[u8]) -> Result<Order, ParseError> {
    money::calculable(parse_json::<WooOrder>(body)?.into_canonical()?)
}

#[derive(Deserialize)]
struct WooOrder {
    id: u64,
    number: Option<serde_json::Value>,
    status: Option<String>,
    currency: String,
    date_created_gmt: Option<Timestamp>,
    date_created: Option<Timestamp>,
    date_modified_gmt: Option<Timestamp>,
    date_modified: Option<Timestamp>,
    customer_id: Option<u64>,
    customer_note: Option<String>,
    billing: Option<WooAddress>,
    shipping: Option<WooAddress>,
    meta_data: Option<Vec<Meta>>,
    line_items: Option<Vec<LineItem>>,
    tax_lines: Option<Vec<TaxRate>>,
    shipping_lines: Option<Vec<ShippingLine>>,
    fee_lines: Option<Vec<FeeLine>>,
    total: Amount,
    total_tax: Option<Amount>,
    /// The gateway's id (`stripe`, `bacs`, `cod`, ...).
    payment_method: Option<String>,
}

#[derive(Deserialize)]
struct WooAddress {
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    address_1: Option<String>,
    address_2: Option<String>,
    city: Option<String>,
    state: Option<String>,
    postcode: Option<String>,
    country: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
struct Meta {
    key: Option<String>,
    value: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct LineItem {
    name: Option<String>,
    sku: Option<String>,
    quantity: Amount,
    subtotal: Amount,
    total: Amount,
    total_tax: Option<Amount>,
    taxes: Option<Vec<TaxShare>>,
    meta_data: Option<Vec<Meta>>,
}

#[derive(Deserialize)]
struct ShippingLine {
    method_title: Option<String>,
    method_id: Option<String>,
    total: Amount,
    total_tax: Option<Amount>,
    taxes: Option<Vec<TaxShare>>,
}

#[derive(Deserialize)]
struct FeeLine {
    name: Option<String>,
    total: Amount,
    total_tax: Option<Amount>,
    taxes: Option<Vec<TaxShare>>,
}

/// A line's share of one tax rate; `id` is the rate's id.
#[derive(Deserialize)]
struct TaxShare {
    id: Option<u64>,
    total: Option<Amount>,
}

/// An order-level tax line; newer WooCommerce also sends the rate itself.
#[derive(Deserialize)]
struct TaxRate {
    rate_id: Option<u64>,
    rate_percent: Option<Amount>,
}

/// Tax rates by rate id, as fractions (25 % → 0.25).
struct Rates(HashMap<u64, Decimal>);

impl Rates {
    /// The line's rate when the order says it: the sum of the rates the line
    /// was taxed with; 0 when it carries no tax at all.
    fn of(&self, shares: Option<&[TaxShare]>, tax: Decimal) -> Option<Decimal> {
        let charged: Vec<&TaxShare> = shares
            .unwrap_or_default()
            .iter()
            .filter(|share| !share.total.unwrap_or_default().0.is_zero())
            .collect();
        if charged.is_empty() {
            return tax.is_zero().then_some(Decimal::ZERO);
        }
        // Saturating: a sum beyond `Decimal` is refused by `calculable`.
        charged.iter().try_fold(Decimal::ZERO, |sum, share| {
            let rate = share.id.and_then(|id| self.0.get(&id))?;
            Some(sum.saturating_add(*rate))
        })
    }
}

impl WooOrder {
    fn into_canonical(self) -> Result<Order, ParseError> {
        let e_number = self
            .number
            .as_ref()
            .map(value_text)
            .and_then(|n| non_blank(Some(&n)))
            .unwrap_or_else(|| self.id.to_string());
        let created_at = self
            .date_created_gmt
            .or(self.date_created)
            .ok_or_else(|| ParseError("date_created_gmt: the order has no creation date".into()))?
            .0;
        let updated_at = self
            .date_modified_gmt
            .or(self.date_modified)
            .map_or(created_at, |t| t.0);
        let rates = Rates(
            self.tax_lines
                .iter()
                .flatten()
                .filter_map(|rate| {
                    Some((rate.rate_id?, rate.rate_percent?.0 / Decimal::ONE_HUNDRED))
                })
                .collect(),
        );
        let meta = self.meta_data.unwrap_or_default();
        let mut custom_fields: Vec<CustomField> = meta.iter().filter_map(public_field).collect();

        let mut lines = Vec::new();
        for item in self.line_items.into_iter().flatten() {
            let (line, meta) = item.into_canonical(&rates)?;
            lines.push(line);
            custom_fields.extend(meta);
        }
        lines.extend(
            self.shipping_lines
                .into_iter()
                .flatten()
                .map(|s| s.into_canonical(&rates)),
        );
        lines.extend(
            self.fee_lines
                .into_iter()
                .flatten()
                .map(|f| f.into_canonical(&rates)),
        );

        let totals = Totals {
            total: self.total.0,
            tax: match self.total_tax {
                Some(tax) => tax.0,
                None => money::sum(lines.iter().map(|l| l.tax))?,
            },
            discount: money::sum(lines.iter().map(|line| match line.kind {
                LineKind::Discount => -line.net_total(),
                _ => line.discount,
            }))?,
            shipping: money::sum(
                lines
                    .iter()
                    .filter(|l| l.kind == LineKind::Shipping)
                    .map(|l| l.net_total()),
            )?,
        };
        let billing = self.billing.as_ref();
        let shipping = self.shipping.as_ref();
        let customer = Customer {
            source_id: self
                .customer_id
                .filter(|id| *id > 0)
                .map(|id| id.to_string()),
            name: billing
                .and_then(person_name)
                .or_else(|| billing.and_then(|b| non_blank(b.company.as_deref())))
                .or_else(|| shipping.and_then(person_name))
                .or_else(|| billing.and_then(|b| non_blank(b.email.as_deref())))
                .unwrap_or_default(),
            email: billing.and_then(|b| non_blank(b.email.as_deref())),
            company: billing.and_then(|b| non_blank(b.company.as_deref())),
            vat_number: vat_number(&meta),
            phone: billing.and_then(|b| non_blank(b.phone.as_deref())),
        };
        Ok(Order {
            source_id: self.id.to_string(),
            e_number,
            state: non_blank(self.status.as_deref()).unwrap_or_else(|| "unknown".into()),
            currency: self.currency.trim().to_uppercase(),
            created_at,
            updated_at,
            customer,
            billing_address: billing.and_then(address),
            shipping_address: shipping.and_then(address),
            lines,
            totals,
            custom_fields,
            note: non_blank(self.customer_note.as_deref()),
            // One currency per order (`currency`): nothing to convert.
            shop_money: None,
            gateway: non_blank(self.payment_method.as_deref()),
            payment_terms: None,
        })
    }
}

impl LineItem {
    /// The product line, and its public meta as custom fields.
    fn into_canonical(self, rates: &Rates) -> Result<(OrderLine, Vec<CustomField>), ParseError> {
        let title = decode_text(&non_blank(self.name.as_deref()).unwrap_or_default());
        let sku = non_blank(self.sku.as_deref());
        let label = sku.clone().unwrap_or_else(|| title.clone());
        let meta = self
            .meta_data
            .iter()
            .flatten()
            .filter_map(public_field)
            .map(|field| CustomField {
                name: format!("{label}: {}", field.name),
                value: field.value,
            })
            .collect();
        let (unit_price, discount) =
            money::unit_and_discount(self.quantity.0, self.subtotal.0, self.total.0)?;
        let tax = self.total_tax.unwrap_or_default().0;
        let line = OrderLine {
            kind: LineKind::Product,
            sku,
            title,
            quantity: self.quantity.0,
            unit_price,
            discount,
            tax,
            tax_rate: rates.of(self.taxes.as_deref(), tax),
            // WooCommerce has no gift cards of its own (plugins add them).
            gift_card: false,
        };
        Ok((line, meta))
    }
}

impl ShippingLine {
    fn into_canonical(self, rates: &Rates) -> OrderLine {
        let title = non_blank(self.method_title.as_deref())
            .or_else(|| non_blank(self.method_id.as_deref()))
            .map_or_else(|| "Shipping".to_owned(), |t| decode_text(&t));
        let tax = self.total_tax.unwrap_or_default().0;
        let rate = rates.of(self.taxes.as_deref(), tax);
        single(LineKind::Shipping, title, self.total.0, tax, rate)
    }
}

impl FeeLine {
    fn into_canonical(self, rates: &Rates) -> OrderLine {
        let title =
            non_blank(self.name.as_deref()).map_or_else(|| "Fee".to_owned(), |t| decode_text(&t));
        let kind = if self.total.0 < Decimal::ZERO {
            LineKind::Discount
        } else {
            LineKind::Fee
        };
        let tax = self.total_tax.unwrap_or_default().0;
        let rate = rates.of(self.taxes.as_deref(), tax);
        single(kind, title, self.total.0, tax, rate)
    }
}

/// A shipping, fee or discount line: one unit of its net total.
fn single(
    kind: LineKind,
    title: String,
    net: Decimal,
    tax: Decimal,
    tax_rate: Option<Decimal>,
) -> OrderLine {
    OrderLine {
        kind,
        sku: None,
        title,
        quantity: Decimal::ONE,
        unit_price: net,
        discount: Decimal::ZERO,
        tax,
        tax_rate,
        gift_card: false,
    }
}

fn public_field(meta: &Meta) -> Option<CustomField> {
    let name = non_blank(meta.key.as_deref()).filter(|k| !k.starts_with('_'))?;
    let value = meta.value.as_ref().map(value_text).unwrap_or_default();
    Some(CustomField { name, value })
}

fn vat_number(meta: &[Meta]) -> Option<String> {
    meta.iter()
        .filter(|m| {
            m.key
                .as_deref()
                .is_some_and(|key| VAT_META_KEYS.contains(&key_words(key).as_str()))
        })
        .find_map(|m| non_blank(Some(&m.value.as_ref().map(value_text).unwrap_or_default())))
}

fn person_name(address: &WooAddress) -> Option<String> {
    full_name(address.first_name.as_deref(), address.last_name.as_deref())
}

/// `None` for the empty address WooCommerce sends when there is none (a
/// shipping address on an order of downloads).
fn address(woo: &WooAddress) -> Option<Address> {
    let address = Address {
        name: person_name(woo).unwrap_or_default(),
        company: non_blank(woo.company.as_deref()),
        line1: non_blank(woo.address_1.as_deref()).unwrap_or_default(),
        line2: non_blank(woo.address_2.as_deref()),
        city: non_blank(woo.city.as_deref()).unwrap_or_default(),
        zip: non_blank(woo.postcode.as_deref()).unwrap_or_default(),
        region: non_blank(woo.state.as_deref()),
        country_code: non_blank(woo.country.as_deref()).map(|c| c.to_uppercase()),
        phone: non_blank(woo.phone.as_deref()),
    };
    (address != Address::default()).then_some(address)
}
