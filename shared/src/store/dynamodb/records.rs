//! Versioned tenant records on DynamoDB (clients and warehouses, the
//! subscription): items in the tenant's partition, `SK` = `DIR` / `SUB`,
//! saved with a condition on `version` (or on the item's absence when the
//! expected version is 0). And the tenant's set-up (settings, subscription,
//! systems) read in one Query.

use super::keys::{tenant_pk, PK, SETTINGS_SK, SK, SYSTEM_PREFIX};
use super::reads::{item_of, n, parse, text};
use super::{Condition, DynamoStore};
use crate::model::{Directory, Settings, Subscription, TenantId};
use crate::store::{StoreError, StoreResult, TenantSetup};
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

impl DynamoStore {
    /// Settings (`SET`), subscription (`SUB`) and systems (`SYS#…`) sort
    /// next to each other in the tenant's partition and nothing else sorts
    /// between them: one strongly consistent Query of that range.
    /// At most [`SETUP_ITEMS`] items, so that a tenant with many systems
    /// costs no more than a few: the worker reads the others it needs one by
    /// one ([`TenantSetup::all_systems`]).
    pub(super) async fn read_tenant_setup(&self, tenant: &TenantId) -> StoreResult<TenantSetup> {
        let (items, more) = self
            .range_head(
                &tenant_pk(tenant),
                SETTINGS_SK,
                SETUP_RANGE_END,
                SETUP_ITEMS,
            )
            .await?;
        let mut setup = TenantSetup {
            settings: Settings::default(),
            subscription: None,
            systems: Vec::new(),
            all_systems: !more,
        };
        for item in items {
            let Some(sk) = text(&item, SK).map(str::to_owned) else {
                continue;
            };
            if sk == SETTINGS_SK {
                setup.settings = parse(item, "stored settings")?;
            } else if sk == SUBSCRIPTION_SK {
                setup.subscription = Some(parse(item, "a stored subscription")?);
            } else if sk.starts_with(SYSTEM_PREFIX) {
                setup.systems.push(parse(item, "a stored system")?);
            }
        }
        Ok(setup)
    }
}

/// Above every `SYS#<id>` (ids never hold `$`, which sorts right after `#`).
const SETUP_RANGE_END: &str = "SYS$";
/// Settings, subscription and 14 systems: a few KB, one or two read units.
const SETUP_ITEMS: i32 = 16;
