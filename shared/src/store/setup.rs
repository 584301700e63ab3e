//! [`SetupStore`]: a tenant's settings, subscription and systems read at
//! once, as the transfer worker needs them for every order. It spans two
//! aggregates ([`ConfigStore`] and [`UsageStore`]) and by default reads
//! each; a store that can read them together overrides it.

use super::{ConfigStore, StoreResult, UsageStore};
use crate::model::{Settings, Subscription, System, SystemId, TenantId};
use async_trait::async_trait;

/// A tenant's set-up at once.
#[async_trait]
pub trait SetupStore: ConfigStore + UsageStore {
    /// The tenant's settings, subscription and systems: what the transfer
    /// worker reads for every order, in one read where the store can
    /// (DynamoDB: one Query of the tenant's partition, one read unit for a
    /// few KB, instead of one unit per item).
    async fn tenant_setup(&self, tenant: &TenantId) -> StoreResult<TenantSetup> {
        Ok(TenantSetup {
            settings: self.get_settings(tenant).await?,
            subscription: self.get_subscription(tenant).await?,
            systems: self.list_systems(tenant).await?,
            all_systems: true,
        })
    }
}

/// A tenant's settings, subscription (none stored yet: `None`) and systems,
/// as read together by [`SetupStore::tenant_setup`].
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSetup {
    pub settings: Settings,
    pub subscription: Option<Subscription>,
    pub systems: Vec<System>,
    /// Whether `systems` holds all of the tenant's systems; a store may
    /// read only the first few of a tenant with many (see [`Self::system`]).
    pub all_systems: bool,
}

impl TenantSetup {
    /// The tenant's system `id`: from the set-up, or read from `store` when
    /// the set-up holds only some of the systems.
    pub async fn system(
        &self,
        store: &dyn ConfigStore,
        tenant: &TenantId,
        id: &SystemId,
    ) -> StoreResult<Option<System>> {
        match self.systems.iter().find(|s| &s.id == id) {
            Some(system) => Ok(Some(system.clone())),
            None if self.all_systems => Ok(None),
            None => store.get_system(tenant, id).await,
        }
    }
}
