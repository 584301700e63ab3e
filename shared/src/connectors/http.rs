//! What every connector shares for HTTP: one client (made once per process)
//! that reaches only the addresses its [`Network`] allows and follows no
//! redirect, pacing per token, and the sorting of failures into transient,
//! permanent and unauthorized.

use super::address::{self, GuardedResolver, Network};
use super::ConnectorError;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// How long a remembered answer is trusted: long enough to save calls on a
/// busy day, short enough that a product deleted by hand is noticed soon
/// (and a refusal forgets everything at once, see [`Lookups::forget_all`]).
const LOOKUP_TTL: Duration = Duration::from_secs(600);
/// At most this many answers per key; the oldest go first.
const LOOKUP_MAX: usize = 10_000;

/// Answers a remote gave about things that rarely change (a product number
/// exists, the customer with this email has number 17), each for a while.
pub struct Lookups {
    ttl: Duration,
    max: usize,
    entries: Mutex<HashMap<String, (String, Instant)>>,
    /// Held while something is looked up and made when missing: one turn
    /// per stripe, a key always in the same stripe (see [`Self::one_at_a_time`]).
    making: Vec<tokio::sync::Mutex<()>>,
}

/// Turns of different keys rarely share a stripe, so different customers
/// are made side by side while one customer's two orders take turns.
const TURN_STRIPES: usize = 64;

impl Lookups {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max: max.max(1),
            entries: Mutex::default(),
            making: (0..TURN_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        match self.entries.lock() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The remembered answer for `question`, unless it is too old.
    pub fn get(&self, question: &str) -> Option<String> {
        let entries = self.entries();
        entries
            .get(question)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(answer, _)| answer.clone())
    }

    pub fn remember(&self, question: &str, answer: &str) {
        let mut entries = self.entries();
        if entries.len() >= self.max && !entries.contains_key(question) {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
            if entries.len() >= self.max {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, (_, at))| *at)
                    .map(|(q, _)| q.clone());
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(question.to_owned(), (answer.to_owned(), Instant::now()));
    }

    /// One "look it up, make it when missing" at a time for `key`: a remote
    /// without a unique key for a thing (customers in e-conomic and Fortnox)
    /// would otherwise get it twice from two orders of one new customer
    /// delivered at the same moment. Other keys go on meanwhile (unless
    /// they share the stripe). Ask the memory again once the turn has come.
    pub async fn one_at_a_time(&self, key: &str) -> tokio::sync::MutexGuard<'_, ()> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(key, &mut hasher);
        let stripe = std::hash::Hasher::finish(&hasher) as usize % self.making.len();
        self.making[stripe].lock().await
    }

    /// Forgets every answer: after the remote refused something, nothing
    /// remembered is trusted (a product may have been deleted by hand).
    pub fn forget_all(&self) {
        self.entries().clear();
    }
}

/// A sliding-window limiter: at most `max` requests in any `window`.
/// `acquire` waits for a free slot instead of letting the remote answer 429.
pub struct Pacer {
    max: usize,
    window: Duration,
    sent: tokio::sync::Mutex<VecDeque<Instant>>,
}

impl Pacer {
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max: max.max(1),
            window,
            sent: tokio::sync::Mutex::new(VecDeque::new()),
        }
    }

    /// Waits until one more request fits in the window, then records it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut sent = self.sent.lock().await;
                let now = Instant::now();
                while sent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    sent.pop_front();
                }
                if sent.len() < self.max {
                    sent.push_back(now);
                    return;
                }
                match sent.front() {
                    Some(oldest) => self.window.saturating_sub(now.duration_since(*oldest)),
                    None => Duration::ZERO,
                }
            };
            tokio::time::sleep(wait + Duration::from_millis(1)).await;
        }
    }

    /// Holds every request back for `pause` (after a 429 with `Retry-After`).
    pub async fn pause(&self, pause: Duration) {
        let mut sent = self.sent.lock().await;
        let until = Instant::now() + pause;
        let stamp = until.checked_sub(self.window).unwrap_or(until);
        sent.clear();
        for _ in 0..self.max {
            sent.push_back(stamp);
        }
    }
}

/// `Retry-After` in seconds (fractions allowed, as Shopify sends them).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let seconds: f64 = value.trim().parse().ok()?;
    if seconds.is_finite() && seconds >= 0.0 {
        Some(Duration::from_secs_f64(seconds.min(900.0)))
    } else {
        None
    }
}

