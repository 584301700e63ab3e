//! Reminder state in the embedded store: one table keyed by [tenant] then
//! `settings`, `incidents` or `notice#<key>`; JSON values carrying their
//! `version`, compared in the same write transaction. Writing a notice also
//! removes the tenant's notices unchanged for [`NOTICE_DAYS`] days before it.

use super::keys::{from_json, key, prefix_end, to_json, Table};
use super::{EmbeddedStore, OrUnavailable};
use crate::model::reminder::newest_first;
use crate::model::{Incidents, Notice, ReminderSettings, TenantId};
use crate::store::{page_limit, StoreError, StoreResult, NOTICE_DAYS};
use redb::{ReadTransaction, ReadableTable, TableDefinition, TableError, WriteTransaction};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// [tenant] `settings` | `incidents` | `notice#<key>` -> JSON with a `version`
pub const REMINDERS: Table = TableDefinition::new("reminders");

const SETTINGS: &str = "settings";
const INCIDENTS: &str = "incidents";
const NOTICE: &str = "notice#";

fn notice_key(tenant: &TenantId, key_: &str) -> Vec<u8> {
    key(&[tenant.as_str()], &format!("{NOTICE}{key_}"))
}

fn get_in<T: DeserializeOwned>(
    tx: &ReadTransaction,
    item_key: &[u8],
    what: &str,
) -> StoreResult<Option<T>> {
    // The table is made by the first write: before that, nothing was saved.
    let table = match tx.open_table(REMINDERS) {
        Ok(table) => table,
        Err(TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e).or_unavailable(),
    };
    let value = table.get(item_key).or_unavailable()?;
    value.map(|v| from_json(v.value(), what)).transpose()
}

/// Writes `encoded` if the stored value still has `expected_version`.
fn swap_in(
    tx: &WriteTransaction,
    item_key: &[u8],
    encoded: &[u8],
    expected_version: u64,
    what: &str,
) -> StoreResult<()> {
    let mut table = tx.open_table(REMINDERS).or_unavailable()?;
    let stored_version = match table.get(item_key).or_unavailable()? {
        None => 0,
        Some(stored) => from_json::<serde_json::Value>(stored.value(), what)?
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0),
    };
    if stored_version != expected_version {
        return Err(StoreError::Conflict);
    }
    table.insert(item_key, encoded).or_unavailable()?;
    Ok(())
}

impl EmbeddedStore {
    async fn get_reminder_item<T>(
        &self,
        item_key: Vec<u8>,
        what: &'static str,
    ) -> StoreResult<Option<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.read(move |tx| get_in(tx, &item_key, what)).await
    }

    async fn swap_reminder_item<T: Serialize>(
        &self,
        item_key: Vec<u8>,
        value: &T,
        expected_version: u64,
        what: &'static str,
    ) -> StoreResult<()> {
        let encoded = to_json(value)?;
        self.write(move |tx| swap_in(tx, &item_key, &encoded, expected_version, what))
            .await
    }

    pub(super) async fn read_reminder_settings(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<ReminderSettings> {
        Ok(self
            .get_reminder_item(
                key(&[tenant.as_str()], SETTINGS),
                "stored reminder settings",
            )
            .await?
            .unwrap_or_default())
    }

    pub(super) async fn write_reminder_settings(
        &self,
        tenant: &TenantId,
        settings: &ReminderSettings,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.swap_reminder_item(
            key(&[tenant.as_str()], SETTINGS),
            settings,
            expected_version,
            "stored reminder settings",
        )
        .await
    }

    pub(super) async fn read_incidents(&self, tenant: &TenantId) -> StoreResult<Incidents> {
        Ok(self
            .get_reminder_item(key(&[tenant.as_str()], INCIDENTS), "stored incidents")
            .await?
            .unwrap_or_default())
    }

    pub(super) async fn write_incidents(
        &self,
        tenant: &TenantId,
        incidents: &Incidents,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.swap_reminder_item(
            key(&[tenant.as_str()], INCIDENTS),
            incidents,
            expected_version,
            "stored incidents",
        )
        .await
    }

    pub(super) async fn read_notice(
        &self,
        tenant: &TenantId,
        notice: &str,
    ) -> StoreResult<Option<Notice>> {
        self.get_reminder_item(notice_key(tenant, notice), "a stored reminder notice")
            .await
    }

    pub(super) async fn write_notice(
        &self,
        notice: &Notice,
        expected_version: u64,
    ) -> StoreResult<()> {
        let item_key = notice_key(&notice.tenant, &notice.key);
        let start = key(&[notice.tenant.as_str()], NOTICE);
        let encoded = to_json(notice)?;
        let too_old = notice.at - chrono::Duration::days(NOTICE_DAYS);
        self.write(move |tx| {
            swap_in(
                tx,
                &item_key,
                &encoded,
                expected_version,
                "a stored reminder notice",
            )?;
            let mut table = tx.open_table(REMINDERS).or_unavailable()?;
            let end = prefix_end(&start);
            let mut old = Vec::new();
            for entry in table
                .range::<&[u8]>(start.as_slice()..end.as_slice())
                .or_unavailable()?
            {
                let (stored_key, value) = entry.or_unavailable()?;
                let stored: Notice = from_json(value.value(), "a stored reminder notice")?;
                if stored.at < too_old {
                    old.push(stored_key.value().to_vec());
                }
            }
            for stored_key in old {
                table.remove(stored_key.as_slice()).or_unavailable()?;
            }
            Ok(())
        })
        .await
    }

    pub(super) async fn read_notices(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> StoreResult<Vec<Notice>> {
        let start = key(&[tenant.as_str()], NOTICE);
        let limit = page_limit(limit);
        self.read(move |tx| {
            let table = match tx.open_table(REMINDERS) {
                Ok(table) => table,
                Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e).or_unavailable(),
            };
            let end = prefix_end(&start);
            let mut notices = Vec::new();
            for entry in table
                .range::<&[u8]>(start.as_slice()..end.as_slice())
                .or_unavailable()?
            {
                let (_, value) = entry.or_unavailable()?;
                notices.push(from_json::<Notice>(
                    value.value(),
                    "a stored reminder notice",
                )?);
            }
            Ok(newest_first(notices, limit))
        })
        .await
    }
}
