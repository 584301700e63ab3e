//! The Store port: everything Ferry keeps.
//!
//! Two implementations pass the same conformance suite ([`conformance`]):
//! [`dynamodb::DynamoStore`] (one table, see `infra/template.yaml`) and
//! [`embedded::EmbeddedStore`] (a redb file, for ferry-local and fast tests).
//!
//! The store offers plain, atomic building blocks (create-if-absent,
//! compare-and-swap on a version, conditional markers); the rules that use
//! them (which delivery wins, when a transfer is delivered) live once in
//! `pipeline` and `intake`, and a transfer's next state (with its version)
//! is made by its transitions in `model::transfer`.

pub mod conformance;
pub mod counting;
pub mod dynamodb;
pub mod embedded;

use crate::model::{
    Connection, ConnectionId, Directory, Incidents, Level, LogEvent, Notice, ReminderSettings,
    Settings, Subscription, System, SystemId, Tenant, TenantId, Transfer, TransferId,
    TransferStatus, Usage, UsageDelta, User, UserId,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

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

/// One page of a list, with the cursor of the next page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque; `None` on the last page.
    pub next: Option<String>,
}

/// Filters for the transfer log. Newest first (by `received_at`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransferQuery {
    pub status: Option<TransferStatus>,
    pub connection: Option<ConnectionId>,
    /// Exact webshop number (`source_ref`) or target number (`target_ref`).
    pub reference: Option<String>,
    /// `received_at` >= from.
    pub from: Option<DateTime<Utc>>,
    /// `received_at` < to.
    pub to: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    /// At most this many items (1..=500; 0 means 50).
    pub limit: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogQuery {
    pub service: Option<String>,
    /// This level and above.
    pub min_level: Option<Level>,
    pub cursor: Option<String>,
    pub limit: usize,
}

/// Everything Ferry keeps. Every method is scoped by tenant where the data is
/// a tenant's, so a tenant's id can never reach another tenant's items.
#[async_trait]
pub trait Store: Send + Sync {
    // Tenants ---------------------------------------------------------------
    /// Creates a tenant; [`StoreError::AlreadyExists`] if the id is taken.
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>>;
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;
    /// The tenant's switches (defaults when never saved).
    async fn get_settings(&self, tenant: &TenantId) -> StoreResult<Settings>;
    async fn put_settings(&self, tenant: &TenantId, settings: &Settings) -> StoreResult<()>;

    // Users -----------------------------------------------------------------
    /// Creates or replaces (a new user; changes go through [`Store::update_user`]).
    async fn put_user(&self, user: &User) -> StoreResult<()>;
    /// Replaces the user if the stored one still has `expected_version`,
    /// else [`StoreError::Conflict`] (also when the user is gone). `user` is
    /// a change of the stored one, so its `version` is `expected_version + 1`.
    async fn update_user(&self, user: &User, expected_version: u64) -> StoreResult<()>;
    async fn get_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<User>>;
    async fn list_users(&self, tenant: &TenantId) -> StoreResult<Vec<User>>;
    async fn delete_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<bool>;

    // Systems ---------------------------------------------------------------
    /// Creates or replaces.
    async fn put_system(&self, system: &System) -> StoreResult<()>;
    async fn get_system(&self, tenant: &TenantId, id: &SystemId) -> StoreResult<Option<System>>;
    async fn list_systems(&self, tenant: &TenantId) -> StoreResult<Vec<System>>;
    async fn delete_system(&self, tenant: &TenantId, id: &SystemId) -> StoreResult<bool>;

