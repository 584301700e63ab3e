//! Ferry: moves orders from webshops into accounting systems, and products
//! and stock back. Everything with logic in it lives in this crate; the
//! Lambda functions and `ferry-local` only wire adapters and hand events here.

pub mod api;
pub mod clock;
pub mod connectors;
pub mod model;
pub mod queue;
pub mod mail;
pub mod mapping;
pub mod schedule;
pub mod seal;
pub mod store;
pub mod app;
pub mod aws;
pub mod reminders;
pub mod scheduler;
pub mod health;
pub mod polling;
pub mod config;
pub mod intake;
pub mod lambda;
pub mod pipeline;
pub mod telemetry;

pub use app::{Ferry, Limits};
