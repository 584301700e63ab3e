//! Products and stock from the ERP to the webshop, against the loopback
//! sandboxes over HTTP: change detection (a price or stock change reaches
//! the shop once; an unchanged catalogue of 5,000 items sends nothing and
//! costs only the paged reads), matching by SKU (a collision and a missing
//! SKU fail with their reason), stock per location through the warehouse
//! map, a 429 from the shop honoured, backfill.
//!
//! Each test runs Ferry's own poll (`flows::poll`, what the
//! scheduler and "sync now" call) and delivers the
//! queued transfers with `flows::process` (the transfer worker's
//! part for products and stock), on an embedded store and an in-process queue.

use chrono::Utc;
use ferry::clock::SystemClock;
use ferry::connectors::http::HttpClient;
use ferry::connectors::Connectors;
use ferry::mail::outbox::OutboxMailer;
use ferry::model::{
    Connection, ConnectionId, CredentialHealth, DocumentKind, Entity, RunOutcome, Scope, System,
    SystemId, SystemKind, Tenant, TenantId, Transfer, TransferStatus,
};
use ferry::pipeline::poll::{Budget, PollOutcome};
use ferry::queue::memory::{MemoryQueue, MemoryReceiver};
use ferry::seal::{Credentials, Sealer};
use ferry::store::embedded::EmbeddedStore;
use ferry::store::TransferQuery;
use ferry::{Ferry, Limits};
use ferry_local::sandbox::economic::catalog::NewProduct;
use ferry_local::sandbox::{economic, fortnox, shopify, woocommerce};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Ferry on an embedded store with the in-process queue, and one tenant.
pub(crate) struct Bench {
    pub(crate) ferry: Ferry,
    receiver: MemoryReceiver,
    pub(crate) tenant: TenantId,
}

pub(crate) fn money(text: &str) -> Decimal {
    text.parse().expect("an amount")
}

impl Bench {
    pub(crate) async fn start() -> Bench {
        let (queue, receiver) = MemoryQueue::new();
        let ferry = Ferry {
            store: Arc::new(EmbeddedStore::temporary().expect("a store")),
            queue: Arc::new(queue),
            mailer: Arc::new(OutboxMailer::new(crate::orders::temp_dir("catalog-outbox"))),
            clock: Arc::new(SystemClock),
            sealer: Sealer::from_base64(&Sealer::generate_key()).expect("a key"),
            connectors: Arc::new(Connectors::new(HttpClient::new(Duration::from_secs(5)))),
            limits: Limits {
                retry_base: Duration::from_millis(20),
                retry_cap: Duration::from_millis(200),
                lease: Duration::from_secs(5),
                ..Limits::default()
            },
            public_url: "http://127.0.0.1:9".into(),
            webhook_base: None,
            jwt_key: Arc::new(b"a-test-key-of-at-least-32-characters!".to_vec()),
            operator_token: None,
            mail_from: "ferry@example.com".into(),
        };
        let tenant = Tenant {
            id: TenantId::generate(),
            name: "Catalogue ApS".into(),
            email: "owner@catalogue.example".into(),
            time_zone: "UTC".into(),
            created_at: Utc::now(),
        };
        ferry.store.create_tenant(&tenant).await.expect("tenant");
        Bench {
            ferry,
            receiver,
            tenant: tenant.id,
        }
    }

    pub(crate) async fn system(
        &self,
        kind: SystemKind,
        config: Map<String, Value>,
        creds: Credentials,
    ) -> System {
        let now = Utc::now();
        let system = System {
            id: SystemId::generate(),
            tenant: self.tenant.clone(),
            kind,
            name: kind.display_name().into(),
            config,
            credentials: Default::default(),
            health: CredentialHealth::default(),
            scope: Scope::default(),
            active: true,
            created_at: now,
            updated_at: now,
        }
        .with_credentials(&self.ferry.sealer, &creds);
        self.ferry.store.put_system(&system).await.expect("system");
        system
    }

