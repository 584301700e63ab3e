//! Shopify, one shop per system. This module is the client and Shopify as a
//! source of orders: webhook signatures, the REST `Order` resource, and a
//! credentials check against the Admin REST API. Beside it: `order` (the
//! `Order` resource read into the canonical order), `poll` (listing changed
//! orders), `catalog` and `customers` (Shopify as the target of the reverse
//! flows) and `errors` (Shopify's error bodies in words).
//!
//! Configuration: `shop_domain` (`cool-store.myshopify.com`), `api_version`
//! (default `2024-04`) and, for sandboxes, `base_url`; `shop_domain` may be
//! left out when `base_url` is given. Credentials: `access_token` (required)
//! and `webhook_secret` (needed to accept webhooks; polling works without).

pub mod catalog;
pub mod customers;
mod errors;
mod order;
pub mod payments;
pub mod poll;
pub mod refund;

use super::address::{config_base, SHOPIFY};
use super::http::{
    exchange, hold_after_429, pacer_key, send, succeeded, HttpClient, Pacer, Reply, Settings,
};
use super::webshop::{header_text, shorten};
use super::{
    ConfigError, ConnectorError, DeliveryInfo, Inbound, OrderPage, ParseError, Source,
    WebhookError, WebhookRequest,
};
use crate::model::{CurrencyChoice, Order, Payment, System};
use crate::seal::Credentials;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use errors::error_words;
use reqwest::Method;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

const SYSTEM: &str = "Shopify";
const DEFAULT_API_VERSION: &str = "2024-04";
/// Shopify's REST leaky bucket holds 40 calls and leaks 2 a second on the
/// standard plan: at most 40 calls in any 20 seconds never overflows it.
const BUCKET: usize = 40;
const BUCKET_WINDOW: Duration = Duration::from_secs(20);
/// How long to hold back after a 429 or a throttled query that does not say.
const DEFAULT_PAUSE: Duration = Duration::from_secs(2);

/// Header names, lower case. The headers without `X-` are those of Shopify's
/// newer event deliveries, which are signed the same way.
const HMAC_HEADERS: &[&str] = &["x-shopify-hmac-sha256", "shopify-hmac-sha256"];
const TOPIC_HEADERS: &[&str] = &["x-shopify-topic", "shopify-topic"];
const DELIVERY_HEADERS: &[&str] = &[
    "x-shopify-event-id",
    "shopify-event-id",
    "x-shopify-webhook-id",
];

pub struct Shopify {
    base_url: String,
    api_version: String,
    access_token: String,
    webhook_secret: Option<String>,
    http: HttpClient,
    pacer: Arc<Pacer>,
}

impl Shopify {
    pub fn new(
        system: &System,
        credentials: &Credentials,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        let settings = Settings { system };
        let shop_domain = settings
            .text("shop_domain")?
            .map(|domain| shop_domain(&settings, &domain))
            .transpose()?;
        // Only `{shop}.myshopify.com` over https (a sandbox on loopback where
        // private networks are allowed): the access token goes nowhere else.
        let network = http.network();
        let base = match (settings.text("base_url")?, shop_domain) {
            (Some(url), _) => config_base(system, "base_url", &url, SHOPIFY, network)?,
            (None, Some(domain)) => config_base(
                system,
                "shop_domain",
                &format!("https://{domain}"),
                SHOPIFY,
                network,
            )?,
            (None, None) => {
                return Err(settings.error(
                    "shop_domain",
                    "add the shop's domain (shop_domain), e.g. cool-store.myshopify.com",
                ))
            }
        };
        let base_url = base.as_str().trim_end_matches('/').to_owned();
        let api_version = match settings.text("api_version")? {
            Some(version) if is_api_version(&version) => version,
            Some(_) => {
                return Err(settings.error(
                    "api_version",
                    "api_version must look like 2024-04 (year-month) or be 'unstable'",
                ))
            }
            None => DEFAULT_API_VERSION.to_owned(),
        };
        let access_token = settings
            .secret(credentials, "access_token")
            .ok_or_else(|| {
                settings.error(
                    "access_token",
                    "add the Admin API access token (access_token) of the shop's custom app",
                )
            })?;
        let webhook_secret = settings.secret(credentials, "webhook_secret");
        let pacer = http.pacer(
            &pacer_key("shopify", access_token.as_bytes()),
            BUCKET,
            BUCKET_WINDOW,
        );
        Ok(Self {
            base_url,
            api_version,
            access_token,
            webhook_secret,
            http,
            pacer,
        })
    }

