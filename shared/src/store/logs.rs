//! [`LogStore`]: the service events a tenant sees on its log screen, each
//! kept until it expires.

use super::{Page, StoreResult};
use crate::model::{Level, LogEvent, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

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
    /// Newest first.
    async fn list_logs(&self, tenant: &TenantId, query: &LogQuery) -> StoreResult<Page<LogEvent>>;
}
