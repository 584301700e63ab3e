//! The one REST client every connector calls through: made once per
//! process, it reaches only the addresses its [`Network`] allows and follows
//! no redirect. Around it, what every connector shares:
//!
//! - [`api`]: one system's API as one token reaches it ([`Api`]: the
//!   token's headers and pacer), what the ledgers' connectors call through;
//! - [`call`]: a call paced per token, with the pause a 429 asks for, and
//!   the whole answer read ([`Reply`]);
//! - [`reply`]: an answer as it came back, and its `Retry-After`;
//! - [`refusals`]: the sorting of failures into transient, permanent and
//!   unauthorized, and the JSON of an answer;
//! - [`pacer`]: the sliding window per token, and the key ([`pacer_key`])
//!   that lets the connectors of one token share it;
//! - [`lookups`]: what a remote said a moment ago, remembered per token;
//! - [`settings`]: a system's configuration and credentials read with the
//!   field named in every error.
//!
//! Each connector keeps only what is its system's own: its paths, headers
//! and the words of its error bodies.

mod api;
mod call;
mod lookups;
mod pacer;
mod refusals;
mod reply;
mod settings;

pub use api::Api;
pub use call::{exchange, hold_after_429, send, MAX_ANSWER_BYTES};
pub use lookups::Lookups;
pub use pacer::{pacer_key, Pacer};
pub use refusals::{json_after_write, json_of, refusal, status_error, succeeded, transport_error};
pub use reply::{retry_after, Reply};
pub use settings::Settings;

use super::address::{self, GuardedResolver, Network};
use super::ConnectorError;
use lookups::{LOOKUP_MAX, LOOKUP_TTL};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One `reqwest` client, the pacers and the remembered look-ups, shared by
/// all connectors of a process.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    network: Network,
    pacers: Arc<Mutex<HashMap<String, Arc<Pacer>>>>,
    lookups: Arc<Mutex<HashMap<String, Arc<Lookups>>>>,
}

impl HttpClient {
    /// `timeout` bounds each whole request (connect + answer). Private
    /// addresses are reachable only when `FERRY_ALLOW_PRIVATE_NETWORKS=1`
    /// (see [`Network::from_env`]).
    pub fn new(timeout: Duration) -> Self {
        Self::on_network(timeout, Network::from_env())
    }

    /// A client that connects only where `network` allows. No redirect is
    /// followed (a redirect would carry the credentials' headers to a host
    /// nobody checked), no proxy from the environment is used (the check
    /// must be on the address connected to), and every host name is
    /// resolved through [`GuardedResolver`].
    pub fn on_network(timeout: Duration, network: Network) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("Ferry/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let to = attempt
                    .url()
                    .host_str()
                    .unwrap_or("another address")
                    .to_owned();
                attempt.error(address::Refused(format!(
                    "the answer was a redirect to {to}; Ferry follows no redirects (the \
                     credentials would go along), so check the system's address"
                )))
            }))
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { network }))
            .build()
            .unwrap_or_default();
        Self {
            client,
            network,
            pacers: Arc::default(),
            lookups: Arc::default(),
        }
    }

    /// The remembered look-ups for `key` (e.g. a hash of the agreement's
    /// token): what a remote said a moment ago, so it is not asked again
    /// for every order. The same key always gets the same memory.
    pub fn lookups(&self, key: &str) -> Arc<Lookups> {
        let mut lookups = match self.lookups.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        lookups
            .entry(key.to_owned())
            .or_insert_with(|| Arc::new(Lookups::new(LOOKUP_TTL, LOOKUP_MAX)))
            .clone()
    }

    /// Which addresses this client may reach; connectors check their base
    /// URL against it ([`address::api_base`]).
    pub fn network(&self) -> Network {
        self.network
    }

    /// A request to `url`. An address written as an IP literal never goes
    /// through the resolver, so it is checked here; host names are checked
    /// by the resolver when the connection is made.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: impl reqwest::IntoUrl,
    ) -> Result<reqwest::RequestBuilder, ConnectorError> {
        let url = url
            .into_url()
            .map_err(|_| ConnectorError::permanent("the system's address is not a valid URL"))?;
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal.filter(|ip| !self.network.allows(*ip)) {
            return Err(ConnectorError::permanent(format!(
                "{ip} is a private address; Ferry connects only to public addresses"
            )));
        }
        Ok(self.client.request(method, url))
    }

    pub fn get(
        &self,
        url: impl reqwest::IntoUrl,
    ) -> Result<reqwest::RequestBuilder, ConnectorError> {
        self.request(reqwest::Method::GET, url)
    }

    /// The pacer for `key` (e.g. a hash of the access token), allowing
    /// `max_requests` per `window`. The same key always gets the same pacer.
    pub fn pacer(&self, key: &str, max_requests: usize, window: Duration) -> Arc<Pacer> {
        let mut pacers = match self.pacers.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        pacers
            .entry(key.to_owned())
            .or_insert_with(|| Arc::new(Pacer::new(max_requests, window)))
            .clone()
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new(Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn on_a_public_network_no_connection_reaches_loopback() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let http = HttpClient::on_network(Duration::from_secs(2), Network::PUBLIC_ONLY);
        // A host name is refused by the resolver, at connect time.
        let error = http
            .get(format!("http://localhost:{port}/"))
            .unwrap()
            .header("X-AppSecretToken", "secret")
            .send()
            .await
            .unwrap_err();
        match transport_error("e-conomic", &error) {
            ConnectorError::Permanent { message } => {
                assert!(message.contains("private address"), "{message}")
            }
            other => panic!("a refusal is permanent: {other:?}"),
        }
        // An IP literal never reaches the resolver: refused before sending.
        assert!(http.get(format!("http://127.0.0.1:{port}/")).is_err());
        assert!(http
            .get(format!("http://[::ffff:127.0.0.1]:{port}/"))
            .is_err());
        assert!(
            listener.accept().is_err(),
            "nothing connected to the listener"
        );
        // With private networks allowed (tests, the demo) it is reached.
        let allowed = HttpClient::on_network(Duration::from_millis(300), Network::PRIVATE_ALLOWED);
        let _ = allowed
            .get(format!("http://127.0.0.1:{port}/"))
            .unwrap()
            .send()
            .await;
        assert!(listener.accept().is_ok(), "reached when allowed");
    }
}
