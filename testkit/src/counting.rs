//! [`CountingStore`]: any store, with a count of the calls made to it, by
//! kind (read or write) and by method. Benchmarks use it to show how much
//! store work a pass does (e.g. a scheduler tick reads only what is due);
//! tests also arm it to fail the next calls of a method
//! ([`CountingStore::fail_next`]), to show that one store error stops only
//! the work it hit. Nothing in production wraps a store in it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferry::model::{
    Connection, ConnectionId, Directory, Incidents, LogEvent, Notice, ReminderSettings, Settings,
    Subscription, System, SystemId, Tenant, TenantId, Transfer, TransferId, Usage, UsageDelta,
    User, UserId,
};
use ferry::store::{
    CatalogStore, ConfigStore, DirectoryStore, LogQuery, LogStore, Page, ReminderStore, SetupStore,
    Store, StoreError, StoreResult, TenantSetup, TransferQuery, TransferStore, UsageStore,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// What a [`CountingStore`] counted since it was made or last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCalls {
    pub reads: u64,
    pub writes: u64,
    /// Calls per store method, e.g. `get_connection: 500`.
    pub by_method: BTreeMap<&'static str, u64>,
}

pub struct CountingStore {
    inner: Arc<dyn Store>,
    calls: Mutex<StoreCalls>,
    /// Method -> how many of its next calls fail.
    faults: Mutex<HashMap<&'static str, u32>>,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            calls: Mutex::default(),
            faults: Mutex::default(),
        }
    }

    /// The next `times` calls of `method` (e.g. `"put_system"`) fail with
    /// [`StoreError::Unavailable`] without reaching the inner store.
    pub fn fail_next(&self, method: &'static str, times: u32) {
        let mut faults = match self.faults.lock() {
            Ok(faults) => faults,
            Err(poisoned) => poisoned.into_inner(),
        };
        faults.insert(method, times);
    }

    /// The error for this call of `method`, if one is armed.
    fn fault(&self, method: &'static str) -> Option<StoreError> {
        let mut faults = match self.faults.lock() {
            Ok(faults) => faults,
            Err(poisoned) => poisoned.into_inner(),
        };
        let left = faults.get_mut(method).filter(|left| **left > 0)?;
        *left -= 1;
        Some(StoreError::Unavailable(format!(
            "{method} failed (a fault armed by a test)"
        )))
    }

    /// The counts so far, and a fresh start.
    pub fn take(&self) -> StoreCalls {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StoreCalls> {
        match self.calls.lock() {
            Ok(calls) => calls,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn read(&self, method: &'static str) {
        let mut calls = self.lock();
        calls.reads += 1;
        *calls.by_method.entry(method).or_default() += 1;
    }

    fn write(&self, method: &'static str) {
        let mut calls = self.lock();
        calls.writes += 1;
        *calls.by_method.entry(method).or_default() += 1;
    }
}

/// Counts the call as `$kind` under the method's name, then makes it
/// (or fails it, when a fault is armed).
macro_rules! counted {
    ($self:ident, $kind:ident, $method:ident ( $($arg:expr),* )) => {{
        $self.$kind(stringify!($method));
        if let Some(fault) = $self.fault(stringify!($method)) {
            return Err(fault);
        }
        $self.inner.$method($($arg),*).await
    }};
}

#[async_trait]
impl ConfigStore for CountingStore {
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        counted!(self, write, create_tenant(tenant))
    }

    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        counted!(self, read, get_tenant(id))
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        counted!(self, read, list_tenants())
    }

    async fn get_settings(&self, tenant: &TenantId) -> StoreResult<Settings> {
        counted!(self, read, get_settings(tenant))
    }

    async fn put_settings(&self, tenant: &TenantId, settings: &Settings) -> StoreResult<()> {
        counted!(self, write, put_settings(tenant, settings))
    }

    async fn put_system(&self, system: &System) -> StoreResult<()> {
        counted!(self, write, put_system(system))
    }

    async fn get_system(&self, tenant: &TenantId, id: &SystemId) -> StoreResult<Option<System>> {
        counted!(self, read, get_system(tenant, id))
    }

    async fn list_systems(&self, tenant: &TenantId) -> StoreResult<Vec<System>> {
        counted!(self, read, list_systems(tenant))
    }

    async fn delete_system(&self, tenant: &TenantId, id: &SystemId) -> StoreResult<bool> {
        counted!(self, write, delete_system(tenant, id))
    }

    async fn put_connection(&self, connection: &Connection) -> StoreResult<()> {
        counted!(self, write, put_connection(connection))
    }

    async fn get_connection(
        &self,
        tenant: &TenantId,
        id: &ConnectionId,
    ) -> StoreResult<Option<Connection>> {
        counted!(self, read, get_connection(tenant, id))
    }

    async fn find_connection(&self, id: &ConnectionId) -> StoreResult<Option<Connection>> {
        counted!(self, read, find_connection(id))
    }

    async fn list_connections(&self, tenant: &TenantId) -> StoreResult<Vec<Connection>> {
        counted!(self, read, list_connections(tenant))
    }

    async fn delete_connection(&self, tenant: &TenantId, id: &ConnectionId) -> StoreResult<bool> {
        counted!(self, write, delete_connection(tenant, id))
    }

    async fn due_connections(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Connection>> {
        counted!(self, read, due_connections(now, limit))
    }
}

#[async_trait]
impl DirectoryStore for CountingStore {
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        counted!(self, write, put_user(user))
    }

    async fn update_user(&self, user: &User, expected_version: u64) -> StoreResult<()> {
        counted!(self, write, update_user(user, expected_version))
    }

    async fn get_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<User>> {
        counted!(self, read, get_user(tenant, id))
    }

    async fn list_users(&self, tenant: &TenantId) -> StoreResult<Vec<User>> {
        counted!(self, read, list_users(tenant))
    }

    async fn delete_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<bool> {
        counted!(self, write, delete_user(tenant, id))
    }

    async fn get_directory(&self, tenant: &TenantId) -> StoreResult<Directory> {
        counted!(self, read, get_directory(tenant))
    }

    async fn put_directory(
        &self,
        tenant: &TenantId,
        directory: &Directory,
        expected_version: u64,
    ) -> StoreResult<()> {
        counted!(
            self,
            write,
            put_directory(tenant, directory, expected_version)
        )
    }
}

