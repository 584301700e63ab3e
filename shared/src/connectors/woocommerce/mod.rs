//! WooCommerce, one shop per system. This module is the client and
//! WooCommerce as a source of orders: webhook signatures and the set-up
//! ping, the REST v3 order, and a credentials check against the REST API.
//! Beside it: `order` (the REST v3 order read into the canonical order),
//! `poll` (listing changed orders), `catalog` and `customers` (WooCommerce as
//! the target of the reverse flows), `errors` (WordPress's error bodies in
//! words) and `html` (the entities WordPress writes into text).
//!
//! Configuration: `base_url`, the shop's site (`https://shop.example.com`,
//! or with its WordPress folder). Credentials: `consumer_key` and
//! `consumer_secret` (a REST API key with read access) and `webhook_secret`
//! (the secret typed into the webhook, needed to accept webhooks).
//!
//! The keys travel as HTTP Basic authentication, which WooCommerce only
//! accepts over HTTPS, so a plain `http://` address is refused unless it is
//! this machine's own (sandboxes, tests).

pub mod catalog;
pub mod customers;
mod errors;
mod html;
mod order;
pub mod payments;
mod poll;
pub mod refund;

use super::address::{config_base, WOOCOMMERCE};
use super::http::{
    exchange, hold_after_429, pacer_key, send, succeeded, HttpClient, Pacer, Reply, Settings,
};
use super::webshop::header_text;
use super::{
    ConfigError, ConnectorError, DeliveryInfo, Inbound, OrderPage, ParseError, Source,
    WebhookError, WebhookRequest,
};
use crate::model::{Order, Payment, System};
use crate::seal::Credentials;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use errors::error_words;
use reqwest::Method;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

const SYSTEM: &str = "WooCommerce";
const SIGNATURE_HEADER: &str = "X-WC-Webhook-Signature";
/// WooCommerce documents no rate limit; its host is often a small server,
/// so Ferry keeps to a gentle pace of its own.
const PACE: usize = 10;
const PACE_WINDOW: Duration = Duration::from_secs(1);
/// How long the catalogue's and customers' calls hold back after a 429
/// that does not say.
const DEFAULT_PAUSE: Duration = Duration::from_secs(2);

pub struct WooCommerce {
    base_url: String,
    consumer_key: String,
    consumer_secret: String,
    /// Already entity-decoded, as WooCommerce signs with it.
    webhook_secret: Option<String>,
    http: HttpClient,
    pacer: Arc<Pacer>,
}

impl WooCommerce {
    pub fn new(
        system: &System,
        credentials: &Credentials,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        let settings = Settings { system };
        let Some(site) = settings.text("base_url")? else {
            return Err(settings.error(
                "base_url",
                "add the shop's address (base_url), e.g. https://shop.example.com",
            ));
        };
        // A public https site only (WooCommerce accepts API keys only over
        // HTTPS); a sandbox on loopback where private networks are allowed.
        let base_url = config_base(system, "base_url", &site, WOOCOMMERCE, http.network())?
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        let required = |field: &str, what: &str| {
            settings
                .secret(credentials, field)
                .ok_or_else(|| settings.error(field, &format!("add the {what} ({field})")))
        };
        let consumer_key = required("consumer_key", "REST API consumer key, ck_…")?;
        let consumer_secret = required("consumer_secret", "REST API consumer secret, cs_…")?;
        let webhook_secret = settings
            .secret(credentials, "webhook_secret")
            .map(|secret| html::decode_special_chars(&secret));
        let pacer = http.pacer(
            &pacer_key("woocommerce", consumer_key.as_bytes()),
            PACE,
            PACE_WINDOW,
        );
        Ok(Self {
            base_url,
            consumer_key,
            consumer_secret,
            webhook_secret,
            http,
            pacer,
        })
    }

