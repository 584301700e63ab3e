//! [`DynamoStore`]: the Store on one DynamoDB table.
//!
//! # Table
//!
//! Keys `PK` and `SK` (strings), on-demand billing (PAY_PER_REQUEST), TTL
//! on `expires_at` (epoch seconds, a number). [`DynamoStore::create_table`]
//! creates it exactly so; `infra/template.yaml` declares the same:
//!
//! ```yaml
//! Table:
//!   Type: AWS::DynamoDB::Table
//!   Properties:
//!     BillingMode: PAY_PER_REQUEST
//!     AttributeDefinitions:
//!       - { AttributeName: PK, AttributeType: S }
//!       - { AttributeName: SK, AttributeType: S }
//!       - { AttributeName: ST, AttributeType: S }
//!       - { AttributeName: RT, AttributeType: S }
//!       - { AttributeName: SREF, AttributeType: S }
//!       - { AttributeName: TREF, AttributeType: S }
//!       - { AttributeName: DUE, AttributeType: S }
//!       - { AttributeName: DUE_AT, AttributeType: S }
//!     KeySchema:
//!       - { AttributeName: PK, KeyType: HASH }
//!       - { AttributeName: SK, KeyType: RANGE }
//!     GlobalSecondaryIndexes:
//!       - IndexName: by_status
//!         KeySchema: [{ AttributeName: ST, KeyType: HASH }, { AttributeName: RT, KeyType: RANGE }]
//!         Projection: { ProjectionType: INCLUDE, NonKeyAttributes: [connection] }
//!       - IndexName: by_source_ref
//!         KeySchema: [{ AttributeName: SREF, KeyType: HASH }, { AttributeName: RT, KeyType: RANGE }]
//!         Projection: { ProjectionType: KEYS_ONLY }
//!       - IndexName: by_target_ref
//!         KeySchema: [{ AttributeName: TREF, KeyType: HASH }, { AttributeName: RT, KeyType: RANGE }]
//!         Projection: { ProjectionType: KEYS_ONLY }
//!       - IndexName: by_due
//!         KeySchema: [{ AttributeName: DUE, KeyType: HASH }, { AttributeName: DUE_AT, KeyType: RANGE }]
//!         Projection: { ProjectionType: KEYS_ONLY }
//!     TimeToLiveSpecification: { AttributeName: expires_at, Enabled: true }
//! ```
//!
//! # Items
//!
//! | item | PK | SK | other attributes |
//! |---|---|---|---|
//! | tenant | `TENANTS` | `T#<tenant>` | the tenant's fields |
//! | settings | `T#<tenant>` | `SET` | the switches |
//! | user | `T#<tenant>` | `USR#<user>` | |
//! | system | `T#<tenant>` | `SYS#<system>` | `credentials` sealed (AES-GCM) |
//! | connection | `T#<tenant>` | `CON#<connection>` | `DUE`, `DUE_AT` while it has a next run |
//! | connection owner | `CON#<connection>` | `OWNER` | `tenant` |
//! | usage | `T#<tenant>` | `USE#<yyyy-mm-dd>` (a month is the sum of its days) | six counters, `ADD`ed |
//! | transfer | `T#<tenant>#TR#<transfer>` | `TR` | the log's fields, `version`, `ST`, `RT`, `SREF`, `TREF`, payload pointers `src`/`tgt`, write id `w` |
//! | payload part | `T#<tenant>#TR#<transfer>` | `P#<payload key>#<nnnn>` | `data` (binary, at most 350 KB) |
//! | log event | `T#<tenant>#LOG` | `<at>#<event id>` | the event (`count` `ADD`ed for a counted one), `expires_at` |
//! | catalogue fingerprint | `T#<tenant>#CAT#<connection>` | the item's key (its SKU) | `fp`: what was last sent to the shop |
//! | reminder recipients / open incidents | `T#<tenant>` | `REM#SET` / `REM#INC` | `version` |
//! | reminder notice | `T#<tenant>#REM` | the notice's key (`usage_80#2026-11`) | `version`, `expires_at` |
//!
//! Configuration lives in the tenant's partition, so a tenant's id only ever
//! reaches its own items. Tenants themselves sit in one `TENANTS` partition:
//! listing them (reminders, operators) is one Query, and tenants are created
//! rarely. A transfer's id is derived from its connection and source record
//! (`TransferId::for_record`), so the same record is always the same item and
//! `attribute_not_exists` on create makes deliveries idempotent. The
//! connection owner item lets the webhook route find a connection by id alone
//! and stops another tenant from reusing an id in use.
//!
//! # Indexes
//!
//! All transfer indexes sort by `RT` = `<received_at>#<transfer id>`
//! (RFC 3339 with nanoseconds: fixed width, sorts as time), newest first.
//!
//! | GSI | partition | serves |
//! |---|---|---|
//! | `by_status` | `ST` = `T#<tenant>#<status>` | the log filtered by status; the whole log ("by tenant and time") as the tenant's four status partitions merged newest first; the connection filter as a filter on the projected `connection` |
//! | `by_source_ref` | `SREF` = `T#<tenant>#<webshop number>` | search by webshop number (the e-number) |
//! | `by_target_ref` | `TREF` = `T#<tenant>#<target number>` | search by target number; a search reads both reference indexes and merges them |
//! | `by_due` | `DUE` = `DUE#<0..3>`, sort `DUE_AT` = `<next_run_at>#<connection>` | connections due: `DUE_AT < "<now>$"` in each shard, merged oldest first |
//!
//! There is no separate "by tenant and time" index: a transfer has exactly
//! one status, so the four status partitions hold the tenant's whole log, and
//! one index fewer saves a write on every transfer. The due index is sharded
//! over four partition keys (by a hash of the connection id) because every
//! connection is rescheduled every few minutes: one key would put all those
//! writes on one index partition (about 1,000 writes a second at most);
//! four shards cost the once-a-minute scheduler four small queries.
//!
//! Indexes project keys only (plus `connection` on `by_status`); list pages
//! then read the transfers with one consistent BatchGetItem and check each
//! against the filter (an index lags the table by a moment). With keys-only
//! projections an update that leaves status, numbers and `received_at` alone
//! (attempts, lease, reason, version) writes no index at all.
//!
//! # Bounded reads
//!
//! A list filtered by what no key holds reads a bounded amount per request
//! and answers a cursor where it stopped, rather than paging through a
//! whole partition: the log by service or level reads at most
//! [`LOG_READ_BUDGET`] events of the tenant's log partition (a filter
//! expression on those), the transfer log by connection at most
//! [`super::TRANSFER_READ_BUDGET`] entries of the status partitions (a
//! filter on the projected `connection`). A page may then hold fewer items
//! than its limit, even none, with a `next` cursor: the sort key up to
//! which every partition has been read. Indexes keyed by service, level or
//! connection would make these key conditions, at one more index write per
//! log event or transfer; a rare filter costs the reader more pages
//! instead, which is the cheaper side for screens read far less often than
//! events are written.
//!
//! # Writes
//!
//! - Creates are conditional (`attribute_not_exists(PK)`): tenants,
//!   transfers (the first create wins).
//! - `update_transfer` replaces the item on condition `version = :expected`
//!   (a failed condition answers Conflict and changes nothing). It reads
//!   the item first only when this store has not just read or written that
//!   version (it needs the payload pointers). Usage is then `ADD`ed to the
//!   day's counter by the winner only, in a plain update (a month is the
//!   sum of its days): a TransactWriteItems would cost double for each of
//!   its items. A crash between the put and the counter can leave one
//!   order uncounted, never one counted twice. The transfer-worker keeps
//!   the counts of a whole SQS batch and writes them once per tenant and
//!   day at its end ([`DynamoStore::counting_usage_per_batch`]).
//! - Payloads are part items under fresh keys, written once, before the
//!   transfer item that points at them, and only when their bytes change (a
//!   digest sits in the pointer). The transfer item stays near 1 KB whatever
//!   the payload size, so retries, leases and status changes write 1 unit
//!   instead of the whole payload again; payloads of any size fit (split in
//!   350 KB parts). The loser of a race removes its own parts, the winner the
//!   parts it replaced; a crash in between leaves an unreferenced part, which
//!   is never assembled and is swept when the transfer is next read.
//! - A put whose answer is lost (the SDK retries it and its condition fails
//!   on the item the first attempt wrote) is known as ours by the write id
//!   `w` in the stored item, which a failed condition returns
//!   (`ReturnValuesOnConditionCheckFailure = ALL_OLD`): it answers Ok and
//!   counts usage once. New parts are removed only when the stored item
//!   provably does not point at them. See `transfers.rs`.
//!
//! Write units per delivered order, with payloads under 1 KB compressed:
//! the create costs 1 (transfer) + 1 (source part) + 2 (`by_status`,
//! `by_source_ref`); the claim 1; the delivery 1 (transfer) + 2 (usage
//! counters) + 1 (target part) + 2 (the `by_status` entry moves) + 1
//! (`by_target_ref`). `local/benches/dynamo_writes.rs` measures it.
//!
//! No Scan anywhere: every read is a GetItem, a Query of one partition, or a
//! BatchGetItem of keys read from an index. The Logs screen queries the
//! tenant's log partition newest first with a filter on service and level
//! (events expire, so the partition stays small).