#[async_trait]
impl TransferStore for CountingStore {
    async fn create_transfer(&self, transfer: &Transfer) -> StoreResult<()> {
        counted!(self, write, create_transfer(transfer))
    }

    async fn get_transfer(
        &self,
        tenant: &TenantId,
        id: &TransferId,
    ) -> StoreResult<Option<Transfer>> {
        counted!(self, read, get_transfer(tenant, id))
    }

    async fn update_transfer(
        &self,
        transfer: &Transfer,
        expected_version: u64,
        usage: UsageDelta,
    ) -> StoreResult<()> {
        counted!(
            self,
            write,
            update_transfer(transfer, expected_version, usage)
        )
    }

    async fn list_transfers(
        &self,
        tenant: &TenantId,
        query: &TransferQuery,
    ) -> StoreResult<Page<Transfer>> {
        counted!(self, read, list_transfers(tenant, query))
    }
}

#[async_trait]
impl CatalogStore for CountingStore {
    async fn catalog_fingerprints(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
    ) -> StoreResult<HashMap<String, String>> {
        counted!(self, read, catalog_fingerprints(tenant, connection))
    }

    async fn put_catalog_fingerprint(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
        key: &str,
        fingerprint: &str,
    ) -> StoreResult<()> {
        counted!(
            self,
            write,
            put_catalog_fingerprint(tenant, connection, key, fingerprint)
        )
    }
}

#[async_trait]
impl UsageStore for CountingStore {
    async fn usage(&self, tenant: &TenantId, period: &str) -> StoreResult<Usage> {
        counted!(self, read, usage(tenant, period))
    }

    async fn get_subscription(&self, tenant: &TenantId) -> StoreResult<Option<Subscription>> {
        counted!(self, read, get_subscription(tenant))
    }

