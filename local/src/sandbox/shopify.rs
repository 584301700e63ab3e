//! A Shopify shop on loopback: the Admin REST endpoints Ferry reads (orders
//! one by one and listed with `page_info` cursors, `shop.json`) and writes
//! (prices, stock levels, customers: [`catalog`], [`customers`]), the access
//! token check, the leaky-bucket rate limit with its call-limit header, and
//! webhooks signed and addressed as Shopify sends them.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use ferry_local::sandbox::shopify;
//! let shop = shopify::spawn(shopify::Config::default()).await?;
//! let id = shop.add_order();
//! let status = shop.send_webhook("http://127.0.0.1:8080/webhooks/c1", id, "orders/create").await;
//! # Ok(()) }
//! ```

mod api;
pub mod catalog;
pub mod customers;
mod order_json;
mod presentment;

pub use presentment::ShopCurrency;
pub mod transactions;

use super::webshop::{self, lock, Faults, Generator, Market, Shape, Webhook};
use chrono::{FixedOffset, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The first order id: Shopify's own sample id, above 2^53.
const FIRST_ORDER_ID: u64 = 820_982_911_946_154_508;

#[derive(Debug, Clone)]
pub struct Config {
    pub shop_domain: String,
    pub api_version: String,
    /// The Admin API token every REST call must carry.
    pub access_token: String,
    /// The app's client secret that signs webhooks.
    pub webhook_secret: String,
    pub market: Market,
    /// Listed prices include VAT (usual for shops selling to consumers in the EU).
    pub taxes_included: bool,
    /// The shop's time zone offset, used in every time it writes.
    pub utc_offset: FixedOffset,
    /// The same seed gives the same orders; `None` gives new ones each run.
    pub seed: Option<u64>,
    /// How big and varied the generated baskets are.
    pub shape: Shape,
    /// The leaky bucket: this many calls, leaking `leak_per_second`.
    pub bucket_size: u32,
    pub leak_per_second: u32,
    /// The shop's own currency when it is not the market's: orders are
    /// paid in the market's currency (presentment money) and converted.
    pub shop_currency: Option<ShopCurrency>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            shop_domain: "ferry-sandbox.myshopify.com".into(),
            api_version: "2024-04".into(),
            access_token: "shpat_sandbox_0123456789abcdef".into(),
            webhook_secret: "sandbox-shopify-client-secret".into(),
            market: Market::Denmark,
            taxes_included: true,
            utc_offset: FixedOffset::east_opt(3600).expect("one hour is a valid offset"),
            seed: None,
            shape: Shape::default(),
            bucket_size: 40,
            leak_per_second: 2,
            shop_currency: None,
        }
    }
}

/// The shop's state, shared by the handle and the HTTP handlers.
struct Shop {
    config: Config,
    base_url: String,
    generator: Generator,
    orders: BTreeMap<u64, Value>,
    /// The number the next order gets (1 → "#1001").
    next_number: u64,
    next_id: u64,
    bucket: Bucket,
    faults: Faults,
    /// Products, variants, locations and stock levels.
    catalog: catalog::Catalog,
    /// Customer accounts and their addresses.
    customers: customers::Customers,
    /// Each order's transactions (`transactions`).
    transactions: BTreeMap<u64, Vec<Value>>,
    next_transaction_id: u64,
}

/// Shopify's REST leaky bucket: every call adds one; it drains steadily.
struct Bucket {
    level: f64,
    drained_at: Instant,
}

/// A running sandbox shop; stops serving when dropped.
pub struct Handle {
    shop: Arc<Mutex<Shop>>,
    base_url: String,
    config: Config,
    client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

/// Starts a sandbox shop on a free loopback port.
pub async fn spawn(config: Config) -> std::io::Result<Handle> {
    let shop = Arc::new(Mutex::new(Shop {
        generator: Generator::new(config.market, config.seed).with_shape(config.shape),
        config: config.clone(),
        base_url: String::new(),
        orders: BTreeMap::new(),
        next_number: 1,
        next_id: FIRST_ORDER_ID,
        bucket: Bucket {
            level: 0.0,
            drained_at: Instant::now(),
        },
        faults: Faults::default(),
        catalog: catalog::Catalog::default(),
        customers: customers::Customers::default(),
        transactions: BTreeMap::new(),
        next_transaction_id: transactions::FIRST_TRANSACTION_ID,
    }));
    let router = api::router(shop.clone())
        .merge(catalog::router(shop.clone()))
        .merge(customers::router(shop.clone()))
        .merge(transactions::router(shop.clone()));
    let (address, server) = webshop::serve(router).await?;
    let base_url = format!("http://{address}");
    lock(&shop).base_url = base_url.clone();
    Ok(Handle {
        shop,
        base_url,
        config,
        client: reqwest::Client::new(),
        server,
    })
}

impl Handle {
    /// `http://127.0.0.1:<port>`: what a Shopify system's `base_url` is set to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration of a Shopify system that talks to this shop.
    pub fn system_config(&self) -> serde_json::Map<String, Value> {
        let mut config = serde_json::Map::new();
        config.insert("shop_domain".into(), json!(self.config.shop_domain));
        config.insert("api_version".into(), json!(self.config.api_version));
        config.insert("base_url".into(), json!(self.base_url));
        config
    }