mod catalog;
mod errors;
mod keys;
mod reads;
mod records;
mod reminders;
mod table;
mod transfers;
mod usage;

use self::errors::unavailable;
use self::keys::*;
use self::reads::{item_of, key_item, n, parse, s, text, IndexStream, Item, Merged};
use super::{
    page_limit, CatalogStore, ConfigStore, DirectoryStore, LogQuery, LogStore, Page, ReminderStore,
    SetupStore, StoreError, StoreResult, TransferQuery, TransferStore, UsageStore, LOG_READ_BUDGET,
};
use crate::model::{
    Connection, ConnectionId, Level, LogEvent, Settings, System, SystemId, Tenant, TenantId,
    Transfer, TransferId, Usage, UsageDelta, User, UserId,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Utc};

/// The Store on one DynamoDB table. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    known: std::sync::Arc<transfers::KnownPointers>,
    /// Usage counted in memory until `flush_usage`, when counting per batch.
    kept_usage: Option<std::sync::Arc<usage::KeptUsage>>,
}

impl DynamoStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            known: std::sync::Arc::default(),
            kept_usage: None,
        }
    }

    /// Counts usage in memory and writes it on [`UsageStore::flush_usage`]: one
    /// counter write per tenant and day for a whole SQS batch instead of
    /// one per settled transfer (the transfer-worker's setting). This
    /// store's own usage reads include what it keeps; other processes see
    /// it after the flush. A process that dies before flushing leaves those
    /// transfers uncounted, in the merchant's favour.
    pub fn counting_usage_per_batch(mut self) -> Self {
        self.kept_usage = Some(std::sync::Arc::default());
        self
    }

    /// Creates the table as `infra/template.yaml` does (see the module docs)
    /// and waits until it is ready; [`StoreError::AlreadyExists`] if it exists.
    pub async fn create_table(
        client: &aws_sdk_dynamodb::Client,
        table: &str,
    ) -> Result<(), StoreError> {
        table::create_table(client, table).await
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// One eventually consistent read of a key that never exists (half a
    /// read unit): made during a function's init, so that the first event
    /// does not pay for resolving credentials and the endpoint, loading the
    /// TLS roots, connecting and the TLS handshake. The connection stays in
    /// the client's pool for the events.
    pub async fn warm_up(&self) -> StoreResult<()> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item("warm-up", "warm-up")))
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        Ok(())
    }

    /// Writes an item; with a condition, `Ok(false)` when it failed.
    async fn put(&self, item: Item, condition: Option<Condition<'_>>) -> StoreResult<bool> {
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        if let Some(condition) = condition {
            request = request.condition_expression(condition.expression);
            for (name, attribute) in condition.names {
                request = request.expression_attribute_names(*name, *attribute);
            }
            for (name, value) in condition.values {
                request = request.expression_attribute_values(*name, value.clone());
            }
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }

    /// Deletes an item; `true` if it was there.
    async fn delete(&self, pk: &str, sk: &str) -> StoreResult<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| unavailable("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn get_parsed<T: serde::de::DeserializeOwned>(
        &self,
        pk: &str,
        sk: &str,
        what: &str,
    ) -> StoreResult<Option<T>> {
        self.get(pk, sk)
            .await?
            .map(|item| parse(item, what))
            .transpose()
    }

    async fn list_parsed<T: serde::de::DeserializeOwned>(
        &self,
        pk: &str,
        sk_prefix: Option<&str>,
        what: &str,
    ) -> StoreResult<Vec<T>> {
        self.partition(pk, sk_prefix)
            .await?
            .into_iter()
            .map(|item| parse(item, what))
            .collect()
    }

    fn connection_item(connection: &Connection) -> StoreResult<Item> {
        let mut item = item_of(
            connection,
            tenant_pk(&connection.tenant),
            format!("{CONNECTION_PREFIX}{}", connection.id),
        )?;
        // Only connections with a next run are in the (sparse) due index.
        if let Some(at) = connection.next_run_at {
            item.insert(DUE.to_owned(), s(due_shard(&connection.id)));
            item.insert(DUE_AT.to_owned(), s(time_id(at, connection.id.as_str())));
        }
        Ok(item)
    }
}

