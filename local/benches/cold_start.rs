//! Cold start and peak memory of each Lambda function's release binary,
//! run through a Lambda Runtime API emulator on loopback (issue 9, items 1
//! and 2), next to a hello-world `lambda_runtime` binary built the same way.
//!
//! ```sh
//! CARGO_TARGET_DIR=target/bench cargo build --release -p webhook-intake -p scheduler \
//!     -p transfer-worker -p dashboard-api -p reminders -p hello-world
//! CARGO_TARGET_DIR=target/bench cargo bench -p ferry-local --bench cold_start
//! ```
//!
//! The binaries are taken from `<target>/release` (next to this bench's
//! own `release/deps`), or from `FERRY_BENCH_BIN_DIR`. The functions talk to
//! moto (at `FERRY_TEST_AWS_ENDPOINT`, else `.venv/bin/moto_server` started
//! here) and to a sandbox Shopify and e-conomic served by this process. A
//! tenant with one Shopify → e-conomic connection is wired through the API
//! first, on the same table and with the same keys as the functions.
//!
//! 1. Cold start: the time from spawning the process to the emulator
//!    receiving the answer to the first event (and, inside it, to the
//!    process asking for its first event: its init), `RUNS` runs per binary,
//!    interleaved, median and p90. Events: a signed paid-order webhook
//!    (webhook-intake), `GET /api/v1/transfers?limit=50` with the tenant's
//!    token (dashboard-api), `tests/lambda/sqs-event.json` (transfer-worker),
//!    `tests/lambda/eventbridge-scheduled-event.json` (scheduler, reminders),
//!    `{}` (hello-world).
//! 2. Peak memory (VmHWM of `/proc/<pid>/status`, read after the last
//!    answer) of one process handling 100 orders: 100 webhook invocations
//!    (webhook-intake), one SQS batch of the 100 pending transfers they made,
//!    delivered to the sandbox e-conomic (transfer-worker), one page of 100
//!    transfers (dashboard-api), one pass each over the table holding them
//!    (scheduler, reminders). The functions' log bytes (stdout, what
//!    CloudWatch would ingest) and time per order are printed too, and
//!    written to `<target>/ferry-bench/functions.json` for the `cost` bench.

mod support;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use ferry::store::dynamodb::DynamoStore;
use ferry::store::{TransferQuery, TransferStore};
use ferry_local::sandbox::webshop::Webhook;
use ferry_local::sandbox::{economic, shopify};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Cold starts per binary.
const RUNS: usize = 20;
/// Orders in the memory runs.
const ORDERS: usize = 100;
const FUNCTIONS: [&str; 5] = [
    "webhook-intake",
    "dashboard-api",
    "transfer-worker",
    "scheduler",
    "reminders",
];
const FLOOR: &str = "hello-world";
/// How long one process may take for all its events.
const PATIENCE: Duration = Duration::from_secs(300);

