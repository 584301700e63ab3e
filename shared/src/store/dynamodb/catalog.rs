//! Catalogue fingerprints on DynamoDB: one partition per connection,
//! `PK` = `T#<tenant>#CAT#<connection>`, `SK` = the item's key (its SKU),
//! attribute `fp`. A connection's whole set is one Query of its partition
//! (paged by DynamoDB at 1 MB, about 15,000 items a page).

use super::keys::{tenant_pk, PK, SK};
use super::reads::{s, text, Item};
use super::DynamoStore;
use crate::model::{ConnectionId, TenantId};
use crate::store::{StoreError, StoreResult};
use std::collections::HashMap;

const FINGERPRINT: &str = "fp";

fn catalog_pk(tenant: &TenantId, connection: &ConnectionId) -> String {
    format!("{}#CAT#{connection}", tenant_pk(tenant))
}

impl DynamoStore {
    pub(super) async fn read_fingerprints(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
    ) -> StoreResult<HashMap<String, String>> {
        let items = self
            .partition(&catalog_pk(tenant, connection), None)
            .await?;
        items
            .iter()
            .map(|item| match (text(item, SK), text(item, FINGERPRINT)) {
                (Some(key), Some(fingerprint)) => Ok((key.to_owned(), fingerprint.to_owned())),
                _ => Err(StoreError::Corrupt(
                    "a catalogue fingerprint item has no key or no fingerprint".into(),
                )),
            })
            .collect()
    }

    pub(super) async fn write_fingerprint(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
        key: &str,
        fingerprint: &str,
    ) -> StoreResult<()> {
        let item: Item = HashMap::from([
            (PK.to_owned(), s(catalog_pk(tenant, connection))),
            (SK.to_owned(), s(key)),
            (FINGERPRINT.to_owned(), s(fingerprint)),
        ]);
        self.put(item, None).await.map(|_| ())
    }
}
