//! One tenant must not starve the rest (issue 16, item 6): a flood of
//! refused webhooks is counted, not logged one by one; a system that never
//! answers, or a store error on one system, does not hold up the health
//! checks of the others; webhook-intake has its own share of concurrency.
//! (The 8 MB limit on a remote's answer is tested where it is read, in
//! `ferry::connectors::http::call`.)

use crate::api_kit::{id, Api};
use ferry::clock::SystemClock;
use ferry::connectors::address::Network;
use ferry::connectors::http::HttpClient;
use ferry::connectors::signature;
use ferry::connectors::Connectors;
use ferry::health;
use ferry::mail::outbox::OutboxMailer;
use ferry::model::{
    Connection, ConnectionId, CredentialHealth, DocumentKind, Entity, HealthStatus, RunOutcome,
    Scope, System, SystemId, SystemKind, Tenant, TenantId,
};
use ferry::queue::memory::MemoryQueue;
use ferry::scheduler::{self, TickReport};
use ferry::seal::Sealer;
use ferry::store::embedded::EmbeddedStore;
use ferry::{Ferry, Limits};
use ferry_local::sandbox::economic;
use ferry_testkit::counting::CountingStore;
use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_thousand_refused_webhooks_are_one_counted_log_line_not_a_thousand() {
    let api = Api::start("limits-refused").await;
    let merchant = api.tenant("Flooded").await;
    let shop = api.shop(&merchant.token, "Shop", json!({})).await;
    let books = api.ledger(&merchant.token, "Books", json!({})).await;
    let connection = api
        .connection(&merchant.token, "Shop > Books", &shop, &books, json!({}))
        .await;
    let url = format!("{}/webhooks/{}", api.running.base_url(), id(&connection));
    let body = br##"{"id": 1, "name": "#1001"}"##;
    let forged = signature::sign(b"whsec_GUESSED", body);
    let statuses: Vec<u16> = futures::stream::iter(0..1000)
        .map(|n| {
            let request = api
                .http
                .post(&url)
                .header("Content-Type", "application/json")
                .header("X-Shopify-Topic", "orders/create")
                .header("X-Shopify-Webhook-Id", format!("flood-{n}"))
                .header("X-Shopify-Hmac-Sha256", &forged)
                .body(body.to_vec());
            async move { request.send().await.unwrap().status().as_u16() }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 401), "every one refused");

    let logs = api
        .expect(
            200,
            "GET",
            "/logs?service=webhook-intake",
            &merchant.token,
            None,
        )
        .await;
    let items = logs["items"].as_array().unwrap();
    // One line per minute the flood lasted (it may cross a minute's end).
    assert!(
        (1..=3).contains(&items.len()),
        "{} log items: {logs}",
        items.len()
    );
    let counted: u64 = items.iter().map(|e| e["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 1000, "{logs}");
    for item in items {
        assert_eq!(item["connection"], connection["id"]);
        assert_eq!(item["level"], "warn");
        let message = item["message"].as_str().unwrap();
        assert!(
            message.starts_with(
                "a webhook was refused: the X-Shopify-Hmac-Sha256 signature does not match the body"
            ),
            "{message}"
        );
    }
    api.stop().await;
}

/// A Ferry on the embedded store (behind a [`CountingStore`] that tests can
/// make fail), reaching loopback.
fn ferry(store: Arc<CountingStore>) -> Ferry {
    let (queue, _receiver) = MemoryQueue::new();
    Ferry {
        store,
        queue: Arc::new(queue),
        mailer: Arc::new(OutboxMailer::new(crate::orders::temp_dir("limits-outbox"))),
        clock: Arc::new(SystemClock),
        sealer: Sealer::from_bytes(&[9; 32]).unwrap(),
        connectors: Arc::new(Connectors::new(HttpClient::on_network(
            Duration::from_secs(10),
            Network::PRIVATE_ALLOWED,
        ))),
        limits: Limits::default(),
        public_url: "http://127.0.0.1:1".into(),
        webhook_base: None,
        jwt_key: Arc::new(vec![1; 32]),
        operator_token: None,
        mail_from: "ferry@test.example".into(),
    }
}

/// A tenant of its own with an e-conomic system at `base_url`, never checked.
async fn ledger_at(
    ferry: &Ferry,
    sandbox: &economic::Handle,
    name: &str,
    base_url: &str,
) -> System {
    let now = chrono::Utc::now();
    let tenant = Tenant {
        id: TenantId::generate(),
        name: name.into(),
        email: "owner@example.com".into(),
        time_zone: "UTC".into(),
        created_at: now,
    };
    ferry.store.create_tenant(&tenant).await.unwrap();
    let mut config = sandbox.system_config();
    config.insert("base_url".into(), Value::String(base_url.into()));
    let system = System {
        id: SystemId::generate(),
        tenant: tenant.id.clone(),
        kind: SystemKind::Economic,
        name: name.into(),
        config,
        credentials: Default::default(),
        health: CredentialHealth {
            status: HealthStatus::Unknown,
            reason: None,
            checked_at: None,
        },
        scope: Scope::default(),
        active: true,
        created_at: now,
        updated_at: now,
    }
    .with_credentials(&ferry.sealer, &sandbox.credentials());
    ferry.store.put_system(&system).await.unwrap();
    system
}

async fn stored(ferry: &Ferry, system: &System) -> CredentialHealth {
    ferry
        .store
        .get_system(&system.tenant, &system.id)
        .await
        .unwrap()
        .unwrap()
        .health
}

#[tokio::test]
async fn a_system_that_never_answers_does_not_hold_up_the_other_checks() {
    let store = Arc::new(CountingStore::new(Arc::new(
        EmbeddedStore::temporary().unwrap(),
    )));
    let ferry = ferry(store);
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    // Takes every connection and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let hanging = ledger_at(&ferry, &sandbox, "Silent books", &silent_url).await;
    let mut answering = Vec::new();
    for n in 0..5 {
        answering
            .push(ledger_at(&ferry, &sandbox, &format!("Books {n}"), &sandbox.base_url()).await);
    }

    let started = Instant::now();
    let pass = health::check_due(&ferry, Duration::from_millis(500))
        .await
        .unwrap();
    // Without the bound the silent one alone would take the client's 10 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the pass took {:?}",
        started.elapsed()
    );
    assert_eq!(pass.checked, 6, "{pass:?}");
    assert!(pass.failed.is_empty(), "{pass:?}");
    for system in &answering {
        assert_eq!(stored(&ferry, system).await.status, HealthStatus::Healthy);
    }
    let silent_health = stored(&ferry, &hanging).await;
    assert_eq!(
        silent_health.status,
        HealthStatus::Unknown,
        "says nothing of the credentials"
    );
    assert!(silent_health.checked_at.is_some());
    assert_eq!(
        silent_health.reason.as_deref(),
        Some("e-conomic did not answer within 0.5 s; Ferry will check again")
    );
}

#[tokio::test]
async fn a_store_error_on_one_systems_save_does_not_abort_the_pass() {
    let store = Arc::new(CountingStore::new(Arc::new(
        EmbeddedStore::temporary().unwrap(),
    )));
    let ferry = ferry(store.clone());
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let mut systems = Vec::new();
    for n in 0..3 {
        systems.push(ledger_at(&ferry, &sandbox, &format!("Books {n}"), &sandbox.base_url()).await);
    }
    store.fail_next("put_system", 1);

    let report = ferry::scheduler::tick(&ferry).await.unwrap();
    assert_eq!((report.checked, report.health_errors), (2, 1), "{report:?}");
    let mut checked = 0;
    for system in &systems {
        let health = stored(&ferry, system).await;
        if health.checked_at.is_some() {
            assert_eq!(health.status, HealthStatus::Healthy);
            checked += 1;
        }
    }
    assert_eq!(checked, 2, "the two others were checked and stored");

    // The one that failed is due again at the next pass.
    let again = health::check_due(&ferry, health::CHECK_TIMEOUT)
        .await
        .unwrap();
    assert_eq!((again.checked, again.failed.len()), (1, 0), "{again:?}");
}

#[test]
fn webhook_intake_has_its_own_reserved_concurrency_in_the_template() {
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/template.yaml"
    ))
    .unwrap();
    // The resource's block: from its name to the next resource at its indent.
    let block = |name: &str| -> String {
        let start = template
            .find(&format!("\n  {name}:\n"))
            .unwrap_or_else(|| panic!("{name} is in the template"));
        template[start + 1..]
            .lines()
            .enumerate()
            .take_while(|(i, line)| *i == 0 || !line.starts_with("  ") || line.starts_with("   "))
            .map(|(_, line)| format!("{line}\n"))
            .collect()
    };
    let parameter = block("WebhookIntakeConcurrency");
    assert!(parameter.contains("Default: 20"), "{parameter}");
    let function = block("WebhookIntakeFunction");
    assert!(
        function.contains("ReservedConcurrentExecutions:")
            && function.contains("!Ref WebhookIntakeConcurrency"),
        "{function}"
    );
}

