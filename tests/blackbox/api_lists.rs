//! Lists page with a cursor; unknown fields and parameters are refused by
//! name; the screens' data (overview history, board, transfer search and
//! detail); the subscription screen and its actions.

use crate::api_kit::{id, ids, Api};
use ferry::model::TransferStatus;
use ferry::subscription::QUOTA_REASON;
use serde_json::json;

#[tokio::test]
async fn every_list_pages_with_a_cursor() {
    let api = Api::start("lists-pages").await;
    let admin = api.tenant("Pages").await;
    let t = admin.token.clone();
    let shop = api.shop(&t, "Shop 0", json!({})).await;
    let books = api.ledger(&t, "Books", json!({})).await;
    for n in 1..7 {
        api.shop(&t, &format!("Shop {n}"), json!({})).await;
        api.expect(
            201,
            "POST",
            "/clients",
            &t,
            Some(json!({"name": format!("Client {n}")})),
        )
        .await;
        api.expect(
            201,
            "POST",
            "/warehouses",
            &t,
            Some(json!({"name": format!("Store {n}")})),
        )
        .await;
        api.invite(&admin, &format!("user{n}@pages.example"), "viewer")
            .await;
        let connection = api
            .connection(&t, &format!("Flow {n}"), &shop, &books, json!({}))
            .await;
        for m in 0..3 {
            api.seed_transfer(
                &admin.tenant_id(),
                id(&connection),
                &format!("#{n}{m}"),
                TransferStatus::Delivered,
            )
            .await;
        }
        api.seed_log(
            &admin.tenant_id(),
            "scheduler",
            ferry::model::Level::Info,
            &format!("event {n}"),
        )
        .await;
    }
    for (path, total) in [
        ("/systems", 8),
        ("/connections", 6),
        ("/schedules", 6),
        ("/clients", 6),
        ("/warehouses", 6),
        ("/users", 7),
        ("/transfers", 18),
        ("/logs", 6),
    ] {
        for limit in [1, 4, 500] {
            let items = api.all(&t, path, limit).await;
            assert_eq!(items.len(), total, "{path} limit {limit}");
            let mut unique = items.iter().map(|i| i.to_string()).collect::<Vec<_>>();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), total, "{path}: an item repeated across pages");
        }
        for bad in ["limit=0", "limit=501", "limit=some", "cursor=%21%21%21"] {
            let answer = api
                .expect(400, "GET", &format!("{path}?{bad}"), &t, None)
                .await;
            let field = bad.split('=').next().unwrap();
            assert_eq!(answer["error"]["field"], field, "{path}?{bad}: {answer}");
        }
        let answer = api
            .expect(400, "GET", &format!("{path}?colour=red"), &t, None)
            .await;
        assert_eq!(answer["error"]["field"], "colour", "{path}: {answer}");
    }
    // The transfer log is newest first across pages, and filters page too.
    let filtered = api.all(&t, "/transfers?status=delivered", 5).await;
    assert_eq!(filtered.len(), 18);
    let times: Vec<&str> = filtered
        .iter()
        .map(|t| t["received_at"].as_str().unwrap())
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);
    api.stop().await;
}

#[tokio::test]
async fn every_write_refuses_unknown_fields_naming_them() {
    let api = Api::start("lists-fields").await;
    let admin = api.tenant("Fields").await;
    let t = admin.token.clone();
    let shop = api.shop(&t, "Shop", json!({})).await;
    let books = api.ledger(&t, "Books", json!({})).await;
    let connection = api.connection(&t, "Flow", &shop, &books, json!({})).await;
    let user = api.invite(&admin, "v@fields.example", "viewer").await;
    for (method, path) in [
        ("POST", "/systems".to_owned()),
        ("PATCH", format!("/systems/{}", id(&shop))),
        ("POST", "/connections".to_owned()),
        ("PATCH", format!("/connections/{}", id(&connection))),
        ("POST", format!("/connections/{}/sync", id(&connection))),
        ("PATCH", "/settings".to_owned()),
        ("POST", "/users".to_owned()),
        ("PATCH", format!("/users/{}", id(&user))),
        ("POST", "/clients".to_owned()),
        ("POST", "/warehouses".to_owned()),
        ("PATCH", "/subscription".to_owned()),
        ("POST", "/subscription/upgrade".to_owned()),
        ("POST", "/subscription/purchases".to_owned()),
        ("PUT", "/reminders".to_owned()),
    ] {
        let answer = api
            .expect(400, method, &path, &t, Some(json!({"surprise": 1})))
            .await;
        assert_eq!(
            answer["error"]["field"], "surprise",
            "{method} {path}: {answer}"
        );
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
    }
    api.stop().await;
}