/// A condition on a write: the expression and its placeholders.
struct Condition<'a> {
    expression: &'a str,
    names: &'a [(&'a str, &'a str)],
    values: &'a [(&'a str, aws_sdk_dynamodb::types::AttributeValue)],
}

const NOT_THERE: Condition<'static> = Condition {
    expression: "attribute_not_exists(#pk)",
    names: &[("#pk", PK)],
    values: &[],
};

/// A log event's count (`ADD`ed for events counted per minute).
const COUNT: &str = "count";

#[async_trait]
impl ConfigStore for DynamoStore {
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let item = item_of(tenant, TENANTS_PK.to_owned(), tenant_sk(&tenant.id))?;
        match self.put(item, Some(NOT_THERE)).await? {
            true => Ok(()),
            false => Err(StoreError::AlreadyExists),
        }
    }

    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        self.get_parsed(TENANTS_PK, &tenant_sk(id), "a stored tenant")
            .await
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        self.list_parsed(TENANTS_PK, None, "a stored tenant").await
    }

    async fn get_settings(&self, tenant: &TenantId) -> StoreResult<Settings> {
        Ok(self
            .get_parsed(&tenant_pk(tenant), SETTINGS_SK, "stored settings")
            .await?
            .unwrap_or_default())
    }

    async fn put_settings(&self, tenant: &TenantId, settings: &Settings) -> StoreResult<()> {
        let item = item_of(settings, tenant_pk(tenant), SETTINGS_SK.to_owned())?;
        self.put(item, None).await.map(|_| ())
    }

    async fn put_system(&self, system: &System) -> StoreResult<()> {
        let item = item_of(
            system,
            tenant_pk(&system.tenant),
            format!("{SYSTEM_PREFIX}{}", system.id),
        )?;
        self.put(item, None).await.map(|_| ())
    }

    async fn get_system(&self, tenant: &TenantId, id: &SystemId) -> StoreResult<Option<System>> {
        self.get_parsed(
            &tenant_pk(tenant),
            &format!("{SYSTEM_PREFIX}{id}"),
            "a stored system",
        )
        .await
    }

    async fn list_systems(&self, tenant: &TenantId) -> StoreResult<Vec<System>> {
        self.list_parsed(&tenant_pk(tenant), Some(SYSTEM_PREFIX), "a stored system")
            .await
    }

    async fn delete_system(&self, tenant: &TenantId, id: &SystemId) -> StoreResult<bool> {
        self.delete(&tenant_pk(tenant), &format!("{SYSTEM_PREFIX}{id}"))
            .await
    }

    async fn put_connection(&self, connection: &Connection) -> StoreResult<()> {
        let owner_key = owner_pk(&connection.id);
        let tenant = connection.tenant.as_str();
        // The scheduler rewrites connections every run: read the owner (a
        // read costs a fraction of a write) and claim the id only once.
        let owner = self.get(&owner_key, OWNER_SK).await?;
        match owner.as_ref().and_then(|o| text(o, TENANT)) {
            Some(owner) if owner != tenant => return Err(StoreError::AlreadyExists),
            Some(_) => {}
            None => {
                let mut claim = Item::new();
                claim.insert(PK.to_owned(), s(&owner_key));
                claim.insert(SK.to_owned(), s(OWNER_SK));
                claim.insert(TENANT.to_owned(), s(tenant));
                let values = [(":tenant", s(tenant))];
                let condition = Condition {
                    expression: "attribute_not_exists(#pk) OR #tenant = :tenant",
                    names: &[("#pk", PK), ("#tenant", TENANT)],
                    values: &values,
                };
                if !self.put(claim, Some(condition)).await? {
                    return Err(StoreError::AlreadyExists);
                }
            }
        }
        self.put(Self::connection_item(connection)?, None)
            .await
            .map(|_| ())
    }

    async fn get_connection(
        &self,
        tenant: &TenantId,
        id: &ConnectionId,
    ) -> StoreResult<Option<Connection>> {
        self.get_parsed(
            &tenant_pk(tenant),
            &format!("{CONNECTION_PREFIX}{id}"),
            "a stored connection",
        )
        .await
    }

    async fn find_connection(&self, id: &ConnectionId) -> StoreResult<Option<Connection>> {
        let Some(owner) = self.get(&owner_pk(id), OWNER_SK).await? else {
            return Ok(None);
        };
        let tenant = text(&owner, TENANT)
            .and_then(|t| TenantId::parse(t).ok())
            .ok_or_else(|| StoreError::Corrupt("a connection owner names no tenant".into()))?;
        self.get_connection(&tenant, id).await
    }

    async fn list_connections(&self, tenant: &TenantId) -> StoreResult<Vec<Connection>> {
        self.list_parsed(
            &tenant_pk(tenant),
            Some(CONNECTION_PREFIX),
            "a stored connection",
        )
        .await
    }

    async fn delete_connection(&self, tenant: &TenantId, id: &ConnectionId) -> StoreResult<bool> {
        let existed = self
            .delete(&tenant_pk(tenant), &format!("{CONNECTION_PREFIX}{id}"))
            .await?;
        if existed {
            // Free the id, but only if this tenant holds it.
            let result = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key(PK, s(owner_pk(id)))
                .key(SK, s(OWNER_SK))
                .condition_expression("#tenant = :tenant")
                .expression_attribute_names("#tenant", TENANT)
                .expression_attribute_values(":tenant", s(tenant.as_str()))
                .send()
                .await;
            if let Err(e) = result {
                if !e
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception())
                {
                    return Err(unavailable("DeleteItem (connection owner)", e));
                }
            }
        }
        Ok(existed)
    }

    async fn due_connections(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Connection>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let bound = after_time(now);
        let streams = (0..DUE_SHARDS)
            .map(|shard| {
                IndexStream::new(BY_DUE, (DUE, format!("DUE#{shard}")), DUE_AT)
                    .ascending()
                    .below(Some(bound.clone()))
                    .page_size(limit.min(500) + 1)
            })
            .collect();
        let mut merged = Merged::new(streams);
        let mut due = Vec::new();
        while due.len() < limit {
            let batch = merged.next(self, (limit - due.len()).min(100)).await?;
            if batch.is_empty() {
                break;
            }
            let keys: Vec<_> = batch.iter().map(|c| c.key.clone()).collect();
            let mut found = self.batch_get(&keys).await?;
            for candidate in batch {
                let Some(item) = found.remove(&candidate.key) else {
                    continue;
                };
                let connection: Connection = parse(item, "a stored connection")?;
                // The index lags the table: check the connection itself.
                if connection.next_run_at.is_some_and(|at| at <= now) {
                    due.push(connection);
                }
            }
        }
        due.sort_by(|a, b| (a.next_run_at, a.id.as_str()).cmp(&(b.next_run_at, b.id.as_str())));
        due.truncate(limit);
        Ok(due)
    }
}

