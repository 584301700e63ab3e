//! Webhook intake and end-to-end latency on ferry-local (embedded store).
//!
//! ```sh
//! cargo bench -p ferry-local --bench intake
//! ```
//!
//! 1. Intake: signed Shopify webhooks of distinct orders sent by a load
//!    generator with 16 connections to `POST /webhooks/{id}`; the workers
//!    pick each one up in the same process (the orders are in a state the
//!    connection does not transfer, so the worker decides and records
//!    "skipped" without calling the ledger); p50 / p99 latency and requests
//!    per second. Next to it, in the same run and with the same load, a bare
//!    axum handler that only answers 200: the limit of the machine and the
//!    HTTP stack.
//! 2. Open loop: webhooks arriving at a fixed rate (250 and 1,000 a second)
//!    whatever the answers, latency counted from each one's planned send
//!    time: what a shop feels at a given order rate, below saturation.
//! 3. End to end: paid orders one at a time, a second apart (a busy shop),
//!    from sending the signed webhook to the draft invoice existing in the
//!    sandbox e-conomic; p50 / p99. A delivery looks the webshop number up
//!    (drafts, booked), finds or makes the customer and products (remembered
//!    per agreement for ten minutes) and posts the invoice, paced as the
//!    connector paces e-conomic calls.

use axum::routing::post;
use axum::Router;
use ferry_local::cli::StoreKind;
use ferry_local::demo;
use ferry_local::runtime::{self, Options};
use ferry_local::sandbox::webshop::Webhook;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const INTAKE_REQUESTS: usize = 4000;
const CONNECTIONS: usize = 16;
const END_TO_END_ORDERS: usize = 100;
/// Fixed arrival rates for the open-loop runs, and how long each lasts.
const OPEN_LOOP_RATES: [u32; 2] = [250, 1000];
const OPEN_LOOP_SECONDS: u32 = 4;
const END_TO_END_EVERY: Duration = Duration::from_secs(1);

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; a test runner listing or running every
    // target (cargo test --all-targets, nextest) does not: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let data_dir = std::env::temp_dir().join(format!("ferry-bench-{}", std::process::id()));
    let running = runtime::start(Options::new(
        "127.0.0.1:0".parse().expect("address"),
        data_dir.clone(),
        StoreKind::Embedded,
    ))
    .await
    .expect("ferry-local starts");
    let demo = demo::start(&running).await.expect("demo wiring");

    // Distinct paid orders, signed as Shopify signs them.
    let webhooks: Vec<Webhook> = (0..INTAKE_REQUESTS)
        .map(|_| {
            let id = demo.shop.add_order();
            demo.shop.set_financial_status(id, "pending");
            demo.shop.webhook(id, "orders/create")
        })
        .collect();
    let ferry = load(&demo.webhook_url, Arc::new(webhooks)).await;
    wait_until(|| nothing_pending(&running), 120).await;

    // Open loop: webhooks arrive at a fixed rate whatever the answers, as
    // shops send them; latency counts from the planned send time.
    let mut open_loop = Vec::new();
    for rate in OPEN_LOOP_RATES {
        let hooks: Vec<Webhook> = (0..rate * OPEN_LOOP_SECONDS)
            .map(|_| {
                let id = demo.shop.add_order();
                demo.shop.set_financial_status(id, "pending");
                demo.shop.webhook(id, "orders/create")
            })
            .collect();
        open_loop.push((rate, paced(&demo.webhook_url, hooks, rate).await));
        wait_until(|| nothing_pending(&running), 120).await;
    }

    let bare = bare_server().await;
    let bare_hooks: Vec<Webhook> = (0..INTAKE_REQUESTS)
        .map(|i| Webhook {
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: format!("{{\"n\":{i}}}").into_bytes(),
        })
        .collect();
    let limit = load(&format!("{bare}/webhooks/con_bare"), Arc::new(bare_hooks)).await;

    let end_to_end = end_to_end(&demo).await;

    println!("| measure | p50 | p99 | requests/s |");
    println!("| --- | --- | --- | --- |");
    println!("| webhook intake, ferry-local embedded ({INTAKE_REQUESTS} distinct orders, {CONNECTIONS} connections) | {} | {} | {:.0} |", ms(ferry.p50), ms(ferry.p99), ferry.rate);
    println!(
        "| bare axum handler answering 200 (same load) | {} | {} | {:.0} |",
        ms(limit.p50),
        ms(limit.p99),
        limit.rate
    );
    for (rate, figures) in &open_loop {
        println!(
            "| webhook intake, ferry-local embedded, open loop at {rate} requests/s ({} s) | {} | {} | {:.0} |",
            OPEN_LOOP_SECONDS,
            ms(figures.p50),
            ms(figures.p99),
            figures.rate
        );
    }
    println!("| end to end: webhook sent → draft invoice in sandbox e-conomic ({END_TO_END_ORDERS} orders, one a second) | {} | {} | – |", ms(end_to_end.p50), ms(end_to_end.p99));
    println!(
        "intake throughput is {:.0} % of the bare handler's",
        100.0 * ferry.rate / limit.rate
    );
    running.stop().await;
    let _ = std::fs::remove_dir_all(data_dir);
}

