//! A basket turned into Shopify's REST `Order` resource, with the fields,
//! the shapes and the arithmetic Shopify uses: amounts as decimal strings
//! with `*_set` pairs, discounts allocated to the lines, tax computed on each
//! line after its discount, and ids above 2^53.

use super::super::webshop::{self, local_time, money, Basket, Buyer, Generator, Priced};
use super::Config;
use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// Customer ids are above 2^53 too, as in current shops.
const FIRST_CUSTOMER_ID: u64 = 9_007_199_254_740_993;
const FIRST_PRODUCT_ID: u64 = 8_011_428_675_894;

/// The order's identity: its id and its number (1 → "#1001").
pub(super) struct Identity {
    pub id: u64,
    pub number: u64,
    pub at: DateTime<Utc>,
}

pub(super) fn build(
    basket: &Basket,
    who: &Identity,
    config: &Config,
    ids: &mut Generator,
) -> Value {
    let market = config.market;
    let currency = market.currency();
    let rate = market.vat_rate();
    let percent_off = basket.coupon.as_ref().map_or(Decimal::ZERO, |c| c.percent);
    let when = local_time(who.at, config.utc_offset);
    let set = |amount: Decimal| money_set(amount, currency);
    let tax_line = |amount: Decimal, rate: Decimal| {
        json!({
            "price": money(amount), "rate": rate.to_f64(), "title": market.tax_title(),
            "price_set": set(amount), "channel_liable": false
        })
    };
    // The order's tax per rate, as its `tax_lines` list it.
    let mut by_rate: Vec<(Decimal, Decimal)> = Vec::new();
    let mut add_tax =
        |rate: Decimal, amount: Decimal| match by_rate.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, total)) => *total += amount,
            None => by_rate.push((rate, amount)),
        };

    let mut line_items = Vec::new();
    let (mut listed_total, mut discounts, mut tax_total, mut grams) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, 0u32);
    for (product, quantity) in &basket.lines {
        let listed = product.price * Decimal::from(*quantity);
        let priced = Priced::new(listed, percent_off, product.rate, config.taxes_included);
        listed_total += listed;
        discounts += priced.discount;
        tax_total += priced.tax_after;
        add_tax(product.rate, priced.tax_after);
        grams += product.grams * quantity;
        let allocations = if basket.coupon.is_some() {
            json!([{ "amount": money(priced.discount), "amount_set": set(priced.discount),
                     "discount_application_index": 0 }])
        } else {
            json!([])
        };
        let name = match product.variant {
            Some(variant) => format!("{} - {variant}", product.title),
            None => product.title.to_owned(),
        };
        let line_id = ids.number(10_000_000_000_000..90_000_000_000_000);
        line_items.push(json!({
            "id": line_id,
            "admin_graphql_api_id": format!("gid://shopify/LineItem/{line_id}"),
            "product_id": FIRST_PRODUCT_ID + product.number,
            "variant_id": (FIRST_PRODUCT_ID + product.number) * 10 + 1,
            "sku": product.sku,
            "title": product.title,
            "variant_title": product.variant,
            "name": name,
            "vendor": "Ferry Sandbox Coffee",
            "quantity": quantity,
            "current_quantity": quantity,
            "fulfillable_quantity": quantity,
            "fulfillment_status": null,
            "fulfillment_service": "manual",
            "requires_shipping": true,
            "taxable": true,
            "gift_card": false,
            "product_exists": true,
            "grams": product.grams,
            "price": money(product.price),
            "price_set": set(product.price),
            // Shopify leaves this at zero and allocates discounts instead.
            "total_discount": "0.00",
            "total_discount_set": set(Decimal::ZERO),
            "properties": [],
            "tax_lines": [tax_line(priced.tax_after, product.rate)],
            "discount_allocations": allocations,
            "duties": []
        }));
    }

    let shipping = Priced::new(
        basket.shipping.price,
        Decimal::ZERO,
        rate,
        config.taxes_included,
    );
    tax_total += shipping.tax_after;
    let shipping_tax_lines = if basket.shipping.price.is_zero() {
        json!([])
    } else {
        add_tax(rate, shipping.tax_after);
        json!([tax_line(shipping.tax_after, rate)])
    };
    let order_tax_lines: Vec<Value> = by_rate
        .iter()
        .map(|(rate, amount)| tax_line(*amount, *rate))
        .collect();
    let shipping_id = ids.number(4_000_000_000_000..5_000_000_000_000);
    let shipping_line = json!({
        "id": shipping_id,
        "code": basket.shipping.title,
        "title": basket.shipping.title,
        "source": "shopify",
        "price": money(basket.shipping.price),
        "price_set": set(basket.shipping.price),
        "discounted_price": money(basket.shipping.price),
        "discounted_price_set": set(basket.shipping.price),
        "carrier_identifier": null,
        "phone": null,
        "requested_fulfillment_service_id": null,
        "tax_lines": shipping_tax_lines,
        "discount_allocations": []
    });

    let subtotal = listed_total - discounts;
    let total = if config.taxes_included {
        subtotal + basket.shipping.price
    } else {
        subtotal + basket.shipping.price + tax_total
    };
    let (discount_codes, discount_applications) = match &basket.coupon {
        Some(coupon) => (
            json!([{ "code": coupon.code, "amount": money(discounts), "type": "percentage" }]),
            json!([{
                "target_type": "line_item", "type": "discount_code",
                "value": (coupon.percent * Decimal::ONE_HUNDRED).normalize().to_string(),
                "value_type": "percentage", "allocation_method": "across",
                "target_selection": "all", "code": coupon.code
            }]),
        ),
        None => (json!([]), json!([])),
    };
    let mut note_attributes = Vec::new();
    if let Some(vat) = basket.buyer.vat_number {
        note_attributes.push(json!({ "name": "VAT number", "value": vat }));
    }
    if let Some(message) = basket.gift_message {
        note_attributes.push(json!({ "name": "Gift message", "value": message }));
    }
    let address = address(&basket.buyer, config);

    let identity_and_people = json!({
        "id": who.id,
        "admin_graphql_api_id": format!("gid://shopify/Order/{}", who.id),
        "name": format!("#{}", 1000 + who.number),
        "number": who.number,
        "order_number": 1000 + who.number,
        "confirmation_number": ids.hex(9).to_uppercase(),
        "token": ids.hex(32),
        "checkout_token": ids.hex(32),
        "email": basket.buyer.email,
        "contact_email": basket.buyer.email,
        "phone": null,
        "created_at": when,
        "updated_at": when,
        "processed_at": when,
        "closed_at": null,
        "cancelled_at": null,
        "cancel_reason": null,
        "confirmed": true,
        "test": false,
        "source_name": "web",
        "currency": currency,
        "presentment_currency": currency,
        "financial_status": financial_status(ids),
        "fulfillment_status": null,
        "taxes_included": config.taxes_included,
        "tax_exempt": false,
        "estimated_taxes": false,
        "buyer_accepts_marketing": false,
        "payment_gateway_names": ["shopify_payments"],
        "tags": "",
        "note": basket.note,
        "note_attributes": note_attributes,
    });
    // Two halves: one `json!` this large exceeds the macro recursion limit.
    let money_and_lines = json!({
        "total_line_items_price": money(listed_total),
        "total_line_items_price_set": set(listed_total),
        "subtotal_price": money(subtotal),
        "subtotal_price_set": set(subtotal),
        "current_subtotal_price": money(subtotal),
        "total_discounts": money(discounts),
        "total_discounts_set": set(discounts),
        "current_total_discounts": money(discounts),
        "total_shipping_price_set": set(basket.shipping.price),
        "total_tax": money(tax_total),
        "total_tax_set": set(tax_total),
        "current_total_tax": money(tax_total),
        "total_price": money(total),
        "total_price_set": set(total),
        "current_total_price": money(total),
        "total_outstanding": "0.00",
        "total_tip_received": "0.00",
        "total_weight": grams,
        "tax_lines": order_tax_lines,
        "discount_codes": discount_codes,
        "discount_applications": discount_applications,
        "customer": customer(&basket.buyer, &when, currency, &address),
        "billing_address": address.clone(),
        "shipping_address": address,
        "line_items": line_items,
        "shipping_lines": [shipping_line],
        "fulfillments": [],
        "refunds": []
    });
    webshop::merged(identity_and_people, money_and_lines)
}

