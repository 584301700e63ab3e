//! Transfer-worker throughput in one process on one core (issue 9, item 4).
//!
//! ```sh
//! CARGO_TARGET_DIR=target/bench cargo bench -p ferry-local --bench worker_throughput
//! ```
//!
//! The worker is the transfer-worker function's own code,
//! `ferry::lambda::handle_sqs_batch`, fed SQS events of 10 records (the
//! template's `BatchSize`) one after another, on a tokio current-thread
//! runtime on the main thread: one core. The store is the embedded one
//! (its writer thread is its own); the sandboxes and the webhook intake
//! that makes the pending transfers run on a second runtime thread.
//!
//! 1. Unthrottled: e-conomic sandboxes answering without delay, each at
//!    Ferry's highest pace (`calls_per_second` 100, per agreement): `TENANTS`
//!    tenants, each with its own agreement, so that the pace of one agreement
//!    does not hide the worker's speed. Orders per second of wall time and
//!    per second of the worker thread's CPU time, after a warm-up order per
//!    tenant (customers and products remembered, connections open).
//! 2. Throttled: one tenant on the Fortnox sandbox, which refuses the 26th
//!    request in any 5 seconds per token with 429 (Fortnox's rule), with
//!    enough orders to keep it busy for about half a minute. The share of
//!    the allowance used (requests the sandbox accepted ÷ the most the rule
//!    allows in the run's time), the 429s, and the transfers not delivered
//!    at the first try.

mod support;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use ferry::model::TransferStatus;
use ferry::queue::memory::MemoryReceiver;
use ferry::queue::TransferMessage;
use ferry::Ferry;
use ferry_local::cli::StoreKind;
use ferry_local::runtime::{self, Options};
use ferry_local::sandbox::{economic, fortnox, shopify};
use std::time::{Duration, Instant};

const TENANTS: usize = 20;
const ORDERS_PER_TENANT: usize = 100;
const BATCH: usize = 10;
/// Fortnox orders: about 3 requests each, at 5 a second.
const THROTTLED_ORDERS: usize = 50;

fn main() {
    if !support::benching() {
        return;
    }
    let world = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("the sandboxes' runtime");
    let worker = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the worker's runtime");
    unthrottled(&world, &worker);
    throttled(&world, &worker);
}

struct Setup {
    ferry: Ferry,
    receiver: MemoryReceiver,
    api: String,
    operator: String,
    data_dir: std::path::PathBuf,
}

