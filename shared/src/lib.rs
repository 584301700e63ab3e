//! Ferry: moves orders from webshops into accounting systems, and products
//! and stock back. Everything with logic in it lives in this crate; the
//! Lambda functions and `ferry-local` only wire adapters and hand events here.

#[cfg(feature = "webhooks")]
pub mod api;
pub mod app;
pub mod aws;
pub mod clock;
pub mod config;
pub mod connectors;
pub mod dead_letters;
pub mod events;
pub mod flows;
pub mod health;
pub mod intake;
pub mod lambda;
pub mod mail;
pub mod mapping;
pub mod model;
pub mod panic_guard;
pub mod pipeline;
pub mod queue;
pub mod reminders;
pub mod schedule;
pub mod scheduler;
pub mod seal;
pub mod store;
pub mod subscription;
pub mod telemetry;
#[cfg(test)]
mod testing;

pub use app::{Ferry, Limits};
