//! Scheduled polling over ferry-local with the sandbox shops: webhook and
//! poll see the same order once, paging through Shopify's `Link` cursors
//! (with a 429 in the middle) and WooCommerce's numbered pages, resuming a
//! poll stopped half-way, backfill past a broken old order, credential
//! health pausing and resuming deliveries, and the Schedules screen.

use crate::tenant::Tenant;
use ferry::flows;
use ferry::pipeline::poll::Budget;
use ferry_local::sandbox::{economic, fortnox, shopify, woocommerce};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn paid_order(shop: &shopify::Handle) -> (u64, String) {
    let id = shop.add_order();
    assert!(shop.set_financial_status(id, "paid"));
    let name = shop.order_json(id).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, name)
}

#[tokio::test]
async fn an_order_seen_by_webhook_and_by_poll_is_one_transfer_and_one_document() {
    let tenant = Tenant::start("poll-both").await;
    let (shop, ledger, connection) = tenant.shopify_into_economic_id(json!("*/5 * * * *")).await;
    let webhook_url = format!("{}/webhooks/{connection}", tenant.running.base_url());

    let (id, e_number) = paid_order(&shop);
    assert_eq!(
        shop.send_webhook(&webhook_url, id, "orders/create")
            .await
            .unwrap()
            .as_u16(),
        200
    );
    tenant.wait_for(&e_number, "delivered").await;

    // The poll sees it too, and a second order whose webhook was lost.
    let (_, lost) = paid_order(&shop);
    let outcome = tenant.sync(&connection, json!({})).await;
    assert_eq!(outcome["records_found"], 2, "{outcome}");
    assert_eq!(outcome["created"], 1);
    assert_eq!(outcome["unchanged"], 1);
    assert_eq!(outcome["complete"], true);
    tenant.wait_for(&lost, "delivered").await;
    // Both again, by webhook and by poll: nothing new.
    assert_eq!(
        shop.send_webhook(&webhook_url, id, "orders/updated")
            .await
            .unwrap()
            .as_u16(),
        200
    );
    let again = tenant.sync(&connection, Value::Null).await;
    assert_eq!(again["created"], 0, "{again}");
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(tenant.transfers().await.len(), 2);
    let invoices = ledger.draft_invoices();
    for number in [&e_number, &lost] {
        let documents = invoices
            .iter()
            .filter(|d| d.reference.as_deref() == Some(number.as_str()))
            .count();
        assert_eq!(documents, 1, "{number} has {documents} documents");
    }
    tenant.running.stop().await;
}