#[async_trait]
impl DirectoryStore for DynamoStore {
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        let item = item_of(
            user,
            tenant_pk(&user.tenant),
            format!("{USER_PREFIX}{}", user.id),
        )?;
        self.put(item, None).await.map(|_| ())
    }

    async fn update_user(&self, user: &User, expected_version: u64) -> StoreResult<()> {
        let item = item_of(
            user,
            tenant_pk(&user.tenant),
            format!("{USER_PREFIX}{}", user.id),
        )?;
        let expected = [(":v", n(expected_version))];
        // A user saved before versions existed has none: it counts as 0.
        let expression = if expected_version == 0 {
            "attribute_exists(#pk) AND (attribute_not_exists(#v) OR #v = :v)"
        } else {
            "attribute_exists(#pk) AND #v = :v"
        };
        let condition = Condition {
            expression,
            names: &[("#pk", PK), ("#v", "version")],
            values: &expected,
        };
        match self.put(item, Some(condition)).await? {
            true => Ok(()),
            false => Err(StoreError::Conflict),
        }
    }

    async fn get_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<User>> {
        self.get_parsed(
            &tenant_pk(tenant),
            &format!("{USER_PREFIX}{id}"),
            "a stored user",
        )
        .await
    }

    async fn list_users(&self, tenant: &TenantId) -> StoreResult<Vec<User>> {
        self.list_parsed(&tenant_pk(tenant), Some(USER_PREFIX), "a stored user")
            .await
    }

    async fn delete_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<bool> {
        self.delete(&tenant_pk(tenant), &format!("{USER_PREFIX}{id}"))
            .await
    }

    async fn get_directory(&self, tenant: &TenantId) -> StoreResult<crate::model::Directory> {
        self.read_directory(tenant).await
    }

    async fn put_directory(
        &self,
        tenant: &TenantId,
        directory: &crate::model::Directory,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.write_directory(tenant, directory, expected_version)
            .await
    }
}

