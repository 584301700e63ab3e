//! Bearer tokens. Tenant users carry signed JWTs (see [`super::jwt`]) for
//! the audience `ferry-dashboard`, with their tenant, role and token
//! generation inside; the tenant of every request comes from the token,
//! never from the URL or the body. A token of an older generation than the
//! user's (they signed out everywhere since) is refused. The platform
//! operator has a static token.

use super::error::ApiError;
use super::jwt::{self, Expiring, Refused};
use crate::app::Ferry;
use crate::model::{Role, TenantId, User, UserId};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// How long a dashboard token is valid.
const TOKEN_DAYS: i64 = 30;
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
    /// The user's token generation when it was issued (0 in tokens issued
    /// before generations existed).
    #[serde(default)]
    generation: u64,
}

impl Expiring for Claims {
    fn expires_at(&self) -> i64 {
        self.exp
    }
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

/// A dashboard token for `user`, in their current token generation.
pub fn issue_token(ferry: &Ferry, user: &User) -> String {
    let now = ferry.clock.now().timestamp();
    jwt::sign(
        ferry,
        &Claims {
            iss: jwt::ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user.id.to_string(),
            tenant: user.tenant.to_string(),
            role: user.role,
            iat: now,
            exp: now + TOKEN_DAYS * 24 * 3600,
            generation: user.token_generation,
        },
    )
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

/// A dashboard token's tenant, user and generation, once its signature,
/// issuer, audience and expiry are checked.
fn verify_token(ferry: &Ferry, token: &str) -> Result<(Caller, u64), ApiError> {
    let claims: Claims = jwt::check(ferry, token, AUDIENCE).map_err(|refused| match refused {
        Refused::Invalid => ApiError::unauthorized("the token is invalid"),
        Refused::Expired => ApiError::unauthorized("the token has expired; sign in again"),
    })?;
    let tenant = TenantId::parse(&claims.tenant)
        .map_err(|_| ApiError::unauthorized("the token is invalid"))?;
    let user =
        UserId::parse(&claims.sub).map_err(|_| ApiError::unauthorized("the token is invalid"))?;
    let caller = Caller {
        tenant,
        user,
        role: claims.role,
    };
    Ok((caller, claims.generation))
}

/// Who is calling: the token's tenant and user, with the role the user has
/// now (a removed user's token stops working at once; a changed role counts
/// from the next request; so does signing out everywhere).
pub async fn authenticate(ferry: &Ferry, parts: &Parts) -> Result<Caller, ApiError> {
    let (claimed, generation) = verify_token(ferry, bearer(parts)?)?;
    let user = ferry
        .store
        .get_user(&claimed.tenant, &claimed.user)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the token is invalid; sign in again"))?;
    if user.token_generation != generation {
        return Err(ApiError::unauthorized(
            "you signed out everywhere after this token was issued; \
             sign in again with the link emailed to you",
        ));
    }
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
