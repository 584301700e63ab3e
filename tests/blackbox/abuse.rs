//! Abuse over ferry-local's HTTP port: what a stranger, a careless
//! integration or another tenant can send. Each case gets the right 4xx,
//! stores nothing (both tenants' lists stay as they were) and leaks nothing:
//! no secret, no stack trace or source path, no other tenant's data.
//!
//! Covered elsewhere and not repeated here (docs/RELIABILITY.md lists them):
//! a body over the webhook limit (flows.rs), a bad or missing signature and
//! the same webhook five times (orders.rs), a stale delivery (flows.rs),
//! tenant isolation on every route (api_isolation.rs, api.rs), a tampered
//! token payload and the operator-only route (api.rs), viewers (api_roles.rs).

use crate::api_kit::{id, Account, Api};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ferry::connectors::signature;
use jsonwebtoken::{encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What never belongs in an answer to a stranger.
const TELLTALES: &[&str] = &[
    "panicked",
    "backtrace",
    ".rs:",
    "/root/",
    "/work/",
    "root:x:0:0",
];

/// Two tenants on one ferry-local, each with a shop (its own webhook
/// secret) wired to a ledger by a connection.
struct Stage {
    api: Api,
    a: Account,
    b: Account,
    a_connection: String,
    b_connection: String,
    /// Every secret the tenants and the platform hold.
    secrets: Vec<String>,
    /// Names and ids only tenant A may see.
    a_only: Vec<String>,
}

impl Stage {
    async fn start(name: &str) -> Stage {
        let api = Api::start(name).await;
        let a = api.tenant("Alpha").await;
        let b = api.tenant("Beta").await;
        let a_shop = api.shop(&a.token, "Alpha shop", json!({})).await;
        let a_books = api
            .ledger(
                &a.token,
                "Alpha books",
                json!({"credentials": {"access_token": "fortnox_ALPHASECRET"}}),
            )
            .await;
        let a_connection = api
            .connection(&a.token, "Alpha flow", &a_shop, &a_books, json!({}))
            .await;
        let b_shop = api
            .shop(
                &b.token,
                "Beta shop",
                json!({"credentials": {
                "access_token": "shpat_BETASECRET", "webhook_secret": "whsec_BETASECRET"}}),
            )
            .await;
        let b_books = api.ledger(&b.token, "Beta books", json!({})).await;
        let b_connection = api
            .connection(&b.token, "Beta flow", &b_shop, &b_books, json!({}))
            .await;
        let ferry = &api.running.ferry;
        let seal_key = std::fs::read_to_string(api.data_dir.join("seal.key")).unwrap();
        let secrets = vec![
            "shpat_TOPSECRET".into(),
            "whsec_TOPSECRET".into(),
            "fortnox_ALPHASECRET".into(),
            "shpat_BETASECRET".into(),
            "whsec_BETASECRET".into(),
            api.running.operator_token.clone(),
            String::from_utf8_lossy(&ferry.jwt_key).into_owned(),
            seal_key.trim().to_owned(),
        ];
        let a_only = vec![
            "Alpha".to_owned(),
            a.tenant.clone(),
            id(&a_shop).to_owned(),
            id(&a_books).to_owned(),
            id(&a_connection).to_owned(),
        ];
        Stage {
            a_connection: id(&a_connection).to_owned(),
            b_connection: id(&b_connection).to_owned(),
            api,
            a,
            b,
            secrets,
            a_only,
        }
    }

    /// One request sent byte for byte as written (no client tidies the
    /// path), answering the status and the body.
    async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(self.api.running.addr)
            .await
            .unwrap();
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{method} {path}: no HTTP answer: {text:?}"));
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// The answer is one of `allowed`, in the error shape, and tells
    /// nothing it should not (to anyone but A, nothing of A's either).
    fn check(&self, what: &str, (status, body): &(u16, String), allowed: &[u16], for_a: bool) {
        assert!(
            allowed.contains(status),
            "{what}: {status} (wanted one of {allowed:?}): {body}"
        );
        for secret in &self.secrets {
            assert!(
                !body.contains(secret.as_str()),
                "{what}: the answer holds a secret: {body}"
            );
        }
        for telltale in TELLTALES {
            assert!(
                !body.contains(telltale),
                "{what}: the answer holds '{telltale}': {body}"
            );
        }
        if !for_a {
            for private in &self.a_only {
                assert!(
                    !body.contains(private.as_str()),
                    "{what}: the answer names A's '{private}': {body}"
                );
            }
        }
    }

    /// Both tenants' systems, connections, transfers and users, to compare
    /// before and after.
    async fn stored(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for account in [&self.a, &self.b] {
            for list in [
                "/systems",
                "/connections",
                "/transfers",
                "/users",
                "/clients",
            ] {
                all.push(
                    self.api
                        .expect(200, "GET", list, &account.token, None)
                        .await["items"]
                        .clone(),
                );
            }
        }
        all.push(json!(self
            .api
            .running
            .ferry
            .store
            .list_tenants()
            .await
            .unwrap()
            .len()));
        all
    }

    fn webhook_headers<'h>(&self, signature: &'h str) -> Vec<(&'static str, &'h str)> {
        vec![
            ("Content-Type", "application/json"),
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Shop-Domain", "a.myshopify.com"),
            ("X-Shopify-Webhook-Id", "abuse-1"),
            ("X-Shopify-Hmac-Sha256", signature),
        ]
    }
}

