//! What the API answers with: the stored records minus secrets, in the
//! shapes of CONTRACT.md.

use crate::model::{
    Connection, CredentialHealth, CurrencyChoice, DocumentKind, Entity, RunOutcome, Scope, System,
    SystemKind, Transfer, TransferStatus,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SystemView {
    pub id: String,
    pub kind: SystemKind,
    pub name: String,
    #[schema(value_type = Object)]
    pub config: serde_json::Map<String, serde_json::Value>,
    /// Credentials never come back; this says whether some are set.
    pub credentials_set: bool,
    /// The last credential check: healthy, unhealthy (with the reason) or
    /// unknown, and when it was checked.
    pub health: CredentialHealth,
    /// `global` (tenant-wide) or `client` (belongs to `client`).
    pub scope: ScopeFilter,
    pub client: Option<String>,
    pub warehouse: Option<String>,
    /// `false` once disconnected.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Global (tenant-wide) or belonging to one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeFilter {
    Global,
    Client,
}

impl ScopeFilter {
    pub fn of(scope: &Scope) -> Self {
        match scope.client {
            None => ScopeFilter::Global,
            Some(_) => ScopeFilter::Client,
        }
    }

    pub fn matches(self, scope: &Scope) -> bool {
        Self::of(scope) == self
    }
}

impl From<&System> for SystemView {
    fn from(s: &System) -> Self {
        Self {
            id: s.id.to_string(),
            kind: s.kind,
            name: s.name.clone(),
            config: s.config.clone(),
            credentials_set: s.credentials.is_set(),
            health: s.health.clone(),
            scope: ScopeFilter::of(&s.scope),
            client: s.scope.client.clone(),
            warehouse: s.scope.warehouse.clone(),
            active: s.active,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub id: String,
    pub name: String,
    pub source: String,
    pub target: String,
    pub entity: Entity,
    pub allowed_states: Vec<String>,
    /// The document made for an allowed state...
    pub document: DocumentKind,
    /// ...unless named here for that state.
    pub documents: BTreeMap<String, DocumentKind>,
    pub schedule: Option<String>,
    pub active: bool,
    /// `global` (tenant-wide) or `client` (belongs to `client`).
    pub scope: ScopeFilter,
    pub client: Option<String>,
    pub warehouse: Option<String>,
    /// Where the webshop sends its webhooks for this connection.
    pub webhook_url: String,
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run: RunOutcome,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The money orders are booked in: `presentment` or `shop`.
    pub currency: CurrencyChoice,
    /// How the shop's payments are booked; absent: nothing is marked paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payments: Option<crate::model::PaymentSettings>,
}

impl ConnectionView {
    pub fn new(c: &Connection, webhook_base: &str) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.clone(),
            source: c.source.to_string(),
            target: c.target.to_string(),
            entity: c.entity,
            allowed_states: c.allowed_states.clone(),
            document: c.document,
            documents: c.documents.clone(),
            schedule: c.schedule.clone(),
            active: c.active,
            scope: ScopeFilter::of(&c.scope),
            client: c.scope.client.clone(),
            warehouse: c.scope.warehouse.clone(),
            webhook_url: format!("{}/webhooks/{}", webhook_base.trim_end_matches('/'), c.id),
            next_run_at: c.next_run_at,
            last_run: c.last_run.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            currency: c.currency,
            payments: c.payments.clone(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TransferView {
    pub id: String,
    pub connection: String,
    pub entity: Entity,
    pub source_ref: String,
    pub source_id: String,
    pub target_ref: Option<String>,
    pub status: TransferStatus,
    pub reason: Option<String>,
    pub attempts: u32,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_payload: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_payload: Option<serde_json::Value>,
    /// What it moves: `order`, `payment`, `product`, `stock`, `customer`.
    pub kind: crate::model::TransferKind,
}

impl TransferView {
    /// The list form, without payloads.
    pub fn summary(t: &Transfer) -> Self {
        Self {
            id: t.id.to_string(),
            connection: t.connection.to_string(),
            entity: t.entity,
            source_ref: t.source_ref.clone(),
            source_id: t.source_id.clone(),
            target_ref: t.target_ref.clone(),
            status: t.status,
            reason: t.reason.clone(),
            attempts: t.attempts,
            received_at: t.received_at,
            updated_at: t.updated_at,
            source_payload: None,
            target_payload: None,
            kind: t.kind(),
        }
    }

    /// The detail form, with the data as received and as sent.
    pub fn detail(t: &Transfer) -> Self {
        Self {
            source_payload: Some(
                t.source_payload
                    .as_ref()
                    .map(|p| p.to_json())
                    .unwrap_or(serde_json::Value::Null),
            ),
            target_payload: Some(
                t.target_payload
                    .as_ref()
                    .map(|p| p.to_json())
                    .unwrap_or(serde_json::Value::Null),
            ),
            ..Self::summary(t)
        }
    }
}

/// A list answer: `{"items": [...], "next": cursor-or-null}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// What a sync (one poll of a connection's source) did; the shape of
/// `crate::pipeline::poll::PollOutcome`, for the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SyncOutcome {
    pub connection: String,
    /// The time changes were read from.
    pub since: DateTime<Utc>,
    pub pages: usize,
    pub records_found: u64,
    /// New transfers.
    pub created: u64,
    /// Newer versions of orders not yet delivered.
    pub updated: u64,
    /// Orders already held as they are, or already delivered.
    pub unchanged: u64,
    /// Orders that could not be read (kept as failed transfers).
    pub unreadable: u64,
    /// `false`: the pass stopped early; the next poll resumes where it stopped.
    pub complete: bool,
    pub error: Option<String>,
    pub next_run_at: Option<DateTime<Utc>>,
}
