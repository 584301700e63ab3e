//! Connections: the flows from a source system to a target system.

use super::auth::Caller;
use super::body::ValidJson;
use super::error::{ApiError, ErrorBody};
use super::query::ValidQuery;
use super::views::{ConnectionView, List, ScopeFilter, SyncOutcome};
use super::{page, scopes, validate};
use crate::app::Ferry;
use crate::model::{
    Connection, ConnectionId, CurrencyChoice, DocumentKind, Entity, RunOutcome, Scope, SystemId,
};
use crate::schedule::Schedule;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
    /// Per allowed state, another document than `document`.
    #[serde(default)]
    pub documents: BTreeMap<String, DocumentKind>,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// One of the tenant's clients; none for a global connection.
    pub client: Option<String>,
    /// One of the tenant's warehouses.
    pub warehouse: Option<String>,
    /// The money orders are booked in: `presentment` (what the customer
    /// paid in, the default) or `shop` (the shop's own currency).
    #[serde(default)]
    pub currency: CurrencyChoice,
    /// How the shop's payments are booked in the ledger; none: nothing is
    /// marked paid.
    #[serde(default)]
    pub payments: Option<crate::model::PaymentSettings>,
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

/// Only the fields sent change; `null` clears a schedule, client or warehouse.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionChanges {
    pub name: Option<String>,
    pub allowed_states: Option<Vec<String>>,
    pub document: Option<DocumentKind>,
    /// Replaces the per-state documents (`{}`: every state gets `document`).
    pub documents: Option<BTreeMap<String, DocumentKind>>,
    #[serde(default, deserialize_with = "super::body::present")]
    pub schedule: Option<Option<String>>,
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "super::body::present")]
    pub client: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::body::present")]
    pub warehouse: Option<Option<String>>,
    /// `presentment` or `shop`; applies to orders received from then on.
    pub currency: Option<CurrencyChoice>,
    /// Replaces the payments setting; `null`: nothing is marked paid.
    #[serde(default, deserialize_with = "super::body::present")]
    pub payments: Option<Option<crate::model::PaymentSettings>>,
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConnectionFilter {
    /// `global` (tenant-wide) or `client` (belongs to a client).
    pub scope: Option<ScopeFilter>,
    pub client: Option<String>,
    pub warehouse: Option<String>,
    /// Part of the name, any case.
    pub q: Option<String>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/connections", tag = "connections", params(ConnectionFilter),
    responses((status = 200, body = List<ConnectionView>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidQuery(filter): ValidQuery<ConnectionFilter>,
) -> Result<Json<List<ConnectionView>>, ApiError> {
    let mut connections = ferry.store.list_connections(&caller.tenant).await?;
    connections.sort_by(|a, b| a.id.cmp(&b.id));
    let q = filter.q.as_deref().map(str::to_lowercase);
    let items = connections
        .iter()
        .filter(|c| filter.scope.is_none_or(|scope| scope.matches(&c.scope)))
        .filter(|c| filter.client.is_none() || c.scope.client == filter.client)
        .filter(|c| filter.warehouse.is_none() || c.scope.warehouse == filter.warehouse)
        .filter(|c| q.as_ref().is_none_or(|q| c.name.to_lowercase().contains(q)))
        .map(|c| ConnectionView::new(c, ferry.webhook_base()))
        .collect();
    Ok(Json(page::paginate(
        items,
        filter.cursor.as_deref(),
        filter.limit,
        |c| c.id.clone(),
    )?))
}

#[utoipa::path(post, path = "/api/v1/connections", tag = "connections", request_body = NewConnection,
    responses((status = 201, body = ConnectionView), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(body): ValidJson<NewConnection>,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
    let name = validate::name("name", &body.name)?;
    let source = system_of(&ferry, &caller, "source", &body.source).await?;
    let target = system_of(&ferry, &caller, "target", &body.target).await?;
    // Orders run from a shop to the books; products and stock the other way.
    crate::model::catalog::check_direction(body.entity, source.kind, target.kind)
        .map_err(|(field, message)| ApiError::invalid(field, message))?;
    let now = ferry.clock.now();
    let schedule = parse_schedule(body.schedule.as_deref())?;
    let allowed_states = clean_states(body.allowed_states)?;
    let documents = check_documents(body.documents, &allowed_states)?;
    let payments = super::payment_settings::check(body.payments, body.entity, target.kind)?;
    scopes::check(
        &ferry,
        &caller,
        body.client.as_deref(),
        body.warehouse.as_deref(),
    )
    .await?;
    let connection = Connection {
        id: ConnectionId::generate(),
        tenant: caller.tenant.clone(),
        name,
        source: source.id,
        target: target.id,
        entity: body.entity,
        allowed_states,
        document: body.document,
        documents,
        next_run_at: next_run(schedule.as_ref(), now),
        schedule: schedule.map(|s| s.expression().to_owned()),
        active: body.active,
        scope: Scope {
            client: body.client,
            warehouse: body.warehouse,
        },
        cursor: None,
        last_run: RunOutcome::default(),
        created_at: now,
        updated_at: now,
        currency: body.currency,
        payments,
    };
    ferry.store.put_connection(&connection).await?;
    Ok((
        StatusCode::CREATED,
        Json(ConnectionView::new(&connection, ferry.webhook_base())),
    ))
}

#[utoipa::path(get, path = "/api/v1/connections/{id}", tag = "connections", params(("id" = String, Path)),
    responses((status = 200, body = ConnectionView), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    let connection = load(&ferry, &caller, &id).await?;
    Ok(Json(ConnectionView::new(&connection, ferry.webhook_base())))
}

#[utoipa::path(patch, path = "/api/v1/connections/{id}", tag = "connections", params(("id" = String, Path)),
    request_body = ConnectionChanges,
    responses((status = 200, body = ConnectionView), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(changes): ValidJson<ConnectionChanges>,
) -> Result<Json<ConnectionView>, ApiError> {
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
    if let Some(documents) = changes.documents {
        connection.documents = documents;
    }
    connection.documents = check_documents(
        std::mem::take(&mut connection.documents),
        &connection.allowed_states,
    )?;
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
    if let Some(warehouse) = changes.warehouse {
        connection.scope.warehouse = warehouse;
    }
    if let Some(currency) = changes.currency {
        connection.currency = currency;
    }
    if let Some(payments) = changes.payments {
        let target = ferry
            .store
            .get_system(&caller.tenant, &connection.target)
            .await?
            .ok_or_else(|| ApiError::invalid("payments", "the connection's target was removed"))?;
        connection.payments =
            super::payment_settings::check(payments, connection.entity, target.kind)?;
    }
    scopes::check(
        &ferry,
        &caller,
        connection.scope.client.as_deref(),
        connection.scope.warehouse.as_deref(),
    )
    .await?;
    connection.updated_at = now;
    ferry.store.put_connection(&connection).await?;
    Ok(Json(ConnectionView::new(&connection, ferry.webhook_base())))
}

#[utoipa::path(delete, path = "/api/v1/connections/{id}", tag = "connections", params(("id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let connection = load(&ferry, &caller, &id).await?;
    ferry
        .store
        .delete_connection(&caller.tenant, &connection.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /connections/{id}/activate`: switches one connection on.
#[utoipa::path(post, path = "/api/v1/connections/{id}/activate", tag = "connections",
    params(("id" = String, Path)),
    responses((status = 200, body = ConnectionView), (status = "4XX", body = ErrorBody)))]
pub async fn activate(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    switch(&ferry, &caller, &id, true).await
}

/// `POST /connections/{id}/deactivate`: switches one connection off; its
/// orders are skipped with the reason until it is on again.
#[utoipa::path(post, path = "/api/v1/connections/{id}/deactivate", tag = "connections",
    params(("id" = String, Path)),
    responses((status = 200, body = ConnectionView), (status = "4XX", body = ErrorBody)))]
pub async fn deactivate(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    switch(&ferry, &caller, &id, false).await
}

async fn switch(
    ferry: &Ferry,
    caller: &Caller,
    id: &str,
    on: bool,
) -> Result<Json<ConnectionView>, ApiError> {
    let mut connection = load(ferry, caller, id).await?;
    if connection.active != on {
        connection.active = on;
        connection.updated_at = ferry.clock.now();
        ferry.store.put_connection(&connection).await?;
    }
    Ok(Json(ConnectionView::new(&connection, ferry.webhook_base())))
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

/// Per-state documents name allowed states only (the field names the state).
fn check_documents(
    documents: BTreeMap<String, DocumentKind>,
    allowed_states: &[String],
) -> Result<BTreeMap<String, DocumentKind>, ApiError> {
    if let Some(state) = documents.keys().find(|s| !allowed_states.contains(s)) {
        return Err(ApiError::invalid(
            format!("documents.{state}"),
            format!(
                "'{state}' is not one of the connection's allowed states: add it to allowed_states or leave it out here"
            ),
        ));
    }
    Ok(documents)
}

/// The optional body of `POST /connections/{id}/sync`.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
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
#[utoipa::path(post, path = "/api/v1/connections/{id}/sync", tag = "connections",
    params(("id" = String, Path)), request_body(content = Option<SyncRequest>, description = "optional"),
    responses((status = 200, body = SyncOutcome), (status = "4XX", body = ErrorBody)))]
pub async fn sync(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<crate::pipeline::poll::PollOutcome>, ApiError> {
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
    // No shop has orders from before 1970, and the poll's cursor arithmetic
    // stays far from the ends of the calendar.
    if since.is_some_and(|since| since.year() < FIRST_YEAR) {
        return Err(ApiError::invalid(
            "since",
            format!("since lies before {FIRST_YEAR}: no shop has orders that old"),
        ));
    }
    if !connection.active {
        return Err(ApiError::conflict(format!(
            "'{}' is switched off; switch it on before syncing",
            connection.name
        )));
    }
    let outcome = crate::flows::poll(
        &ferry,
        &connection,
        since,
        crate::pipeline::poll::Budget::default(),
    )
    .await?;
    Ok(Json(outcome))
}

/// The earliest backfill date (as for the dates a shop sends).
const FIRST_YEAR: i32 = 1970;

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