    /// The credentials of a Shopify system that talks to this shop.
    pub fn credentials(&self) -> ferry::seal::Credentials {
        ferry::seal::Credentials(
            [
                ("access_token", &self.config.access_token),
                ("webhook_secret", &self.config.webhook_secret),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect(),
        )
    }

    /// Places a new generated order and returns its id.
    pub fn add_order(&self) -> u64 {
        let mut shop = lock(&self.shop);
        let shop = &mut *shop;
        let basket = shop.generator.basket();
        let identity = order_json::Identity {
            id: shop.next_id,
            number: shop.next_number,
            at: Utc::now(),
        };
        let mut order = order_json::build(&basket, &identity, &shop.config, &mut shop.generator);
        if let Some(shop_currency) = &shop.config.shop_currency {
            shop_currency.apply(&mut order);
        }
        shop.orders.insert(identity.id, order);
        shop.next_number += 1;
        // Real ids grow by uneven steps.
        shop.next_id += shop.generator.number(1_000..1_000_000);
        identity.id
    }

    pub fn add_orders(&self, count: usize) -> Vec<u64> {
        (0..count).map(|_| self.add_order()).collect()
    }

    /// The order as the REST API serves it (without the `{"order": …}` wrapper).
    pub fn order_json(&self, id: u64) -> Option<Value> {
        lock(&self.shop).orders.get(&id).cloned()
    }

    /// Every order id, oldest first.
    pub fn order_ids(&self) -> Vec<u64> {
        lock(&self.shop).orders.keys().copied().collect()
    }

    /// Changes the payment state (e.g. "paid", "refunded") and `updated_at`.
    pub fn set_financial_status(&self, id: u64, status: &str) -> bool {
        self.update(id, |order| order["financial_status"] = json!(status))
    }

    /// Cancels the order as a merchant does in the admin.
    pub fn cancel_order(&self, id: u64) -> bool {
        let now = self.now();
        self.update(id, |order| {
            order["cancelled_at"] = json!(now);
            order["cancel_reason"] = json!("customer");
        })
    }

    /// Changes the stored order as it is, without touching `updated_at`:
    /// for orders from long ago, or broken ones a real shop sometimes holds
    /// (an app wrote a field of the wrong type).
    pub fn edit_order(&self, id: u64, change: impl FnOnce(&mut Value)) -> bool {
        let mut shop = lock(&self.shop);
        let Some(order) = shop.orders.get_mut(&id) else {
            return false;
        };
        change(order);
        true
    }

    /// The next `count` API calls answer `status` (500, 503, 429...).
    pub fn fail_next(&self, status: u16, count: usize) {
        lock(&self.shop).faults.push(status, count);
    }

    /// The webhook Shopify would send for `topic` about the order: the bare
    /// order as body (`{"id": …}` for `orders/delete` or an order the shop
    /// does not hold), signed with the configured secret.
    pub fn webhook(&self, order_id: u64, topic: &str) -> Webhook {
        let body = {
            let shop = lock(&self.shop);
            let order = match shop.orders.get(&order_id) {
                Some(order) if topic != "orders/delete" => order.clone(),
                _ => json!({ "id": order_id }),
            };
            serde_json::to_vec(&order).unwrap_or_default()
        };
        self.signed(topic, body)
    }

    /// A webhook of `topic` with `body`, signed and addressed as Shopify does.
    fn signed(&self, topic: &str, body: Vec<u8>) -> Webhook {
        let (webhook_id, event_id) = {
            let mut shop = lock(&self.shop);
            (shop.generator.uuid(), shop.generator.uuid())
        };
        let config = &self.config;
        let triggered_at = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        let headers = [
            ("Content-Type", "application/json".to_owned()),
            ("User-Agent", "Shopify-Captain-Hook".to_owned()),
            ("X-Shopify-Topic", topic.to_owned()),
            (
                "X-Shopify-Hmac-Sha256",
                webshop::sign(config.webhook_secret.as_bytes(), &body),
            ),
            ("X-Shopify-Shop-Domain", config.shop_domain.clone()),
            ("X-Shopify-API-Version", config.api_version.clone()),
            ("X-Shopify-Webhook-Id", webhook_id),
            ("X-Shopify-Event-Id", event_id),
            ("X-Shopify-Triggered-At", triggered_at),
        ];
        Webhook {
            headers: headers
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v))
                .collect(),
            body,
        }
    }

    /// POSTs a new webhook about the order to `target_url`; the answer's status.
    pub async fn send_webhook(
        &self,
        target_url: &str,
        order_id: u64,
        topic: &str,
    ) -> reqwest::Result<reqwest::StatusCode> {
        self.webhook(order_id, topic)
            .deliver(&self.client, target_url)
            .await
    }

    /// Sends a webhook again, unchanged, as Shopify does on a retry.
    pub async fn deliver(
        &self,
        target_url: &str,
        webhook: &Webhook,
    ) -> reqwest::Result<reqwest::StatusCode> {
        webhook.deliver(&self.client, target_url).await
    }

    fn now(&self) -> String {
        webshop::local_time(Utc::now(), self.config.utc_offset)
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut Value)) -> bool {
        let now = self.now();
        let mut shop = lock(&self.shop);
        let Some(order) = shop.orders.get_mut(&id) else {
            return false;
        };
        change(order);
        order["updated_at"] = json!(now);
        true
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.server.abort();
    }
}