fn setup(world: &tokio::runtime::Runtime, name: &str) -> Setup {
    let data_dir = std::env::temp_dir().join(format!("ferry-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    world.block_on(async {
        let options = Options::new(
            "127.0.0.1:0".parse().expect("address"),
            data_dir.clone(),
            StoreKind::Embedded,
        );
        let (ferry, receiver, operator) = runtime::build(&options).await.expect("ferry builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let api = format!("http://{}", listener.local_addr().expect("address"));
        let router = ferry_local::web::router(ferry.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Setup {
            ferry,
            receiver,
            api,
            operator,
            data_dir,
        }
    })
}

/// Sends the webhooks (16 at a time) and waits until each is answered 200.
async fn send_all(url_base: &str, hooks: Vec<(String, ferry_local::sandbox::webshop::Webhook)>) {
    use futures::StreamExt;
    let client = reqwest::Client::new();
    futures::stream::iter(hooks)
        .for_each_concurrent(16, |(path, hook)| {
            let client = client.clone();
            let url = format!("{url_base}{path}");
            async move {
                let status = hook.deliver(&client, &url).await.expect("an answer");
                assert!(status.is_success(), "webhook refused: {status}");
            }
        })
        .await;
}

/// Takes `count` messages from the in-process queue.
async fn take(receiver: &mut MemoryReceiver, count: usize) -> Vec<TransferMessage> {
    let mut messages = Vec::with_capacity(count);
    while messages.len() < count {
        match tokio::time::timeout(Duration::from_secs(30), receiver.recv()).await {
            Ok(Some(message)) => messages.push(message),
            _ => panic!("only {} of {count} messages were queued", messages.len()),
        }
    }
    messages
}

fn sqs_event(messages: &[TransferMessage]) -> SqsEvent {
    let mut event = SqsEvent::default();
    for (i, message) in messages.iter().enumerate() {
        let mut record = SqsMessage::default();
        record.message_id = Some(format!("m{i}"));
        record.body = serde_json::to_string(message).ok();
        event.records.push(record);
    }
    event
}

/// Hands the messages to the worker in SQS batches; the records SQS would
/// be asked to deliver again.
async fn work(ferry: &Ferry, messages: &[TransferMessage]) -> usize {
    let mut failed = 0;
    for batch in messages.chunks(BATCH) {
        let response = ferry::lambda::handle_sqs_batch(ferry, sqs_event(batch)).await;
        failed += response.batch_item_failures.len();
    }
    failed
}

/// CPU time (user + system) of the calling thread.
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are
    // the 14th and 15th fields of the line, in clock ticks (100 a second).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

async fn count_status(ferry: &Ferry, status: TransferStatus) -> usize {
    let mut count = 0;
    for tenant in ferry.store.list_tenants().await.unwrap_or_default() {
        let query = ferry::store::TransferQuery {
            status: Some(status),
            limit: 500,
            ..Default::default()
        };
        let mut query = query;
        loop {
            let Ok(page) = ferry.store.list_transfers(&tenant.id, &query).await else {
                break;
            };
            count += page.items.len();
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
    }
    count
}

fn unthrottled(world: &tokio::runtime::Runtime, worker: &tokio::runtime::Runtime) {
    let mut setup = setup(world, "worker-fast");
    let (shop, ledgers, paths) = world.block_on(async {
        let shop = shopify::spawn(shopify::Config::default())
            .await
            .expect("sandbox shop");
        let mut ledgers = Vec::new();
        let mut paths = Vec::new();
        for i in 0..TENANTS {
            let ledger = economic::spawn(economic::Settings {
                agreement_grant_token: format!("bench-agreement-{i}"),
                ..Default::default()
            })
            .await
            .expect("sandbox ledger");
            let wired = support::wire(
                &format!("{}/api/v1", setup.api),
                &setup.operator,
                &shop,
                support::Ledger::Economic(&ledger, 100),
            )
            .await;
            paths.push(wired.webhook_path);
            ledgers.push(ledger);
        }
        (shop, ledgers, paths)
    });
    let hooks = |per_tenant: usize| {
        let mut hooks = Vec::new();
        for _ in 0..per_tenant {
            for path in &paths {
                let hook = support::paid_order_webhooks(&shop, 1).remove(0);
                hooks.push((path.clone(), hook));
            }
        }
        hooks
    };
    // Warm-up: one order per tenant.
    world.block_on(send_all(&setup.api, hooks(1)));
    let warm = worker.block_on(take(&mut setup.receiver, TENANTS));
    worker.block_on(work(&setup.ferry, &warm));

    let orders = TENANTS * ORDERS_PER_TENANT;
    world.block_on(send_all(&setup.api, hooks(ORDERS_PER_TENANT)));
    let messages = worker.block_on(take(&mut setup.receiver, orders));
    let calls_before: u64 = ledgers.iter().map(economic::Handle::requests).sum();
    let cpu_before = thread_cpu();
    let started = Instant::now();
    let failed = worker.block_on(work(&setup.ferry, &messages));
    let elapsed = started.elapsed();
    let cpu = thread_cpu().saturating_sub(cpu_before);
    let calls: u64 = ledgers.iter().map(economic::Handle::requests).sum::<u64>() - calls_before;
    let delivered = world.block_on(count_status(&setup.ferry, TransferStatus::Delivered));
    println!("\nUnthrottled: {orders} orders, {TENANTS} tenants × e-conomic sandbox (no delay, 100 calls/s per agreement)\n");
    println!("| orders | delivered (all, warm-up included) | ledger calls | wall time | orders/s | worker thread CPU | orders per CPU-second | records left for retry |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| {orders} | {delivered} | {calls} ({:.1} per order) | {:.2} s | {:.0} | {:.2} s | {:.0} | {failed} |",
        calls as f64 / orders as f64,
        elapsed.as_secs_f64(),
        orders as f64 / elapsed.as_secs_f64(),
        cpu.as_secs_f64(),
        orders as f64 / cpu.as_secs_f64().max(0.001),
    );
    drop(ledgers);
    drop(shop);
    let _ = std::fs::remove_dir_all(&setup.data_dir);
}

fn throttled(world: &tokio::runtime::Runtime, worker: &tokio::runtime::Runtime) {
    let mut setup = setup(world, "worker-throttled");
    let (shop, ledger, path) = world.block_on(async {
        let shop = shopify::spawn(shopify::Config::default())
            .await
            .expect("sandbox shop");
        let ledger = fortnox::spawn(fortnox::Settings::default())
            .await
            .expect("sandbox Fortnox");
        let wired = support::wire(
            &format!("{}/api/v1", setup.api),
            &setup.operator,
            &shop,
            support::Ledger::Fortnox(&ledger),
        )
        .await;
        (shop, ledger, wired.webhook_path)
    });
    let hooks: Vec<_> = support::paid_order_webhooks(&shop, THROTTLED_ORDERS)
        .into_iter()
        .map(|hook| (path.clone(), hook))
        .collect();
    world.block_on(send_all(&setup.api, hooks));
    let messages = worker.block_on(take(&mut setup.receiver, THROTTLED_ORDERS));
    // The wiring's credential check used a few requests of the window: let it pass.
    std::thread::sleep(fortnox::WINDOW);
    let before = ledger.requests();
    let refused_before = ledger.too_many_requests();
    let started = Instant::now();
    let failed = worker.block_on(work(&setup.ferry, &messages));
    let elapsed = started.elapsed();
    let sent = ledger.requests() - before;
    let refused = ledger.too_many_requests() - refused_before;
    let accepted = sent - refused;
    let windows = (elapsed.as_secs_f64() / fortnox::WINDOW.as_secs_f64()).floor() as u64 + 1;
    let allowance = windows * fortnox::REQUESTS_PER_WINDOW as u64;
    let delivered = world.block_on(count_status(&setup.ferry, TransferStatus::Delivered));
    let requeued = worker.block_on(async {
        let mut requeued = 0;
        while let Ok(Some(_)) =
            tokio::time::timeout(Duration::from_millis(50), setup.receiver.recv()).await
        {
            requeued += 1;
        }
        requeued
    });
    println!("\nThrottled: {THROTTLED_ORDERS} orders to the Fortnox sandbox (25 requests in any 5 s per token)\n");
    println!("| orders | delivered | time | requests accepted | allowance in that time | share used | 429 answers | transfers put back to wait (429 or other) | records left for retry |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| {THROTTLED_ORDERS} | {delivered} | {:.2} s | {accepted} | {allowance} ({windows} windows of 5 s) | {:.1} % | {refused} | {requeued} | {failed} |",
        elapsed.as_secs_f64(),
        100.0 * accepted as f64 / allowance as f64,
    );
    drop(ledger);
    drop(shop);
    let _ = std::fs::remove_dir_all(&setup.data_dir);
}
