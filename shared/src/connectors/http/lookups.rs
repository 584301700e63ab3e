//! What a remote said a moment ago, remembered per token for a while, and
//! the turns that keep two orders of one new customer from making it twice.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a remembered answer is trusted: long enough to save calls on a
/// busy day, short enough that a product deleted by hand is noticed soon
/// (and a refusal forgets everything at once, see [`Lookups::forget_all`]).
pub(super) const LOOKUP_TTL: Duration = Duration::from_secs(600);
/// At most this many answers per key; the oldest go first.
pub(super) const LOOKUP_MAX: usize = 10_000;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
