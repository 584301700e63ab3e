//! Catalogue fingerprints in the embedded store: one table keyed by
//! [tenant, connection] then the item's key (its SKU), so a connection's
//! whole set is one range read.

use super::keys::{key, prefix, prefix_end, Table};
use super::{EmbeddedStore, OrUnavailable};
use crate::model::{ConnectionId, TenantId};
use crate::store::{StoreError, StoreResult};
use redb::{TableDefinition, TableError};
use std::collections::HashMap;

/// [tenant, connection] item key -> fingerprint (text)
pub const FINGERPRINTS: Table = TableDefinition::new("catalog_fingerprints");

impl EmbeddedStore {
    pub(super) async fn read_fingerprints(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
    ) -> StoreResult<HashMap<String, String>> {
        let start = prefix(&[tenant.as_str(), connection.as_str()]);
        self.read(move |tx| {
            // The table is made by the first write: before that, nothing was sent.
            let table = match tx.open_table(FINGERPRINTS) {
                Ok(table) => table,
                Err(TableError::TableDoesNotExist(_)) => return Ok(HashMap::new()),
                Err(e) => return Err(e).or_unavailable(),
            };
            let end = prefix_end(&start);
            let mut found = HashMap::new();
            for entry in table
                .range::<&[u8]>(start.as_slice()..end.as_slice())
                .or_unavailable()?
            {
                let (item_key, fingerprint) = entry.or_unavailable()?;
                let item = String::from_utf8(item_key.value()[start.len()..].to_vec());
                let fingerprint = String::from_utf8(fingerprint.value().to_vec());
                match (item, fingerprint) {
                    (Ok(item), Ok(fingerprint)) => {
                        found.insert(item, fingerprint);
                    }
                    _ => {
                        return Err(StoreError::Corrupt(
                            "a catalogue fingerprint is not text".into(),
                        ))
                    }
                }
            }
            Ok(found)
        })
        .await
    }

    /// Committed without waiting for the disk: a fingerprint lost in a
    /// crash only means the item is sent once more, which sets the same
    /// price or stock again.
    pub(super) async fn write_fingerprint(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
        item: &str,
        fingerprint: &str,
    ) -> StoreResult<()> {
        let item_key = key(&[tenant.as_str(), connection.as_str()], item);
        let value = fingerprint.as_bytes().to_vec();
        self.write_eventually(move |tx| {
            tx.open_table(FINGERPRINTS)
                .or_unavailable()?
                .insert(item_key.as_slice(), value.as_slice())
                .or_unavailable()?;
            Ok(())
        })
        .await
    }
}
