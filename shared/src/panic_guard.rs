//! One panic ends one task, never the process.
//!
//! A panic is a bug in Ferry: every remote value is checked where it is
//! read. But a bug met on one tenant's order must not stop every other
//! tenant's work, nor stop it again after each restart while that order
//! waits. So each unit of work (one HTTP request, one delivery, one poll,
//! one item of a scheduled pass) runs through [`catch`], and a panic in it
//! becomes a [`Panicked`] that its caller records in words, as it records
//! any other failure of that unit. The release profile unwinds
//! (`panic = "unwind"` in the workspace's Cargo.toml) so that this holds in
//! production as it does in tests.
//!
//! Catching is sound here ([`AssertUnwindSafe`]): what outlives a unit of
//! work is the store (every write a transaction or a compare-and-swap, so
//! a unit stopped half-way leaves no half-written record) and a few caches
//! behind mutexes whose users already recover a poisoned lock.

use futures::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// A unit of work panicked; the panic's message, for the words of its failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Panicked(pub String);

/// Runs `work`; a panic in it is logged (with `task`, what the work was)
/// and returned as [`Panicked`] instead of unwinding further.
pub async fn catch<F: Future>(task: &str, work: F) -> Result<F::Output, Panicked> {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(output) => Ok(output),
        Err(payload) => {
            let panicked = Panicked(message(payload.as_ref()));
            tracing::error!(task, panic = %panicked, "internal error; only this task failed");
            Err(panicked)
        }
    }
}

/// The message a panic was raised with (`panic!("…")` gives a `&str` or a
/// `String`; anything else has none to show).
pub fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_with_its_message() {
        let answer = catch("test", async { 7 }).await;
        assert_eq!(answer, Ok(7));
        let code = 42;
        let caught = catch("test", async move {
            if code == 42 {
                panic!("the value {code} broke it");
            }
        })
        .await;
        assert_eq!(caught, Err(Panicked("the value 42 broke it".into())));
        let caught = catch("test", async { std::panic::panic_any(3_u8) }).await;
        assert_eq!(caught, Err(Panicked("no message".into())));
    }
}
