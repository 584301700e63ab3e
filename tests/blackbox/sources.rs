//! The Shopify and WooCommerce connectors against their loopback sandboxes,
//! built the way intake and the scheduler build them: `Connectors::source`
//! over a `System` whose credentials were sealed and opened again. Webhooks
//! go from the sandbox to a small receiver, and are then verified and parsed
//! from the raw request exactly as it arrived.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use ferry::connectors::http::HttpClient;
use ferry::connectors::{
    ConnectorError, ConnectorFactory, Connectors, DeliveryInfo, Inbound, Source, WebhookError,
    WebhookRequest,
};
use ferry::model::{
    CredentialHealth, LineKind, Order, Scope, System, SystemId, SystemKind, TenantId,
};
use ferry::seal::{Credentials, Sealer};
use ferry_local::sandbox::webshop::Market;
use ferry_local::sandbox::{shopify, woocommerce};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The connector as intake builds it, over sealed and reopened credentials.
fn source(
    kind: SystemKind,
    config: Map<String, Value>,
    credentials: &Credentials,
) -> Arc<dyn Source> {
    let sealer = Sealer::from_base64(&Sealer::generate_key()).unwrap();
    let system = System {
        id: SystemId::generate(),
        tenant: TenantId::generate(),
        kind,
        name: "Shop".into(),
        config,
        credentials: Default::default(),
        health: CredentialHealth::default(),
        scope: Scope::default(),
        active: true,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    }
    .with_credentials(&sealer, credentials);
    let opened = sealer.open(&system.credentials, system.owner()).unwrap();
    Connectors::new(HttpClient::default())
        .source(&system, &opened)
        .unwrap()
}

fn with(credentials: Credentials, key: &str, value: &str) -> Credentials {
    let mut map = credentials.0;
    map.insert(key.into(), value.into());
    Credentials(map)
}

/// Records every request it gets (headers and raw body) and answers 200.
struct Receiver {
    url: String,
    requests: mpsc::UnboundedReceiver<(HeaderMap, Bytes)>,
}

impl Receiver {
    async fn start() -> Self {
        let (sent, requests) = mpsc::unbounded_channel();
        let app = axum::Router::new().route(
            "/webhooks/{connection}",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let sent = sent.clone();
                async move {
                    let _ = sent.send((headers, body));
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks/c1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, requests }
    }

    async fn next(&mut self) -> (HeaderMap, Bytes) {
        tokio::time::timeout(std::time::Duration::from_secs(5), self.requests.recv())
            .await
            .expect("the webhook arrives")
            .expect("the receiver is running")
    }
}

fn amount(value: &Value) -> Decimal {
    Decimal::from_str_exact(value.as_str().expect("amounts are strings")).unwrap()
}

fn product_lines(order: &Order) -> Vec<(Option<&str>, Decimal)> {
    order
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Product)
        .map(|l| (l.sku.as_deref(), l.quantity))
        .collect()
}

fn shop_lines(items: &Value) -> Vec<(Option<&str>, Decimal)> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["sku"].as_str(),
                Decimal::from(l["quantity"].as_u64().unwrap()),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- Shopify

/// The URL of the `rel` link in a `Link` header.
fn link_for(headers: &reqwest::header::HeaderMap, rel: &str) -> Option<String> {
    let links = headers.get("link")?.to_str().ok()?;
    links
        .split(", ")
        .find(|part| part.ends_with(&format!("rel=\"{rel}\"")))
        .and_then(|part| part.split(';').next())
        .map(|url| url.trim_matches(['<', '>']).to_owned())
}

fn ids_of(orders: &Value) -> Vec<u64> {
    orders
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect()
}

fn shopify_source(shop: &shopify::Handle, credentials: &Credentials) -> Arc<dyn Source> {
    source(SystemKind::Shopify, shop.system_config(), credentials)
}

