//! `/clients` and `/warehouses`: the names a tenant's systems and
//! connections may be scoped to. A system or connection without a client is
//! global (tenant-wide). A name in use cannot be removed.

use super::auth::Caller;
use super::body::ValidJson;
use super::error::{ApiError, ErrorBody};
use super::page::{self, PageQuery};
use super::query::ValidQuery;
use super::validate;
use super::views::List;
use crate::app::Ferry;
use crate::model::Directory;
use crate::store::StoreError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

/// Which list of names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Client,
    Warehouse,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Warehouse => "warehouse",
        }
    }

    fn names(self, directory: &Directory) -> &Vec<String> {
        match self {
            Kind::Client => &directory.clients,
            Kind::Warehouse => &directory.warehouses,
        }
    }

    fn names_mut(self, directory: &mut Directory) -> &mut Vec<String> {
        match self {
            Kind::Client => &mut directory.clients,
            Kind::Warehouse => &mut directory.warehouses,
        }
    }
}

/// A client or a warehouse, with how many systems and connections use it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScopeName {
    pub name: String,
    pub systems: usize,
    pub connections: usize,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScopeName {
    pub name: String,
}

/// Saves a change to the directory, re-reading it on a conflict.
async fn change(
    ferry: &Ferry,
    caller: &Caller,
    edit: impl Fn(&mut Directory) -> Result<(), ApiError>,
) -> Result<Directory, ApiError> {
    for _ in 0..8 {
        let before = ferry.store.get_directory(&caller.tenant).await?;
        let mut after = before.clone();
        edit(&mut after)?;
        after.version = before.version + 1;
        match ferry
            .store
            .put_directory(&caller.tenant, &after, before.version)
            .await
        {
            Ok(()) => return Ok(after),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "the list is changing right now; try again",
    ))
}

async fn list(
    ferry: &Ferry,
    caller: &Caller,
    kind: Kind,
    query: &PageQuery,
) -> Result<List<ScopeName>, ApiError> {
    let directory = ferry.store.get_directory(&caller.tenant).await?;
    let systems = ferry.store.list_systems(&caller.tenant).await?;
    let connections = ferry.store.list_connections(&caller.tenant).await?;
    let mut names = kind.names(&directory).clone();
    names.sort();
    let views = names
        .into_iter()
        .map(|name| {
            let uses = |scope: &crate::model::Scope| match kind {
                Kind::Client => scope.client.as_deref() == Some(name.as_str()),
                Kind::Warehouse => scope.warehouse.as_deref() == Some(name.as_str()),
            };
            ScopeName {
                systems: systems.iter().filter(|s| uses(&s.scope)).count(),
                connections: connections.iter().filter(|c| uses(&c.scope)).count(),
                name,
            }
        })
        .collect();
    page::paginate(views, query.cursor.as_deref(), query.limit, |n| {
        n.name.clone()
    })
}

async fn add(
    ferry: &Ferry,
    caller: &Caller,
    kind: Kind,
    body: NewScopeName,
) -> Result<ScopeName, ApiError> {
    let name = validate::name("name", &body.name)?;
    change(ferry, caller, |directory| {
        let names = kind.names_mut(directory);
        if names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            return Err(ApiError {
                field: Some("name".into()),
                ..ApiError::conflict(format!("there is already a {} '{name}'", kind.word()))
            });
        }
        names.push(name.clone());
        Ok(())
    })
    .await?;
    Ok(ScopeName {
        name,
        systems: 0,
        connections: 0,
    })
}

async fn remove(ferry: &Ferry, caller: &Caller, kind: Kind, name: &str) -> Result<(), ApiError> {
    let directory = ferry.store.get_directory(&caller.tenant).await?;
    if !kind.names(&directory).iter().any(|n| n == name) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no {} with this name", kind.word()),
        ));
    }
    let in_use = |scope: &crate::model::Scope| match kind {
        Kind::Client => scope.client.as_deref() == Some(name),
        Kind::Warehouse => scope.warehouse.as_deref() == Some(name),
    };
    let mut users: Vec<String> = ferry
        .store
        .list_systems(&caller.tenant)
        .await?
        .into_iter()
        .filter(|s| in_use(&s.scope))
        .map(|s| format!("system '{}'", s.name))
        .collect();
    users.extend(
        ferry
            .store
            .list_connections(&caller.tenant)
            .await?
            .into_iter()
            .filter(|c| in_use(&c.scope))
            .map(|c| format!("connection '{}'", c.name)),
    );
    if !users.is_empty() {
        return Err(ApiError::conflict(format!(
            "{} '{name}' is used by {}; move or remove them first",
            kind.word(),
            users.join(", ")
        )));
    }
    change(ferry, caller, |directory| {
        kind.names_mut(directory).retain(|n| n != name);
        Ok(())
    })
    .await?;
    Ok(())
}

/// Checks that a system's or connection's client and warehouse are the
/// tenant's own names; the error names the field.
pub async fn check(
    ferry: &Ferry,
    caller: &Caller,
    client: Option<&str>,
    warehouse: Option<&str>,
) -> Result<(), ApiError> {
    if client.is_none() && warehouse.is_none() {
        return Ok(());
    }
    let directory = ferry.store.get_directory(&caller.tenant).await?;
    for (kind, value) in [(Kind::Client, client), (Kind::Warehouse, warehouse)] {
        if let Some(value) = value {
            if !kind.names(&directory).iter().any(|n| n == value) {
                return Err(ApiError::invalid(
                    kind.word(),
                    format!(
                        "there is no {} '{value}'; add it under {}s first",
                        kind.word(),
                        kind.word()
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/clients", tag = "scopes", params(PageQuery),
    responses((status = 200, body = List<ScopeName>), (status = "4XX", body = ErrorBody)))]
pub async fn list_clients(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidQuery(query): ValidQuery<PageQuery>,
) -> Result<Json<List<ScopeName>>, ApiError> {
    Ok(Json(list(&ferry, &caller, Kind::Client, &query).await?))
}

#[utoipa::path(post, path = "/api/v1/clients", tag = "scopes", request_body = NewScopeName,
    responses((status = 201, body = ScopeName), (status = "4XX", body = ErrorBody)))]
pub async fn add_client(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(body): ValidJson<NewScopeName>,
) -> Result<(StatusCode, Json<ScopeName>), ApiError> {
    let added = add(&ferry, &caller, Kind::Client, body).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[utoipa::path(delete, path = "/api/v1/clients/{name}", tag = "scopes",
    params(("name" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove_client(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    remove(&ferry, &caller, Kind::Client, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/warehouses", tag = "scopes", params(PageQuery),
    responses((status = 200, body = List<ScopeName>), (status = "4XX", body = ErrorBody)))]
pub async fn list_warehouses(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidQuery(query): ValidQuery<PageQuery>,
) -> Result<Json<List<ScopeName>>, ApiError> {
    Ok(Json(list(&ferry, &caller, Kind::Warehouse, &query).await?))
}

#[utoipa::path(post, path = "/api/v1/warehouses", tag = "scopes", request_body = NewScopeName,
    responses((status = 201, body = ScopeName), (status = "4XX", body = ErrorBody)))]
pub async fn add_warehouse(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(body): ValidJson<NewScopeName>,
) -> Result<(StatusCode, Json<ScopeName>), ApiError> {
    let added = add(&ferry, &caller, Kind::Warehouse, body).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[utoipa::path(delete, path = "/api/v1/warehouses/{name}", tag = "scopes",
    params(("name" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove_warehouse(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    remove(&ferry, &caller, Kind::Warehouse, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
