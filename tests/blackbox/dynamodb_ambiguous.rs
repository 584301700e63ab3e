//! Ambiguous DynamoDB writes: a transfer's PutItem lands, but its answer is
//! lost (here: turned into a 500), so the SDK retries it and the retry's
//! condition fails on the item the first attempt wrote. The store must
//! know its own write, keep its payload parts and count usage once; and
//! payload parts nothing points at are swept once they are old. (emulator)

use crate::emulator::{aws_config, unique_name};
use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use chrono::Utc;
use ferry::model::usage_periods;
use ferry::model::{
    ConnectionId, Entity, Payload, TenantId, Transfer, TransferId, TransferStatus, UsageDelta,
};
use ferry::store::dynamodb::DynamoStore;
use ferry::store::{StoreError, TransferStore, UsageStore};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Lets a PutItem of a transfer item (`SK = TR`) reach the emulator and
/// then replaces its successful answer with a 500, as many times as armed:
/// the write landed, the client does not know it, and the SDK retries.
#[derive(Debug, Default, Clone)]
struct LoseTransferPutAnswer {
    armed: Arc<AtomicUsize>,
    lost: Arc<AtomicUsize>,
}

impl LoseTransferPutAnswer {
    fn arm(&self) {
        self.armed.fetch_add(1, Ordering::SeqCst);
    }

    fn lost(&self) -> usize {
        self.lost.load(Ordering::SeqCst)
    }
}

/// Marks an operation (in its config bag) as a PutItem of a transfer item.
#[derive(Debug, Clone)]
struct PutsTransferItem;

impl Storable for PutsTransferItem {
    type Storer = StoreReplace<Self>;
}

