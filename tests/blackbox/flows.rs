//! More flows over ferry-local: WooCommerce into Fortnox, the platforms'
//! own documented orders (fixtures) into e-conomic, stale deliveries,
//! oversized bodies.

use crate::tenant::Tenant;
use ferry::connectors::signature;
use ferry_local::sandbox::{economic, fortnox, woocommerce};
use serde_json::{json, Value};
use std::time::Duration;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures");

async fn post_signed(url: &str, secret: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/json")
        .header(
            "X-Shopify-Hmac-Sha256",
            signature::sign(secret.as_bytes(), body),
        )
        .header(
            "X-WC-Webhook-Signature",
            signature::sign(secret.as_bytes(), body),
        )
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status().as_u16()
}

const WOO_SECRET: &str = "woo-secret";

/// A WooCommerce shop that only sends webhooks (no API behind it), connected
/// to a `kind` ledger for orders in processing; the connection's webhook URL.
async fn woo_webhooks_into(
    tenant: &Tenant,
    kind: &str,
    config: serde_json::Map<String, Value>,
    credentials: Value,
) -> String {
    let source = tenant
        .system(
            "woocommerce",
            json!({"base_url": "http://127.0.0.1:9"})
                .as_object()
                .cloned()
                .unwrap(),
            json!({"consumer_key": "ck_x", "consumer_secret": "cs_x", "webhook_secret": WOO_SECRET}),
        )
        .await;
    let target = tenant.system(kind, config, credentials).await;
    tenant
        .connect("flow", &source, &target, &["processing"], Value::Null)
        .await["webhook_url"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `body` as WooCommerce's `order.created` webhook, signed with [`WOO_SECRET`].
async fn post_woo_order(url: &str, body: &[u8]) -> u16 {
    let headers = [
        ("X-WC-Webhook-Topic", "order.created"),
        ("X-WC-Webhook-Delivery-ID", "d-1"),
    ];
    post_signed(url, WOO_SECRET, &headers, body).await
}

#[tokio::test]
async fn woocommerce_orders_arrive_in_fortnox_once_and_the_ping_is_answered() {
    let tenant = Tenant::start("woo-fortnox").await;
    let shop = woocommerce::spawn(woocommerce::Config::default())
        .await
        .unwrap();
    let ledger = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let source = tenant
        .system(
            "woocommerce",
            shop.system_config(),
            json!(shop.credentials().0),
        )
        .await;
    let target = tenant
        .system(
            "fortnox",
            ledger.system_config(),
            json!(ledger.credentials().0),
        )
        .await;
    let url = tenant
        .connect(
            "flow",
            &source,
            &target,
            &["processing", "completed"],
            Value::Null,
        )
        .await["webhook_url"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(shop.send_ping(&url).await.unwrap().as_u16(), 200);
    assert!(tenant.transfers().await.is_empty(), "a ping stores nothing");

    let id = shop.add_order();
    shop.set_status(id, "processing");
    let number = shop.order_json(id).unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let webhook = shop.webhook(id, "order.created");
    for _ in 0..3 {
        assert_eq!(shop.deliver(&url, &webhook).await.unwrap().as_u16(), 200);
    }
    let transfer = tenant.wait_for(&number, "delivered").await;
    let invoices = ledger.invoices();
    assert_eq!(invoices.len(), 1);
    assert_eq!(
        invoices[0].external_invoice_reference1.as_deref(),
        Some(number.as_str())
    );
    assert_eq!(transfer["target_ref"], invoices[0].document_number);
    let total: rust_decimal::Decimal = shop.order_json(id).unwrap()["total"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // The webshop rounds tax per line, Fortnox takes VAT on the net: where
    // no net reaches the webshop's total, the transfer says so in words.
    if invoices[0].total != total {
        let reason = transfer["reason"].as_str().unwrap_or_default();
        assert!(
            (invoices[0].total - total).abs() <= rust_decimal::Decimal::new(2, 2)
                && reason.contains("Fortnox computes VAT on the document's net"),
            "Fortnox's total {} misses the shop's {total} without a word: {reason:?}",
            invoices[0].total
        );
    }
    assert_eq!(ledger.too_many_requests(), 0);
    tenant.running.stop().await;
}

/// WooCommerce's documented order, made Swedish: 3 × 20.06 (tax 15.05 on
/// the line) and shipping 49.95 (tax 12.49), 137.67 in all. Fortnox's 25 %
/// of the net 110.13 is 27.53, and no net gives 137.67 (110.13 → 137.66,
/// 110.14 → 137.68): the invoice gets a VAT-free rounding row and its
/// total is the shop's.
#[tokio::test]
async fn a_total_no_net_reaches_is_booked_with_a_rounding_row_at_the_shops_total() {
    let tenant = Tenant::start("vat-on-net").await;
    let ledger = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let url = woo_webhooks_into(
        &tenant,
        "fortnox",
        ledger.system_config(),
        json!(ledger.credentials().0),
    )
    .await;

    let text = std::fs::read_to_string(format!("{FIXTURES}/woocommerce-order-get.json")).unwrap();
    let mut order: Value = serde_json::from_str(&text).unwrap();
    let tax = |total: &str| json!([{"id": 75, "total": total, "subtotal": total}]);
    order["currency"] = json!("SEK");
    order["line_items"] = json!([{
        "id": 315, "name": "Paper filters", "product_id": 93, "variation_id": 0,
        "quantity": 3, "tax_class": "", "subtotal": "60.18", "subtotal_tax": "15.05",
        "total": "60.18", "total_tax": "15.05", "taxes": tax("15.05"), "meta_data": [],
        "sku": "F-02", "price": 20.06
    }]);
    order["shipping_lines"][0]["total"] = json!("49.95");
    order["shipping_lines"][0]["total_tax"] = json!("12.49");
    order["shipping_lines"][0]["taxes"] = tax("12.49");
    order["tax_lines"][0]["rate_percent"] = json!(25);
    order["tax_lines"][0]["tax_total"] = json!("15.05");
    order["tax_lines"][0]["shipping_tax_total"] = json!("12.49");
    for (field, amount) in [
        ("shipping_total", "49.95"),
        ("shipping_tax", "12.49"),
        ("cart_tax", "15.05"),
        ("total_tax", "27.54"),
        ("total", "137.67"),
    ] {
        order[field] = json!(amount);
    }
    let body = serde_json::to_vec(&order).unwrap();
    assert_eq!(post_woo_order(&url, &body).await, 200);

    let transfer = tenant.wait_for("727", "delivered").await;
    let invoices = ledger.invoices();
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].total, rust_decimal::Decimal::new(13767, 2));
    let rounding = invoices[0]
        .rows
        .iter()
        .find(|r| r.article_number.as_deref() == Some("rounding"))
        .expect("a rounding row");
    assert_eq!(rounding.vat, rust_decimal::Decimal::ZERO);
    assert!(rounding.total.abs() <= rust_decimal::Decimal::new(2, 2));
    let reason = transfer["reason"].as_str().unwrap_or_default();
    assert!(!reason.contains("VAT"), "{reason:?}");
    tenant.running.stop().await;
}

#[tokio::test]
async fn shopifys_documented_order_arrives_in_e_conomic_with_its_customer_and_lines() {
    let tenant = Tenant::start("fixture-shopify").await;
    // Shopify's documented order charges 11.94 of tax on 587.00 at a rate
    // of 6 %: a ledger at the shop's 6 % (35.22) is 23.28 off, which this
    // merchant's rounding limit of 100.00 lets a rounding line close.
    let ledger = economic::spawn(economic::Settings {
        vat_codes: vec![("U25".into(), rust_decimal::Decimal::new(6, 2))],
        ..economic::Settings::default()
    })
    .await
    .unwrap();
    let mut ledger_config = ledger.system_config();
    ledger_config.insert("rounding_limit".into(), json!("100.00"));
    let secret = "test_secret_key";
    let source = tenant
        .system(
            "shopify",
            json!({"shop_domain": "shop1.myshopify.io", "base_url": "http://127.0.0.1:9"})
                .as_object()
                .cloned()
                .unwrap(),
            json!({"access_token": "shpat_x", "webhook_secret": secret}),
        )
        .await;
    let target = tenant
        .system("economic", ledger_config, json!(ledger.credentials().0))
        .await;
    let url = tenant
        .connect(
            "flow",
            &source,
            &target,
            &["paid", "partially_refunded"],
            Value::Null,
        )
        .await["webhook_url"]
        .as_str()
        .unwrap()
        .to_owned();

    let body = std::fs::read(format!("{FIXTURES}/shopify-order-get.json")).unwrap();
    let headers = [
        ("X-Shopify-Topic", "orders/create"),
        ("X-Shopify-Webhook-Id", "fixture-1"),
    ];
    assert_eq!(post_signed(&url, secret, &headers, &body).await, 200);
    tenant.wait_for("#1001", "delivered").await;

    let invoices = ledger.draft_invoices();
    assert_eq!(invoices.len(), 1);
    let invoice = &invoices[0];
    assert_eq!(invoice.currency, "USD");
    let customer = ledger
        .customers()
        .into_iter()
        .find(|c| c.customer_number == invoice.customer_number)
        .unwrap();
    assert_eq!(customer.name, "Bob Norman");
    assert_eq!(
        customer.email.as_deref(),
        Some("bob.norman@mail.example.com")
    );
    let skus: Vec<&str> = invoice
        .lines
        .iter()
        .filter_map(|l| l.product_number.as_deref())
        .collect();
    for sku in ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"] {
        assert!(skus.contains(&sku), "{sku} missing from {skus:?}");
    }
    // 199.00 each, less the TENOFF code's 10.00 allocated 3.34 / 3.33 / 3.33.
    let net = |sku: &str| {
        let line = invoice
            .lines
            .iter()
            .find(|l| l.product_number.as_deref() == Some(sku))
            .unwrap();
        line.total_net_amount
    };
    assert_eq!(net("IPOD2008GREEN"), rust_decimal::Decimal::new(19566, 2));
    assert_eq!(net("IPOD2008RED"), rust_decimal::Decimal::new(19567, 2));
    assert_eq!(net("IPOD2008BLACK"), rust_decimal::Decimal::new(19567, 2));
    tenant.running.stop().await;
}

#[tokio::test]
async fn woocommerces_documented_order_fails_clearly_on_its_line_without_sku() {
    let tenant = Tenant::start("fixture-woo").await;
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let url = woo_webhooks_into(
        &tenant,
        "economic",
        ledger.system_config(),
        json!(ledger.credentials().0),
    )
    .await;

    let body = std::fs::read(format!("{FIXTURES}/woocommerce-order-get.json")).unwrap();
    assert_eq!(post_woo_order(&url, &body).await, 200);
    let transfer = tenant.wait_for("727", "failed").await;
    assert_eq!(
        transfer["reason"],
        "line 'Woo Single #1' has no SKU: e-conomic needs a product number — add one in the webshop"
    );
    assert!(ledger.draft_invoices().is_empty());
    tenant.running.stop().await;
}

#[tokio::test]
async fn a_stale_delivery_never_overwrites_newer_data() {
    let tenant = Tenant::start("stale").await;
    let (shop, ledger, connection) = tenant.shopify_into_economic(&["paid"], Value::Null).await;
    let url = connection["webhook_url"].as_str().unwrap().to_owned();

    let id = shop.add_order();
    shop.set_financial_status(id, "paid");
    let e_number = shop.order_json(id).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_paid = shop.webhook(id, "orders/create");
    tokio::time::sleep(Duration::from_millis(1100)).await; // updated_at has second precision
    shop.set_financial_status(id, "voided");
    let new_voided = shop.webhook(id, "orders/updated");

    // The newer version arrives first and is skipped; the older "paid" one
    // arriving late must not bring the order back and book it.
    assert_eq!(shop.deliver(&url, &new_voided).await.unwrap().as_u16(), 200);
    tenant.wait_for(&e_number, "skipped").await;
    assert_eq!(shop.deliver(&url, &old_paid).await.unwrap().as_u16(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let transfer = tenant.wait_for(&e_number, "skipped").await;
    let detail = tenant
        .get(&format!("/transfers/{}", transfer["id"].as_str().unwrap()))
        .await;
    assert_eq!(detail["source_payload"]["financial_status"], "voided");
    assert!(ledger.draft_invoices().is_empty());
    tenant.running.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_nothing_is_stored() {
    let tenant = Tenant::start("large").await;
    let (shop, _ledger, connection) = tenant.shopify_into_economic(&["paid"], Value::Null).await;
    let url = connection["webhook_url"].as_str().unwrap().to_owned();
    let body = vec![b' '; ferry::Limits::default().max_webhook_bytes + 1];
    let secret = shop.config().webhook_secret.clone();
    assert_eq!(
        post_signed(
            &url,
            &secret,
            &[("X-Shopify-Topic", "orders/create")],
            &body
        )
        .await,
        413
    );
    assert!(tenant.transfers().await.is_empty());
    tenant.running.stop().await;
}

/// An order that used to panic its delivery (a line of 10^-28 units with a
/// discount: e-conomic's discount percentage, the discount divided by that
/// line's price, overflowed `Decimal`) fails alone, in words, and the
/// worker goes on delivering the orders before and after it.
#[tokio::test]
async fn an_order_that_panicked_its_delivery_fails_alone_and_the_next_ones_arrive() {
    use ferry_local::sandbox::shopify;
    let tenant = Tenant::start("panic-delivery").await;
    let shop = shopify::spawn(shopify::Config {
        taxes_included: false,
        ..shopify::Config::default()
    })
    .await
    .unwrap();
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let source = tenant
        .system("shopify", shop.system_config(), json!(shop.credentials().0))
        .await;
    let target = tenant
        .system(
            "economic",
            ledger.system_config(),
            json!(ledger.credentials().0),
        )
        .await;
    let connection = tenant
        .connect("Shop > ledger", &source, &target, &["paid"], Value::Null)
        .await;
    let url = format!(
        "{}/webhooks/{}",
        tenant.running.base_url(),
        connection["id"].as_str().unwrap()
    );
    let paid_order = || {
        let id = shop.add_order();
        assert!(shop.set_financial_status(id, "paid"));
        let name = shop.order_json(id).unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, name)
    };
    let send = |id: u64| {
        let (shop, url) = (&shop, &url);
        async move {
            shop.send_webhook(url, id, "orders/create")
                .await
                .unwrap()
                .as_u16()
        }
    };

    let (before, before_name) = paid_order();
    let (broken, broken_name) = paid_order();
    assert!(shop.edit_order(broken, |order| {
        let line = &mut order["line_items"][0];
        line["quantity"] = json!("0.0000000000000000000000000001");
        line["total_discount"] = json!("10.00");
        line["discount_allocations"] = json!([]);
    }));
    assert_eq!(send(before).await, 200);
    assert_eq!(send(broken).await, 200);
    tenant.wait_for(&before_name, "delivered").await;
    let failed = tenant.wait_for(&broken_name, "failed").await;
    let reason = failed["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("cannot be priced to the cent"), "{failed}");

    let (after, after_name) = paid_order();
    assert_eq!(send(after).await, 200);
    tenant.wait_for(&after_name, "delivered").await;
    assert_eq!(ledger.draft_invoices().len(), 2);
    tenant.running.stop().await;
}