/// What is wrong, the path, the signature, the body, the statuses allowed.
type WebhookCase = (&'static str, String, String, Vec<u8>, Vec<u16>);

fn order_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": 450789469u64, "name": "#1001", "financial_status": "paid",
        "updated_at": "2024-05-17T22:30:00+01:00", "created_at": "2024-05-17T22:30:00+01:00",
        "currency": "DKK", "total_price": "100.00", "line_items": [],
    }))
    .unwrap()
}

#[tokio::test]
async fn forged_cross_tenant_and_misaddressed_webhooks_are_refused_and_store_nothing() {
    let stage = Stage::start("abuse-webhooks").await;
    let before = stage.stored().await;
    let body = order_body();
    let a_url = format!("/webhooks/{}", stage.a_connection);
    let b_url = format!("/webhooks/{}", stage.b_connection);
    let good_for_a = signature::sign(b"whsec_TOPSECRET", &body);
    let cases: Vec<WebhookCase> = vec![
        (
            "signed with another secret",
            a_url.clone(),
            signature::sign(b"whsec_GUESSED", &body),
            body.clone(),
            vec![401],
        ),
        (
            "signed over another body",
            a_url.clone(),
            signature::sign(b"whsec_TOPSECRET", b"{}"),
            body.clone(),
            vec![401],
        ),
        (
            "the body changed after signing",
            a_url.clone(),
            good_for_a.clone(),
            [body.as_slice(), b" "].concat(),
            vec![401],
        ),
        (
            "the signature cut short",
            a_url.clone(),
            good_for_a[..good_for_a.len() / 2].to_owned(),
            body.clone(),
            vec![401],
        ),
        (
            "the signature in hex",
            a_url.clone(),
            "ab".repeat(32),
            body.clone(),
            vec![401],
        ),
        (
            "an empty signature",
            a_url.clone(),
            String::new(),
            body.clone(),
            vec![401],
        ),
        // Tenant A's shop signing for tenant B's connection.
        (
            "A's signature at B's door",
            b_url.clone(),
            good_for_a.clone(),
            body.clone(),
            vec![401],
        ),
        (
            "an unknown connection",
            "/webhooks/con_01JAAAAAAAAAAAAAAAAAAAAAAA".into(),
            good_for_a.clone(),
            body.clone(),
            vec![404],
        ),
        (
            "traversal out of the webhook door",
            "/webhooks/../api/v1/tenants".into(),
            good_for_a.clone(),
            body.clone(),
            vec![404, 405],
        ),
        (
            "encoded traversal",
            "/webhooks/..%2F..%2Fapi%2Fv1%2Fsystems".into(),
            good_for_a.clone(),
            body.clone(),
            vec![404],
        ),
        (
            "a NUL in the id",
            format!("{a_url}%00"),
            good_for_a.clone(),
            body.clone(),
            vec![404],
        ),
        (
            "a 4 KB id",
            format!("/webhooks/{}", "c".repeat(4096)),
            good_for_a.clone(),
            body.clone(),
            vec![404, 414, 431],
        ),
    ];
    for (what, path, signature, body, allowed) in cases {
        let answer = stage
            .raw("POST", &path, &stage.webhook_headers(&signature), &body)
            .await;
        stage.check(what, &answer, &allowed, false);
    }
    // No signature header at all, in other content types.
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let answer = stage
            .raw(
                "POST",
                &a_url,
                &[
                    ("Content-Type", content_type),
                    ("X-Shopify-Topic", "orders/create"),
                ],
                b"<order/>",
            )
            .await;
        stage.check(content_type, &answer, &[401], false);
    }
    // A WooCommerce signature header on a Shopify door.
    let woo = [
        ("Content-Type", "application/json"),
        ("X-WC-Webhook-Signature", good_for_a.as_str()),
    ];
    stage.check(
        "WooCommerce's header",
        &stage.raw("POST", &a_url, &woo, &body).await,
        &[401],
        false,
    );
    assert_eq!(
        stage.stored().await,
        before,
        "a refused webhook changed what is stored"
    );
    stage.api.stop().await;
}