struct Figures {
    p50: Duration,
    p99: Duration,
    rate: f64,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn figures(mut latencies: Vec<Duration>, elapsed: Duration) -> Figures {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    Figures {
        p50: at(0.50),
        p99: at(0.99),
        rate: latencies.len() as f64 / elapsed.as_secs_f64(),
    }
}

async fn load(url: &str, webhooks: Arc<Vec<Webhook>>) -> Figures {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, next, webhooks, url) = (
            client.clone(),
            next.clone(),
            webhooks.clone(),
            url.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(webhook) = webhooks.get(i) else {
                    break;
                };
                let sent = Instant::now();
                let status = webhook.deliver(&client, &url).await.expect("answer");
                assert!(status.is_success(), "{status}");
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("load task"));
    }
    figures(all, started.elapsed())
}

/// Sends webhook `i` at `i / rate` seconds from the start, each on its own
/// task (no waiting for earlier answers), and measures each from its planned
/// time, so a slow answer cannot hide the ones queued behind it.
async fn paced(url: &str, webhooks: Vec<Webhook>, rate: u32) -> Figures {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(webhooks.len());
    for (i, webhook) in webhooks.into_iter().enumerate() {
        let planned = started + Duration::from_secs_f64(i as f64 / f64::from(rate));
        tokio::time::sleep_until(planned).await;
        let (client, url) = (client.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let status = webhook.deliver(&client, &url).await.expect("answer");
            assert!(status.is_success(), "{status}");
            planned.elapsed()
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    for task in tasks {
        latencies.push(task.await.expect("paced task"));
    }
    figures(latencies, started.elapsed())
}

async fn bare_server() -> String {
    let app = Router::new().route("/webhooks/{id}", post(|| async { "{}" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn end_to_end(demo: &demo::Demo) -> Figures {
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    let started = Instant::now();
    for _ in 0..END_TO_END_ORDERS {
        let id = demo.shop.add_order();
        demo.shop.set_financial_status(id, "paid");
        let webhook = demo.shop.webhook(id, "orders/create");
        let before = demo.ledger.draft_invoices().len();
        let sent = Instant::now();
        webhook
            .deliver(&client, &demo.webhook_url)
            .await
            .expect("answer");
        loop {
            if demo.ledger.draft_invoices().len() > before {
                break;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "the order never arrived"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        latencies.push(sent.elapsed());
        tokio::time::sleep(END_TO_END_EVERY.saturating_sub(sent.elapsed())).await;
    }
    figures(latencies, started.elapsed())
}

async fn wait_until<F, Fut>(done: F, seconds: u64)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done().await && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether no transfer is pending any more.
async fn nothing_pending(running: &runtime::Running) -> bool {
    let ferry = &running.ferry;
    let Ok(tenants) = ferry.store.list_tenants().await else {
        return false;
    };
    for tenant in tenants {
        let query = ferry::store::TransferQuery {
            status: Some(ferry::model::TransferStatus::Pending),
            limit: 1,
            ..Default::default()
        };
        match ferry.store.list_transfers(&tenant.id, &query).await {
            Ok(page) if page.items.is_empty() => {}
            _ => return false,
        }
    }
    true
}