/// A transport failure (no HTTP answer): worth retrying, unless the
/// address was refused (see [`address`]), which no retry changes.
pub fn transport_error(system: &str, error: &reqwest::Error) -> ConnectorError {
    if let Some(refused) = address::refusal_in(error) {
        return ConnectorError::permanent(format!("{system}: {refused}"));
    }
    let what = if error.is_timeout() {
        "did not answer in time"
    } else if error.is_connect() {
        "could not be reached"
    } else {
        "broke off the connection"
    };
    ConnectorError::transient(format!("{system} {what}; Ferry will try again"))
}

/// Sorts an HTTP error status. `detail` is the remote's own message, already
/// turned into words by the connector.
pub fn status_error(
    system: &str,
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    detail: &str,
) -> ConnectorError {
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    };
    match status.as_u16() {
        300..=399 => ConnectorError::permanent(format!(
            "{system} answered with a redirect ({}); Ferry follows no redirects, so check the \
             system's address",
            status.as_u16()
        )),
        429 => ConnectorError::Transient {
            message: format!(
                "{system} asked Ferry to slow down (429){detail}; Ferry will try again"
            ),
            retry_after: retry_after(headers),
        },
        401 | 403 => ConnectorError::Unauthorized {
            message: format!(
                "{system} refused the credentials ({}){detail}; update them under Systems",
                status.as_u16()
            ),
        },
        408 | 500..=599 => ConnectorError::Transient {
            message: format!(
                "{system} had a temporary problem ({}){detail}; Ferry will try again",
                status.as_u16()
            ),
            retry_after: retry_after(headers),
        },
        code => ConnectorError::permanent(format!("{system} refused the request ({code}){detail}")),
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

    #[tokio::test]
    async fn a_key_takes_turns_while_other_keys_go_on() {
        let lookups = Lookups::new(Duration::from_secs(60), 10);
        let held = lookups.one_at_a_time("customer:karen@example.com").await;
        let same = tokio::time::timeout(
            Duration::from_millis(50),
            lookups.one_at_a_time("customer:karen@example.com"),
        )
        .await;
        assert!(same.is_err(), "the same key waits for its turn");
        // Some other key is in another stripe and goes on at once.
        let mut went_on = 0;
        for n in 0..8 {
            let other = format!("customer:buyer{n}@example.com");
            let turn =
                tokio::time::timeout(Duration::from_millis(50), lookups.one_at_a_time(&other));
            went_on += usize::from(turn.await.is_ok());
        }
        assert!(went_on >= 7, "{went_on} of 8 other keys went on");
        drop(held);
        let again = tokio::time::timeout(
            Duration::from_millis(50),
            lookups.one_at_a_time("customer:karen@example.com"),
        )
        .await;
        assert!(again.is_ok(), "the turn comes once the first is done");
    }

    #[tokio::test]
    async fn pacer_holds_the_request_over_the_window() {
        let pacer = Pacer::new(2, Duration::from_millis(200));
        let start = Instant::now();
        pacer.acquire().await;
        pacer.acquire().await;
        assert!(start.elapsed() < Duration::from_millis(100));
        pacer.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(200));
    }

    #[test]
    fn lookups_remember_for_a_while_and_forget_on_demand() {
        let lookups = Lookups::new(Duration::from_millis(50), 2);
        lookups.remember("product:MUG-1", "");
        std::thread::sleep(Duration::from_millis(2));
        lookups.remember("customer:a@example.com", "17");
        assert_eq!(lookups.get("customer:a@example.com").as_deref(), Some("17"));
        assert_eq!(lookups.get("product:MUG-1").as_deref(), Some(""));
        assert_eq!(lookups.get("product:OTHER"), None);
        // Full: the oldest answer makes room.
        lookups.remember("customer:b@example.com", "18");
        assert_eq!(lookups.get("product:MUG-1"), None);
        assert_eq!(lookups.get("customer:b@example.com").as_deref(), Some("18"));
        lookups.forget_all();
        assert_eq!(lookups.get("customer:b@example.com"), None);
        lookups.remember("customer:c@example.com", "19");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(lookups.get("customer:c@example.com"), None, "too old");
    }

    #[test]
    fn sorts_statuses() {
        let headers = reqwest::header::HeaderMap::new();
        assert!(matches!(
            status_error(
                "e-conomic",
                reqwest::StatusCode::SERVICE_UNAVAILABLE,
                &headers,
                ""
            ),
            ConnectorError::Transient { .. }
        ));
        assert!(matches!(
            status_error("e-conomic", reqwest::StatusCode::UNAUTHORIZED, &headers, ""),
            ConnectorError::Unauthorized { .. }
        ));
        assert!(matches!(
            status_error("e-conomic", reqwest::StatusCode::BAD_REQUEST, &headers, "x"),
            ConnectorError::Permanent { .. }
        ));
    }

    #[test]
    fn reads_fractional_retry_after() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "2.5".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(2500)));
    }
}
