//! Fortnox, one access token per system: the order connector ([`Fortnox`],
//! in `client`), the catalogue reader ([`FortnoxCatalog`], in `catalog`) and
//! the words of Fortnox's error bodies (`errors`).
//!
//! What both connectors share is here: the API's address, the token as a
//! header, Fortnox's rate limit, and the key by which every connector of a
//! token shares one pacer. The documents themselves are made by
//! `crate::mapping::fortnox`, which knows no connector.

mod catalog;
mod client;
pub mod credit;
mod currency;
mod errors;
mod payments;

pub use catalog::{FortnoxCatalog, BALANCE_BATCH, PAGE_SIZE};
pub use client::Fortnox;
pub use errors::describe_error;

use crate::connectors::address;
use crate::connectors::http::{pacer_key, HttpClient, Settings};
use crate::connectors::ConfigError;
use crate::model::System;
use crate::seal::Credentials;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use std::time::Duration;
use url::Url;

const SYSTEM: &str = "Fortnox";
const DEFAULT_BASE_URL: &str = "https://api.fortnox.se";
/// Fortnox's limit: 25 requests in any 5 seconds per access token.
pub const REQUESTS_PER_WINDOW: usize = 25;
/// Fortnox counts requests as they arrive, the pacer as they leave; a quarter
/// second more than Fortnox's 5 s absorbs the network's unevenness.
pub const WINDOW: Duration = Duration::from_millis(5_250);
/// How long to hold back after a 429 that does not say.
const DEFAULT_PAUSE: Duration = Duration::from_secs(5);

/// The API's address: the system's `base_url` (a sandbox), else Fortnox's.
fn base(system: &System, http: &HttpClient) -> Result<Url, ConfigError> {
    address::base_url_or(system, DEFAULT_BASE_URL, address::FORTNOX, http.network())
}

/// The access token as the headers of every call, and the key of the
/// token's pacer and look-ups (a hash of the token).
fn access(
    config: &Settings,
    credentials: &Credentials,
) -> Result<(HeaderMap, String), ConfigError> {
    let token = config.secret(credentials, "access_token").ok_or_else(|| {
        config.error(
            "access_token",
            "access_token is missing: connect Fortnox again to get one",
        )
    })?;
    let authorization =
        config.header("access_token", &format!("Bearer {token}"), "access token")?;
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, authorization);
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    Ok((headers, pacer_key("fortnox", token.as_bytes())))
}
