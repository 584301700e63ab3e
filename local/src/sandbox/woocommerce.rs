//! A WooCommerce shop on loopback: the REST v3 order endpoints with Basic
//! authentication and WordPress's error bodies, `X-WP-Total` paging, the
//! products and customers Ferry keeps up to date ([`catalog`],
//! [`customers`]), and
//! webhooks as WooCommerce delivers them (PHP-encoded JSON body, `X-WC-*`
//! headers, the unsigned `webhook_id=N` ping).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use ferry_local::sandbox::woocommerce;
//! let shop = woocommerce::spawn(woocommerce::Config::default()).await?;
//! let id = shop.add_order();
//! let status = shop.send_webhook("http://127.0.0.1:8080/webhooks/c2", id, "order.created").await;
//! # Ok(()) }
//! ```

mod api;
pub mod catalog;
pub mod customers;
mod order_json;

use super::webshop::{self, lock, Faults, Generator, Market, Shape, Webhook};
use chrono::{FixedOffset, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// WooCommerce order ids are WordPress post ids: small and shared with
/// other posts, so they grow by uneven steps.
const FIRST_ORDER_ID: u64 = 1_001;

#[derive(Debug, Clone)]
pub struct Config {
    pub consumer_key: String,
    pub consumer_secret: String,
    /// The webhook secret as WooCommerce stores it; like WooCommerce, the
    /// sandbox signs with it after decoding `&amp;`-style entities.
    pub webhook_secret: String,
    /// The webhook's own id (`X-WC-Webhook-ID`, and the ping's `webhook_id`).
    pub webhook_id: u64,
    pub market: Market,
    pub prices_include_tax: bool,
    /// The site's time zone offset (the non-`_gmt` times).
    pub utc_offset: FixedOffset,
    pub seed: Option<u64>,
    /// How big and varied the generated baskets are.
    pub shape: Shape,
    pub wc_version: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            consumer_key: "ck_sandbox_4f0c3b2a1e9d8c7b6a5f4e3d2c1b0a99".into(),
            consumer_secret: "cs_sandbox_0a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
            webhook_secret: "sandbox-woo-webhook-secret".into(),
            webhook_id: 12,
            market: Market::Denmark,
            prices_include_tax: true,
            utc_offset: FixedOffset::east_opt(3600).expect("one hour is a valid offset"),
            seed: None,
            shape: Shape::default(),
            wc_version: "8.9.3".into(),
        }
    }
}

