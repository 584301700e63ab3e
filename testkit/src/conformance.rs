//! The Store conformance suite: the contract every [`Store`] keeps, as code.
//!
//! Each check takes a store, works under tenants of its own (fresh ids), and
//! panics with a plain message when the store breaks the contract. Checks
//! can therefore share one store; [`run_all`] runs them one after another.
//!
//! Choices the trait leaves open and this suite pins down, so that both
//! implementations behave the same:
//! - lists of transfers and logs are newest first; ties on the time are
//!   broken by id, descending (so that pages never skip or repeat an item);
//! - `update_transfer` counts `usage` towards the periods of the transfer's
//!   `updated_at` ([`usage_periods`]);
//! - a connection id belongs to one tenant: another tenant cannot put a
//!   connection with that id ([`StoreError::AlreadyExists`]), because the
//!   webhook route finds connections by id alone;
//! - `due_connections` is across tenants (it feeds the scheduler), ordered by
//!   `next_run_at`, then id.
//!
//! [`due_connections`] owns `next_run_at` values before the year 2000; the
//! other checks leave `next_run_at` empty or far in the future, so the checks
//! do not see each other's connections.

use chrono::{DateTime, Duration, TimeZone, Utc};
use ferry::model::{
    usage_periods, Connection, ConnectionId, CredentialHealth, CurrencyChoice, DocumentKind,
    Entity, HealthStatus, Level, LogEvent, Payload, Role, RunOutcome, Scope, Settings, System,
    SystemId, SystemKind, Tenant, TenantId, Transfer, TransferId, TransferStatus, Usage,
    UsageDelta, User,
};
use ferry::seal::SealedCredentials;
use ferry::store::{LogQuery, Page, Store, StoreError, TransferQuery};
use futures::future::join_all;
use std::collections::HashSet;
use std::sync::Arc;

/// Runs every check against one store.
pub async fn run_all(store: Arc<dyn Store>) {
    run(&*store).await;
}

async fn run(store: &dyn Store) {
    tenants(store).await;
    settings(store).await;
    users(store).await;
    update_user_compare_and_swap(store).await;
    systems(store).await;
    connections(store).await;
    connection_ids_belong_to_one_tenant(store).await;
    due_connections(store).await;
    transfers_create_and_get(store).await;
    transfers_with_large_payloads(store).await;
    update_transfer_compare_and_swap(store).await;
    concurrent_updates_one_wins(store).await;
    concurrent_updates_count_usage_once(store).await;
    usage_counts_with_updates(store).await;
    list_transfers_filters(store).await;
    list_transfers_pages(store).await;
    status_changes_move_transfers(store).await;
    logs(store).await;
    counted_logs(store).await;
    catalog_fingerprints(store).await;
    directory_compare_and_swap(store).await;
    subscription_compare_and_swap(store).await;
    reminder_state(store).await;
    tenant_setup_reads_what_the_single_reads_do(store).await;
    logs_of_a_rare_service_in_bounded_pages(store).await;
    transfers_of_a_rare_connection_in_bounded_pages(store).await;
}

// Sample data -------------------------------------------------------------------

/// A fixed instant with nanoseconds, so round trips must keep full precision.
fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, minute, 7)
        .single()
        .expect("a valid sample date")
        + Duration::nanoseconds(123_456_789)
}

fn sample_tenant(name: &str) -> Tenant {
    Tenant {
        id: TenantId::generate(),
        name: name.to_owned(),
        email: format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
        time_zone: "Europe/Copenhagen".to_owned(),
        created_at: at(2026, 11, 23, 9, 30),
    }
}

async fn new_tenant(store: &dyn Store, name: &str) -> TenantId {
    let tenant = sample_tenant(name);
    store
        .create_tenant(&tenant)
        .await
        .expect("create_tenant failed for a new id");
    tenant.id
}

fn sample_user(tenant: &TenantId, email: &str) -> User {
    User::new(tenant.clone(), email, Role::Admin, at(2026, 11, 23, 10, 0))
}

fn sample_system(tenant: &TenantId, kind: SystemKind, name: &str) -> System {
    let config = serde_json::json!({
        "shop_domain": "ferry-demo.myshopify.com",
        "api_version": "2024-10",
        "layout_number": 19,
        "flags": {"test": true, "tags": ["a", "b"]},
    });
    System {
        id: SystemId::generate(),
        tenant: tenant.clone(),
        kind,
        name: name.to_owned(),
        config: config.as_object().cloned().unwrap_or_default(),
        credentials: SealedCredentials("v1:bm9uY2U=:c2VhbGVk".to_owned()),
        health: CredentialHealth {
            status: HealthStatus::Unhealthy,
            reason: Some("The access token was revoked: add the app again.".to_owned()),
            checked_at: Some(at(2026, 11, 22, 23, 59)),
        },
        scope: Scope {
            client: Some("client-7".to_owned()),
            warehouse: None,
        },
        active: true,
        created_at: at(2026, 11, 1, 8, 0),
        updated_at: at(2026, 11, 20, 8, 0),
    }
}

fn sample_connection(tenant: &TenantId, name: &str) -> Connection {
    Connection {
        id: ConnectionId::generate(),
        tenant: tenant.clone(),
        name: name.to_owned(),
        source: SystemId::generate(),
        target: SystemId::generate(),
        entity: Entity::Orders,
        allowed_states: vec!["paid".to_owned(), "partially_refunded".to_owned()],
        document: DocumentKind::DraftInvoice,
        documents: [("partially_refunded".to_owned(), DocumentKind::Order)].into(),
        schedule: Some("*/5 * * * *".to_owned()),
        active: true,
        scope: Scope::default(),
        next_run_at: None,
        cursor: Some("2026-11-23T09:00:00Z".to_owned()),
        last_run: RunOutcome {
            at: Some(at(2026, 11, 23, 9, 55)),
            records_found: 3,
            error: None,
        },
        created_at: at(2026, 11, 1, 8, 0),
        updated_at: at(2026, 11, 23, 9, 55),
        // Not the default: the store must keep the choice.
        currency: CurrencyChoice::Shop,
        payments: None,
    }
}

