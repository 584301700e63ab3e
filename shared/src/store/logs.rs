//! [`LogStore`]: the service events a tenant sees on its log screen, each
//! kept until it expires.

use super::{Page, StoreResult};
use crate::model::{Level, LogEvent, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Log events a list reads per request at most, filtered or not: a filter
/// on service or level is applied to what was read, so a rare service
/// among many events comes back over several pages, each bounded, rather
/// than in one request that reads the whole log.
pub const LOG_READ_BUDGET: usize = 1_000;

/// Filters for the service log. Newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogQuery {
    pub service: Option<String>,
    /// This level and above.
    pub min_level: Option<Level>,
    pub cursor: Option<String>,
    pub limit: usize,
}

/// Service events, scoped by tenant.
#[async_trait]
pub trait LogStore: Send + Sync {
    /// Appends a service event; it expires at `expires_at`.
    async fn append_log(&self, event: &LogEvent, expires_at: DateTime<Utc>) -> StoreResult<()>;
    /// Adds one to the `count` of the stored event with `event`'s tenant,
    /// time and id, storing `event` (count 1) when there is none; answers
    /// the count now stored. Atomic: of many calls at once none is lost. For
    /// events counted instead of logged one by one (refused webhooks: one
    /// event per kind and minute, whatever the flood).
    async fn count_log(&self, event: &LogEvent, expires_at: DateTime<Utc>) -> StoreResult<u64>;
    /// Newest first. Reads at most [`LOG_READ_BUDGET`] events: a filtered
    /// page may hold fewer than `limit` events (even none) and a `next`
    /// cursor that goes on where this read stopped.
    async fn list_logs(&self, tenant: &TenantId, query: &LogQuery) -> StoreResult<Page<LogEvent>>;
}
