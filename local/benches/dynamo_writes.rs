//! DynamoDB requests and write units per delivered order, on the AWS
//! emulator (moto_server).
//!
//! ```sh
//! cargo bench -p ferry-local --bench dynamo_writes
//! ```
//!
//! Uses the emulator at `FERRY_TEST_AWS_ENDPOINT` when set; otherwise starts
//! `.venv/bin/moto_server` (installed by `scripts/test.sh`) on a free port
//! and stops it at the end.
//!
//! ferry-local runs in process on a fresh table, through a DynamoDB client
//! whose interceptor sees every request the store sends and its answer. The
//! demo wiring (sandbox Shopify → sandbox e-conomic, draft invoices) is set
//! up first; its requests are counted apart and left out of the per-order
//! figures. Then:
//!
//! 1. `once`: distinct paid orders, each sent once as a signed Shopify
//!    webhook, until every one is a draft invoice in the sandbox e-conomic;
//! 2. `twice`: distinct paid orders, each webhook sent twice in a row (a
//!    sender retrying), until every one is delivered;
//! 3. `late duplicates`: the webhooks of step 1 sent again, after their
//!    orders were delivered.
//!
//! moto answers a constant for consumed capacity, so the units are worked
//! out from the requests by `ferry_testkit::write_units` (DynamoDB's
//! documented rules, with a copy of every item to know what each write
//! replaces and which index entries it moves). A request is the worker's
//! when it is made inside the transfer-worker's `transfer` span, else the
//! intake's (the runtime's scheduler and reminders are kept from running).

use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use ferry_local::cli::StoreKind;
use ferry_local::demo;
use ferry_local::dynamodb::Table;
use ferry_local::runtime::{self, Options};
use ferry_local::sandbox::webshop::Webhook;
use ferry_testkit::write_units::{self, Charge};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing_subscriber::registry::LookupSpan;

const ORDERS: usize = 200;
const TWICE_ORDERS: usize = 100;
/// Webhooks in flight at once (a busy shop).
const SENDERS: usize = 8;
/// No request for this long after the last order is in e-conomic: the
/// workers have recorded everything.
const QUIET: Duration = Duration::from_millis(1500);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; a test runner listing or running every
    // target (cargo test --all-targets, nextest) does not: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // Spans are how a request is told to be the worker's or the intake's.
    tracing::subscriber::set_global_default(tracing_subscriber::registry())
        .expect("the only tracing subscriber");

    let emulator = Emulator::start();
    let meter = Arc::new(Meter::default());
    let table = format!("ferry-bench-{}", ulid_like());
    let data_dir = std::env::temp_dir().join(format!("ferry-dynamo-bench-{}", std::process::id()));
    let mut options = Options::new(
        "127.0.0.1:0".parse().expect("address"),
        data_dir.clone(),
        StoreKind::Dynamodb,
    );
    options.dynamodb = Some(Table {
        client: counting_client(&emulator.endpoint, meter.clone()),
        name: table,
    });
    // Keep the periodic passes out of the figures.
    options.scheduler_every = Duration::from_secs(86_400);
    options.reminders_every = Duration::from_secs(86_400);

    meter.enter("setup");
    let running = runtime::start(options).await.expect("ferry-local starts");
    let demo = demo::start(&running).await.expect("demo wiring");
    let client = reqwest::Client::new();

    meter.enter("once");
    let once: Vec<Webhook> = (0..ORDERS).map(|_| paid_order(&demo)).collect();
    send(&client, &demo.webhook_url, &once, 1).await;
    settle(&demo, &meter, ORDERS).await;

    meter.enter("twice");
    let twice: Vec<Webhook> = (0..TWICE_ORDERS).map(|_| paid_order(&demo)).collect();
    send(&client, &demo.webhook_url, &twice, 2).await;
    settle(&demo, &meter, ORDERS + TWICE_ORDERS).await;

    meter.enter("late duplicates");
    send(&client, &demo.webhook_url, &once, 1).await;
    settle(&demo, &meter, ORDERS + TWICE_ORDERS).await;
    meter.enter("done");

    let invoices = demo.ledger.draft_invoices().len();
    assert_eq!(
        invoices,
        ORDERS + TWICE_ORDERS,
        "every order exactly one draft invoice"
    );
    report(&meter);
    running.stop().await;
    drop(emulator);
    let _ = std::fs::remove_dir_all(data_dir);
}

/// A new paid order in the sandbox shop, and its signed webhook.
fn paid_order(demo: &demo::Demo) -> Webhook {
    let id = demo.shop.add_order();
    demo.shop.set_financial_status(id, "paid");
    demo.shop.webhook(id, "orders/create")
}

