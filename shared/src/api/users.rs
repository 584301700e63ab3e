//! `/users`: the people of a tenant. Admins invite users by email (the
//! invitation carries a one-time sign-in link, see [`super::sign_in`]; the
//! admin never sees it), send a new link, change roles and remove users; a
//! tenant always keeps at least one admin. Every change of a user goes
//! through [`change_user`].

use super::auth::Caller;
use super::body::ValidJson;
use super::error::{ApiError, ErrorBody};
use super::page::{self, PageQuery};
use super::sign_in::{new_link_id, send_link, LinkReason};
use super::user_change::change_user;
use super::validate;
use super::views::List;
use crate::app::Ferry;
use crate::model::{Role, User, UserId};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.clone(),
            role: u.role,
            created_at: u.created_at,
        }
    }
}

/// The answer to an invitation: the new user, and whether the email with
/// their sign-in link went out (the link itself is never in the answer).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitedUser {
    #[serde(flatten)]
    pub user: UserView,
    /// Whether the invitation email was sent.
    pub invitation_sent: bool,
}

/// The answer to sending a user a new sign-in link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationSent {
    /// Whether the email was sent.
    pub invitation_sent: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    pub email: String,
    /// `admin` or `viewer` (a viewer changes nothing); viewer by default.
    #[serde(default = "viewer")]
    pub role: Role,
}

fn viewer() -> Role {
    Role::Viewer
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChanges {
    pub role: Role,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageQuery),
    responses((status = 200, body = List<UserView>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(ferry): State<Ferry>,
    caller: Caller,
    query: super::query::ValidQuery<PageQuery>,
) -> Result<Json<List<UserView>>, ApiError> {
    let mut users = ferry.store.list_users(&caller.tenant).await?;
    users.sort_by(|a, b| a.id.cmp(&b.id));
    let views: Vec<UserView> = users.iter().map(UserView::from).collect();
    let q = query.0;
    Ok(Json(page::paginate(
        views,
        q.cursor.as_deref(),
        q.limit,
        |u| u.id.clone(),
    )?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = Invitation,
    responses((status = 201, body = InvitedUser), (status = "4XX", body = ErrorBody)))]
pub async fn invite(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(body): ValidJson<Invitation>,
) -> Result<(StatusCode, Json<InvitedUser>), ApiError> {
    let email = validate::email("email", &body.email)?;
    let users = ferry.store.list_users(&caller.tenant).await?;
    if users.iter().any(|u| u.email.eq_ignore_ascii_case(&email)) {
        return Err(ApiError {
            field: Some("email".into()),
            ..ApiError::conflict(format!("{email} is already a user"))
        });
    }
    let user = User::new(caller.tenant.clone(), email, body.role, ferry.clock.now())
        .with_sign_in_code(&new_link_id());
    ferry.store.put_user(&user).await?;
    let invitation_sent = send_link(&ferry, &user, LinkReason::Invited).await;
    Ok((
        StatusCode::CREATED,
        Json(InvitedUser {
            user: UserView::from(&user),
            invitation_sent,
        }),
    ))
}

/// Emails the user a new sign-in link; their earlier link stops working.
#[utoipa::path(post, path = "/api/v1/users/{id}/invitation", tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, body = InvitationSent), (status = "4XX", body = ErrorBody)))]
pub async fn send_invitation(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InvitationSent>, ApiError> {
    let id: UserId = validate::id("user", &id)?;
    let link_id = new_link_id();
    let user = change_user(&ferry, &caller.tenant, &id, |stored| {
        Ok(stored.with_sign_in_code(&link_id))
    })
    .await?
    .ok_or_else(|| ApiError::not_found("user"))?;
    let invitation_sent = send_link(&ferry, &user, LinkReason::Invited).await;
    Ok(Json(InvitationSent { invitation_sent }))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserView), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(UserView::from(&load(&ferry, &caller, &id).await?)))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    request_body = UserChanges,
    responses((status = 200, body = UserView), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(changes): ValidJson<UserChanges>,
) -> Result<Json<UserView>, ApiError> {
    let user = load(&ferry, &caller, &id).await?;
    if user.role == Role::Admin && changes.role != Role::Admin {
        keep_an_admin(&ferry, &caller, &user).await?;
    }
    let changed = change_user(&ferry, &caller.tenant, &user.id, |stored| {
        Ok(stored.with_role(changes.role))
    })
    .await?
    .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(UserView::from(&changed)))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = load(&ferry, &caller, &id).await?;
    if user.role == Role::Admin {
        keep_an_admin(&ferry, &caller, &user).await?;
    }
    ferry.store.delete_user(&caller.tenant, &user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's user, or 404 (also for another tenant's id).
async fn load(ferry: &Ferry, caller: &Caller, id: &str) -> Result<User, ApiError> {
    let id: UserId = validate::id("user", id)?;
    ferry
        .store
        .get_user(&caller.tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

/// Refuses to take away the tenant's last admin.
async fn keep_an_admin(ferry: &Ferry, caller: &Caller, leaving: &User) -> Result<(), ApiError> {
    let admins = ferry
        .store
        .list_users(&caller.tenant)
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Admin && u.id != leaving.id)
        .count();
    if admins == 0 {
        return Err(ApiError::conflict(format!(
            "{} is the only admin; make another user admin first",
            leaving.email
        )));
    }
    Ok(())
}
