//! The Store port: everything Ferry keeps, as one small trait per
//! aggregate, and [`Store`], the sum of them that the services hold as
//! `Arc<dyn Store>`:
//!
//! - [`ConfigStore`] (`config.rs`): tenants, settings, systems, connections;
//! - [`DirectoryStore`] (`directory.rs`): users, clients and warehouses;
//! - [`TransferStore`] (`transfers.rs`): transfers and the transfer log;
//! - [`CatalogStore`] (`catalog.rs`): what catalogue connections last sent;
//! - [`UsageStore`] (`usage.rs`): the subscription and the usage counters;
//! - [`LogStore`] (`logs.rs`): service events;
//! - [`ReminderStore`] (`reminders.rs`): reminder settings, incidents, notices;
//! - [`SetupStore`] (`setup.rs`): a tenant's set-up read at once.
//!
//! Two implementations: [`dynamodb::DynamoStore`] (one table, see
//! `infra/template.yaml`) and [`embedded::EmbeddedStore`] (a redb file, for
//! ferry-local and fast tests). Both pass the same conformance suite, which
//! lives with the test kit (`testkit/`, crate `ferry-testkit`).
//!
//! The store offers plain, atomic building blocks (create-if-absent,
//! compare-and-swap on a version, conditional markers); the rules that use
//! them (which delivery wins, when a transfer is delivered) live once in
//! `pipeline` and `intake`, and a transfer's next state (with its version)
//! is made by its transitions in `model::transfer`. Nothing here imports a
//! service module: only `model` (and `seal` in tests).

mod catalog;
mod config;
mod directory;
pub mod dynamodb;
#[cfg(feature = "embedded")]
pub mod embedded;
mod logs;
mod reminders;
mod setup;
mod transfers;
mod usage;

pub use catalog::CatalogStore;
pub use config::ConfigStore;
pub use directory::DirectoryStore;
pub use logs::{LogQuery, LogStore, LOG_READ_BUDGET};
pub use reminders::{ReminderStore, NOTICE_DAYS};
pub use setup::{SetupStore, TenantSetup};
pub use transfers::{TransferQuery, TransferStore, TRANSFER_READ_BUDGET};
pub use usage::UsageStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A create found the item already there.
    #[error("already exists")]
    AlreadyExists,
    /// A compare-and-swap found another version: re-read and decide again.
    #[error("changed by someone else (version conflict)")]
    Conflict,
    /// The storage could not be reached or answered with an error; a retry may help.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back (a bug or a damaged item).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// One page of a list, with the cursor of the next page. A page may hold
/// fewer items than asked for, even none, and still a `next`: lists read a
/// bounded amount per request and say where to go on.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque; `None` on the last page.
    pub next: Option<String>,
}

/// Everything Ferry keeps: every aggregate's port at once. Every method is
/// scoped by tenant where the data is a tenant's, so a tenant's id can never
/// reach another tenant's items. Implemented for every type that implements
/// the parts; nothing implements it by hand.
pub trait Store:
    ConfigStore
    + DirectoryStore
    + TransferStore
    + CatalogStore
    + UsageStore
    + LogStore
    + ReminderStore
    + SetupStore
{
}

impl<T> Store for T where
    T: ConfigStore
        + DirectoryStore
        + TransferStore
        + CatalogStore
        + UsageStore
        + LogStore
        + ReminderStore
        + SetupStore
{
}

/// Clamps a requested page size to 1..=500 (0 means 50).
pub fn page_limit(requested: usize) -> usize {
    match requested {
        0 => 50,
        n => n.min(500),
    }
}