    pub(crate) async fn connect(
        &self,
        entity: Entity,
        source: &System,
        target: &System,
    ) -> Connection {
        let now = Utc::now();
        let connection = Connection {
            id: ConnectionId::generate(),
            tenant: self.tenant.clone(),
            name: format!("{} > {} ({})", source.name, target.name, entity.word()),
            source: source.id.clone(),
            target: target.id.clone(),
            entity,
            allowed_states: Vec::new(),
            document: DocumentKind::DraftInvoice,
            documents: Default::default(),
            schedule: Some("*/5 * * * *".into()),
            active: true,
            scope: Scope::default(),
            next_run_at: None,
            cursor: None,
            last_run: RunOutcome::default(),
            created_at: now,
            updated_at: now,
            currency: Default::default(),
            payments: None,
        };
        self.ferry
            .store
            .put_connection(&connection)
            .await
            .expect("connection");
        connection
    }

    /// One poll, as the scheduler or "sync now" runs it.
    pub(crate) async fn poll(&self, connection: &Connection) -> PollOutcome {
        self.poll_with(connection, None).await
    }

    pub(crate) async fn poll_with(
        &self,
        connection: &Connection,
        backfill: Option<chrono::DateTime<Utc>>,
    ) -> PollOutcome {
        self.poll_within(connection, backfill, Budget::default())
            .await
    }

    pub(crate) async fn poll_within(
        &self,
        connection: &Connection,
        backfill: Option<chrono::DateTime<Utc>>,
        budget: Budget,
    ) -> PollOutcome {
        let stored = self
            .ferry
            .store
            .get_connection(&self.tenant, &connection.id)
            .await
            .expect("store")
            .expect("the connection");
        // Through the polling entry point, as the scheduler and the API call it.
        ferry::flows::poll(&self.ferry, &stored, backfill, budget)
            .await
            .expect("a poll")
    }

    /// Delivers queued transfers until none is pending (waiting out
    /// retries), at most `within`.
    pub(crate) async fn deliver(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if self.pending().await == 0 {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "transfers still pending after {within:?}");
            if let Ok(Some(message)) = tokio::time::timeout(left, self.receiver.recv()).await {
                ferry::flows::process(&self.ferry, &message)
                    .await
                    .expect("the message is handled");
            }
        }
    }

    pub(crate) async fn pending(&self) -> usize {
        self.transfers()
            .await
            .iter()
            .filter(|t| t.status == TransferStatus::Pending)
            .count()
    }

    pub(crate) async fn transfers(&self) -> Vec<Transfer> {
        let mut all = Vec::new();
        let mut query = TransferQuery {
            limit: 500,
            ..TransferQuery::default()
        };
        loop {
            let page = self
                .ferry
                .store
                .list_transfers(&self.tenant, &query)
                .await
                .expect("transfers");
            all.extend(page.items);
            match page.next {
                Some(next) => query.cursor = Some(next),
                None => return all,
            }
        }
    }

    pub(crate) async fn transfer_of(&self, connection: &Connection, sku: &str) -> Transfer {
        self.transfers()
            .await
            .into_iter()
            .find(|t| t.connection == connection.id && t.source_ref == sku)
            .unwrap_or_else(|| panic!("no transfer for SKU {sku}"))
    }

    pub(crate) async fn usage(&self) -> ferry::model::Usage {
        let month = Utc::now().format("%Y-%m").to_string();
        self.ferry
            .store
            .usage(&self.tenant, &month)
            .await
            .expect("usage")
    }
}

pub(crate) async fn economic_ledger(bench: &Bench) -> (economic::Handle, System) {
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .expect("a ledger");
    let mut config = ledger.system_config();
    // The sandbox is local: no need to spare the agreement's daily allowance.
    config.insert("calls_per_second".into(), json!(100));
    let system = bench
        .system(SystemKind::Economic, config, ledger.credentials())
        .await;
    (ledger, system)
}

pub(crate) async fn shopify_shop(bench: &Bench) -> (shopify::Handle, System) {
    let shop = shopify::spawn(shopify::Config::default())
        .await
        .expect("a shop");
    let system = bench
        .system(
            SystemKind::Shopify,
            shop.system_config(),
            shop.credentials(),
        )
        .await;
    (shop, system)
}

