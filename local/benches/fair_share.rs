//! Fair share between tenants (issue 16, item 6): how long one tenant's
//! first order waits while another tenant has 10,000 orders queued.
//!
//! ```sh
//! CARGO_TARGET_DIR=target/bench cargo bench -p ferry-local --bench fair_share
//! ```
//!
//! ferry-local in process on the embedded store, a pool of `WORKERS`
//! workers delivering with `ferry::flows::process` as ferry-local's own
//! pool does. Tenant A (its own sandbox shop and e-conomic agreement, paced
//! at 100 calls a second, Ferry's highest) sends `BACKLOG` paid orders by
//! webhook; once every one is accepted, tenant B (its own shop and ledger)
//! sends one. Measured: B's order from its webhook to `delivered`, and how
//! many of A's orders were still waiting then.
//!
//! Two ways of taking messages off the in-process queue, run one after the
//! other on fresh stores:
//! - `turns` — the queue as shipped: a worker takes the next message when a
//!   slot is free, and the queue hands out tenants in turn;
//! - `one line` — the old behaviour, kept here only to compare: every
//!   message is taken off the queue as it arrives into one first-in,
//!   first-out line, which the workers then drain. B's order waits behind
//!   A's whole backlog; the bench stops waiting after `GIVE_UP`.

mod support;

use ferry::model::{TenantId, TransferStatus};
use ferry::queue::memory::MemoryReceiver;
use ferry::queue::TransferMessage;
use ferry::Ferry;
use ferry_local::cli::StoreKind;
use ferry_local::runtime::{self, Options};
use ferry_local::sandbox::{economic, shopify};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{Ledger, Wired};
use tokio::sync::{Notify, Semaphore};

const BACKLOG: usize = 10_000;
/// ferry-local's default worker count.
const WORKERS: usize = 8;
/// How long to wait for B's order before calling it held back.
const GIVE_UP: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Taking {
    Turns,
    OneLine,
}

fn main() {
    if !support::benching() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!("| queue | B's order: webhook → delivered | A's orders delivered by then | A's orders still waiting |");
    println!("|---|---|---|---|");
    for taking in [Taking::Turns, Taking::OneLine] {
        runtime.block_on(run(taking));
    }
}

async fn run(taking: Taking) {
    let data_dir =
        std::env::temp_dir().join(format!("ferry-fair-{:?}-{}", taking, std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let options = Options::new(
        "127.0.0.1:0".parse().expect("address"),
        data_dir.clone(),
        StoreKind::Embedded,
    );
    let (ferry, receiver, operator) = runtime::build(&options).await.expect("ferry builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let router = ferry_local::web::router(ferry.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let api = format!("{base}/api/v1");

    let (shop_a, ledger_a) = sandboxes("a").await;
    let (shop_b, ledger_b) = sandboxes("b").await;
    let a = support::wire(&api, &operator, &shop_a, Ledger::Economic(&ledger_a, 100)).await;
    let b = support::wire(&api, &operator, &shop_b, Ledger::Economic(&ledger_b, 100)).await;

    let pool = tokio::spawn(workers(ferry.clone(), receiver, taking));

    send_all(&base, &a, support::paid_order_webhooks(&shop_a, BACKLOG)).await;
    let b_hooks = support::paid_order_webhooks(&shop_b, 1);
    let started = Instant::now();
    send_all(&base, &b, b_hooks).await;
    let b_tenant = TenantId::parse(&b.tenant).expect("B's tenant id");
    let a_tenant = TenantId::parse(&a.tenant).expect("A's tenant id");
    let waited = loop {
        if count(&ferry, &b_tenant, TransferStatus::Delivered).await == 1 {
            break Some(started.elapsed());
        }
        if started.elapsed() >= GIVE_UP {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let a_delivered = count(&ferry, &a_tenant, TransferStatus::Delivered).await;
    let name = match taking {
        Taking::Turns => "turns (as shipped)",
        Taking::OneLine => "one line (old, for comparison)",
    };
    let waited = match waited {
        Some(w) => format!("{:.3} s", w.as_secs_f64()),
        None => format!("not delivered after {} s", GIVE_UP.as_secs()),
    };
    println!(
        "| {name} | {waited} | {a_delivered} | {} |",
        BACKLOG - a_delivered
    );
    pool.abort();
    let _ = std::fs::remove_dir_all(&data_dir);
}

async fn sandboxes(name: &str) -> (shopify::Handle, economic::Handle) {
    let shop = shopify::spawn(shopify::Config::default())
        .await
        .expect("sandbox shop");
    let ledger = economic::spawn(economic::Settings {
        agreement_grant_token: format!("fair-agreement-{name}"),
        ..Default::default()
    })
    .await
    .expect("sandbox ledger");
    (shop, ledger)
}

/// Sends the webhooks (16 at a time) and waits until each is answered 200.
async fn send_all(base: &str, to: &Wired, hooks: Vec<ferry_local::sandbox::webshop::Webhook>) {
    use futures::StreamExt;
    let client = reqwest::Client::new();
    let url = format!("{base}{}", to.webhook_path);
    futures::stream::iter(hooks)
        .for_each_concurrent(16, |hook| {
            let client = client.clone();
            let url = url.clone();
            async move {
                let status = hook.deliver(&client, &url).await.expect("an answer");
                assert!(status.is_success(), "webhook refused: {status}");
            }
        })
        .await;
}

/// `WORKERS` deliveries at a time, the messages taken as `taking` says.
async fn workers(ferry: Ferry, mut receiver: MemoryReceiver, taking: Taking) {
    let slots = Arc::new(Semaphore::new(WORKERS));
    match taking {
        Taking::Turns => loop {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let Some(message) = receiver.recv().await else {
                return;
            };
            deliver(&ferry, message, slot);
        },
        Taking::OneLine => {
            let line = Arc::new(Mutex::new(VecDeque::<TransferMessage>::new()));
            let arrived = Arc::new(Notify::new());
            let (filling, signal) = (line.clone(), arrived.clone());
            tokio::spawn(async move {
                while let Some(message) = receiver.recv().await {
                    filling.lock().expect("the line").push_back(message);
                    signal.notify_one();
                }
            });
            loop {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let message = loop {
                    let next = line.lock().expect("the line").pop_front();
                    match next {
                        Some(message) => break message,
                        None => arrived.notified().await,
                    }
                };
                deliver(&ferry, message, slot);
            }
        }
    }
}

fn deliver(ferry: &Ferry, message: TransferMessage, slot: tokio::sync::OwnedSemaphorePermit) {
    let ferry = ferry.clone();
    tokio::spawn(async move {
        if let Err(e) = ferry::flows::process(&ferry, &message).await {
            eprintln!("will try again: {e}");
            let _ = ferry.queue.enqueue(&message, Duration::from_secs(1)).await;
        }
        drop(slot);
    });
}

async fn count(ferry: &Ferry, tenant: &TenantId, status: TransferStatus) -> usize {
    let mut query = ferry::store::TransferQuery {
        status: Some(status),
        limit: 500,
        ..Default::default()
    };
    let mut count = 0;
    loop {
        let Ok(page) = ferry.store.list_transfers(tenant, &query).await else {
            return count;
        };
        count += page.items.len();
        match page.next {
            Some(cursor) => query.cursor = Some(cursor),
            None => return count,
        }
    }
}
