//! The dashboard API's guard rails: tokens, tenant isolation, field errors,
//! secrets never returned.

use crate::orders::{fast_options, temp_dir};
use ferry_local::runtime::{self, Running};
use serde_json::{json, Value};

struct Api {
    running: Running,
    http: reqwest::Client,
}

impl Api {
    async fn start(name: &str) -> Api {
        Api {
            running: runtime::start(fast_options(temp_dir(name))).await.unwrap(),
            http: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}/api/v1{path}", self.running.base_url());
        let mut request = self
            .http
            .request(method.parse().unwrap(), url)
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn tenant(&self, name: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/tenants",
                &self.running.operator_token,
                Some(json!({"name": name, "email": "x@y.example"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    async fn shop(&self, token: &str) -> Value {
        let (status, body) = self
            .call("POST", "/systems", token, Some(json!({
                "kind": "shopify", "name": "My shop",
                "config": {"shop_domain": "a.myshopify.com"},
                "credentials": {"access_token": "shpat_TOPSECRET", "webhook_secret": "whsec_TOPSECRET"},
            })))
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let api = Api::start("tokens").await;
    let token = api.tenant("A").await;
    assert_eq!(api.call("GET", "/systems", &token, None).await.0, 200);
    assert_eq!(api.call("GET", "/systems", "", None).await.0, 401);
    assert_eq!(api.call("GET", "/systems", "not-a-jwt", None).await.0, 401);
    // A tampered payload (another tenant claimed) breaks the signature.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    assert_eq!(
        api.call("GET", "/systems", &parts.join("."), None).await.0,
        401
    );
    // Only the operator creates tenants.
    let (status, body) = api
        .call(
            "POST",
            "/tenants",
            &token,
            Some(json!({"name": "B", "email": "b@b.example"})),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
    api.running.stop().await;
}

#[tokio::test]
async fn a_tenant_never_sees_or_touches_another_tenants_data() {
    let api = Api::start("isolation").await;
    let a = api.tenant("A").await;
    let b = api.tenant("B").await;
    let system = api.shop(&a).await;
    let id = system["id"].as_str().unwrap();
    let ledger = api
        .call(
            "POST",
            "/systems",
            &a,
            Some(json!({
                "kind": "fortnox", "name": "Books", "config": {"base_url": "http://127.0.0.1:9"},
                "credentials": {"access_token": "tok"},
            })),
        )
        .await
        .1;
    let (_, connection) = api
        .call(
            "POST",
            "/connections",
            &a,
            Some(json!({
                "name": "A flow", "source": id, "target": ledger["id"], "allowed_states": ["paid"],
            })),
        )
        .await;
    let connection_id = connection["id"].as_str().unwrap();

    for path in [
        format!("/systems/{id}"),
        format!("/connections/{connection_id}"),
    ] {
        assert_eq!(api.call("GET", &path, &b, None).await.0, 404, "{path}");
        assert_eq!(api.call("DELETE", &path, &b, None).await.0, 404, "{path}");
        assert_eq!(
            api.call("PATCH", &path, &b, Some(json!({"name": "mine"})))
                .await
                .0,
            404,
            "{path}"
        );
        assert_eq!(api.call("GET", &path, &a, None).await.0, 200, "{path}");
    }
    assert_eq!(
        api.call("POST", &format!("/systems/{id}/test"), &b, None)
            .await
            .0,
        404
    );
    assert_eq!(
        api.call(
            "PUT",
            &format!("/systems/{id}/credentials"),
            &b,
            Some(json!({"access_token": "x"}))
        )
        .await
        .0,
        404
    );
    // B cannot wire A's systems into its own connection either.
    let (status, body) = api
        .call(
            "POST",
            "/connections",
            &b,
            Some(json!({"name": "steal", "source": id, "target": ledger["id"]})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("source"))
    );
    for list in ["/systems", "/connections", "/transfers", "/logs"] {
        let (status, body) = api.call("GET", list, &b, None).await;
        assert_eq!(status, 200);
        assert!(
            body["items"].as_array().unwrap().is_empty(),
            "{list}: {body}"
        );
    }
    api.running.stop().await;
}

#[tokio::test]
async fn bad_fields_are_named_and_secrets_never_come_back() {
    let api = Api::start("fields").await;
    let token = api.tenant("A").await;
    let system = api.shop(&token).await;
    assert_eq!(system["credentials_set"], true);
    assert!(!system.to_string().contains("TOPSECRET"));
    let (_, listed) = api.call("GET", "/systems", &token, None).await;
    assert!(!listed.to_string().contains("TOPSECRET"));

    let cases = [
        (
            "/systems",
            json!({"kind": "shopify", "name": "x", "colour": "red"}),
            "colour",
        ),
        ("/systems", json!({"kind": "magento", "name": "x"}), "kind"),
        ("/systems", json!({"kind": "shopify", "name": "  "}), "name"),
        (
            "/connections",
            json!({"name": "x", "source": system["id"], "target": system["id"]}),
            "target",
        ),
        (
            "/connections",
            json!({"name": "x", "source": system["id"], "target": "sys_nope", "schedule": "every minute"}),
            "target",
        ),
        (
            "/connections",
            json!({"name": "x", "source": system["id"]}),
            "target",
        ),
    ];
    for (path, body, field) in cases {
        let (status, answer) = api.call("POST", path, &token, Some(body.clone())).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["error"]["field"], field, "{body} → {answer}");
        assert!(answer["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let (status, answer) = api
        .call("GET", "/transfers?status=lost", &token, None)
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (400, Some("status"))
    );
    api.running.stop().await;
}

#[tokio::test]
async fn a_bad_schedule_is_refused_naming_the_field() {
    let api = Api::start("cron").await;
    let token = api.tenant("A").await;
    let shop = api.shop(&token).await;
    let (_, ledger) = api
        .call("POST", "/systems", &token, Some(json!({
            "kind": "fortnox", "name": "Books", "config": {}, "credentials": {"access_token": "tok"},
        })))
        .await;
    let (status, answer) = api
        .call(
            "POST",
            "/connections",
            &token,
            Some(json!({
                "name": "x", "source": shop["id"], "target": ledger["id"], "schedule": "61 * * * *",
            })),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (400, Some("schedule")),
        "{answer}"
    );
    let (status, created) = api
        .call("POST", "/connections", &token, Some(json!({
            "name": "x", "source": shop["id"], "target": ledger["id"], "schedule": "*/5 * * * *",
        })))
        .await;
    assert_eq!(status, 201, "{created}");
    assert!(created["next_run_at"].is_string());

    // A system used by an active connection is not deleted.
    let (status, answer) = api
        .call(
            "DELETE",
            &format!("/systems/{}", shop["id"].as_str().unwrap()),
            &token,
            None,
        )
        .await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("x"));
    api.running.stop().await;
}