#[tokio::test]
async fn a_price_and_a_stock_change_reach_shopify_once() {
    let mut bench = Bench::start().await;
    let (ledger, books) = economic_ledger(&bench).await;
    let (shop, webshop) = shopify_shop(&bench).await;
    ledger.put_products([
        NewProduct::new("MUG-RED", "Red mug", money("99.50"), 12),
        NewProduct::new("MUG-BLUE", "Blue mug", money("89.00"), 4),
        NewProduct::new("PLATE", "Plate", money("49.95"), 0),
    ]);
    let red = shop.add_product("Mug", &[("Red", "MUG-RED", money("79.00"))])[0];
    let blue = shop.add_product("Mug", &[("Blue", "MUG-BLUE", money("79.00"))])[0];
    let plate = shop.add_product("Plate", &[("Default Title", "PLATE", money("49.95"))])[0];
    let location = shop.locations()[0].id;
    let prices = bench.connect(Entity::Products, &books, &webshop).await;
    let stock = bench.connect(Entity::Stock, &books, &webshop).await;

    // The first pass sends every item once.
    for connection in [&prices, &stock] {
        let first = bench.poll(connection).await;
        assert_eq!((first.created, first.complete), (3, true), "{first:?}");
        assert_eq!(first.error, None);
    }
    bench.deliver(Duration::from_secs(60)).await;
    let price_of = |sku: &str| shop.variants_with_sku(sku)[0].price;
    assert_eq!(price_of("MUG-RED"), money("99.50"));
    assert_eq!(price_of("MUG-BLUE"), money("89.00"));
    assert_eq!(shop.available(red, location), Some(12));
    assert_eq!(shop.available(blue, location), Some(4));
    assert_eq!(shop.available(plate, location), Some(0));
    let delivered = bench.transfer_of(&prices, "MUG-RED").await;
    assert_eq!(delivered.status, TransferStatus::Delivered);
    assert_eq!(delivered.target_ref, Some(red.to_string()));
    let writes = shop.catalog_writes();
    assert_eq!(writes, 6, "three prices and three stock levels");

    // Nothing changed: nothing is sent.
    for connection in [&prices, &stock] {
        let again = bench.poll(connection).await;
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 0, 3),
            "{again:?}"
        );
    }
    bench.deliver(Duration::from_secs(5)).await;
    assert_eq!(shop.catalog_writes(), writes);

    // A price change and a stock change: each reaches the shop once.
    assert!(ledger.set_sales_price("MUG-RED", money("109.00")));
    assert!(ledger.set_in_stock("MUG-BLUE", Decimal::from(3)));
    let changed_price = bench.poll(&prices).await;
    assert_eq!(
        (changed_price.updated, changed_price.unchanged),
        (1, 2),
        "{changed_price:?}"
    );
    let changed_stock = bench.poll(&stock).await;
    assert_eq!(
        (changed_stock.updated, changed_stock.unchanged),
        (1, 2),
        "{changed_stock:?}"
    );
    bench.deliver(Duration::from_secs(60)).await;
    assert_eq!(price_of("MUG-RED"), money("109.00"));
    assert_eq!(shop.available(blue, location), Some(3));
    assert_eq!(shop.catalog_writes(), writes + 2, "one write per change");
    for connection in [&prices, &stock] {
        let after = bench.poll(connection).await;
        assert_eq!((after.created, after.updated), (0, 0), "{after:?}");
    }
    bench.deliver(Duration::from_secs(5)).await;
    assert_eq!(shop.catalog_writes(), writes + 2);

    let listed = bench.transfer_of(&prices, "MUG-RED").await;
    let sent = bench
        .ferry
        .store
        .get_transfer(&bench.tenant, &listed.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.status, TransferStatus::Delivered);
    let read = sent.source_payload.expect("the item as read").to_json();
    assert_eq!(money(read["price"].as_str().unwrap()), money("109.00"));
    let payload = sent.target_payload.expect("what was sent").to_json();
    assert_eq!(payload["variant"]["price"], "109.00");
    let usage = bench.usage().await;
    assert_eq!((usage.products, usage.stock), (4, 4), "{usage:?}");
}

