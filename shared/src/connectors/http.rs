//! What every connector shares for HTTP: one client (made once per process),
//! pacing per token, and the sorting of failures into transient, permanent
//! and unauthorized.

use super::ConnectorError;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One `reqwest` client and the pacers, shared by all connectors of a process.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    pacers: Arc<Mutex<HashMap<String, Arc<Pacer>>>>,
}

impl HttpClient {
    /// `timeout` bounds each whole request (connect + answer).
    pub fn new(timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("Ferry/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            client,
            pacers: Arc::default(),
        }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
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

/// A transport failure (no HTTP answer): always worth retrying.
pub fn transport_error(system: &str, error: &reqwest::Error) -> ConnectorError {
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
