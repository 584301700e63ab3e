//! `POST /api/v1/tenants`: the operator creates a tenant and its first admin.

use super::auth::{issue_token, Operator};
use super::body::ValidJson;
use super::error::ApiError;
use crate::app::Ferry;
use crate::model::{Role, Tenant, TenantId, User};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedTenant {
    pub id: String,
    pub token: String,
}

/// The platform operator creates a tenant and its first admin; answers a
/// token for that admin.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", request_body = NewTenant,
    security(("operator" = [])),
    responses((status = 201, body = CreatedTenant), (status = "4XX", body = super::error::ErrorBody)))]
pub async fn create(
    State(ferry): State<Ferry>,
    _operator: Operator,
    ValidJson(body): ValidJson<NewTenant>,
) -> Result<(StatusCode, Json<CreatedTenant>), ApiError> {
    let name = super::validate::name("name", &body.name)?;
    let email = super::validate::email("email", &body.email)?;
    let created = create_tenant(&ferry, &name, &email).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Creates a tenant with its first admin user and a token for that user.
pub async fn create_tenant(
    ferry: &Ferry,
    name: &str,
    email: &str,
) -> Result<CreatedTenant, ApiError> {
    let now = ferry.clock.now();
    let tenant = Tenant {
        id: TenantId::generate(),
        name: name.to_owned(),
        email: email.to_owned(),
        time_zone: "UTC".into(),
        created_at: now,
    };
    ferry.store.create_tenant(&tenant).await?;
    let user = User::new(tenant.id.clone(), email, Role::Admin, now);
    ferry.store.put_user(&user).await?;
    Ok(CreatedTenant {
        id: tenant.id.to_string(),
        token: issue_token(ferry, &user),
    })
}
