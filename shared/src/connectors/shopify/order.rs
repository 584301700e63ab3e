//! Shopify's REST `Order` resource (also the `orders/*` webhook body) read
//! into the canonical order. Only the fields Ferry uses are declared; the rest
//! of the body is skipped.
//!
//! Choices worth knowing:
//! - the state is `financial_status`, or `cancelled` once `cancelled_at` is set;
//! - with `taxes_included`, Shopify's prices and discounts include tax: the
//!   net figures are worked out from the tax Shopify charged on each line
//!   (`money::net_from_gross`), so the lines add up to `total_price`;
//! - a line's discount is the sum of its `discount_allocations` (every
//!   discount application is allocated to lines or shipping lines), else its
//!   `total_discount`; never both, so nothing is counted twice;
//! - the REST order has no VAT number field: it is read from a note attribute
//!   named like "VAT number", "VAT ID", "Tax ID", "CVR" or "Momsnummer"
//!   (checkout apps store it there); the attribute also stays a custom field;
//! - line `properties` become custom fields named "<SKU or title>: <name>";
//!   properties whose name starts with `_` are private by Shopify convention
//!   and are left out.
//!
//! Money: Shopify states every amount twice, in the shop's currency
//! (`currency`; the plain fields such as `price`, and `shop_money` of each
//! `*_set`) and in the currency the customer paid (`presentment_currency`;
//! `presentment_money` of each `*_set`). The connection's `currency`
//! setting chooses one ([`CurrencyChoice`]); in the customer's money every
//! amount is read from its set, and the order keeps its total in the shop's
//! money ([`ShopMoney`]) so that a ledger whose base is the shop's currency
//! can book the shop's own rate. An order in one currency reads the same
//! either way.

use crate::connectors::webshop::{
    full_name, key_words, money, non_blank, parse_json, value_text, Amount, Timestamp,
};
use crate::connectors::ParseError;
use crate::model::{
    Address, CurrencyChoice, CustomField, Customer, LineKind, Order, OrderLine, ShopMoney, Totals,
};
use rust_decimal::Decimal;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Note attribute names (compared as lower-case letters and digits) that hold
/// the customer's VAT number.
const VAT_ATTRIBUTE_NAMES: &[&str] = &[
    "vat",
    "vatnumber",
    "vatno",
    "vatid",
    "vatregistrationnumber",
    "taxid",
    "taxnumber",
    "cvr",
    "cvrnumber",
    "cvrnummer",
    "momsnummer",
    "momsregistreringsnummer",
];

pub(super) fn parse(body: &[u8], money: CurrencyChoice) -> Result<Order, ParseError> {
    // Webhooks send the bare order; `GET orders/{id}.json` wraps it in
    // `{"order": ...}` (a key the order itself does not have).
    #[derive(Deserialize)]
    struct Wrapped {
        order: ShopifyOrder,
    }
    let top_level: BTreeMap<String, IgnoredAny> =
        parse_json(body).map_err(|e| ParseError(format!("not a Shopify order: {e}")))?;
    let order = if top_level.contains_key("order") {
        parse_json::<Wrapped>(body)?.order
    } else {
        parse_json::<ShopifyOrder>(body)?
    };
    let (order, shop_money) = order.in_money(money)?;
    money::calculable(order.into_canonical(shop_money)?)
}

#[derive(Deserialize)]
struct ShopifyOrder {
    id: u64,
    name: Option<String>,
    order_number: Option<u64>,
    financial_status: Option<String>,
    cancelled_at: Option<String>,
    currency: String,
    presentment_currency: Option<String>,
    created_at: Timestamp,
    updated_at: Option<Timestamp>,
    taxes_included: Option<bool>,
    email: Option<String>,
    contact_email: Option<String>,
    phone: Option<String>,
    customer: Option<ShopifyCustomer>,
    billing_address: Option<ShopifyAddress>,
    shipping_address: Option<ShopifyAddress>,
    line_items: Option<Vec<LineItem>>,
    shipping_lines: Option<Vec<ShippingLine>>,
    total_price: Amount,
    total_price_set: Option<MoneySet>,
    total_tax: Option<Amount>,
    total_tax_set: Option<MoneySet>,
    note: Option<String>,
    note_attributes: Option<Vec<NameValue>>,
    /// The gateways the order was paid through (`shopify_payments`,
    /// `paypal`, `gift_card`, `manual`, ...); the first names the order's.
    payment_gateway_names: Option<Vec<Option<String>>>,
}

