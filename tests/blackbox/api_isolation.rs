//! Tenant isolation through every route: tenant B never sees, changes or
//! infers tenant A's systems, connections, transfers, logs or users. For
//! each of A's ids, B gets exactly the answer it gets for an id that does
//! not exist at all.

use crate::api_kit::{id, ids, Api};
use crate::api_roles::{reads, writes};
use ferry::model::{Level, TransferStatus};
use serde_json::{json, Value};

#[tokio::test]
async fn tenant_b_never_sees_changes_or_infers_tenant_a() {
    let api = Api::start("isolation-every-route").await;
    let a = api.tenant("Alpha").await;
    let b = api.tenant("Beta").await;
    api.expect(
        201,
        "POST",
        "/clients",
        &a.token,
        Some(json!({"name": "Acme"})),
    )
    .await;
    let shop = api
        .shop(&a.token, "Alpha shop", json!({"client": "Acme"}))
        .await;
    let ledger = api.ledger(&a.token, "Alpha books", json!({})).await;
    let connection = api
        .connection(
            &a.token,
            "Alpha flow",
            &shop,
            &ledger,
            json!({"schedule": "*/5 * * * *"}),
        )
        .await;
    let failed = api
        .seed_transfer(
            &a.tenant_id(),
            id(&connection),
            "#A-1001",
            TransferStatus::Failed,
        )
        .await;
    api.seed_transfer(
        &a.tenant_id(),
        id(&connection),
        "#A-1002",
        TransferStatus::Delivered,
    )
    .await;
    api.seed_log(
        &a.tenant_id(),
        "transfer-worker",
        Level::Error,
        "Alpha's secret event",
    )
    .await;
    let user = api.invite(&a, "viewer@alpha.example", "viewer").await;
    api.expect(
        200,
        "PUT",
        "/reminders",
        &a.token,
        Some(
            json!({"recipients": [{"email": "ops@alpha.example", "kinds": ["failed_transfers"]}]}),
        ),
    )
    .await;

    let a_state = snapshot(
        &api,
        &a.token,
        id(&shop),
        id(&connection),
        failed.id.as_str(),
    )
    .await;

    // Every route that takes an id: A's id and an id that never existed
    // get the same answer, for every method.
    let a_writes = writes(
        id(&shop),
        id(&ledger),
        id(&connection),
        failed.id.as_str(),
        id(&user),
    );
    let ghost_writes = writes(
        "sys_01nothing0here",
        "sys_01nothing0there",
        "con_01nothing0here",
        "tr_000000000000000000000000",
        "usr_01nothing0here",
    );
    for ((method, path, body), (_, ghost_path, ghost_body)) in
        a_writes.into_iter().zip(ghost_writes)
    {
        if path == ghost_path {
            continue; // a route without an id: B's own data
        }
        let (status, answer) = api.call(method, &path, &b.token, body).await;
        let (ghost_status, ghost_answer) =
            api.call(method, &ghost_path, &b.token, ghost_body).await;
        assert_eq!(
            status, ghost_status,
            "{method} {path}: {answer} vs {ghost_answer}"
        );
        assert_eq!(
            answer.to_string().replace(&path, ""),
            ghost_answer.to_string().replace(&ghost_path, ""),
            "{method} {path}"
        );
        assert_eq!(status, 404, "{method} {path}: {answer}");
    }
    for (path, ghost) in [
        (
            format!("/systems/{}", id(&shop)),
            "/systems/sys_01nothing0here".to_owned(),
        ),
        (
            format!("/connections/{}", id(&connection)),
            "/connections/con_01nothing0here".to_owned(),
        ),
        (
            format!("/transfers/{}", failed.id),
            "/transfers/tr_000000000000000000000000".to_owned(),
        ),
        (
            format!("/users/{}", id(&user)),
            "/users/usr_01nothing0here".to_owned(),
        ),
    ] {
        let mine = api.call("GET", &path, &b.token, None).await;
        let none = api.call("GET", &ghost, &b.token, None).await;
        assert_eq!(mine.0, 404, "{path}");
        assert_eq!(mine, none, "{path}");
    }

    // Every documented operation on an id was tried above (a new route
    // must join `writes` or `reads`, or this fails).
    let doc = api.expect(200, "GET", "/openapi.json", "", None).await;
    let tried: Vec<String> = writes("{id}", "{id}", "{id}", "{id}", "{id}")
        .into_iter()
        .map(|(method, path, _)| format!("{} {path}", method.to_lowercase()))
        .chain(
            reads("{id}", "{id}", "{id}")
                .into_iter()
                .map(|p| format!("get {p}")),
        )
        .chain(["get /users/{id}".to_owned()])
        .collect();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        let path = path.trim_start_matches("/api/v1");
        if !path.contains("{id}") {
            continue;
        }
        for method in operations.as_object().unwrap().keys() {
            let operation = format!("{method} {path}");
            assert!(
                tried.contains(&operation),
                "{operation} is not in the isolation test"
            );
        }
    }

    // B's lists and screens show nothing of A's, whatever the filter.
    for path in [
        "/systems".to_owned(),
        "/systems?client=Acme".to_owned(),
        "/systems?q=alpha".to_owned(),
        "/connections".to_owned(),
        "/connections?q=alpha&client=Acme".to_owned(),
        "/transfers".to_owned(),
        format!("/transfers?connection={}", id(&connection)),
        "/transfers?q=%23A-1001".to_owned(),
        "/transfers?q=INV-%23A-1002".to_owned(),
        "/transfers?status=failed".to_owned(),
        "/logs".to_owned(),
        "/logs?service=transfer-worker&level=error".to_owned(),
        "/schedules".to_owned(),
        "/clients".to_owned(),
    ] {
        let page = api.expect(200, "GET", &path, &b.token, None).await;
        assert_eq!(page["items"], json!([]), "{path}: {page}");
    }
    let users = api.expect(200, "GET", "/users", &b.token, None).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 1);
    assert!(!users.to_string().contains("alpha.example"));
    let board = api.expect(200, "GET", "/board", &b.token, None).await;
    for status in ["pending", "delivered", "failed", "skipped"] {
        assert_eq!(board[status], json!([]), "board {status}");
    }
    let overview = api.expect(200, "GET", "/overview", &b.token, None).await;
    assert!(!overview.to_string().contains("Alpha"));
    let settings = api.expect(200, "GET", "/settings", &b.token, None).await;
    assert_eq!(settings["integration_active"], true);
    let reminders = api.expect(200, "GET", "/reminders", &b.token, None).await;
    assert_eq!(reminders["default"], true, "{reminders}");
    assert!(!reminders.to_string().contains("alpha"), "{reminders}");

    // B cannot wire A's systems into a connection of its own, and the
    // refusal reads as for a system that does not exist.
    let steal = api
        .call(
            "POST",
            "/connections",
            &b.token,
            Some(json!({"name": "x", "source": id(&shop), "target": id(&ledger)})),
        )
        .await;
    let ghost = api
        .call(
            "POST",
            "/connections",
            &b.token,
            Some(json!({"name": "x", "source": "sys_01nothing0here", "target": id(&ledger)})),
        )
        .await;
    assert_eq!(steal.0, 400);
    assert_eq!(
        steal.1["error"]["message"]
            .as_str()
            .unwrap()
            .replace(id(&shop), "?"),
        ghost.1["error"]["message"]
            .as_str()
            .unwrap()
            .replace("sys_01nothing0here", "?"),
    );

    // A's world is exactly as it was.
    let after = snapshot(
        &api,
        &a.token,
        id(&shop),
        id(&connection),
        failed.id.as_str(),
    )
    .await;
    assert_eq!(a_state, after);
    assert!(
        ids(&after[0]["items"].as_array().cloned().unwrap_or_default())
            .contains(&id(&shop).to_owned())
    );
    api.stop().await;
}

/// Everything a tenant's admin reads.
async fn snapshot(
    api: &Api,
    token: &str,
    shop: &str,
    connection: &str,
    transfer: &str,
) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in reads(shop, connection, transfer) {
        seen.push(api.expect(200, "GET", &path, token, None).await);
    }
    seen
}
