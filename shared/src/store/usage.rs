//! [`UsageStore`]: what a tenant may use (its subscription) and what it used
//! (the day and month counters that transfer updates add to).

use super::StoreResult;
use crate::model::{Subscription, TenantId, Usage};
use async_trait::async_trait;

/// Usage counters and the subscription, scoped by tenant.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Counters of one period: a day `2026-11-23` or a month `2026-11`.
    async fn usage(&self, tenant: &TenantId, period: &str) -> StoreResult<Usage>;
    /// The tenant's subscription, if one was ever saved.
    async fn get_subscription(&self, tenant: &TenantId) -> StoreResult<Option<Subscription>>;
    /// Saves the subscription if the stored one still has `expected_version`
    /// (0: none saved yet), else [`super::StoreError::Conflict`]. The caller
    /// sets `subscription.version` to `expected_version + 1`.
    async fn put_subscription(
        &self,
        subscription: &Subscription,
        expected_version: u64,
    ) -> StoreResult<()>;

    /// Writes the usage counts that updates kept in memory, when the store
    /// counts in batches (`DynamoStore::counting_usage_per_batch`, which the
    /// transfer-worker flushes after each SQS batch). A store that counts at
    /// once has nothing to write. Counts that could not be written stay
    /// kept for the next flush.
    async fn flush_usage(&self) -> StoreResult<()> {
        Ok(())
    }
}
