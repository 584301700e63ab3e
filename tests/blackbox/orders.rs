//! Orders end to end over ferry-local (embedded store, in-process queue and
//! workers) with the sandbox Shopify and e-conomic on loopback: the promises
//! of exactly once, refusal of bad signatures, failures kept and explained.

use ferry::connectors::signature;
use ferry::Limits;
use ferry_local::cli::StoreKind;
use ferry_local::demo::{self, Demo};
use ferry_local::runtime::{self, Options, Running};
use ferry_local::sandbox::economic;
use ferry_local::sandbox::economic::harness::Fault;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

pub struct World {
    pub running: Running,
    pub demo: Demo,
    pub http: reqwest::Client,
}

pub fn fast_options(data_dir: PathBuf) -> Options {
    let mut options = Options::new(
        "127.0.0.1:0".parse().expect("an address"),
        data_dir,
        StoreKind::Embedded,
    );
    options.limits = Limits {
        retry_base: Duration::from_millis(20),
        retry_cap: Duration::from_millis(200),
        lease: Duration::from_secs(5),
        ..Limits::default()
    };
    options.http_timeout = Duration::from_secs(3);
    // The sandboxes listen on loopback.
    options.network = ferry::connectors::address::Network::PRIVATE_ALLOWED;
    options
}

/// A fresh data folder under cargo's per-target scratch space (inside
/// `target/`, so test runs leave nothing behind elsewhere).
pub fn temp_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ferry-test-{name}-{}", ulid::Ulid::new()))
}

impl World {
    pub async fn start(name: &str) -> World {
        let running = runtime::start(fast_options(temp_dir(name)))
            .await
            .expect("ferry-local starts");
        let demo = demo::start(&running)
            .await
            .expect("the demo tenant is wired");
        World {
            running,
            demo,
            http: reqwest::Client::new(),
        }
    }

    /// A new paid order in the shop.
    pub fn paid_order(&self) -> u64 {
        let id = self.demo.shop.add_order();
        assert!(self.demo.shop.set_financial_status(id, "paid"));
        id
    }

