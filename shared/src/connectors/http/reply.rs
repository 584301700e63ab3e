//! An answer as it came back, and what its headers say about waiting.

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::time::Duration;

/// An answer as it came back.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The longest `Retry-After` taken at its word (an hour); the pacer holds
/// the token's calls that long, the queue retries within it.
const LONGEST_RETRY_AFTER: f64 = 3600.0;

/// `Retry-After` in seconds (fractions allowed, as Shopify sends them), at
/// most an hour.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let seconds: f64 = value.trim().parse().ok()?;
    if seconds.is_finite() && seconds >= 0.0 {
        Some(Duration::from_secs_f64(seconds.min(LONGEST_RETRY_AFTER)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fractional_retry_after() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "2.5".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(2500)));
    }
}