/// 5,000 products were sent before (their fingerprints are stored, as a
/// delivery stores them); a pass over the unchanged catalogue reads its
/// five pages and sends nothing; three changes make three transfers.
#[tokio::test]
async fn an_unchanged_catalogue_of_5000_items_sends_nothing() {
    let bench = Bench::start().await;
    let (ledger, books) = economic_ledger(&bench).await;
    let (shop, webshop) = shopify_shop(&bench).await;
    ledger.put_products((0..5000).map(|n| {
        NewProduct::new(
            &format!("SKU-{n:05}"),
            &format!("Item {n}"),
            Decimal::new(1000 + n, 2),
            n % 40,
        )
    }));
    let connection = bench.connect(Entity::Stock, &books, &webshop).await;

    // What a complete earlier sync left: the fingerprint of every item as sent.
    let credentials = bench
        .ferry
        .sealer
        .open(&books.credentials, books.owner())
        .unwrap();
    let source = bench
        .ferry
        .connectors
        .catalog_source(&books, &credentials)
        .unwrap();
    let mut page = None;
    let mut seeded = 0;
    loop {
        let listed = source.list_items(page.as_deref()).await.unwrap();
        for item in &listed.items {
            bench
                .ferry
                .store
                .put_catalog_fingerprint(
                    &bench.tenant,
                    &connection.id,
                    &item.key(),
                    &item.fingerprint(Entity::Stock),
                )
                .await
                .unwrap();
            seeded += 1;
        }
        match listed.next {
            Some(next) => page = Some(next),
            None => break,
        }
    }
    assert_eq!(seeded, 5000);

    let requests_before = ledger.requests();
    let started = Instant::now();
    let pass = bench.poll(&connection).await;
    let took = started.elapsed();
    assert_eq!(pass.records_found, 5000, "{pass:?}");
    assert_eq!((pass.created, pass.updated, pass.unchanged), (0, 0, 5000));
    assert!(pass.complete);
    assert_eq!(pass.pages, 5, "1,000 items a page");
    assert_eq!(
        ledger.requests() - requests_before,
        5,
        "only the paged reads reached the ERP"
    );
    assert_eq!(shop.catalog_writes(), 0, "nothing reached the shop");
    assert!(
        bench.transfers().await.is_empty(),
        "no transfer was recorded"
    );
    eprintln!("an unchanged pass over 5,000 items took {took:?}");

    // Three stock changes: three transfers, no more.
    for sku in ["SKU-00007", "SKU-02500", "SKU-04999"] {
        assert!(ledger.set_in_stock(sku, Decimal::from(1000)));
    }
    let changed = bench.poll(&connection).await;
    assert_eq!(
        (changed.created, changed.unchanged),
        (3, 4997),
        "{changed:?}"
    );
    let recorded: Vec<String> = bench
        .transfers()
        .await
        .into_iter()
        .map(|t| t.source_ref)
        .collect();
    assert_eq!(recorded.len(), 3);
    for sku in ["SKU-00007", "SKU-02500", "SKU-04999"] {
        assert!(recorded.contains(&sku.to_owned()), "{recorded:?}");
    }
}

#[tokio::test]
async fn a_sku_on_two_variants_fails_clearly_and_changes_nothing() {
    let mut bench = Bench::start().await;
    let (ledger, books) = economic_ledger(&bench).await;
    let (shop, webshop) = shopify_shop(&bench).await;
    ledger.put_products([
        NewProduct::new("MUG-RED", "Red mug", money("99.50"), 12),
        NewProduct::new("PLATE", "Plate", money("49.95"), 5),
    ]);
    shop.add_product("Mug", &[("Red", "MUG-RED", money("79.00"))]);
    shop.add_product("Mug (old)", &[("Red", "MUG-RED", money("75.00"))]);
    shop.add_product("Plate", &[("Default Title", "PLATE", money("40.00"))]);
    let prices = bench.connect(Entity::Products, &books, &webshop).await;

    bench.poll(&prices).await;
    bench.deliver(Duration::from_secs(30)).await;
    let failed = bench.transfer_of(&prices, "MUG-RED").await;
    assert_eq!(failed.status, TransferStatus::Failed);
    let reason = failed.reason.unwrap_or_default();
    assert!(
        reason.contains("SKU 'MUG-RED' matches 2 variants in Shopify")
            && reason.contains("Mug / Red")
            && reason.contains("Mug (old) / Red"),
        "{reason}"
    );
    assert_eq!(failed.attempts, 1, "a collision is not retried");
    let prices_now: Vec<Decimal> = shop
        .variants_with_sku("MUG-RED")
        .iter()
        .map(|v| v.price)
        .collect();
    assert_eq!(
        prices_now,
        vec![money("79.00"), money("75.00")],
        "neither was changed"
    );
    assert_eq!(
        shop.variants_with_sku("PLATE")[0].price,
        money("49.95"),
        "the other item went through"
    );
    assert_eq!(bench.usage().await.errors, 1);

    // The failure is not sent again every poll; a change to the item is.
    let again = bench.poll(&prices).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
    assert!(ledger.set_sales_price("MUG-RED", money("95.00")));
    let changed = bench.poll(&prices).await;
    assert_eq!(changed.updated, 1, "{changed:?}");
    bench.deliver(Duration::from_secs(30)).await;
    let still = bench.transfer_of(&prices, "MUG-RED").await;
    assert_eq!(still.status, TransferStatus::Failed);
}

