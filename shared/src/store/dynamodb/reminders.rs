//! Reminder state on DynamoDB. Who gets reminders and the open incidents
//! are items in the tenant's partition (`SK` = `REM#SET`, `REM#INC`);
//! notices have a partition of their own, `PK` = `T#<tenant>#REM`,
//! `SK` = the notice's key, expiring (TTL `expires_at`) [`NOTICE_DAYS`]
//! days after their last change, so listing them is one small Query. Every
//! save is conditional on `version` (or on the item's absence when the
//! expected version is 0): of two runs claiming one notice, one wins.

use super::keys::{tenant_pk, EXPIRES_AT, PK};
use super::reads::{item_of, n, parse, Item};
use super::{Condition, DynamoStore};
use crate::model::reminder::newest_first;
use crate::model::{Incidents, Notice, ReminderSettings, TenantId};
use crate::store::{page_limit, StoreError, StoreResult, NOTICE_DAYS};

const SETTINGS_SK: &str = "REM#SET";
const INCIDENTS_SK: &str = "REM#INC";

fn notices_pk(tenant: &TenantId) -> String {
    format!("{}#REM", tenant_pk(tenant))
}

impl DynamoStore {
    /// Puts `item` if the stored one has `expected_version`.
    async fn swap_reminder_item(&self, item: Item, expected_version: u64) -> StoreResult<()> {
        let expected = [(":v", n(expected_version))];
        let condition = if expected_version == 0 {
            Condition {
                expression: "attribute_not_exists(#pk)",
                names: &[("#pk", PK)],
                values: &[],
            }
        } else {
            Condition {
                expression: "#v = :v",
                names: &[("#v", "version")],
                values: &expected,
            }
        };
        match self.put(item, Some(condition)).await? {
            true => Ok(()),
            false => Err(StoreError::Conflict),
        }
    }

    pub(super) async fn read_reminder_settings(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<ReminderSettings> {
        Ok(self
            .get(&tenant_pk(tenant), SETTINGS_SK)
            .await?
            .map(|item| parse(item, "stored reminder settings"))
            .transpose()?
            .unwrap_or_default())
    }

    pub(super) async fn write_reminder_settings(
        &self,
        tenant: &TenantId,
        settings: &ReminderSettings,
        expected_version: u64,
    ) -> StoreResult<()> {
        let item = item_of(settings, tenant_pk(tenant), SETTINGS_SK.to_owned())?;
        self.swap_reminder_item(item, expected_version).await
    }

    pub(super) async fn read_incidents(&self, tenant: &TenantId) -> StoreResult<Incidents> {
        Ok(self
            .get(&tenant_pk(tenant), INCIDENTS_SK)
            .await?
            .map(|item| parse(item, "stored incidents"))
            .transpose()?
            .unwrap_or_default())
    }

    pub(super) async fn write_incidents(
        &self,
        tenant: &TenantId,
        incidents: &Incidents,
        expected_version: u64,
    ) -> StoreResult<()> {
        let item = item_of(incidents, tenant_pk(tenant), INCIDENTS_SK.to_owned())?;
        self.swap_reminder_item(item, expected_version).await
    }

    pub(super) async fn read_notice(
        &self,
        tenant: &TenantId,
        key: &str,
    ) -> StoreResult<Option<Notice>> {
        self.get(&notices_pk(tenant), key)
            .await?
            .map(|item| parse(item, "a stored reminder notice"))
            .transpose()
    }

    pub(super) async fn write_notice(
        &self,
        notice: &Notice,
        expected_version: u64,
    ) -> StoreResult<()> {
        let mut item = item_of(notice, notices_pk(&notice.tenant), notice.key.clone())?;
        let expires_at = notice.at + chrono::Duration::days(NOTICE_DAYS);
        item.insert(EXPIRES_AT.to_owned(), n(expires_at.timestamp()));
        self.swap_reminder_item(item, expected_version).await
    }

    pub(super) async fn read_notices(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> StoreResult<Vec<Notice>> {
        let notices = self
            .partition(&notices_pk(tenant), None)
            .await?
            .into_iter()
            .map(|item| parse(item, "a stored reminder notice"))
            .collect::<StoreResult<Vec<Notice>>>()?;
        Ok(newest_first(notices, page_limit(limit)))
    }
}