/// A due connection of `tenant`, every five minutes, whose source system is
/// not stored (its poll ends at once, in words); stored.
async fn due_connection(ferry: &Ferry, tenant: &TenantId, name: &str) -> Connection {
    let now = chrono::Utc::now();
    let connection = Connection {
        id: ConnectionId::generate(),
        tenant: tenant.clone(),
        name: name.into(),
        source: SystemId::generate(),
        target: SystemId::generate(),
        entity: Entity::Orders,
        allowed_states: vec!["paid".into()],
        document: DocumentKind::DraftInvoice,
        documents: Default::default(),
        schedule: Some("*/5 * * * *".into()),
        active: true,
        scope: Scope::default(),
        next_run_at: Some(now - chrono::Duration::minutes(1)),
        cursor: None,
        last_run: RunOutcome::default(),
        created_at: now - chrono::Duration::minutes(30),
        updated_at: now - chrono::Duration::minutes(30),
        currency: Default::default(),
        payments: None,
    };
    ferry.store.put_connection(&connection).await.unwrap();
    connection
}

#[tokio::test]
async fn a_store_error_on_one_connection_does_not_end_the_poll_pass_for_the_others() {
    let store = Arc::new(CountingStore::new(Arc::new(
        EmbeddedStore::temporary().unwrap(),
    )));
    let ferry = ferry(store.clone());
    let tenant = Tenant {
        id: TenantId::generate(),
        name: "Two shops".into(),
        email: "owner@example.com".into(),
        time_zone: "UTC".into(),
        created_at: chrono::Utc::now(),
    };
    ferry.store.create_tenant(&tenant).await.unwrap();
    let connections = [
        due_connection(&ferry, &tenant.id, "Shop A").await,
        due_connection(&ferry, &tenant.id, "Shop B").await,
    ];
    // The first claim's read fails; the other connection's poll goes on.
    store.fail_next("get_connection", 1);

    let mut report = TickReport::default();
    scheduler::poll_due(&ferry, &mut report)
        .await
        .expect("the pass ends without an error");

    assert_eq!((report.polled, report.poll_errors), (2, 2), "{report:?}");
    let (mut polled, mut left_due) = (0, 0);
    for connection in &connections {
        let stored = ferry
            .store
            .get_connection(&connection.tenant, &connection.id)
            .await
            .unwrap()
            .unwrap();
        match stored.last_run.error.as_deref() {
            Some(reason) => {
                assert_eq!(reason, "the connection's source system was removed");
                assert!(stored.next_run_at > connection.next_run_at);
                polled += 1;
            }
            None => {
                // Not claimed: still due, so the next pass polls it.
                assert_eq!(stored.next_run_at, connection.next_run_at);
                left_due += 1;
            }
        }
    }
    assert_eq!((polled, left_due), (1, 1));
}
