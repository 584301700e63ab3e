//! `ferry-local --demo`: a sandbox Shopify and a sandbox e-conomic on
//! loopback, a demo tenant wired to them through the public API, and a shop
//! that keeps placing orders.

use crate::runtime::Running;
use crate::sandbox::{economic, shopify};
use serde_json::{json, Value};
use std::time::Duration;

/// How often the demo shop places an order.
const ORDER_EVERY: Duration = Duration::from_secs(4);

pub struct Demo {
    /// The demo tenant admin's dashboard token.
    pub token: String,
    pub webhook_url: String,
    pub shop: shopify::Handle,
    pub ledger: economic::Handle,
}

/// Starts the sandboxes and wires a demo tenant to them.
pub async fn start(running: &Running) -> Result<Demo, String> {
    let shop = shopify::spawn(shopify::Config::default())
        .await
        .map_err(|e| format!("sandbox shop: {e}"))?;
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .map_err(|e| format!("sandbox ledger: {e}"))?;
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("{}/api/v1", running.base_url()),
    };

    let tenant = api
        .post(
            &running.operator_token,
            "/tenants",
            json!({"name": "Demo Shop ApS", "email": "owner@demo-shop.example"}),
        )
        .await?;
    let token = text(&tenant, "token")?;
    // The demo places an order every few seconds: on the starter plan it
    // would reach its monthly quota within the hour.
    api.post(
        &token,
        "/subscription/upgrade",
        json!({"plan": "enterprise"}),
    )
    .await?;

    let shop_config = shop.config();
    let source = api
        .post(
            &token,
            "/systems",
            json!({
                "kind": "shopify",
                "name": "Demo Shopify",
                "config": {
                    "shop_domain": shop_config.shop_domain,
                    "api_version": shop_config.api_version,
                    "base_url": shop.base_url(),
                },
                "credentials": {
                    "access_token": shop_config.access_token,
                    "webhook_secret": shop_config.webhook_secret,
                },
            }),
        )
        .await?;
    let target = api
        .post(
            &token,
            "/systems",
            json!({
                "kind": "economic",
                "name": "Demo e-conomic",
                "config": ledger.system_config(),
                "credentials": ledger.credentials().0,
            }),
        )
        .await?;
    let connection = api
        .post(
            &token,
            "/connections",
            json!({
                "name": "Shopify > e-conomic (orders)",
                "source": text(&source, "id")?,
                "target": text(&target, "id")?,
                "entity": "orders",
                "allowed_states": ["paid", "partially_paid", "authorized"],
                "document": "draft_invoice",
                "schedule": null,
                "active": true,
            }),
        )
        .await?;
    Ok(Demo {
        token,
        webhook_url: text(&connection, "webhook_url")?,
        shop,
        ledger,
    })
}

impl Demo {
    /// Places an order every few seconds and sends its webhook, until aborted.
    pub fn keep_ordering(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            // Own the whole demo (not just the fields used below), so that
            // the sandbox ledger keeps serving while orders flow.
            let demo = self;
            let mut ticks = tokio::time::interval(ORDER_EVERY);
            loop {
                ticks.tick().await;
                let id = demo.shop.add_order();
                match demo
                    .shop
                    .send_webhook(&demo.webhook_url, id, "orders/create")
                    .await
                {
                    Ok(status) if status.is_success() => {}
                    Ok(status) => tracing::warn!(%status, "demo webhook refused"),
                    Err(e) => tracing::warn!(error = %e, "demo webhook not sent"),
                }
            }
        })
    }
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn post(&self, token: &str, path: &str, body: Value) -> Result<Value, String> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("POST {path}: {status}: {answer}"));
        }
        Ok(answer)
    }
}

fn text(value: &Value, field: &str) -> Result<String, String> {
    value[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("the answer has no '{field}': {value}"))
}