#[tokio::test]
async fn an_item_without_sku_fails_clearly() {
    let mut bench = Bench::start().await;
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let mut config = ledger.system_config();
    config.insert("sku_field".into(), json!("bar_code"));
    let books = bench
        .system(SystemKind::Economic, config, ledger.credentials())
        .await;
    let (shop, webshop) = shopify_shop(&bench).await;
    let mut with_code = NewProduct::new("1001", "Red mug", money("99.50"), 12);
    with_code.bar_code = Some("5701234567890".into());
    let without_code = NewProduct::new("1002", "Gift wrapping", money("15.00"), 100);
    let mut same_code = NewProduct::new("1003", "Red mug (copy)", money("1.00"), 1);
    same_code.bar_code = Some("5701234567890".into());
    ledger.put_products([with_code, without_code, same_code]);
    let mug = shop.add_product("Mug", &[("Red", "5701234567890", money("79.00"))])[0];
    let prices = bench.connect(Entity::Products, &books, &webshop).await;

    let first = bench.poll(&prices).await;
    assert_eq!((first.created, first.unreadable), (2, 1), "{first:?}");
    let logs = bench
        .ferry
        .store
        .list_logs(&bench.tenant, &Default::default())
        .await
        .unwrap();
    assert!(
        logs.items.iter().any(|e| e
            .message
            .contains("SKU 5701234567890 is on two items in the ERP (1001 and 1003)")),
        "{logs:?}"
    );
    bench.deliver(Duration::from_secs(30)).await;
    let failed = bench.transfer_of(&prices, "1002").await;
    assert_eq!(failed.status, TransferStatus::Failed);
    let reason = failed.reason.unwrap_or_default();
    assert!(
        reason.contains("item 1002 'Gift wrapping' has no SKU"),
        "{reason}"
    );
    let matched = bench.transfer_of(&prices, "5701234567890").await;
    assert_eq!(matched.status, TransferStatus::Delivered);
    assert_eq!(matched.target_ref, Some(mug.to_string()));
    assert_eq!(
        shop.variants_with_sku("5701234567890")[0].price,
        money("99.50")
    );
}

/// Fortnox's stock goes to the location the warehouse map names; without
/// a map, a shop with two locations cannot be guessed and the transfer
/// says so; a backfill after the map is set sends it again.
#[tokio::test]
async fn stock_goes_to_the_location_the_warehouse_map_names() {
    let mut bench = Bench::start().await;
    let ledger = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let books = bench
        .system(
            SystemKind::Fortnox,
            ledger.system_config(),
            ledger.credentials(),
        )
        .await;
    let (shop, mut webshop) = shopify_shop(&bench).await;
    ledger.put_article("A-1", "Red mug", money("129"), Decimal::new(75, 1), None);
    let mug = shop.add_product("Mug", &[("Red", "A-1", money("129.00"))])[0];
    let main = shop.locations()[0].id;
    let outlet = shop.add_location("Outlet");
    let stock = bench.connect(Entity::Stock, &books, &webshop).await;

    bench.poll(&stock).await;
    bench.deliver(Duration::from_secs(30)).await;
    let unmapped = bench.transfer_of(&stock, "A-1").await;
    assert_eq!(unmapped.status, TransferStatus::Failed);
    let reason = unmapped.reason.unwrap_or_default();
    assert!(
        reason.contains("Shopify has 2 locations") && reason.contains("stock_locations"),
        "{reason}"
    );

    webshop.config.insert(
        "stock_locations".into(),
        json!({ "default": outlet.to_string() }),
    );
    bench.ferry.store.put_system(&webshop).await.unwrap();
    let backfill = bench.poll_with(&stock, Some(Utc::now())).await;
    assert_eq!(backfill.updated, 1, "{backfill:?}");
    bench.deliver(Duration::from_secs(30)).await;
    let mapped = bench.transfer_of(&stock, "A-1").await;
    assert_eq!(
        mapped.status,
        TransferStatus::Delivered,
        "{:?}",
        mapped.reason
    );
    assert_eq!(shop.available(mug, outlet), Some(7), "7.5 rounds down");
    assert_eq!(
        shop.available(mug, main),
        None,
        "the other location untouched"
    );

    assert!(ledger.set_quantity_in_stock("A-1", Decimal::from(2)));
    bench.poll(&stock).await;
    bench.deliver(Duration::from_secs(30)).await;
    assert_eq!(shop.available(mug, outlet), Some(2));
}

