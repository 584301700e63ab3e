//! [`ReminderStore`]: who gets which reminders, the open incidents they are
//! about, and the notices already sent (so one is never sent twice).

use super::StoreResult;
use crate::model::{Incidents, Notice, ReminderSettings, TenantId};
use async_trait::async_trait;

/// How long reminder notices are kept after their last change (the keys of
/// the longest period, a month, must outlive it).
pub const NOTICE_DAYS: i64 = 90;

/// Reminder settings, incidents and notices, scoped by tenant.
#[async_trait]
pub trait ReminderStore: Send + Sync {
    /// Who gets which reminders (default, version 0, when never saved).
    async fn get_reminder_settings(&self, tenant: &TenantId) -> StoreResult<ReminderSettings>;
    /// Compare-and-swap as [`super::DirectoryStore::put_directory`].
    async fn put_reminder_settings(
        &self,
        tenant: &TenantId,
        settings: &ReminderSettings,
        expected_version: u64,
    ) -> StoreResult<()>;
    /// The tenant's open incidents (none, version 0, when never saved).
    async fn get_incidents(&self, tenant: &TenantId) -> StoreResult<Incidents>;
    /// Compare-and-swap as [`super::DirectoryStore::put_directory`].
    async fn put_incidents(
        &self,
        tenant: &TenantId,
        incidents: &Incidents,
        expected_version: u64,
    ) -> StoreResult<()>;
    async fn get_notice(&self, tenant: &TenantId, key: &str) -> StoreResult<Option<Notice>>;
    /// Saves the notice if the stored one still has `expected_version` (0:
    /// none stored yet), else [`super::StoreError::Conflict`]; of two runs
    /// claiming the same key, exactly one wins. The caller sets
    /// `notice.version` to `expected_version + 1`. Notices are kept at least
    /// [`NOTICE_DAYS`] days.
    async fn put_notice(&self, notice: &Notice, expected_version: u64) -> StoreResult<()>;
    /// The tenant's notices, the most recently changed first, at most `limit`.
    async fn list_notices(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<Notice>>;
}
