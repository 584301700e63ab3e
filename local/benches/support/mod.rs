//! What the issue-9 benchmarks share: wiring a tenant, a sandbox Shopify and
//! a sandbox ledger through the public API (as a merchant would), and the
//! `--bench` guard, and the AWS emulator.

// Each bench uses a part of this module.
#![allow(dead_code)]

use ferry_local::sandbox::{economic, fortnox, shopify};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `cargo bench` passes --bench; a test runner listing or running every
/// target (cargo test --all-targets, nextest) does not: do nothing then.
pub fn benching() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The ledger an order goes to.
pub enum Ledger<'a> {
    /// e-conomic, paced by Ferry at this many calls a second per agreement.
    Economic(&'a economic::Handle, u64),
    /// Fortnox (25 requests in any 5 seconds per token, enforced by the sandbox).
    Fortnox(&'a fortnox::Handle),
}

/// A tenant on the enterprise plan with one Shopify → ledger order connection.
pub struct Wired {
    pub token: String,
    pub tenant: String,
    /// `/webhooks/{connection id}`.
    pub webhook_path: String,
}

/// Wires a tenant through the API at `api` (`http://…/api/v1`).
pub async fn wire(
    api: &str,
    operator_token: &str,
    shop: &shopify::Handle,
    ledger: Ledger<'_>,
) -> Wired {
    let http = reqwest::Client::new();
    let post = |token: String, path: &'static str, body: Value| {
        let request = http
            .post(format!("{api}{path}"))
            .bearer_auth(token)
            .json(&body);
        async move {
            let response = request.send().await.expect("the API answers");
            let status = response.status();
            let answer: Value = response.json().await.expect("a JSON answer");
            assert!(status.is_success(), "POST {path}: {status}: {answer}");
            answer
        }
    };
    let tenant = post(
        operator_token.to_owned(),
        "/tenants",
        json!({"name": "Bench Shop ApS", "email": "owner@bench-shop.example"}),
    )
    .await;
    let token = text(&tenant, "token");
    post(
        token.clone(),
        "/subscription/upgrade",
        json!({"plan": "enterprise"}),
    )
    .await;
    let source = post(
        token.clone(),
        "/systems",
        json!({
            "kind": "shopify",
            "name": "Bench Shopify",
            "config": shop.system_config(),
            "credentials": shop.credentials().0,
        }),
    )
    .await;
    let (kind, config, credentials) = match ledger {
        Ledger::Economic(ledger, calls_per_second) => {
            let mut config: Map<String, Value> = ledger.system_config();
            config.insert("calls_per_second".into(), json!(calls_per_second));
            ("economic", config, ledger.credentials().0)
        }
        Ledger::Fortnox(ledger) => ("fortnox", ledger.system_config(), ledger.credentials().0),
    };
    let target = post(
        token.clone(),
        "/systems",
        json!({"kind": kind, "name": "Bench ledger", "config": config, "credentials": credentials}),
    )
    .await;
    let connection = post(
        token.clone(),
        "/connections",
        json!({
            "name": "Shopify > ledger (orders)",
            "source": text(&source, "id"),
            "target": text(&target, "id"),
            "entity": "orders",
            "allowed_states": ["paid"],
            "document": "draft_invoice",
            "schedule": null,
            "active": true,
        }),
    )
    .await;
    let webhook_url = text(&connection, "webhook_url");
    let webhook_path = url::Url::parse(&webhook_url)
        .map(|u| u.path().to_owned())
        .expect("the webhook URL parses");
    Wired {
        tenant: text(&tenant, "id"),
        token,
        webhook_path,
    }
}

/// Paid orders in the sandbox shop, signed as Shopify signs their webhooks.
pub fn paid_order_webhooks(
    shop: &shopify::Handle,
    count: usize,
) -> Vec<ferry_local::sandbox::webshop::Webhook> {
    (0..count)
        .map(|_| {
            let id = shop.add_order();
            shop.set_financial_status(id, "paid");
            shop.webhook(id, "orders/create")
        })
        .collect()
}

fn text(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap_or_default().to_owned()
}

/// moto: the one at `FERRY_TEST_AWS_ENDPOINT`, else `scripts/moto_server.py`
/// (moto with atomic DynamoDB writes) on `.venv/bin/python`, started on a
/// free port and stopped when this is dropped.
pub struct Moto {
    pub endpoint: String,
    child: Option<Child>,
}

impl Moto {
    pub fn start() -> Self {
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
        // moto with DynamoDB's conditional writes atomic, as on AWS.
        let program = root.join(".venv/bin/python");
        assert!(
            program.exists(),
            "{} is missing: run scripts/test.sh once (it installs moto into .venv), \
             or set FERRY_TEST_AWS_ENDPOINT to a running moto_server",
            program.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&program)
            .arg(root.join("scripts/moto_server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Self {
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
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