#[tokio::test]
async fn a_429_from_the_shop_is_honoured() {
    let mut bench = Bench::start().await;
    let (ledger, books) = economic_ledger(&bench).await;
    let (shop, webshop) = shopify_shop(&bench).await;
    ledger.put_products([NewProduct::new("MUG-RED", "Red mug", money("99.50"), 12)]);
    let red = shop.add_product("Mug", &[("Red", "MUG-RED", money("79.00"))])[0];
    let prices = bench.connect(Entity::Products, &books, &webshop).await;

    bench.poll(&prices).await;
    shop.fail_next(429, 1);
    let started = Instant::now();
    bench.deliver(Duration::from_secs(30)).await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the shop's Retry-After of 2 s was waited out"
    );
    let sent = bench.transfer_of(&prices, "MUG-RED").await;
    assert_eq!(sent.status, TransferStatus::Delivered);
    assert_eq!(sent.attempts, 2, "the 429 cost one attempt");
    assert_eq!(shop.variants_with_sku("MUG-RED")[0].price, money("99.50"));
    assert_eq!(shop.available(red, shop.locations()[0].id), None);
}

#[tokio::test]
async fn fortnox_prices_and_stock_reach_woocommerce_by_sku() {
    let mut bench = Bench::start().await;
    let ledger = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let books = bench
        .system(
            SystemKind::Fortnox,
            ledger.system_config(),
            ledger.credentials(),
        )
        .await;
    let shop = woocommerce::spawn(woocommerce::Config::default())
        .await
        .unwrap();
    let webshop = bench
        .system(
            SystemKind::Woocommerce,
            shop.system_config(),
            shop.credentials(),
        )
        .await;
    ledger.put_article("B-7", "Bowl", money("59.90"), Decimal::from(9), None);
    ledger.put_article("B-8", "Big bowl", money("79.90"), Decimal::from(1), None);
    let bowl = shop.add_product("Bowl", "B-7", money("49.00"));
    let big = shop.add_product("Big bowl", "B-8", money("69.00"));
    let prices = bench.connect(Entity::Products, &books, &webshop).await;
    let stock = bench.connect(Entity::Stock, &books, &webshop).await;

    bench.poll(&prices).await;
    bench.poll(&stock).await;
    bench.deliver(Duration::from_secs(30)).await;
    let product = shop.product(bowl).unwrap();
    assert_eq!(product.regular_price, Some(money("59.90")));
    assert_eq!(
        (product.manage_stock, product.stock_quantity),
        (true, Some(9))
    );
    assert_eq!(shop.product(big).unwrap().stock_quantity, Some(1));
    assert_eq!(shop.catalog_writes(), 4);

    assert!(ledger.set_quantity_in_stock("B-8", Decimal::ZERO));
    let changed = bench.poll(&stock).await;
    assert_eq!((changed.updated, changed.unchanged), (1, 1), "{changed:?}");
    let unchanged = bench.poll(&prices).await;
    assert_eq!(unchanged.updated + unchanged.created, 0, "{unchanged:?}");
    bench.deliver(Duration::from_secs(30)).await;
    assert_eq!(shop.product(big).unwrap().stock_quantity, Some(0));
    assert_eq!(shop.catalog_writes(), 5);
}

