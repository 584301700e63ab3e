//! e-conomic (Visma), one agreement per system: the order connector
//! ([`Economic`], in `client`), the catalogue reader ([`EconomicCatalog`],
//! in `catalog`) and the words of e-conomic's error bodies (`errors`).
//!
//! What both connectors share is here: the API's address, the agreement's
//! tokens as headers, and the key by which they share one pacer and one
//! memory of look-ups. The documents themselves are made by
//! `crate::mapping::economic`, which knows no connector.

mod catalog;
mod client;
pub mod credit;
mod currency;
mod errors;
mod payments;

pub use catalog::{EconomicCatalog, PAGE_SIZE};
pub use client::{filter_value, Economic};
pub use errors::describe_error;

use crate::connectors::address;
use crate::connectors::http::{pacer_key, HttpClient, Settings};
use crate::connectors::ConfigError;
use crate::model::System;
use crate::seal::Credentials;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT};
use std::time::Duration;
use url::Url;

const SYSTEM: &str = "e-conomic";
const DEFAULT_BASE_URL: &str = "https://restapi.e-conomic.com";
/// Calls per second per agreement, on average over the order connector's window: bursts
/// of a few orders pass untouched, a runaway loop cannot eat the
/// agreement's daily fair-use budget in minutes. The system's optional
/// `calls_per_second` setting changes it (for an agreement with a larger
/// allowance, or a sandbox).
const CALLS_PER_SECOND: usize = 10;
/// How long to hold back after a 429 that does not say.
const DEFAULT_PAUSE: Duration = Duration::from_secs(2);

/// The API's address: the system's `base_url` (a sandbox), else e-conomic's.
fn base(system: &System, http: &HttpClient) -> Result<Url, ConfigError> {
    address::base_url_or(system, DEFAULT_BASE_URL, address::ECONOMIC, http.network())
}

/// The agreement's tokens as the headers of every call, and the key of the
/// agreement's pacer and look-ups (a hash of the grant token).
fn agreement(
    config: &Settings,
    credentials: &Credentials,
) -> Result<(HeaderMap, String), ConfigError> {
    let app_secret = config.secret_header(credentials, "app_secret_token", "app secret token")?;
    let grant = config.secret_header(
        credentials,
        "agreement_grant_token",
        "agreement grant token",
    )?;
    let key = pacer_key("economic", grant.as_bytes());
    let mut headers = HeaderMap::new();
    headers.insert(HeaderName::from_static("x-appsecrettoken"), app_secret);
    headers.insert(HeaderName::from_static("x-agreementgranttoken"), grant);
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    Ok((headers, key))
}
