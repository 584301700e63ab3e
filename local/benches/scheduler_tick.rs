//! One scheduler pass with 50,000 connections stored, of which 500 are due,
//! on the embedded store and on DynamoDB (the emulator): time and store
//! calls. Next to it, the same pass with only the 500 due connections
//! stored: if the work grows with the due connections and not with all of
//! them, the two runs read the same.
//!
//! ```sh
//! cargo bench -p ferry-local --bench scheduler_tick
//! ```
//!
//! The emulator run uses `FERRY_TEST_AWS_ENDPOINT` when set, else starts
//! `.venv/bin/moto_server` (made by `scripts/test.sh`) on a free port and
//! stops it afterwards. Every due connection polls a sandbox WooCommerce
//! shop (no rate limit, an empty order list), so the pass measures the
//! scheduler and the store rather than a shop's pacing. The pass is
//! [`ferry::scheduler::poll_due`], what the once-a-minute tick does in nine
//! minutes out of ten; the housekeeping of the tenth minute (sweep, health
//! re-checks) is timed on its own, because it visits every tenant.

use chrono::{Duration as Span, Utc};
use ferry::clock::SystemClock;
use ferry::connectors::http::HttpClient;
use ferry::connectors::Connectors;
use ferry::mail::outbox::OutboxMailer;
use ferry::model::{
    Connection, ConnectionId, CredentialHealth, DocumentKind, Entity, RunOutcome, Scope, System,
    SystemId, SystemKind, Tenant, TenantId,
};
use ferry::queue::memory::MemoryQueue;
use ferry::scheduler::{self, TickReport};
use ferry::seal::Sealer;
use ferry::store::dynamodb::DynamoStore;
use ferry::store::embedded::EmbeddedStore;
use ferry::store::Store;
use ferry::{Ferry, Limits};
use ferry_local::sandbox::{economic, woocommerce};
use ferry_testkit::counting::{CountingStore, StoreCalls};
use futures::stream::{self, StreamExt};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TENANTS: usize = 100;
const STORED: usize = 50_000;
const DUE: usize = 500;
const EMULATOR_STORED: usize = 5_000;
/// Writes in flight while filling a store.
const FILL_AT_ONCE: usize = 64;

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; test runners listing targets do not.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // A shop per tenant: each has its own API key, so its own pacer (one
    // shared key would pace all 500 polls at one shop's 10 calls a second).
    let mut shops = Vec::with_capacity(TENANTS);
    for n in 0..TENANTS {
        let config = woocommerce::Config {
            consumer_key: format!("ck_bench_{n}"),
            consumer_secret: format!("cs_bench_{n}"),
            ..woocommerce::Config::default()
        };
        shops.push(woocommerce::spawn(config).await.expect("a sandbox shop"));
    }
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .expect("a sandbox ledger");

    println!("| store | connections stored | due | pass time | store reads | store writes | reads per due connection |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for stored in [STORED, DUE] {
        let store = Arc::new(EmbeddedStore::temporary().expect("a store"));
        run("embedded", store, stored, &shops, &ledger).await;
    }
    // moto keeps items in Python lists and slows down as a table grows, so
    // the emulator run stores fewer (FERRY_BENCH_EMULATOR_STORED, default
    // 5,000); the store calls it counts are what DynamoDB would answer.
    let emulator_stored = std::env::var("FERRY_BENCH_EMULATOR_STORED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(EMULATOR_STORED);
    let emulator = Emulator::start();
    for stored in [emulator_stored, DUE] {
        let store = emulator.store().await;
        run("DynamoDB (moto)", store, stored, &shops, &ledger).await;
    }
}

async fn run(
    label: &str,
    inner: Arc<dyn Store>,
    stored: usize,
    shops: &[woocommerce::Handle],
    ledger: &economic::Handle,
) {
    let counting = Arc::new(CountingStore::new(inner));
    let ferry = ferry_over(counting.clone());
    let filled = Instant::now();
    fill(&ferry, stored, shops, ledger).await;
    eprintln!(
        "{label}: {stored} connections stored in {:.1} s",
        filled.elapsed().as_secs_f64()
    );

    counting.take();
    let started = Instant::now();
    let mut report = TickReport::default();
    scheduler::poll_due(&ferry, &mut report)
        .await
        .expect("the pass");
    let took = started.elapsed();
    let calls = counting.take();
    assert_eq!(
        report.polled, DUE,
        "every due connection polled: {report:?}"
    );
    assert_eq!(report.poll_errors, 0, "{report:?}");
    print_row(label, stored, took, &calls);

    // The next pass finds nothing due: the index answers with nothing.
    let started = Instant::now();
    let mut again = TickReport::default();
    scheduler::poll_due(&ferry, &mut again)
        .await
        .expect("the pass");
    let idle = started.elapsed();
    let idle_calls = counting.take();
    assert_eq!(again.polled, 0);
    eprintln!(
        "{label}, {stored} stored: the next pass (nothing due) took {:.1} ms, {} reads",
        idle.as_secs_f64() * 1000.0,
        idle_calls.reads
    );

    // The tenth minute's housekeeping visits every tenant.
    let started = Instant::now();
    scheduler::tick(&ferry).await.expect("housekeeping");
    let housekeeping = counting.take();
    eprintln!(
        "{label}, {stored} stored: a full tick with sweep and health re-checks took {:.1} ms, {} reads ({:?})",
        started.elapsed().as_secs_f64() * 1000.0,
        housekeeping.reads,
        housekeeping.by_method
    );
}

