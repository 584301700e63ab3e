//! Pacing per token: a sliding window that makes a call wait for a free
//! slot instead of letting the remote answer 429, and the key that lets
//! every connector of one token share one pacer.

use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The key of a token's pacer and remembered look-ups: the system's name
/// and a hash of the token. The order connector and the catalogue reader of
/// one token get the same key, so they share one pace; the token itself
/// never sits in a map key.
pub fn pacer_key(system: &str, token: &[u8]) -> String {
    let digest = Sha256::digest(token);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{system}:{hex}")
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
}
