//! The dashboard API over 1,000,000 transfers of one tenant (embedded
//! store): the transfers search and the overview, p50 / p99 latency.
//!
//! ```sh
//! cargo bench -p ferry-local --bench dashboard
//! ```
//!
//! The transfers are imported straight into the store (10 connections,
//! 60 days, 70 % delivered, 20 % skipped, 8 % failed, 2 % pending; no
//! payloads: lists leave them out). Each request goes through the whole
//! API router in process (token check, query parsing, store, JSON), one at
//! a time, 500 of each kind with random numbers; the first 20 warm up and
//! are not counted. Next to each search, the number of index entries the
//! store read for one such page shows that no query scans the transfers.

use axum::body::Body;
use axum::http::Request;
use chrono::{Duration as Days, Utc};
use ferry::clock::SystemClock;
use ferry::connectors::http::HttpClient;
use ferry::connectors::Connectors;
use ferry::mail::outbox::OutboxMailer;
use ferry::model::{ConnectionId, Entity, Transfer, TransferId, TransferStatus};
use ferry::queue::memory::MemoryQueue;
use ferry::seal::Sealer;
use ferry::store::embedded::EmbeddedStore;
use ferry::store::TransferQuery;
use ferry::{Ferry, Limits};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const TRANSFERS: u64 = 1_000_000;
const CONNECTIONS: u64 = 10;
const BATCH: u64 = 20_000;
const SAMPLES: usize = 500;
const WARM_UP: usize = 20;

