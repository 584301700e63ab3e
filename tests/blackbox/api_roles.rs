//! Users and roles: admins invite, change and remove users; a viewer reads
//! every screen and changes nothing, through any route.

use crate::api_kit::{id, Account, Api};
use ferry::model::TransferStatus;
use serde_json::{json, Value};

/// A tenant with a system pair, a connection, a failed transfer and a viewer.
struct Fixture {
    admin: Account,
    viewer: String,
    viewer_id: String,
    shop: String,
    ledger: String,
    connection: String,
    transfer: String,
}

async fn fixture(api: &Api) -> Fixture {
    let admin = api.tenant("Roles").await;
    let shop = api.shop(&admin.token, "Shop", json!({})).await;
    let ledger = api.ledger(&admin.token, "Books", json!({})).await;
    let connection = api
        .connection(&admin.token, "Shop > Books", &shop, &ledger, json!({}))
        .await;
    let transfer = api
        .seed_transfer(
            &admin.tenant_id(),
            id(&connection),
            "#1001",
            TransferStatus::Failed,
        )
        .await;
    let (invited, viewer) = api
        .invite_and_sign_in(&admin, "viewer@roles.example", "viewer")
        .await;
    Fixture {
        viewer,
        viewer_id: id(&invited).to_owned(),
        admin,
        shop: id(&shop).to_owned(),
        ledger: id(&ledger).to_owned(),
        connection: id(&connection).to_owned(),
        transfer: transfer.id.to_string(),
    }
}

/// Every write a tenant can make, with a body an admin could send.
pub fn writes(
    shop: &str,
    ledger: &str,
    connection: &str,
    transfer: &str,
    user: &str,
) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        (
            "POST",
            "/systems".into(),
            Some(json!({"kind": "fortnox", "name": "x", "credentials": {"access_token": "t"}})),
        ),
        (
            "PATCH",
            format!("/systems/{shop}"),
            Some(json!({"name": "renamed"})),
        ),
        ("DELETE", format!("/systems/{ledger}"), None),
        (
            "PUT",
            format!("/systems/{shop}/credentials"),
            Some(json!({"access_token": "a", "webhook_secret": "b"})),
        ),
        ("POST", format!("/systems/{shop}/test"), None),
        ("POST", format!("/systems/{shop}/disconnect"), None),
        ("POST", format!("/systems/{shop}/sync"), None),
        (
            "POST",
            "/connections".into(),
            Some(json!({"name": "y", "source": shop, "target": ledger})),
        ),
        (
            "PATCH",
            format!("/connections/{connection}"),
            Some(json!({"name": "renamed"})),
        ),
        ("DELETE", format!("/connections/{connection}"), None),
        ("POST", format!("/connections/{connection}/sync"), None),
        ("POST", format!("/connections/{connection}/activate"), None),
        (
            "POST",
            format!("/connections/{connection}/deactivate"),
            None,
        ),
        ("POST", format!("/transfers/{transfer}/retry"), None),
        (
            "PATCH",
            "/settings".into(),
            Some(json!({"integration_active": false})),
        ),
        (
            "POST",
            "/users".into(),
            Some(json!({"email": "new@roles.example", "role": "admin"})),
        ),
        (
            "PATCH",
            format!("/users/{user}"),
            Some(json!({"role": "admin"})),
        ),
        ("POST", format!("/users/{user}/invitation"), None),
        ("DELETE", format!("/users/{user}"), None),
        ("POST", "/clients".into(), Some(json!({"name": "Acme"}))),
        ("POST", "/warehouses".into(), Some(json!({"name": "North"}))),
        (
            "PATCH",
            "/subscription".into(),
            Some(json!({"auto_buy": true})),
        ),
        (
            "POST",
            "/subscription/upgrade".into(),
            Some(json!({"plan": "business"})),
        ),
        (
            "POST",
            "/subscription/purchases".into(),
            Some(json!({"packs": 1})),
        ),
        (
            "PUT",
            "/reminders".into(),
            Some(json!({"recipients": [{"email": "ops@roles.example", "kinds": ["usage"]}]})),
        ),
    ]
}

/// The screens a viewer reads.
pub fn reads(shop: &str, connection: &str, transfer: &str) -> Vec<String> {
    vec![
        "/systems".into(),
        format!("/systems/{shop}"),
        "/connections".into(),
        format!("/connections/{connection}"),
        "/transfers".into(),
        format!("/transfers/{transfer}"),
        "/board".into(),
        "/overview".into(),
        "/logs".into(),
        "/schedules".into(),
        "/settings".into(),
        "/users".into(),
        "/clients".into(),
        "/warehouses".into(),
        "/subscription".into(),
        "/reminders".into(),
    ]
}

