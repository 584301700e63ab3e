//! Connections: the flows from a source system to a target system.

use super::auth::Caller;
use super::body::ValidJson;
use super::error::ApiError;
use super::validate;
use super::views::{ConnectionView, List};
use crate::app::Ferry;
use crate::model::{Connection, ConnectionId, DocumentKind, Entity, RunOutcome, Scope, SystemId};
use crate::schedule::Schedule;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    pub name: String,
    pub source: String,
    pub target: String,
    #[serde(default = "orders")]
    pub entity: Entity,
    #[serde(default)]
    pub allowed_states: Vec<String>,
    #[serde(default = "draft_invoice")]
    pub document: DocumentKind,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    pub client: Option<String>,
}

fn orders() -> Entity {
    Entity::Orders
}
fn draft_invoice() -> DocumentKind {
    DocumentKind::DraftInvoice
}
fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionChanges {
    pub name: Option<String>,
    pub allowed_states: Option<Vec<String>>,
    pub document: Option<DocumentKind>,
    pub schedule: Option<Option<String>>,
    pub active: Option<bool>,
    pub client: Option<Option<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConnectionFilter {
    pub scope: Option<String>,
    pub client: Option<String>,
    pub q: Option<String>,
}

pub async fn list(
    State(ferry): State<Ferry>,
    caller: Caller,
    Query(filter): Query<ConnectionFilter>,
) -> Result<Json<List<ConnectionView>>, ApiError> {
    let connections = ferry.store.list_connections(&caller.tenant).await?;
    let q = filter.q.as_deref().map(str::to_lowercase);
    let items = connections
        .iter()
        .filter(|c| match filter.scope.as_deref() {
            Some("global") => c.scope.client.is_none(),
            Some("client") => c.scope.client.is_some(),
            _ => true,
        })
        .filter(|c| filter.client.is_none() || c.scope.client == filter.client)
        .filter(|c| q.as_ref().is_none_or(|q| c.name.to_lowercase().contains(q)))
        .map(|c| ConnectionView::new(c, &ferry.public_url))
        .collect();
    Ok(Json(List { items, next: None }))
}

pub async fn create(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(body): ValidJson<NewConnection>,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
    caller.require_admin()?;
    let source = system_of(&ferry, &caller, "source", &body.source).await?;
    let target = system_of(&ferry, &caller, "target", &body.target).await?;
    if !source.kind.is_source() {
        return Err(ApiError::invalid(
            "source",
            format!(
                "{} cannot be a source of orders",
                source.kind.display_name()
            ),
        ));
    }
    if !target.kind.is_target() {
        return Err(ApiError::invalid(
            "target",
            format!(
                "{} cannot be a target of orders",
                target.kind.display_name()
            ),
        ));
    }
    let now = ferry.clock.now();
    let schedule = parse_schedule(body.schedule.as_deref())?;
    let connection = Connection {
        id: ConnectionId::generate(),
        tenant: caller.tenant.clone(),
        name: validate::name("name", &body.name)?,
        source: source.id,
        target: target.id,
        entity: body.entity,
        allowed_states: clean_states(body.allowed_states)?,
        document: body.document,
        next_run_at: next_run(schedule.as_ref(), now),
        schedule: schedule.map(|s| s.expression().to_owned()),
        active: body.active,
        scope: Scope {
            client: body.client,
            warehouse: None,
        },
        cursor: None,
        last_run: RunOutcome::default(),
        created_at: now,
        updated_at: now,
    };
    ferry.store.put_connection(&connection).await?;
    Ok((
        StatusCode::CREATED,
        Json(ConnectionView::new(&connection, &ferry.public_url)),
    ))
}

pub async fn get(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    let connection = load(&ferry, &caller, &id).await?;
    Ok(Json(ConnectionView::new(&connection, &ferry.public_url)))
}

pub async fn update(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(changes): ValidJson<ConnectionChanges>,
) -> Result<Json<ConnectionView>, ApiError> {
    caller.require_admin()?;
    let mut connection = load(&ferry, &caller, &id).await?;
    let now = ferry.clock.now();
    if let Some(name) = changes.name {
        connection.name = validate::name("name", &name)?;
    }
    if let Some(states) = changes.allowed_states {
        connection.allowed_states = clean_states(states)?;
    }
    if let Some(document) = changes.document {
        connection.document = document;
    }
    if let Some(schedule) = changes.schedule {
        let schedule = parse_schedule(schedule.as_deref())?;
        connection.next_run_at = next_run(schedule.as_ref(), now);
        connection.schedule = schedule.map(|s| s.expression().to_owned());
    }
    if let Some(active) = changes.active {
        connection.active = active;
    }
    if let Some(client) = changes.client {
        connection.scope.client = client;
    }
    connection.updated_at = now;
    ferry.store.put_connection(&connection).await?;
    Ok(Json(ConnectionView::new(&connection, &ferry.public_url)))
}

pub async fn delete(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let connection = load(&ferry, &caller, &id).await?;
    ferry
        .store
        .delete_connection(&caller.tenant, &connection.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's connection, or 404 (also for another tenant's id).
pub async fn load(ferry: &Ferry, caller: &Caller, id: &str) -> Result<Connection, ApiError> {
    let id: ConnectionId = validate::id("connection", id)?;
    ferry
        .store
        .get_connection(&caller.tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))
}

async fn system_of(
    ferry: &Ferry,
    caller: &Caller,
    field: &str,
    id: &str,
) -> Result<crate::model::System, ApiError> {
    let missing = || ApiError::invalid(field, format!("no system with id '{id}'"));
    let id = SystemId::parse(id).map_err(|_| missing())?;
    ferry
        .store
        .get_system(&caller.tenant, &id)
        .await?
        .ok_or_else(missing)
}

fn parse_schedule(expression: Option<&str>) -> Result<Option<Schedule>, ApiError> {
    expression
        .map(|e| Schedule::parse(e).map_err(|reason| ApiError::invalid("schedule", reason)))
        .transpose()
}

fn next_run(schedule: Option<&Schedule>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule.and_then(|s| s.next_after(now))
}

fn clean_states(states: Vec<String>) -> Result<Vec<String>, ApiError> {
    let mut clean = Vec::with_capacity(states.len());
    for (i, state) in states.into_iter().enumerate() {
        let state = state.trim().to_owned();
        if state.is_empty() || state.len() > 64 {
            return Err(ApiError::invalid(
                format!("allowed_states[{i}]"),
                "a state is 1 to 64 characters",
            ));
        }
        if !clean.contains(&state) {
            clean.push(state);
        }
    }
    Ok(clean)
}

/// The optional body of `POST /connections/{id}/sync`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// Backfill: read the orders changed since this date (`2026-01-01`) or
    /// time (RFC 3339).
    pub since: Option<String>,
}

