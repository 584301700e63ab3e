use super::*;
use crate::connectors::signature;
use crate::model::{
    Address, CredentialHealth, CustomField, LineKind, Scope, SystemId, SystemKind, TenantId,
};
use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

const ORDER_FIXTURE: &[u8] = include_bytes!("../../../fixtures/woocommerce-order-get.json");
const LIST_FIXTURE: &[u8] = include_bytes!("../../../fixtures/woocommerce-orders-list.json");

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

fn system(config: serde_json::Value) -> System {
    System {
        id: SystemId::generate(),
        tenant: TenantId::generate(),
        kind: SystemKind::Woocommerce,
        name: "Web shop".into(),
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

fn woo_at(base_url: &str, secret: Option<&str>) -> WooCommerce {
    let mut creds = vec![
        ("consumer_key", "ck_right"),
        ("consumer_secret", "cs_right"),
    ];
    if let Some(secret) = secret {
        creds.push(("webhook_secret", secret));
    }
    WooCommerce::new(
        &system(serde_json::json!({"base_url": base_url})),
        &credentials(&creds),
        HttpClient::default(),
    )
    .unwrap()
}

fn woo(secret: Option<&str>) -> WooCommerce {
    woo_at("https://shop.example.com/", secret)
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
fn takes_the_site_address_and_names_what_is_missing() {
    assert_eq!(woo(None).base_url, "https://shop.example.com");
    assert_eq!(
        woo_at("https://example.com/shop/", None).base_url,
        "https://example.com/shop"
    );
    assert_eq!(
        woo_at("http://127.0.0.1:8081", None).base_url,
        "http://127.0.0.1:8081"
    );
    assert_eq!(
        woo_at("http://localhost:8081", None).base_url,
        "http://localhost:8081"
    );

    let field = |config: serde_json::Value, creds: &[(&str, &str)]| {
        WooCommerce::new(&system(config), &credentials(creds), HttpClient::default())
            .err()
            .map(|e| e.field)
    };
    let keys = [("consumer_key", "ck"), ("consumer_secret", "cs")];
    let site = serde_json::json!({"base_url": "https://shop.example.com"});
    assert_eq!(
        field(serde_json::json!({}), &keys).as_deref(),
        Some("base_url")
    );
    assert_eq!(
        field(serde_json::json!({"base_url": "shop"}), &keys).as_deref(),
        Some("base_url")
    );
    assert_eq!(
        field(
            serde_json::json!({"base_url": "http://shop.example.com"}),
            &keys
        )
        .as_deref(),
        Some("base_url")
    );
    assert_eq!(
        field(site.clone(), &keys[1..]).as_deref(),
        Some("consumer_key")
    );
    assert_eq!(
        field(site.clone(), &keys[..1]).as_deref(),
        Some("consumer_secret")
    );
    assert_eq!(field(site, &keys), None);
}

// ---------------------------------------------------------------- webhooks

#[test]
fn verifies_the_locally_computed_fixture_vector() {
    let sent = headers(&[
        (
            "X-WC-Webhook-Signature",
            "cyRvZWU/fnuxXNZvNNrQdkblHy6A4/5vpUZwHc7mqUo=",
        ),
        ("X-WC-Webhook-Topic", "order.created"),
        (
            "X-WC-Webhook-Delivery-ID",
            "c0b31cb2a8e4f0e8d0e0b7e5c2a1f3d4",
        ),
        ("X-WC-Webhook-ID", "12"),
    ]);
    let inbound = woo(Some("test_secret_key"))
        .verify_webhook(WebhookRequest {
            headers: &sent,
            body: ORDER_FIXTURE,
        })
        .unwrap();
    assert_eq!(
        inbound,
        Inbound::Delivery(DeliveryInfo {
            delivery_id: Some("c0b31cb2a8e4f0e8d0e0b7e5c2a1f3d4".into()),
            topic: Some("order.created".into()),
        })
    );
}

#[test]
fn decodes_the_secret_as_woocommerce_does() {
    // WooCommerce signs with wp_specialchars_decode("R&amp;D-secret") = "R&D-secret".
    let body = br#"{"id":1}"#;
    let sent = headers(&[(
        "x-wc-webhook-signature",
        &signature::sign(b"R&D-secret", body),
    )]);
    for configured in ["R&amp;D-secret", "R&D-secret"] {
        let inbound = woo(Some(configured)).verify_webhook(WebhookRequest {
            headers: &sent,
            body,
        });
        assert!(matches!(inbound, Ok(Inbound::Delivery(_))), "{configured}");
    }
    let literal = headers(&[(
        "x-wc-webhook-signature",
        &signature::sign(b"R&amp;D-secret", body),
    )]);
    assert_eq!(
        woo(Some("R&amp;D-secret")).verify_webhook(WebhookRequest {
            headers: &literal,
            body
        }),
        Err(WebhookError::BadSignature {
            header: "X-WC-Webhook-Signature"
        })
    );
}

#[test]
fn answers_the_unsigned_ping_and_nothing_else_unsigned() {
    let none = headers(&[("content-type", "application/x-www-form-urlencoded")]);
    for shop in [woo(Some("s")), woo(None)] {
        assert_eq!(
            shop.verify_webhook(WebhookRequest {
                headers: &none,
                body: b"webhook_id=12"
            }),
            Ok(Inbound::Ping)
        );
    }
    let shop = woo(Some("s"));
    for body in [
        &b"webhook_id=abc"[..],
        b"webhook_id=1&x=2",
        b"",
        br#"{"id":727}"#,
    ] {
        assert_eq!(
            shop.verify_webhook(WebhookRequest {
                headers: &none,
                body
            }),
            Err(WebhookError::MissingSignature {
                header: "X-WC-Webhook-Signature"
            }),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn refuses_a_wrong_signature_and_needs_a_secret() {
    let sent = headers(&[(
        "X-WC-Webhook-Signature",
        "cyRvZWU/fnuxXNZvNNrQdkblHy6A4/5vpUZwHc7mqUo=",
    )]);
    assert_eq!(
        woo(Some("another")).verify_webhook(WebhookRequest {
            headers: &sent,
            body: ORDER_FIXTURE
        }),
        Err(WebhookError::BadSignature {
            header: "X-WC-Webhook-Signature"
        })
    );
    assert_eq!(
        woo(None).verify_webhook(WebhookRequest {
            headers: &sent,
            body: ORDER_FIXTURE
        }),
        Err(WebhookError::NoSecret)
    );
}

// ---------------------------------------------------------------- orders

#[test]
fn parses_every_field_of_the_reference_order() {
    let order = woo(None).parse_order(ORDER_FIXTURE).unwrap();
    assert_eq!(order.source_id, "727");
    assert_eq!(order.e_number, "727");
    assert_eq!(order.state, "processing");
    assert_eq!(order.currency, "USD");
    assert_eq!(
        order.created_at,
        Utc.with_ymd_and_hms(2017, 3, 22, 19, 28, 2).unwrap()
    );
    assert_eq!(
        order.updated_at,
        Utc.with_ymd_and_hms(2017, 3, 22, 19, 28, 8).unwrap()
    );
    assert_eq!(order.note, None);

    let customer = &order.customer;
    assert_eq!(customer.source_id, None, "customer_id 0 is a guest");
    assert_eq!(customer.name, "John Doe");
    assert_eq!(customer.email.as_deref(), Some("john.doe@example.com"));
    assert_eq!(
        (customer.company.as_deref(), customer.vat_number.as_deref()),
        (None, None)
    );
    assert_eq!(customer.phone.as_deref(), Some("(555) 555-5555"));

    let mut address = Address {
        name: "John Doe".into(),
        company: None,
        line1: "969 Market".into(),
        line2: None,
        city: "San Francisco".into(),
        zip: "94103".into(),
        region: Some("CA".into()),
        country_code: Some("US".into()),
        phone: Some("(555) 555-5555".into()),
    };
    assert_eq!(order.billing_address.as_ref(), Some(&address));
    address.phone = None;
    assert_eq!(order.shipping_address.as_ref(), Some(&address));

    assert_eq!(order.lines.len(), 3);
    let single = &order.lines[0];
    assert_eq!(
        (single.kind, single.sku.as_deref()),
        (LineKind::Product, None)
    );
    assert_eq!(single.title, "Woo Single #1");
    assert_eq!((single.quantity, single.unit_price), (dec("2"), dec("3")));
    assert_eq!((single.discount, single.tax), (dec("0"), dec("0.45")));
    // Rate 75 is named but the docs' example carries no rate_percent.
    assert_eq!(single.tax_rate, None);
    let idea = &order.lines[1];
    assert_eq!(
        (idea.kind, idea.sku.as_deref()),
        (LineKind::Product, Some("Bar3"))
    );
    assert_eq!(idea.title, "Ship Your Idea – Color: Black, Size: M Test");
    assert_eq!((idea.quantity, idea.unit_price), (dec("1"), dec("12.00")));
    assert_eq!((idea.discount, idea.tax), (dec("0"), dec("0.90")));
    let shipping = &order.lines[2];
    assert_eq!(
        (shipping.kind, shipping.title.as_str()),
        (LineKind::Shipping, "Flat Rate")
    );
    assert_eq!(
        (
            shipping.quantity,
            shipping.unit_price,
            shipping.discount,
            shipping.tax,
            shipping.tax_rate
        ),
        (
            dec("1"),
            dec("10.00"),
            dec("0"),
            dec("0.00"),
            Some(dec("0"))
        )
    );

    assert_eq!(order.totals.total, dec("29.35"));
    assert_eq!(order.totals.tax, dec("1.35"));
    assert_eq!(order.totals.discount, dec("0"));
    assert_eq!(order.totals.shipping, dec("10.00"));
    // Unlike Shopify's example, this one adds up.
    assert_eq!(order.lines_gross_total(), order.totals.total);

    let field = |name: &str, value: &str| CustomField {
        name: name.into(),
        value: value.into(),
    };
    assert_eq!(
        order.custom_fields,
        vec![
            field("Bar3: pa_color", "black"),
            field("Bar3: size", "M Test")
        ]
    );
}

#[test]
fn parses_each_order_of_the_listing() {
    let listing: Vec<serde_json::Value> = serde_json::from_slice(LIST_FIXTURE).unwrap();
    let shop = woo(None);
    let orders: Vec<_> = listing
        .iter()
        .map(|o| shop.parse_order(&serde_json::to_vec(o).unwrap()).unwrap())
        .collect();
    assert_eq!(
        orders
            .iter()
            .map(|o| o.e_number.as_str())
            .collect::<Vec<_>>(),
        ["727", "723"]
    );
    for order in &orders {
        assert_eq!(
            order.lines_gross_total(),
            order.totals.total,
            "{}",
            order.e_number
        );
    }
    assert_eq!(orders[1].totals.total, dec("39.00"));
}

#[test]
fn the_orders_gateway_is_its_payment_method_and_none_when_blank() {
    let shop = woo(None);
    assert_eq!(
        shop.parse_order(ORDER_FIXTURE).unwrap().gateway.as_deref(),
        Some("bacs")
    );
    let mut order: serde_json::Value = serde_json::from_slice(ORDER_FIXTURE).unwrap();
    order["payment_method"] = "".into();
    let parsed = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap();
    assert_eq!(parsed.gateway, None);
}

/// A Danish order with a coupon, a fee, a negative fee, a VAT number and
/// rate percentages, built so that it adds up as WooCommerce computes it.
fn danish_order() -> serde_json::Value {
    serde_json::json!({
        "id": 1043, "number": "DK-1043", "status": "on-hold", "currency": "dkk",
        "date_created": "2024-05-02T12:00:00", "date_created_gmt": "2024-05-02T10:00:00",
        "date_modified": "2024-05-02T12:05:00", "date_modified_gmt": "2024-05-02T10:05:00",
        "prices_include_tax": true, "customer_id": 17, "customer_note": "Ring på",
        "billing": {"first_name": "", "last_name": "", "company": "Hansen ApS", "address_1": "Vestergade 1",
            "address_2": "", "city": "Aarhus C", "state": "", "postcode": "8000", "country": "DK",
            "email": "bogholderi@hansen.dk", "phone": ""},
        "shipping": {"first_name": "", "last_name": "", "company": "", "address_1": "", "address_2": "",
            "city": "", "state": "", "postcode": "", "country": ""},
        "meta_data": [
            {"id": 1, "key": "_billing_vat_number", "value": "DK12345678"},
            {"id": 2, "key": "gift_message", "value": "Tillykke"},
            {"id": 3, "key": "_wc_order_attribution_source_type", "value": "typein"},
            {"id": 4, "key": "delivery_slot", "value": {"day": "fri"}}
        ],
        "line_items": [
            {"id": 1, "name": "Kaffekop", "sku": "MUG-01", "quantity": 3,
             "subtotal": "100.00", "subtotal_tax": "25.00", "total": "90.00", "total_tax": "22.50",
             "taxes": [{"id": 1, "total": "22.5", "subtotal": "25"}], "meta_data": [], "price": 30},
            {"id": 2, "name": "Te &amp; honning", "sku": "TEA-02", "quantity": 1,
             "subtotal": 40, "subtotal_tax": 10, "total": 36, "total_tax": 9,
             "taxes": [{"id": 1, "total": "9", "subtotal": "10"}], "meta_data": [], "price": 36}
        ],
        "tax_lines": [{"id": 900, "rate_code": "DK-MOMS-1", "rate_id": 1, "label": "Moms", "compound": false,
            "tax_total": "34.00", "shipping_tax_total": "9.80", "rate_percent": 25}],
        "shipping_lines": [{"id": 5, "method_title": "GLS Pakkeshop", "method_id": "flat_rate",
            "total": "39.20", "total_tax": "9.80", "taxes": [{"id": 1, "total": "9.8"}]}],
        "fee_lines": [
            {"id": 6, "name": "Faktureringsgebyr", "tax_status": "taxable", "total": "20.00", "total_tax": "5.00",
             "taxes": [{"id": 1, "total": "5"}]},
            {"id": 7, "name": "Loyalitetsrabat", "tax_status": "taxable", "total": "-10.00", "total_tax": "-2.50",
             "taxes": [{"id": 1, "total": "-2.5"}]}
        ],
        "coupon_lines": [{"id": 8, "code": "summer10", "discount": "14.00", "discount_tax": "3.50"}],
        "discount_total": "14.00", "discount_tax": "3.50", "shipping_total": "39.20", "shipping_tax": "9.80",
        "cart_tax": "34.00", "total": "219.00", "total_tax": "43.80"
    })
}

#[test]
fn reads_fees_coupons_vat_and_uneven_unit_prices() {
    let order = woo(None)
        .parse_order(&serde_json::to_vec(&danish_order()).unwrap())
        .unwrap();
    assert_eq!(
        (order.e_number.as_str(), order.state.as_str()),
        ("DK-1043", "on-hold")
    );
    assert_eq!(order.currency, "DKK");
    assert_eq!(
        order.created_at,
        Utc.with_ymd_and_hms(2024, 5, 2, 10, 0, 0).unwrap()
    );
    assert_eq!(order.lines_gross_total(), order.totals.total);
    assert_eq!(order.totals.total, dec("219.00"));
    assert_eq!(order.totals.tax, dec("43.80"));
    assert_eq!(order.totals.shipping, dec("39.20"));

    let kinds: Vec<_> = order.lines.iter().map(|l| l.kind).collect();
    assert_eq!(
        kinds,
        [
            LineKind::Product,
            LineKind::Product,
            LineKind::Shipping,
            LineKind::Fee,
            LineKind::Discount
        ]
    );
    let mug = &order.lines[0];
    // 100.00 for 3 does not divide evenly: the unit price is rounded up at
    // six decimals and the line still comes to the 90.00 WooCommerce charged.
    assert_eq!(
        (mug.unit_price, mug.discount),
        (dec("33.333334"), dec("10.000002"))
    );
    assert_eq!(mug.net_total(), dec("90.00"));
    assert_eq!(mug.tax_rate, Some(dec("0.25")));
    let tea = &order.lines[1];
    assert_eq!(tea.title, "Te & honning");
    assert_eq!(
        (tea.unit_price, tea.discount, tea.tax),
        (dec("40"), dec("4"), dec("9"))
    );
    let fee = &order.lines[3];
    assert_eq!(
        (fee.title.as_str(), fee.unit_price, fee.tax),
        ("Faktureringsgebyr", dec("20.00"), dec("5.00"))
    );
    let rebate = &order.lines[4];
    assert_eq!(
        (rebate.unit_price, rebate.tax),
        (dec("-10.00"), dec("-2.50"))
    );
    // The coupon is already on the lines; only the negative fee adds to it.
    assert_eq!(order.totals.discount, dec("24.000002"));

    assert_eq!(order.customer.source_id.as_deref(), Some("17"));
    assert_eq!(order.customer.name, "Hansen ApS");
    assert_eq!(order.customer.company.as_deref(), Some("Hansen ApS"));
    assert_eq!(order.customer.vat_number.as_deref(), Some("DK12345678"));
    assert_eq!(order.customer.phone, None);
    assert_eq!(order.shipping_address, None);
    assert_eq!(order.billing_address.unwrap().name, "");
    assert_eq!(order.note.as_deref(), Some("Ring på"));
    let field = |name: &str, value: &str| CustomField {
        name: name.into(),
        value: value.into(),
    };
    assert_eq!(
        order.custom_fields,
        vec![
            field("gift_message", "Tillykke"),
            field("delivery_slot", r#"{"day":"fri"}"#)
        ]
    );
}

#[test]
fn says_where_the_body_is_wrong() {
    let shop = woo(None);
    let mut order: serde_json::Value = serde_json::from_slice(ORDER_FIXTURE).unwrap();
    order["line_items"][1]["subtotal"] = "abc".into();
    let err = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap_err();
    assert!(
        err.0
            .starts_with("line_items[1].subtotal: invalid decimal 'abc'"),
        "{err}"
    );

    let mut order: serde_json::Value = serde_json::from_slice(ORDER_FIXTURE).unwrap();
    order["line_items"][0]["quantity"] = serde_json::json!([2]);
    let err = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap_err();
    assert!(
        err.0
            .starts_with("line_items[0].quantity: invalid type: sequence"),
        "{err}"
    );

    let mut order: serde_json::Value = serde_json::from_slice(ORDER_FIXTURE).unwrap();
    order["date_created_gmt"] = "22/03/2017".into();
    let err = shop
        .parse_order(&serde_json::to_vec(&order).unwrap())
        .unwrap_err();
    assert!(
        err.0
            .starts_with("date_created_gmt: invalid date-time '22/03/2017'"),
        "{err}"
    );

    // The body of order.deleted is just the id.
    let err = shop.parse_order(br#"{"id": 727}"#).unwrap_err();
    assert!(err.0.contains("missing field `currency`"), "{err}");
    let err = shop.parse_order(b"webhook_id=12").unwrap_err();
    assert!(err.0.contains("line 1 column 1"), "{err}");
}

#[test]
fn never_panics_on_cut_or_mangled_bodies() {
    let shop = woo(None);
    // Every cut that loses the closing brace (the file ends in "}\n").
    for end in 0..ORDER_FIXTURE.len() - 1 {
        assert!(shop.parse_order(&ORDER_FIXTURE[..end]).is_err());
    }
    let mut mangled = ORDER_FIXTURE.to_vec();
    for i in (0..mangled.len()).step_by(37) {
        mangled[i] = b'-';
        let _ = shop.parse_order(&mangled);
    }
}

// ---------------------------------------------------------------- REST

#[test]
fn turns_wordpress_error_bodies_into_words() {
    assert_eq!(
        error_words(br#"{"code":"woocommerce_rest_authentication_error","message":"Consumer secret is invalid.","data":{"status":401}}"#),
        "Consumer secret is invalid."
    );
    assert_eq!(
        error_words(br#"{"code":"rest_no_route","message":"","data":{"status":404}}"#),
        "rest_no_route"
    );
    assert_eq!(error_words(b"<html>"), "");
}

/// Serves `GET /wp-json/wc/v3/orders`, answering 200 `ok_body` to the right
/// Basic credentials and WooCommerce's 401 to anything else.
async fn site_answering(ok_body: &'static str) -> String {
    use axum::http::{HeaderMap, StatusCode};
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ck_right:cs_right")
    );
    let app = axum::Router::new().route(
        "/shop/wp-json/wc/v3/orders",
        axum::routing::get(move |sent: HeaderMap| async move {
            let auth = sent.get("authorization").and_then(|v| v.to_str().ok());
            if auth == Some(expected.as_str()) {
                (StatusCode::OK, ok_body.to_owned())
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    r#"{"code":"woocommerce_rest_authentication_error","message":"Consumer key is invalid.","data":{"status":401}}"#.to_owned(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/shop", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn tests_credentials_with_basic_auth() {
    let url = site_answering("[]").await;
    woo_at(&url, None).test_credentials().await.unwrap();

    let wrong = WooCommerce::new(
        &system(serde_json::json!({"base_url": url})),
        &credentials(&[
            ("consumer_key", "ck_wrong"),
            ("consumer_secret", "cs_right"),
        ]),
        HttpClient::default(),
    )
    .unwrap();
    match wrong.test_credentials().await {
        Err(ConnectorError::Unauthorized { message }) => {
            assert!(message.contains("Consumer key is invalid."), "{message}")
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }

    let not_woo = site_answering("<html>Hello world</html>").await;
    assert!(matches!(
        woo_at(&not_woo, None).test_credentials().await,
        Err(ConnectorError::Permanent { .. })
    ));
}