#[tokio::main]
async fn main() {
    if !support::benching() {
        return;
    }
    let bins = bin_dir();
    for name in FUNCTIONS.iter().chain([&FLOOR]) {
        assert!(
            bins.join(name).exists(),
            "{} is missing: build the release binaries first (see the command at the top of local/benches/cold_start.rs)",
            bins.join(name).display()
        );
    }
    let moto = support::Moto::start();
    let cloud = Cloud::start(&moto.endpoint).await;

    // 1. Cold starts, interleaved so that a busy moment hits every binary.
    let mut starts: Vec<(&str, Vec<Duration>, Vec<Duration>)> = FUNCTIONS
        .iter()
        .chain([&FLOOR])
        .map(|name| (*name, Vec::new(), Vec::new()))
        .collect();
    for _ in 0..RUNS {
        for (name, inits, firsts) in &mut starts {
            let events = vec![cloud.cold_event(name)];
            let run = run_process(&bins.join(&name), &cloud.env, events).await;
            let answer = &run.answers[0];
            let refused = status_of(&answer.body).is_some_and(|s| s >= 300);
            assert!(
                answer.ok && !refused,
                "{name} failed its event: {}",
                answer.body
            );
            inits.push(run.init);
            firsts.push(run.answers[0].at);
        }
    }
    let floor = starts
        .iter()
        .find(|(name, ..)| *name == FLOOR)
        .map(|(_, _, firsts)| median(firsts))
        .unwrap_or_default();
    println!("\nCold start, spawn → first event answered ({RUNS} runs each):\n");
    println!("| binary | init (spawn → asks for its first event), median | first answer, median | p90 | max | × hello-world (median) |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (name, inits, firsts) in &starts {
        println!(
            "| {name} | {} | {} | {} | {} | {:.2} |",
            ms(median(inits)),
            ms(median(firsts)),
            ms(quantile(firsts, 0.9)),
            ms(quantile(firsts, 1.0)),
            median(firsts).as_secs_f64() / floor.as_secs_f64()
        );
    }

    // 2. One process per function with 100 orders.
    let hooks = cloud.webhook_events(ORDERS);
    let intake = run_process(&bins.join("webhook-intake"), &cloud.env, hooks).await;
    let refused = intake
        .answers
        .iter()
        .find(|a| !a.ok || status_of(&a.body) != Some(200));
    assert!(
        refused.is_none(),
        "a webhook was refused: {:?}",
        refused.map(|a| &a.body)
    );
    let batch = cloud.sqs_batch(ORDERS).await;
    let drafts_before = cloud.ledger.draft_invoices().len();
    let worker = run_process(&bins.join("transfer-worker"), &cloud.env, vec![batch]).await;
    let delivered = cloud.ledger.draft_invoices().len() - drafts_before;
    assert!(
        worker.answers[0].ok,
        "the batch failed: {}",
        worker.answers[0].body
    );
    let page = cloud.api_event("GET", "/api/v1/transfers", &format!("limit={ORDERS}"));
    let dashboard = run_process(&bins.join("dashboard-api"), &cloud.env, vec![page]).await;
    let tick = cloud.fixture("eventbridge-scheduled-event.json");
    let scheduler = run_process(&bins.join("scheduler"), &cloud.env, vec![tick.clone()]).await;
    let reminders = run_process(&bins.join("reminders"), &cloud.env, vec![tick]).await;
    let hello = run_process(&bins.join(FLOOR), &cloud.env, vec![json!({})]).await;

    println!("\nPeak memory with {ORDERS} orders (VmHWM), time and log bytes:\n");
    println!("| function | work | peak memory | handling time (events only) | per order | log bytes | per order |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let rows = [
        (
            "webhook-intake",
            format!("{ORDERS} webhook invocations"),
            &intake,
        ),
        (
            "transfer-worker",
            format!("1 SQS batch of {ORDERS} transfers, {delivered} draft invoices made"),
            &worker,
        ),
        (
            "dashboard-api",
            format!("1 page of {ORDERS} transfers"),
            &dashboard,
        ),
        ("scheduler", "1 pass over the table".to_owned(), &scheduler),
        ("reminders", "1 pass over the table".to_owned(), &reminders),
        (FLOOR, "1 event".to_owned(), &hello),
    ];
    for (name, work, run) in &rows {
        let per_order = matches!(*name, "webhook-intake" | "transfer-worker");
        println!(
            "| {name} | {work} | {:.1} MB | {} | {} | {} | {} |",
            run.peak_kb as f64 / 1024.0,
            ms(run.handling),
            if per_order {
                ms(run.handling / ORDERS as u32)
            } else {
                "–".into()
            },
            run.log_bytes,
            if per_order {
                format!("{:.0}", run.log_bytes as f64 / ORDERS as f64)
            } else {
                "–".into()
            },
        );
    }
    println!(
        "\nworker failures reported back to SQS: {}",
        worker.answers[0].body.matches("itemIdentifier").count()
    );

    let figures = json!({
        "orders": ORDERS,
        "intake_ms_per_order": intake.handling.as_secs_f64() * 1000.0 / ORDERS as f64,
        "worker_ms_per_order": worker.handling.as_secs_f64() * 1000.0 / ORDERS as f64,
        "intake_log_bytes_per_order": intake.log_bytes as f64 / ORDERS as f64,
        "worker_log_bytes_per_order": worker.log_bytes as f64 / ORDERS as f64,
        "intake_peak_mb": intake.peak_kb as f64 / 1024.0,
        "worker_peak_mb": worker.peak_kb as f64 / 1024.0,
    });
    let out = bins.join("ferry-bench");
    let _ = std::fs::create_dir_all(&out);
    let file = out.join("functions.json");
    if std::fs::write(
        &file,
        serde_json::to_vec_pretty(&figures).unwrap_or_default(),
    )
    .is_ok()
    {
        println!("figures for the cost bench: {}", file.display());
    }
}

