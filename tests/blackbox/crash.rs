//! Crash: the real `ferry-local` binary (built by scripts/test.sh before the
//! tests) is killed with SIGKILL at random points while 500 orders flow
//! through it, and started again on the same data folder, five times. The
//! sandbox shop and ledger live in this test process, so the ledger's
//! documents outlive every kill. The result must be the same exactly once
//! as without the kills: one delivered transfer and one document per order.

use crate::chaos::{
    all_transfers, assert_exactly_once, call, deliver_until_accepted, seed, shuffled_deliveries,
    wire_shop_to_ledger,
};
use crate::orders::temp_dir;
use crate::startup::function_binary;
use ferry_local::sandbox::{economic, shopify};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ORDERS: usize = 500;
const KILLS: usize = 5;

/// One run of the ferry-local binary on a data folder.
struct Process {
    child: Child,
    base: String,
}

impl Process {
    async fn start(data_dir: &Path, port: u16, operator: &str, run: usize) -> Process {
        let log = std::fs::File::create(data_dir.with_extension(format!("run{run}.log")))
            .expect("a log file");
        let child = Command::new(function_binary("ferry-local"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .env("FERRY_OPERATOR_TOKEN", operator)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("ferry-local starts");
        let mut process = Process {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        process.wait_until_up().await;
        process
    }

    async fn wait_until_up(&mut self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let url = format!("{}/api/v1/openapi.json", self.base);
            if let Ok(answer) = http.get(url).send().await {
                if answer.status().is_success() {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("ferry-local exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "ferry-local never answered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no clean-up of any kind.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL is sent");
        self.child.wait().expect("ferry-local is gone");
    }

    /// SIGTERM, and the exit it promises.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "SIGTERM is sent");
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().ok().flatten().is_none() {
            assert!(
                Instant::now() < deadline,
                "ferry-local did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

#[tokio::test]
async fn ferry_local_killed_five_times_mid_run_delivers_500_orders_exactly_once() {
    let seed = seed();
    println!("crash seed: {seed} (FERRY_CHAOS_SEED={seed} repeats the kill points)");
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let data_dir: PathBuf = temp_dir("crash");
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let operator = format!("op-{}", ulid::Ulid::new());
    let http = reqwest::Client::new();

    let shop = shopify::spawn(shopify::Config {
        seed: Some(seed),
        ..shopify::Config::default()
    })
    .await
    .unwrap();
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .unwrap();

    let mut process = Process::start(&data_dir, port, &operator, 0).await;
    let base = process.base.clone();
    let tenant = call(
        &http,
        &base,
        &operator,
        "POST",
        "/tenants",
        Some(json!({"name": "Crash ApS", "email": "owner@crash.example"})),
    )
    .await;
    let token = tenant["token"].as_str().unwrap().to_owned();
    let connection = wire_shop_to_ledger(&http, &base, &token, &shop, &ledger).await;
    let url = connection["webhook_url"].as_str().unwrap().to_owned();

    let ids = shop.add_orders(ORDERS);
    let e_numbers: HashSet<String> = ids
        .iter()
        .map(|id| {
            shop.order_json(*id).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let deliveries = shuffled_deliveries(&shop, &ids, &mut rng);

    // The shop sends (and resends, while Ferry is down) in the background.
    let sender = {
        let url = url.clone();
        let deliveries = deliveries.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            futures::stream::iter(deliveries)
                .map(|webhook| {
                    let (client, url) = (client.clone(), url.clone());
                    async move { deliver_until_accepted(&client, &url, &webhook).await }
                })
                .buffer_unordered(8)
                .collect::<Vec<u32>>()
                .await
                .into_iter()
                .sum::<u32>()
        })
    };

    let mut kill_points = Vec::new();
    for run in 1..=KILLS {
        let after = Duration::from_millis(rng.gen_range(300..2_500));
        tokio::time::sleep(after).await; // a random kill point, not a wait for anything
        let documents = ledger.draft_invoices().len();
        process.kill();
        kill_points.push((after.as_millis(), documents));
        process = Process::start(&data_dir, port, &operator, run).await;
    }
    let refused = sender.await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let pending = call(
            &http,
            &base,
            &token,
            "GET",
            "/transfers?status=pending&limit=1",
            None,
        )
        .await;
        if pending["items"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "transfers still pending: {pending}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let transfers = all_transfers(&http, &base, &token).await;
    let documents = ledger.draft_invoices();
    let linked = assert_exactly_once(&e_numbers, &transfers, &documents);
    println!(
        "crash: {ORDERS} orders, {} webhook deliveries ({refused} refused or cut by a kill and resent), \
         {KILLS} SIGKILLs at (ms after start, documents by then) {kill_points:?}; \
         {} documents, {linked} linked after a kill; took {:.1} s",
        deliveries.len(),
        documents.len(),
        started.elapsed().as_secs_f64(),
    );
    assert!(
        kill_points
            .iter()
            .any(|(_, documents)| *documents > 0 && *documents < ORDERS),
        "no kill landed while orders were being delivered: {kill_points:?}"
    );
    process.stop();
}