    // Connections -----------------------------------------------------------
    /// Creates or replaces; keeps the due-by-next-run index and the lookup by
    /// id (for webhooks) in step.
    async fn put_connection(&self, connection: &Connection) -> StoreResult<()>;
    async fn get_connection(
        &self,
        tenant: &TenantId,
        id: &ConnectionId,
    ) -> StoreResult<Option<Connection>>;
    /// By id alone: only for the webhook route, whose URL carries no tenant.
    async fn find_connection(&self, id: &ConnectionId) -> StoreResult<Option<Connection>>;
    async fn list_connections(&self, tenant: &TenantId) -> StoreResult<Vec<Connection>>;
    async fn delete_connection(&self, tenant: &TenantId, id: &ConnectionId) -> StoreResult<bool>;
    /// Connections whose `next_run_at` <= `now`, oldest first, at most `limit`,
    /// read from an index (never a scan of all connections).
    async fn due_connections(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Connection>>;

    // Transfers -------------------------------------------------------------
    /// Creates a transfer; [`StoreError::AlreadyExists`] if its id is there.
    async fn create_transfer(&self, transfer: &Transfer) -> StoreResult<()>;
    async fn get_transfer(
        &self,
        tenant: &TenantId,
        id: &TransferId,
    ) -> StoreResult<Option<Transfer>>;
    /// Replaces a transfer if the stored one still has `expected_version`
    /// (else [`StoreError::Conflict`]). `transfer` is a transition of the
    /// stored one, so its `version` is `expected_version + 1`. `usage` is
    /// then added to the tenant's day and month counters, by the winner
    /// only: never counted twice (a crash right after the write may leave
    /// it uncounted).
    async fn update_transfer(
        &self,
        transfer: &Transfer,
        expected_version: u64,
        usage: UsageDelta,
    ) -> StoreResult<()>;
    /// The log, newest first, filtered; payloads are left out (`None`).
    async fn list_transfers(
        &self,
        tenant: &TenantId,
        query: &TransferQuery,
    ) -> StoreResult<Page<Transfer>>;

    // Logs --------------------------------------------------------------------
    /// Appends a service event; it expires at `expires_at`.
    async fn append_log(&self, event: &LogEvent, expires_at: DateTime<Utc>) -> StoreResult<()>;
    /// Adds one to the `count` of the stored event with `event`'s tenant,
    /// time and id, storing `event` (count 1) when there is none; answers
    /// the count now stored. Atomic: of many calls at once none is lost. For
    /// events counted instead of logged one by one (refused webhooks: one
    /// event per kind and minute, whatever the flood).
    async fn count_log(&self, event: &LogEvent, expires_at: DateTime<Utc>) -> StoreResult<u64>;
    /// Newest first.
    async fn list_logs(&self, tenant: &TenantId, query: &LogQuery) -> StoreResult<Page<LogEvent>>;

    // Usage -------------------------------------------------------------------
    /// Counters of one period: a day `2026-11-23` or a month `2026-11`.
    async fn usage(&self, tenant: &TenantId, period: &str) -> StoreResult<Usage>;

    // Catalogue fingerprints ----------------------------------------------------
    /// What a products or stock connection last sent to the shop, per item:
    /// item key (the SKU) -> fingerprint. Empty for a connection that never
    /// sent anything. One read of the connection's whole set, so a pass over
    /// a large catalogue costs one query, not one per item.
    async fn catalog_fingerprints(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
    ) -> StoreResult<std::collections::HashMap<String, String>>;
    /// Records the fingerprint of what was sent for one item (creates or replaces).
    async fn put_catalog_fingerprint(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
        key: &str,
        fingerprint: &str,
    ) -> StoreResult<()>;

    // Clients, warehouses and the subscription --------------------------------
    /// The tenant's clients and warehouses (empty, version 0, when never saved).
    async fn get_directory(&self, tenant: &TenantId) -> StoreResult<Directory>;
    /// Saves the directory if the stored one still has `expected_version`
    /// (0: none saved yet), else [`StoreError::Conflict`]. The caller sets
    /// `directory.version` to `expected_version + 1`.
    async fn put_directory(
        &self,
        tenant: &TenantId,
        directory: &Directory,
        expected_version: u64,
    ) -> StoreResult<()>;
    /// The tenant's subscription, if one was ever saved.
    async fn get_subscription(&self, tenant: &TenantId) -> StoreResult<Option<Subscription>>;
    /// Compare-and-swap as [`Store::put_directory`].
    async fn put_subscription(
        &self,
        subscription: &Subscription,
        expected_version: u64,
    ) -> StoreResult<()>;

    // Reminders ------------------------------------------------------------------
    /// Who gets which reminders (default, version 0, when never saved).
    async fn get_reminder_settings(&self, tenant: &TenantId) -> StoreResult<ReminderSettings>;
    /// Compare-and-swap as [`Store::put_directory`].
    async fn put_reminder_settings(
        &self,
        tenant: &TenantId,
        settings: &ReminderSettings,
        expected_version: u64,
    ) -> StoreResult<()>;
    /// The tenant's open incidents (none, version 0, when never saved).
    async fn get_incidents(&self, tenant: &TenantId) -> StoreResult<Incidents>;
    /// Compare-and-swap as [`Store::put_directory`].
    async fn put_incidents(
        &self,
        tenant: &TenantId,
        incidents: &Incidents,
        expected_version: u64,
    ) -> StoreResult<()>;
    async fn get_notice(&self, tenant: &TenantId, key: &str) -> StoreResult<Option<Notice>>;
    /// Saves the notice if the stored one still has `expected_version` (0:
    /// none stored yet), else [`StoreError::Conflict`]; of two runs claiming
    /// the same key, exactly one wins. The caller sets `notice.version` to
    /// `expected_version + 1`. Notices are kept at least [`NOTICE_DAYS`] days.
    async fn put_notice(&self, notice: &Notice, expected_version: u64) -> StoreResult<()>;
    /// The tenant's notices, the most recently changed first, at most `limit`.
    async fn list_notices(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<Notice>>;

    // A tenant's set-up at once ---------------------------------------------------
    /// The tenant's settings, subscription and systems: what the transfer
    /// worker reads for every order, in one read where the store can
    /// (DynamoDB: one Query of the tenant's partition, one read unit for a
    /// few KB, instead of one unit per item).
    async fn tenant_setup(&self, tenant: &TenantId) -> StoreResult<TenantSetup> {
        Ok(TenantSetup {
            settings: self.get_settings(tenant).await?,
            subscription: self.get_subscription(tenant).await?,
            systems: self.list_systems(tenant).await?,
            all_systems: true,
        })
    }

    // Usage kept back -----------------------------------------------------------
    /// Writes the usage counts that updates kept in memory, when the store
    /// counts in batches (`DynamoStore::counting_usage_per_batch`, which the
    /// transfer-worker flushes after each SQS batch). A store that counts at
    /// once has nothing to write. Counts that could not be written stay
    /// kept for the next flush.
    async fn flush_usage(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// A tenant's settings, subscription (none stored yet: `None`) and systems,
/// as read together by [`Store::tenant_setup`].
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSetup {
    pub settings: Settings,
    pub subscription: Option<Subscription>,
    pub systems: Vec<System>,
    /// Whether `systems` holds all of the tenant's systems; a store may
    /// read only the first few of a tenant with many (see [`Self::system`]).
    pub all_systems: bool,
}

impl TenantSetup {
    /// The tenant's system `id`: from the set-up, or read from `store` when
    /// the set-up holds only some of the systems.
    pub async fn system(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        id: &SystemId,
    ) -> StoreResult<Option<System>> {
        match self.systems.iter().find(|s| &s.id == id) {
            Some(system) => Ok(Some(system.clone())),
            None if self.all_systems => Ok(None),
            None => store.get_system(tenant, id).await,
        }
    }
}

/// How long reminder notices are kept after their last change (the keys of
/// the longest period, a month, must outlive it).
pub const NOTICE_DAYS: i64 = 90;

/// Clamps a requested page size to 1..=500 (0 means 50).
pub fn page_limit(requested: usize) -> usize {
    match requested {
        0 => 50,
        n => n.min(500),
    }
}
