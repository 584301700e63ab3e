//! A tenant on a running ferry-local, wired through the public API, for
//! the flow and polling tests.

use crate::orders::{fast_options, temp_dir, urlencode};
use ferry_local::runtime::{self, Running};
use ferry_local::sandbox::{economic, shopify};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// A tenant on a running ferry-local, wired through the public API. The
/// background scheduler is slowed right down: each test runs its passes.
pub struct Tenant {
    pub running: Running,
    pub token: String,
    pub http: reqwest::Client,
}

impl Tenant {
    pub async fn start(name: &str) -> Tenant {
        Tenant::start_with(fast_options(temp_dir(name))).await
    }

    /// The same on ferry-local started with `options` (the scheduler
    /// slowed down all the same).
    pub async fn start_with(mut options: runtime::Options) -> Tenant {
        options.scheduler_every = Duration::from_secs(3600);
        let running = runtime::start(options).await.unwrap();
        let http = reqwest::Client::new();
        let operator = running.operator_token.clone();
        let mut tenant = Tenant {
            running,
            token: operator,
            http,
        };
        let created = tenant
            .post(
                "/tenants",
                json!({"name": "Test ApS", "email": "owner@test.example"}),
            )
            .await;
        tenant.token = created["token"].as_str().unwrap().to_owned();
        tenant
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.running.base_url()))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.call(reqwest::Method::POST, path, Some(body)).await;
        assert!(
            (200..300).contains(&status),
            "POST {path}: {status} {answer}"
        );
        answer
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, answer) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {answer}");
        answer
    }

    pub async fn system(
        &self,
        kind: &str,
        config: Map<String, Value>,
        credentials: Value,
    ) -> String {
        let system = self
            .post(
                "/systems",
                json!({"kind": kind, "name": kind, "config": config, "credentials": credentials}),
            )
            .await;
        system["id"].as_str().unwrap().to_owned()
    }

    /// A connection; returns it as the API answers.
    pub async fn connect(
        &self,
        name: &str,
        source: &str,
        target: &str,
        states: &[&str],
        schedule: Value,
    ) -> Value {
        self.post(
            "/connections",
            json!({
                "name": name, "source": source, "target": target,
                "allowed_states": states, "document": "draft_invoice", "schedule": schedule,
            }),
        )
        .await
    }

    pub async fn sync(&self, connection: &str, body: Value) -> Value {
        self.post(&format!("/connections/{connection}/sync"), body)
            .await
    }

    /// Every transfer (all pages of the log).
    pub async fn transfers(&self) -> Vec<Value> {
        let mut all = Vec::new();
        let mut path = "/transfers?limit=500".to_owned();
        loop {
            let page = self.get(&path).await;
            all.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next"].as_str() {
                Some(next) => path = format!("/transfers?limit=500&cursor={}", urlencode(next)),
                None => return all,
            }
        }
    }

    pub async fn wait_for(&self, e_number: &str, status: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let found = self
                .get(&format!("/transfers?q={}", urlencode(e_number)))
                .await["items"]
                .as_array()
                .and_then(|items| items.first().cloned());
            if let Some(t) = found.as_ref().filter(|t| t["status"] == status) {
                return t.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{e_number} never {status}: {found:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn connection(&self, id: &str) -> ferry::model::Connection {
        let ferry = &self.running.ferry;
        let tenant = ferry.store.list_tenants().await.unwrap();
        for t in tenant {
            for c in ferry.store.list_connections(&t.id).await.unwrap() {
                if c.id.as_str() == id {
                    return c;
                }
            }
        }
        panic!("no connection {id}");
    }

    /// A sandbox Shopify and a sandbox e-conomic, wired by a connection that
    /// transfers `states`; answers the connection as the API does.
    pub async fn shopify_into_economic(
        &self,
        states: &[&str],
        schedule: Value,
    ) -> (shopify::Handle, economic::Handle, Value) {
        let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
        let ledger = economic::spawn(economic::Settings::default())
            .await
            .unwrap();
        let source = self
            .system("shopify", shop.system_config(), json!(shop.credentials().0))
            .await;
        let target = self
            .system(
                "economic",
                ledger.system_config(),
                json!(ledger.credentials().0),
            )
            .await;
        let connection = self
            .connect("Shop > ledger", &source, &target, states, schedule)
            .await;
        (shop, ledger, connection)
    }

    /// The same, paid orders only, answering the connection's id.
    pub async fn shopify_into_economic_id(
        &self,
        schedule: Value,
    ) -> (shopify::Handle, economic::Handle, String) {
        let (shop, ledger, connection) = self.shopify_into_economic(&["paid"], schedule).await;
        (shop, ledger, connection["id"].as_str().unwrap().to_owned())
    }
}