    /// A request to a `wc/v3` path with the shop's keys.
    fn request(
        &self,
        method: Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, ConnectorError> {
        let url = format!("{}/wp-json/wc/v3/{path}", self.base_url);
        Ok(self
            .http
            .request(method, url)?
            .basic_auth(&self.consumer_key, Some(&self.consumer_secret))
            .header(reqwest::header::ACCEPT, "application/json"))
    }

    /// A call to a `wc/v3` path, paced; the answer whatever its status
    /// (catalogue and customers sort it themselves).
    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply, ConnectorError> {
        let mut request = self.request(method, path)?.query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        send(SYSTEM, &self.pacer, request, DEFAULT_PAUSE).await
    }

    /// `GET` of a `wc/v3` path with its query: the body of a 2xx answer, or
    /// the failure sorted for retrying.
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<u8>, ConnectorError> {
        self.get_with_headers(path, query)
            .await
            .map(|(body, _)| body)
    }

    /// Like [`Self::get`], with the answer's headers.
    async fn get_with_headers<Q: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        query: &Q,
    ) -> Result<(Vec<u8>, reqwest::header::HeaderMap), ConnectorError> {
        let request = self.request(Method::GET, path)?.query(query);
        let reply = exchange(SYSTEM, &self.pacer, request).await?;
        // Reads of orders hold the pacer only for what a 429 says.
        hold_after_429(&self.pacer, &reply, None).await;
        let reply = succeeded(SYSTEM, reply, error_words)?;
        Ok((reply.body, reply.headers))
    }
}

#[async_trait]
impl Source for WooCommerce {
    fn verify_webhook(&self, request: WebhookRequest<'_>) -> Result<Inbound, WebhookError> {
        let Some(signature) = request.headers.get(SIGNATURE_HEADER) else {
            // WooCommerce's only unsigned request: the ping when a webhook is
            // saved, which must be answered 200 or the webhook stays broken.
            if is_ping(request.body) {
                return Ok(Inbound::Ping);
            }
            return Err(WebhookError::MissingSignature {
                header: SIGNATURE_HEADER,
            });
        };
        let Some(secret) = &self.webhook_secret else {
            return Err(WebhookError::NoSecret);
        };
        let signature = signature.to_str().unwrap_or_default();
        if !super::signature::verify(secret.as_bytes(), request.body, signature) {
            return Err(WebhookError::BadSignature {
                header: SIGNATURE_HEADER,
            });
        }
        Ok(Inbound::Delivery(DeliveryInfo {
            delivery_id: header_text(request.headers, &["x-wc-webhook-delivery-id"]),
            topic: header_text(request.headers, &["x-wc-webhook-topic"]),
        }))
    }

    fn parse_order(&self, body: &[u8]) -> Result<Order, ParseError> {
        order::parse(body)
    }

    async fn test_credentials(&self) -> Result<(), ConnectorError> {
        let body = self.get("orders", &[("per_page", "1")]).await?;
        // A 200 that is not a list of orders: a WordPress without the REST
        // routes (plain permalinks) or another site answered.
        serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&body).map_err(|_| {
            ConnectorError::permanent(format!(
                "{} answered, but not as the WooCommerce REST API: check the address and that \
                 WordPress permalinks are not set to 'Plain'",
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
        let position = match page {
            None => poll::Position::FIRST,
            Some(token) => poll::Position::parse(token)?,
        };
        let restart = || async { self.list_page(since, 1).await.map(|(b, c)| (b, c, 1)) };
        let (body, counts, page) = match self.list_page(since, position.page).await {
            // The listing shrank (or the page is gone): start it again.
            Ok((_, counts)) if position.page > 1 && counts.total < position.total => {
                restart().await?
            }
            Err(ConnectorError::Permanent { .. }) if position.page > 1 => restart().await?,
            answer => answer.map(|(b, c)| (b, c, position.page))?,
        };
        poll::page(&body, page, counts)
    }

    /// The paid order's one payment, read from the order (`date_paid`).
    async fn payments(&self, order: &Order, raw: &[u8]) -> Result<Vec<Payment>, ConnectorError> {
        payments::of_order(order, raw).map_err(|e| ConnectorError::permanent(e.0))
    }
}

impl WooCommerce {
    /// One page of orders modified after `since`, with the listing's counts.
    async fn list_page(
        &self,
        since: DateTime<Utc>,
        page: usize,
    ) -> Result<(Vec<u8>, poll::Counts), ConnectorError> {
        let (body, headers) = self
            .get_with_headers("orders", &poll::query(since, page))
            .await?;
        let counts = poll::counts(&headers).ok_or_else(|| {
            ConnectorError::permanent(format!(
                "{} listed orders without X-WP-Total / X-WP-TotalPages headers; check that no \
                 cache or firewall strips them",
                self.base_url
            ))
        })?;
        Ok((body, counts))
    }
}

/// `webhook_id=12`: the form body of WooCommerce's set-up ping.
fn is_ping(body: &[u8]) -> bool {
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return false;
    };
    matches!(fields.as_slice(), [(name, id)]
        if name == "webhook_id" && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests;
