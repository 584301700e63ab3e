//! Systems: the shops and ledgers a tenant adds.

use super::auth::Caller;
use super::body::ValidJson;
use super::error::{ApiError, ErrorBody};
use super::query::ValidQuery;
use super::views::{List, ScopeFilter, SyncOutcome, SystemView};
use super::{page, scopes, validate};
use crate::app::Ferry;
use crate::model::{CredentialHealth, HealthStatus, Scope, System, SystemId, SystemKind};
use crate::seal::{Credentials, SealedCredentials};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSystem {
    pub kind: SystemKind,
    pub name: String,
    /// Kind-specific settings (CONTRACT.md): `shop_domain`, `base_url`...
    /// A ledger (e-conomic, Fortnox) also takes `rounding_product` (the
    /// VAT-free product or article number a rounding line is booked on,
    /// default `"rounding"`), `rounding_limit` (a decimal string, default
    /// `"1.00"`, in the order's currency: above it the document stays a
    /// draft and the transfer fails) and `gift_card_product` (default
    /// `"giftcard"`); e-conomic also `rounding_product_group_number` and
    /// `gift_card_product_group_number` (the VAT-free groups Ferry makes
    /// those products in when missing).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub config: serde_json::Map<String, serde_json::Value>,
    /// Secrets; sealed at rest and never answered.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
    /// One of the tenant's clients; none for a global system.
    pub client: Option<String>,
    /// One of the tenant's warehouses.
    pub warehouse: Option<String>,
}