#[tokio::test]
async fn a_viewer_reads_every_screen_and_changes_nothing() {
    let api = Api::start("roles-viewer").await;
    let f = fixture(&api).await;
    for path in reads(&f.shop, &f.connection, &f.transfer) {
        api.expect(200, "GET", &path, &f.viewer, None).await;
    }
    let before: Vec<Value> = {
        let mut seen = Vec::new();
        for path in reads(&f.shop, &f.connection, &f.transfer) {
            seen.push(api.expect(200, "GET", &path, &f.admin.token, None).await);
        }
        seen
    };
    let viewer = f.viewer_id.clone();
    for (method, path, body) in writes(&f.shop, &f.ledger, &f.connection, &f.transfer, &viewer) {
        let (status, answer) = api.call(method, &path, &f.viewer, body).await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], "forbidden", "{method} {path}");
    }
    // Even a malformed write is refused for the role first (nothing leaks
    // about what would have been wrong).
    let (status, _) = api
        .call("POST", "/systems", &f.viewer, Some(json!({"bogus": 1})))
        .await;
    assert_eq!(status, 403);
    let mut after = Vec::new();
    for path in reads(&f.shop, &f.connection, &f.transfer) {
        after.push(api.expect(200, "GET", &path, &f.admin.token, None).await);
    }
    assert_eq!(before, after, "a viewer's writes changed something");
    api.stop().await;
}

#[tokio::test]
async fn admins_invite_change_and_remove_users() {
    let api = Api::start("roles-users").await;
    let admin = api.tenant("Users").await;
    let invited = api.invite(&admin, "Ann@Users.example", "viewer").await;
    assert_eq!(invited["role"], "viewer");
    assert_eq!(invited["invitation_sent"], true);
    // The admin gets no token for Ann, nor her link: only Ann's inbox does.
    assert!(invited.get("token").is_none(), "{invited}");
    let code = api.last_sign_in_code("Ann@Users.example");
    assert!(!invited.to_string().contains(&code[..20]));
    // The invitation email carries the sign-in link, which Ann exchanges.
    let (status, signed_in) = api.sign_in(&code).await;
    assert_eq!(status, 200, "{signed_in}");
    let token = signed_in["token"].as_str().unwrap().to_owned();

    // The same address twice, a bad address, a bad role, an unknown field.
    for (body, status, field) in [
        (json!({"email": "ann@users.example"}), 409, "email"),
        (json!({"email": "not an address"}), 400, "email"),
        (
            json!({"email": "bob@users.example", "role": "owner"}),
            400,
            "role",
        ),
        (
            json!({"email": "bob@users.example", "admin": true}),
            400,
            "admin",
        ),
    ] {
        let (got, answer) = api
            .call("POST", "/users", &admin.token, Some(body.clone()))
            .await;
        assert_eq!(
            (got, answer["error"]["field"].as_str()),
            (status, Some(field)),
            "{body}: {answer}"
        );
    }

    let users = api.expect(200, "GET", "/users", &admin.token, None).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 2);

    // A viewer promoted to admin writes with the same token at once.
    let ann = id(&invited).to_owned();
    api.expect(
        403,
        "PATCH",
        "/settings",
        &token,
        Some(json!({"stock_active": false})),
    )
    .await;
    api.expect(
        200,
        "PATCH",
        &format!("/users/{ann}"),
        &admin.token,
        Some(json!({"role": "admin"})),
    )
    .await;
    api.expect(
        200,
        "PATCH",
        "/settings",
        &token,
        Some(json!({"stock_active": false})),
    )
    .await;

    // The last admin stays: Ann removes the first admin, then cannot remove herself.
    let first = api.expect(200, "GET", "/users", &token, None).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] != ann.as_str())
        .cloned()
        .unwrap();
    api.expect(
        204,
        "DELETE",
        &format!("/users/{}", id(&first)),
        &token,
        None,
    )
    .await;
    // A removed user's token stops working at once.
    api.expect(401, "GET", "/systems", &admin.token, None).await;
    let answer = api
        .expect(409, "DELETE", &format!("/users/{ann}"), &token, None)
        .await;
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("only admin"));
    let answer = api
        .expect(
            409,
            "PATCH",
            &format!("/users/{ann}"),
            &token,
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("only admin"));
    api.stop().await;
}