/// `<target>/release`: this bench runs from `<target>/release/deps`.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FERRY_BENCH_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("the bench runs from <target>/release/deps")
}

/// The status code of an API Gateway answer.
fn status_of(answer: &str) -> Option<u64> {
    serde_json::from_str::<Value>(answer).ok()?["statusCode"].as_u64()
}

fn median(values: &[Duration]) -> Duration {
    quantile(values, 0.5)
}

fn quantile(values: &[Duration], q: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(index).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

// --- The cloud the functions talk to --------------------------------------

struct Cloud {
    env: Vec<(String, String)>,
    api: String,
    shop: shopify::Handle,
    ledger: economic::Handle,
    wired: support::Wired,
    store: DynamoStore,
    root: PathBuf,
}

impl Cloud {
    async fn start(endpoint: &str) -> Self {
        let suffix = ulid::Ulid::new().to_string().to_lowercase();
        let name = format!("ferry-cold-{suffix}");
        let dynamo = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
                .endpoint_url(endpoint)
                .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                    "test", "test", None, None, "bench",
                ))
                .build(),
        );
        DynamoStore::create_table(&dynamo, &name)
            .await
            .expect("the table is created");
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::Config::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .region(aws_sdk_sqs::config::Region::new("us-east-1"))
                .endpoint_url(endpoint)
                .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                    "test", "test", None, None, "bench",
                ))
                .build(),
        );
        let queue_url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .expect("the queue is created")
            .queue_url
            .unwrap_or_default();
        let seal_key = ferry::seal::Sealer::generate_key();
        let jwt_key = format!("bench-jwt-key-{suffix}-{suffix}");
        let operator = format!("bench-operator-{suffix}");
        let env: Vec<(String, String)> = [
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("FERRY_TABLE", &name),
            ("FERRY_QUEUE_URL", &queue_url),
            ("FERRY_SEAL_KEY", &seal_key),
            ("FERRY_JWT_KEY", &jwt_key),
            ("FERRY_OPERATOR_TOKEN", &operator),
            ("FERRY_MAIL_FROM", "alerts@ferry.example"),
            ("FERRY_PUBLIC_URL", "https://ferry.example"),
            ("RUST_LOG", "info"),
            ("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();

        // The same services as the functions build, in this process, for
        // the wiring through the API.
        let store = DynamoStore::new(dynamo, &name);
        let ferry = ferry::Ferry {
            store: Arc::new(store.clone()),
            queue: Arc::new(ferry::queue::sqs::SqsQueue::new(sqs, queue_url)),
            mailer: Arc::new(ferry::mail::outbox::OutboxMailer::new(
                std::env::temp_dir().join(format!("ferry-cold-outbox-{suffix}")),
            )),
            clock: Arc::new(ferry::clock::SystemClock),
            sealer: ferry::seal::Sealer::from_base64(&seal_key).expect("a seal key"),
            connectors: std::sync::Arc::new(ferry::connectors::Connectors::new(
                ferry::connectors::http::HttpClient::default(),
            )),
            limits: ferry::Limits::default(),
            public_url: "https://ferry.example".into(),
            webhook_base: None,
            jwt_key: Arc::new(jwt_key.into_bytes()),
            operator_token: Some(Arc::new(operator.clone())),
            mail_from: "alerts@ferry.example".into(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let api = format!("http://{}/api/v1", listener.local_addr().expect("address"));
        let router = ferry::api::router(ferry);
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let shop = shopify::spawn(shopify::Config::default())
            .await
            .expect("sandbox shop");
        let ledger = economic::spawn(economic::Settings::default())
            .await
            .expect("sandbox ledger");
        // e-conomic at its highest pace, so that the batch measures Ferry.
        let wired = support::wire(
            &api,
            &operator,
            &shop,
            support::Ledger::Economic(&ledger, 100),
        )
        .await;
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root")
            .to_path_buf();
        Self {
            env,
            api,
            shop,
            ledger,
            wired,
            store,
            root,
        }
    }

    fn fixture(&self, name: &str) -> Value {
        let path = self.root.join("tests/lambda").join(name);
        let text = std::fs::read_to_string(&path).expect("the fixture exists");
        serde_json::from_str(&text).expect("the fixture is JSON")
    }

    fn cold_event(&self, function: &str) -> Value {
        match function {
            "webhook-intake" => self.webhook_events(1).remove(0),
            "dashboard-api" => self.api_event("GET", "/api/v1/transfers", "limit=50"),
            "transfer-worker" => self.fixture("sqs-event.json"),
            "scheduler" | "reminders" => self.fixture("eventbridge-scheduled-event.json"),
            _ => json!({}),
        }
    }

    fn webhook_events(&self, count: usize) -> Vec<Value> {
        support::paid_order_webhooks(&self.shop, count)
            .into_iter()
            .map(|hook| http_event("POST", &self.wired.webhook_path, "", &hook))
            .collect()
    }

    fn api_event(&self, method: &str, path: &str, query: &str) -> Value {
        let hook = Webhook {
            headers: vec![(
                "authorization".into(),
                format!("Bearer {}", self.wired.token),
            )],
            body: Vec::new(),
        };
        http_event(method, path, query, &hook)
    }

    /// An SQS event with up to `count` of the tenant's pending transfers.
    async fn sqs_batch(&self, count: usize) -> Value {
        let tenant = ferry::model::TenantId::parse(&self.wired.tenant).expect("the tenant id");
        let query = TransferQuery {
            status: Some(ferry::model::TransferStatus::Pending),
            limit: count,
            ..Default::default()
        };
        let page = self
            .store
            .list_transfers(&tenant, &query)
            .await
            .expect("the pending transfers");
        let records: Vec<Value> = page
            .items
            .iter()
            .enumerate()
            .map(|(i, transfer)| {
                let body = json!({"tenant": tenant, "transfer": transfer.id}).to_string();
                json!({
                    "messageId": format!("bench-{i}"),
                    "receiptHandle": format!("bench-{i}"),
                    "body": body,
                    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795000000000",
                                   "SenderId": "bench", "ApproximateFirstReceiveTimestamp": "1795000000000"},
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench",
                    "awsRegion": "us-east-1",
                })
            })
            .collect();
        let _ = &self.api;
        json!({ "Records": records })
    }
}

/// An API Gateway HTTP API (payload 2.0) event, as the function receives it.
fn http_event(method: &str, path: &str, query: &str, request: &Webhook) -> Value {
    let headers: serde_json::Map<String, Value> = request
        .headers
        .iter()
        .map(|(k, v)| (k.to_lowercase(), Value::String(v.clone())))
        .collect();
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "bench",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "bench"},
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "time": "23/Nov/2026:16:00:00 +0000",
            "timeEpoch": 1795000000000u64,
        },
        "body": base64::engine::general_purpose::STANDARD.encode(&request.body),
        "isBase64Encoded": true,
    })
}

