//! Bearer tokens. Tenant users carry signed JWTs (HS256) with their tenant
//! and role inside; the tenant of every request comes from the token, never
//! from the URL or the body. Each token names who issued it (`iss`) and what
//! it is for (`aud`): a JWT signed with the same key for anything else is
//! refused. The platform operator has a static token.

use super::error::ApiError;
use crate::app::Ferry;
use crate::model::{Role, TenantId, UserId};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// How long a dashboard token is valid.
const TOKEN_DAYS: i64 = 30;
/// Who issues dashboard tokens.
const ISSUER: &str = "ferry";
/// What a dashboard token is for: the dashboard API.
const AUDIENCE: &str = "ferry-dashboard";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    tenant: String,
    role: Role,
    exp: i64,
    iat: i64,
}

/// A signed-in tenant user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: TenantId,
    pub user: UserId,
    pub role: Role,
}

/// The platform operator (may create tenants).
#[derive(Debug, Clone, Copy)]
pub struct Operator;

/// A token for a tenant user.
pub fn issue_token(ferry: &Ferry, tenant: &TenantId, user: &UserId, role: Role) -> String {
    let now = ferry.clock.now().timestamp();
    let claims = Claims {
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        sub: user.to_string(),
        tenant: tenant.to_string(),
        role,
        iat: now,
        exp: now + TOKEN_DAYS * 24 * 3600,
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&ferry.jwt_key),
    )
    .unwrap_or_default()
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
    value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))
}

/// Checks a tenant token's signature, expiry and contents.
pub fn verify_token(ferry: &Ferry, token: &str) -> Result<Caller, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    validation.validate_exp = false; // checked below against Ferry's clock
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = decode::<Claims>(
        token,
        &DecodingKey::from_secret(&ferry.jwt_key),
        &validation,
    )
    .map_err(|_| ApiError::unauthorized("the token is invalid"))?;
    if data.claims.exp <= ferry.clock.now().timestamp() {
        return Err(ApiError::unauthorized(
            "the token has expired; sign in again",
        ));
    }
    let tenant = TenantId::parse(&data.claims.tenant)
        .map_err(|_| ApiError::unauthorized("the token is invalid"))?;
    let user = UserId::parse(&data.claims.sub)
        .map_err(|_| ApiError::unauthorized("the token is invalid"))?;
    Ok(Caller {
        tenant,
        user,
        role: data.claims.role,
    })
}

/// Who is calling: the token's tenant and user, with the role the user has
/// now (a removed user's token stops working at once; a changed role counts
/// from the next request).
pub async fn authenticate(ferry: &Ferry, parts: &Parts) -> Result<Caller, ApiError> {
    let claimed = verify_token(ferry, bearer(parts)?)?;
    let user = ferry
        .store
        .get_user(&claimed.tenant, &claimed.user)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the token is invalid; sign in again"))?;
    Ok(Caller {
        role: user.role,
        ..claimed
    })
}

/// The one rule on roles, in front of every tenant route: the caller is
/// authenticated once, and a viewer may read but never write (any method
/// other than GET, HEAD or OPTIONS answers 403 before a handler runs).
pub async fn guard(State(ferry): State<Ferry>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match authenticate(&ferry, &parts).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    if caller.role == Role::Viewer && !parts.method.is_safe() {
        return ApiError::forbidden("viewers cannot change anything; ask an admin").into_response();
    }
    parts.extensions.insert(caller);
    next.run(Request::from_parts(parts, body)).await
}

impl FromRequestParts<Ferry> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ferry: &Ferry) -> Result<Self, Self::Rejection> {
        // Set by `guard`; authenticated here only on a route without it.
        match parts.extensions.get::<Caller>() {
            Some(caller) => Ok(caller.clone()),
            None => authenticate(ferry, parts).await,
        }
    }
}

impl FromRequestParts<Ferry> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ferry: &Ferry) -> Result<Self, Self::Rejection> {
        use subtle::ConstantTimeEq;
        let token = bearer(parts)?;
        match &ferry.operator_token {
            Some(expected) if bool::from(expected.as_bytes().ct_eq(token.as_bytes())) => {
                Ok(Operator)
            }
            _ => Err(ApiError::unauthorized(
                "only the platform operator may do this",
            )),
        }
    }
}