/// 600 paid orders are polled through three pages with a 429 in the middle,
/// and every one arrives in e-conomic once. The ledger system allows 100
/// calls a second (its `calls_per_second` setting) so that the test takes
/// seconds, not the minutes the default pace of 10 would.
#[tokio::test]
async fn six_hundred_shopify_orders_through_pages_and_a_429_are_delivered_once() {
    let tenant = Tenant::start("poll-600").await;
    let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let source = tenant
        .system("shopify", shop.system_config(), json!(shop.credentials().0))
        .await;
    let mut fast_books = ledger.system_config();
    fast_books.insert("calls_per_second".into(), json!(100));
    let target = tenant
        .system("economic", fast_books, json!(ledger.credentials().0))
        .await;
    let connection = tenant
        .connect(
            "Shop > ledger",
            &source,
            &target,
            &["paid"],
            json!("*/5 * * * *"),
        )
        .await;
    let connection = connection["id"].as_str().unwrap().to_owned();
    let mut paid = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for _ in 0..600 {
        let (id, name) = paid_order(&shop);
        paid.insert(name);
        ids.insert(id.to_string());
    }

    // The first page alone (as if the pass ran out of budget) ...
    let stored = tenant.connection(&connection).await;
    let ferry = &tenant.running.ferry;
    let first = flows::poll(
        ferry,
        &stored,
        None,
        Budget {
            max_pages: 1,
            ..Budget::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (first.pages, first.records_found, first.complete),
        (1, 250, false)
    );
    // ... then the rest, the shop answering 429 in the middle.
    shop.fail_next(429, 1);
    let started = std::time::Instant::now();
    let rest = tenant.sync(&connection, json!({})).await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the 429's Retry-After was honoured"
    );
    assert_eq!(rest["records_found"], 350, "{rest}");
    assert_eq!(rest["created"], 350);
    assert_eq!(rest["pages"], 2);
    assert_eq!(rest["complete"], true);
    assert_eq!(rest["error"], Value::Null);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    let transfers = loop {
        let transfers = tenant.transfers().await;
        let delivered = transfers
            .iter()
            .filter(|t| t["status"] == "delivered")
            .count();
        if delivered == 600 {
            break transfers;
        }
        let stuck: Vec<&Value> = transfers
            .iter()
            .filter(|t| t["status"] == "failed" || t["status"] == "skipped")
            .collect();
        assert!(stuck.is_empty(), "not delivered: {stuck:?}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {delivered} of 600 delivered"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let recorded: BTreeSet<String> = transfers
        .iter()
        .map(|t| t["source_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(transfers.len(), 600);
    assert_eq!(recorded, ids, "every order recorded, none twice");
    let invoices = ledger.draft_invoices();
    assert_eq!(invoices.len(), 600, "one document per order");
    let references: BTreeSet<String> = invoices
        .iter()
        .filter_map(|d| d.reference.clone())
        .collect();
    assert_eq!(references, paid);
    tenant.running.stop().await;
}

#[tokio::test]
async fn a_poll_stopped_half_way_resumes_and_misses_nothing() {
    let tenant = Tenant::start("poll-resume").await;
    // Unpaid orders: recorded and skipped, which keeps the ledger out of it.
    let (shop, _ledger, connection) = tenant.shopify_into_economic_id(json!("*/5 * * * *")).await;
    let ids: BTreeSet<String> = shop.add_orders(300).iter().map(u64::to_string).collect();
    let ferry = &tenant.running.ferry;
    let one_page = Budget {
        max_pages: 1,
        ..Budget::default()
    };

    let first = flows::poll(ferry, &tenant.connection(&connection).await, None, one_page)
        .await
        .unwrap();
    assert_eq!((first.created, first.complete), (250, false));
    let cursor = tenant.connection(&connection).await.cursor;
    assert!(
        cursor
            .as_deref()
            .is_some_and(|c| c.contains("page_info") || c.contains("\"page\":\"")),
        "{cursor:?}"
    );

    // The next pass breaks off on page 2: the cursor stays where it was.
    shop.fail_next(503, 3);
    let broken = flows::poll(
        ferry,
        &tenant.connection(&connection).await,
        None,
        Budget::default(),
    )
    .await
    .unwrap();
    assert!(
        broken.error.as_deref().is_some_and(|e| e.contains("503")),
        "{broken:?}"
    );
    assert_eq!((broken.records_found, broken.complete), (0, false));
    assert_eq!(tenant.connection(&connection).await.cursor, cursor);
    let stored = tenant.connection(&connection).await;
    assert_eq!(
        stored.last_run.error, broken.error,
        "the error is the last run's outcome"
    );

    let resumed = flows::poll(
        ferry,
        &tenant.connection(&connection).await,
        None,
        Budget::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        (resumed.created, resumed.records_found, resumed.complete),
        (50, 50, true)
    );
    let again = flows::poll(
        ferry,
        &tenant.connection(&connection).await,
        None,
        Budget::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        again.created, 0,
        "a finished pass reads only the overlap again"
    );

    let seen: BTreeSet<String> = tenant
        .transfers()
        .await
        .iter()
        .map(|t| t["source_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, ids, "every order recorded once");
    tenant.running.stop().await;
}

#[tokio::test]
async fn a_bad_cron_expression_is_refused_naming_the_field() {
    let tenant = Tenant::start("poll-cron").await;
    let (_shop, _ledger, connection) = tenant.shopify_into_economic_id(Value::Null).await;
    let (status, answer) = tenant
        .call(
            reqwest::Method::PATCH,
            &format!("/connections/{connection}"),
            Some(json!({"schedule": "every 5 minutes"})),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["field"], "schedule");
    let (status, answer) = tenant
        .call(
            reqwest::Method::POST,
            &format!("/connections/{connection}/sync"),
            Some(json!({"since": "last year"})),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["field"], "since");
    // Dates at the ends of the calendar are refused, not polled from.
    for since in ["-262143-01-01T00:00:00Z", "1969-12-31", "0001-01-01"] {
        let (status, answer) = tenant
            .call(
                reqwest::Method::POST,
                &format!("/connections/{connection}/sync"),
                Some(json!({ "since": since })),
            )
            .await;
        assert_eq!(status, 400, "{since}: {answer}");
        assert_eq!(answer["error"]["field"], "since", "{since}");
    }
    tenant.running.stop().await;
}

#[tokio::test]
async fn wrong_ledger_credentials_pause_deliveries_until_replaced_and_checked() {
    let tenant = Tenant::start("poll-health").await;
    let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let source = tenant
        .system("shopify", shop.system_config(), json!(shop.credentials().0))
        .await;
    let mut wrong = ledger.credentials().0;
    wrong.insert("agreement_grant_token".into(), "expired-grant".into());
    let target = tenant
        .system("economic", ledger.system_config(), json!(wrong))
        .await;
    let connection = tenant
        .connect("Shop > ledger", &source, &target, &["paid"], Value::Null)
        .await;
    let webhook_url = connection["webhook_url"].as_str().unwrap().to_owned();
    let ferry = &tenant.running.ferry;

    let report = ferry::scheduler::tick(ferry).await.unwrap();
    assert_eq!(report.checked, 2, "both systems checked: {report:?}");
    let system = tenant.get(&format!("/systems/{target}")).await;
    assert_eq!(system["health"]["status"], "unhealthy", "{system}");
    assert!(
        system["health"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("credentials")),
        "{system}"
    );

    let (id, e_number) = paid_order(&shop);
    assert_eq!(
        shop.send_webhook(&webhook_url, id, "orders/create")
            .await
            .unwrap()
            .as_u16(),
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = tenant.wait_for(&e_number, "pending").await;
    assert!(
        waiting["reason"]
            .as_str()
            .is_some_and(|r| r.contains("credentials")),
        "{waiting}"
    );
    assert!(ledger.draft_invoices().is_empty());

    // A second pass within the hour does not call again.
    assert_eq!(ferry::scheduler::tick(ferry).await.unwrap().checked, 0);
    let (status, _) = tenant
        .call(
            reqwest::Method::PUT,
            &format!("/systems/{target}/credentials"),
            Some(json!(ledger.credentials().0)),
        )
        .await;
    assert_eq!(status, 200);
    let report = ferry::scheduler::tick(ferry).await.unwrap();
    assert_eq!((report.checked, report.resumed), (1, 1), "{report:?}");
    assert_eq!(
        tenant.get(&format!("/systems/{target}")).await["health"]["status"],
        "healthy"
    );
    tenant.wait_for(&e_number, "delivered").await;
    assert_eq!(ledger.draft_invoices().len(), 1);
    tenant.running.stop().await;
}

#[tokio::test]
async fn woocommerce_is_polled_through_its_numbered_pages() {
    let tenant = Tenant::start("poll-woo").await;
    let shop = woocommerce::spawn(woocommerce::Config::default())
        .await
        .unwrap();
    let ledger = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let source = tenant
        .system(
            "woocommerce",
            shop.system_config(),
            json!(shop.credentials().0),
        )
        .await;
    let target = tenant
        .system(
            "fortnox",
            ledger.system_config(),
            json!(ledger.credentials().0),
        )
        .await;
    let connection = tenant
        .connect(
            "Woo > Fortnox",
            &source,
            &target,
            &["completed"],
            json!("*/10 * * * *"),
        )
        .await;
    let connection = connection["id"].as_str().unwrap().to_owned();
    let added = shop.add_orders(250);
    for id in &added {
        assert!(shop.set_status(*id, "processing"));
    }
    let done = added[17];
    assert!(shop.set_status(done, "completed"));
    let ids: BTreeSet<String> = added.iter().map(u64::to_string).collect();

    let outcome = tenant.sync(&connection, json!({})).await;
    assert_eq!(outcome["pages"], 3, "{outcome}");
    assert_eq!(outcome["records_found"], 250);
    assert_eq!(outcome["created"], 250);
    let seen: BTreeSet<String> = tenant
        .transfers()
        .await
        .iter()
        .map(|t| t["source_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, ids);
    let number = shop.order_json(done).unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned();
    tenant.wait_for(&number, "delivered").await;
    assert_eq!(
        ledger.invoices().len(),
        1,
        "only the completed order is invoiced"
    );
    tenant.running.stop().await;
}

#[tokio::test]
async fn a_backfill_reads_old_orders_and_one_broken_order_fails_alone() {
    let tenant = Tenant::start("poll-backfill").await;
    let (shop, ledger, connection) = tenant.shopify_into_economic_id(Value::Null).await;
    let long_ago = "2026-01-10T12:00:00+01:00";
    let (old, old_number) = paid_order(&shop);
    let (broken, _) = paid_order(&shop);
    for id in [old, broken] {
        assert!(shop.edit_order(id, |order| {
            order["created_at"] = json!(long_ago);
            order["updated_at"] = json!(long_ago);
        }));
    }
    assert!(shop.edit_order(broken, |order| order["currency"] = json!(978)));
    let (_, recent) = paid_order(&shop);

    let plain = tenant.sync(&connection, json!({})).await;
    assert_eq!(
        plain["records_found"], 1,
        "a plain sync reads from the connection's start: {plain}"
    );
    tenant.wait_for(&recent, "delivered").await;

    let backfill = tenant
        .sync(&connection, json!({"since": "2026-01-01"}))
        .await;
    assert_eq!(backfill["records_found"], 3, "{backfill}");
    assert_eq!(backfill["unreadable"], 1);
    assert_eq!(backfill["created"], 1);
    assert_eq!(backfill["complete"], true);
    tenant.wait_for(&old_number, "delivered").await;
    let failed: Vec<Value> = tenant
        .transfers()
        .await
        .into_iter()
        .filter(|t| t["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("could not read")),
        "{failed:?}"
    );
    assert_eq!(ledger.draft_invoices().len(), 2);
    tenant.running.stop().await;
}

#[tokio::test]
async fn schedules_show_the_job_in_words_its_runs_and_webhook_only_connections() {
    let tenant = Tenant::start("poll-schedules").await;
    let (shop, _ledger, polled) = tenant.shopify_into_economic_id(json!("*/5 * * * *")).await;
    let systems = tenant.get("/systems").await;
    let id_of = |kind: &str| {
        systems["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == kind)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let webhook_only = tenant
        .connect(
            "Webhooks only",
            &id_of("shopify"),
            &id_of("economic"),
            &["paid"],
            Value::Null,
        )
        .await;
    let webhook_only = webhook_only["id"].as_str().unwrap().to_owned();
    shop.add_orders(3);

    // Due now: the scheduler's pass polls it and sets the next run.
    let ferry = &tenant.running.ferry;
    let mut due = tenant.connection(&polled).await;
    due.next_run_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
    ferry.store.put_connection(&due).await.unwrap();
    let report = ferry::scheduler::tick(ferry).await.unwrap();
    assert_eq!(
        (report.polled, report.records_found, report.poll_errors),
        (1, 3, 0),
        "{report:?}"
    );
    assert_eq!(
        ferry::scheduler::tick(ferry).await.unwrap().polled,
        0,
        "not due again yet"
    );

    let schedules = tenant.get("/schedules").await;
    let items = schedules["items"].as_array().unwrap();
    let item = |id: &str| {
        items
            .iter()
            .find(|i| i["connection"] == id)
            .unwrap()
            .clone()
    };
    let job = item(&polled)["job"].clone();
    assert_eq!(job["expression"], "*/5 * * * *");
    assert_eq!(job["description"], "every 5 minutes");
    assert_eq!(job["last_outcome"]["records_found"], 3, "{job}");
    assert_eq!(job["last_outcome"]["error"], Value::Null);
    let next: chrono::DateTime<chrono::Utc> = job["next_run_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now() && next <= chrono::Utc::now() + chrono::Duration::minutes(5));
    assert_eq!(next.timestamp() % 300, 0, "on the five-minute marks");
    let none = item(&webhook_only);
    assert_eq!(none["name"], "Webhooks only");
    assert_eq!(none["job"], Value::Null);
    tenant.running.stop().await;
}

/// A loopback Shopify whose order list answers the page last put in the
/// returned slot (one page, no `Link` to a next one), whatever the query:
/// a shop that sends orders its filter should not have. Also answers its
/// base URL.
pub async fn shop_answering() -> (String, Arc<Mutex<Value>>) {
    let page = Arc::new(Mutex::new(json!({"orders": []})));
    let answer = page.clone();
    let app = axum::Router::new().fallback(move || {
        let page = answer.lock().unwrap().clone();
        async move { axum::Json(page) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, page)
}

/// An order dated at the very start of chrono's calendar, the newest of
/// its page, used to panic the poll (the cursor's overlap was subtracted
/// with chrono's panicking `-`), which ended ferry-local for every tenant,
/// again at each poll. Now such dates, and those past the year 9999, are
/// refused where they are read: those orders fail alone, in words, the
/// rest of the page arrives, the polls complete and ferry-local goes on.
#[tokio::test]
async fn orders_dated_at_the_ends_of_the_calendar_fail_alone_and_the_poll_completes() {
    let tenant = Tenant::start("poll-edge-dates").await;
    let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
    let (first, first_name) = paid_order(&shop);
    let (second, second_name) = paid_order(&shop);
    let edge = |id: u64, name: &str, at: &str| {
        let mut order = shop.order_json(first).unwrap();
        order["id"] = json!(id);
        order["name"] = json!(name);
        order["updated_at"] = json!(at);
        order
    };
    let (url, page) = shop_answering().await;
    let mut config = shop.system_config();
    config.insert("base_url".into(), json!(url));
    let source = tenant
        .system("shopify", config, json!(shop.credentials().0))
        .await;
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let target = tenant
        .system(
            "economic",
            ledger.system_config(),
            json!(ledger.credentials().0),
        )
        .await;
    let connection = tenant
        .connect("Shop > ledger", &source, &target, &["paid"], Value::Null)
        .await;
    let connection = connection["id"].as_str().unwrap();

    *page.lock().unwrap() = json!({"orders": [
        shop.order_json(first).unwrap(),
        edge(1, "#EDGE-END", "+262142-12-31T23:59:59"),
        shop.order_json(second).unwrap(),
    ]});
    let outcome = tenant.sync(connection, json!({})).await;
    assert_eq!(
        (&outcome["records_found"], &outcome["created"]),
        (&json!(3), &json!(2)),
        "{outcome}"
    );
    assert_eq!(outcome["unreadable"], 1, "{outcome}");
    assert_eq!(outcome["complete"], true, "{outcome}");
    assert_eq!(outcome["error"], Value::Null, "{outcome}");
    // The next page holds only an order dated at the calendar's start.
    *page.lock().unwrap() = json!({"orders": [edge(2, "#EDGE-START", "-262143-01-01T00:00:00")]});
    let outcome = tenant.sync(connection, json!({})).await;
    assert_eq!(outcome["records_found"], 1, "{outcome}");
    assert_eq!(outcome["unreadable"], 1, "{outcome}");
    assert_eq!(outcome["complete"], true, "{outcome}");
    assert_eq!(outcome["error"], Value::Null, "{outcome}");

    tenant.wait_for(&first_name, "delivered").await;
    tenant.wait_for(&second_name, "delivered").await;
    let failed: Vec<Value> = tenant
        .transfers()
        .await
        .into_iter()
        .filter(|t| t["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    for transfer in &failed {
        assert!(
            transfer["reason"].as_str().is_some_and(
                |r| r.contains("updated_at") && r.contains("outside the years 1970 to 9999")
            ),
            "{transfer}"
        );
    }
    assert_eq!(ledger.draft_invoices().len(), 2);
    tenant.running.stop().await;
}

/// Two connections due in one scheduler pass, one of them reading a shop
/// that takes the connection and never answers: that poll stops at its
/// page timeout with the reason in words, and the other is polled and its
/// orders found in the same pass. (Without the bound the silent shop holds
/// the pass until the HTTP client's own 10 s timeout: 9–10 s measured.)
#[tokio::test]
async fn a_source_that_never_answers_does_not_hold_up_the_other_polls_of_a_pass() {
    let tenant = Tenant::start("poll-silent").await;
    let (shop, _ledger, answering) = tenant.shopify_into_economic_id(json!("*/5 * * * *")).await;
    let (_other_shop, _other_ledger, silent) =
        tenant.shopify_into_economic_id(json!("*/5 * * * *")).await;
    shop.add_orders(2);
    // Takes every connection and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let ferry = &tenant.running.ferry;
    let silent_connection = tenant.connection(&silent).await;
    let mut source = ferry
        .store
        .get_system(&silent_connection.tenant, &silent_connection.source)
        .await
        .unwrap()
        .unwrap();
    source.config.insert("base_url".into(), json!(silent_url));
    ferry.store.put_system(&source).await.unwrap();
    for id in [&answering, &silent] {
        let mut due = tenant.connection(id).await;
        due.next_run_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
        ferry.store.put_connection(&due).await.unwrap();
    }

    let budget = Budget {
        page_timeout: Duration::from_millis(500),
        ..Budget::default()
    };
    let started = std::time::Instant::now();
    let mut report = ferry::scheduler::TickReport::default();
    ferry::scheduler::poll_due_within(ferry, &mut report, budget)
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the pass took {:?}",
        started.elapsed()
    );
    assert_eq!(
        (report.polled, report.records_found, report.poll_errors),
        (2, 2, 1),
        "{report:?}"
    );
    let answered = tenant.connection(&answering).await;
    assert_eq!(answered.last_run.records_found, 2);
    assert_eq!(answered.last_run.error, None);
    let stopped = tenant.connection(&silent).await;
    assert_eq!(
        stopped.last_run.error.as_deref(),
        Some("the source did not answer within 0.5 s; Ferry reads from the same place at the next poll")
    );
    assert!(
        stopped.next_run_at.is_some(),
        "polled again at its next run"
    );
}