// --- The Lambda Runtime API emulator -------------------------------------

struct Answer {
    /// From spawning the process.
    at: Duration,
    ok: bool,
    body: String,
}

struct Run {
    /// Spawn → the first `GET …/invocation/next`.
    init: Duration,
    answers: Vec<Answer>,
    /// The first event handed out → the last answer.
    handling: Duration,
    peak_kb: u64,
    log_bytes: u64,
}

struct Runtime {
    events: Mutex<VecDeque<(String, Vec<u8>)>>,
    handed: Mutex<Vec<Instant>>,
    answers: mpsc::UnboundedSender<(Instant, bool, String)>,
    closed: watch::Receiver<bool>,
}

/// Serves the Runtime API for one process with `events`; spawns the binary
/// and waits for every answer; reads its peak memory; stops it.
async fn run_process(binary: &Path, env: &[(String, String)], events: Vec<Value>) -> Run {
    let count = events.len();
    let (answers_tx, mut answers_rx) = mpsc::unbounded_channel();
    let (close, closed) = watch::channel(false);
    let runtime = Arc::new(Runtime {
        events: Mutex::new(
            events
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    (
                        format!("request-{i}"),
                        serde_json::to_vec(e).unwrap_or_default(),
                    )
                })
                .collect(),
        ),
        handed: Mutex::default(),
        answers: answers_tx,
        closed,
    });
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(runtime.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("address");
    let mut stop = close.subscribe();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|c| *c).await;
            })
            .await;
    });

    let started = Instant::now();
    let mut child: Child = Command::new(binary)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env(
            "AWS_LAMBDA_FUNCTION_NAME",
            binary.file_name().unwrap_or_default(),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the function starts");
    let log_bytes = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for pipe in [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let counter = log_bytes.clone();
        readers.push(std::thread::spawn(move || count_bytes(pipe, &counter)));
    }

    let mut answers = Vec::with_capacity(count);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while answers.len() < count {
        match tokio::time::timeout_at(deadline, answers_rx.recv()).await {
            Ok(Some((at, ok, body))) => answers.push(Answer {
                at: at.duration_since(started),
                ok,
                body,
            }),
            _ => {
                let _ = child.kill();
                panic!(
                    "{} answered {} of {count} events in {PATIENCE:?} (exit: {:?})",
                    binary.display(),
                    answers.len(),
                    child.try_wait()
                );
            }
        }
    }
    let peak_kb = peak_memory_kb(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let _ = close.send(true);
    let _ = server.await;
    for reader in readers {
        let _ = reader.join();
    }
    let handed = runtime.handed.lock().map(|h| h.clone()).unwrap_or_default();
    let first_handed = handed.first().copied().unwrap_or(started);
    let last = answers.last().map(|a| a.at).unwrap_or_default();
    Run {
        init: first_handed.duration_since(started),
        handling: last.saturating_sub(first_handed.duration_since(started)),
        answers,
        peak_kb,
        log_bytes: log_bytes.load(Ordering::Relaxed),
    }
}

fn count_bytes(mut pipe: Box<dyn Read + Send>, counter: &AtomicU64) {
    let mut buffer = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buffer) {
        if n == 0 {
            break;
        }
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// `VmHWM` (the resident set's high-water mark) in KiB.
fn peak_memory_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn next(State(runtime): State<Arc<Runtime>>) -> Response {
    let event = runtime.events.lock().ok().and_then(|mut e| e.pop_front());
    let Some((id, body)) = event else {
        // No more events: hold the request until the process is stopped.
        let mut closed = runtime.closed.clone();
        let _ = closed.wait_for(|c| *c).await;
        return StatusCode::GONE.into_response();
    };
    if let Ok(mut handed) = runtime.handed.lock() {
        handed.push(Instant::now());
    }
    let deadline = chrono::Utc::now().timestamp_millis() + 600_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("lambda-runtime-aws-request-id", id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:bench".into(),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".into(),
    );
    set("content-type", "application/json".into());
    (headers, body).into_response()
}

async fn response(
    State(runtime): State<Arc<Runtime>>,
    UrlPath(_id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let _ = runtime.answers.send((
        Instant::now(),
        true,
        String::from_utf8_lossy(&body).into_owned(),
    ));
    StatusCode::ACCEPTED
}

async fn error(
    State(runtime): State<Arc<Runtime>>,
    UrlPath(_id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let _ = runtime.answers.send((
        Instant::now(),
        false,
        String::from_utf8_lossy(&body).into_owned(),
    ));
    StatusCode::ACCEPTED
}

async fn init_error(State(runtime): State<Arc<Runtime>>, body: Bytes) -> StatusCode {
    let _ = runtime.answers.send((
        Instant::now(),
        false,
        format!("init error: {}", String::from_utf8_lossy(&body)),
    ));
    StatusCode::ACCEPTED
}