fn print_row(label: &str, stored: usize, took: Duration, calls: &StoreCalls) {
    println!(
        "| {label} | {stored} | {DUE} | {:.0} ms | {} | {} | {:.1} |",
        took.as_secs_f64() * 1000.0,
        calls.reads,
        calls.writes,
        calls.reads as f64 / DUE as f64
    );
    eprintln!("  calls by method: {:?}", calls.by_method);
}

fn ferry_over(store: Arc<dyn Store>) -> Ferry {
    let (queue, _receiver) = MemoryQueue::new();
    Ferry {
        store,
        queue: Arc::new(queue),
        mailer: Arc::new(OutboxMailer::new(
            std::env::temp_dir().join(format!("ferry-bench-outbox-{}", std::process::id())),
        )),
        clock: Arc::new(SystemClock),
        sealer: Sealer::from_base64(&Sealer::generate_key()).expect("a key"),
        connectors: Arc::new(Connectors::new(HttpClient::new(Duration::from_secs(10)))),
        limits: Limits::default(),
        public_url: "http://127.0.0.1:9".into(),
        webhook_base: None,
        jwt_key: Arc::new(b"a-bench-key-of-at-least-32-characters".to_vec()),
        operator_token: None,
        mail_from: "ferry@example.com".into(),
    }
}

/// `TENANTS` tenants, each with a shop and a ledger, and `stored`
/// connections spread over them: the first `DUE` were due a minute ago,
/// the rest are due tomorrow.
async fn fill(
    ferry: &Ferry,
    stored: usize,
    shops: &[woocommerce::Handle],
    ledger: &economic::Handle,
) {
    let now = Utc::now();
    let mut systems = Vec::with_capacity(TENANTS);
    for (n, shop) in shops.iter().enumerate() {
        let tenant = Tenant {
            id: TenantId::generate(),
            name: format!("Bench {n} ApS"),
            email: format!("owner{n}@bench.example"),
            time_zone: "UTC".into(),
            created_at: now,
        };
        ferry.store.create_tenant(&tenant).await.expect("tenant");
        let source = system(
            ferry,
            &tenant.id,
            SystemKind::Woocommerce,
            shop.system_config(),
            &shop.credentials(),
        );
        let target = system(
            ferry,
            &tenant.id,
            SystemKind::Economic,
            ledger.system_config(),
            &ledger.credentials(),
        );
        ferry.store.put_system(&source).await.expect("shop system");
        ferry
            .store
            .put_system(&target)
            .await
            .expect("ledger system");
        systems.push((tenant.id, source.id, target.id));
    }
    stream::iter(0..stored)
        .map(|n| {
            let (tenant, source, target) = systems[n % TENANTS].clone();
            let next_run_at = if n < DUE {
                now - Span::minutes(1)
            } else {
                now + Span::days(1)
            };
            let connection = Connection {
                id: ConnectionId::generate(),
                tenant,
                name: format!("Shop > ledger {n}"),
                source,
                target,
                entity: Entity::Orders,
                allowed_states: vec!["processing".into()],
                document: DocumentKind::DraftInvoice,
                documents: Default::default(),
                schedule: Some("*/5 * * * *".into()),
                active: true,
                scope: Scope::default(),
                next_run_at: Some(next_run_at),
                cursor: None,
                last_run: RunOutcome::default(),
                created_at: now,
                updated_at: now,
                currency: Default::default(),
                payments: None,
            };
            async move { ferry.store.put_connection(&connection).await }
        })
        .buffer_unordered(FILL_AT_ONCE)
        .for_each(|put| async move { put.expect("connection") })
        .await;
}

fn system(
    ferry: &Ferry,
    tenant: &TenantId,
    kind: SystemKind,
    config: serde_json::Map<String, serde_json::Value>,
    credentials: &ferry::seal::Credentials,
) -> System {
    System {
        id: SystemId::generate(),
        tenant: tenant.clone(),
        kind,
        name: kind.display_name().into(),
        config,
        credentials: Default::default(),
        health: CredentialHealth::default(),
        scope: Scope::default(),
        active: true,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
    .with_credentials(&ferry.sealer, credentials)
}

/// moto_server: the one the test command started, or one of our own.
struct Emulator {
    endpoint: String,
    own: Option<Child>,
}

impl Emulator {
    fn start() -> Self {
        if let Ok(endpoint) = std::env::var("FERRY_TEST_AWS_ENDPOINT") {
            return Self {
                endpoint,
                own: None,
            };
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let moto = root.join(".venv/bin/moto_server");
        assert!(
            moto.exists(),
            "{} is missing: run scripts/test.sh once (it makes .venv), or set FERRY_TEST_AWS_ENDPOINT",
            moto.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(moto)
            .args(["-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            endpoint,
            own: Some(child),
        }
    }

    async fn store(&self) -> Arc<dyn Store> {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "bench", "bench", None, None, "bench",
            ))
            .load()
            .await;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let table = format!("ferry-bench-{}", ulid::Ulid::new());
        DynamoStore::create_table(&client, &table)
            .await
            .expect("the table");
        Arc::new(DynamoStore::new(client, table))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(child) = &mut self.own {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