fn financial_status(ids: &mut Generator) -> &'static str {
    match ids.number(0..20) {
        0..=13 => "paid",
        14..=16 => "pending",
        _ => "authorized",
    }
}

fn money_set(amount: Decimal, currency: &str) -> Value {
    let money = json!({ "amount": money(amount), "currency_code": currency });
    json!({ "shop_money": money, "presentment_money": money })
}

fn address(buyer: &Buyer, config: &Config) -> Value {
    json!({
        "first_name": buyer.first_name,
        "last_name": buyer.last_name,
        "name": format!("{} {}", buyer.first_name, buyer.last_name),
        "company": buyer.company,
        "address1": buyer.address1,
        "address2": "",
        "city": buyer.city,
        "zip": buyer.zip,
        "province": null,
        "province_code": null,
        "country": config.market.country(),
        "country_code": config.market.country_code(),
        "phone": buyer.phone,
        "latitude": null,
        "longitude": null
    })
}

fn customer(buyer: &Buyer, when: &str, currency: &str, address: &Value) -> Value {
    let id = FIRST_CUSTOMER_ID + buyer.number;
    let mut default_address = address.clone();
    default_address["id"] = json!(id + 7);
    default_address["customer_id"] = json!(id);
    default_address["default"] = json!(true);
    json!({
        "id": id,
        "admin_graphql_api_id": format!("gid://shopify/Customer/{id}"),
        "email": buyer.email,
        "first_name": buyer.first_name,
        "last_name": buyer.last_name,
        "phone": buyer.phone,
        "state": "enabled",
        "verified_email": true,
        "tax_exempt": false,
        "tags": "",
        "note": null,
        "currency": currency,
        "created_at": when,
        "updated_at": when,
        "default_address": default_address
    })
}
