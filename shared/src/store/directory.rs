//! [`DirectoryStore`]: who works in a tenant: its users (with their roles)
//! and its directory of clients and warehouses.

use super::StoreResult;
use crate::model::{Directory, TenantId, User, UserId};
use async_trait::async_trait;

/// Users and the directory of clients and warehouses, scoped by tenant.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    // Users -----------------------------------------------------------------
    /// Creates or replaces (a new user; changes go through
    /// [`DirectoryStore::update_user`]).
    async fn put_user(&self, user: &User) -> StoreResult<()>;
    /// Replaces the user if the stored one still has `expected_version`,
    /// else [`StoreError::Conflict`](super::StoreError::Conflict) (also when
    /// the user is gone). `user` is a change of the stored one, so its
    /// `version` is `expected_version + 1`.
    async fn update_user(&self, user: &User, expected_version: u64) -> StoreResult<()>;
    async fn get_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<User>>;
    async fn list_users(&self, tenant: &TenantId) -> StoreResult<Vec<User>>;
    async fn delete_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<bool>;

    // Clients and warehouses --------------------------------------------------
    /// The tenant's clients and warehouses (empty, version 0, when never saved).
    async fn get_directory(&self, tenant: &TenantId) -> StoreResult<Directory>;
    /// Saves the directory if the stored one still has `expected_version`
    /// (0: none saved yet), else [`super::StoreError::Conflict`]. The caller
    /// sets `directory.version` to `expected_version + 1`.
    async fn put_directory(
        &self,
        tenant: &TenantId,
        directory: &Directory,
        expected_version: u64,
    ) -> StoreResult<()>;
}