#[tokio::test]
async fn deeply_nested_and_huge_bodies_never_crash_and_are_kept_or_refused() {
    let stage = Stage::start("abuse-nesting").await;
    let before = stage.stored().await;
    let depth = 100_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes();
    let object = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).into_bytes();
    let token = stage.a.token.clone();
    let auth = format!("Bearer {token}");
    // The API refuses them as bad JSON, naming no internals.
    for (what, body) in [("nested arrays", &nested), ("nested objects", &object)] {
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        let small: Vec<u8> = body.iter().copied().take(200_000).collect();
        let answer = stage.raw("POST", "/api/v1/systems", &headers, &small).await;
        stage.check(what, &answer, &[400, 413], true);
        let answer = stage
            .raw(
                "PATCH",
                &format!("/api/v1/connections/{}", stage.a_connection),
                &headers,
                &small,
            )
            .await;
        stage.check(what, &answer, &[400, 413], true);
    }
    // Over the API's limit, and in the wrong content types.
    let big =
        serde_json::to_vec(&json!({"kind": "shopify", "name": "x".repeat(300 * 1024)})).unwrap();
    let json_headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    stage.check(
        "a 300 KB system",
        &stage
            .raw("POST", "/api/v1/systems", &json_headers, &big)
            .await,
        &[413],
        true,
    );
    let small = br#"{"kind": "shopify", "name": "Sneaky", "config": {}, "credentials": {}}"#;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonp"),
    ] {
        let mut headers = vec![("Authorization", auth.as_str())];
        if let Some(content_type) = content_type {
            headers.push(("Content-Type", content_type));
        }
        let answer = stage.raw("POST", "/api/v1/systems", &headers, small).await;
        stage.check(
            &format!("content type {content_type:?}"),
            &answer,
            &[415],
            true,
        );
    }
    assert_eq!(
        stage.stored().await,
        before,
        "a refused body changed what is stored"
    );

    // A correctly signed webhook that nests too deeply to read is kept as
    // one failed transfer with the reason (never dropped, never a crash),
    // and its delivery sent again stays that one transfer.
    let signature = signature::sign(b"whsec_TOPSECRET", &nested);
    let path = format!("/webhooks/{}", stage.a_connection);
    for _ in 0..2 {
        let answer = stage
            .raw("POST", &path, &stage.webhook_headers(&signature), &nested)
            .await;
        stage.check("a signed nested webhook", &answer, &[200], true);
    }
    let transfers = stage
        .api
        .expect(200, "GET", "/transfers", &token, None)
        .await;
    let items = transfers["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{transfers}");
    assert_eq!(items[0]["status"], "failed");
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap()
            .contains("could not read"),
        "{transfers}"
    );
    let detail = stage
        .raw(
            "GET",
            &format!("/api/v1/transfers/{}", id(&items[0])),
            &[("Authorization", auth.as_str())],
            b"",
        )
        .await;
    stage.check("the kept webhook", &detail, &[200], true);
    let b_transfers = stage
        .api
        .expect(200, "GET", "/transfers", &stage.b.token, None)
        .await;
    assert_eq!(b_transfers["items"], json!([]));
    stage.api.stop().await;
}