/// Variations of a variable WooCommerce product are found by their own SKU
/// and changed under their product; the variable product is left alone.
#[tokio::test]
async fn woocommerce_variations_get_their_price_and_stock_by_sku() {
    let mut bench = Bench::start().await;
    let ledger = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let books = bench
        .system(
            SystemKind::Fortnox,
            ledger.system_config(),
            ledger.credentials(),
        )
        .await;
    let shop = woocommerce::spawn(woocommerce::Config::default())
        .await
        .unwrap();
    let webshop = bench
        .system(
            SystemKind::Woocommerce,
            shop.system_config(),
            shop.credentials(),
        )
        .await;
    ledger.put_article("TEE-M", "Tee M", money("149.00"), Decimal::from(4), None);
    ledger.put_article("TEE-L", "Tee L", money("159.00"), Decimal::from(0), None);
    let (tee, sizes) = shop.add_variable_product(
        "Tee",
        &[
            ("M", "TEE-M", money("120.00")),
            ("L", "TEE-L", money("120.00")),
        ],
    );
    let prices = bench.connect(Entity::Products, &books, &webshop).await;
    let stock = bench.connect(Entity::Stock, &books, &webshop).await;

    bench.poll(&prices).await;
    bench.poll(&stock).await;
    bench.deliver(Duration::from_secs(30)).await;
    for sku in ["TEE-M", "TEE-L"] {
        for connection in [&prices, &stock] {
            let sent = bench.transfer_of(connection, sku).await;
            assert_eq!(sent.status, TransferStatus::Delivered, "{:?}", sent.reason);
            assert_eq!(
                sent.target_ref.as_deref(),
                Some(sizes[usize::from(sku == "TEE-L")].to_string().as_str())
            );
        }
    }
    let medium = shop.product(sizes[0]).unwrap();
    assert_eq!(medium.regular_price, Some(money("149.00")));
    assert_eq!(
        (medium.manage_stock, medium.stock_quantity),
        (true, Some(4))
    );
    let large = shop.product(sizes[1]).unwrap();
    assert_eq!(large.regular_price, Some(money("159.00")));
    assert_eq!(large.stock_quantity, Some(0));
    let parent = shop.product(tee).unwrap();
    assert_eq!(
        (parent.regular_price, parent.stock_quantity),
        (None, None),
        "the variable product itself is not changed"
    );
    assert_eq!(shop.catalog_writes(), 4);
}

/// With Fortnox's warehouse module, each stock point's available stock
/// goes to the Shopify location the map names.
#[tokio::test]
async fn fortnox_stock_points_reach_the_mapped_shopify_locations() {
    let mut bench = Bench::start().await;
    let ledger = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let mut config = ledger.system_config();
    config.insert("stock_points".into(), json!(true));
    let books = bench
        .system(SystemKind::Fortnox, config, ledger.credentials())
        .await;
    let (shop, mut webshop) = shopify_shop(&bench).await;
    ledger.put_article("A-1", "Red mug", money("129"), Decimal::from(30), None);
    ledger.put_article("A-2", "Blue mug", money("129"), Decimal::from(30), None);
    ledger.set_stock_point("A-1", "CPH", Decimal::from(12));
    ledger.set_stock_point("A-1", "AAR", Decimal::from(3));
    let red = shop.add_product("Mug", &[("Red", "A-1", money("129.00"))])[0];
    let blue = shop.add_product("Blue mug", &[("Blue", "A-2", money("129.00"))])[0];
    let main = shop.locations()[0].id;
    let outlet = shop.add_location("Outlet");
    webshop.config.insert(
        "stock_locations".into(),
        json!({ "CPH": main.to_string(), "AAR": outlet.to_string() }),
    );
    bench.ferry.store.put_system(&webshop).await.unwrap();
    let stock = bench.connect(Entity::Stock, &books, &webshop).await;

    bench.poll(&stock).await;
    bench.deliver(Duration::from_secs(30)).await;
    for sku in ["A-1", "A-2"] {
        let sent = bench.transfer_of(&stock, sku).await;
        assert_eq!(sent.status, TransferStatus::Delivered, "{:?}", sent.reason);
    }
    assert_eq!(
        shop.available(red, main),
        Some(12),
        "QuantityInStock is not used"
    );
    assert_eq!(shop.available(red, outlet), Some(3));
    assert_eq!(
        shop.available(blue, main),
        Some(0),
        "no balance: none anywhere"
    );
    assert_eq!(shop.available(blue, outlet), Some(0));

    ledger.set_stock_point("A-1", "AAR", Decimal::from(1));
    let changed = bench.poll(&stock).await;
    assert_eq!((changed.updated, changed.unchanged), (1, 1), "{changed:?}");
    bench.deliver(Duration::from_secs(30)).await;
    assert_eq!(shop.available(red, outlet), Some(1));
    assert_eq!(shop.available(red, main), Some(12));
}