fn sample_transfer(
    tenant: &TenantId,
    connection: &ConnectionId,
    number: u32,
    received_at: DateTime<Utc>,
) -> Transfer {
    let source_id = format!("45078946{number}");
    let body = format!(r##"{{"id":{source_id},"name":"#{number}","financial_status":"paid"}}"##);
    Transfer {
        id: TransferId::for_record(connection, &source_id),
        tenant: tenant.clone(),
        connection: connection.clone(),
        entity: Entity::Orders,
        source_id,
        source_ref: format!("#{number}"),
        target_ref: None,
        status: TransferStatus::Pending,
        reason: None,
        attempts: 0,
        source_updated_at: Some(received_at - Duration::seconds(3)),
        lease_until: None,
        received_at,
        updated_at: received_at,
        source_payload: Some(Payload::compress(body.as_bytes())),
        target_payload: None,
        version: 1,
        kind: None,
    }
}

fn without_payloads(transfer: &Transfer) -> Transfer {
    Transfer {
        source_payload: None,
        target_payload: None,
        ..transfer.clone()
    }
}

/// Newest first; ties broken by id, descending.
fn newest_first(transfers: &mut [Transfer]) {
    transfers.sort_by(|a, b| (b.received_at, b.id.as_str()).cmp(&(a.received_at, a.id.as_str())));
}

fn ids(transfers: &[Transfer]) -> Vec<String> {
    transfers.iter().map(|t| t.id.to_string()).collect()
}

/// Bytes that gzip cannot shrink (a simple xorshift stream), to make a
/// payload larger than one DynamoDB item.
fn incompressible(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn query() -> TransferQuery {
    TransferQuery {
        limit: 500,
        ..TransferQuery::default()
    }
}

async fn list(store: &dyn Store, tenant: &TenantId, query: TransferQuery) -> Vec<Transfer> {
    let page = store
        .list_transfers(tenant, &query)
        .await
        .expect("list_transfers failed");
    assert_eq!(page.next, None, "one page of 500 should hold this list");
    page.items
}

/// Follows `next` cursors to the end; checks every page's size.
async fn walk_transfers(
    store: &dyn Store,
    tenant: &TenantId,
    mut query: TransferQuery,
) -> Vec<Transfer> {
    let limit = query.limit;
    let mut all = Vec::new();
    for _ in 0..1000 {
        let page: Page<Transfer> = store
            .list_transfers(tenant, &query)
            .await
            .expect("list_transfers failed while paging");
        assert!(
            page.items.len() <= limit,
            "a page holds more than the limit"
        );
        if page.next.is_some() {
            assert_eq!(
                page.items.len(),
                limit,
                "a page before the last is not full"
            );
        }
        all.extend(page.items);
        match page.next {
            Some(cursor) => query.cursor = Some(cursor),
            None => return all,
        }
    }
    panic!("list_transfers never reached a last page");
}

// Tenants and settings ------------------------------------------------------------

/// create/get/list tenants; a taken id answers AlreadyExists and keeps the first.
pub async fn tenants(store: &dyn Store) {
    let first = sample_tenant("Nordic Bikes");
    store.create_tenant(&first).await.expect("create_tenant");
    assert_eq!(
        store.get_tenant(&first.id).await.expect("get_tenant"),
        Some(first.clone())
    );

    let imposter = Tenant {
        name: "Someone Else".to_owned(),
        ..first.clone()
    };
    assert!(
        matches!(
            store.create_tenant(&imposter).await,
            Err(StoreError::AlreadyExists)
        ),
        "creating a tenant with a taken id must answer AlreadyExists"
    );
    assert_eq!(
        store.get_tenant(&first.id).await.expect("get_tenant"),
        Some(first.clone()),
        "a refused create must not change the tenant"
    );

    let second = sample_tenant("Copenhagen Coffee");
    store.create_tenant(&second).await.expect("create_tenant");
    let listed = store.list_tenants().await.expect("list_tenants");
    assert!(listed.contains(&first) && listed.contains(&second));
    assert_eq!(
        listed.iter().filter(|t| t.id == first.id).count(),
        1,
        "a tenant is listed once"
    );
    assert_eq!(
        store
            .get_tenant(&TenantId::generate())
            .await
            .expect("get_tenant"),
        None
    );
}

/// Settings default until saved; saved settings are the tenant's own.
pub async fn settings(store: &dyn Store) {
    let a = new_tenant(store, "Settings A").await;
    let b = new_tenant(store, "Settings B").await;
    assert_eq!(
        store.get_settings(&a).await.expect("get_settings"),
        Settings::default()
    );
    let changed = Settings {
        integration_active: false,
        orders_active: true,
        products_active: false,
        stock_active: true,
        customers_active: false,
    };
    store
        .put_settings(&a, &changed)
        .await
        .expect("put_settings");
    assert_eq!(store.get_settings(&a).await.expect("get_settings"), changed);
    assert_eq!(
        store.get_settings(&b).await.expect("get_settings"),
        Settings::default(),
        "one tenant's settings must not reach another"
    );
    // Never-created tenants read the defaults too (no error).
    assert_eq!(
        store
            .get_settings(&TenantId::generate())
            .await
            .expect("get_settings"),
        Settings::default()
    );
}

// Users, systems, connections -----------------------------------------------------------

/// put/get/list/delete users, scoped by tenant.
pub async fn users(store: &dyn Store) {
    let a = new_tenant(store, "Users A").await;
    let b = new_tenant(store, "Users B").await;
    let anna = sample_user(&a, "anna@example.com");
    let bo = User {
        role: Role::Viewer,
        ..sample_user(&a, "bo@example.com")
    };
    store.put_user(&anna).await.expect("put_user");
    store.put_user(&bo).await.expect("put_user");
    assert_eq!(
        store.get_user(&a, &anna.id).await.expect("get_user"),
        Some(anna.clone())
    );
    let mut listed = store.list_users(&a).await.expect("list_users");
    listed.sort_by(|x, y| x.email.cmp(&y.email));
    assert_eq!(listed, vec![anna.clone(), bo.clone()]);

    // Tenant B sees and touches nothing of A's.
    assert_eq!(store.get_user(&b, &anna.id).await.expect("get_user"), None);
    assert!(store.list_users(&b).await.expect("list_users").is_empty());
    assert!(!store.delete_user(&b, &anna.id).await.expect("delete_user"));
    assert!(store
        .get_user(&a, &anna.id)
        .await
        .expect("get_user")
        .is_some());

    // Put replaces.
    let promoted = User {
        role: Role::Admin,
        ..bo.clone()
    };
    store.put_user(&promoted).await.expect("put_user");
    assert_eq!(
        store.get_user(&a, &bo.id).await.expect("get_user"),
        Some(promoted)
    );

    assert!(store.delete_user(&a, &anna.id).await.expect("delete_user"));
    assert!(!store.delete_user(&a, &anna.id).await.expect("delete_user"));
    assert_eq!(store.get_user(&a, &anna.id).await.expect("get_user"), None);
    assert_eq!(store.list_users(&a).await.expect("list_users").len(), 1);
}

/// A user changes only over the version it was read at: of two changes
/// made from the same read, exactly one is stored; a stale version, another
/// tenant's key and a gone user are conflicts.
pub async fn update_user_compare_and_swap(store: &dyn Store) {
    let a = new_tenant(store, "Users CAS A").await;
    let b = new_tenant(store, "Users CAS B").await;
    let ann = sample_user(&a, "ann@example.com").with_sign_in_code("code-1");
    store.put_user(&ann).await.expect("put_user");
    let stored = store
        .get_user(&a, &ann.id)
        .await
        .expect("get_user")
        .expect("the user was saved");

    let first = stored
        .exchange_sign_in_code("code-1", "x1")
        .expect("unused");
    let second = stored
        .exchange_sign_in_code("code-1", "x2")
        .expect("unused");
    let (one, two) = futures::join!(
        store.update_user(&first, stored.version),
        store.update_user(&second, stored.version)
    );
    let won: Vec<bool> = [one, two]
        .into_iter()
        .map(|r| match r {
            Ok(()) => true,
            Err(StoreError::Conflict) => false,
            Err(e) => panic!("update_user: {e}"),
        })
        .collect();
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    let after = store
        .get_user(&a, &ann.id)
        .await
        .expect("get_user")
        .expect("still there");
    let winner = if won[0] { &first } else { &second };
    assert_eq!(&after, winner);

    // A stale version, another tenant's key and a gone user are conflicts.
    assert!(matches!(
        store
            .update_user(&after.with_role(Role::Viewer), stored.version)
            .await,
        Err(StoreError::Conflict)
    ));
    let elsewhere = User {
        tenant: b.clone(),
        ..after.with_role(Role::Viewer)
    };
    assert!(matches!(
        store.update_user(&elsewhere, after.version).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.get_user(&b, &ann.id).await.expect("get_user"), None);
    store
        .update_user(&after.with_role(Role::Viewer), after.version)
        .await
        .expect("update over the current version");
    assert!(store.delete_user(&a, &ann.id).await.expect("delete_user"));
    assert!(matches!(
        store
            .update_user(&after.with_role(Role::Admin), after.version + 1)
            .await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.get_user(&a, &ann.id).await.expect("get_user"), None);
}

/// put/get/list/delete systems (all fields kept), scoped by tenant.
pub async fn systems(store: &dyn Store) {
    let a = new_tenant(store, "Systems A").await;
    let b = new_tenant(store, "Systems B").await;
    let shop = sample_system(&a, SystemKind::Shopify, "Main shop");
    let ledger = System {
        health: CredentialHealth::default(),
        scope: Scope::default(),
        credentials: SealedCredentials::default(),
        ..sample_system(&a, SystemKind::Economic, "Ledger")
    };
    store.put_system(&shop).await.expect("put_system");
    store.put_system(&ledger).await.expect("put_system");
    assert_eq!(
        store.get_system(&a, &shop.id).await.expect("get_system"),
        Some(shop.clone())
    );
    assert_eq!(
        store.get_system(&a, &ledger.id).await.expect("get_system"),
        Some(ledger.clone())
    );
    let mut listed = store.list_systems(&a).await.expect("list_systems");
    listed.sort_by(|x, y| x.name.cmp(&y.name));
    assert_eq!(listed, vec![ledger.clone(), shop.clone()]);

    assert_eq!(
        store.get_system(&b, &shop.id).await.expect("get_system"),
        None
    );
    assert!(store
        .list_systems(&b)
        .await
        .expect("list_systems")
        .is_empty());
    assert!(!store
        .delete_system(&b, &shop.id)
        .await
        .expect("delete_system"));
    assert!(store.get_system(&a, &shop.id).await.expect("get").is_some());

    let renamed = System {
        name: "Main shop (DK)".to_owned(),
        active: false,
        ..shop.clone()
    };
    store.put_system(&renamed).await.expect("put_system");
    assert_eq!(
        store.get_system(&a, &shop.id).await.expect("get_system"),
        Some(renamed)
    );
    assert!(store
        .delete_system(&a, &shop.id)
        .await
        .expect("delete_system"));
    assert!(!store
        .delete_system(&a, &shop.id)
        .await
        .expect("delete_system"));
    assert_eq!(
        store.get_system(&a, &shop.id).await.expect("get_system"),
        None
    );
    assert_eq!(
        store.list_systems(&a).await.expect("list_systems"),
        vec![ledger]
    );
}

/// put/get/find/list/delete connections, scoped by tenant.
pub async fn connections(store: &dyn Store) {
    let a = new_tenant(store, "Connections A").await;
    let b = new_tenant(store, "Connections B").await;
    let orders = Connection {
        next_run_at: Some(at(2099, 1, 1, 0, 0)),
        ..sample_connection(&a, "Shopify > e-conomic (orders)")
    };
    let webhook_only = Connection {
        schedule: None,
        cursor: None,
        last_run: RunOutcome::default(),
        document: DocumentKind::BookedInvoice,
        ..sample_connection(&a, "WooCommerce > Fortnox (orders)")
    };
    store.put_connection(&orders).await.expect("put_connection");
    store
        .put_connection(&webhook_only)
        .await
        .expect("put_connection");

    assert_eq!(
        store
            .get_connection(&a, &orders.id)
            .await
            .expect("get_connection"),
        Some(orders.clone())
    );
    assert_eq!(
        store.find_connection(&orders.id).await.expect("find"),
        Some(orders.clone()),
        "find_connection finds by id alone"
    );
    assert_eq!(
        store
            .find_connection(&ConnectionId::generate())
            .await
            .expect("find"),
        None
    );
    let mut listed = store.list_connections(&a).await.expect("list_connections");
    listed.sort_by(|x, y| x.name.cmp(&y.name));
    assert_eq!(listed, vec![orders.clone(), webhook_only.clone()]);

    assert_eq!(
        store.get_connection(&b, &orders.id).await.expect("get"),
        None
    );
    assert!(store.list_connections(&b).await.expect("list").is_empty());
    assert!(!store.delete_connection(&b, &orders.id).await.expect("del"));

    let paused = Connection {
        active: false,
        cursor: Some("page-2".to_owned()),
        ..orders.clone()
    };
    store.put_connection(&paused).await.expect("put_connection");
    assert_eq!(
        store.find_connection(&orders.id).await.expect("find"),
        Some(paused.clone()),
        "find_connection follows a replaced connection"
    );

    assert!(store.delete_connection(&a, &orders.id).await.expect("del"));
    assert!(!store.delete_connection(&a, &orders.id).await.expect("del"));
    assert_eq!(
        store.get_connection(&a, &orders.id).await.expect("get"),
        None
    );
    assert_eq!(store.find_connection(&orders.id).await.expect("find"), None);
    assert_eq!(
        store.list_connections(&a).await.expect("list"),
        vec![webhook_only]
    );
}

/// Webhooks find connections by id alone, so another tenant must not be able
/// to take over an id that is in use.
pub async fn connection_ids_belong_to_one_tenant(store: &dyn Store) {
    let a = new_tenant(store, "Owner").await;
    let b = new_tenant(store, "Intruder").await;
    let owned = sample_connection(&a, "Shopify > Fortnox (orders)");
    store.put_connection(&owned).await.expect("put_connection");

    let takeover = Connection {
        tenant: b.clone(),
        ..owned.clone()
    };
    assert!(
        matches!(
            store.put_connection(&takeover).await,
            Err(StoreError::AlreadyExists)
        ),
        "another tenant must not put a connection with an id in use"
    );
    assert_eq!(
        store.find_connection(&owned.id).await.expect("find"),
        Some(owned.clone())
    );
    assert_eq!(
        store.get_connection(&b, &owned.id).await.expect("get"),
        None
    );

    // Once the owner deletes it, the id is free again.
    assert!(store.delete_connection(&a, &owned.id).await.expect("del"));
    store
        .put_connection(&takeover)
        .await
        .expect("put_connection");
    assert_eq!(
        store.find_connection(&owned.id).await.expect("find"),
        Some(takeover)
    );
    assert!(store.delete_connection(&b, &owned.id).await.expect("del"));
}

/// Only connections with `next_run_at <= now`, oldest first, at most `limit`;
/// moves and clears are seen at once.
pub async fn due_connections(store: &dyn Store) {
    let a = new_tenant(store, "Due A").await;
    let b = new_tenant(store, "Due B").await;
    let base = at(1985, 4, 21, 11, 0);
    // Put in a shuffled order so the result's order is the store's doing.
    let mut by_hour: Vec<Connection> = (0..6)
        .map(|hour| Connection {
            next_run_at: Some(base + Duration::hours(hour)),
            ..sample_connection(&a, &format!("due {hour}"))
        })
        .collect();
    for index in [3, 0, 5, 1, 4, 2] {
        store
            .put_connection(&by_hour[index])
            .await
            .expect("put_connection");
    }
    let other_tenant = Connection {
        next_run_at: Some(base + Duration::minutes(150)),
        ..sample_connection(&b, "due 2.5")
    };
    let never = sample_connection(&a, "webhook only");
    let far = Connection {
        next_run_at: Some(at(2999, 1, 1, 0, 0)),
        ..sample_connection(&a, "far")
    };
    for c in [&other_tenant, &never, &far] {
        store.put_connection(c).await.expect("put_connection");
    }

    let names = |list: Vec<Connection>| list.into_iter().map(|c| c.name).collect::<Vec<_>>();
    // `now` equal to a next_run_at counts as due.
    let now = base + Duration::hours(3);
    assert_eq!(
        names(store.due_connections(now, 100).await.expect("due")),
        vec!["due 0", "due 1", "due 2", "due 2.5", "due 3"],
        "due connections, oldest first, across tenants"
    );
    assert_eq!(
        names(store.due_connections(now, 2).await.expect("due")),
        vec!["due 0", "due 1"],
        "the limit keeps the oldest"
    );
    assert!(store
        .due_connections(base - Duration::seconds(1), 100)
        .await
        .expect("due")
        .is_empty());
    let full = store.due_connections(now, 100).await.expect("due");
    assert_eq!(full[0], by_hour[0], "due returns the whole connection");

    // Moving one to the future and clearing another are seen at once.
    by_hour[0].next_run_at = Some(base + Duration::days(1000));
    store.put_connection(&by_hour[0]).await.expect("put");
    by_hour[1].next_run_at = None;
    store.put_connection(&by_hour[1]).await.expect("put");
    assert_eq!(
        names(store.due_connections(now, 100).await.expect("due")),
        vec!["due 2", "due 2.5", "due 3"]
    );
    // A deleted connection is no longer due.
    assert!(store
        .delete_connection(&a, &by_hour[2].id)
        .await
        .expect("del"));
    assert_eq!(
        names(store.due_connections(now, 100).await.expect("due")),
        vec!["due 2.5", "due 3"]
    );

    // Leave nothing due behind for other checks sharing the store.
    for c in &by_hour {
        store.delete_connection(&a, &c.id).await.expect("del");
    }
    for (tenant, c) in [(&b, &other_tenant), (&a, &never), (&a, &far)] {
        store.delete_connection(tenant, &c.id).await.expect("del");
    }
    assert!(store
        .due_connections(base + Duration::days(2000), 100)
        .await
        .expect("due")
        .is_empty());
}

// Transfers -------------------------------------------------------------------------

/// create/get with every field; a second create answers AlreadyExists; tenant-scoped.
pub async fn transfers_create_and_get(store: &dyn Store) {
    let a = new_tenant(store, "Transfers A").await;
    let b = new_tenant(store, "Transfers B").await;
    let connection = ConnectionId::generate();
    let transfer = Transfer {
        target_payload: Some(Payload::compress(br#"{"draftInvoiceNumber":17}"#)),
        target_ref: Some("17".to_owned()),
        reason: Some("waiting for the ledger".to_owned()),
        lease_until: Some(at(2026, 11, 23, 10, 5)),
        attempts: 2,
        ..sample_transfer(&a, &connection, 1001, at(2026, 11, 23, 10, 0))
    };
    store.create_transfer(&transfer).await.expect("create");
    assert_eq!(
        store.get_transfer(&a, &transfer.id).await.expect("get"),
        Some(transfer.clone()),
        "get_transfer returns every field, payloads included"
    );

    let again = Transfer {
        status: TransferStatus::Failed,
        source_payload: None,
        ..transfer.clone()
    };
    assert!(
        matches!(
            store.create_transfer(&again).await,
            Err(StoreError::AlreadyExists)
        ),
        "creating a transfer twice must answer AlreadyExists"
    );
    assert_eq!(
        store.get_transfer(&a, &transfer.id).await.expect("get"),
        Some(transfer.clone()),
        "a refused create must not change the transfer"
    );

    // Another tenant reaches nothing: by id, in lists.
    assert_eq!(
        store.get_transfer(&b, &transfer.id).await.expect("get"),
        None
    );
    assert!(list(store, &b, query()).await.is_empty());
    let by_ref = TransferQuery {
        reference: Some("#1001".to_owned()),
        ..query()
    };
    assert!(list(store, &b, by_ref.clone()).await.is_empty());
    assert_eq!(list(store, &a, by_ref).await.len(), 1);
    assert_eq!(
        store
            .get_transfer(&a, &TransferId::generate())
            .await
            .expect("get"),
        None
    );

    // The same record id under another tenant is another transfer.
    let twin = Transfer {
        tenant: b.clone(),
        ..transfer.clone()
    };
    store.create_transfer(&twin).await.expect("create");
    assert_eq!(
        store.get_transfer(&b, &twin.id).await.expect("get"),
        Some(twin)
    );
    assert_eq!(
        store.get_transfer(&a, &transfer.id).await.expect("get"),
        Some(transfer)
    );
}

/// Payloads larger than one DynamoDB item (400 KB) still round-trip, and
/// can be replaced by small ones.
pub async fn transfers_with_large_payloads(store: &dyn Store) {
    let a = new_tenant(store, "Large payloads").await;
    let connection = ConnectionId::generate();
    let big_source = Payload::compress(&incompressible(700_000, 7));
    assert!(big_source.compressed().len() > 600_000);
    let mut transfer = Transfer {
        source_payload: Some(big_source),
        ..sample_transfer(&a, &connection, 2001, at(2026, 11, 23, 11, 0))
    };
    store.create_transfer(&transfer).await.expect("create");
    assert_eq!(
        store.get_transfer(&a, &transfer.id).await.expect("get"),
        Some(transfer.clone())
    );

    let big_target = Payload::compress(&incompressible(450_000, 11));
    let updated = Transfer {
        source_payload: Some(Payload::compress(b"{\"id\":1}")),
        target_payload: Some(big_target),
        status: TransferStatus::Delivered,
        version: 2,
        ..transfer.clone()
    };
    store
        .update_transfer(&updated, 1, UsageDelta::default())
        .await
        .expect("update");
    assert_eq!(
        store.get_transfer(&a, &transfer.id).await.expect("get"),
        Some(updated.clone())
    );
    assert_eq!(
        list(store, &a, query()).await,
        vec![without_payloads(&updated)]
    );

    transfer = Transfer {
        target_payload: None,
        version: 3,
        ..updated
    };
    store
        .update_transfer(&transfer, 2, UsageDelta::default())
        .await
        .expect("update");
    assert_eq!(
        store.get_transfer(&a, &transfer.id).await.expect("get"),
        Some(transfer),
        "an update without a payload removes it"
    );
}

/// A stale version answers Conflict and changes nothing.
pub async fn update_transfer_compare_and_swap(store: &dyn Store) {
    let a = new_tenant(store, "CAS A").await;
    let b = new_tenant(store, "CAS B").await;
    let connection = ConnectionId::generate();
    let created = sample_transfer(&a, &connection, 3001, at(2026, 11, 23, 12, 0));
    store.create_transfer(&created).await.expect("create");

    let delivered = Transfer {
        status: TransferStatus::Delivered,
        target_ref: Some("INV-3001".to_owned()),
        target_payload: Some(Payload::compress(br#"{"invoice":"INV-3001"}"#)),
        attempts: 1,
        updated_at: created.updated_at + Duration::seconds(30),
        version: 2,
        ..created.clone()
    };
    store
        .update_transfer(&delivered, 1, UsageDelta::default())
        .await
        .expect("update from the current version");
    assert_eq!(
        store.get_transfer(&a, &created.id).await.expect("get"),
        Some(delivered.clone())
    );

    let stale = Transfer {
        status: TransferStatus::Failed,
        reason: Some("stale writer".to_owned()),
        version: 2,
        ..created.clone()
    };
    assert!(
        matches!(
            store
                .update_transfer(&stale, 1, UsageDelta::default())
                .await,
            Err(StoreError::Conflict)
        ),
        "an update from a stale version must answer Conflict"
    );
    assert!(matches!(
        store
            .update_transfer(&stale, 7, UsageDelta::default())
            .await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.get_transfer(&a, &created.id).await.expect("get"),
        Some(delivered.clone()),
        "a refused update must change nothing"
    );

    // Updating a transfer that does not exist is a conflict, never a create.
    let missing = sample_transfer(&a, &connection, 3002, at(2026, 11, 23, 12, 1));
    assert!(matches!(
        store
            .update_transfer(&missing, 1, UsageDelta::default())
            .await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.get_transfer(&a, &missing.id).await.expect("get"),
        None
    );

    // Another tenant cannot update A's transfer by its id.
    let foreign = Transfer {
        tenant: b.clone(),
        version: 3,
        ..delivered.clone()
    };
    assert!(matches!(
        store
            .update_transfer(&foreign, 2, UsageDelta::default())
            .await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.get_transfer(&b, &created.id).await.expect("get"),
        None
    );
    assert_eq!(
        store.get_transfer(&a, &created.id).await.expect("get"),
        Some(delivered)
    );
}

/// Many writers from the same version at once: exactly one wins and is
/// stored whole; the others answer Conflict.
pub async fn concurrent_updates_one_wins(store: &dyn Store) {
    race(store, 4001, UsageDelta::default()).await;
}

/// The same race with usage: only the winner's usage is counted.
pub async fn concurrent_updates_count_usage_once(store: &dyn Store) {
    let one_order = UsageDelta {
        orders: 1,
        created: 1,
        ..UsageDelta::default()
    };
    race(store, 4002, one_order).await;
}

async fn race(store: &dyn Store, number: u32, usage: UsageDelta) {
    let a = new_tenant(store, "Race").await;
    let connection = ConnectionId::generate();
    let created = sample_transfer(&a, &connection, number, at(2026, 11, 23, 13, 0));
    store.create_transfer(&created).await.expect("create");

    let writers: Vec<Transfer> = (0..8)
        .map(|n| Transfer {
            status: TransferStatus::Delivered,
            reason: Some(format!("writer {n}")),
            target_payload: Some(Payload::compress(format!("writer {n}").as_bytes())),
            version: 2,
            ..created.clone()
        })
        .collect();
    let results = join_all(writers.iter().map(|w| store.update_transfer(w, 1, usage))).await;
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_ok())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one concurrent update must win");
    for result in &results {
        assert!(
            matches!(result, Ok(()) | Err(StoreError::Conflict)),
            "the losers must answer Conflict, got {result:?}"
        );
    }
    assert_eq!(
        store.get_transfer(&a, &created.id).await.expect("get"),
        Some(writers[winners[0]].clone()),
        "the winner's transfer is stored whole"
    );
    for period in usage_periods(created.updated_at) {
        let counted = store.usage(&a, &period).await.expect("usage");
        assert_eq!(
            (counted.orders, counted.created),
            (usage.orders, usage.created),
            "only the winner's usage counts ({period})"
        );
    }
}

/// Usage lands in the day and the month of `updated_at`, with the update,
/// and not when the update is refused.
pub async fn usage_counts_with_updates(store: &dyn Store) {
    let a = new_tenant(store, "Usage A").await;
    let b = new_tenant(store, "Usage B").await;
    let connection = ConnectionId::generate();
    let [day, month] = usage_periods(at(2026, 11, 23, 0, 0));
    assert_eq!((day.as_str(), month.as_str()), ("2026-11-23", "2026-11"));
    let zero = |period: &str| Usage {
        period: period.to_owned(),
        ..Usage::default()
    };
    assert_eq!(store.usage(&a, &day).await.expect("usage"), zero(&day));
    assert_eq!(store.usage(&a, &month).await.expect("usage"), zero(&month));

    let first = sample_transfer(&a, &connection, 5001, at(2026, 11, 23, 14, 0));
    store.create_transfer(&first).await.expect("create");
    let delivered = Transfer {
        status: TransferStatus::Delivered,
        updated_at: at(2026, 11, 23, 14, 1),
        version: 2,
        ..first.clone()
    };
    let delta = UsageDelta {
        orders: 1,
        products: 2,
        stock: 3,
        created: 4,
        updated: 5,
        errors: 6,
    };
    store
        .update_transfer(&delivered, 1, delta)
        .await
        .expect("update");
    let counted = |period: &str, n: u64| Usage {
        period: period.to_owned(),
        orders: n,
        products: 2 * n,
        stock: 3 * n,
        created: 4 * n,
        updated: 5 * n,
        errors: 6 * n,
    };
    assert_eq!(
        store.usage(&a, &day).await.expect("usage"),
        counted(&day, 1)
    );
    assert_eq!(
        store.usage(&a, &month).await.expect("usage"),
        counted(&month, 1)
    );

    // A refused update counts nothing.
    assert!(matches!(
        store.update_transfer(&delivered, 1, delta).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.usage(&a, &day).await.expect("usage"),
        counted(&day, 1)
    );
    assert_eq!(
        store.usage(&a, &month).await.expect("usage"),
        counted(&month, 1)
    );

    // Another day of the same month: its own day counter, the same month.
    let next_day = Transfer {
        updated_at: at(2026, 11, 24, 8, 0),
        version: 3,
        ..delivered.clone()
    };
    store
        .update_transfer(&next_day, 2, delta)
        .await
        .expect("update");
    assert_eq!(
        store.usage(&a, &day).await.expect("usage"),
        counted(&day, 1)
    );
    assert_eq!(
        store.usage(&a, "2026-11-24").await.expect("usage"),
        counted("2026-11-24", 1)
    );
    assert_eq!(
        store.usage(&a, &month).await.expect("usage"),
        counted(&month, 2)
    );

    // An update without usage leaves the counters alone.
    let quiet = Transfer {
        attempts: 9,
        version: 4,
        ..next_day
    };
    store
        .update_transfer(&quiet, 3, UsageDelta::default())
        .await
        .expect("update");
    assert_eq!(
        store.usage(&a, &month).await.expect("usage"),
        counted(&month, 2)
    );

    assert_eq!(store.usage(&b, &day).await.expect("usage"), zero(&day));
    assert_eq!(store.usage(&b, &month).await.expect("usage"), zero(&month));
}

/// Seeds the transfers the list checks read: two connections, every status,
/// target numbers on the delivered ones, one number shared as a webshop
/// number and a target number.
async fn seed_log(
    store: &dyn Store,
    tenant: &TenantId,
    first: &ConnectionId,
    second: &ConnectionId,
) -> Vec<Transfer> {
    let base = at(2026, 10, 1, 8, 0);
    let mut all = Vec::new();
    for n in 0..24u32 {
        let connection = if n % 3 == 0 { second } else { first };
        let status = TransferStatus::ALL[(n % 4) as usize];
        let mut transfer = sample_transfer(
            tenant,
            connection,
            6000 + n,
            base + Duration::minutes(i64::from(n) * 17),
        );
        transfer.status = status;
        if status == TransferStatus::Delivered {
            transfer.target_ref = Some(format!("INV-{n}"));
            transfer.target_payload = Some(Payload::compress(b"{\"sent\":true}"));
        }
        if status == TransferStatus::Skipped {
            transfer.reason = Some("order state not allowed: pending".to_owned());
        }
        all.push(transfer);
    }
    // Two transfers at the very same instant (ties are ordered by id).
    all[7].received_at = all[6].received_at;
    // "SHARED-1" is one transfer's webshop number and another's target number.
    all[10].source_ref = "SHARED-1".to_owned();
    all[13].target_ref = Some("SHARED-1".to_owned());
    for transfer in &all {
        store.create_transfer(transfer).await.expect("create");
    }
    all
}

/// Newest first, payloads left out; filters by status, connection,
/// reference (either number, exactly) and time, alone and combined.
pub async fn list_transfers_filters(store: &dyn Store) {
    let a = new_tenant(store, "Log A").await;
    let b = new_tenant(store, "Log B").await;
    let (first, second) = (ConnectionId::generate(), ConnectionId::generate());
    let all = seed_log(store, &a, &first, &second).await;
    // B's transfers share numbers with A's and must never show in A's lists.
    let b_connection = ConnectionId::generate();
    for n in [3u32, 4, 10] {
        let mut twin = sample_transfer(&b, &b_connection, 6000 + n, at(2026, 10, 1, 9, n));
        twin.target_ref = Some("SHARED-1".to_owned());
        store.create_transfer(&twin).await.expect("create");
    }

    let expect = |keep: &dyn Fn(&Transfer) -> bool| {
        let mut wanted: Vec<Transfer> = all
            .iter()
            .filter(|t| keep(t))
            .map(without_payloads)
            .collect();
        newest_first(&mut wanted);
        wanted
    };

    let everything = list(store, &a, query()).await;
    assert_eq!(
        everything,
        expect(&|_| true),
        "newest first, payloads left out"
    );
    assert!(everything
        .iter()
        .all(|t| t.source_payload.is_none() && t.target_payload.is_none()));
    let full = store
        .get_transfer(&a, &all[5].id)
        .await
        .expect("get")
        .expect("transfer");
    assert!(full.source_payload.is_some() && full.target_payload.is_some());

    for status in TransferStatus::ALL {
        let found = list(
            store,
            &a,
            TransferQuery {
                status: Some(status),
                ..query()
            },
        )
        .await;
        assert_eq!(found, expect(&|t| t.status == status), "status {status:?}");
    }

    let by_connection = list(
        store,
        &a,
        TransferQuery {
            connection: Some(second.clone()),
            ..query()
        },
    )
    .await;
    assert_eq!(by_connection, expect(&|t| t.connection == second));

    let both = list(
        store,
        &a,
        TransferQuery {
            connection: Some(first.clone()),
            status: Some(TransferStatus::Delivered),
            ..query()
        },
    )
    .await;
    assert_eq!(
        both,
        expect(&|t| t.connection == first && t.status == TransferStatus::Delivered)
    );
    assert!(!both.is_empty());

    let reference = |r: &str| TransferQuery {
        reference: Some(r.to_owned()),
        ..query()
    };
    assert_eq!(
        ids(&list(store, &a, reference("#6005")).await),
        vec![all[5].id.to_string()],
        "a webshop number finds its transfer"
    );
    assert_eq!(
        ids(&list(store, &a, reference("INV-9")).await),
        vec![all[9].id.to_string()],
        "a target number finds its transfer"
    );
    assert_eq!(
        list(store, &a, reference("SHARED-1")).await,
        expect(&|t| t.source_ref == "SHARED-1" || t.target_ref.as_deref() == Some("SHARED-1")),
        "a number matches webshop and target numbers, newest first"
    );
    assert_eq!(list(store, &a, reference("SHARED-1")).await.len(), 2);
    assert!(
        list(store, &a, reference("#600")).await.is_empty(),
        "exact only"
    );
    assert!(
        list(store, &a, reference("inv-9")).await.is_empty(),
        "exact only"
    );
    assert!(list(store, &a, reference("no such number"))
        .await
        .is_empty());
    let shared_delivered = list(
        store,
        &a,
        TransferQuery {
            status: Some(TransferStatus::Delivered),
            ..reference("SHARED-1")
        },
    )
    .await;
    assert_eq!(shared_delivered, vec![without_payloads(&all[13])]);
    let shared_elsewhere = list(
        store,
        &a,
        TransferQuery {
            connection: Some(second.clone()),
            ..reference("SHARED-1")
        },
    )
    .await;
    assert_eq!(
        shared_elsewhere,
        expect(&|t| t.connection == second
            && (t.source_ref == "SHARED-1" || t.target_ref.as_deref() == Some("SHARED-1")))
    );

    // from is inclusive, to exclusive.
    let from = all[5].received_at;
    let to = all[15].received_at;
    let window = list(
        store,
        &a,
        TransferQuery {
            from: Some(from),
            to: Some(to),
            ..query()
        },
    )
    .await;
    assert_eq!(
        window,
        expect(&|t| t.received_at >= from && t.received_at < to)
    );
    assert!(window.iter().any(|t| t.id == all[5].id));
    assert!(window.iter().all(|t| t.id != all[15].id));
    let since = list(
        store,
        &a,
        TransferQuery {
            from: Some(from),
            status: Some(TransferStatus::Failed),
            ..query()
        },
    )
    .await;
    assert_eq!(
        since,
        expect(&|t| t.received_at >= from && t.status == TransferStatus::Failed)
    );
    let before = list(
        store,
        &a,
        TransferQuery {
            to: Some(to),
            connection: Some(first.clone()),
            ..query()
        },
    )
    .await;
    assert_eq!(
        before,
        expect(&|t| t.received_at < to && t.connection == first)
    );
    let reference_in_window = list(
        store,
        &a,
        TransferQuery {
            from: Some(all[12].received_at),
            ..reference("SHARED-1")
        },
    )
    .await;
    assert_eq!(reference_in_window, vec![without_payloads(&all[13])]);

    // B sees only its own three.
    let theirs = list(store, &b, query()).await;
    assert_eq!(theirs.len(), 3);
    assert!(theirs.iter().all(|t| t.tenant == b));
    assert_eq!(list(store, &b, reference("SHARED-1")).await.len(), 3);
}

/// Walking every page with small limits gives the whole list: same order,
/// no duplicates, no gaps; for every kind of filter.
pub async fn list_transfers_pages(store: &dyn Store) {
    let a = new_tenant(store, "Pages").await;
    let (first, second) = (ConnectionId::generate(), ConnectionId::generate());
    let all = seed_log(store, &a, &first, &second).await;
    // Three more transfers sharing one webshop number (from both connections).
    for (n, connection) in [(1u32, &first), (2, &second), (3, &first)] {
        let mut extra = sample_transfer(&a, connection, 7000 + n, at(2026, 10, 2, 8, n));
        extra.source_ref = "SHARED-1".to_owned();
        store.create_transfer(&extra).await.expect("create");
    }

    let queries = [
        query(),
        TransferQuery {
            status: Some(TransferStatus::Pending),
            ..query()
        },
        TransferQuery {
            connection: Some(first.clone()),
            ..query()
        },
        TransferQuery {
            connection: Some(first.clone()),
            status: Some(TransferStatus::Delivered),
            ..query()
        },
        TransferQuery {
            reference: Some("SHARED-1".to_owned()),
            ..query()
        },
        TransferQuery {
            from: Some(all[4].received_at),
            to: Some(all[20].received_at),
            ..query()
        },
    ];
    for whole_query in queries {
        let whole = list(store, &a, whole_query.clone()).await;
        assert!(!whole.is_empty());
        for limit in [1, 2, 5, 7] {
            let paged = walk_transfers(
                store,
                &a,
                TransferQuery {
                    limit,
                    ..whole_query.clone()
                },
            )
            .await;
            assert_eq!(
                ids(&paged),
                ids(&whole),
                "paging by {limit} must give the same list ({whole_query:?})"
            );
            let unique: HashSet<String> = ids(&paged).into_iter().collect();
            assert_eq!(unique.len(), paged.len(), "no transfer twice");
        }
    }

    // 0 means the default page size of 50; 24 + 3 transfers fit in one page.
    let default_page = store
        .list_transfers(
            &a,
            &TransferQuery {
                limit: 0,
                ..TransferQuery::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(default_page.items.len(), all.len() + 3);
    assert_eq!(default_page.next, None);
}

/// A status change moves a transfer between status filters, and a target
/// number is searchable once set (and no longer once changed).
pub async fn status_changes_move_transfers(store: &dyn Store) {
    let a = new_tenant(store, "Moves").await;
    let connection = ConnectionId::generate();
    let pending = sample_transfer(&a, &connection, 8001, at(2026, 11, 23, 15, 0));
    store.create_transfer(&pending).await.expect("create");
    let with_status = |status| TransferQuery {
        status: Some(status),
        ..query()
    };
    let by_ref = |r: &str| TransferQuery {
        reference: Some(r.to_owned()),
        ..query()
    };
    let found = |list: Vec<Transfer>| ids(&list);
    let me = vec![pending.id.to_string()];

    assert_eq!(
        found(list(store, &a, with_status(TransferStatus::Pending)).await),
        me
    );
    assert!(list(store, &a, with_status(TransferStatus::Delivered))
        .await
        .is_empty());

    let delivered = Transfer {
        status: TransferStatus::Delivered,
        target_ref: Some("INV-8001".to_owned()),
        version: 2,
        ..pending.clone()
    };
    store
        .update_transfer(&delivered, 1, UsageDelta::default())
        .await
        .expect("update");
    assert!(list(store, &a, with_status(TransferStatus::Pending))
        .await
        .is_empty());
    assert_eq!(
        list(store, &a, with_status(TransferStatus::Delivered)).await,
        vec![without_payloads(&delivered)]
    );
    assert_eq!(found(list(store, &a, by_ref("INV-8001")).await), me);
    assert_eq!(found(list(store, &a, by_ref("#8001")).await), me);

    let failed = Transfer {
        status: TransferStatus::Failed,
        target_ref: Some("INV-8001-B".to_owned()),
        source_ref: "#8001-B".to_owned(),
        reason: Some("The ledger refused the invoice: product 42 does not exist.".to_owned()),
        version: 3,
        ..delivered.clone()
    };
    store
        .update_transfer(&failed, 2, UsageDelta::default())
        .await
        .expect("update");
    assert!(list(store, &a, with_status(TransferStatus::Delivered))
        .await
        .is_empty());
    assert_eq!(
        found(list(store, &a, with_status(TransferStatus::Failed)).await),
        me
    );
    assert!(list(store, &a, by_ref("INV-8001")).await.is_empty());
    assert!(list(store, &a, by_ref("#8001")).await.is_empty());
    assert_eq!(found(list(store, &a, by_ref("INV-8001-B")).await), me);
    assert_eq!(found(list(store, &a, by_ref("#8001-B")).await), me);
    assert_eq!(list(store, &a, query()).await.len(), 1);
}

// Logs ---------------------------------------------------------------------------------

/// Newest first; filters by service and minimum level; pages; per tenant.
pub async fn logs(store: &dyn Store) {
    let a = new_tenant(store, "Logs A").await;
    let b = new_tenant(store, "Logs B").await;
    let expires = Utc::now() + Duration::days(30);
    let services = ["webhook-intake", "scheduler", "transfer-worker"];
    let base = at(2026, 11, 23, 16, 0);
    let mut events = Vec::new();
    for n in 0..30u32 {
        let event = LogEvent {
            id: ulid::Ulid::new().to_string(),
            tenant: a.clone(),
            // Events 10 and 11 share an instant.
            at: base + Duration::seconds(i64::from(if n == 11 { 10 } else { n })),
            service: services[(n % 3) as usize].to_owned(),
            level: [Level::Debug, Level::Info, Level::Warn, Level::Error][(n % 4) as usize],
            message: format!("event {n}"),
            connection: (n % 2 == 0).then(ConnectionId::generate),
            transfer: (n % 5 == 0).then(TransferId::generate),
            count: 1,
        };
        events.push(event);
    }
    // Appended out of order: the list's order is the store's doing.
    for n in (0..30).rev().step_by(2).chain((0..30).step_by(2)) {
        store
            .append_log(&events[n], expires)
            .await
            .expect("append_log");
    }
    let theirs = LogEvent {
        id: ulid::Ulid::new().to_string(),
        tenant: b.clone(),
        message: "B's event".to_owned(),
        ..events[0].clone()
    };
    store
        .append_log(&theirs, expires)
        .await
        .expect("append_log");

    let expect = |keep: &dyn Fn(&LogEvent) -> bool| {
        let mut wanted: Vec<LogEvent> = events.iter().filter(|e| keep(e)).cloned().collect();
        wanted.sort_by(|x, y| (y.at, &y.id).cmp(&(x.at, &x.id)));
        wanted
    };
    let tenant_a = &a;
    let walk = |query: LogQuery| async move {
        let limit = query.limit;
        let mut query = query;
        let mut all = Vec::new();
        for _ in 0..100 {
            let page = store.list_logs(tenant_a, &query).await.expect("list_logs");
            assert!(page.items.len() <= limit.max(1));
            all.extend(page.items);
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => return all,
            }
        }
        panic!("list_logs never reached a last page");
    };

    let everything = walk(LogQuery {
        limit: 500,
        ..LogQuery::default()
    })
    .await;
    assert_eq!(everything, expect(&|_| true), "logs newest first");

    let scheduler = walk(LogQuery {
        service: Some("scheduler".to_owned()),
        limit: 500,
        ..LogQuery::default()
    })
    .await;
    assert_eq!(scheduler, expect(&|e| e.service == "scheduler"));

    let warnings = walk(LogQuery {
        min_level: Some(Level::Warn),
        limit: 500,
        ..LogQuery::default()
    })
    .await;
    assert_eq!(warnings, expect(&|e| e.level >= Level::Warn));
    assert!(!warnings.is_empty());

    let both = walk(LogQuery {
        service: Some("transfer-worker".to_owned()),
        min_level: Some(Level::Error),
        limit: 500,
        ..LogQuery::default()
    })
    .await;
    assert_eq!(
        both,
        expect(&|e| e.service == "transfer-worker" && e.level == Level::Error)
    );

    for limit in [1, 4, 7] {
        let paged = walk(LogQuery {
            limit,
            ..LogQuery::default()
        })
        .await;
        assert_eq!(paged, expect(&|_| true), "log pages of {limit}");
        let filtered = walk(LogQuery {
            limit,
            min_level: Some(Level::Info),
            service: Some("webhook-intake".to_owned()),
            ..LogQuery::default()
        })
        .await;
        assert_eq!(
            filtered,
            expect(&|e| e.level >= Level::Info && e.service == "webhook-intake")
        );
    }

    let b_logs = store
        .list_logs(
            &b,
            &LogQuery {
                limit: 500,
                ..LogQuery::default()
            },
        )
        .await
        .expect("list_logs");
    assert_eq!(b_logs.items, vec![theirs]);
    assert!(store
        .list_logs(&TenantId::generate(), &LogQuery::default())
        .await
        .expect("list_logs")
        .items
        .is_empty());
}

/// A counted event is stored once and its count goes up by one per call,
/// none lost when the calls come at once; it lists like any other event.
pub async fn counted_logs(store: &dyn Store) {
    let tenant = new_tenant(store, "Counted logs").await;
    let expires = Utc::now() + Duration::days(30);
    let minute = at(2026, 11, 23, 17, 0);
    let event = LogEvent {
        id: ulid::Ulid::new().to_string(),
        tenant: tenant.clone(),
        at: minute,
        service: "webhook-intake".to_owned(),
        level: Level::Warn,
        message: "a webhook was refused: the signature does not match the body".to_owned(),
        connection: Some(ConnectionId::generate()),
        transfer: None,
        count: 1,
    };
    let other = LogEvent {
        id: ulid::Ulid::new().to_string(),
        message: "a webhook was refused: the request has no signature header".to_owned(),
        ..event.clone()
    };
    assert_eq!(
        store.count_log(&event, expires).await.expect("count_log"),
        1
    );
    assert_eq!(
        store.count_log(&event, expires).await.expect("count_log"),
        2
    );
    // At once, no call is lost (the emulator may answer two of them the
    // same count; DynamoDB itself answers each its own).
    for count in join_all((0..20).map(|_| store.count_log(&event, expires))).await {
        assert!((3..=22).contains(&count.expect("count_log")));
    }
    assert_eq!(
        store.count_log(&other, expires).await.expect("count_log"),
        1
    );
    let listed = store
        .list_logs(&tenant, &LogQuery::default())
        .await
        .expect("list_logs")
        .items;
    let mut wanted = vec![
        LogEvent {
            count: 22,
            ..event.clone()
        },
        other,
    ];
    wanted.sort_by(|x, y| (y.at, &y.id).cmp(&(x.at, &x.id)));
    assert_eq!(listed, wanted);
}

// Catalogue fingerprints ------------------------------------------------------------

/// Fingerprints are per tenant and connection, replaced by a second put,
/// and read back whole (also past one page of the backing store).
pub async fn catalog_fingerprints(store: &dyn Store) {
    let tenant = new_tenant(store, "Catalogue").await;
    let other_tenant = new_tenant(store, "Other catalogue").await;
    let connection = ConnectionId::generate();
    let other_connection = ConnectionId::generate();
    assert!(
        store
            .catalog_fingerprints(&tenant, &connection)
            .await
            .expect("fingerprints read")
            .is_empty(),
        "a connection that sent nothing has no fingerprints"
    );
    store
        .put_catalog_fingerprint(&tenant, &connection, "MUG-RED", "aaa")
        .await
        .expect("fingerprint put");
    store
        .put_catalog_fingerprint(&tenant, &connection, "MUG-RED", "bbb")
        .await
        .expect("fingerprint replaced");
    store
        .put_catalog_fingerprint(&tenant, &connection, "SKU with spaces/and#marks", "ccc")
        .await
        .expect("fingerprint put");
    store
        .put_catalog_fingerprint(&tenant, &other_connection, "MUG-RED", "zzz")
        .await
        .expect("fingerprint put");
    store
        .put_catalog_fingerprint(&other_tenant, &connection, "MUG-RED", "yyy")
        .await
        .expect("fingerprint put");
    let found = store
        .catalog_fingerprints(&tenant, &connection)
        .await
        .expect("fingerprints read");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found["MUG-RED"], "bbb", "the second put replaced the first");
    assert_eq!(found["SKU with spaces/and#marks"], "ccc");
    assert_eq!(
        store
            .catalog_fingerprints(&other_tenant, &connection)
            .await
            .expect("fingerprints read")["MUG-RED"],
        "yyy",
        "another tenant's fingerprints are its own"
    );

    // A large catalogue reads back whole.
    let big = ConnectionId::generate();
    for chunk in (0..1500u64).collect::<Vec<_>>().chunks(50) {
        join_all(chunk.iter().map(|n| {
            let (tenant, big) = (&tenant, &big);
            async move {
                let (key, fingerprint) = (format!("SKU-{n:05}"), format!("{:024x}", n * 7919));
                store
                    .put_catalog_fingerprint(tenant, big, &key, &fingerprint)
                    .await
                    .expect("fingerprint put");
            }
        }))
        .await;
    }
    let all = store
        .catalog_fingerprints(&tenant, &big)
        .await
        .expect("fingerprints read");
    assert_eq!(all.len(), 1500);
    assert_eq!(all["SKU-00042"], format!("{:024x}", 42 * 7919));
}

/// Clients and warehouses: empty at first, saved by compare-and-swap on the
/// version, per tenant.
pub async fn directory_compare_and_swap(store: &dyn Store) {
    use ferry::model::Directory;
    let tenant = new_tenant(store, "Directory").await;
    let other = new_tenant(store, "Directory other").await;
    assert_eq!(
        store.get_directory(&tenant).await.expect("get_directory"),
        Directory::default(),
        "a tenant that saved nothing has no clients, no warehouses, version 0"
    );
    let first = Directory {
        clients: vec!["Acme".into(), "Bolt & Co".into()],
        warehouses: vec!["North".into()],
        version: 1,
    };
    store
        .put_directory(&tenant, &first, 0)
        .await
        .expect("the first save expects version 0");
    assert_eq!(store.get_directory(&tenant).await.unwrap(), first);
    let stale = Directory {
        clients: vec!["Lost".into()],
        version: 1,
        ..Directory::default()
    };
    assert!(
        matches!(
            store.put_directory(&tenant, &stale, 0).await,
            Err(StoreError::Conflict)
        ),
        "a second first save must conflict"
    );
    let second = Directory {
        version: 2,
        ..first.clone()
    };
    assert!(matches!(
        store.put_directory(&tenant, &second, 5).await,
        Err(StoreError::Conflict)
    ));
    store.put_directory(&tenant, &second, 1).await.unwrap();
    assert_eq!(store.get_directory(&tenant).await.unwrap(), second);
    assert_eq!(
        store.get_directory(&other).await.unwrap(),
        Directory::default(),
        "another tenant sees none of it"
    );
}

/// The subscription: absent at first, saved by compare-and-swap, with its
/// purchases (exact prices) kept.
pub async fn subscription_compare_and_swap(store: &dyn Store) {
    use ferry::model::{Purchase, Subscription};
    let tenant = new_tenant(store, "Subscriber").await;
    assert!(store.get_subscription(&tenant).await.unwrap().is_none());
    let mut first = Subscription::initial(&tenant, at(2026, 11, 23, 10, 0));
    first.auto_buy = true;
    first.version = 1;
    first.purchases.push(Purchase {
        id: "pur_1".into(),
        period: "2026-11".into(),
        orders: 100,
        price: rust_decimal::Decimal::new(500, 2),
        currency: "EUR".into(),
        at: at(2026, 11, 23, 10, 5),
        automatic: true,
    });
    store.put_subscription(&first, 0).await.unwrap();
    assert_eq!(
        store.get_subscription(&tenant).await.unwrap(),
        Some(first.clone())
    );
    assert!(matches!(
        store.put_subscription(&first, 0).await,
        Err(StoreError::Conflict)
    ));
    let mut second = first.clone();
    second.plan = "business".into();
    second.version = 2;
    assert!(matches!(
        store.put_subscription(&second, 2).await,
        Err(StoreError::Conflict)
    ));
    store.put_subscription(&second, 1).await.unwrap();
    let stored = store.get_subscription(&tenant).await.unwrap().unwrap();
    assert_eq!(stored, second);
    assert_eq!(stored.purchases[0].price.to_string(), "5.00");
}

/// Reminder state: who gets reminders and the open incidents are saved by
/// compare-and-swap; of two runs claiming one notice exactly one wins;
/// notices list the most recently changed first, per tenant.
pub async fn reminder_state(store: &dyn Store) {
    use ferry::model::{
        Incident, Incidents, Notice, NoticeStatus, Recipient, ReminderKind, ReminderSettings,
    };
    let tenant = new_tenant(store, "Reminded").await;
    let other = new_tenant(store, "Reminded other").await;

    assert_eq!(
        store.get_reminder_settings(&tenant).await.unwrap(),
        ReminderSettings::default(),
        "never saved: no choice, version 0"
    );
    let chosen = ReminderSettings {
        recipients: Some(vec![Recipient {
            email: "ops@shop.example".into(),
            kinds: vec![ReminderKind::FailedTransfers, ReminderKind::AllClear],
        }]),
        version: 1,
    };
    store
        .put_reminder_settings(&tenant, &chosen, 0)
        .await
        .unwrap();
    assert!(matches!(
        store.put_reminder_settings(&tenant, &chosen, 0).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.get_reminder_settings(&tenant).await.unwrap(), chosen);
    assert_eq!(
        store.get_reminder_settings(&other).await.unwrap(),
        ReminderSettings::default()
    );

    let mut incidents = Incidents {
        failed_reported_until: Some(at(2026, 11, 23, 10, 0)),
        version: 1,
        ..Incidents::default()
    };
    incidents.open.insert(
        "failed_transfers".into(),
        Incident {
            opened_at: at(2026, 11, 23, 9, 0),
            label: "failed transfers".into(),
        },
    );
    store.put_incidents(&tenant, &incidents, 0).await.unwrap();
    assert_eq!(store.get_incidents(&tenant).await.unwrap(), incidents);
    let mut closed = incidents.clone();
    closed.open.clear();
    closed.version = 2;
    assert!(matches!(
        store.put_incidents(&tenant, &closed, 0).await,
        Err(StoreError::Conflict)
    ));
    store.put_incidents(&tenant, &closed, 1).await.unwrap();
    assert_eq!(store.get_incidents(&tenant).await.unwrap(), closed);
    assert_eq!(
        store.get_incidents(&other).await.unwrap(),
        Incidents::default()
    );

    let notice = |key: &str, minute: u32, version: u64| Notice {
        tenant: tenant.clone(),
        key: key.to_owned(),
        kind: ReminderKind::Usage,
        status: NoticeStatus::Claimed,
        subject: format!("Ferry: {key}"),
        recipients: vec!["ops@shop.example".into()],
        at: at(2026, 11, 23, 10, minute),
        lease_until: Some(at(2026, 11, 23, 10, minute + 10)),
        attempts: 1,
        error: None,
        version,
    };
    assert!(store
        .get_notice(&tenant, "usage_80#2026-11")
        .await
        .unwrap()
        .is_none());
    let rivals: Vec<Notice> = (0..4).map(|_| notice("usage_80#2026-11", 1, 1)).collect();
    let claims = join_all(rivals.iter().map(|n| store.put_notice(n, 0))).await;
    assert_eq!(
        claims.iter().filter(|c| c.is_ok()).count(),
        1,
        "of four runs claiming one notice exactly one wins: {claims:?}"
    );
    assert!(claims
        .iter()
        .all(|c| c.is_ok() || matches!(c, Err(StoreError::Conflict))));
    let sent = Notice {
        status: NoticeStatus::Sent,
        lease_until: None,
        ..notice("usage_80#2026-11", 2, 2)
    };
    store.put_notice(&sent, 1).await.unwrap();
    assert!(matches!(
        store.put_notice(&notice("usage_80#2026-11", 3, 2), 1).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.get_notice(&tenant, "usage_80#2026-11").await.unwrap(),
        Some(sent.clone())
    );
    store
        .put_notice(&notice("usage_100#2026-11", 5, 1), 0)
        .await
        .unwrap();
    let listed = store.list_notices(&tenant, 10).await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(
        keys,
        ["usage_100#2026-11", "usage_80#2026-11"],
        "newest first"
    );
    assert_eq!(store.list_notices(&tenant, 1).await.unwrap().len(), 1);
    assert!(store.list_notices(&other, 10).await.unwrap().is_empty());
    assert!(store
        .get_notice(&other, "usage_80#2026-11")
        .await
        .unwrap()
        .is_none());
}

/// `tenant_setup` gives the same settings, subscription and systems as
/// their own reads, the tenant's other items and other tenants' left out.
pub async fn tenant_setup_reads_what_the_single_reads_do(store: &dyn Store) {
    use ferry::model::Subscription;
    let a = new_tenant(store, "Setup A").await;
    let b = new_tenant(store, "Setup B").await;

    let empty = store.tenant_setup(&a).await.expect("tenant_setup");
    assert_eq!(
        empty.settings,
        store.get_settings(&a).await.expect("settings")
    );
    assert_eq!(empty.subscription, None);
    assert!(empty.systems.is_empty());

    let settings = Settings {
        integration_active: false,
        stock_active: false,
        ..Settings::default()
    };
    store
        .put_settings(&a, &settings)
        .await
        .expect("put_settings");
    let shop = sample_system(&a, SystemKind::Shopify, "Setup shop");
    let ledger = sample_system(&a, SystemKind::Economic, "Setup ledger");
    let elsewhere = sample_system(&b, SystemKind::Fortnox, "Other tenant's ledger");
    for system in [&shop, &ledger, &elsewhere] {
        store.put_system(system).await.expect("put_system");
    }
    // The tenant's other items around them in its partition.
    store
        .put_connection(&sample_connection(&a, "Setup connection"))
        .await
        .expect("put_connection");
    store
        .put_user(&sample_user(&a, "setup@example.com"))
        .await
        .expect("put_user");
    let mut subscription = Subscription::initial(&a, at(2026, 11, 23, 10, 0));
    subscription.version = 1;
    store
        .put_subscription(&subscription, 0)
        .await
        .expect("put_subscription");

    let setup = store.tenant_setup(&a).await.expect("tenant_setup");
    assert_eq!(setup.settings, settings);
    assert_eq!(setup.subscription, Some(subscription));
    assert_eq!(setup.systems.len(), 2, "the tenant's two systems only");
    assert!(setup.all_systems);
    for system in [&shop, &ledger] {
        assert_eq!(
            setup.system(store, &a, &system.id).await.expect("system"),
            store.get_system(&a, &system.id).await.expect("get_system")
        );
    }
    assert_eq!(
        setup
            .system(store, &a, &elsewhere.id)
            .await
            .expect("system"),
        None,
        "another tenant's system is not this tenant's"
    );

    // A tenant with many systems: the set-up may hold only some, and each
    // system is still found, the last one stored included.
    let c = TenantId::generate();
    let mut many = Vec::new();
    for n in 0..40 {
        let system = sample_system(&c, SystemKind::Woocommerce, &format!("Shop {n}"));
        store.put_system(&system).await.expect("put_system");
        many.push(system);
    }
    let setup = store.tenant_setup(&c).await.expect("tenant_setup");
    if setup.all_systems {
        assert_eq!(setup.systems.len(), 40, "all of them, when it says so");
    }
    let mut ids: Vec<&SystemId> = many.iter().map(|s| &s.id).collect();
    ids.sort();
    for id in [ids[0], ids[20], ids[39]] {
        let found = setup.system(store, &c, id).await.expect("system");
        assert_eq!(found.map(|s| s.id), Some(id.clone()));
    }
    assert_eq!(
        setup.system(store, &c, &shop.id).await.expect("system"),
        None,
        "tenant a's system is not tenant c's"
    );
}

// Bounded reads (issue 16 item 7) --------------------------------------------------------

/// Follows `next` to the end, allowing short (even empty) pages before the
/// last: a filtered list reads a bounded amount per request. Answers the
/// items and how many pages it took.
async fn walk_bounded<T, F, Fut>(mut page_at: F) -> (Vec<T>, usize)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let mut all = Vec::new();
    let mut cursor = None;
    let mut seen = HashSet::new();
    for pages in 1..=1000 {
        let page = page_at(cursor.clone()).await;
        all.extend(page.items);
        match page.next {
            Some(next) => {
                assert!(seen.insert(next.clone()), "a cursor came back twice");
                cursor = Some(next);
            }
            None => return (all, pages),
        }
    }
    panic!("a bounded list never reached its last page");
}

/// A rare service or level among more events than one request reads:
/// each page holds at most the limit, following `next` finds every match
/// once, newest first, and an unfiltered walk still finds every event.
pub async fn logs_of_a_rare_service_in_bounded_pages(store: &dyn Store) {
    use ferry::store::LOG_READ_BUDGET;
    let tenant = new_tenant(store, "Rare logs").await;
    let expires = Utc::now() + Duration::days(30);
    let base = at(2026, 11, 24, 8, 0);
    let total = LOG_READ_BUDGET + 300;
    // Rare events at the newest end, in the middle and at the oldest end.
    let rare_at = [0, 1, total / 2, total - 2, total - 1];
    let events: Vec<LogEvent> = (0..total)
        .map(|n| {
            let rare = rare_at.contains(&n);
            LogEvent {
                id: ulid::Ulid::new().to_string(),
                tenant: tenant.clone(),
                at: base - Duration::milliseconds(n as i64),
                service: if rare { "reminders" } else { "transfer-worker" }.to_owned(),
                level: if rare { Level::Error } else { Level::Info },
                message: format!("event {n}"),
                connection: None,
                transfer: None,
                count: 1,
            }
        })
        .collect();
    for chunk in events.chunks(16) {
        let appends = chunk.iter().map(|e| store.append_log(e, expires));
        for result in join_all(appends).await {
            result.expect("append_log");
        }
    }
    let rare: Vec<&LogEvent> = rare_at.iter().map(|&n| &events[n]).collect();

    for (service, min_level) in [
        (Some("reminders".to_owned()), None),
        (None, Some(Level::Error)),
        (Some("reminders".to_owned()), Some(Level::Warn)),
    ] {
        for limit in [2, 50] {
            let (found, pages) = walk_bounded(|cursor| {
                let query = LogQuery {
                    service: service.clone(),
                    min_level,
                    cursor,
                    limit,
                };
                let tenant = &tenant;
                async move {
                    let page = store.list_logs(tenant, &query).await.expect("list_logs");
                    assert!(
                        page.items.len() <= limit,
                        "a page holds more than the limit"
                    );
                    page
                }
            })
            .await;
            let found: Vec<&LogEvent> = found.iter().collect();
            assert_eq!(
                found, rare,
                "every rare event once, newest first ({service:?}, {min_level:?}, limit {limit})"
            );
            assert!(
                pages >= 2,
                "{pages} pages: each request reads at most {LOG_READ_BUDGET} events"
            );
        }
    }

    let (everything, _) = walk_bounded(|cursor| {
        let query = LogQuery {
            cursor,
            limit: 500,
            ..LogQuery::default()
        };
        let tenant = &tenant;
        async move { store.list_logs(tenant, &query).await.expect("list_logs") }
    })
    .await;
    assert_eq!(everything.len(), total);
    assert!(everything
        .windows(2)
        .all(|w| (w[0].at, &w[0].id) > (w[1].at, &w[1].id)));
}

/// A rare connection among more transfers than one request reads: each
/// page holds at most the limit, and following `next` finds every one of
/// its transfers once, newest first, with or without a status.
pub async fn transfers_of_a_rare_connection_in_bounded_pages(store: &dyn Store) {
    use ferry::store::TRANSFER_READ_BUDGET;
    let tenant = new_tenant(store, "Rare connection").await;
    let (busy, quiet) = (ConnectionId::generate(), ConnectionId::generate());
    let base = at(2026, 11, 24, 9, 0);
    let total = TRANSFER_READ_BUDGET + 300;
    let quiet_at = [0, total / 3, total - 1];
    let transfers: Vec<Transfer> = (0..total)
        .map(|n| {
            let connection = if quiet_at.contains(&n) { &quiet } else { &busy };
            let mut transfer = sample_transfer(
                &tenant,
                connection,
                n as u32,
                base - Duration::seconds(n as i64),
            );
            transfer.source_payload = None;
            if n % 2 == 1 {
                transfer.status = TransferStatus::Delivered;
            }
            transfer
        })
        .collect();
    for chunk in transfers.chunks(16) {
        let creates = chunk.iter().map(|t| store.create_transfer(t));
        for result in join_all(creates).await {
            result.expect("create_transfer");
        }
    }
    let wanted = |status: Option<TransferStatus>| -> Vec<String> {
        quiet_at
            .iter()
            .map(|&n| &transfers[n])
            .filter(|t| status.is_none_or(|s| t.status == s))
            .map(|t| t.id.to_string())
            .collect()
    };

    for status in [None, Some(TransferStatus::Pending)] {
        for limit in [1, 50] {
            let (found, _) = walk_bounded(|cursor| {
                let query = TransferQuery {
                    connection: Some(quiet.clone()),
                    status,
                    cursor,
                    limit,
                    ..TransferQuery::default()
                };
                let tenant = &tenant;
                async move {
                    let page = store
                        .list_transfers(tenant, &query)
                        .await
                        .expect("list_transfers");
                    assert!(
                        page.items.len() <= limit,
                        "a page holds more than the limit"
                    );
                    page
                }
            })
            .await;
            assert_eq!(
                ids(&found),
                wanted(status),
                "the quiet connection's transfers once, newest first ({status:?}, limit {limit})"
            );
        }
    }
}