    async fn put_subscription(
        &self,
        subscription: &Subscription,
        expected_version: u64,
    ) -> StoreResult<()> {
        counted!(
            self,
            write,
            put_subscription(subscription, expected_version)
        )
    }

    async fn flush_usage(&self) -> StoreResult<()> {
        counted!(self, write, flush_usage())
    }
}

#[async_trait]
impl LogStore for CountingStore {
    async fn append_log(&self, event: &LogEvent, expires_at: DateTime<Utc>) -> StoreResult<()> {
        counted!(self, write, append_log(event, expires_at))
    }

    async fn count_log(&self, event: &LogEvent, expires_at: DateTime<Utc>) -> StoreResult<u64> {
        counted!(self, write, count_log(event, expires_at))
    }

    async fn list_logs(&self, tenant: &TenantId, query: &LogQuery) -> StoreResult<Page<LogEvent>> {
        counted!(self, read, list_logs(tenant, query))
    }
}

#[async_trait]
impl ReminderStore for CountingStore {
    async fn get_reminder_settings(&self, tenant: &TenantId) -> StoreResult<ReminderSettings> {
        counted!(self, read, get_reminder_settings(tenant))
    }

    async fn put_reminder_settings(
        &self,
        tenant: &TenantId,
        settings: &ReminderSettings,
        expected_version: u64,
    ) -> StoreResult<()> {
        counted!(
            self,
            write,
            put_reminder_settings(tenant, settings, expected_version)
        )
    }

    async fn get_incidents(&self, tenant: &TenantId) -> StoreResult<Incidents> {
        counted!(self, read, get_incidents(tenant))
    }

    async fn put_incidents(
        &self,
        tenant: &TenantId,
        incidents: &Incidents,
        expected_version: u64,
    ) -> StoreResult<()> {
        counted!(
            self,
            write,
            put_incidents(tenant, incidents, expected_version)
        )
    }

    async fn get_notice(&self, tenant: &TenantId, key: &str) -> StoreResult<Option<Notice>> {
        counted!(self, read, get_notice(tenant, key))
    }

    async fn put_notice(&self, notice: &Notice, expected_version: u64) -> StoreResult<()> {
        counted!(self, write, put_notice(notice, expected_version))
    }

    async fn list_notices(&self, tenant: &TenantId, limit: usize) -> StoreResult<Vec<Notice>> {
        counted!(self, read, list_notices(tenant, limit))
    }
}

#[async_trait]
impl SetupStore for CountingStore {
    async fn tenant_setup(&self, tenant: &TenantId) -> StoreResult<TenantSetup> {
        counted!(self, read, tenant_setup(tenant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry::store::embedded::EmbeddedStore;

    #[tokio::test]
    async fn counts_reads_and_writes_by_method() {
        let inner = EmbeddedStore::temporary().expect("store");
        let store = CountingStore::new(Arc::new(inner));
        let tenant = Tenant {
            id: TenantId::generate(),
            name: "Count ApS".into(),
            email: "count@example.com".into(),
            time_zone: "UTC".into(),
            created_at: Utc::now(),
        };
        store.create_tenant(&tenant).await.expect("create");
        assert!(store.get_tenant(&tenant.id).await.expect("get").is_some());
        assert!(store.get_tenant(&tenant.id).await.expect("get").is_some());
        let calls = store.take();
        assert_eq!((calls.reads, calls.writes), (2, 1));
        assert_eq!(calls.by_method.get("get_tenant"), Some(&2));
        assert_eq!(calls.by_method.get("create_tenant"), Some(&1));
        assert_eq!(store.take(), StoreCalls::default(), "take starts afresh");
    }

    #[tokio::test]
    async fn an_armed_fault_fails_the_next_calls_of_its_method_only() {
        let store = CountingStore::new(Arc::new(EmbeddedStore::temporary().expect("store")));
        let tenant = TenantId::generate();
        store.fail_next("get_tenant", 1);
        assert!(matches!(
            store.get_tenant(&tenant).await,
            Err(StoreError::Unavailable(_))
        ));
        assert!(store.list_tenants().await.is_ok(), "another method");
        assert!(store.get_tenant(&tenant).await.is_ok(), "armed once");
    }
}
