//! The Store conformance suite on DynamoStore against the emulator, and
//! checks on the raw table: key layout, TTL attributes, indexes, and that
//! sealed secrets never reach it in plain text. (emulator)

use crate::emulator::{aws_config, unique_name};
use aws_sdk_dynamodb::types::{AttributeValue, ProjectionType, TimeToLiveStatus};
use aws_sdk_dynamodb::Client;
use chrono::{Duration, Utc};
use ferry::model::{
    ConnectionId, CredentialHealth, Entity, Level, LogEvent, Payload, Scope, System, SystemId,
    SystemKind, Tenant, TenantId, Transfer, TransferId, TransferStatus,
};
use ferry::seal::{Credentials, Sealer};
use ferry::store::dynamodb::DynamoStore;
use ferry::store::{
    ConfigStore, DirectoryStore, LogStore, SetupStore, StoreError, TransferStore, UsageStore,
};
use ferry_testkit::conformance;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A store on a fresh table, and a plain client to look at the table.
async fn fresh() -> (Client, DynamoStore) {
    let client = Client::new(&aws_config().await);
    let table = unique_name("ferry");
    DynamoStore::create_table(&client, &table)
        .await
        .expect("create the table on the emulator");
    (client.clone(), DynamoStore::new(client, table))
}

fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".to_owned(), AttributeValue::S(pk.to_owned())),
        ("SK".to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}

async fn raw_item(
    client: &Client,
    table: &str,
    pk: &str,
    sk: &str,
) -> HashMap<String, AttributeValue> {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key(pk, sk)))
        .consistent_read(true)
        .send()
        .await
        .expect("get_item on the emulator")
        .item
        .unwrap_or_else(|| panic!("no item {pk} / {sk} in the table"))
}

/// The same checks the embedded store passes, races included.
#[tokio::test]
async fn conformance_suite_on_dynamodb() {
    let (_, store) = fresh().await;
    conformance::run_all(Arc::new(store)).await;
}

#[tokio::test]
async fn creating_the_table_twice_answers_already_exists() {
    let (client, store) = fresh().await;
    assert!(matches!(
        DynamoStore::create_table(&client, store.table()).await,
        Err(StoreError::AlreadyExists)
    ));
}

#[tokio::test]
async fn the_table_has_its_indexes_and_ttl() {
    let (client, store) = fresh().await;
    let table = client
        .describe_table()
        .table_name(store.table())
        .send()
        .await
        .expect("describe_table")
        .table
        .expect("a table description");
    let mut indexes: Vec<(String, Option<ProjectionType>)> = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            (
                i.index_name().unwrap_or_default().to_owned(),
                i.projection().and_then(|p| p.projection_type().cloned()),
            )
        })
        .collect();
    indexes.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        indexes,
        vec![
            ("by_due".to_owned(), Some(ProjectionType::KeysOnly)),
            ("by_source_ref".to_owned(), Some(ProjectionType::KeysOnly)),
            ("by_status".to_owned(), Some(ProjectionType::Include)),
            ("by_target_ref".to_owned(), Some(ProjectionType::KeysOnly)),
        ]
    );
    let ttl = client
        .describe_time_to_live()
        .table_name(store.table())
        .send()
        .await
        .expect("describe_time_to_live")
        .time_to_live_description
        .expect("a TTL description");
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
}

