//! What only the embedded store has: its file, reopening, purging, indexes.
//! The conformance suite runs on it from the test kit
//! (`testkit/tests/conformance.rs`).

use super::EmbeddedStore;
use crate::model::{
    ConnectionId, CredentialHealth, Entity, Scope, System, SystemId, SystemKind, TenantId,
    Transfer, TransferId, TransferStatus,
};
use crate::seal::{Credentials, Sealer};
use crate::store::{ConfigStore, LogStore, StoreError, TransferQuery, TransferStore};
use chrono::{Duration, TimeZone, Utc};

fn fresh() -> EmbeddedStore {
    EmbeddedStore::temporary().expect("a temporary store")
}

#[tokio::test]
async fn sealed_secrets_never_reach_the_file() {
    let store = fresh();
    let sealer = Sealer::from_base64(&Sealer::generate_key()).expect("a key");
    let mut secrets = std::collections::BTreeMap::new();
    secrets.insert("access_token".to_owned(), "shpat_SECRET123".to_owned());
    secrets.insert("webhook_secret".to_owned(), "whsec_SECRET456".to_owned());
    let tenant = TenantId::generate();
    let system = System {
        id: SystemId::generate(),
        tenant: tenant.clone(),
        kind: SystemKind::Shopify,
        name: "Shop named marker-7f3a".to_owned(),
        config: serde_json::Map::new(),
        credentials: Default::default(),
        health: CredentialHealth::default(),
        scope: Scope::default(),
        active: true,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
    .with_credentials(&sealer, &Credentials(secrets));
    store.put_system(&system).await.expect("put_system");

    let raw = std::fs::read(store.path()).expect("the store file");
    let contains = |needle: &str| raw.windows(needle.len()).any(|w| w == needle.as_bytes());
    // The file is the right one: the system and its sealed form are there.
    assert!(contains("marker-7f3a"));
    assert!(contains(&system.credentials.0));
    assert!(
        !contains("shpat_SECRET123"),
        "a plain secret reached the file"
    );
    assert!(
        !contains("whsec_SECRET456"),
        "a plain secret reached the file"
    );
    assert!(!contains("SECRET"));
}

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let path = std::env::temp_dir().join(format!("ferry-reopen-{}.redb", ulid::Ulid::new()));
    let tenant = TenantId::generate();
    let connection = ConnectionId::generate();
    let transfer = sample(&tenant, &connection, 1, TransferStatus::Pending, 0);
    {
        let store = EmbeddedStore::open(&path).expect("open");
        store.create_transfer(&transfer).await.expect("create");
        // A second handle on an open file is refused with a clear message.
        match EmbeddedStore::open(&path) {
            Err(StoreError::Unavailable(message)) => assert!(message.contains("cannot open")),
            other => panic!("opening an open file twice: {other:?}"),
        }
    }
    let store = EmbeddedStore::open(&path).expect("reopen");
    assert_eq!(
        store
            .get_transfer(&tenant, &transfer.id)
            .await
            .expect("get"),
        Some(transfer)
    );
    drop(store);
    std::fs::remove_file(&path).expect("remove the test file");
}

#[tokio::test]
async fn expired_logs_are_purged() {
    let store = fresh();
    let now = Utc::now();
    let past = now - Duration::hours(1);
    let future = now + Duration::hours(1);
    let tenant = TenantId::generate();
    for (n, expires) in [(1, past), (2, future)] {
        let event = crate::model::LogEvent {
            id: format!("event-{n}"),
            tenant: tenant.clone(),
            at: now,
            service: "scheduler".to_owned(),
            level: crate::model::Level::Info,
            message: format!("event {n}"),
            connection: None,
            transfer: None,
            count: 1,
        };
        store.append_log(&event, expires).await.expect("append");
    }

    assert_eq!(store.purge_expired(now).await.expect("purge"), 1);
    let logs = store
        .list_logs(&tenant, &Default::default())
        .await
        .expect("logs");
    assert_eq!(logs.items.len(), 1);
    assert_eq!(logs.items[0].id, "event-2");
    assert_eq!(store.purge_expired(now).await.expect("purge"), 0);
}

fn sample(
    tenant: &TenantId,
    connection: &ConnectionId,
    n: u32,
    status: TransferStatus,
    minute: i64,
) -> Transfer {
    let received = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a date")
        + Duration::minutes(minute);
    Transfer {
        id: TransferId::for_record(connection, &n.to_string()),
        tenant: tenant.clone(),
        connection: connection.clone(),
        entity: Entity::Orders,
        source_id: n.to_string(),
        source_ref: format!("#{n}"),
        target_ref: (status == TransferStatus::Delivered).then(|| format!("INV-{n}")),
        status,
        reason: None,
        attempts: 0,
        source_updated_at: None,
        lease_until: None,
        received_at: received,
        updated_at: received,
        source_payload: None,
        target_payload: None,
        version: 1,
        kind: None,
    }
}

/// Every filter reads only the index entries of the page it shows (plus
/// one to know there is more), however many transfers the tenant has.
#[tokio::test]
async fn lists_read_indexes_not_every_transfer() {
    let store = fresh();
    let tenant = TenantId::generate();
    let busy = ConnectionId::generate();
    let quiet = ConnectionId::generate();
    let mut seed = Vec::new();
    for n in 0..6000u32 {
        let (connection, status) = match n % 100 {
            0 => (&quiet, TransferStatus::Failed),
            1..=10 => (&busy, TransferStatus::Failed),
            _ => (&busy, TransferStatus::Delivered),
        };
        seed.push(sample(&tenant, connection, n, status, i64::from(n)));
    }
    store.import_transfers(seed).await.expect("import");

    let page = |query: TransferQuery| {
        let store = store.clone();
        let tenant = tenant.clone();
        async move {
            store
                .list_transfers_counted(&tenant, &query)
                .await
                .expect("list")
        }
    };
    let rare = TransferQuery {
        status: Some(TransferStatus::Failed),
        connection: Some(quiet.clone()),
        limit: 20,
        ..TransferQuery::default()
    };
    let (found, examined) = page(rare.clone()).await;
    assert_eq!(found.items.len(), 20);
    assert!(found
        .items
        .iter()
        .all(|t| t.connection == quiet && t.status == TransferStatus::Failed));
    assert!(
        examined <= 20,
        "read {examined} entries for 20 rare transfers"
    );

    let (second, examined) = page(TransferQuery {
        cursor: found.next.clone(),
        ..rare.clone()
    })
    .await;
    assert_eq!(second.items.len(), 20);
    assert!(examined <= 20);
    let (third, _) = page(TransferQuery {
        cursor: second.next.clone(),
        ..rare
    })
    .await;
    assert_eq!(third.items.len(), 20);
    assert_eq!(
        third.next, None,
        "60 rare transfers: the third page is the last"
    );

    let (by_number, examined) = page(TransferQuery {
        reference: Some("INV-5999".to_owned()),
        ..TransferQuery::default()
    })
    .await;
    assert_eq!(by_number.items.len(), 1);
    assert_eq!(examined, 1);

    let start = Utc
        .with_ymd_and_hms(2026, 1, 3, 0, 0, 0)
        .single()
        .expect("a date");
    let (window, examined) = page(TransferQuery {
        from: Some(start),
        to: Some(start + Duration::minutes(30)),
        status: Some(TransferStatus::Delivered),
        limit: 500,
        ..TransferQuery::default()
    })
    .await;
    assert!(!window.items.is_empty());
    assert_eq!(
        examined,
        window.items.len(),
        "a time window reads only itself"
    );
}