#[derive(Deserialize)]
struct ShopifyCustomer {
    id: Option<u64>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    default_address: Option<ShopifyAddress>,
}

#[derive(Deserialize)]
struct ShopifyAddress {
    first_name: Option<String>,
    last_name: Option<String>,
    name: Option<String>,
    company: Option<String>,
    address1: Option<String>,
    address2: Option<String>,
    city: Option<String>,
    zip: Option<String>,
    province: Option<String>,
    province_code: Option<String>,
    country_code: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
struct LineItem {
    sku: Option<String>,
    title: Option<String>,
    name: Option<String>,
    quantity: Amount,
    price: Amount,
    price_set: Option<MoneySet>,
    total_discount: Option<Amount>,
    total_discount_set: Option<MoneySet>,
    tax_lines: Option<Vec<TaxLine>>,
    discount_allocations: Option<Vec<DiscountAllocation>>,
    properties: Option<Vec<NameValue>>,
    /// `true` on a gift card sold (Shopify's `gift_card`).
    #[serde(default)]
    gift_card: Option<bool>,
}

#[derive(Deserialize)]
struct ShippingLine {
    title: Option<String>,
    code: Option<String>,
    price: Amount,
    price_set: Option<MoneySet>,
    discounted_price: Option<Amount>,
    discounted_price_set: Option<MoneySet>,
    tax_lines: Option<Vec<TaxLine>>,
    discount_allocations: Option<Vec<DiscountAllocation>>,
}

#[derive(Deserialize)]
struct TaxLine {
    price: Amount,
    price_set: Option<MoneySet>,
    rate: Option<Amount>,
}

#[derive(Deserialize)]
struct DiscountAllocation {
    amount: Amount,
    amount_set: Option<MoneySet>,
}

/// An amount in both currencies (`price_set`, `total_price_set`, ...).
#[derive(Deserialize)]
struct MoneySet {
    shop_money: Option<SetAmount>,
    presentment_money: Option<SetAmount>,
}

#[derive(Deserialize)]
struct SetAmount {
    amount: Amount,
}

/// Reads the customer's money out of the `*_set`s: each plain amount is
/// replaced by its set's `presentment_money`; a missing set fails in words
/// naming the field (the customer's amount cannot be guessed).
struct Presentment<'a> {
    currency: &'a str,
}