/// Writes through DynamoStore, then reads the raw items back with the plain
/// SDK client: the emulator really holds them, in the documented layout.
#[tokio::test]
async fn items_land_in_the_emulator_in_the_documented_layout() {
    let (client, store) = fresh().await;
    let table = store.table().to_owned();
    let tenant = Tenant {
        id: TenantId::generate(),
        name: "Raw Layout ApS".to_owned(),
        email: "raw@example.com".to_owned(),
        time_zone: "UTC".to_owned(),
        created_at: Utc::now(),
    };
    store.create_tenant(&tenant).await.expect("create_tenant");
    let item = raw_item(&client, &table, "TENANTS", &format!("T#{}", tenant.id)).await;
    assert_eq!(item["name"], AttributeValue::S("Raw Layout ApS".to_owned()));

    // A log event carries a numeric TTL.
    let expires = Utc::now() + Duration::days(2);
    let event = LogEvent {
        id: "01JEVENT".to_owned(),
        tenant: tenant.id.clone(),
        at: Utc::now(),
        service: "scheduler".to_owned(),
        level: Level::Warn,
        message: "polled".to_owned(),
        connection: None,
        transfer: None,
        count: 1,
    };
    store.append_log(&event, expires).await.expect("append_log");
    let logged = client
        .query()
        .table_name(&table)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("T#{}#LOG", tenant.id)))
        .send()
        .await
        .expect("query the log partition");
    let logged = logged.items().first().expect("the log event item");
    assert_eq!(
        logged["expires_at"],
        AttributeValue::N(expires.timestamp().to_string()),
        "expires_at must be a number of epoch seconds"
    );

    // A transfer is one small item plus its payload part in one partition.
    let connection = ConnectionId::generate();
    let received = Utc::now();
    let transfer = Transfer {
        id: TransferId::for_record(&connection, "450789469"),
        tenant: tenant.id.clone(),
        connection: connection.clone(),
        entity: Entity::Orders,
        source_id: "450789469".to_owned(),
        source_ref: "#1001".to_owned(),
        target_ref: None,
        status: TransferStatus::Pending,
        reason: None,
        attempts: 0,
        source_updated_at: None,
        lease_until: None,
        received_at: received,
        updated_at: received,
        source_payload: Some(Payload::compress(b"{\"id\":450789469}")),
        target_payload: None,
        version: 1,
        kind: None,
    };
    store
        .create_transfer(&transfer)
        .await
        .expect("create_transfer");
    let pk = format!("T#{}#TR#{}", tenant.id, transfer.id);
    let record = raw_item(&client, &table, &pk, "TR").await;
    assert_eq!(
        record["ST"],
        AttributeValue::S(format!("T#{}#pending", tenant.id))
    );
    assert_eq!(
        record["SREF"],
        AttributeValue::S(format!("T#{}##1001", tenant.id))
    );
    assert_eq!(record["version"], AttributeValue::N("1".to_owned()));
    assert!(
        !record.contains_key("source_payload"),
        "payloads live in part items"
    );
    let partition = client
        .query()
        .table_name(&table)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
        .send()
        .await
        .expect("query the transfer partition");
    let parts: Vec<&HashMap<String, AttributeValue>> = partition
        .items()
        .iter()
        .filter(|i| matches!(&i["SK"], AttributeValue::S(sk) if sk.starts_with("P#")))
        .collect();
    assert_eq!(parts.len(), 1);
    assert!(matches!(parts[0]["data"], AttributeValue::B(_)));
}

/// Every byte of every attribute, nested ones included.
fn bytes_of(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => out.extend_from_slice(s.as_bytes()),
        AttributeValue::B(b) => out.extend_from_slice(b.as_ref()),
        AttributeValue::Ss(list) | AttributeValue::Ns(list) => list
            .iter()
            .for_each(|s| out.extend_from_slice(s.as_bytes())),
        AttributeValue::Bs(list) => list.iter().for_each(|b| out.extend_from_slice(b.as_ref())),
        AttributeValue::L(list) => list.iter().for_each(|v| bytes_of(v, out)),
        AttributeValue::M(map) => map.iter().for_each(|(k, v)| {
            out.extend_from_slice(k.as_bytes());
            bytes_of(v, out);
        }),
        _ => {}
    }
    out.push(b'\n');
}

#[tokio::test]
async fn sealed_secrets_never_reach_the_table() {
    let (client, store) = fresh().await;
    let sealer = Sealer::from_base64(&Sealer::generate_key()).expect("a key");
    let mut secrets = BTreeMap::new();
    secrets.insert("access_token".to_owned(), "shpat_SECRET123".to_owned());
    secrets.insert("webhook_secret".to_owned(), "whsec_SECRET456".to_owned());
    let tenant = TenantId::generate();
    let system = sealed_system(
        &tenant,
        SystemKind::Shopify,
        "Shop named marker-7f3a",
        &sealer,
        secrets,
    );
    store.put_system(&system).await.expect("put_system");

    // A scan is fine in a test: the whole table, every page.
    let mut raw = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(store.table())
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan the table");
        for item in page.items() {
            for (name, value) in item {
                raw.extend_from_slice(name.as_bytes());
                bytes_of(value, &mut raw);
            }
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => break,
        }
    }
    let contains = |needle: &str| raw.windows(needle.len()).any(|w| w == needle.as_bytes());
    // The scan saw the system and its sealed form...
    assert!(contains("marker-7f3a"));
    assert!(contains(&system.credentials.0));
    // ...and never the plain secrets.
    assert!(
        !contains("shpat_SECRET123"),
        "a plain secret reached the table"
    );
    assert!(
        !contains("whsec_SECRET456"),
        "a plain secret reached the table"
    );
    assert!(!contains("SECRET"));
    assert_eq!(
        store
            .get_system(&tenant, &system.id)
            .await
            .expect("get_system"),
        Some(system)
    );
}

