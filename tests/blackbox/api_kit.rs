//! A ferry-local and a JSON client for the dashboard API tests, with
//! helpers that wire a tenant's systems and connections and seed its log.

use crate::orders::{fast_options, temp_dir};
use ferry::model::{
    ConnectionId, Entity, Level, LogEvent, Payload, TenantId, Transfer, TransferId, TransferStatus,
};
use ferry_local::runtime::{self, Running};
use serde_json::{json, Value};
use std::time::Duration;

pub struct Api {
    pub running: Running,
    pub http: reqwest::Client,
    pub data_dir: std::path::PathBuf,
}

/// A tenant's first admin: its id and token.
#[derive(Debug, Clone)]
pub struct Account {
    pub tenant: String,
    pub token: String,
}

impl Account {
    pub fn tenant_id(&self) -> TenantId {
        TenantId::parse(&self.tenant).unwrap()
    }
}

impl Api {
    pub async fn start(name: &str) -> Api {
        let data_dir = temp_dir(name);
        let mut options = fast_options(data_dir.clone());
        // The tests drive polling themselves.
        options.scheduler_every = Duration::from_secs(3600);
        Api {
            running: runtime::start(options).await.unwrap(),
            http: reqwest::Client::new(),
            data_dir,
        }
    }

    /// The text of every email in the outbox.
    pub fn outbox(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.data_dir.join("outbox")) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect()
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }

    /// Any request; the body is sent as JSON when given.
    pub async fn call(
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

    /// A call that must answer `status`; answers the body.
    pub async fn expect(
        &self,
        status: u16,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Value {
        let (got, answer) = self.call(method, path, token, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        answer
    }

    pub async fn tenant(&self, name: &str) -> Account {
        let body = self
            .expect(
                201,
                "POST",
                "/tenants",
                &self.running.operator_token,
                Some(json!({"name": name, "email": format!("owner@{}.example", name.to_lowercase())})),
            )
            .await;
        Account {
            tenant: body["id"].as_str().unwrap().to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// Invites a user with `role`; answers the invitation (no token in it).
    pub async fn invite(&self, admin: &Account, email: &str, role: &str) -> Value {
        self.expect(
            201,
            "POST",
            "/users",
            &admin.token,
            Some(json!({"email": email, "role": role})),
        )
        .await
    }

    /// Invites a user with `role` and signs them in with the link emailed
    /// to them: the invitation and the user's dashboard token.
    pub async fn invite_and_sign_in(
        &self,
        admin: &Account,
        email: &str,
        role: &str,
    ) -> (Value, String) {
        let invited = self.invite(admin, email, role).await;
        let code = self.last_sign_in_code(email);
        let (status, answer) = self.sign_in(&code).await;
        assert_eq!(status, 200, "sign-in with the invitation's link: {answer}");
        (invited, answer["token"].as_str().unwrap().to_owned())
    }

    /// The codes of the sign-in links emailed to `email`, oldest first.
    pub fn sign_in_codes(&self, email: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.data_dir.join("outbox")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        let to = format!("to: {}", email.to_lowercase());
        files
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            // Quoted-printable: soft line breaks out, `=3D` back to `=`.
            .map(|mail| mail.replace("=\r\n", "").replace("=3D", "="))
            .filter(|mail| mail.to_lowercase().contains(&to))
            .filter_map(|mail| {
                let (_, after) = mail.split_once("#signin=")?;
                let code: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect();
                Some(code)
            })
            .collect()
    }

    /// The code of the newest sign-in link emailed to `email`.
    pub fn last_sign_in_code(&self, email: &str) -> String {
        self.sign_in_codes(email)
            .pop()
            .unwrap_or_else(|| panic!("no sign-in link was emailed to {email}"))
    }

    /// Exchanges a sign-in code for a token: the status and the answer.
    pub async fn sign_in(&self, code: &str) -> (u16, Value) {
        let url = format!("{}/api/v1/sign-in", self.running.base_url());
        let response = self
            .http
            .post(url)
            .json(&json!({ "code": code }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A Shopify system (never called in these tests).
    pub async fn shop(&self, token: &str, name: &str, extra: Value) -> Value {
        let mut body = json!({
            "kind": "shopify", "name": name,
            "config": {"shop_domain": "a.myshopify.com", "base_url": "http://127.0.0.1:9"},
            "credentials": {"access_token": "shpat_TOPSECRET", "webhook_secret": "whsec_TOPSECRET"},
        });
        merge(&mut body, extra);
        self.expect(201, "POST", "/systems", token, Some(body))
            .await
    }

    /// A Fortnox system pointing nowhere (never called in these tests).
    pub async fn ledger(&self, token: &str, name: &str, extra: Value) -> Value {
        let mut body = json!({
            "kind": "fortnox", "name": name, "config": {"base_url": "http://127.0.0.1:9"},
            "credentials": {"access_token": "tok"},
        });
        merge(&mut body, extra);
        self.expect(201, "POST", "/systems", token, Some(body))
            .await
    }

    pub async fn connection(
        &self,
        token: &str,
        name: &str,
        source: &Value,
        target: &Value,
        extra: Value,
    ) -> Value {
        let mut body = json!({
            "name": name, "source": source["id"], "target": target["id"],
            "allowed_states": ["paid"], "active": false,
        });
        merge(&mut body, extra);
        self.expect(201, "POST", "/connections", token, Some(body))
            .await
    }

    /// Puts a transfer straight into the store (as intake would).
    pub async fn seed_transfer(
        &self,
        tenant: &TenantId,
        connection: &str,
        e_number: &str,
        status: TransferStatus,
    ) -> Transfer {
        let connection = ConnectionId::parse(connection).unwrap();
        let now = self.running.ferry.clock.now();
        let transfer = Transfer {
            id: TransferId::for_record(&connection, e_number),
            tenant: tenant.clone(),
            connection,
            entity: Entity::Orders,
            source_id: e_number.trim_start_matches('#').to_owned(),
            source_ref: e_number.to_owned(),
            target_ref: (status == TransferStatus::Delivered).then(|| format!("INV-{e_number}")),
            status,
            reason: (status == TransferStatus::Failed).then(|| "the ledger said no".to_owned()),
            attempts: 1,
            source_updated_at: None,
            lease_until: None,
            received_at: now,
            updated_at: now,
            source_payload: Some(Payload::compress(br#"{"name":"secret order"}"#)),
            target_payload: None,
            version: 1,
            kind: None,
        };
        self.running
            .ferry
            .store
            .create_transfer(&transfer)
            .await
            .unwrap();
        transfer
    }

    /// Appends a service event to the tenant's log.
    pub async fn seed_log(&self, tenant: &TenantId, service: &str, level: Level, message: &str) {
        let now = self.running.ferry.clock.now();
        let event = LogEvent {
            id: ulid::Ulid::new().to_string(),
            tenant: tenant.clone(),
            at: now,
            service: service.to_owned(),
            level,
            message: message.to_owned(),
            connection: None,
            transfer: None,
            count: 1,
        };
        self.running
            .ferry
            .store
            .append_log(&event, now + chrono::Duration::days(1))
            .await
            .unwrap();
    }

    /// Every item of a list, following `next` (with `query` kept).
    pub async fn all(&self, token: &str, path: &str, limit: usize) -> Vec<Value> {
        let joiner = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let mut url = format!("{path}{joiner}limit={limit}");
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={}", crate::orders::urlencode(cursor)));
            }
            let page = self.expect(200, "GET", &url, token, None).await;
            let got = page["items"].as_array().unwrap();
            assert!(got.len() <= limit, "{url}: {} items", got.len());
            items.extend(got.iter().cloned());
            match page["next"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
        panic!("{path}: the pages never end");
    }
}

/// Shallow merge of `extra`'s fields into `body`.
pub fn merge(body: &mut Value, extra: Value) {
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
}

/// The `id` of an API answer.
pub fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

/// The ids of a list's items.
pub fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}