#[tokio::main]
async fn main() {
    // Only under `cargo bench` (test runners list benches without --bench).
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ferry-bench-dashboard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let store = EmbeddedStore::open(&dir.join("ferry.redb")).expect("the store opens");
    let (queue, _receiver) = MemoryQueue::new();
    let ferry = Ferry {
        store: Arc::new(store.clone()),
        queue: Arc::new(queue),
        mailer: Arc::new(OutboxMailer::new(dir.join("outbox"))),
        clock: Arc::new(SystemClock),
        sealer: Sealer::from_bytes(&[9; 32]).expect("a key"),
        connectors: Arc::new(Connectors::new(HttpClient::default())),
        limits: Limits::default(),
        public_url: "http://127.0.0.1:8080".into(),
        webhook_base: None,
        jwt_key: Arc::new(vec![3; 32]),
        operator_token: None,
        mail_from: "bench@ferry.example".into(),
    };
    let created = ferry::api::tenants::create_tenant(&ferry, "Bench ApS", "bench@ferry.example")
        .await
        .expect("a tenant");
    let tenant = ferry::model::TenantId::parse(&created.id).expect("an id");
    let connections: Vec<ConnectionId> =
        (0..CONNECTIONS).map(|_| ConnectionId::generate()).collect();

    let started = Instant::now();
    let now = Utc::now();
    let mut n = 0;
    while n < TRANSFERS {
        let batch: Vec<Transfer> = (n..(n + BATCH).min(TRANSFERS))
            .map(|i| transfer(&tenant, &connections, i, now))
            .collect();
        n += batch.len() as u64;
        store.import_transfers(batch).await.expect("import");
    }
    println!(
        "imported {TRANSFERS} transfers in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let router = ferry::api::api_router(ferry.clone());
    let token = created.token;
    let connection = connections[3].clone();
    let from = (now - Days::days(20)).format("%Y-%m-%d").to_string();
    let to = (now - Days::days(10)).format("%Y-%m-%d").to_string();
    type Query = (&'static str, Box<dyn FnMut() -> String>);
    let mut r1 = numbers(1);
    let mut r2 = numbers(2);
    let mut random = numbers(3);
    let c1 = connection.clone();
    let (from2, to2) = (from.clone(), to.clone());
    let queries: Vec<Query> = vec![
        (
            "search by webshop number (q=%23<n>)",
            Box::new(move || format!("/api/v1/transfers?q=%23{}", 100_000 + r1())),
        ),
        (
            "search by target number (q=INV-<n>)",
            Box::new(move || {
                // Delivered ones have a target number: i % 100 < 70.
                let i = r2() / 100 * 100 + 7;
                format!("/api/v1/transfers?q=INV-{}", 100_000 + i)
            }),
        ),
        (
            "status=failed, newest 50",
            Box::new(|| "/api/v1/transfers?status=failed".to_owned()),
        ),
        (
            "connection + status=delivered + 10-day range",
            Box::new(move || {
                format!("/api/v1/transfers?connection={c1}&status=delivered&from={from2}&to={to2}")
            }),
        ),
        (
            "whole log, newest 50",
            Box::new(|| "/api/v1/transfers".to_owned()),
        ),
        (
            "overview (31 days + 12 months)",
            Box::new(|| "/api/v1/overview".to_owned()),
        ),
        (
            "board (20 per status)",
            Box::new(|| "/api/v1/board".to_owned()),
        ),
    ];
    println!();
    println!("| request | p50 | p99 | max |");
    println!("|---|---|---|---|");
    for (name, mut path) in queries {
        let mut took = Vec::with_capacity(SAMPLES);
        for i in 0..SAMPLES + WARM_UP {
            let request = Request::get(path())
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .expect("a request");
            let start = Instant::now();
            let response = router.clone().oneshot(request).await.expect("an answer");
            let status = response.status();
            let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
            assert!(status.is_success(), "{name}: {status}");
            if i >= WARM_UP {
                took.push(start.elapsed());
            }
        }
        took.sort();
        println!(
            "| {name} | {} | {} | {} |",
            ms(took[took.len() / 2]),
            ms(took[took.len() * 99 / 100]),
            ms(took[took.len() - 1])
        );
    }

    // Index entries read for one page of each search: bounded by the page,
    // not by the million transfers.
    println!();
    println!("| search | index entries read for one page |");
    println!("|---|---|");
    let counted = [
        (
            "q=#<n>",
            TransferQuery {
                reference: Some(format!("#{}", 100_000 + random())),
                ..TransferQuery::default()
            },
        ),
        (
            "status=failed",
            TransferQuery {
                status: Some(TransferStatus::Failed),
                ..TransferQuery::default()
            },
        ),
        (
            "connection + status + range",
            TransferQuery {
                status: Some(TransferStatus::Delivered),
                connection: Some(connection.clone()),
                from: Some(now - Days::days(20)),
                to: Some(now - Days::days(10)),
                ..TransferQuery::default()
            },
        ),
    ];
    for (name, query) in counted {
        let (_, read) = store
            .list_transfers_counted(&tenant, &query)
            .await
            .expect("a page");
        println!("| {name} | {read} |");
    }
    drop(router);
    drop(ferry);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Transfer numbers in 0..TRANSFERS, a fixed pseudo-random sequence
/// (xorshift) per seed.
fn numbers(seed: u64) -> impl FnMut() -> u64 {
    let mut state = 0x2545_f491_4f6c_dd1d ^ seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % TRANSFERS
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn transfer(
    tenant: &ferry::model::TenantId,
    connections: &[ConnectionId],
    i: u64,
    now: chrono::DateTime<Utc>,
) -> Transfer {
    let connection = connections[(i % CONNECTIONS) as usize].clone();
    let number = 100_000 + i;
    let status = match i % 100 {
        0..70 => TransferStatus::Delivered,
        70..90 => TransferStatus::Skipped,
        90..98 => TransferStatus::Failed,
        _ => TransferStatus::Pending,
    };
    // Spread over 60 days, oldest first.
    let at = now - Days::seconds(((TRANSFERS - i) * 60 * 86_400 / TRANSFERS) as i64);
    Transfer {
        id: TransferId::for_record(&connection, &number.to_string()),
        tenant: tenant.clone(),
        connection,
        entity: Entity::Orders,
        source_id: number.to_string(),
        source_ref: format!("#{number}"),
        target_ref: (status == TransferStatus::Delivered).then(|| format!("INV-{number}")),
        status,
        reason: match status {
            TransferStatus::Skipped => {
                Some("order state 'pending' is not allowed for transfer".into())
            }
            TransferStatus::Failed => {
                Some("e-conomic refused the invoice: product 'X' is missing".into())
            }
            _ => None,
        },
        attempts: 1,
        source_updated_at: Some(at),
        lease_until: None,
        received_at: at,
        updated_at: at,
        source_payload: None,
        target_payload: None,
        version: 1,
        kind: None,
    }
}