/// Only the fields sent change; `null` clears a client or warehouse.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemChanges {
    pub name: Option<String>,
    /// Replaces the whole configuration. A new address (`base_url`,
    /// `shop_domain`) drops the stored credentials unless `credentials`
    /// comes with it: they were given for the old address.
    #[schema(value_type = Option<Object>)]
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
    /// Replaces the credentials (sealed at rest, never answered).
    pub credentials: Option<BTreeMap<String, String>>,
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "super::body::present")]
    pub client: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::body::present")]
    pub warehouse: Option<Option<String>>,
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SystemFilter {
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

#[utoipa::path(get, path = "/api/v1/systems", tag = "systems", params(SystemFilter),
    responses((status = 200, body = List<SystemView>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidQuery(filter): ValidQuery<SystemFilter>,
) -> Result<Json<List<SystemView>>, ApiError> {
    let mut systems = ferry.store.list_systems(&caller.tenant).await?;
    systems.sort_by(|a, b| a.id.cmp(&b.id));
    let q = filter.q.as_deref().map(str::to_lowercase);
    let items = systems
        .iter()
        .filter(|s| filter.scope.is_none_or(|scope| scope.matches(&s.scope)))
        .filter(|s| filter.client.is_none() || s.scope.client == filter.client)
        .filter(|s| filter.warehouse.is_none() || s.scope.warehouse == filter.warehouse)
        .filter(|s| q.as_ref().is_none_or(|q| s.name.to_lowercase().contains(q)))
        .map(SystemView::from)
        .collect();
    Ok(Json(page::paginate(
        items,
        filter.cursor.as_deref(),
        filter.limit,
        |s| s.id.clone(),
    )?))
}

#[utoipa::path(post, path = "/api/v1/systems", tag = "systems", request_body = NewSystem,
    responses((status = 201, body = SystemView), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(body): ValidJson<NewSystem>,
) -> Result<(StatusCode, Json<SystemView>), ApiError> {
    let name = validate::name("name", &body.name)?;
    scopes::check(
        &ferry,
        &caller,
        body.client.as_deref(),
        body.warehouse.as_deref(),
    )
    .await?;
    let now = ferry.clock.now();
    let credentials = Credentials(body.credentials);
    let mut system = System {
        id: SystemId::generate(),
        tenant: caller.tenant.clone(),
        kind: body.kind,
        name,
        config: body.config,
        credentials: SealedCredentials::default(),
        health: CredentialHealth::default(),
        scope: Scope {
            client: body.client,
            warehouse: body.warehouse,
        },
        active: true,
        created_at: now,
        updated_at: now,
    };
    check_configuration(&ferry, &system, &credentials, IN_CREDENTIALS)?;
    system.credentials = ferry.sealer.seal(&credentials, system.owner());
    ferry.store.put_system(&system).await?;
    Ok((StatusCode::CREATED, Json(SystemView::from(&system))))
}

#[utoipa::path(get, path = "/api/v1/systems/{id}", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = SystemView), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SystemView>, ApiError> {
    let system = load(&ferry, &caller, &id).await?;
    Ok(Json(SystemView::from(&system)))
}

#[utoipa::path(patch, path = "/api/v1/systems/{id}", tag = "systems", params(("id" = String, Path)),
    request_body = SystemChanges,
    responses((status = 200, body = SystemView), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(changes): ValidJson<SystemChanges>,
) -> Result<Json<SystemView>, ApiError> {
    let mut system = load(&ferry, &caller, &id).await?;
    if let Some(name) = changes.name {
        system.name = validate::name("name", &name)?;
    }
    let moved = changes
        .config
        .as_ref()
        .is_some_and(|config| system.moves_to(config));
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
    scopes::check(
        &ferry,
        &caller,
        system.scope.client.as_deref(),
        system.scope.warehouse.as_deref(),
    )
    .await?;
    match changes.credentials {
        Some(new) => {
            let credentials = Credentials(new);
            check_configuration(&ferry, &system, &credentials, IN_CREDENTIALS)?;
            system.credentials = ferry.sealer.seal(&credentials, system.owner());
            system.health = CredentialHealth::default();
        }
        None if moved => {
            // The old credentials only let the connector read the new
            // configuration (no call is made; with none left, only the
            // configuration is checked); then they are dropped, so they
            // never go to the new address.
            let old = open(&ferry, &system).unwrap_or_default();
            match check_configuration(&ferry, &system, &old, IN_CREDENTIALS) {
                Err(e)
                    if !e
                        .field
                        .as_deref()
                        .is_some_and(|f| f.starts_with(IN_CREDENTIALS)) =>
                {
                    return Err(e)
                }
                _ => {}
            }
            system.credentials = SealedCredentials::default();
            system.health = CredentialHealth {
                status: HealthStatus::Unhealthy,
                reason: Some(
                    "the address changed, so the credentials given for the old one were removed: \
                     enter the credentials for the new address"
                        .into(),
                ),
                checked_at: None,
            };
        }
        None => check_configuration(&ferry, &system, &open(&ferry, &system)?, IN_CREDENTIALS)?,
    }
    system.updated_at = ferry.clock.now();
    ferry.store.put_system(&system).await?;
    Ok(Json(SystemView::from(&system)))
}

/// `PUT /systems/{id}/credentials`: the body is the new credentials object.
#[utoipa::path(put, path = "/api/v1/systems/{id}/credentials", tag = "systems",
    params(("id" = String, Path)), request_body = BTreeMap<String, String>,
    responses((status = 200, body = SystemView), (status = "4XX", body = ErrorBody)))]
pub async fn replace_credentials(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<BTreeMap<String, String>>,
) -> Result<Json<SystemView>, ApiError> {
    let mut system = load(&ferry, &caller, &id).await?;
    let credentials = Credentials(body);
    check_configuration(&ferry, &system, &credentials, IN_BODY)?;
    system.credentials = ferry.sealer.seal(&credentials, system.owner());
    // New credentials are untested until the next check.
    system.health = CredentialHealth::default();
    system.updated_at = ferry.clock.now();
    ferry.store.put_system(&system).await?;
    Ok(Json(SystemView::from(&system)))
}

/// `POST /systems/{id}/test`: calls the system and stores the health.
#[utoipa::path(post, path = "/api/v1/systems/{id}/test", tag = "systems",
    params(("id" = String, Path)),
    responses((status = 200, body = SystemView), (status = "4XX", body = ErrorBody)))]
