//! A basket turned into a WooCommerce REST v3 order, with WooCommerce's
//! shapes and arithmetic: line `subtotal`/`total` excluding tax before and
//! after the coupon (whatever `prices_include_tax` says), the line `price` as
//! a JSON number (after discount, as WooCommerce computes it), times with and
//! without `_gmt`, and coupons, fees and shipping as their own lines.

use super::super::webshop::{self, money, Basket, Generator, Priced};
use super::Config;
use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// WooCommerce's id of the shop's standard tax rate.
const RATE_ID: u64 = 1;
/// WooCommerce's id of the shop's reduced rate (tax class `reduced-rate`).
const REDUCED_RATE_ID: u64 = 2;

pub(super) fn build(
    basket: &Basket,
    id: u64,
    at: DateTime<Utc>,
    base_url: &str,
    config: &Config,
    ids: &mut Generator,
) -> Value {
    let market = config.market;
    let rate = market.vat_rate();
    let incl = config.prices_include_tax;
    let percent_off = basket.coupon.as_ref().map_or(Decimal::ZERO, |c| c.percent);
    let taxes = |id: u64, after: Decimal, before: Decimal| json!([{ "id": id, "total": after.normalize().to_string(), "subtotal": before.normalize().to_string() }]);
    // Cart tax on goods at the reduced rate, when any.
    let mut reduced_tax: Option<(Decimal, Decimal)> = None;
    let mut item_id = id * 10;
    let mut next_item = || {
        item_id += 1;
        item_id
    };

    let (mut goods_net, mut goods_tax, mut discount_net, mut discount_tax) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut line_items = Vec::new();
    for (product, quantity) in &basket.lines {
        let priced = Priced::new(
            product.price * Decimal::from(*quantity),
            percent_off,
            product.rate,
            incl,
        );
        let reduced = product.rate != rate;
        if reduced {
            let (_, tax) = reduced_tax.get_or_insert((product.rate, Decimal::ZERO));
            *tax += priced.tax_after;
        }
        let (rate_id, tax_class) = if reduced {
            (REDUCED_RATE_ID, "reduced-rate")
        } else {
            (RATE_ID, "")
        };
        goods_net += priced.net_after;
        goods_tax += priced.tax_after;
        discount_net += priced.net_before - priced.net_after;
        discount_tax += priced.tax_before - priced.tax_after;
        let name = match product.variant {
            Some(variant) => format!("{} &ndash; {variant}", product.title),
            None => product.title.to_owned(),
        };
        let variant_meta = match product.variant {
            Some(variant) => {
                json!([{ "id": next_item(), "key": "pa_colour", "value": variant.to_lowercase(),
                                      "display_key": "Colour", "display_value": variant }])
            }
            None => json!([]),
        };
        let unit_after = priced.net_after / Decimal::from((*quantity).max(1));
        line_items.push(json!({
            "id": next_item(),
            "name": name,
            "product_id": 100 + product.number,
            "variation_id": if product.variant.is_some() { 200 + product.number } else { 0 },
            "quantity": quantity,
            "tax_class": tax_class,
            "subtotal": money(priced.net_before),
            "subtotal_tax": money(priced.tax_before),
            "total": money(priced.net_after),
            "total_tax": money(priced.tax_after),
            "taxes": taxes(rate_id, priced.tax_after, priced.tax_before),
            "meta_data": variant_meta,
            "sku": product.sku,
            "price": unit_after.to_f64(),
            "image": { "id": 300 + product.number, "src": format!("{base_url}/wp-content/uploads/{}.jpg", product.sku.to_lowercase()) },
            "parent_name": product.variant.map(|_| product.title),
        }));
    }

    let shipping = Priced::new(basket.shipping.price, Decimal::ZERO, rate, incl);
    let free = basket.shipping.price.is_zero();
    let shipping_line = json!({
        "id": next_item(),
        "method_title": basket.shipping.title,
        "method_id": if free { "free_shipping" } else { "flat_rate" },
        "instance_id": if free { "4" } else { "3" },
        "total": money(shipping.net_after),
        "total_tax": money(shipping.tax_after),
        "taxes": if free { json!([]) } else { taxes(RATE_ID, shipping.tax_after, shipping.tax_after) },
        "meta_data": []
    });

    let mut fee_lines = Vec::new();
    let (mut fee_net, mut fee_tax) = (Decimal::ZERO, Decimal::ZERO);
    if let Some(fee) = &basket.fee {
        let priced = Priced::new(fee.price, Decimal::ZERO, rate, incl);
        fee_net += priced.net_after;
        fee_tax += priced.tax_after;
        fee_lines.push(json!({
            "id": next_item(),
            "name": fee.title,
            "tax_class": "",
            "tax_status": "taxable",
            "amount": money(priced.net_after),
            "total": money(priced.net_after),
            "total_tax": money(priced.tax_after),
            "taxes": taxes(RATE_ID, priced.tax_after, priced.tax_after),
            "meta_data": []
        }));
    }
    let coupon_lines = match &basket.coupon {
        Some(coupon) => json!([{
            "id": next_item(),
            "code": coupon.code.to_lowercase(),
            "discount": money(discount_net),
            "discount_tax": money(discount_tax),
            "meta_data": []
        }]),
        None => json!([]),
    };

    let cart_tax = goods_tax + fee_tax;
    let total_tax = cart_tax + shipping.tax_after;
    let total = goods_net + fee_net + shipping.net_after + total_tax;
    let rate_code = |rate_number: u64| {
        format!(
            "{}-{}-{rate_number}",
            market.country_code(),
            market.tax_title().trim_end_matches('.').to_uppercase()
        )
    };
    let reduced_cart_tax = reduced_tax.map_or(Decimal::ZERO, |(_, tax)| tax);
    let mut tax_lines = vec![json!({
        "id": next_item(),
        "rate_code": rate_code(1),
        "rate_id": RATE_ID,
        "label": market.tax_title(),
        "compound": false,
        "tax_total": money(cart_tax - reduced_cart_tax),
        "shipping_tax_total": money(shipping.tax_after),
        "rate_percent": (rate * Decimal::ONE_HUNDRED).to_u32(),
        "meta_data": []
    })];
    if let Some((reduced_rate, tax)) = reduced_tax {
        tax_lines.push(json!({
            "id": next_item(),
            "rate_code": rate_code(2),
            "rate_id": REDUCED_RATE_ID,
            "label": market.tax_title(),
            "compound": false,
            "tax_total": money(tax),
            "shipping_tax_total": "0.00",
            "rate_percent": (reduced_rate * Decimal::ONE_HUNDRED).to_u32(),
            "meta_data": []
        }));
    }
    let status = status(ids);
    let paid = matches!(status, "processing" | "completed");
    let local = |at: DateTime<Utc>| {
        at.with_timezone(&config.utc_offset)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let gmt = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%S").to_string();
    let (payment_method, payment_title) = if basket.fee.is_some() {
        ("invoice", "Invoice (14 days)")
    } else {
        ("stripe", "Credit card (Stripe)")
    };
    let buyer = &basket.buyer;
    let registered = !ids.one_in(3);
    let mut meta_data = vec![
        json!({ "id": next_item(), "key": "_wc_order_attribution_source_type", "value": "typein" }),
    ];
    if let Some(vat) = buyer.vat_number {
        meta_data.push(json!({ "id": next_item(), "key": "_billing_vat_number", "value": vat }));
    }
    if let Some(message) = basket.gift_message {
        meta_data.push(json!({ "id": next_item(), "key": "gift_message", "value": message }));
    }

    // Two halves: one `json!` this large exceeds the macro recursion limit.
    let identity_and_people = json!({
        "id": id,
        "parent_id": 0,
        "number": id.to_string(),
        "order_key": format!("wc_order_{}", ids.hex(13)),
        "created_via": "checkout",
        "version": config.wc_version,
        "status": status,
        "currency": market.currency(),
        "currency_symbol": if market.currency() == "DKK" { "kr." } else { "€" },
        "date_created": local(at),
        "date_created_gmt": gmt(at),
        "date_modified": local(at),
        "date_modified_gmt": gmt(at),
        "date_paid": if paid { json!(local(at)) } else { Value::Null },
        "date_paid_gmt": if paid { json!(gmt(at)) } else { Value::Null },
        "date_completed": if status == "completed" { json!(local(at)) } else { Value::Null },
        "date_completed_gmt": if status == "completed" { json!(gmt(at)) } else { Value::Null },
        "discount_total": money(discount_net),
        "discount_tax": money(discount_tax),
        "shipping_total": money(shipping.net_after),
        "shipping_tax": money(shipping.tax_after),
        "cart_tax": money(cart_tax),
        "total": money(total),
        "total_tax": money(total_tax),
        "prices_include_tax": incl,
        "customer_id": if registered { 40 + buyer.number } else { 0 },
        "customer_ip_address": format!("192.0.2.{}", ids.number(1..255)),
        "customer_user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
        "customer_note": basket.note.unwrap_or_default(),
        "billing": {
            "first_name": buyer.first_name, "last_name": buyer.last_name,
            "company": buyer.company.unwrap_or_default(),
            "address_1": buyer.address1, "address_2": "", "city": buyer.city, "state": "",
            "postcode": buyer.zip, "country": market.country_code(),
            "email": buyer.email, "phone": buyer.phone
        },
        "shipping": {
            "first_name": buyer.first_name, "last_name": buyer.last_name,
            "company": buyer.company.unwrap_or_default(),
            "address_1": buyer.address1, "address_2": "", "city": buyer.city, "state": "",
            "postcode": buyer.zip, "country": market.country_code(), "phone": ""
        },
    });
    let payment_and_lines = json!({
        "payment_method": payment_method,
        "payment_method_title": payment_title,
        "transaction_id": if paid && basket.fee.is_none() { format!("ch_{}", ids.hex(24)) } else { String::new() },
        "cart_hash": ids.hex(32),
        "meta_data": meta_data,
        "line_items": line_items,
        "tax_lines": tax_lines,
        "shipping_lines": [shipping_line],
        "fee_lines": fee_lines,
        "coupon_lines": coupon_lines,
        "refunds": [],
        "payment_url": format!("{base_url}/checkout/order-pay/{id}/?pay_for_order=true"),
        "is_editable": false,
        "needs_payment": !paid,
        "needs_processing": true,
        "_links": {
            "self": [{ "href": format!("{base_url}/wp-json/wc/v3/orders/{id}") }],
            "collection": [{ "href": format!("{base_url}/wp-json/wc/v3/orders") }]
        }
    });
    webshop::merged(identity_and_people, payment_and_lines)
}

fn status(ids: &mut Generator) -> &'static str {
    match ids.number(0..20) {
        0..=11 => "processing",
        12..=14 => "completed",
        15..=17 => "on-hold",
        _ => "pending",
    }
}