/// Sends every webhook `times` times in a row, `SENDERS` at a time.
async fn send(client: &reqwest::Client, url: &str, webhooks: &[Webhook], times: usize) {
    let webhooks = Arc::new(webhooks.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..SENDERS {
        let (client, next, webhooks, url) = (
            client.clone(),
            next.clone(),
            webhooks.clone(),
            url.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            while let Some(webhook) = webhooks.get(next.fetch_add(1, Ordering::Relaxed)) {
                for _ in 0..times {
                    let status = webhook.deliver(&client, &url).await.expect("answer");
                    assert!(status.is_success(), "webhook answered {status}");
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("sender");
    }
}

/// Waits until the sandbox e-conomic holds `invoices` draft invoices and
/// the store has been quiet for a moment.
async fn settle(demo: &demo::Demo, meter: &Meter, invoices: usize) {
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        if demo.ledger.draft_invoices().len() >= invoices && meter.quiet_for(QUIET) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "orders not delivered after 15 minutes: {} of {invoices} draft invoices",
            demo.ledger.draft_invoices().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ulid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}

// --- The emulator -----------------------------------------------------------

struct Emulator {
    endpoint: String,
    child: Option<Child>,
}

impl Emulator {
    fn start() -> Self {
        if let Some(endpoint) = std::env::var("FERRY_TEST_AWS_ENDPOINT")
            .ok()
            .filter(|e| !e.is_empty())
        {
            return Self {
                endpoint,
                child: None,
            };
        }
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root")
            .to_path_buf();
        let program = root.join(".venv/bin/moto_server");
        if !program.exists() {
            eprintln!(
                "error: {} is missing. Run scripts/test.sh once (it installs moto into .venv), \
                 or set FERRY_TEST_AWS_ENDPOINT to a running moto_server.",
                program.display()
            );
            std::process::exit(2);
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let emulator = Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on port {port} within a minute"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        emulator
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn counting_client(endpoint: &str, meter: Arc<Meter>) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "bench"))
        .interceptor(Counting(meter))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

// --- Counting ---------------------------------------------------------------

/// Who sent a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Intake,
    Worker,
}

/// What the store did in one phase, as one role.
#[derive(Debug, Clone, Default)]
struct Tally {
    requests: BTreeMap<String, u64>,
    /// Table write units by item kind.
    table_units: BTreeMap<&'static str, u64>,
    /// Item writes and their bytes by item kind (for the average size).
    table_writes: BTreeMap<&'static str, (u64, usize)>,
    index_units: BTreeMap<String, u64>,
    read_units: f64,
    failed_writes: u64,
    approximate: u64,
    unanswered: u64,
}

impl Tally {
    fn add(&mut self, operation: &str, charge: &Charge) {
        *self.requests.entry(operation.to_owned()).or_default() += 1;
        for write in &charge.writes {
            *self.table_units.entry(write.kind).or_default() += write.table_units;
            let (count, bytes) = self.table_writes.entry(write.kind).or_default();
            *count += 1;
            *bytes += write.bytes;
            for (index, units) in &write.index_units {
                *self.index_units.entry(index.clone()).or_default() += units;
            }
            self.failed_writes += u64::from(write.failed);
        }
        self.read_units += charge.read_units;
        self.approximate += u64::from(charge.approximate);
    }

    fn merge(&mut self, other: &Tally) {
        for (k, v) in &other.requests {
            *self.requests.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.table_units {
            *self.table_units.entry(k).or_default() += v;
        }
        for (k, v) in &other.index_units {
            *self.index_units.entry(k.clone()).or_default() += v;
        }
        for (k, (count, bytes)) in &other.table_writes {
            let (c, b) = self.table_writes.entry(k).or_default();
            *c += count;
            *b += bytes;
        }
        self.read_units += other.read_units;
        self.failed_writes += other.failed_writes;
        self.approximate += other.approximate;
        self.unanswered += other.unanswered;
    }

    fn requests(&self) -> u64 {
        self.requests.values().sum()
    }

    fn usage_units(&self) -> u64 {
        self.table_units.get("usage counter").copied().unwrap_or(0)
    }

    /// Table units other than the usage counters.
    fn item_units(&self) -> u64 {
        self.table_units.values().sum::<u64>() - self.usage_units()
    }

    fn index_total(&self) -> u64 {
        self.index_units.values().sum()
    }

    fn write_units(&self) -> u64 {
        self.table_units.values().sum::<u64>() + self.index_total()
    }
}

#[derive(Debug, Default)]
struct Meter {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    phase: &'static str,
    table: write_units::Table,
    tallies: BTreeMap<(&'static str, Role), Tally>,
    in_flight: usize,
    last_activity: Instant,
}

impl Default for State {
    fn default() -> Self {
        Self {
            phase: "setup",
            table: write_units::ferry_table(),
            tallies: BTreeMap::new(),
            in_flight: 0,
            last_activity: Instant::now(),
        }
    }
}

impl Meter {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enter(&self, phase: &'static str) {
        self.lock().phase = phase;
    }

    fn quiet_for(&self, period: Duration) -> bool {
        let state = self.lock();
        state.in_flight == 0 && state.last_activity.elapsed() >= period
    }

    fn sent(&self) -> &'static str {
        let mut state = self.lock();
        state.in_flight += 1;
        state.last_activity = Instant::now();
        state.phase
    }

    fn answered(&self, sent: &Sent, answer: Option<(u16, &[u8])>) {
        let request: serde_json::Value =
            serde_json::from_slice(&sent.body).unwrap_or(serde_json::Value::Null);
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        state.last_activity = Instant::now();
        let charge = match answer {
            Some((status, body)) => {
                let response: serde_json::Value =
                    serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
                state
                    .table
                    .charge(&sent.operation, &request, status, &response)
            }
            None => Charge::default(),
        };
        let tally = state.tallies.entry((sent.phase, sent.role)).or_default();
        tally.add(&sent.operation, &charge);
        tally.unanswered += u64::from(answer.is_none());
    }

    fn tally(&self, phase: &str, role: Option<Role>) -> Tally {
        let state = self.lock();
        let mut total = Tally::default();
        for ((p, r), tally) in &state.tallies {
            if *p == phase && role.is_none_or(|role| role == *r) {
                total.merge(tally);
            }
        }
        total
    }
}

/// A request on its way, kept in the operation's config bag until its
/// answer arrives.
#[derive(Debug, Clone)]
struct Sent {
    operation: String,
    body: Vec<u8>,
    phase: &'static str,
    role: Role,
}

impl Storable for Sent {
    type Storer = StoreReplace<Self>;
}

#[derive(Debug)]
struct Counting(Arc<Meter>);

impl Intercept for Counting {
    fn name(&self) -> &'static str {
        "dynamo_writes request counter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or("unknown")
            .to_owned();
        let body = request.body().bytes().unwrap_or_default().to_vec();
        let phase = self.0.sent();
        cfg.interceptor_state().store_put(Sent {
            operation,
            body,
            phase,
            role: current_role(),
        });
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(sent) = cfg.load::<Sent>().cloned() else {
            return Ok(());
        };
        cfg.interceptor_state().unset::<Sent>();
        let answer = context.response().and_then(|response| {
            let body = response.body().bytes()?;
            Some((response.status().as_u16(), body))
        });
        self.0.answered(&sent, answer);
        Ok(())
    }
}

/// The worker's requests are made inside its `transfer` span.
fn current_role() -> Role {
    let Some(id) = tracing::Span::current().id() else {
        return Role::Intake;
    };
    tracing::dispatcher::get_default(|dispatch| {
        let in_worker = dispatch
            .downcast_ref::<tracing_subscriber::Registry>()
            .and_then(|registry| registry.span(&id))
            .is_some_and(|span| span.scope().any(|s| s.name() == "transfer"));
        if in_worker {
            Role::Worker
        } else {
            Role::Intake
        }
    })
}

// --- The report -------------------------------------------------------------

const OPERATIONS: [&str; 8] = [
    "GetItem",
    "Query",
    "BatchGetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

/// Leaves the units per order where the `cost` bench reads them:
/// `<target>/release/ferry-bench/dynamo.json`.
fn save_for_cost(write_units: f64, read_units: f64) {
    let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("ferry-bench")))
    else {
        return;
    };
    let figures = serde_json::json!({
        "write_units_per_order": write_units,
        "read_units_per_order": read_units,
    });
    let saved = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("dynamo.json"), figures.to_string()));
    match saved {
        Ok(()) => eprintln!(
            "units per order saved in {}",
            dir.join("dynamo.json").display()
        ),
        Err(e) => eprintln!("could not save the units for the cost bench: {e}"),
    }
}

fn per(value: f64, count: usize) -> String {
    format!("{:.2}", value / count as f64)
}

fn report(meter: &Meter) {
    let setup = meter.tally("setup", None);
    println!(
        "setup (table, tenant, systems, connection; left out below): {} requests, {} write units",
        setup.requests(),
        setup.write_units()
    );
    println!();

    let intake = meter.tally("once", Some(Role::Intake));
    let worker = meter.tally("once", Some(Role::Worker));
    let mut once = intake.clone();
    once.merge(&worker);
    let n = ORDERS;
    println!("## {n} orders, each webhook sent once: per delivered order");
    println!();
    println!("| requests | intake | worker | total |");
    println!("| --- | --- | --- | --- |");
    let mut operations: Vec<String> = OPERATIONS.iter().map(|s| s.to_string()).collect();
    for op in once.requests.keys() {
        if !operations.contains(op) {
            operations.push(op.clone());
        }
    }
    for op in &operations {
        let count = |t: &Tally| t.requests.get(op).copied().unwrap_or(0) as f64;
        if count(&once) == 0.0 {
            continue;
        }
        println!(
            "| {op} | {} | {} | {} |",
            per(count(&intake), n),
            per(count(&worker), n),
            per(count(&once), n)
        );
    }
    println!(
        "| **all requests** | {} | {} | **{}** |",
        per(intake.requests() as f64, n),
        per(worker.requests() as f64, n),
        per(once.requests() as f64, n)
    );
    println!();
    println!("| write units | intake | worker | total | average item size (intake / worker) |");
    println!("| --- | --- | --- | --- | --- |");
    for kind in once.table_units.keys() {
        let units = |t: &Tally| t.table_units.get(kind).copied().unwrap_or(0) as f64;
        let size = |t: &Tally| match t.table_writes.get(kind) {
            Some((count, bytes)) if *count > 0 => format!("{} B", bytes / *count as usize),
            _ => "–".to_owned(),
        };
        println!(
            "| table: {kind} | {} | {} | {} | {} / {} |",
            per(units(&intake), n),
            per(units(&worker), n),
            per(units(&once), n),
            size(&intake),
            size(&worker)
        );
    }
    for index in once.index_units.keys() {
        let units = |t: &Tally| t.index_units.get(index).copied().unwrap_or(0) as f64;
        println!(
            "| index: {index} | {} | {} | {} | |",
            per(units(&intake), n),
            per(units(&worker), n),
            per(units(&once), n)
        );
    }
    println!(
        "| **all write units** | {} | {} | **{}** | |",
        per(intake.write_units() as f64, n),
        per(worker.write_units() as f64, n),
        per(once.write_units() as f64, n)
    );
    println!(
        "| read units | {} | {} | {} | |",
        per(intake.read_units, n),
        per(worker.read_units, n),
        per(once.read_units, n)
    );
    println!();
    println!("| write units per delivered order | intake (items) | worker (items) | usage counters | indexes | total | goal |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| {n} orders, sent once | {} | {} | {} | {} | **{}** | ≤ 6 |",
        per(intake.item_units() as f64, n),
        per(worker.item_units() as f64, n),
        per(once.usage_units() as f64, n),
        per(once.index_total() as f64, n),
        per(once.write_units() as f64, n)
    );
    println!();
    save_for_cost(
        once.write_units() as f64 / n as f64,
        once.read_units / n as f64,
    );

    let twice = meter.tally("twice", None);
    let late = meter.tally("late duplicates", None);
    println!("## duplicates");
    println!();
    println!("| per order | requests | write units | read units |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| sent once ({n} orders) | {} | {} | {} |",
        per(once.requests() as f64, n),
        per(once.write_units() as f64, n),
        per(once.read_units, n)
    );
    println!(
        "| sent twice in a row ({TWICE_ORDERS} orders) | {} | {} | {} |",
        per(twice.requests() as f64, TWICE_ORDERS),
        per(twice.write_units() as f64, TWICE_ORDERS),
        per(twice.read_units, TWICE_ORDERS)
    );
    println!(
        "| sent again after delivery ({n} duplicates, per duplicate) | {} | {} | {} |",
        per(late.requests() as f64, n),
        per(late.write_units() as f64, n),
        per(late.read_units, n)
    );
    println!();
    for (name, tally) in [("twice", &twice), ("late duplicates", &late)] {
        let requests: Vec<String> = tally
            .requests
            .iter()
            .map(|(op, count)| format!("{op} {count}"))
            .collect();
        let writes: Vec<String> = tally
            .table_units
            .iter()
            .map(|(kind, units)| format!("{kind} {units}"))
            .chain(
                tally
                    .index_units
                    .iter()
                    .map(|(index, units)| format!("{index} {units}")),
            )
            .collect();
        println!(
            "{name}: requests [{}]; write units [{}]",
            requests.join(", "),
            writes.join(", ")
        );
    }
    let mut all = setup;
    for phase in ["once", "twice", "late duplicates"] {
        all.merge(&meter.tally(phase, None));
    }
    println!(
        "failed conditional writes: {}, requests without an answer: {}, estimated charges: {}",
        all.failed_writes, all.unanswered, all.approximate
    );
}
