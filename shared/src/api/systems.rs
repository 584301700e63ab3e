//! Systems: the shops and ledgers a tenant adds.

use super::auth::Caller;
use super::body::ValidJson;
use super::error::ApiError;
use super::validate;
use super::views::{List, SystemView};
use crate::app::Ferry;
use crate::model::{CredentialHealth, Scope, System, SystemId, SystemKind};
use crate::seal::Credentials;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSystem {
    pub kind: SystemKind,
    pub name: String,
    #[serde(default)]
    pub config: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
    pub client: Option<String>,
    pub warehouse: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemChanges {
    pub name: Option<String>,
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
    pub active: Option<bool>,
    pub client: Option<Option<String>>,
    pub warehouse: Option<Option<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SystemFilter {
    /// `global` or `client`.
    pub scope: Option<String>,
    pub client: Option<String>,
    pub warehouse: Option<String>,
    pub q: Option<String>,
}

pub async fn list(
    State(ferry): State<Ferry>,
    caller: Caller,
    Query(filter): Query<SystemFilter>,
) -> Result<Json<List<SystemView>>, ApiError> {
    let systems = ferry.store.list_systems(&caller.tenant).await?;
    let q = filter.q.as_deref().map(str::to_lowercase);
    let items = systems
        .iter()
        .filter(|s| match filter.scope.as_deref() {
            Some("global") => s.scope.client.is_none(),
            Some("client") => s.scope.client.is_some(),
            _ => true,
        })
        .filter(|s| filter.client.is_none() || s.scope.client == filter.client)
        .filter(|s| filter.warehouse.is_none() || s.scope.warehouse == filter.warehouse)
        .filter(|s| q.as_ref().is_none_or(|q| s.name.to_lowercase().contains(q)))
        .map(SystemView::from)
        .collect();
    Ok(Json(List { items, next: None }))
}

pub async fn create(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(body): ValidJson<NewSystem>,
) -> Result<(StatusCode, Json<SystemView>), ApiError> {
    caller.require_admin()?;
    let now = ferry.clock.now();
    let credentials = Credentials(body.credentials);
    let system = System {
        id: SystemId::generate(),
        tenant: caller.tenant.clone(),
        kind: body.kind,
        name: validate::name("name", &body.name)?,
        config: body.config,
        credentials: ferry.sealer.seal(&credentials),
        health: CredentialHealth::default(),
        scope: Scope {
            client: body.client,
            warehouse: body.warehouse,
        },
        active: true,
        created_at: now,
        updated_at: now,
    };
    check_configuration(&ferry, &system, &credentials)?;
    ferry.store.put_system(&system).await?;
    Ok((StatusCode::CREATED, Json(SystemView::from(&system))))
}

pub async fn get(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SystemView>, ApiError> {
    let system = load(&ferry, &caller, &id).await?;
    Ok(Json(SystemView::from(&system)))
}

pub async fn update(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(changes): ValidJson<SystemChanges>,
) -> Result<Json<SystemView>, ApiError> {
    caller.require_admin()?;
    let mut system = load(&ferry, &caller, &id).await?;
    if let Some(name) = changes.name {
        system.name = validate::name("name", &name)?;
    }
    if let Some(config) = changes.config {
        system.config = config;
    }
    if let Some(active) = changes.active {
        system.active = active;
    }
    if let Some(client) = changes.client {
        system.scope.client = client;
    }
    if let Some(warehouse) = changes.warehouse {
        system.scope.warehouse = warehouse;
    }
    let credentials = open(&ferry, &system)?;
    check_configuration(&ferry, &system, &credentials)?;
    system.updated_at = ferry.clock.now();
    ferry.store.put_system(&system).await?;
    Ok(Json(SystemView::from(&system)))
}

/// `PUT /systems/{id}/credentials`: the body is the new credentials object.
pub async fn replace_credentials(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<BTreeMap<String, String>>,
) -> Result<Json<SystemView>, ApiError> {
    caller.require_admin()?;
    let mut system = load(&ferry, &caller, &id).await?;
    let credentials = Credentials(body);
    check_configuration(&ferry, &system, &credentials)?;
    system.credentials = ferry.sealer.seal(&credentials);
    // New credentials are untested until the next check.
    system.health = CredentialHealth::default();
    system.updated_at = ferry.clock.now();
    ferry.store.put_system(&system).await?;
    Ok(Json(SystemView::from(&system)))
}

/// `POST /systems/{id}/test`: calls the system and stores the health.
pub async fn test(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SystemView>, ApiError> {
    caller.require_admin()?;
    let system = load(&ferry, &caller, &id).await?;
    let checked = crate::health::check(&ferry, &system).await?;
    Ok(Json(SystemView::from(&checked.system)))
}

pub async fn delete(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let system = load(&ferry, &caller, &id).await?;
    let in_use: Vec<String> = ferry
        .store
        .list_connections(&caller.tenant)
        .await?
        .into_iter()
        .filter(|c| c.active && (c.source == system.id || c.target == system.id))
        .map(|c| c.name)
        .collect();
    if !in_use.is_empty() {
        return Err(ApiError::conflict(format!(
            "'{}' is used by active connections ({}); switch them off or delete them first",
            system.name,
            in_use.join(", ")
        )));
    }
    ferry
        .store
        .delete_system(&caller.tenant, &system.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's system, or 404 (also for another tenant's id).
pub async fn load(ferry: &Ferry, caller: &Caller, id: &str) -> Result<System, ApiError> {
    let id: SystemId = validate::id("system", id)?;
    ferry
        .store
        .get_system(&caller.tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("system"))
}

fn open(ferry: &Ferry, system: &System) -> Result<Credentials, ApiError> {
    ferry.sealer.open(&system.credentials).map_err(|e| {
        tracing::error!(error = %e, "stored credentials unreadable");
        ApiError::unavailable("the stored credentials cannot be read; replace them")
    })
}

/// The connector for the kind must accept the configuration and credentials;
/// its error names the field.
fn check_configuration(
    ferry: &Ferry,
    system: &System,
    credentials: &Credentials,
) -> Result<(), ApiError> {
    let checked = if system.kind.is_source() {
        ferry.connectors.source(system, credentials).map(|_| ())
    } else {
        ferry.connectors.target(system, credentials).map(|_| ())
    };
    checked.map_err(|e| ApiError::invalid(e.field.clone(), e.message))
}
