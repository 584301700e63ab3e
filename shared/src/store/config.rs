//! [`ConfigStore`]: a tenant's set-up as the dashboard edits it: the tenant
//! itself, its switches (settings), its systems (with sealed credentials)
//! and its connections, with the index of connections due to run.

use super::StoreResult;
use crate::model::{Connection, ConnectionId, Settings, System, SystemId, Tenant, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Tenants, settings, systems and connections. Every method but
/// [`Self::list_tenants`], [`Self::find_connection`] and
/// [`Self::due_connections`] is scoped by tenant.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    // Tenants ---------------------------------------------------------------
    /// Creates a tenant; [`super::StoreError::AlreadyExists`] if the id is taken.
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>>;
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;
    /// The tenant's switches (defaults when never saved).
    async fn get_settings(&self, tenant: &TenantId) -> StoreResult<Settings>;
    async fn put_settings(&self, tenant: &TenantId, settings: &Settings) -> StoreResult<()>;

    // Systems ---------------------------------------------------------------
    /// Creates or replaces.
    async fn put_system(&self, system: &System) -> StoreResult<()>;
    async fn get_system(&self, tenant: &TenantId, id: &SystemId) -> StoreResult<Option<System>>;
    async fn list_systems(&self, tenant: &TenantId) -> StoreResult<Vec<System>>;
    async fn delete_system(&self, tenant: &TenantId, id: &SystemId) -> StoreResult<bool>;

    // Connections -----------------------------------------------------------
    /// Creates or replaces; keeps the due-by-next-run index and the lookup by
    /// id (for webhooks) in step.
    async fn put_connection(&self, connection: &Connection) -> StoreResult<()>;
    async fn get_connection(
        &self,
        tenant: &TenantId,
        id: &ConnectionId,
    ) -> StoreResult<Option<Connection>>;
    /// By id alone: only for the webhook route, whose URL carries no tenant.
    async fn find_connection(&self, id: &ConnectionId) -> StoreResult<Option<Connection>>;
    async fn list_connections(&self, tenant: &TenantId) -> StoreResult<Vec<Connection>>;
    async fn delete_connection(&self, tenant: &TenantId, id: &ConnectionId) -> StoreResult<bool>;
    /// Connections whose `next_run_at` <= `now`, oldest first, at most `limit`,
    /// read from an index (never a scan of all connections).
    async fn due_connections(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Connection>>;
}