    pub async fn api(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}/api/v1{path}", self.running.base_url()))
            .bearer_auth(&self.demo.token)
            .send()
            .await
            .expect("the API answers");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("JSON")
    }

    pub async fn transfers(&self) -> Vec<Value> {
        self.api("/transfers?limit=500").await["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until the transfer of the webshop number reaches `status`.
    pub async fn wait_for_status(&self, e_number: &str, status: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let found = self
                .api(&format!("/transfers?q={}", urlencode(e_number)))
                .await["items"]
                .as_array()
                .and_then(|items| items.first().cloned());
            if let Some(transfer) = &found {
                if transfer["status"] == status {
                    return transfer.clone();
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{e_number} never became {status}; last seen: {found:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn e_number(&self, order_id: u64) -> String {
        self.demo
            .shop
            .order_json(order_id)
            .expect("the order exists")["name"]
            .as_str()
            .expect("a name")
            .to_owned()
    }

    pub async fn post_webhook(&self, headers: &[(String, String)], body: Vec<u8>) -> u16 {
        let mut request = self.http.post(&self.demo.webhook_url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request
            .send()
            .await
            .expect("ferry answers")
            .status()
            .as_u16()
    }
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn documents_for(world: &World, e_number: &str) -> usize {
    world
        .demo
        .ledger
        .draft_invoices()
        .iter()
        .filter(|d| d.reference.as_deref() == Some(e_number))
        .count()
}

#[tokio::test]
async fn an_order_arrives_in_e_conomic_once_with_its_total() {
    let world = World::start("once").await;
    let id = world.paid_order();
    let e_number = world.e_number(id);
    let status = world
        .demo
        .shop
        .send_webhook(&world.demo.webhook_url, id, "orders/create")
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 200);

    let transfer = world.wait_for_status(&e_number, "delivered").await;
    let documents = world.demo.ledger.draft_invoices();
    assert_eq!(documents.len(), 1);
    let document = &documents[0];
    assert_eq!(document.reference.as_deref(), Some(e_number.as_str()));
    assert_eq!(transfer["target_ref"], document.number.to_string());
    let order = world.demo.shop.order_json(id).unwrap();
    let total: rust_decimal::Decimal = order["total_price"].as_str().unwrap().parse().unwrap();
    // The webshop rounds tax per line, e-conomic takes VAT on the net: where
    // no net reaches the webshop's total, the transfer says so in words.
    if document.gross_amount != total {
        let reason = transfer["reason"].as_str().unwrap_or_default();
        assert!(
            (document.gross_amount - total).abs() <= rust_decimal::Decimal::new(2, 2)
                && reason.contains("e-conomic computes VAT on the document's net"),
            "the invoice total {} misses the webshop's {total} without a word: {reason:?}",
            document.gross_amount
        );
    }

    let detail = world
        .api(&format!("/transfers/{}", transfer["id"].as_str().unwrap()))
        .await;
    assert_eq!(detail["source_payload"]["name"], e_number);
    assert!(detail["target_payload"]["lines"].is_array());
    world.running.stop().await;
}

#[tokio::test]
async fn an_order_whose_lines_miss_its_total_is_delivered_with_the_warning_shown() {
    let world = World::start("warning").await;
    let id = world.paid_order();
    let e_number = world.e_number(id);
    // An app changed the total without changing the lines.
    assert!(world.demo.shop.edit_order(id, |order| {
        let total: rust_decimal::Decimal = order["total_price"].as_str().unwrap().parse().unwrap();
        order["total_price"] = (total + rust_decimal::Decimal::new(5, 2))
            .to_string()
            .into();
    }));
    let status = world
        .demo
        .shop
        .send_webhook(&world.demo.webhook_url, id, "orders/create")
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 200);

    let transfer = world.wait_for_status(&e_number, "delivered").await;
    let reason = transfer["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("its lines add up to") && reason.contains("check the order in the webshop"),
        "the transfer must show the warning: {reason:?}"
    );
    // The log line is written just after the transfer is settled.
    let has_warning = |logs: &Value| {
        logs["items"].as_array().unwrap().iter().any(|e| {
            e["message"]
                .as_str()
                .unwrap_or_default()
                .contains("with a warning")
        })
    };
    let mut logs = world.api("/logs?level=warn").await;
    for _ in 0..50 {
        if has_warning(&logs) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        logs = world.api("/logs?level=warn").await;
    }
    assert!(has_warning(&logs), "the warning is in the log: {logs}");
    world.running.stop().await;
}

#[tokio::test]
async fn the_same_webhook_five_times_and_concurrently_makes_one_document() {
    let world = World::start("dupes").await;
    let id = world.paid_order();
    let e_number = world.e_number(id);
    let webhook = world.demo.shop.webhook(id, "orders/create");
    for _ in 0..5 {
        let status = world
            .demo
            .shop
            .deliver(&world.demo.webhook_url, &webhook)
            .await
            .unwrap();
        assert_eq!(status.as_u16(), 200);
    }
    // The same order in new deliveries (new delivery ids), all at once.
    let sends = (0..5).map(|_| {
        world
            .demo
            .shop
            .send_webhook(&world.demo.webhook_url, id, "orders/updated")
    });
    for status in futures::future::join_all(sends).await {
        assert_eq!(status.unwrap().as_u16(), 200);
    }
    world.wait_for_status(&e_number, "delivered").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(documents_for(&world, &e_number), 1);
    assert_eq!(world.transfers().await.len(), 1);
    world.running.stop().await;
}

#[tokio::test]
async fn a_bad_or_missing_signature_is_refused_and_nothing_is_stored() {
    let world = World::start("badsig").await;
    let id = world.paid_order();
    let mut webhook = world.demo.shop.webhook(id, "orders/create");
    webhook.body.extend_from_slice(b" ");
    assert_eq!(
        world
            .post_webhook(&webhook.headers, webhook.body.clone())
            .await,
        401
    );
    let unsigned: Vec<(String, String)> = webhook
        .headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("X-Shopify-Hmac-Sha256"))
        .cloned()
        .collect();
    assert_eq!(world.post_webhook(&unsigned, webhook.body).await, 401);
    assert!(world.transfers().await.is_empty());
    assert!(world.demo.ledger.draft_invoices().is_empty());
    world.running.stop().await;
}

#[tokio::test]
async fn an_unknown_connection_is_404() {
    let world = World::start("unknown").await;
    let url = format!("{}/webhooks/con_doesnotexist", world.running.base_url());
    let status = world
        .http
        .post(url)
        .body("{}")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 404);
    let url = format!("{}/webhooks/..%2F..%2Fetc", world.running.base_url());
    let status = world
        .http
        .post(url)
        .body("{}")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 404);
    world.running.stop().await;
}

#[tokio::test]
async fn malformed_json_is_kept_as_a_failed_transfer_with_the_reason() {
    let world = World::start("malformed").await;
    let body = b"{\"id\": 1, \"name\": \"#1001\", oops".to_vec();
    let secret = world.demo.shop.config().webhook_secret.clone();
    let headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("X-Shopify-Topic".to_owned(), "orders/create".to_owned()),
        (
            "X-Shopify-Hmac-Sha256".to_owned(),
            signature::sign(secret.as_bytes(), &body),
        ),
        (
            "X-Shopify-Shop-Domain".to_owned(),
            "ferry-sandbox.myshopify.com".to_owned(),
        ),
        ("X-Shopify-API-Version".to_owned(), "2024-04".to_owned()),
        ("X-Shopify-Webhook-Id".to_owned(), "bad-body-1".to_owned()),
    ];
    assert_eq!(world.post_webhook(&headers, body.clone()).await, 200);
    let transfers = world.transfers().await;
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0]["status"], "failed");
    let reason = transfers[0]["reason"].as_str().unwrap();
    assert!(reason.contains("could not read"), "{reason}");
    let detail = world
        .api(&format!(
            "/transfers/{}",
            transfers[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        detail["source_payload"].as_str().unwrap().as_bytes(),
        body.as_slice()
    );
    world.running.stop().await;
}

#[tokio::test]
async fn an_order_in_a_state_not_allowed_is_skipped_with_the_reason() {
    let world = World::start("state").await;
    let id = world.demo.shop.add_order();
    world.demo.shop.set_financial_status(id, "pending");
    let e_number = world.e_number(id);
    world
        .demo
        .shop
        .send_webhook(&world.demo.webhook_url, id, "orders/create")
        .await
        .unwrap();
    let transfer = world.wait_for_status(&e_number, "skipped").await;
    assert_eq!(
        transfer["reason"],
        "order state 'pending' is not allowed for transfer"
    );
    assert!(world.demo.ledger.draft_invoices().is_empty());

    // Paid later: the newer version goes through.
    world.demo.shop.set_financial_status(id, "paid");
    tokio::time::sleep(Duration::from_millis(1100)).await; // updated_at has second precision
    world.demo.shop.set_financial_status(id, "paid");
    world
        .demo
        .shop
        .send_webhook(&world.demo.webhook_url, id, "orders/paid")
        .await
        .unwrap();
    world.wait_for_status(&e_number, "delivered").await;
    assert_eq!(documents_for(&world, &e_number), 1);
    world.running.stop().await;
}

#[tokio::test]
async fn each_allowed_state_makes_the_document_chosen_for_it() {
    let world = World::start("documents").await;
    let connection = world.api("/connections").await["items"][0].clone();
    let path = format!(
        "{}/api/v1/connections/{}",
        world.running.base_url(),
        connection["id"].as_str().unwrap()
    );
    let patch = |body: Value| {
        world
            .http
            .patch(&path)
            .bearer_auth(&world.demo.token)
            .json(&body)
            .send()
    };
    // Only allowed states may have a document of their own.
    let refused = patch(serde_json::json!({"documents": {"pending": "order"}}))
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"]["field"], "documents.pending", "{error}");
    let changed: Value = patch(serde_json::json!({"documents": {"authorized": "order"}}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changed["document"], "draft_invoice");
    assert_eq!(
        changed["documents"],
        serde_json::json!({"authorized": "order"})
    );

    let paid = world.paid_order();
    let authorized = world.demo.shop.add_order();
    assert!(world
        .demo
        .shop
        .set_financial_status(authorized, "authorized"));
    for id in [paid, authorized] {
        let status = world
            .demo
            .shop
            .send_webhook(&world.demo.webhook_url, id, "orders/create")
            .await
            .unwrap();
        assert_eq!(status.as_u16(), 200);
    }
    let (paid, authorized) = (world.e_number(paid), world.e_number(authorized));
    world.wait_for_status(&paid, "delivered").await;
    world.wait_for_status(&authorized, "delivered").await;
    let references = |documents: Vec<economic::Document>| -> Vec<String> {
        documents.into_iter().filter_map(|d| d.reference).collect()
    };
    assert_eq!(references(world.demo.ledger.draft_invoices()), [paid]);
    assert_eq!(references(world.demo.ledger.orders()), [authorized]);
    assert!(world.demo.ledger.booked_invoices().is_empty());
    world.running.stop().await;
}

#[tokio::test]
async fn the_target_answers_503_then_429_then_ok_and_the_order_is_delivered_once() {
    let world = World::start("transient").await;
    let faults = world.demo.ledger.faults();
    faults.next(1, Fault::Unavailable);
    faults.next(
        1,
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    let id = world.paid_order();
    let e_number = world.e_number(id);
    world
        .demo
        .shop
        .send_webhook(&world.demo.webhook_url, id, "orders/create")
        .await
        .unwrap();
    let transfer = world.wait_for_status(&e_number, "delivered").await;
    assert_eq!(faults.injected(), 2);
    assert!(transfer["attempts"].as_u64().unwrap() >= 3, "{transfer}");
    assert_eq!(documents_for(&world, &e_number), 1);
    world.running.stop().await;
}

#[tokio::test]
async fn a_worker_killed_after_creating_the_document_links_it_on_retry() {
    use ferry::connectors::{ConnectorFactory, Connectors};
    use ferry::model::DocumentKind;
    let world = World::start("crash").await;
    let id = world.paid_order();
    let e_number = world.e_number(id);

    // What a worker that died right after e-conomic answered left behind:
    // the document exists, the transfer does not know it.
    let ferry = &world.running.ferry;
    let connectors = Connectors::new(ferry::connectors::http::HttpClient::default());
    let systems = ferry.store.list_tenants().await.unwrap();
    let tenant = &systems[0].id;
    let all = ferry.store.list_systems(tenant).await.unwrap();
    let shop_system = all.iter().find(|s| s.kind.is_source()).unwrap();
    let ledger_system = all.iter().find(|s| s.kind.is_target()).unwrap();
    let source = connectors
        .source(
            shop_system,
            &ferry
                .sealer
                .open(&shop_system.credentials, shop_system.owner())
                .unwrap(),
        )
        .unwrap();
    let target = connectors
        .target(
            ledger_system,
            &ferry
                .sealer
                .open(&ledger_system.credentials, ledger_system.owner())
                .unwrap(),
        )
        .unwrap();
    let raw = serde_json::to_vec(&world.demo.shop.order_json(id).unwrap()).unwrap();
    let order = source.parse_order(&raw).unwrap();
    target
        .deliver_order(&order, DocumentKind::DraftInvoice)
        .await
        .unwrap();
    assert_eq!(documents_for(&world, &e_number), 1);

    world
        .demo
        .shop
        .send_webhook(&world.demo.webhook_url, id, "orders/create")
        .await
        .unwrap();
    let transfer = world.wait_for_status(&e_number, "delivered").await;
    assert_eq!(documents_for(&world, &e_number), 1, "no second document");
    assert!(
        transfer["reason"].as_str().unwrap_or("").contains("linked"),
        "{transfer}"
    );
    world.running.stop().await;
}

#[tokio::test]
async fn pending_transfers_resume_after_a_restart_on_the_same_data_folder() {
    let data_dir = temp_dir("restart");
    let running = runtime::start(fast_options(data_dir.clone()))
        .await
        .unwrap();
    let demo = demo::start(&running).await.unwrap();
    // The ledger is down: the order waits as pending.
    demo.ledger.faults().share(1.0, Fault::Unavailable);
    let id = demo.shop.add_order();
    demo.shop.set_financial_status(id, "paid");
    let e_number = demo.shop.order_json(id).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    demo.shop
        .send_webhook(&demo.webhook_url, id, "orders/create")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    running.stop().await;

    demo.ledger.faults().heal();
    let mut options = fast_options(data_dir);
    options.listen = demo
        .webhook_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let running = runtime::start(options).await.unwrap();
    let world = World {
        running,
        demo,
        http: reqwest::Client::new(),
    };
    world.wait_for_status(&e_number, "delivered").await;
    assert_eq!(documents_for(&world, &e_number), 1);
    world.running.stop().await;
}

#[tokio::test]
async fn the_demo_keeps_orders_flowing_into_the_ledger() {
    let running = runtime::start(fast_options(temp_dir("demo")))
        .await
        .unwrap();
    let demo = demo::start(&running).await.unwrap();
    let (token, base) = (demo.token.clone(), running.base_url());
    let ordering = demo.keep_ordering();
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let list: Value = http
            .get(format!("{base}/api/v1/transfers"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = list["items"].as_array().cloned().unwrap_or_default();
        let settled = items.iter().filter(|t| t["status"] != "pending").count();
        if !items.is_empty() && settled == items.len() {
            assert!(
                items
                    .iter()
                    .all(|t| t["status"] == "delivered" || t["status"] == "skipped"),
                "{items:?}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the demo's orders never settled: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ordering.abort();
    running.stop().await;
}

#[tokio::test]
async fn a_target_that_stays_down_fails_the_transfer_after_the_last_attempt() {
    let world = World::start("giveup").await;
    world.demo.ledger.faults().share(1.0, Fault::Unavailable);
    let id = world.paid_order();
    let e_number = world.e_number(id);
    world
        .demo
        .shop
        .send_webhook(&world.demo.webhook_url, id, "orders/create")
        .await
        .unwrap();
    let transfer = world.wait_for_status(&e_number, "failed").await;
    let reason = transfer["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("gave up after 5 attempts: e-conomic"),
        "{reason}"
    );
    assert_eq!(transfer["attempts"], 5);

    // Retried by hand once the ledger is back: delivered through the normal path.
    world.demo.ledger.faults().heal();
    let response = world
        .http
        .post(format!(
            "{}/api/v1/transfers/{}/retry",
            world.running.base_url(),
            transfer["id"].as_str().unwrap()
        ))
        .bearer_auth(&world.demo.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    world.wait_for_status(&e_number, "delivered").await;
    assert_eq!(documents_for(&world, &e_number), 1);
    world.running.stop().await;
}

#[tokio::test]
async fn a_pending_transfer_whose_message_was_lost_is_picked_up_by_the_scheduler() {
    use ferry::model::{Entity, Payload, Transfer, TransferId, TransferStatus};
    let world = World::start("sweep").await;
    let ferry = &world.running.ferry;
    let tenant = ferry.store.list_tenants().await.unwrap().remove(0).id;
    let connection = ferry
        .store
        .list_connections(&tenant)
        .await
        .unwrap()
        .remove(0);
    let id = world.paid_order();
    let e_number = world.e_number(id);
    let raw = serde_json::to_vec(&world.demo.shop.order_json(id).unwrap()).unwrap();
    // Recorded long ago, its queue message gone (e.g. left in the DLQ).
    let long_ago = chrono::Utc::now() - chrono::Duration::minutes(30);
    let transfer = Transfer {
        id: TransferId::for_record(&connection.id, &id.to_string()),
        tenant: tenant.clone(),
        connection: connection.id.clone(),
        entity: Entity::Orders,
        source_id: id.to_string(),
        source_ref: e_number.clone(),
        target_ref: None,
        status: TransferStatus::Pending,
        reason: None,
        attempts: 0,
        source_updated_at: None,
        lease_until: None,
        received_at: long_ago,
        updated_at: long_ago,
        source_payload: Some(Payload::compress(&raw)),
        target_payload: None,
        version: 1,
        kind: None,
    };
    ferry.store.create_transfer(&transfer).await.unwrap();
    let report = ferry::scheduler::tick(ferry).await.unwrap();
    assert_eq!(report.requeued, 1);
    world.wait_for_status(&e_number, "delivered").await;
    assert_eq!(ferry::scheduler::tick(ferry).await.unwrap().requeued, 0);
    world.running.stop().await;
}