#[tokio::test]
async fn screens_show_the_history_the_board_and_the_transfer_detail() {
    let api = Api::start("lists-screens").await;
    let admin = api.tenant("Screens").await;
    let t = admin.token.clone();
    let shop = api.shop(&t, "Shop", json!({})).await;
    let books = api.ledger(&t, "Books", json!({})).await;
    let connection = api.connection(&t, "Flow", &shop, &books, json!({})).await;
    for n in 0..25 {
        api.seed_transfer(
            &admin.tenant_id(),
            id(&connection),
            &format!("#{}", 2000 + n),
            TransferStatus::Failed,
        )
        .await;
    }
    let delivered = api
        .seed_transfer(
            &admin.tenant_id(),
            id(&connection),
            "#3000",
            TransferStatus::Delivered,
        )
        .await;

    let overview = api.expect(200, "GET", "/overview", &t, None).await;
    let days = overview["days"].as_array().unwrap();
    let months = overview["months"].as_array().unwrap();
    assert_eq!((days.len(), months.len()), (31, 12));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(days[30]["period"], today.as_str());
    assert_eq!(overview["today"]["period"], today.as_str());
    for field in [
        "orders", "products", "stock", "created", "updated", "errors",
    ] {
        assert!(overview["this_month"][field].is_u64(), "{field}");
    }

    let board = api.expect(200, "GET", "/board", &t, None).await;
    assert_eq!(
        board["failed"].as_array().unwrap().len(),
        20,
        "the newest 20"
    );
    assert_eq!(board["delivered"].as_array().unwrap().len(), 1);
    assert_eq!(board["failed"][0]["source_ref"], "#2024", "newest first");

    // Search by webshop number and by target number; detail with payloads.
    for q in ["%233000", "INV-%233000"] {
        let found = api
            .expect(200, "GET", &format!("/transfers?q={q}"), &t, None)
            .await;
        assert_eq!(
            ids(found["items"].as_array().unwrap()),
            vec![delivered.id.to_string()],
            "{q}"
        );
    }
    let detail = api
        .expect(
            200,
            "GET",
            &format!("/transfers/{}", delivered.id),
            &t,
            None,
        )
        .await;
    assert_eq!(detail["source_payload"], json!({"name": "secret order"}));
    assert!(detail.get("target_payload").is_some());
    let listed = api.expect(200, "GET", "/transfers?limit=1", &t, None).await;
    assert!(
        listed["items"][0].get("source_payload").is_none(),
        "lists leave payloads out"
    );
    api.stop().await;
}

#[tokio::test]
async fn the_subscription_screen_upgrades_buys_and_resumes_waiting_orders() {
    let api = Api::start("lists-subscription").await;
    let admin = api.tenant("Plans").await;
    let t = admin.token.clone();
    let sub = api.expect(200, "GET", "/subscription", &t, None).await;
    assert_eq!(
        (sub["plan"]["id"].as_str(), sub["monthly_orders"].as_u64()),
        (Some("starter"), Some(1000))
    );
    assert_eq!(
        (sub["used"].as_u64(), sub["remaining"].as_u64()),
        (Some(0), Some(1000))
    );
    assert_eq!(sub["auto_buy"], false);

    // An order waiting at the quota (as the worker leaves it).
    let shop = api.shop(&t, "Shop", json!({})).await;
    let books = api.ledger(&t, "Books", json!({})).await;
    let connection = api.connection(&t, "Flow", &shop, &books, json!({})).await;
    let mut waiting = api
        .seed_transfer(
            &admin.tenant_id(),
            id(&connection),
            "#4000",
            TransferStatus::Pending,
        )
        .await;
    let mut changed = waiting.clone();
    changed.reason = Some(format!("{QUOTA_REASON} (1000 of 1000 orders this month)"));
    changed.version = waiting.version + 1;
    api.running
        .ferry
        .store
        .update_transfer(&changed, waiting.version, Default::default())
        .await
        .unwrap();
    waiting = changed;

    // Buying extra orders by hand is recorded with its price and time,
    // and resumes the waiting order.
    let bought = api
        .expect(
            201,
            "POST",
            "/subscription/purchases",
            &t,
            Some(json!({"packs": 2})),
        )
        .await;
    assert_eq!(bought["extra_orders"], 200);
    assert_eq!(bought["allowance"], 1200);
    assert_eq!(bought["resumed"], 1);
    let purchase = &bought["purchases"][0];
    assert_eq!(
        (purchase["orders"].as_u64(), purchase["price"].as_str()),
        (Some(200), Some("10.00"))
    );
    assert_eq!(purchase["automatic"], false);
    assert!(purchase["at"].is_string());
    let answer = api
        .expect(
            400,
            "POST",
            "/subscription/purchases",
            &t,
            Some(json!({"packs": 0})),
        )
        .await;
    assert_eq!(answer["error"]["field"], "packs");

    // Upgrades go up only; an unknown plan is named.
    let answer = api
        .expect(
            400,
            "POST",
            "/subscription/upgrade",
            &t,
            Some(json!({"plan": "gold"})),
        )
        .await;
    assert_eq!(answer["error"]["field"], "plan");
    api.expect(
        409,
        "POST",
        "/subscription/upgrade",
        &t,
        Some(json!({"plan": "starter"})),
    )
    .await;
    let upgraded = api
        .expect(
            200,
            "POST",
            "/subscription/upgrade",
            &t,
            Some(json!({"plan": "business"})),
        )
        .await;
    assert_eq!(
        (
            upgraded["plan"]["id"].as_str(),
            upgraded["allowance"].as_u64()
        ),
        (Some("business"), Some(5200))
    );
    api.expect(
        409,
        "POST",
        "/subscription/upgrade",
        &t,
        Some(json!({"plan": "starter"})),
    )
    .await;

    let on = api
        .expect(
            200,
            "PATCH",
            "/subscription",
            &t,
            Some(json!({"auto_buy": true})),
        )
        .await;
    assert_eq!(on["auto_buy"], true);
    assert_eq!(
        api.expect(200, "GET", "/subscription", &t, None).await["auto_buy"],
        true
    );
    assert_eq!(waiting.status, TransferStatus::Pending);
    api.stop().await;
}