/// `POST /connections/{id}/sync`: polls the connection's source now and
/// answers what the poll did. With `{"since": "2026-01-01"}` it reads from
/// that date (a backfill). A poll the source refused answers 200 with the
/// reason in `error`, as it is also stored as the connection's last run.
pub async fn sync(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<crate::polling::PollOutcome>, ApiError> {
    caller.require_admin()?;
    let connection = load(&ferry, &caller, &id).await?;
    let request: SyncRequest = if body.iter().all(u8::is_ascii_whitespace) {
        SyncRequest::default()
    } else {
        super::body::parse::<Option<SyncRequest>>(&body)?.unwrap_or_default()
    };
    let since = request.since.as_deref().map(parse_since).transpose()?;
    if since.is_some_and(|since| since > ferry.clock.now()) {
        return Err(ApiError::invalid("since", "since lies in the future"));
    }
    if !connection.active {
        return Err(ApiError::conflict(format!(
            "'{}' is switched off; switch it on before syncing",
            connection.name
        )));
    }
    let outcome = crate::polling::poll(
        &ferry,
        &connection,
        since,
        crate::polling::Budget::default(),
    )
    .await?;
    Ok(Json(outcome))
}

/// `2026-01-01` (midnight UTC) or an RFC 3339 time.
fn parse_since(text: &str) -> Result<DateTime<Utc>, ApiError> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
        .ok_or_else(|| {
            ApiError::invalid(
                "since",
                format!("'{text}' is not a date: use 2026-01-01 or 2026-01-01T00:00:00Z"),
            )
        })
}