/// A pass stopped by its page budget resumes where it stopped; the ERP's
/// 429 on a page is waited out and the page read again.
#[tokio::test]
async fn a_pass_stopped_half_way_resumes_and_an_erp_429_is_waited_out() {
    let bench = Bench::start().await;
    let (ledger, books) = economic_ledger(&bench).await;
    let (_shop, webshop) = shopify_shop(&bench).await;
    ledger.put_products(
        (0..2500)
            .map(|n| NewProduct::new(&format!("P-{n:04}"), "Item", Decimal::new(500 + n, 2), 1)),
    );
    let prices = bench.connect(Entity::Products, &books, &webshop).await;

    let two_pages = Budget {
        max_pages: 2,
        ..Budget::default()
    };
    let first = bench.poll_within(&prices, None, two_pages).await;
    assert_eq!(
        (first.pages, first.created, first.complete),
        (2, 2000, false)
    );
    let stored = bench
        .ferry
        .store
        .get_connection(&bench.tenant, &prices.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored
            .cursor
            .as_deref()
            .is_some_and(|c| c.contains(r#""page":"2""#)),
        "{:?}",
        stored.cursor
    );

    ledger.faults().next(
        1,
        economic::harness::Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    let started = Instant::now();
    let rest = bench.poll(&prices).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(
        (rest.pages, rest.created, rest.complete),
        (1, 500, true),
        "{rest:?}"
    );
    assert_eq!(rest.error, None);
    let transfers = bench.transfers().await;
    assert_eq!(transfers.len(), 2500, "every item recorded once");
    let next = bench.poll(&prices).await;
    assert_eq!(
        (next.pages, next.created, next.updated, next.unchanged),
        (3, 0, 0, 2500),
        "a new pass starts from the first page; the pending items are held as they are"
    );
}

/// The whole path on a running ferry-local: the connection is made through
/// the API (an ERP source is accepted for products), "sync now" polls the
/// ledger, the in-process workers deliver the price to the shop once, and
/// the connection takes no webhooks.
#[tokio::test]
async fn a_price_reaches_the_shop_through_ferry_local_and_its_api() {
    let tenant = crate::tenant::Tenant::start("catalog-e2e").await;
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .expect("a ledger");
    let shop = shopify::spawn(shopify::Config::default())
        .await
        .expect("a shop");
    ledger.put_products([NewProduct::new("MUG-RED", "Red mug", money("99.50"), 12)]);
    shop.add_product("Mug", &[("Red", "MUG-RED", money("79.00"))]);
    let books = tenant
        .system(
            "economic",
            ledger.system_config(),
            json!(ledger.credentials().0),
        )
        .await;
    let webshop = tenant
        .system("shopify", shop.system_config(), json!(shop.credentials().0))
        .await;
    // Orders cannot run from the books to the shop; products can.
    let (status, refused) = tenant
        .call(
            reqwest::Method::POST,
            "/connections",
            Some(json!({"name": "Wrong way", "source": books, "target": webshop,
                        "entity": "orders", "allowed_states": ["paid"], "document": "draft_invoice"})),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["field"], "source");
    let connection = tenant
        .post(
            "/connections",
            json!({"name": "Prices", "source": books, "target": webshop,
                   "entity": "products", "allowed_states": [], "document": "draft_invoice",
                   "schedule": "*/15 * * * *"}),
        )
        .await;
    let id = connection["id"].as_str().expect("an id").to_owned();

    let synced = tenant.sync(&id, json!({})).await;
    assert_eq!(synced["created"], 1, "{synced}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while shop.variants_with_sku("MUG-RED")[0].price != money("99.50") {
        assert!(
            Instant::now() < deadline,
            "the price never reached the shop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let transfers = tenant.transfers().await;
    assert_eq!(transfers.len(), 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tenant.transfers().await[0]["status"] != "delivered" {
        assert!(Instant::now() < deadline, "the transfer never settled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let writes = shop.catalog_writes();
    assert_eq!(tenant.sync(&id, json!({})).await["created"], 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        shop.catalog_writes(),
        writes,
        "an unchanged price is not sent again"
    );

    // No webhook feeds a products connection.
    let answer = reqwest::Client::new()
        .post(format!("{}/webhooks/{id}", tenant.running.base_url()))
        .body("{}")
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status().as_u16(), 404);
    tenant.running.stop().await;
}