impl Intercept for LoseTransferPutAnswer {
    fn name(&self) -> &'static str {
        "LoseTransferPutAnswer"
    }

    /// The request is gone once sent: tell a transfer put while it is here.
    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let put_item = request
            .headers()
            .get("x-amz-target")
            .is_some_and(|target| target.ends_with(".PutItem"));
        let body: serde_json::Value = request
            .body()
            .bytes()
            .and_then(|bytes| serde_json::from_slice(bytes).ok())
            .unwrap_or_default();
        if put_item && body["Item"]["SK"]["S"] == "TR" {
            cfg.interceptor_state().store_put(PutsTransferItem);
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let succeeded = context.response().status().is_success();
        if !succeeded || cfg.load::<PutsTransferItem>().is_none() {
            return Ok(());
        }
        let disarmed = self
            .armed
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if disarmed.is_ok() {
            *context.response_mut().status_mut() = 500u16.try_into()?;
            self.lost.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// A store whose client loses armed transfer-put answers (and retries
/// quickly), a plain client to look at the table, and the interceptor.
async fn fresh() -> (Client, DynamoStore, LoseTransferPutAnswer) {
    fresh_with(RetryConfig::standard().with_initial_backoff(Duration::from_millis(5))).await
}

async fn fresh_with(retry: RetryConfig) -> (Client, DynamoStore, LoseTransferPutAnswer) {
    let sdk = aws_config().await;
    let plain = Client::new(&sdk);
    let table = unique_name("ferry");
    DynamoStore::create_table(&plain, &table)
        .await
        .expect("create the table on the emulator");
    let lose = LoseTransferPutAnswer::default();
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(lose.clone())
        .retry_config(retry)
        .build();
    let store = DynamoStore::new(Client::from_conf(conf), table);
    (plain, store, lose)
}

fn order(tenant: &TenantId) -> Transfer {
    let connection = ConnectionId::generate();
    let now = Utc::now();
    Transfer {
        id: TransferId::for_record(&connection, "820982911946154508"),
        tenant: tenant.clone(),
        connection,
        entity: Entity::Orders,
        source_id: "820982911946154508".to_owned(),
        source_ref: "#1001".to_owned(),
        target_ref: None,
        status: TransferStatus::Pending,
        reason: None,
        attempts: 0,
        source_updated_at: None,
        lease_until: None,
        received_at: now,
        updated_at: now,
        source_payload: Some(Payload::compress(br#"{"id":820982911946154508}"#)),
        target_payload: None,
        version: 1,
        kind: None,
    }
}

/// The sort keys of the transfer's partition (its item and payload parts).
async fn partition_keys(client: &Client, table: &str, transfer: &Transfer) -> Vec<String> {
    client
        .query()
        .table_name(table)
        .consistent_read(true)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(format!("T#{}#TR#{}", transfer.tenant, transfer.id)),
        )
        .send()
        .await
        .expect("query the transfer's partition")
        .items()
        .iter()
        .filter_map(|item| item.get("SK")?.as_s().ok().cloned())
        .collect()
}

async fn read_back(store: &DynamoStore, transfer: &Transfer) -> Transfer {
    store
        .get_transfer(&transfer.tenant, &transfer.id)
        .await
        .expect("the transfer reads back whole (no payload part missing)")
        .expect("the transfer is stored")
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_ours_and_keeps_its_payload() {
    let (client, store, lose) = fresh().await;
    let transfer = order(&TenantId::generate());

    lose.arm();
    let created = store.create_transfer(&transfer).await;
    assert_eq!(lose.lost(), 1, "the first answer was lost, then retried");
    assert!(
        created.is_ok(),
        "the retry found our own item: the create succeeded, got {created:?}"
    );
    let stored = read_back(&store, &transfer).await;
    assert_eq!(stored.source_payload, transfer.source_payload);

    // The webshop retries the webhook: the same record, already there.
    let retried = store.create_transfer(&transfer).await;
    assert!(
        matches!(retried, Err(StoreError::AlreadyExists)),
        "{retried:?}"
    );
    let stored = read_back(&store, &transfer).await;
    assert_eq!(stored.source_payload, transfer.source_payload);
    // The retry's own part is removed: the stored item provably is not its.
    assert_eq!(
        partition_keys(&client, store.table(), &transfer)
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn an_update_whose_answer_was_lost_commits_once_and_counts_once() {
    let (client, store, lose) = fresh().await;
    let transfer = order(&TenantId::generate());
    store.create_transfer(&transfer).await.expect("create");
    let delivered = Transfer {
        status: TransferStatus::Delivered,
        target_ref: Some("INV-1001".to_owned()),
        target_payload: Some(Payload::compress(br#"{"invoice":"INV-1001"}"#)),
        version: transfer.version + 1,
        ..transfer.clone()
    };
    let one = UsageDelta {
        orders: 1,
        created: 1,
        ..UsageDelta::default()
    };

    lose.arm();
    let updated = store
        .update_transfer(&delivered, transfer.version, one)
        .await;
    assert_eq!(lose.lost(), 1, "the first answer was lost, then retried");
    assert!(
        updated.is_ok(),
        "the retry found our own item: the update committed, got {updated:?}"
    );
    let stored = read_back(&store, &transfer).await;
    assert_eq!(stored.version, delivered.version);
    assert_eq!(stored.status, TransferStatus::Delivered);
    assert_eq!(stored.source_payload, transfer.source_payload);
    assert_eq!(stored.target_payload, delivered.target_payload);
    let [day, month] = usage_periods(delivered.updated_at);
    for period in [day, month] {
        let usage = store.usage(&transfer.tenant, &period).await.expect("usage");
        assert_eq!(
            (usage.orders, usage.created),
            (1, 1),
            "counted once in {period}"
        );
    }
    // A second writer at the old version still loses.
    let late = store
        .update_transfer(&delivered, transfer.version, one)
        .await;
    assert!(matches!(late, Err(StoreError::Conflict)), "{late:?}");
    // Its new target part is removed: the stored item provably is not its.
    assert_eq!(
        partition_keys(&client, store.table(), &transfer)
            .await
            .len(),
        3,
        "the item, its source part and its target part"
    );
    assert_eq!(read_back(&store, &transfer).await, stored);
}

/// Without a retry, the lost answer is the last word: the store cannot
/// tell whether the put landed, so it answers Unavailable and deletes
/// nothing. Here the puts did land: the transfer must read back whole.
#[tokio::test]
async fn a_put_whose_only_answer_was_lost_deletes_no_part() {
    let (_, store, lose) = fresh_with(RetryConfig::disabled()).await;
    let transfer = order(&TenantId::generate());

    lose.arm();
    let created = store.create_transfer(&transfer).await;
    assert!(
        matches!(created, Err(StoreError::Unavailable(_))),
        "{created:?}"
    );
    let stored = read_back(&store, &transfer).await;
    assert_eq!(stored.source_payload, transfer.source_payload);

    let delivered = Transfer {
        status: TransferStatus::Delivered,
        target_payload: Some(Payload::compress(br#"{"invoice":"INV-1001"}"#)),
        version: transfer.version + 1,
        ..transfer.clone()
    };
    lose.arm();
    let updated = store
        .update_transfer(&delivered, transfer.version, UsageDelta::default())
        .await;
    assert!(
        matches!(updated, Err(StoreError::Unavailable(_))),
        "{updated:?}"
    );
    assert_eq!(lose.lost(), 2);
    let stored = read_back(&store, &transfer).await;
    assert_eq!(stored.version, delivered.version);
    assert_eq!(stored.source_payload, transfer.source_payload);
    assert_eq!(stored.target_payload, delivered.target_payload);
}

/// A part item in the transfer's partition that nothing points at, made
/// `age` ago (its key is a ULID of that time).
async fn orphan_part(client: &Client, table: &str, transfer: &Transfer, age: Duration) -> String {
    let made = std::time::SystemTime::now() - age;
    let key = ulid::Ulid::from_datetime(made).to_string().to_lowercase();
    let sk = format!("P#{key}#0000");
    let item = HashMap::from([
        (
            "PK".to_owned(),
            AttributeValue::S(format!("T#{}#TR#{}", transfer.tenant, transfer.id)),
        ),
        ("SK".to_owned(), AttributeValue::S(sk.clone())),
        (
            "data".to_owned(),
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(b"orphan".to_vec())),
        ),
    ]);
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .expect("put an orphan part");
    sk
}

#[tokio::test]
async fn reading_a_transfer_sweeps_old_parts_nothing_points_at() {
    let (client, store, _) = fresh().await;
    let transfer = order(&TenantId::generate());
    store.create_transfer(&transfer).await.expect("create");
    let table = store.table().to_owned();
    let old = orphan_part(&client, &table, &transfer, Duration::from_secs(2 * 3600)).await;
    // Young: maybe a write still in flight that will point at it.
    let young = orphan_part(&client, &table, &transfer, Duration::from_secs(60)).await;
    let before = partition_keys(&client, &table, &transfer).await;
    assert!(before.contains(&old) && before.contains(&young));

    let stored = read_back(&store, &transfer).await;
    assert_eq!(stored.source_payload, transfer.source_payload);
    let after = partition_keys(&client, &table, &transfer).await;
    assert!(!after.contains(&old), "the old orphan is swept: {after:?}");
    assert!(
        after.contains(&young),
        "a young part is left alone: {after:?}"
    );
    assert_eq!(after.len(), 3, "the item, its own part, the young part");
    let stored = read_back(&store, &transfer).await;
    assert_eq!(stored.source_payload, transfer.source_payload);
}
