//! ferry-testkit: what tests and benchmarks use to judge Ferry, kept out of
//! the crates the functions ship. Only the `tests` crate, ferry-local's
//! benchmarks and this crate's own tests depend on it.
//!
//! - [`conformance`]: the contract every `ferry::store::Store` keeps, as
//!   code; `tests/conformance.rs` runs it on the embedded store (and through
//!   the counting store), `tests/blackbox/dynamodb.rs` on DynamoDB;
//! - [`counting`]: any store, with a count of the calls made to it;
//! - [`write_units`]: what DynamoDB would charge for the requests sent;
//! - [`cost`]: what a million orders cost at AWS list prices.

pub mod conformance;
pub mod cost;
pub mod counting;
pub mod write_units;
