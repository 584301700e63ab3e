//! Versioned tenant records on DynamoDB (clients and warehouses, the
//! subscription): items in the tenant's partition, `SK` = `DIR` / `SUB`,
//! saved with a condition on `version` (or on the item's absence when the
//! expected version is 0).

use super::keys::{tenant_pk, PK};
use super::reads::{item_of, n, parse};
use super::{Condition, DynamoStore};
use crate::model::{Directory, TenantId};
use crate::store::{StoreError, StoreResult};
use crate::subscription::Subscription;
use serde::Serialize;

const DIRECTORY_SK: &str = "DIR";
const SUBSCRIPTION_SK: &str = "SUB";

impl DynamoStore {
    async fn put_record<T: Serialize>(
        &self,
        tenant: &TenantId,
        sk: &str,
        value: &T,
        expected_version: u64,
    ) -> StoreResult<()> {
        let item = item_of(value, tenant_pk(tenant), sk.to_owned())?;
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

    pub(super) async fn read_directory(&self, tenant: &TenantId) -> StoreResult<Directory> {
        Ok(self
            .get(&tenant_pk(tenant), DIRECTORY_SK)
            .await?
            .map(|item| parse(item, "stored clients and warehouses"))
            .transpose()?
            .unwrap_or_default())
    }

    pub(super) async fn write_directory(
        &self,
        tenant: &TenantId,
        directory: &Directory,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.put_record(tenant, DIRECTORY_SK, directory, expected_version)
            .await
    }

    pub(super) async fn read_subscription(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<Option<Subscription>> {
        self.get(&tenant_pk(tenant), SUBSCRIPTION_SK)
            .await?
            .map(|item| parse(item, "a stored subscription"))
            .transpose()
    }

    pub(super) async fn write_subscription(
        &self,
        subscription: &Subscription,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.put_record(
            &subscription.tenant,
            SUBSCRIPTION_SK,
            subscription,
            expected_version,
        )
        .await
    }
}