/// A system of `tenant` whose `secrets` are sealed with `sealer`.
fn sealed_system(
    tenant: &TenantId,
    kind: SystemKind,
    name: &str,
    sealer: &Sealer,
    secrets: BTreeMap<String, String>,
) -> System {
    System {
        id: SystemId::generate(),
        tenant: tenant.clone(),
        kind,
        name: name.to_owned(),
        config: serde_json::Map::new(),
        credentials: Default::default(),
        health: CredentialHealth::default(),
        scope: Scope::default(),
        active: true,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
    .with_credentials(sealer, &Credentials(secrets))
}

fn pending_order(tenant: &TenantId, number: u32, at: chrono::DateTime<Utc>) -> Transfer {
    let connection = ConnectionId::generate();
    let source_id = format!("45078{number}");
    Transfer {
        id: TransferId::for_record(&connection, &source_id),
        tenant: tenant.clone(),
        connection,
        entity: Entity::Orders,
        source_id,
        source_ref: format!("#{number}"),
        target_ref: None,
        status: TransferStatus::Pending,
        reason: None,
        attempts: 0,
        source_updated_at: None,
        lease_until: None,
        received_at: at,
        updated_at: at,
        source_payload: Some(Payload::compress(b"{\"id\":1}")),
        target_payload: None,
        version: 1,
        kind: None,
    }
}

/// Settles `transfer` as delivered at `at`, counting one order.
async fn deliver(store: &DynamoStore, transfer: &Transfer, at: chrono::DateTime<Utc>) {
    let delivered = Transfer {
        status: TransferStatus::Delivered,
        target_ref: Some(format!("INV-{}", transfer.source_id)),
        updated_at: at,
        version: transfer.version + 1,
        ..transfer.clone()
    };
    let one = ferry::model::UsageDelta {
        orders: 1,
        created: 1,
        ..Default::default()
    };
    store
        .update_transfer(&delivered, transfer.version, one)
        .await
        .expect("deliver");
}

/// Usage is one item per day; a month reads as the sum of its days.
#[tokio::test]
async fn a_month_of_usage_is_the_sum_of_its_day_items() {
    let (client, store) = fresh().await;
    let tenant = TenantId::generate();
    let day = |d: u32| {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, d, 12, 0, 0)
            .single()
            .expect("a date")
    };
    for (number, d) in [(1, 23), (2, 23), (3, 24), (4, 30)] {
        let transfer = pending_order(&tenant, number, day(d));
        store.create_transfer(&transfer).await.expect("create");
        deliver(&store, &transfer, day(d)).await;
    }
    let december = pending_order(&tenant, 5, day(30) + Duration::days(1));
    store.create_transfer(&december).await.expect("create");
    deliver(&store, &december, day(30) + Duration::days(1)).await;

    assert_eq!(store.usage(&tenant, "2026-11-23").await.unwrap().orders, 2);
    assert_eq!(store.usage(&tenant, "2026-11").await.unwrap().orders, 4);
    assert_eq!(store.usage(&tenant, "2026-12").await.unwrap().orders, 1);
    let counters = client
        .query()
        .table_name(store.table())
        .key_condition_expression("PK = :pk AND begins_with(SK, :use)")
        .expression_attribute_values(":pk", AttributeValue::S(format!("T#{tenant}")))
        .expression_attribute_values(":use", AttributeValue::S("USE#".into()))
        .send()
        .await
        .expect("query the usage items");
    let keys: Vec<String> = counters
        .items()
        .iter()
        .filter_map(|item| item["SK"].as_s().ok().cloned())
        .collect();
    assert_eq!(
        keys,
        [
            "USE#2026-11-23",
            "USE#2026-11-24",
            "USE#2026-11-30",
            "USE#2026-12-01"
        ],
        "one counter item per day, none per month"
    );
}

