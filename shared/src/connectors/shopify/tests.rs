use super::*;
use crate::model::{
    Address, CredentialHealth, CurrencyChoice, CustomField, LineKind, Scope, ShopMoney, SystemId,
    SystemKind, TenantId,
};
use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

const ORDER_FIXTURE: &[u8] = include_bytes!("../../../fixtures/shopify-order-get.json");
const VECTOR_FIXTURE: &[u8] =
    include_bytes!("../../../fixtures/shopify-webhook-hmac-test-vector.json");

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

fn system(config: serde_json::Value) -> System {
    System {
        id: SystemId::generate(),
        tenant: TenantId::generate(),
        kind: SystemKind::Shopify,
        name: "Main shop".into(),
        config: config.as_object().cloned().unwrap_or_default(),
        credentials: Default::default(),
        health: CredentialHealth::default(),
        scope: Scope::default(),
        active: true,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

fn credentials(pairs: &[(&str, &str)]) -> Credentials {
    Credentials(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn shopify(secret: Option<&str>) -> Shopify {
    let mut creds = vec![("access_token", "shpat_test")];
    if let Some(secret) = secret {
        creds.push(("webhook_secret", secret));
    }
    Shopify::new(
        &system(serde_json::json!({"shop_domain": "cool-store.myshopify.com"})),
        &credentials(&creds),
        HttpClient::default(),
    )
    .unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> ::http::HeaderMap {
    let mut map = ::http::HeaderMap::new();
    for (name, value) in pairs {
        map.insert(
            ::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    map
}

// ---------------------------------------------------------------- config

#[test]
fn builds_the_address_from_the_domain_or_the_override() {
    let shop = shopify(None);
    assert_eq!(shop.base_url, "https://cool-store.myshopify.com");
    assert_eq!(shop.api_version, "2024-04");

    let pasted = Shopify::new(
        &system(serde_json::json!({"shop_domain": " https://Cool-Store.myshopify.com/ ", "api_version": "2025-01"})),
        &credentials(&[("access_token", "t")]),
        HttpClient::default(),
    )
    .unwrap();
    assert_eq!(pasted.base_url, "https://cool-store.myshopify.com");
    assert_eq!(pasted.api_version, "2025-01");

    let sandbox = Shopify::new(
        &system(serde_json::json!({"base_url": "http://127.0.0.1:4000/"})),
        &credentials(&[("access_token", "t")]),
        HttpClient::default(),
    )
    .unwrap();
    assert_eq!(sandbox.base_url, "http://127.0.0.1:4000");
    assert!(sandbox.webhook_secret.is_none());
}

#[test]
fn names_the_missing_or_wrong_field() {
    let field = |config: serde_json::Value, creds: &[(&str, &str)]| {
        Shopify::new(&system(config), &credentials(creds), HttpClient::default())
            .err()
            .map(|e| (e.field, e.system, e.message))
    };
    let token = [("access_token", "t")];
    let (name, system_name, message) = field(serde_json::json!({}), &token).unwrap();
    assert_eq!(
        (name.as_str(), system_name.as_str()),
        ("shop_domain", "Main shop")
    );
    assert!(message.contains("shop_domain"));
    let domain = serde_json::json!({"shop_domain": "cool-store.myshopify.com"});
    assert_eq!(field(domain.clone(), &[]).unwrap().0, "access_token");
    assert_eq!(
        field(domain.clone(), &[("access_token", "  ")]).unwrap().0,
        "access_token"
    );
    assert_eq!(
        field(serde_json::json!({"shop_domain": "not a domain"}), &token)
            .unwrap()
            .0,
        "shop_domain"
    );
    // Only a shop of Shopify's own domain gets the token.
    let (name, _, message) = field(serde_json::json!({"shop_domain": "a.b"}), &token).unwrap();
    assert_eq!(name, "shop_domain");
    assert!(message.contains("myshopify.com"), "{message}");
    assert_eq!(
        field(
            serde_json::json!({"shop_domain": "a.myshopify.com", "api_version": "April"}),
            &token
        )
        .unwrap()
        .0,
        "api_version"
    );
    assert_eq!(
        field(serde_json::json!({"base_url": "ftp://x"}), &token)
            .unwrap()
            .0,
        "base_url"
    );
    assert_eq!(
        field(serde_json::json!({"shop_domain": 12}), &token)
            .unwrap()
            .0,
        "shop_domain"
    );
    assert!(field(domain, &token).is_none());
}

// ---------------------------------------------------------------- webhooks

#[test]
fn verifies_shopifys_published_vector() {
    let vector: serde_json::Value = serde_json::from_slice(VECTOR_FIXTURE).unwrap();
    let body = vector["raw_body"].as_str().unwrap();
    assert_eq!(body, r#"{"foo": "bar"}"#);
    let shop = shopify(Some(vector["secret"].as_str().unwrap()));
    let sent = headers(&[
        (
            "X-Shopify-Hmac-Sha256",
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=",
        ),
        ("X-Shopify-Topic", "products/create"),
        ("X-Shopify-Webhook-Id", "123456789"),
    ]);
    let inbound = shop
        .verify_webhook(WebhookRequest {
            headers: &sent,
            body: body.as_bytes(),
        })
        .unwrap();
    assert_eq!(
        inbound,
        Inbound::Delivery(DeliveryInfo {
            delivery_id: Some("123456789".into()),
            topic: Some("products/create".into()),
        })
    );
}

#[test]
fn verifies_the_order_fixture_and_prefers_the_event_id() {
    let shop = shopify(Some("test_secret_key"));
    // Header names in any case: HTTP header names are case-insensitive.
    let sent = headers(&[
        (
            "x-shopify-hmac-SHA256",
            "g6crIGyMkZ2dxE6MXEmh9ECz5taLuQw1KTzvxZNmRaw=",
        ),
        ("X-Shopify-Topic", "orders/create"),
        (
            "X-Shopify-Webhook-Id",
            "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        ),
        ("X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5"),
    ]);
    let inbound = shop
        .verify_webhook(WebhookRequest {
            headers: &sent,
            body: ORDER_FIXTURE,
        })
        .unwrap();
    assert_eq!(
        inbound,
        Inbound::Delivery(DeliveryInfo {
            delivery_id: Some("98880550-7158-44d4-b7cd-2c97c8a091b5".into()),
            topic: Some("orders/create".into()),
        })
    );
}

#[test]
fn refuses_missing_wrong_and_unverifiable_signatures() {
    let shop = shopify(Some("test_secret_key"));
    let body = br#"{"foo": "bar"}"#;
    let none = headers(&[("X-Shopify-Topic", "orders/create")]);
    assert_eq!(
        shop.verify_webhook(WebhookRequest {
            headers: &none,
            body
        }),
        Err(WebhookError::MissingSignature {
            header: "X-Shopify-Hmac-Sha256"
        })
    );
    let wrong = headers(&[(
        "X-Shopify-Hmac-Sha256",
        "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=",
    )]);
    assert_eq!(
        shop.verify_webhook(WebhookRequest {
            headers: &wrong,
            body: br#"{"foo":"bar"}"#
        }),
        Err(WebhookError::BadSignature {
            header: "X-Shopify-Hmac-Sha256"
        })
    );
    let garbage = headers(&[("X-Shopify-Hmac-Sha256", "not base64")]);
    assert_eq!(
        shop.verify_webhook(WebhookRequest {
            headers: &garbage,
            body
        }),
        Err(WebhookError::BadSignature {
            header: "X-Shopify-Hmac-Sha256"
        })
    );
    assert_eq!(
        shopify(None).verify_webhook(WebhookRequest {
            headers: &wrong,
            body
        }),
        Err(WebhookError::NoSecret)
    );
}

// ---------------------------------------------------------------- orders

#[test]
fn parses_every_field_of_the_reference_order() {
    let order = shopify(None).parse_order(ORDER_FIXTURE).unwrap();
    assert_eq!(order.source_id, "450789469");
    assert_eq!(order.e_number, "#1001");
    assert_eq!(order.state, "partially_refunded");
    assert_eq!(order.currency, "USD");
    let at = Utc.with_ymd_and_hms(2008, 1, 10, 16, 0, 0).unwrap();
    assert_eq!((order.created_at, order.updated_at), (at, at));
    assert_eq!(order.note, None);

    let customer = &order.customer;
    assert_eq!(customer.source_id.as_deref(), Some("207119551"));
    assert_eq!(customer.name, "Bob Norman");
    assert_eq!(
        customer.email.as_deref(),
        Some("bob.norman@mail.example.com")
    );
    assert_eq!(customer.company, None);
    assert_eq!(customer.vat_number, None);
    assert_eq!(customer.phone.as_deref(), Some("+1(502)-459-2181"));

    let expected_address = Address {
        name: "Bob Norman".into(),
        company: None,
        line1: "Chestnut Street 92".into(),
        line2: None,
        city: "Louisville".into(),
        zip: "40202".into(),
        region: Some("KY".into()),
        country_code: Some("US".into()),
        phone: Some("+1(502)-459-2181".into()),
    };
    assert_eq!(order.billing_address.as_ref(), Some(&expected_address));
    assert_eq!(order.shipping_address.as_ref(), Some(&expected_address));

    let products: Vec<_> = order
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Product)
        .collect();
    assert_eq!(products.len(), 3);
    for (line, (sku, colour, discount)) in products.iter().zip([
        ("IPOD2008GREEN", "green", "3.34"),
        ("IPOD2008RED", "red", "3.33"),
        ("IPOD2008BLACK", "black", "3.33"),
    ]) {
        assert_eq!(line.sku.as_deref(), Some(sku));
        assert_eq!(line.title, format!("IPod Nano - 8gb - {colour}"));
        assert_eq!(line.quantity, dec("1"));
        // taxes_included is false: the price is already net.
        assert_eq!(line.unit_price, dec("199.00"));
        assert_eq!(line.discount, dec(discount));
        assert_eq!(line.tax, dec("3.98"));
        assert_eq!(line.tax_rate, Some(dec("0.06")));
    }
    let shipping = order.lines.last().unwrap();
    assert_eq!(shipping.kind, LineKind::Shipping);
    assert_eq!(
        (shipping.sku.as_deref(), shipping.title.as_str()),
        (None, "Free Shipping")
    );
    assert_eq!(
        (
            shipping.quantity,
            shipping.unit_price,
            shipping.discount,
            shipping.tax
        ),
        (dec("1"), dec("0"), dec("0"), dec("0"))
    );
    assert_eq!(order.lines.len(), 4);

    assert_eq!(order.totals.total, dec("598.94"));
    assert_eq!(order.totals.tax, dec("11.94"));
    assert_eq!(order.totals.discount, dec("10.00"));
    assert_eq!(order.totals.shipping, dec("0"));

    let field = |name: &str, value: &str| CustomField {
        name: name.into(),
        value: value.into(),
    };
    assert_eq!(
        order.custom_fields,
        vec![
            field("custom engraving", "Happy Birthday"),
            field("colour", "green"),
            field("IPOD2008GREEN: Custom Engraving Front", "Happy Birthday"),
            field("IPOD2008GREEN: Custom Engraving Back", "Merry Christmas"),
        ]
    );
}

/// The fixture's order object without the `{"order": ...}` wrapper, as a
/// webhook sends it.
fn bare_fixture() -> serde_json::Value {
    let wrapped: serde_json::Value = serde_json::from_slice(ORDER_FIXTURE).unwrap();
    wrapped["order"].clone()
}

#[test]
fn reads_the_bare_webhook_body_like_the_wrapped_resource() {
    let shop = shopify(None);
    let bare = serde_json::to_vec(&bare_fixture()).unwrap();
    assert_eq!(
        shop.parse_order(&bare).unwrap(),
        shop.parse_order(ORDER_FIXTURE).unwrap()
    );
}

#[test]
fn keeps_ids_above_2_pow_53_exact() {
    let text = std::str::from_utf8(ORDER_FIXTURE).unwrap().replacen(
        r#""id": 450789469, "admin"#,
        r#""id": 820982911946154508, "admin"#,
        1,
    );
    let order = shopify(None).parse_order(text.as_bytes()).unwrap();
    assert_eq!(order.source_id, "820982911946154508");
}

#[test]
fn the_orders_gateway_is_its_first_named_but_a_gift_card_and_none_when_blank() {
    let shop = shopify(None);
    assert_eq!(
        shop.parse_order(ORDER_FIXTURE).unwrap().gateway.as_deref(),
        Some("bogus")
    );
    let mut order = bare_fixture();
    order["payment_gateway_names"] = serde_json::json!([" ", "paypal", "gift_card"]);
    let parsed = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap();
    assert_eq!(parsed.gateway.as_deref(), Some("paypal"));
    order["payment_gateway_names"] = serde_json::json!(["gift_card", "stripe"]);
    let parsed = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap();
    assert_eq!(
        parsed.gateway.as_deref(),
        Some("stripe"),
        "the rest's gateway"
    );
    order["payment_gateway_names"] = serde_json::json!(["gift_card"]);
    let parsed = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap();
    assert_eq!(
        parsed.gateway.as_deref(),
        Some("gift_card"),
        "paid by card alone"
    );
    order["payment_gateway_names"] = serde_json::json!([]);
    let parsed = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap();
    assert_eq!(parsed.gateway, None);
    assert_eq!(parsed.payment_terms, None, "the flow's, not the shop's");
}

#[test]
fn a_cancelled_order_is_cancelled_whatever_it_was_paid() {
    let mut order = bare_fixture();
    order["cancelled_at"] = "2008-01-11T09:00:00-05:00".into();
    let parsed = shopify(None)
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap();
    assert_eq!(parsed.state, "cancelled");
}

/// A Danish order with prices including 25 % VAT, built so that its totals
/// reconcile the way Shopify computes them.
fn danish_order() -> serde_json::Value {
    serde_json::json!({
        "id": 9007199254740993u64,
        "name": "#1042",
        "financial_status": "paid",
        "cancelled_at": null,
        "currency": "DKK",
        "created_at": "2024-05-02T10:15:00+02:00",
        "updated_at": "2024-05-02T10:16:30+02:00",
        "taxes_included": true,
        "email": "mette@example.dk",
        "note": "Stil pakken ved døren",
        "note_attributes": [{"name": "VAT number", "value": "DK12345678"}],
        "customer": {"id": 7001, "first_name": "Mette", "last_name": "Hansen", "email": "mette@example.dk"},
        "billing_address": {"first_name": "Mette", "last_name": "Hansen", "company": "Hansen ApS",
            "address1": "Vestergade 1", "address2": "2. th", "city": "Aarhus C", "zip": "8000",
            "province": null, "province_code": null, "country_code": "dk", "phone": "+4512345678"},
        "shipping_address": null,
        "line_items": [
            {"sku": "MUG-01", "title": "Kaffekop", "name": "Kaffekop - Blå", "quantity": 2, "price": "129.00",
             "total_discount": "0.00",
             "tax_lines": [{"price": "46.44", "rate": 0.25, "title": "Moms"}],
             "discount_allocations": [{"amount": "25.80", "discount_application_index": 0}],
             "properties": [{"name": "Gravering", "value": "Mor"}, {"name": "_bundle", "value": "x"}]},
            {"sku": "TEA-02", "title": "Te, 100 g", "name": "Te, 100 g", "quantity": 3, "price": "49.95",
             "tax_lines": [{"price": "26.97", "rate": 0.25, "title": "Moms"}],
             "discount_allocations": [{"amount": "15.00", "discount_application_index": 0}]}
        ],
        "shipping_lines": [
            {"title": "GLS Pakkeshop", "code": "gls", "price": "49.00", "discounted_price": "49.00",
             "tax_lines": [{"price": "9.80", "rate": 0.25, "title": "Moms"}], "discount_allocations": []}
        ],
        "total_price": "416.05",
        "total_tax": "83.21",
        "total_discounts": "40.80"
    })
}

#[test]
fn takes_tax_out_of_tax_inclusive_prices_and_reconciles() {
    let order = shopify(None)
        .parse_order(&serde_json::to_vec(&danish_order()).unwrap())
        .unwrap();
    assert_eq!(order.source_id, "9007199254740993");
    assert_eq!(order.lines_gross_total(), order.totals.total);
    assert_eq!(order.totals.total, dec("416.05"));
    assert_eq!(order.totals.tax, dec("83.21"));

    let mug = &order.lines[0];
    assert_eq!(
        (mug.sku.as_deref(), mug.title.as_str()),
        (Some("MUG-01"), "Kaffekop - Blå")
    );
    // 258.00 gross, 25.80 off, 46.44 tax: 185.76 net after the discount.
    assert_eq!(
        (mug.unit_price, mug.discount, mug.tax),
        (dec("103.2"), dec("20.64"), dec("46.44"))
    );
    assert_eq!(mug.net_total(), dec("185.76"));
    assert_eq!(mug.tax_rate, Some(dec("0.25")));
    let tea = &order.lines[1];
    assert_eq!(tea.gross_total(), dec("134.85"));
    assert_eq!(tea.net_total(), dec("107.88"));
    let shipping = &order.lines[2];
    assert_eq!(shipping.kind, LineKind::Shipping);
    assert_eq!(
        (shipping.unit_price, shipping.tax),
        (dec("39.2"), dec("9.80"))
    );
    assert_eq!(order.totals.shipping, dec("39.2"));
    assert_eq!(order.totals.discount, mug.discount + tea.discount);

    assert_eq!(order.customer.name, "Mette Hansen");
    assert_eq!(order.customer.company.as_deref(), Some("Hansen ApS"));
    assert_eq!(order.customer.vat_number.as_deref(), Some("DK12345678"));
    assert_eq!(order.customer.phone.as_deref(), Some("+4512345678"));
    let billing = order.billing_address.unwrap();
    assert_eq!(billing.line2.as_deref(), Some("2. th"));
    assert_eq!(billing.country_code.as_deref(), Some("DK"));
    assert_eq!(order.shipping_address, None);
    assert_eq!(order.note.as_deref(), Some("Stil pakken ved døren"));
    let names: Vec<_> = order
        .custom_fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["VAT number", "MUG-01: Gravering"]);
}

#[test]
fn tax_exclusive_lines_keep_the_shops_figures() {
    let mut order = danish_order();
    order["taxes_included"] = false.into();
    let parsed = shopify(None)
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap();
    let mug = &parsed.lines[0];
    assert_eq!(
        (mug.unit_price, mug.discount),
        (dec("129.00"), dec("25.80"))
    );
}

#[test]
fn falls_back_to_total_discount_and_order_number() {
    let mut order = danish_order();
    order["name"] = serde_json::Value::Null;
    order["order_number"] = 1042.into();
    order["taxes_included"] = false.into();
    order["line_items"][0]["discount_allocations"] = serde_json::json!([]);
    order["line_items"][0]["total_discount"] = "5.00".into();
    let parsed = shopify(None)
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap();
    assert_eq!(parsed.e_number, "#1042");
    assert_eq!(parsed.lines[0].discount, dec("5.00"));
}

#[test]
fn says_where_the_body_is_wrong() {
    let shop = shopify(None);
    let mut order = bare_fixture();
    order["line_items"][0]["price"] = "abc".into();
    let err = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap_err();
    assert!(
        err.0
            .starts_with("line_items[0].price: invalid decimal 'abc'"),
        "{err}"
    );

    let mut order = bare_fixture();
    order["id"] = "450789469".into();
    let err = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap_err();
    assert!(err.0.starts_with("id: invalid type: string"), "{err}");

    let mut order = bare_fixture();
    order["created_at"] = "last tuesday".into();
    let err = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap_err();
    assert!(
        err.0
            .starts_with("created_at: invalid date-time 'last tuesday'"),
        "{err}"
    );

    let wrapped = serde_json::json!({"order": {"id": 1}});
    let err = shop
        .parse_order(&serde_json::to_vec(&wrapped).unwrap())
        .unwrap_err();
    assert!(err.0.starts_with("order: missing field"), "{err}");

    let err = shop.parse_order(b"[1, 2]").unwrap_err();
    assert!(
        err.0
            .starts_with("not a Shopify order: invalid type: sequence, expected a map"),
        "{err}"
    );
    let err = shop.parse_order(b"{\"id\": 1,").unwrap_err();
    assert!(err.0.contains("EOF"), "{err}");
}

#[test]
fn never_panics_on_cut_or_mangled_bodies() {
    let shop = shopify(None);
    for end in (0..ORDER_FIXTURE.len()).step_by(61) {
        assert!(shop.parse_order(&ORDER_FIXTURE[..end]).is_err());
    }
    let mut mangled = ORDER_FIXTURE.to_vec();
    for i in (0..mangled.len()).step_by(89) {
        mangled[i] = b'9';
        let _ = shop.parse_order(&mangled);
    }
    let huge = serde_json::json!({
        "id": 1, "name": "#1", "currency": "EUR", "created_at": "2024-01-01T00:00:00Z",
        "total_price": "1", "taxes_included": true,
        "line_items": [{"quantity": "9999999999999", "price": "9999999999999", "tax_lines": []}]
    });
    let _ = shop.parse_order(&serde_json::to_vec(&huge).unwrap());
}

// ---------------------------------------------------------------- REST

#[test]
fn turns_shopify_error_bodies_into_words() {
    assert_eq!(
        error_words(br#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#),
        "[API] Invalid API key or access token (unrecognized login or wrong password)"
    );
    assert_eq!(
        error_words(br#"{"errors":{"page":["page cannot be passed."],"base":["Not allowed"]}}"#),
        "Not allowed; page page cannot be passed."
    );
    assert_eq!(error_words(br#"{"errors":["a","b"]}"#), "a; b");
    assert_eq!(error_words(b"<html>Bad gateway</html>"), "");
}

/// Serves one canned answer for `GET /admin/api/2024-04/shop.json` and
/// records the token it was called with.
async fn shop_answering(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> (String, Arc<std::sync::Mutex<Option<String>>>) {
    use axum::http::HeaderMap;
    let seen = Arc::new(std::sync::Mutex::new(None));
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/admin/api/2024-04/shop.json",
        axum::routing::get(move |sent: HeaderMap| async move {
            *record.lock().unwrap() = sent
                .get("x-shopify-access-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut answer = axum::http::Response::builder().status(status);
            for (name, value) in headers {
                answer = answer.header(*name, *value);
            }
            answer.body(axum::body::Body::from(body)).unwrap()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn pointed_at(url: &str) -> Shopify {
    Shopify::new(
        &system(serde_json::json!({"shop_domain": "cool-store.myshopify.com", "base_url": url})),
        &credentials(&[("access_token", "shpat_right")]),
        HttpClient::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn tests_credentials_against_shop_json() {
    let (url, seen) = shop_answering(200, &[], r#"{"shop":{"id":1,"name":"Cool"}}"#).await;
    pointed_at(&url).test_credentials().await.unwrap();
    assert_eq!(seen.lock().unwrap().as_deref(), Some("shpat_right"));

    let (url, _) = shop_answering(
        401,
        &[],
        r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#,
    )
    .await;
    match pointed_at(&url).test_credentials().await {
        Err(ConnectorError::Unauthorized { message }) => {
            assert!(
                message.contains("Invalid API key or access token"),
                "{message}"
            )
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }

    let (url, _) = shop_answering(200, &[], "<html>a parked domain</html>").await;
    assert!(matches!(
        pointed_at(&url).test_credentials().await,
        Err(ConnectorError::Permanent { .. })
    ));

    let (url, _) = shop_answering(
        429,
        &[("Retry-After", "2.0")],
        r#"{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}"#,
    )
    .await;
    match pointed_at(&url).test_credentials().await {
        Err(ConnectorError::Transient { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(2)))
        }
        other => panic!("expected Transient, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_shop_is_worth_retrying() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    assert!(matches!(
        pointed_at(&url).test_credentials().await,
        Err(ConnectorError::Transient { .. })
    ));
}

/// The documented order (USD) as if paid in EUR: every `presentment_money`
/// at 0.9 of the shop's amount, to the cent.
fn paid_in_eur() -> serde_json::Value {
    fn walk(node: &mut serde_json::Value) {
        match node {
            serde_json::Value::Object(map) => {
                if let Some(money) = map.get_mut("presentment_money") {
                    let shop: Decimal = money["amount"].as_str().unwrap().parse().unwrap();
                    let paid = (shop * dec("0.9")).round_dp(2);
                    *money =
                        serde_json::json!({ "amount": paid.to_string(), "currency_code": "EUR" });
                }
                map.values_mut().for_each(walk);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut order: serde_json::Value = serde_json::from_slice(ORDER_FIXTURE).unwrap();
    order["order"]["presentment_currency"] = serde_json::json!("EUR");
    walk(&mut order);
    order
}

#[test]
fn reads_the_customers_money_or_the_shops_as_the_connection_chooses() {
    let shop = shopify(None);
    let body = serde_json::to_vec(&paid_in_eur()).unwrap();

    let paid = shop
        .parse_order_in(&body, CurrencyChoice::Presentment)
        .unwrap();
    assert_eq!(paid.currency, "EUR");
    // 598.94 × 0.9 = 539.046 → 539.05; the lines follow the same money.
    assert_eq!(paid.totals.total, dec("539.05"));
    assert_eq!(paid.lines[0].unit_price, dec("179.10"));
    assert_eq!(paid.lines[0].tax, dec("3.58"));
    assert_eq!(
        paid.shop_money,
        Some(ShopMoney {
            currency: "USD".into(),
            total: dec("598.94")
        })
    );
    assert_eq!(shop.parse_order(&body).unwrap(), paid, "the default");

    let own = shop.parse_order_in(&body, CurrencyChoice::Shop).unwrap();
    assert_eq!(own.currency, "USD");
    assert_eq!(own.totals.total, dec("598.94"));
    assert_eq!(own.lines[0].unit_price, dec("199.00"));
    assert_eq!(own.shop_money, None);
    // An order in one currency reads the same either way.
    assert_eq!(
        shop.parse_order_in(ORDER_FIXTURE, CurrencyChoice::Shop)
            .unwrap(),
        shop.parse_order_in(ORDER_FIXTURE, CurrencyChoice::Presentment)
            .unwrap()
    );
}

#[test]
fn an_amount_without_the_customers_money_fails_in_words() {
    let mut order = paid_in_eur();
    order["order"]["line_items"][1]
        .as_object_mut()
        .unwrap()
        .remove("price_set");
    let body = serde_json::to_vec(&order).unwrap();
    let err = shopify(None)
        .parse_order_in(&body, CurrencyChoice::Presentment)
        .unwrap_err();
    assert_eq!(
        err.0,
        "line_items[1].price: the order was paid in EUR but this amount has no presentment_money"
    );
    // The shop's money needs no set.
    assert!(shopify(None)
        .parse_order_in(&body, CurrencyChoice::Shop)
        .is_ok());
}

#[test]
fn a_gift_card_sold_is_marked_on_its_line() {
    let mut order: serde_json::Value = serde_json::from_slice(ORDER_FIXTURE).unwrap();
    order["order"]["line_items"][1]["gift_card"] = serde_json::json!(true);
    let parsed = shopify(None)
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap();
    let marked: Vec<bool> = parsed
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Product)
        .map(|l| l.gift_card)
        .collect();
    assert_eq!(marked, [false, true, false]);
    let plain = shopify(None).parse_order(ORDER_FIXTURE).unwrap();
    assert!(plain.lines.iter().all(|l| !l.gift_card));
}
