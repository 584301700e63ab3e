//! [`CatalogStore`]: what a products or stock connection last sent to the
//! shop, per item, so that a pass sends only what changed.

use super::StoreResult;
use crate::model::{ConnectionId, TenantId};
use async_trait::async_trait;
use std::collections::HashMap;

/// Catalogue fingerprints, scoped by tenant and connection.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// What a products or stock connection last sent to the shop, per item:
    /// item key (the SKU) -> fingerprint. Empty for a connection that never
    /// sent anything. One read of the connection's whole set, so a pass over
    /// a large catalogue costs one query, not one per item.
    async fn catalog_fingerprints(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
    ) -> StoreResult<HashMap<String, String>>;
    /// Records the fingerprint of what was sent for one item (creates or replaces).
    async fn put_catalog_fingerprint(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
        key: &str,
        fingerprint: &str,
    ) -> StoreResult<()>;
}