/// The transfer-worker's store keeps usage until the batch is flushed: its
/// own reads count it at once, another process sees it after the flush,
/// and the flush writes one counter per tenant and day.
#[tokio::test]
async fn usage_counted_per_batch_is_written_once_on_flush() {
    let (client, plain) = fresh().await;
    let batching = DynamoStore::new(client.clone(), plain.table()).counting_usage_per_batch();
    let tenant = TenantId::generate();
    let now = Utc::now();
    let today = now.format("%Y-%m-%d").to_string();
    let month = now.format("%Y-%m").to_string();
    for number in 1..=3 {
        let transfer = pending_order(&tenant, number, now);
        batching.create_transfer(&transfer).await.expect("create");
        deliver(&batching, &transfer, now).await;
    }
    assert_eq!(batching.usage(&tenant, &today).await.unwrap().orders, 3);
    assert_eq!(batching.usage(&tenant, &month).await.unwrap().orders, 3);
    assert_eq!(
        plain.usage(&tenant, &month).await.unwrap().orders,
        0,
        "nothing written before the flush"
    );

    batching.flush_usage().await.expect("flush");
    assert_eq!(plain.usage(&tenant, &today).await.unwrap().orders, 3);
    assert_eq!(plain.usage(&tenant, &month).await.unwrap().created, 3);
    assert_eq!(
        batching.usage(&tenant, &month).await.unwrap().orders,
        3,
        "flushed counts are not counted twice"
    );
    // A second flush has nothing left to add.
    batching.flush_usage().await.expect("flush");
    assert_eq!(plain.usage(&tenant, &month).await.unwrap().orders, 3);

    // A flush that fails keeps its counts for the next one.
    let (client, other) = fresh().await;
    let keeping = DynamoStore::new(client.clone(), other.table()).counting_usage_per_batch();
    let transfer = pending_order(&tenant, 4, now);
    keeping.create_transfer(&transfer).await.expect("create");
    deliver(&keeping, &transfer, now).await;
    client
        .delete_table()
        .table_name(other.table())
        .send()
        .await
        .expect("delete the table");
    assert!(keeping.flush_usage().await.is_err(), "the table is gone");
    DynamoStore::create_table(&client, other.table())
        .await
        .expect("the table again");
    keeping.flush_usage().await.expect("flush");
    assert_eq!(other.usage(&tenant, &month).await.unwrap().orders, 1);
}

/// A tenant with many systems: the worker's one read of its set-up stays a
/// single bounded Query (settings, subscription and the first systems), and
/// says it holds only some, so that the others are read one by one.
#[tokio::test]
async fn the_set_up_of_a_tenant_with_many_systems_is_read_in_one_bounded_page() {
    let (_client, store) = fresh().await;
    let tenant = TenantId::generate();
    let sealer = Sealer::from_base64(&Sealer::generate_key()).expect("a key");
    let settings = ferry::model::Settings {
        stock_active: false,
        ..Default::default()
    };
    store
        .put_settings(&tenant, &settings)
        .await
        .expect("put_settings");
    let mut ids = Vec::new();
    for n in 0..30 {
        let system = sealed_system(
            &tenant,
            SystemKind::Woocommerce,
            &format!("Shop {n}"),
            &sealer,
            BTreeMap::new(),
        );
        store.put_system(&system).await.expect("put_system");
        ids.push(system.id);
    }
    let setup = store.tenant_setup(&tenant).await.expect("tenant_setup");
    assert_eq!(setup.settings, settings);
    assert!(
        !setup.all_systems,
        "30 systems are more than one page holds"
    );
    assert!(
        setup.systems.len() < 16,
        "{} systems read with the settings",
        setup.systems.len()
    );
    ids.sort();
    let last = ids.last().expect("30 ids");
    assert!(setup.systems.iter().all(|s| &s.id != last));
    let found = setup.system(&store, &tenant, last).await.expect("system");
    assert_eq!(found.map(|s| s.id), Some(last.clone()));
}

/// A user item written before users had a version (no `version`
/// attribute) reads as version 0 and is changed over it; a second change
/// from the same read is a conflict. (issue 16, item 8)
#[tokio::test]
async fn a_user_saved_before_versions_is_changed_by_compare_and_swap() {
    let (client, store) = fresh().await;
    let tenant = TenantId::generate();
    let user = ferry::model::User::new(
        tenant.clone(),
        "old@example.com",
        ferry::model::Role::Admin,
        Utc::now(),
    );
    let pk = format!("T#{tenant}");
    let sk = format!("USR#{}", user.id);
    let mut item = key(&pk, &sk);
    for (name, value) in [
        ("id", user.id.to_string()),
        ("tenant", tenant.to_string()),
        ("email", user.email.clone()),
        ("role", "admin".to_owned()),
        ("created_at", user.created_at.to_rfc3339()),
    ] {
        item.insert(name.to_owned(), AttributeValue::S(value));
    }
    client
        .put_item()
        .table_name(store.table())
        .set_item(Some(item))
        .send()
        .await
        .expect("put_item on the emulator");
    let stored = store.get_user(&tenant, &user.id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.token_generation), (0, 0));
    let out = stored.signed_out_everywhere();
    store
        .update_user(&out, 0)
        .await
        .expect("changed over version 0");
    assert!(matches!(
        store
            .update_user(&stored.with_role(ferry::model::Role::Viewer), 0)
            .await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        raw_item(&client, store.table(), &pk, &sk).await["version"],
        AttributeValue::N("1".into())
    );
    assert_eq!(store.get_user(&tenant, &user.id).await.unwrap(), Some(out));
}