pub async fn test(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SystemView>, ApiError> {
    let system = load(&ferry, &caller, &id).await?;
    let checked = crate::health::check(&ferry, &system).await?;
    Ok(Json(SystemView::from(&checked.system)))
}

/// Removes a system; refused (409, with the reason) while active
/// connections use it.
#[utoipa::path(delete, path = "/api/v1/systems/{id}", tag = "systems", params(("id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
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

/// `POST /systems/{id}/disconnect`: switches the system off. Nothing is
/// delivered to it or polled from it until it is switched on again
/// (`PATCH {"active": true}`); its credentials stay.
#[utoipa::path(post, path = "/api/v1/systems/{id}/disconnect", tag = "systems",
    params(("id" = String, Path)),
    responses((status = 200, body = SystemView), (status = "4XX", body = ErrorBody)))]
pub async fn disconnect(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SystemView>, ApiError> {
    let mut system = load(&ferry, &caller, &id).await?;
    if system.active {
        system.active = false;
        system.updated_at = ferry.clock.now();
        ferry.store.put_system(&system).await?;
    }
    Ok(Json(SystemView::from(&system)))
}

/// What `POST /systems/{id}/sync` did: one poll per active connection
/// reading from the system.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SystemSync {
    #[schema(value_type = Vec<SyncOutcome>)]
    pub polls: Vec<crate::pipeline::poll::PollOutcome>,
}

/// `POST /systems/{id}/sync`: sync now, for every active connection whose
/// source is this system.
#[utoipa::path(post, path = "/api/v1/systems/{id}/sync", tag = "systems",
    params(("id" = String, Path)),
    responses((status = 200, body = SystemSync), (status = "4XX", body = ErrorBody)))]
pub async fn sync(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SystemSync>, ApiError> {
    let system = load(&ferry, &caller, &id).await?;
    if !system.kind.is_source() {
        return Err(ApiError::conflict(format!(
            "{} '{}' is a target; sync reads from a shop, so sync its shop instead",
            system.kind.display_name(),
            system.name
        )));
    }
    if !system.active {
        return Err(ApiError::conflict(format!(
            "'{}' is disconnected; switch it on before syncing",
            system.name
        )));
    }
    let mut polls = Vec::new();
    let mut connections = ferry.store.list_connections(&caller.tenant).await?;
    connections.sort_by(|a, b| a.id.cmp(&b.id));
    for connection in connections
        .iter()
        .filter(|c| c.active && c.source == system.id)
    {
        let outcome = crate::flows::poll(
            &ferry,
            connection,
            None,
            crate::pipeline::poll::Budget::default(),
        )
        .await?;
        polls.push(outcome);
    }
    Ok(Json(SystemSync { polls }))
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
    ferry
        .sealer
        .open(&system.credentials, system.owner())
        .map_err(|e| {
            tracing::error!(error = %e, "stored credentials unreadable");
            ApiError::unavailable("the stored credentials cannot be read; replace them")
        })
}

/// Where the credentials are in the request's body: under `credentials`
/// (creating or changing a system), or the body itself (replacing them).
const IN_CREDENTIALS: &str = "credentials.";
const IN_BODY: &str = "";

/// The connector for the kind must accept the configuration and credentials
/// (no call is made); its error names the field where the body has it:
/// `config.base_url`, `credentials.access_token`.
fn check_configuration(
    ferry: &Ferry,
    system: &System,
    credentials: &Credentials,
    credentials_at: &str,
) -> Result<(), ApiError> {
    let checked = if system.kind.is_source() {
        ferry.connectors.source(system, credentials).map(|_| ())
    } else {
        ferry.connectors.target(system, credentials).map(|_| ())
    };
    checked.map_err(|e| {
        let field = if e.field == "kind" {
            e.field.clone()
        } else if system.kind.credential_fields().contains(&e.field.as_str()) {
            format!("{credentials_at}{}", e.field)
        } else {
            format!("config.{}", e.field)
        };
        ApiError::invalid(field, e.message)
    })
}