#[tokio::test]
async fn path_traversal_and_strange_ids_answer_4xx_and_serve_no_file() {
    let stage = Stage::start("abuse-paths").await;
    let before = stage.stored().await;
    let auth = format!("Bearer {}", stage.b.token);
    let a_system = stage.a_only[2].clone();
    let paths = [
        "/api/v1/systems/..%2F..%2Fetc".to_owned(),
        "/api/v1/systems/..%2F..%2F..%2F..%2Fetc%2Fpasswd".to_owned(),
        "/api/v1/systems/../../../../etc/passwd".to_owned(),
        "/api/v1/systems/%2e%2e".to_owned(),
        "/api/v1/transfers/..%2F..%2Fseal.key".to_owned(),
        "/api/v1/connections/con_%00".to_owned(),
        "/api/v1/users/%ff%fe".to_owned(),
        format!("/api/v1/systems/{}", "s".repeat(4096)),
        format!("/api/v1/systems/{a_system}%2F..%2F..%2Fsystems"),
        format!("/api/v1/systems/{a_system}"),
        format!("/api/v1/systems/{}", a_system.to_uppercase()),
        format!("/api/v1/systems/%20{a_system}"),
        "/../../../../etc/passwd".to_owned(),
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd".to_owned(),
        "/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd".to_owned(),
        "/..%5c..%5c..%5cseal.key".to_owned(),
        "/seal.key".to_owned(),
        "/ferry.redb".to_owned(),
    ];
    for path in &paths {
        for method in ["GET", "DELETE", "PATCH"] {
            let headers = [
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/json"),
            ];
            let answer = stage
                .raw(method, path, &headers, br#"{"name": "mine"}"#)
                .await;
            let what = format!("{method} {path}");
            // The dashboard answers unknown paths with its page (a SPA), so
            // a 200 is allowed there as long as it is not a file's content.
            let allowed: &[u16] = if path.starts_with("/api/") {
                &[400, 404, 405, 414, 431]
            } else {
                &[200, 400, 404, 405, 414, 431]
            };
            stage.check(&what, &answer, allowed, false);
        }
    }
    assert_eq!(
        stage.stored().await,
        before,
        "a strange path changed what is stored"
    );
    stage.api.stop().await;
}

#[derive(serde::Serialize, serde::Deserialize, Clone)]
struct Claims {
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    sub: String,
    tenant: String,
    role: String,
    exp: i64,
    iat: i64,
}

#[tokio::test]
async fn expired_unsigned_re_signed_and_re_addressed_tokens_are_refused() {
    let stage = Stage::start("abuse-tokens").await;
    // Dashboard tokens name their issuer and audience.
    let mut payload = stage.a.token.split('.').nth(1).unwrap().to_owned();
    payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(payload.contains(r#""iss":"ferry""#), "{payload}");
    assert!(payload.contains(r#""aud":"ferry-dashboard""#), "{payload}");
    let before = stage.stored().await;
    let key = stage.api.running.ferry.jwt_key.clone();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.insecure_disable_signature_validation();
    validation.validate_aud = false;
    let a_claims =
        jsonwebtoken::decode::<Claims>(&stage.a.token, &DecodingKey::from_secret(b""), &validation)
            .unwrap()
            .claims;
    let now = chrono::Utc::now().timestamp();
    let sign = |claims: &Claims, algorithm: Algorithm, secret: &[u8]| {
        encode(
            &Header::new(algorithm),
            claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    };
    let expired = Claims {
        exp: now - 60,
        iat: now - 3600,
        ..a_claims.clone()
    };
    let to_b = Claims {
        tenant: stage.b.tenant.clone(),
        ..a_claims.clone()
    };
    // Signed with the real key but meant for something else, or for nobody.
    let other_audience = Claims {
        aud: Some("ferry-sign-in".into()),
        ..a_claims.clone()
    };
    let other_issuer = Claims {
        iss: Some("someone-else".into()),
        ..a_claims.clone()
    };
    let no_audience = Claims {
        aud: None,
        ..a_claims.clone()
    };
    let unsigned = |claims: &Claims| {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
        format!("{header}.{payload}.")
    };
    let parts: Vec<&str> = stage.a.token.split('.').collect();
    let b_payload_in_a_token = {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&to_b).unwrap());
        format!("{}.{payload}.{}", parts[0], parts[2])
    };
    let tokens: Vec<(&str, String, &str)> = vec![
        (
            "expired, signed with the real key",
            sign(&expired, Algorithm::HS256, &key),
            "expired",
        ),
        ("alg none", unsigned(&a_claims), "invalid"),
        ("alg none, another tenant", unsigned(&to_b), "invalid"),
        (
            "signed with a guessed key",
            sign(
                &a_claims,
                Algorithm::HS256,
                b"a-guessed-key-of-thirty-two-bytes!!",
            ),
            "invalid",
        ),
        (
            "another tenant, guessed key",
            sign(
                &to_b,
                Algorithm::HS256,
                b"a-guessed-key-of-thirty-two-bytes!!",
            ),
            "invalid",
        ),
        (
            "another tenant under A's signature",
            b_payload_in_a_token,
            "invalid",
        ),
        // Even with the real key, A's user is nobody in B.
        (
            "another tenant, signed with the real key",
            sign(&to_b, Algorithm::HS256, &key),
            "invalid",
        ),
        (
            "another audience, signed with the real key",
            sign(&other_audience, Algorithm::HS256, &key),
            "invalid",
        ),
        (
            "another issuer, signed with the real key",
            sign(&other_issuer, Algorithm::HS256, &key),
            "invalid",
        ),
        (
            "no audience, signed with the real key",
            sign(&no_audience, Algorithm::HS256, &key),
            "invalid",
        ),
        (
            "HS512 with the real key",
            sign(&a_claims, Algorithm::HS512, &key),
            "invalid",
        ),
        (
            "no signature",
            format!("{}.{}.", parts[0], parts[1]),
            "invalid",
        ),
        ("four parts", format!("{}.x", stage.a.token), "invalid"),
        (
            "the operator's token as a tenant's",
            stage.api.running.operator_token.clone(),
            "invalid",
        ),
    ];
    let b_connection = format!("/api/v1/connections/{}", stage.b_connection);
    let routes = [
        ("GET", "/api/v1/systems"),
        ("GET", "/api/v1/transfers"),
        ("POST", "/api/v1/systems"),
        ("DELETE", b_connection.as_str()),
    ];
    for (what, token, word) in &tokens {
        for (method, path) in routes {
            let auth = format!("Bearer {token}");
            let headers = [
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/json"),
            ];
            let body = br#"{"kind": "fortnox", "name": "Forged", "config": {}, "credentials": {"access_token": "x"}}"#;
            let answer = stage.raw(method, path, &headers, body).await;
            let label = format!("{what}: {method} {path}");
            stage.check(&label, &answer, &[401], false);
            let error: Value =
                serde_json::from_str(&answer.1).unwrap_or_else(|_| panic!("{label}: {}", answer.1));
            assert_eq!(error["error"]["code"], "unauthorized", "{label}");
            assert!(
                error["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(word),
                "{label}: {}",
                answer.1
            );
        }
    }
    for header in [
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer",
        "bearer",
        "Token abc",
        "",
    ] {
        let answer = stage
            .raw("GET", "/api/v1/systems", &[("Authorization", header)], b"")
            .await;
        stage.check(header, &answer, &[401], false);
    }
    assert_eq!(
        stage.stored().await,
        before,
        "a refused token changed what is stored"
    );
    stage.api.stop().await;
}
