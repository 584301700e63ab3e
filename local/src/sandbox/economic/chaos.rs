//! Chaos mode for the e-conomic and Fortnox sandboxes: a seeded share of
//! requests meets a fault drawn from a weighted mix, and a share of new
//! connections is closed before a request is read. Off unless a test or demo
//! switches it on with [`super::harness::Faults::chaos`].
//!
//! The seed fixes the sequence of draws; which request meets which draw
//! still depends on the order requests arrive in, so two runs inject the
//! same mix in about the same amounts, not on the same requests.

use super::fault::Fault;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

/// What chaos to make.
#[derive(Debug, Clone, PartialEq)]
pub struct Chaos {
    /// Seeds the draws.
    pub seed: u64,
    /// The chance (0 to 1) that a request meets a fault.
    pub share: f64,
    /// The faults a request may meet, each with its weight.
    pub mix: Vec<(Fault, u32)>,
    /// The chance (0 to 1) that a new connection is closed as soon as it is
    /// accepted (the client sees a reset before any answer).
    pub refuse_share: f64,
}

impl Chaos {
    /// The reliability suite's storm: `share` of requests fail, spread over
    /// dropped connections, 500, 503, 429 (with e-conomic's whole-second
    /// `Retry-After`), answers slower than `client_timeout`, and carried-out
    /// requests whose answer (a 201 on a create) is cut in half. Rate
    /// limiting is the rarest: its `Retry-After` holds every call of the
    /// agreement, as it does against the real API.
    pub fn storm(seed: u64, share: f64, client_timeout: Duration) -> Self {
        Self {
            seed,
            share,
            mix: vec![
                (Fault::DropConnection, 6),
                (Fault::ServerError, 6),
                (Fault::Unavailable, 6),
                (Fault::CutBody, 6),
                (Fault::Slow(client_timeout + Duration::from_millis(200)), 4),
                (
                    Fault::TooManyRequests {
                        retry_after_secs: 1,
                    },
                    2,
                ),
            ],
            refuse_share: share / 10.0,
        }
    }
}

/// Chaos switched on: the configuration and its random source.
#[derive(Debug)]
pub(super) struct Storm {
    rng: StdRng,
    share: f64,
    refuse_share: f64,
    faults: Vec<Fault>,
    weights: Option<WeightedIndex<u32>>,
}

impl Storm {
    pub(super) fn new(chaos: Chaos) -> Self {
        let (faults, weights): (Vec<Fault>, Vec<u32>) = chaos.mix.into_iter().unzip();
        Self {
            rng: StdRng::seed_from_u64(chaos.seed),
            share: chaos.share.clamp(0.0, 1.0),
            refuse_share: chaos.refuse_share.clamp(0.0, 1.0),
            // An empty mix or one of zero weights injects nothing.
            weights: WeightedIndex::new(&weights).ok(),
            faults,
        }
    }

    /// The fault this request meets, if any.
    pub(super) fn draw(&mut self) -> Option<Fault> {
        let weights = self.weights.as_ref()?;
        if !self.rng.gen_bool(self.share) {
            return None;
        }
        self.faults.get(weights.sample(&mut self.rng)).cloned()
    }

    /// Whether a new connection is closed at once.
    pub(super) fn refuse(&mut self) -> bool {
        self.rng.gen_bool(self.refuse_share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_faults_in_about_the_share_asked() {
        let chaos = Chaos::storm(7, 0.3, Duration::from_millis(100));
        let draws = |chaos: Chaos| {
            let mut storm = Storm::new(chaos);
            (0..10_000).map(|_| storm.draw()).collect::<Vec<_>>()
        };
        let first = draws(chaos.clone());
        assert_eq!(first, draws(chaos));
        let hit = first.iter().filter(|d| d.is_some()).count();
        assert!((2_700..3_300).contains(&hit), "{hit} of 10,000");
        for fault in [Fault::ServerError, Fault::CutBody, Fault::DropConnection] {
            assert!(
                first.contains(&Some(fault.clone())),
                "{fault:?} never drawn"
            );
        }
    }

    #[test]
    fn an_empty_mix_injects_nothing() {
        let mut storm = Storm::new(Chaos {
            seed: 1,
            share: 1.0,
            mix: vec![],
            refuse_share: 0.0,
        });
        assert_eq!(storm.draw(), None);
        assert!(!storm.refuse());
    }
}