impl Presentment<'_> {
    fn amount(&self, set: Option<&MoneySet>, field: &str) -> Result<Amount, ParseError> {
        set.and_then(|s| s.presentment_money.as_ref())
            .map(|m| m.amount)
            .ok_or_else(|| {
                ParseError(format!(
                    "{field}: the order was paid in {} but this amount has no presentment_money",
                    self.currency
                ))
            })
    }

    fn optional(
        &self,
        plain: Option<Amount>,
        set: Option<&MoneySet>,
        field: &str,
    ) -> Result<Option<Amount>, ParseError> {
        match (plain, set) {
            (None, None) => Ok(None),
            _ => self.amount(set, field).map(Some),
        }
    }

    fn tax_lines(&self, lines: &mut Option<Vec<TaxLine>>, at: &str) -> Result<(), ParseError> {
        for (i, line) in lines.iter_mut().flatten().enumerate() {
            line.price = self.amount(line.price_set.as_ref(), &format!("{at}.tax_lines[{i}]"))?;
        }
        Ok(())
    }

    fn allocations(
        &self,
        allocations: &mut Option<Vec<DiscountAllocation>>,
        at: &str,
    ) -> Result<(), ParseError> {
        for (i, allocation) in allocations.iter_mut().flatten().enumerate() {
            allocation.amount = self.amount(
                allocation.amount_set.as_ref(),
                &format!("{at}.discount_allocations[{i}]"),
            )?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct NameValue {
    name: Option<String>,
    value: Option<serde_json::Value>,
}

/// A line's figures as Shopify states them (gross when taxes are included).
struct Stated {
    quantity: Decimal,
    price: Decimal,
    discount: Decimal,
    tax_lines: Vec<TaxLine>,
}

impl ShopifyOrder {
    /// The order in the money the connection books in, and what it came to
    /// in the shop's money when that is another currency.
    fn in_money(mut self, money: CurrencyChoice) -> Result<(Self, Option<ShopMoney>), ParseError> {
        let shop_currency = self.currency.trim().to_uppercase();
        let paid_in = non_blank(self.presentment_currency.as_deref())
            .map(|c| c.to_uppercase())
            .filter(|c| *c != shop_currency);
        let (Some(paid_in), CurrencyChoice::Presentment) = (paid_in, money) else {
            return Ok((self, None));
        };
        let shop_total = self
            .total_price_set
            .as_ref()
            .and_then(|s| s.shop_money.as_ref())
            .map_or(self.total_price, |m| m.amount);
        let to = Presentment { currency: &paid_in };
        self.total_price = to.amount(self.total_price_set.as_ref(), "total_price")?;
        self.total_tax = to.optional(self.total_tax, self.total_tax_set.as_ref(), "total_tax")?;
        for (i, item) in self.line_items.iter_mut().flatten().enumerate() {
            let at = format!("line_items[{i}]");
            item.price = to.amount(item.price_set.as_ref(), &format!("{at}.price"))?;
            item.total_discount = to.optional(
                item.total_discount,
                item.total_discount_set.as_ref(),
                &format!("{at}.total_discount"),
            )?;
            to.tax_lines(&mut item.tax_lines, &at)?;
            to.allocations(&mut item.discount_allocations, &at)?;
        }
        for (i, line) in self.shipping_lines.iter_mut().flatten().enumerate() {
            let at = format!("shipping_lines[{i}]");
            line.price = to.amount(line.price_set.as_ref(), &format!("{at}.price"))?;
            line.discounted_price = to.optional(
                line.discounted_price,
                line.discounted_price_set.as_ref(),
                &format!("{at}.discounted_price"),
            )?;
            to.tax_lines(&mut line.tax_lines, &at)?;
            to.allocations(&mut line.discount_allocations, &at)?;
        }
        self.currency = paid_in;
        let shop_money = ShopMoney {
            currency: shop_currency,
            total: shop_total.0,
        };
        Ok((self, Some(shop_money)))
    }

    fn into_canonical(self, shop_money: Option<ShopMoney>) -> Result<Order, ParseError> {
        let taxes_included = self.taxes_included.unwrap_or(false);
        let e_number = match (non_blank(self.name.as_deref()), self.order_number) {
            (Some(name), _) => name,
            (None, Some(number)) => format!("#{number}"),
            (None, None) => {
                return Err(ParseError(
                    "name: the order has no name or order_number".into(),
                ))
            }
        };
        let state = if self
            .cancelled_at
            .as_deref()
            .is_some_and(|at| !at.trim().is_empty())
        {
            "cancelled".to_owned()
        } else {
            non_blank(self.financial_status.as_deref()).unwrap_or_else(|| "unknown".into())
        };

        let mut custom_fields: Vec<CustomField> = self
            .note_attributes
            .iter()
            .flatten()
            .filter_map(custom_field)
            .collect();
        let mut lines = Vec::new();
        for item in self.line_items.into_iter().flatten() {
            let (line, properties) = item.into_canonical(taxes_included)?;
            lines.push(line);
            custom_fields.extend(properties);
        }
        for shipping in self.shipping_lines.into_iter().flatten() {
            lines.push(shipping.into_canonical(taxes_included)?);
        }

        let totals = Totals {
            total: self.total_price.0,
            tax: self.total_tax.unwrap_or_default().0,
            discount: money::sum(lines.iter().map(|l| l.discount))?,
            shipping: money::sum(
                lines
                    .iter()
                    .filter(|l| l.kind == LineKind::Shipping)
                    .map(|l| l.net_total()),
            )?,
        };
        let billing_address = self.billing_address.as_ref().map(address);
        let customer = customer(
            self.customer.as_ref(),
            self.billing_address.as_ref(),
            self.shipping_address.as_ref(),
            [&self.email, &self.contact_email, &self.phone],
            &custom_fields,
        );
        Ok(Order {
            source_id: self.id.to_string(),
            e_number,
            state,
            currency: self.currency.trim().to_uppercase(),
            created_at: self.created_at.0,
            updated_at: self.updated_at.unwrap_or(self.created_at).0,
            customer,
            billing_address,
            shipping_address: self.shipping_address.as_ref().map(address),
            lines,
            totals,
            custom_fields,
            note: non_blank(self.note.as_deref()),
            shop_money,
            // The first gateway that is not a gift card (a gift card pays
            // part of the order; the invoice's terms follow the rest).
            gateway: self
                .payment_gateway_names
                .iter()
                .flatten()
                .filter_map(|name| non_blank(name.as_deref()))
                .min_by_key(|name| name == "gift_card"),
            payment_terms: None,
        })
    }
}

impl LineItem {
    /// The product line, and its public properties as custom fields.
    fn into_canonical(
        self,
        taxes_included: bool,
    ) -> Result<(OrderLine, Vec<CustomField>), ParseError> {
        let title = non_blank(self.name.as_deref())
            .or_else(|| non_blank(self.title.as_deref()))
            .unwrap_or_default();
        let sku = non_blank(self.sku.as_deref());
        let label = sku.clone().unwrap_or_else(|| title.clone());
        let properties = self
            .properties
            .iter()
            .flatten()
            .filter(|p| !p.name.as_deref().unwrap_or_default().starts_with('_'))
            .filter_map(custom_field)
            .map(|field| CustomField {
                name: format!("{label}: {}", field.name),
                value: field.value,
            })
            .collect();
        let stated = Stated {
            quantity: self.quantity.0,
            price: self.price.0,
            discount: line_discount(self.discount_allocations.as_deref(), self.total_discount)?,
            tax_lines: self.tax_lines.unwrap_or_default(),
        };
        let mut line = canonical_line(LineKind::Product, sku, title, stated, taxes_included)?;
        line.gift_card = self.gift_card == Some(true);
        Ok((line, properties))
    }
}

impl ShippingLine {
    fn into_canonical(self, taxes_included: bool) -> Result<OrderLine, ParseError> {
        let title = non_blank(self.title.as_deref())
            .or_else(|| non_blank(self.code.as_deref()))
            .unwrap_or_else(|| "Shipping".into());
        let discount = match self.discount_allocations.as_deref() {
            Some(allocations) if !allocations.is_empty() => {
                money::sum(allocations.iter().map(|a| a.amount.0))?
            }
            _ => match self.discounted_price {
                Some(after) => money::sub(self.price.0, after.0)?,
                None => Decimal::ZERO,
            },
        };
        let stated = Stated {
            quantity: Decimal::ONE,
            price: self.price.0,
            discount,
            tax_lines: self.tax_lines.unwrap_or_default(),
        };
        canonical_line(LineKind::Shipping, None, title, stated, taxes_included)
    }
}

fn line_discount(
    allocations: Option<&[DiscountAllocation]>,
    total_discount: Option<Amount>,
) -> Result<Decimal, ParseError> {
    match allocations {
        Some(allocations) if !allocations.is_empty() => {
            money::sum(allocations.iter().map(|a| a.amount.0))
        }
        _ => Ok(total_discount.unwrap_or_default().0),
    }
}

fn canonical_line(
    kind: LineKind,
    sku: Option<String>,
    title: String,
    stated: Stated,
    taxes_included: bool,
) -> Result<OrderLine, ParseError> {
    let tax = money::sum(stated.tax_lines.iter().map(|t| t.price.0))?;
    // No tax lines means no tax was charged on the line.
    let tax_rate = Some(money::sum(
        stated
            .tax_lines
            .iter()
            .map(|t| t.rate.unwrap_or_default().0),
    )?);
    let (unit_price, discount) = if taxes_included {
        money::net_from_gross(
            stated.quantity,
            stated.price,
            stated.discount,
            tax,
            tax_rate,
        )?
    } else {
        (stated.price, stated.discount)
    };
    Ok(OrderLine {
        kind,
        sku,
        title,
        quantity: stated.quantity,
        unit_price,
        discount,
        tax,
        tax_rate,
        gift_card: false,
    })
}

fn custom_field(attribute: &NameValue) -> Option<CustomField> {
    let name = non_blank(attribute.name.as_deref())?;
    let value = attribute.value.as_ref().map(value_text).unwrap_or_default();
    Some(CustomField { name, value })
}

fn address(shopify: &ShopifyAddress) -> Address {
    Address {
        name: address_name(shopify).unwrap_or_default(),
        company: non_blank(shopify.company.as_deref()),
        line1: non_blank(shopify.address1.as_deref()).unwrap_or_default(),
        line2: non_blank(shopify.address2.as_deref()),
        city: non_blank(shopify.city.as_deref()).unwrap_or_default(),
        zip: non_blank(shopify.zip.as_deref()).unwrap_or_default(),
        region: non_blank(shopify.province_code.as_deref())
            .or_else(|| non_blank(shopify.province.as_deref())),
        country_code: non_blank(shopify.country_code.as_deref()).map(|c| c.to_uppercase()),
        phone: non_blank(shopify.phone.as_deref()),
    }
}

fn address_name(shopify: &ShopifyAddress) -> Option<String> {
    non_blank(shopify.name.as_deref())
        .or_else(|| full_name(shopify.first_name.as_deref(), shopify.last_name.as_deref()))
}

/// The buyer as an accounting system wants them: billing details first, then
/// the customer record, then the shipping address.
fn customer(
    customer: Option<&ShopifyCustomer>,
    billing: Option<&ShopifyAddress>,
    shipping: Option<&ShopifyAddress>,
    [email, contact_email, phone]: [&Option<String>; 3],
    custom_fields: &[CustomField],
) -> Customer {
    let customer_name =
        customer.and_then(|c| full_name(c.first_name.as_deref(), c.last_name.as_deref()));
    let email = non_blank(email.as_deref())
        .or_else(|| customer.and_then(|c| non_blank(c.email.as_deref())))
        .or_else(|| non_blank(contact_email.as_deref()));
    let name = billing
        .and_then(address_name)
        .or(customer_name)
        .or_else(|| shipping.and_then(address_name))
        .or_else(|| email.clone())
        .unwrap_or_default();
    let company = billing
        .and_then(|b| non_blank(b.company.as_deref()))
        .or_else(|| {
            customer
                .and_then(|c| c.default_address.as_ref())
                .and_then(|a| non_blank(a.company.as_deref()))
        });
    let phone = billing
        .and_then(|b| non_blank(b.phone.as_deref()))
        .or_else(|| non_blank(phone.as_deref()))
        .or_else(|| customer.and_then(|c| non_blank(c.phone.as_deref())));
    let vat_number = custom_fields
        .iter()
        .find(|f| VAT_ATTRIBUTE_NAMES.contains(&key_words(&f.name).as_str()))
        .and_then(|f| non_blank(Some(&f.value)));
    Customer {
        source_id: customer.and_then(|c| c.id).map(|id| id.to_string()),
        name,
        email,
        company,
        vat_number,
        phone,
    }
}
