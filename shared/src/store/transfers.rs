//! [`TransferStore`]: the transfers (one order or catalogue item on its way
//! to a target) and the query of the transfer log.

use super::{Page, StoreResult};
use crate::model::{ConnectionId, TenantId, Transfer, TransferId, TransferStatus, UsageDelta};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Index entries a list of transfers reads per request at most. A filter
/// the index does not key (a connection, or a status with a connection) is
/// applied to the entries read, so a rare connection among many transfers
/// comes back over several pages, each bounded, rather than in one request
/// that reads every transfer of the tenant. Above what an unfiltered page
/// of 500 needs from the four status partitions.
pub const TRANSFER_READ_BUDGET: usize = 2_500;

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

/// Transfers, scoped by tenant. A transfer's next state (with its version)
/// is made by its transitions in `model::transfer`; this port only keeps it.
#[async_trait]
pub trait TransferStore: Send + Sync {
    /// Creates a transfer; [`super::StoreError::AlreadyExists`] if its id is there.
    async fn create_transfer(&self, transfer: &Transfer) -> StoreResult<()>;
    async fn get_transfer(
        &self,
        tenant: &TenantId,
        id: &TransferId,
    ) -> StoreResult<Option<Transfer>>;
    /// Replaces a transfer if the stored one still has `expected_version`
    /// (else [`super::StoreError::Conflict`]). `transfer` is a transition of
    /// the stored one, so its `version` is `expected_version + 1`. `usage`
    /// is then added to the tenant's day and month counters, by the winner
    /// only: never counted twice (a crash right after the write may leave
    /// it uncounted).
    async fn update_transfer(
        &self,
        transfer: &Transfer,
        expected_version: u64,
        usage: UsageDelta,
    ) -> StoreResult<()>;
    /// The log, newest first, filtered; payloads are left out (`None`).
    /// Reads at most [`TRANSFER_READ_BUDGET`] index entries: a filtered page
    /// may hold fewer than `limit` transfers (even none) and a `next` cursor
    /// that goes on where this read stopped.
    async fn list_transfers(
        &self,
        tenant: &TenantId,
        query: &TransferQuery,
    ) -> StoreResult<Page<Transfer>>;
}