#[async_trait]
impl TransferStore for DynamoStore {
    async fn create_transfer(&self, transfer: &Transfer) -> StoreResult<()> {
        self.create_transfer_item(transfer).await
    }

    async fn get_transfer(
        &self,
        tenant: &TenantId,
        id: &TransferId,
    ) -> StoreResult<Option<Transfer>> {
        self.read_transfer(tenant, id).await
    }

    async fn update_transfer(
        &self,
        transfer: &Transfer,
        expected_version: u64,
        usage: UsageDelta,
    ) -> StoreResult<()> {
        self.update_transfer_item(transfer, expected_version, usage)
            .await
    }

    async fn list_transfers(
        &self,
        tenant: &TenantId,
        query: &TransferQuery,
    ) -> StoreResult<Page<Transfer>> {
        self.list_transfer_items(tenant, query).await
    }
}

#[async_trait]
impl CatalogStore for DynamoStore {
    async fn catalog_fingerprints(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
    ) -> StoreResult<std::collections::HashMap<String, String>> {
        self.read_fingerprints(tenant, connection).await
    }

    async fn put_catalog_fingerprint(
        &self,
        tenant: &TenantId,
        connection: &ConnectionId,
        key: &str,
        fingerprint: &str,
    ) -> StoreResult<()> {
        self.write_fingerprint(tenant, connection, key, fingerprint)
            .await
    }
}

