//! Versioned tenant records in the embedded store (clients and warehouses,
//! the subscription): one table keyed by [tenant] then the record's name,
//! JSON values carrying their `version`; a save compares it in the same
//! write transaction.

use super::keys::{from_json, key, to_json, Table};
use super::{EmbeddedStore, OrUnavailable};
use crate::model::{Directory, Subscription, TenantId};
use crate::store::{StoreError, StoreResult};
use redb::{ReadableTable, TableDefinition, TableError};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// [tenant] record name -> JSON with a `version`
pub const RECORDS: Table = TableDefinition::new("tenant_records");

const DIRECTORY: &str = "directory";
const SUBSCRIPTION: &str = "subscription";

impl EmbeddedStore {
    async fn get_record<T>(&self, tenant: &TenantId, name: &'static str) -> StoreResult<Option<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let record_key = key(&[tenant.as_str()], name);
        self.read(move |tx| {
            // The table is made by the first save: before that, nothing was saved.
            let table = match tx.open_table(RECORDS) {
                Ok(table) => table,
                Err(TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(e).or_unavailable(),
            };
            let value = table.get(record_key.as_slice()).or_unavailable()?;
            value.map(|v| from_json(v.value(), name)).transpose()
        })
        .await
    }

    async fn put_record<T: Serialize>(
        &self,
        tenant: &TenantId,
        name: &'static str,
        value: &T,
        expected_version: u64,
    ) -> StoreResult<()> {
        let record_key = key(&[tenant.as_str()], name);
        let encoded = to_json(value)?;
        self.write(move |tx| {
            let mut table = tx.open_table(RECORDS).or_unavailable()?;
            let stored_version = match table.get(record_key.as_slice()).or_unavailable()? {
                None => 0,
                Some(stored) => from_json::<serde_json::Value>(stored.value(), name)?
                    .get("version")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0),
            };
            if stored_version != expected_version {
                return Err(StoreError::Conflict);
            }
            table
                .insert(record_key.as_slice(), encoded.as_slice())
                .or_unavailable()?;
            Ok(())
        })
        .await
    }

    pub(super) async fn read_directory(&self, tenant: &TenantId) -> StoreResult<Directory> {
        Ok(self
            .get_record(tenant, DIRECTORY)
            .await?
            .unwrap_or_default())
    }

    pub(super) async fn write_directory(
        &self,
        tenant: &TenantId,
        directory: &Directory,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.put_record(tenant, DIRECTORY, directory, expected_version)
            .await
    }

    pub(super) async fn read_subscription(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<Option<Subscription>> {
        self.get_record(tenant, SUBSCRIPTION).await
    }

    pub(super) async fn write_subscription(
        &self,
        subscription: &Subscription,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.put_record(
            &subscription.tenant,
            SUBSCRIPTION,
            subscription,
            expected_version,
        )
        .await
    }
}
