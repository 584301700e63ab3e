//! Pacing per token: a sliding window that makes a call wait for a free
//! slot instead of letting the remote answer 429, and the key that lets
//! every connector of one token share one pacer.
//!
//! A call waits in place at most [`LONGEST_HOLD`]: a longer wait (a 429's
//! `Retry-After` of minutes) is refused at once with how long it is, so
//! that no worker sits idle holding a transfer; the delivery loop sends
//! the message back to the queue with that delay instead, and the pacer
//! remembers the pause for every call of the token meanwhile.

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

/// The longest a call waits in place for its slot.
pub const LONGEST_HOLD: Duration = Duration::from_secs(10);

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

    /// Waits until one more request fits in the window, then records it;
    /// `Err(wait)` at once, recording nothing, when that would take longer
    /// than [`LONGEST_HOLD`].
    pub async fn acquire(&self) -> Result<(), Duration> {
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
                    return Ok(());
                }
                // Until the oldest leaves the window (after a pause, its
                // stamp lies ahead of now).
                match sent.front() {
                    Some(oldest) => (*oldest + self.window).saturating_duration_since(now),
                    None => Duration::ZERO,
                }
            };
            if wait > LONGEST_HOLD {
                return Err(wait);
            }
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
        pacer.acquire().await.unwrap();
        pacer.acquire().await.unwrap();
        assert!(start.elapsed() < Duration::from_millis(100));
        pacer.acquire().await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn a_pause_longer_than_the_hold_is_refused_at_once_with_its_length() {
        let pacer = Pacer::new(2, Duration::from_secs(1));
        pacer.pause(Duration::from_secs(600)).await;
        let start = Instant::now();
        let wait = pacer.acquire().await.unwrap_err();
        assert!(start.elapsed() < Duration::from_millis(100));
        assert!(
            wait > Duration::from_secs(598) && wait <= Duration::from_secs(600),
            "{wait:?}"
        );
        // Remembered: the next call is refused too.
        assert!(pacer.acquire().await.is_err());
    }

    #[tokio::test]
    async fn a_pause_within_the_hold_is_waited_out() {
        let pacer = Pacer::new(2, Duration::from_millis(100));
        pacer.pause(Duration::from_millis(300)).await;
        let start = Instant::now();
        pacer.acquire().await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(300));
    }
}
