//! The canonical order: what every source is parsed into and every target is
//! mapped from.
//!
//! Money rules, so that sources and targets agree without guessing:
//! - every amount is an exact [`Decimal`] in the order's currency;
//! - `unit_price` is per unit, **excluding tax, before the line's discount**;
//! - `discount` is the line's whole discount, excluding tax, as a positive amount;
//! - `tax` is the line's whole tax after discount;
//! - a discount the source allocated to lines is carried on those lines; only a
//!   discount that is not on any line becomes a [`LineKind::Discount`] line
//!   (with a negative `unit_price`), so nothing is counted twice;
//! - [`Totals::total`] is what the customer paid, including tax, as the shop says.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The source's own id of the order (Shopify ids exceed 2^53: kept as text).
    pub source_id: String,
    /// The webshop's order number as the merchant knows it: the "e-number"
    /// (Shopify `name` "#1001", WooCommerce `number` "727").
    pub e_number: String,
    /// The source's own word for the order state (Shopify `financial_status`
    /// or `cancelled`; WooCommerce `status`).
    pub state: String,
    /// ISO 4217 code.
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub customer: Customer,
    pub billing_address: Option<Address>,
    pub shipping_address: Option<Address>,
    pub lines: Vec<OrderLine>,
    pub totals: Totals,
    /// Custom fields: Shopify `note_attributes`, WooCommerce `meta_data` (public keys).
    #[serde(default)]
    pub custom_fields: Vec<CustomField>,
    pub note: Option<String>,
    /// What the order came to in the shop's own currency, when it is booked
    /// in another (the customer's, see `Connection::currency`): the rate
    /// the shop converted with follows from it. `None` when the order is in
    /// the shop's currency or the shop does not say.
    #[serde(default)]
    pub shop_money: Option<ShopMoney>,
    /// The shop's word for how the order is paid (Shopify's first
    /// `payment_gateway_names` that is not `gift_card`, else `gift_card`;
    /// WooCommerce `payment_method`): the key of
    /// the connection's `payments.gateways`. `None` when the shop names none.
    #[serde(default)]
    pub gateway: Option<String>,
    /// The ledger's payment terms for this order's document, chosen by the
    /// order flow from the connection before delivery
    /// ([`crate::model::PaymentSettings::payment_terms_for`]); sources leave
    /// it `None`, and `None` means the ledger system's default. e-conomic's
    /// mapping sends it as `paymentTerms`; Fortnox's ignores it (its
    /// `TermsOfPayment` is a code, not sent by Ferry).
    #[serde(default)]
    pub payment_terms: Option<u64>,
}

/// An order's total in the shop's own currency (Shopify
/// `total_price_set.shop_money`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopMoney {
    /// ISO 4217 code of the shop's currency.
    pub currency: String,
    /// [`Totals::total`] in that currency.
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Customer {
    /// The source's customer id, when the order has a registered customer.
    pub source_id: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub company: Option<String>,
    pub vat_number: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    pub name: String,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub zip: String,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Product,
    Shipping,
    Fee,
    Discount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub kind: LineKind,
    /// The product's SKU; targets use it as their product number.
    pub sku: Option<String>,
    pub title: String,
    pub quantity: Decimal,
    /// Per unit, excluding tax, before discount.
    pub unit_price: Decimal,
    /// The whole line's discount, excluding tax (positive).
    pub discount: Decimal,
    /// The whole line's tax, after discount.
    pub tax: Decimal,
    /// Tax rate as a fraction (0.25 for 25 %), when the source says.
    pub tax_rate: Option<Decimal>,
    /// A gift card sold (Shopify `line_items[].gift_card`): a liability
    /// the ledger books on its gift-card product, not revenue.
    #[serde(default)]
    pub gift_card: bool,
}

impl OrderLine {
    /// The line's amount excluding tax, after discount.
    pub fn net_total(&self) -> Decimal {
        self.unit_price * self.quantity - self.discount
    }

    /// The line's amount including tax, after discount.
    pub fn gross_total(&self) -> Decimal {
        self.net_total() + self.tax
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// What the customer paid, including tax.
    pub total: Decimal,
    /// The order's whole tax.
    pub tax: Decimal,
    /// The order's whole discount, excluding tax, for information.
    pub discount: Decimal,
    /// Shipping, excluding tax, for information.
    pub shipping: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    pub name: String,
    pub value: String,
}

impl Order {
    /// The sum of every line including tax: should equal `totals.total`.
    pub fn lines_gross_total(&self) -> Decimal {
        self.lines.iter().map(OrderLine::gross_total).sum()
    }
}