    /// A request to an Admin REST path (or `graphql.json`) with the shop's
    /// token.
    fn request(
        &self,
        method: Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, ConnectorError> {
        let url = format!("{}/admin/api/{}/{path}", self.base_url, self.api_version);
        Ok(self
            .http
            .request(method, url)?
            .header("X-Shopify-Access-Token", &self.access_token)
            .header(reqwest::header::ACCEPT, "application/json"))
    }

    /// A call to the Admin REST API (or `graphql.json`), paced; the answer
    /// whatever its status (catalogue and customers sort it themselves).
    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, ConnectorError> {
        let mut request = self.request(method, path)?;
        if let Some(body) = body {
            request = request.json(body);
        }
        send(SYSTEM, &self.pacer, request, DEFAULT_PAUSE).await
    }

    /// `GET` of an Admin REST path such as `shop.json`: the body of a 2xx
    /// answer, or the failure sorted for retrying.
    async fn get(&self, path: &str) -> Result<Vec<u8>, ConnectorError> {
        self.get_with_headers(path).await.map(|(body, _)| body)
    }

    /// Like [`Self::get`], with the answer's headers. Paces itself to the
    /// shop's leaky bucket: holds back when the call-limit header says the
    /// bucket is nearly full, and for `Retry-After` after a 429.
    async fn get_with_headers(
        &self,
        path: &str,
    ) -> Result<(Vec<u8>, reqwest::header::HeaderMap), ConnectorError> {
        let request = self.request(Method::GET, path)?;
        let reply = exchange(SYSTEM, &self.pacer, request).await?;
        if let Some(pause) = header_text(&reply.headers, &["x-shopify-shop-api-call-limit"])
            .and_then(|value| poll::call_limit(&value))
            .and_then(|(used, size)| poll::slow_down(used, size))
        {
            self.pacer.pause(pause).await;
        }
        // After the bucket's own pause, so a 429's Retry-After has the last
        // word; without one, the bucket's pause stands.
        hold_after_429(&self.pacer, &reply, None).await;
        let reply = succeeded(SYSTEM, reply, error_words)?;
        Ok((reply.body, reply.headers))
    }
}

#[async_trait]
impl Source for Shopify {
    fn verify_webhook(&self, request: WebhookRequest<'_>) -> Result<Inbound, WebhookError> {
        let header = "X-Shopify-Hmac-Sha256";
        let Some(secret) = &self.webhook_secret else {
            return Err(WebhookError::NoSecret);
        };
        let Some(signature) = HMAC_HEADERS.iter().find_map(|h| request.headers.get(*h)) else {
            return Err(WebhookError::MissingSignature { header });
        };
        let signature = signature.to_str().unwrap_or_default();
        if !super::signature::verify(secret.as_bytes(), request.body, signature) {
            return Err(WebhookError::BadSignature { header });
        }
        Ok(Inbound::Delivery(DeliveryInfo {
            delivery_id: header_text(request.headers, DELIVERY_HEADERS),
            topic: header_text(request.headers, TOPIC_HEADERS),
        }))
    }

    /// In the customer's money, a connection's default.
    fn parse_order(&self, body: &[u8]) -> Result<Order, ParseError> {
        order::parse(body, CurrencyChoice::Presentment)
    }

    fn parse_order_in(&self, body: &[u8], money: CurrencyChoice) -> Result<Order, ParseError> {
        order::parse(body, money)
    }

    async fn test_credentials(&self) -> Result<(), ConnectorError> {
        #[derive(serde::Deserialize)]
        struct ShopAnswer {
            #[allow(dead_code)]
            shop: serde::de::IgnoredAny,
        }
        let body = self.get("shop.json").await?;
        // A 200 without a shop means the address leads somewhere else.
        serde_json::from_slice::<ShopAnswer>(&body).map_err(|_| {
            ConnectorError::permanent(format!(
                "{} answered, but not as a Shopify shop: check the shop domain",
                self.base_url
            ))
        })?;
        Ok(())
    }

    async fn poll_orders(
        &self,
        since: DateTime<Utc>,
        page: Option<&str>,
    ) -> Result<OrderPage, ConnectorError> {
        let query = match page {
            None => poll::first_query(since),
            Some(page_info) => poll::next_query(page_info)?,
        };
        let (body, headers) = self
            .get_with_headers(&format!("orders.json?{query}"))
            .await?;
        let next = header_text(&headers, &["link"]).and_then(|link| poll::next_page_info(&link));
        poll::page(&body, next)
    }

    /// A paid order's successful sales and captures, asked of the shop
    /// (`orders/{id}/transactions.json`); none while it is not paid.
    async fn payments(&self, order: &Order, _raw: &[u8]) -> Result<Vec<Payment>, ConnectorError> {
        if !payments::is_paid(order) {
            return Ok(Vec::new());
        }
        let body = self
            .get(&format!("orders/{}/transactions.json", order.source_id))
            .await?;
        payments::parse_list(&body, order).map_err(|e| ConnectorError::permanent(e.0))
    }

    fn parse_payment(
        &self,
        topic: Option<&str>,
        body: &[u8],
    ) -> Option<Result<Vec<Payment>, ParseError>> {
        (topic == Some(payments::TRANSACTION_TOPIC)).then(|| payments::parse_webhook(body))
    }
}

/// Accepts what a merchant pastes ("https://Cool-Store.myshopify.com/")
/// and keeps the bare host name.
fn shop_domain(settings: &Settings, domain: &str) -> Result<String, ConfigError> {
    let host = domain
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let valid = host.contains('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if valid {
        Ok(host)
    } else {
        Err(settings.error(
            "shop_domain",
            &format!(
                "shop_domain '{}' is not a domain: use the shop's address, e.g. cool-store.myshopify.com",
                shorten(domain)
            ),
        ))
    }
}

fn is_api_version(version: &str) -> bool {
    let bytes = version.as_bytes();
    version == "unstable"
        || (bytes.len() == 7
            && bytes[4] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_digit()))
}

#[cfg(test)]
mod tests;