#[async_trait]
impl UsageStore for DynamoStore {
    async fn usage(&self, tenant: &TenantId, period: &str) -> StoreResult<Usage> {
        self.read_usage(tenant, period).await
    }

    async fn get_subscription(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<Option<crate::model::Subscription>> {
        self.read_subscription(tenant).await
    }

    async fn put_subscription(
        &self,
        subscription: &crate::model::Subscription,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.write_subscription(subscription, expected_version)
            .await
    }

    async fn flush_usage(&self) -> StoreResult<()> {
        self.write_kept_usage().await
    }
}

#[async_trait]
impl LogStore for DynamoStore {
    async fn append_log(&self, event: &LogEvent, expires_at: DateTime<Utc>) -> StoreResult<()> {
        let mut item = item_of(event, log_pk(&event.tenant), time_id(event.at, &event.id))?;
        item.insert(EXPIRES_AT.to_owned(), n(expires_at.timestamp()));
        self.put(item, None).await.map(|_| ())
    }

    async fn count_log(&self, event: &LogEvent, expires_at: DateTime<Utc>) -> StoreResult<u64> {
        let mut item = item_of(event, log_pk(&event.tenant), time_id(event.at, &event.id))?;
        let (Some(pk), Some(sk)) = (item.remove(PK), item.remove(SK)) else {
            return Err(StoreError::Corrupt("a log event without its keys".into()));
        };
        item.remove(COUNT);
        item.insert(EXPIRES_AT.to_owned(), n(expires_at.timestamp()));
        // One UpdateItem: the first call writes the event, every call adds one.
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, pk)
            .key(SK, sk)
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew);
        let mut sets = Vec::new();
        for (i, (name, value)) in item.into_iter().enumerate() {
            sets.push(format!("#a{i} = if_not_exists(#a{i}, :v{i})"));
            update = update
                .expression_attribute_names(format!("#a{i}"), name)
                .expression_attribute_values(format!(":v{i}"), value);
        }
        let out = update
            .update_expression(format!("SET {} ADD #count :one", sets.join(", ")))
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem (log count)", e))?;
        out.attributes
            .as_ref()
            .and_then(|a| a.get(COUNT))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| StoreError::Corrupt("a counted log event without its count".into()))
    }

    async fn list_logs(&self, tenant: &TenantId, query: &LogQuery) -> StoreResult<Page<LogEvent>> {
        let limit = page_limit(query.limit);
        let before = query
            .cursor
            .as_deref()
            .map(|c| {
                decode_cursor(c).ok_or_else(|| {
                    StoreError::Corrupt(
                        "the page cursor is not valid: start again from the first page".into(),
                    )
                })
            })
            .transpose()?;
        let levels: Vec<&str> = [Level::Debug, Level::Info, Level::Warn, Level::Error]
            .into_iter()
            .filter(|l| query.min_level.is_none_or(|min| *l >= min))
            .map(level_name)
            .collect();

        // A bounded read: at most LOG_READ_BUDGET events evaluated, in
        // pages that start at what the page still needs and grow while a
        // filter finds little.
        let mut found: Vec<(String, LogEvent)> = Vec::new();
        let mut start: Option<Item> = None;
        let mut budget = LOG_READ_BUDGET.max(limit + 1);
        let mut ask = limit + 1;
        let stopped_at = loop {
            let ask_now = ask.min(budget);
            budget -= ask_now;
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .scan_index_forward(false)
                .limit(ask_now as i32)
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(log_pk(tenant)))
                .set_exclusive_start_key(start.take());
            request = match &before {
                Some(before) => request
                    .key_condition_expression("#pk = :pk AND #sk < :before")
                    .expression_attribute_names("#sk", SK)
                    .expression_attribute_values(":before", s(before)),
                None => request.key_condition_expression("#pk = :pk"),
            };
            let mut filters = Vec::new();
            if let Some(service) = &query.service {
                filters.push("#service = :service".to_owned());
                request = request
                    .expression_attribute_names("#service", "service")
                    .expression_attribute_values(":service", s(service));
            }
            if query.min_level.is_some() {
                let placeholders: Vec<String> =
                    (0..levels.len()).map(|i| format!(":level{i}")).collect();
                filters.push(format!("#level IN ({})", placeholders.join(", ")));
                request = request.expression_attribute_names("#level", "level");
                for (placeholder, level) in placeholders.iter().zip(&levels) {
                    request = request.expression_attribute_values(placeholder, s(*level));
                }
            }
            if !filters.is_empty() {
                request = request.filter_expression(filters.join(" AND "));
            }
            let out = request
                .send()
                .await
                .map_err(|e| unavailable("Query (logs)", e))?;
            for item in out.items.unwrap_or_default() {
                let sk = text(&item, SK).unwrap_or_default().to_owned();
                found.push((sk, parse(item, "a stored log event")?));
            }
            let evaluated_to = out
                .last_evaluated_key
                .as_ref()
                .and_then(|key| text(key, SK))
                .map(str::to_owned);
            match evaluated_to {
                None => break None,
                Some(_) if found.len() > limit => break None,
                // Out of budget: everything above this key was read.
                Some(sk) if budget == 0 => break Some(sk),
                Some(_) => {
                    start = out.last_evaluated_key;
                    ask = (ask * 4).max(limit + 1 - found.len());
                }
            }
        };
        let more = found.len() > limit;
        found.truncate(limit);
        let next = match found.last() {
            Some((sk, _)) if more => Some(encode_cursor(sk)),
            _ => stopped_at.as_deref().map(encode_cursor),
        };
        Ok(Page {
            items: found.into_iter().map(|(_, event)| event).collect(),
            next,
        })
    }
}