struct Shop {
    config: Config,
    base_url: String,
    generator: Generator,
    orders: BTreeMap<u64, Value>,
    next_id: u64,
    faults: Faults,
    /// Products with SKU, price and stock.
    catalog: catalog::Catalog,
    /// WordPress users: customers and the shop's staff.
    customers: customers::Customers,
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
        next_id: FIRST_ORDER_ID,
        faults: Faults::default(),
        catalog: catalog::Catalog::default(),
        customers: customers::Customers::default(),
    }));
    let router = api::router(shop.clone())
        .merge(catalog::router(shop.clone()))
        .merge(customers::router(shop.clone()));
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
    /// `http://127.0.0.1:<port>`: the site address a WooCommerce system's
    /// `base_url` is set to (the API is under `/wp-json/wc/v3`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration of a WooCommerce system that talks to this shop.
    pub fn system_config(&self) -> serde_json::Map<String, Value> {
        let mut config = serde_json::Map::new();
        config.insert("base_url".into(), json!(self.base_url));
        config
    }

    /// The credentials of a WooCommerce system that talks to this shop.
    pub fn credentials(&self) -> ferry::seal::Credentials {
        ferry::seal::Credentials(
            [
                ("consumer_key", &self.config.consumer_key),
                ("consumer_secret", &self.config.consumer_secret),
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
        let id = shop.next_id;
        let order = order_json::build(
            &basket,
            id,
            Utc::now(),
            &shop.base_url,
            &shop.config,
            &mut shop.generator,
        );
        shop.orders.insert(id, order);
        shop.next_id += shop.generator.number(1..6);
        id
    }

    pub fn add_orders(&self, count: usize) -> Vec<u64> {
        (0..count).map(|_| self.add_order()).collect()
    }

    /// The order as `GET /wp-json/wc/v3/orders/{id}` serves it.
    pub fn order_json(&self, id: u64) -> Option<Value> {
        lock(&self.shop).orders.get(&id).cloned()
    }

    /// Every order id, oldest first.
    pub fn order_ids(&self) -> Vec<u64> {
        lock(&self.shop).orders.keys().copied().collect()
    }

    /// Moves the order to `status` ("completed", "cancelled"...), as a
    /// merchant does in the admin; the modified times move with it.
    pub fn set_status(&self, id: u64, status: &str) -> bool {
        let now = Utc::now();
        let mut shop = lock(&self.shop);
        let offset = shop.config.utc_offset;
        let Some(order) = shop.orders.get_mut(&id) else {
            return false;
        };
        order["status"] = json!(status);
        order["date_modified"] = json!(now
            .with_timezone(&offset)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string());
        order["date_modified_gmt"] = json!(now.format("%Y-%m-%dT%H:%M:%S").to_string());
        // WooCommerce stamps the payment when an order first becomes paid.
        if matches!(status, "processing" | "completed") && order["date_paid_gmt"].is_null() {
            order["date_paid"] = order["date_modified"].clone();
            order["date_paid_gmt"] = order["date_modified_gmt"].clone();
        }
        true
    }

    /// Sets the order's gateway (`payment_method`: `bacs`, `cod`, `paypal`...)
    /// and its id there (`transaction_id`, empty for none), not paid yet
    /// (no `date_paid`) until [`Self::set_status`] makes it processing or
    /// completed.
    pub fn set_payment_method(&self, id: u64, method: &str, transaction_id: &str) -> bool {
        let mut shop = lock(&self.shop);
        let Some(order) = shop.orders.get_mut(&id) else {
            return false;
        };
        order["payment_method"] = json!(method);
        order["transaction_id"] = json!(transaction_id);
        for field in ["date_paid", "date_paid_gmt"] {
            order[field] = serde_json::Value::Null;
        }
        true
    }

    /// The next `count` API calls answer `status` (500, 503...).
    pub fn fail_next(&self, status: u16, count: usize) {
        lock(&self.shop).faults.push(status, count);
    }

    /// The webhook WooCommerce would deliver for `topic` ("order.created",
    /// "order.updated", "order.deleted"...): the order as the REST API
    /// shows it, JSON-encoded the way PHP does (`\/`, `\u00e6`), or
    /// `{"id": N}` for a deleted order or one the shop does not hold.
    pub fn webhook(&self, order_id: u64, topic: &str) -> Webhook {
        let (body, delivery_id) = {
            let mut shop = lock(&self.shop);
            let payload = match shop.orders.get(&order_id) {
                Some(order) if topic != "order.deleted" => order.clone(),
                _ => json!({ "id": order_id }),
            };
            (php_json(&payload), shop.generator.hex(32))
        };
        let (resource, event) = topic.split_once('.').unwrap_or((topic, ""));
        let secret = decode_stored_secret(&self.config.webhook_secret);
        let headers = [
            ("Content-Type", "application/json".to_owned()),
            (
                "User-Agent",
                format!(
                    "WooCommerce/{} Hookshot (WordPress/6.5.5)",
                    self.config.wc_version
                ),
            ),
            ("X-WC-Webhook-Source", format!("{}/", self.base_url)),
            ("X-WC-Webhook-Topic", topic.to_owned()),
            ("X-WC-Webhook-Resource", resource.to_owned()),
            ("X-WC-Webhook-Event", event.to_owned()),
            (
                "X-WC-Webhook-Signature",
                webshop::sign(secret.as_bytes(), body.as_bytes()),
            ),
            ("X-WC-Webhook-ID", self.config.webhook_id.to_string()),
            ("X-WC-Webhook-Delivery-ID", delivery_id),
        ];
        Webhook {
            headers: headers
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v))
                .collect(),
            body: body.into_bytes(),
        }
    }

    /// The ping WooCommerce sends when a webhook is saved: a form body
    /// `webhook_id=N` without any signature.
    pub fn ping(&self) -> Webhook {
        Webhook {
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                (
                    "User-Agent".into(),
                    format!(
                        "WooCommerce/{} Hookshot (WordPress/6.5.5)",
                        self.config.wc_version
                    ),
                ),
            ],
            body: format!("webhook_id={}", self.config.webhook_id).into_bytes(),
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

    /// POSTs the set-up ping to `target_url`.
    pub async fn send_ping(&self, target_url: &str) -> reqwest::Result<reqwest::StatusCode> {
        self.ping().deliver(&self.client, target_url).await
    }

    /// Sends a webhook again, unchanged.
    pub async fn deliver(
        &self,
        target_url: &str,
        webhook: &Webhook,
    ) -> reqwest::Result<reqwest::StatusCode> {
        webhook.deliver(&self.client, target_url).await
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// `trim(wp_json_encode($payload))`: PHP escapes `/` and writes every
/// non-ASCII character as `\uXXXX` (UTF-16). Both only occur inside JSON
/// strings, so escaping serde_json's compact output is exact.
fn php_json(payload: &Value) -> String {
    let compact = serde_json::to_string(payload).unwrap_or_default();
    let mut out = String::with_capacity(compact.len());
    for c in compact.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

/// WooCommerce signs with `wp_specialchars_decode($secret, ENT_QUOTES)`; the
/// sandbox decodes the common forms (`&amp; &lt; &gt; &quot; &#039;`).
fn decode_stored_secret(secret: &str) -> String {
    secret
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_json_like_php() {
        let payload = json!({ "href": "https://example.com/wp-json", "name": "Kaffekop, blå 😀" });
        let php = php_json(&payload);
        assert_eq!(
            php,
            r#"{"href":"https:\/\/example.com\/wp-json","name":"Kaffekop, bl\u00e5 \ud83d\ude00"}"#
        );
        assert_eq!(serde_json::from_str::<Value>(&php).unwrap(), payload);
    }

    #[test]
    fn decodes_the_stored_secret_once() {
        assert_eq!(decode_stored_secret("R&amp;D&amp;lt;"), "R&D&lt;");
    }
}