#[tokio::test]
async fn shopify_credentials_are_checked_against_the_shop() {
    let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
    shopify_source(&shop, &shop.credentials())
        .test_credentials()
        .await
        .unwrap();

    let wrong = with(shop.credentials(), "access_token", "shpat_revoked");
    match shopify_source(&shop, &wrong).test_credentials().await {
        Err(ConnectorError::Unauthorized { message }) => {
            assert!(
                message.contains("Invalid API key or access token"),
                "{message}"
            )
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }

    shop.fail_next(503, 1);
    assert!(matches!(
        shopify_source(&shop, &shop.credentials())
            .test_credentials()
            .await,
        Err(ConnectorError::Transient { .. })
    ));
}

#[tokio::test]
async fn a_shopify_webhook_verifies_and_parses_to_the_shops_order() {
    let shop = shopify::spawn(shopify::Config {
        seed: Some(11),
        ..Default::default()
    })
    .await
    .unwrap();
    let connector = shopify_source(&shop, &shop.credentials());
    let mut receiver = Receiver::start().await;
    let ids = shop.add_orders(3);
    let id = ids[1];
    assert!(id > 1 << 53, "Shopify ids exceed 2^53");

    let status = shop
        .send_webhook(&receiver.url, id, "orders/create")
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let (headers, body) = receiver.next().await;
    let inbound = connector
        .verify_webhook(WebhookRequest {
            headers: &headers,
            body: &body,
        })
        .unwrap();
    let event_id = headers["x-shopify-event-id"].to_str().unwrap().to_owned();
    assert_eq!(
        inbound,
        Inbound::Delivery(DeliveryInfo {
            delivery_id: Some(event_id),
            topic: Some("orders/create".into())
        })
    );

    let held = shop.order_json(id).unwrap();
    let order = connector.parse_order(&body).unwrap();
    assert_eq!(order.source_id, id.to_string());
    assert_eq!(order.e_number, held["name"].as_str().unwrap());
    assert_eq!(order.e_number, "#1002");
    assert_eq!(order.state, held["financial_status"].as_str().unwrap());
    assert_eq!(order.currency, "DKK");
    assert_eq!(order.totals.total, amount(&held["total_price"]));
    assert_eq!(order.totals.tax, amount(&held["total_tax"]));
    assert_eq!(order.lines_gross_total(), order.totals.total);
    assert_eq!(product_lines(&order), shop_lines(&held["line_items"]));
    assert_eq!(order.customer.email.as_deref(), held["email"].as_str());
    // The REST resource parses to the same order as the webhook body.
    let wrapped = serde_json::to_vec(&serde_json::json!({ "order": held })).unwrap();
    assert_eq!(connector.parse_order(&wrapped).unwrap(), order);

    // A body changed on the way, or another secret, does not verify.
    let mut changed = body.to_vec();
    changed.extend_from_slice(b" ");
    assert_eq!(
        connector.verify_webhook(WebhookRequest {
            headers: &headers,
            body: &changed
        }),
        Err(WebhookError::BadSignature {
            header: "X-Shopify-Hmac-Sha256"
        })
    );
    let other = shopify_source(
        &shop,
        &with(shop.credentials(), "webhook_secret", "rotated"),
    );
    assert!(matches!(
        other.verify_webhook(WebhookRequest {
            headers: &headers,
            body: &body
        }),
        Err(WebhookError::BadSignature { .. })
    ));
}

#[tokio::test]
async fn every_generated_shopify_order_adds_up() {
    for (market, taxes_included) in [
        (Market::Denmark, true),
        (Market::Germany, false),
        (Market::Germany, true),
    ] {
        let config = shopify::Config {
            market,
            taxes_included,
            seed: Some(3),
            ..Default::default()
        };
        let shop = shopify::spawn(config).await.unwrap();
        let connector = shopify_source(&shop, &shop.credentials());
        let mut discounted = 0;
        for id in shop.add_orders(40) {
            let held = shop.order_json(id).unwrap();
            let order = connector
                .parse_order(&serde_json::to_vec(&held).unwrap())
                .unwrap();
            assert_eq!(
                order.lines_gross_total(),
                order.totals.total,
                "{market:?} {}",
                order.e_number
            );
            assert_eq!(order.totals.total, amount(&held["total_price"]));
            assert!(order.lines.iter().all(|l| l.discount >= Decimal::ZERO));
            discounted += usize::from(order.totals.discount > Decimal::ZERO);
        }
        assert!(discounted > 0, "some orders carry a coupon");
    }
}

#[tokio::test]
async fn the_shopify_sandbox_pages_with_page_info_like_shopify() {
    let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
    let ids = shop.add_orders(5);
    shop.cancel_order(ids[0]);
    let client = reqwest::Client::new();
    let token = shop.config().access_token.clone();
    let get = |url: String| {
        client
            .get(url)
            .header("X-Shopify-Access-Token", &token)
            .send()
    };
    let base = format!("{}/admin/api/2024-04/orders.json", shop.base_url());

    let first = get(format!("{base}?status=any&limit=2&order=created_at%20asc"))
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let call_limit = first.headers()["x-shopify-shop-api-call-limit"]
        .to_str()
        .unwrap();
    assert!(call_limit.ends_with("/40"), "{call_limit}");
    let next = link_for(first.headers(), "next").expect("a next page");
    let page: Value = first.json().await.unwrap();
    assert_eq!(ids_of(&page["orders"]), ids[..2]);

    // Filters belong to the first request only.
    let refused = get(format!("{next}&status=any")).await.unwrap();
    assert_eq!(refused.status(), 400);

    // The second page links back to the first.
    let second = get(next.clone()).await.unwrap();
    let back = link_for(second.headers(), "previous").expect("a previous page");
    let first_again: Value = get(back).await.unwrap().json().await.unwrap();
    assert_eq!(ids_of(&first_again["orders"]), ids[..2]);

    // Following `next` to the end lists every order once, in order.
    let mut all = ids_of(&page["orders"]);
    let mut url = Some(next);
    while let Some(next) = url.take() {
        let answer = get(next).await.unwrap();
        url = link_for(answer.headers(), "next");
        let page: Value = answer.json().await.unwrap();
        all.extend(ids_of(&page["orders"]));
    }
    assert_eq!(all, ids);

    // The default status (open) leaves the cancelled order out.
    let open: Value = get(format!("{base}?limit=250"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids_of(&open["orders"]).len(), 4);
    let unauthorized = client.get(&base).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
}

// ---------------------------------------------------------------- WooCommerce

fn woo_source(shop: &woocommerce::Handle, credentials: &Credentials) -> Arc<dyn Source> {
    source(SystemKind::Woocommerce, shop.system_config(), credentials)
}

#[tokio::test]
async fn woocommerce_credentials_are_checked_against_the_shop() {
    let shop = woocommerce::spawn(woocommerce::Config::default())
        .await
        .unwrap();
    woo_source(&shop, &shop.credentials())
        .test_credentials()
        .await
        .unwrap();

    let wrong = with(shop.credentials(), "consumer_secret", "cs_wrong");
    match woo_source(&shop, &wrong).test_credentials().await {
        Err(ConnectorError::Unauthorized { message }) => {
            assert!(message.contains("Consumer secret is invalid."), "{message}")
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

#[tokio::test]
async fn a_woocommerce_webhook_verifies_and_parses_to_the_shops_order() {
    // WooCommerce keeps the secret HTML-escaped and signs with it decoded.
    let config = woocommerce::Config {
        webhook_secret: "R&amp;D-webhook-secret".into(),
        seed: Some(5),
        ..Default::default()
    };
    let shop = woocommerce::spawn(config).await.unwrap();
    let connector = woo_source(&shop, &shop.credentials());
    let mut receiver = Receiver::start().await;

    assert_eq!(shop.send_ping(&receiver.url).await.unwrap(), StatusCode::OK);
    let (headers, body) = receiver.next().await;
    assert_eq!(
        connector.verify_webhook(WebhookRequest {
            headers: &headers,
            body: &body
        }),
        Ok(Inbound::Ping)
    );

    let id = shop.add_orders(4)[2];
    assert_eq!(
        shop.send_webhook(&receiver.url, id, "order.created")
            .await
            .unwrap(),
        StatusCode::OK
    );
    let (headers, body) = receiver.next().await;
    let inbound = connector
        .verify_webhook(WebhookRequest {
            headers: &headers,
            body: &body,
        })
        .unwrap();
    let delivery_id = headers["x-wc-webhook-delivery-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        inbound,
        Inbound::Delivery(DeliveryInfo {
            delivery_id: Some(delivery_id),
            topic: Some("order.created".into())
        })
    );
    assert!(
        body.windows(2).any(|w| w == b"\\/"),
        "PHP escapes slashes in the body"
    );

    let held = shop.order_json(id).unwrap();
    let order = connector.parse_order(&body).unwrap();
    assert_eq!(order.source_id, id.to_string());
    assert_eq!(order.e_number, held["number"].as_str().unwrap());
    assert_eq!(order.state, held["status"].as_str().unwrap());
    assert_eq!(order.totals.total, amount(&held["total"]));
    assert_eq!(order.totals.tax, amount(&held["total_tax"]));
    assert_eq!(order.lines_gross_total(), order.totals.total);
    assert_eq!(product_lines(&order), shop_lines(&held["line_items"]));
    assert_eq!(
        order.customer.email.as_deref(),
        held["billing"]["email"].as_str()
    );
    assert_eq!(
        connector
            .parse_order(&serde_json::to_vec(&held).unwrap())
            .unwrap(),
        order
    );

    let unsigned = HeaderMap::new();
    assert!(matches!(
        connector.verify_webhook(WebhookRequest {
            headers: &unsigned,
            body: &body
        }),
        Err(WebhookError::MissingSignature { .. })
    ));
}

#[tokio::test]
async fn every_generated_woocommerce_order_adds_up() {
    for (market, prices_include_tax) in [(Market::Denmark, true), (Market::Germany, false)] {
        let config = woocommerce::Config {
            market,
            prices_include_tax,
            seed: Some(9),
            ..Default::default()
        };
        let shop = woocommerce::spawn(config).await.unwrap();
        let connector = woo_source(&shop, &shop.credentials());
        let mut kinds = std::collections::HashSet::new();
        let mut discounted = 0;
        for id in shop.add_orders(40) {
            let held = shop.order_json(id).unwrap();
            let order = connector
                .parse_order(&serde_json::to_vec(&held).unwrap())
                .unwrap();
            assert_eq!(
                order.lines_gross_total(),
                order.totals.total,
                "{market:?} {}",
                order.e_number
            );
            kinds.extend(order.lines.iter().map(|l| l.kind));
            discounted += usize::from(order.totals.discount > Decimal::ZERO);
        }
        assert!(kinds.contains(&LineKind::Fee), "some orders carry a fee");
        assert!(discounted > 0, "some orders carry a coupon");
    }
}

#[tokio::test]
async fn the_woocommerce_sandbox_pages_like_wordpress() {
    let shop = woocommerce::spawn(woocommerce::Config::default())
        .await
        .unwrap();
    let ids = shop.add_orders(5);
    let config = shop.config().clone();
    let client = reqwest::Client::new();
    let url = format!(
        "{}/wp-json/wc/v3/orders?per_page=2&orderby=id&order=asc",
        shop.base_url()
    );
    let get = |url: String| {
        client
            .get(url)
            .basic_auth(&config.consumer_key, Some(&config.consumer_secret))
            .send()
    };

    let first = get(url.clone()).await.unwrap();
    assert_eq!(first.headers()["x-wp-total"], "5");
    assert_eq!(first.headers()["x-wp-totalpages"], "3");
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.ends_with("rel=\"next\"") && link.contains("page=2"),
        "{link}"
    );
    let page: Vec<Value> = first.json().await.unwrap();
    assert_eq!(
        page.iter()
            .map(|o| o["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        ids[..2]
    );

    let last: Vec<Value> = get(format!("{url}&page=3"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(get(format!("{url}&page=4")).await.unwrap().status(), 400);
    assert_eq!(
        get(format!(
            "{}/wp-json/wc/v3/orders?per_page=101",
            shop.base_url()
        ))
        .await
        .unwrap()
        .status(),
        400
    );
    let anonymous = client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}
