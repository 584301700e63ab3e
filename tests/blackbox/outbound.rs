//! Stored secrets stay home: no credential goes to a host a tenant (or a
//! stolen admin token) names. Each system kind talks only to its public
//! API's hosts, no private address is reached unless private networks are
//! allowed, no redirect is followed, a new address drops the credentials
//! given for the old one, and a sealed value copied to another system does
//! not open there.
//!
//! The "thief" here is a loopback server that records every request it is
//! sent; each test asserts that it never saw a secret.

use crate::api_kit::{id, Api};
use crate::orders::{fast_options, temp_dir};
use ferry::connectors::address::Network;
use ferry_local::runtime;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRETS: &[&str] = &["APPSECRET_xyz", "GRANT_xyz", "shpat_THEFT", "fortnox_THEFT"];

/// A server on loopback that records the head of every request and
/// answers each with `answer` (a whole HTTP response).
struct Thief {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Thief {
    async fn start(answer: String) -> Thief {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let record = record.clone();
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    record
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        Thief { addr, seen }
    }

    /// Answers every request with an empty JSON object.
    async fn ok() -> Thief {
        Thief::start(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                .into(),
        )
        .await
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    fn assert_no_secret(&self) {
        for request in self.requests() {
            for secret in SECRETS {
                assert!(
                    !request.contains(secret),
                    "a secret reached the thief: {request}"
                );
            }
        }
    }
}

fn economic(base_url: &str) -> Value {
    json!({
        "kind": "economic", "name": "Books",
        "config": {"base_url": base_url, "layout_number": 19, "payment_terms_number": 1,
                   "vat_zone_number": 1, "customer_group_number": 1, "product_group_number": 1},
        "credentials": {"app_secret_token": "APPSECRET_xyz", "agreement_grant_token": "GRANT_xyz"},
    })
}

async fn start_on(network: Network, name: &str) -> Api {
    let data_dir = temp_dir(name);
    let mut options = fast_options(data_dir.clone());
    options.network = network;
    options.scheduler_every = std::time::Duration::from_secs(3600);
    Api {
        running: runtime::start(options).await.unwrap(),
        http: reqwest::Client::new(),
        data_dir,
    }
}

#[tokio::test]
async fn each_kind_reaches_only_its_public_hosts_and_a_refusal_names_the_field() {
    let api = start_on(Network::PRIVATE_ALLOWED, "outbound-hosts").await;
    let token = api.tenant("Alpha").await.token;
    let cases = [
        (
            economic("https://evil.example.com"),
            "config.base_url",
            "restapi.e-conomic.com",
        ),
        (
            json!({"kind": "fortnox", "name": "F", "config": {"base_url": "https://api.fortnox.se.evil.example"},
                   "credentials": {"access_token": "fortnox_THEFT"}}),
            "config.base_url",
            "api.fortnox.se",
        ),
        (
            json!({"kind": "shopify", "name": "S", "config": {"shop_domain": "evil.example.com"},
                   "credentials": {"access_token": "shpat_THEFT"}}),
            "config.shop_domain",
            "myshopify.com",
        ),
        (
            json!({"kind": "woocommerce", "name": "W", "config": {"base_url": "http://shop.example.com"},
                   "credentials": {"consumer_key": "ck", "consumer_secret": "cs"}}),
            "config.base_url",
            "https://",
        ),
        (
            json!({"kind": "fortnox", "name": "F", "config": {}, "credentials": {}}),
            "credentials.access_token",
            "access_token",
        ),
    ];
    for (body, field, words) in cases {
        let (status, answer) = api
            .call("POST", "/systems", &token, Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["error"]["field"], field, "{body} → {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{message}");
    }
    let (_, listed) = api.call("GET", "/systems", &token, None).await;
    assert_eq!(listed["items"], json!([]), "nothing stored");
    api.stop().await;
}

#[tokio::test]
async fn without_private_networks_loopback_private_and_metadata_addresses_are_refused() {
    let thief = Thief::ok().await;
    let api = start_on(Network::PUBLIC_ONLY, "outbound-private").await;
    let account = api.tenant("Alpha").await;
    let token = account.token.clone();
    let port = thief.addr.port();
    for base in [
        thief.url(),
        format!("http://localhost:{port}"),
        format!("https://localhost:{port}"),
        format!("https://[::ffff:127.0.0.1]:{port}"),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "https://10.0.0.7".to_owned(),
        "https://100.64.1.1".to_owned(),
        "https://[fd00::1]".to_owned(),
    ] {
        for body in [
            economic(&base),
            json!({"kind": "woocommerce", "name": "W", "config": {"base_url": base},
                   "credentials": {"consumer_key": "ck", "consumer_secret": "cs"}}),
        ] {
            let (status, answer) = api
                .call("POST", "/systems", &token, Some(body.clone()))
                .await;
            assert_eq!(status, 400, "{body} → {answer}");
            assert_eq!(answer["error"]["field"], "config.base_url", "{answer}");
        }
    }
    // A system stored while the address was allowed (an older Ferry, a
    // restored backup) is still never called on a private address.
    let now = chrono::Utc::now();
    let Value::Object(config) = economic(&thief.url())["config"].clone() else {
        unreachable!()
    };
    let credentials = ferry::seal::Credentials(
        [
            ("app_secret_token".to_owned(), "APPSECRET_xyz".to_owned()),
            ("agreement_grant_token".to_owned(), "GRANT_xyz".to_owned()),
        ]
        .into_iter()
        .collect(),
    );
    let moved = ferry::model::System {
        id: ferry::model::SystemId::generate(),
        tenant: account.tenant_id(),
        kind: ferry::model::SystemKind::Economic,
        name: "Stored before".into(),
        config,
        credentials: Default::default(),
        health: Default::default(),
        scope: Default::default(),
        active: true,
        created_at: now,
        updated_at: now,
    }
    .with_credentials(&api.running.ferry.sealer, &credentials);
    api.running.ferry.store.put_system(&moved).await.unwrap();
    let tested = api
        .expect(
            200,
            "POST",
            &format!("/systems/{}/test", moved.id),
            &token,
            None,
        )
        .await;
    assert_eq!(tested["health"]["status"], "unhealthy", "{tested}");
    let reason = tested["health"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("private address"), "{reason}");
    assert!(thief.requests().is_empty(), "{:?}", thief.requests());
    api.stop().await;
}

#[tokio::test]
async fn a_new_address_drops_the_credentials_unless_new_ones_come_with_it() {
    let old_home = Thief::ok().await;
    let thief = Thief::ok().await;
    let api = start_on(Network::PRIVATE_ALLOWED, "outbound-move").await;
    let token = api.tenant("Alpha").await.token;
    let system = api
        .expect(
            201,
            "POST",
            "/systems",
            &token,
            Some(economic(&old_home.url())),
        )
        .await;
    let path = format!("/systems/{}", id(&system));
    let mut config = system["config"].clone();
    config["base_url"] = json!(thief.url());

    let moved = api
        .expect(200, "PATCH", &path, &token, Some(json!({"config": config})))
        .await;
    assert_eq!(moved["credentials_set"], false, "{moved}");
    assert_eq!(moved["health"]["status"], "unhealthy", "{moved}");
    let tested = api
        .expect(200, "POST", &format!("{path}/test"), &token, None)
        .await;
    assert_eq!(tested["health"]["status"], "unhealthy", "{tested}");
    thief.assert_no_secret();
    assert!(thief.requests().is_empty(), "{:?}", thief.requests());

    // The same change with new credentials keeps them; an unchanged
    // address keeps the stored ones.
    let renewed = api
        .expect(
            200,
            "PATCH",
            &path,
            &token,
            Some(json!({"config": system["config"], "credentials": {
                "app_secret_token": "NEW_APP", "agreement_grant_token": "NEW_GRANT"}})),
        )
        .await;
    assert_eq!(renewed["credentials_set"], true);
    let renamed = api
        .expect(
            200,
            "PATCH",
            &path,
            &token,
            Some(json!({"name": "Books 2", "config": system["config"]})),
        )
        .await;
    assert_eq!(renamed["credentials_set"], true, "{renamed}");
    api.stop().await;
}

#[tokio::test]
async fn a_redirect_is_never_followed_with_the_credentials() {
    let thief = Thief::ok().await;
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nLocation: {}/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        thief.url()
    );
    let ledger = Thief::start(redirect).await;
    let api = start_on(Network::PRIVATE_ALLOWED, "outbound-redirect").await;
    let token = api.tenant("Alpha").await.token;
    let system = api
        .expect(
            201,
            "POST",
            "/systems",
            &token,
            Some(economic(&ledger.url())),
        )
        .await;
    let tested = api
        .expect(
            200,
            "POST",
            &format!("/systems/{}/test", id(&system)),
            &token,
            None,
        )
        .await;
    assert_eq!(tested["health"]["status"], "unhealthy", "{tested}");
    let reason = tested["health"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("redirect"), "{reason}");
    assert!(!ledger.requests().is_empty(), "the ledger was asked");
    assert!(thief.requests().is_empty(), "{:?}", thief.requests());
    api.stop().await;
}

#[tokio::test]
async fn credentials_copied_to_another_system_do_not_open_there() {
    let thief = Thief::ok().await;
    let api = start_on(Network::PRIVATE_ALLOWED, "outbound-copy").await;
    let account = api.tenant("Alpha").await;
    let tenant = account.tenant_id();
    let mut with_secret = economic("http://127.0.0.1:9");
    with_secret["name"] = json!("Real books");
    let real = api
        .expect(201, "POST", "/systems", &account.token, Some(with_secret))
        .await;
    let mut empty = economic(&thief.url());
    empty["credentials"] = json!({"app_secret_token": "x", "agreement_grant_token": "y"});
    let decoy = api
        .expect(201, "POST", "/systems", &account.token, Some(empty))
        .await;
    let store = &api.running.ferry.store;
    let real = store
        .get_system(&tenant, &id(&real).parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut decoy = store
        .get_system(&tenant, &id(&decoy).parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    decoy.credentials = real.credentials.clone();
    store.put_system(&decoy).await.unwrap();
    let tested = api
        .expect(
            200,
            "POST",
            &format!("/systems/{}/test", decoy.id),
            &account.token,
            None,
        )
        .await;
    assert_eq!(tested["health"]["status"], "unhealthy", "{tested}");
    let reason = tested["health"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("cannot be read"), "{reason}");
    assert!(thief.requests().is_empty(), "{:?}", thief.requests());
    api.stop().await;
}