#[async_trait]
impl ReminderStore for DynamoStore {
    async fn get_reminder_settings(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<crate::model::ReminderSettings> {
        self.read_reminder_settings(tenant).await
    }

    async fn put_reminder_settings(
        &self,
        tenant: &TenantId,
        settings: &crate::model::ReminderSettings,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.write_reminder_settings(tenant, settings, expected_version)
            .await
    }

    async fn get_incidents(&self, tenant: &TenantId) -> StoreResult<crate::model::Incidents> {
        self.read_incidents(tenant).await
    }

    async fn put_incidents(
        &self,
        tenant: &TenantId,
        incidents: &crate::model::Incidents,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.write_incidents(tenant, incidents, expected_version)
            .await
    }

    async fn get_notice(
        &self,
        tenant: &TenantId,
        key: &str,
    ) -> StoreResult<Option<crate::model::Notice>> {
        self.read_notice(tenant, key).await
    }

    async fn put_notice(
        &self,
        notice: &crate::model::Notice,
        expected_version: u64,
    ) -> StoreResult<()> {
        self.write_notice(notice, expected_version).await
    }

    async fn list_notices(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> StoreResult<Vec<crate::model::Notice>> {
        self.read_notices(tenant, limit).await
    }
}

#[async_trait]
impl SetupStore for DynamoStore {
    async fn tenant_setup(&self, tenant: &TenantId) -> StoreResult<super::TenantSetup> {
        self.read_tenant_setup(tenant).await
    }
}

/// A level as stored (its serde name).
fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_are_the_stored_names() {
        for level in [Level::Debug, Level::Info, Level::Warn, Level::Error] {
            assert_eq!(
                serde_json::to_value(level).unwrap(),
                serde_json::Value::String(level_name(level).to_owned())
            );
        }
    }
}
