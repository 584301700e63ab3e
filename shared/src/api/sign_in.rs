//! Sign-in links and signing out everywhere.
//!
//! An invitation emails a link `<dashboard>/#signin=<code>`. The code is a
//! JWT for the audience `ferry-sign-in` (so it is no dashboard token, and a
//! dashboard token is no code) naming the user and the link's own id, valid
//! for [`LINK_DAYS`] days. It opens nothing by itself: the dashboard
//! exchanges it at `POST /api/v1/sign-in` for a dashboard token, once. The
//! user record holds the id of the one link that may still be exchanged;
//! the exchange spends it by compare-and-swap, so of two exchanges of one
//! link exactly one wins. Whoever invites never sees the code or the token.
//!
//! `POST /api/v1/sign-out-everywhere` moves the caller's token generation
//! on: every token they hold, this one too, stops working, and a new link
//! is emailed to them as the way back in.

use super::auth::{issue_token, Caller};
use super::body::ValidJson;
use super::error::{ApiError, ErrorBody};
use super::jwt::{self, Expiring, Refused};
use super::user_change::change_user;
use crate::app::Ferry;
use crate::mail::Email;
use crate::model::{Role, TenantId, User, UserId};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

/// How long a sign-in link may be exchanged.
pub const LINK_DAYS: i64 = 7;
/// What a sign-in code is for: being exchanged for a dashboard token.
const AUDIENCE: &str = "ferry-sign-in";

#[derive(Debug, Serialize, Deserialize)]
struct CodeClaims {
    iss: String,
    aud: String,
    sub: String,
    tenant: String,
    /// The link's id, kept on the user while it may be exchanged.
    jti: String,
    iat: i64,
    exp: i64,
}

impl Expiring for CodeClaims {
    fn expires_at(&self) -> i64 {
        self.exp
    }
}

/// A new id for a sign-in link (or an exchange).
pub fn new_link_id() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}

/// The sign-in link for the user's unused link id, if they have one.
fn link(ferry: &Ferry, user: &User) -> Option<String> {
    let id = user.sign_in_code.as_deref()?;
    let now = ferry.clock.now().timestamp();
    let code = jwt::sign(
        ferry,
        &CodeClaims {
            iss: jwt::ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user.id.to_string(),
            tenant: user.tenant.to_string(),
            jti: id.to_owned(),
            iat: now,
            exp: now + LINK_DAYS * 24 * 3600,
        },
    );
    Some(format!(
        "{}/#signin={code}",
        ferry.public_url.trim_end_matches('/')
    ))
}

/// Why a sign-in link is emailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkReason {
    /// A new user, or an admin sent a new link.
    Invited,
    /// The user signed out everywhere.
    SignedOut,
}

/// Emails the user's sign-in link; `false` (and a warning in the log) when
/// it could not be sent or the user has no unused link.
pub async fn send_link(ferry: &Ferry, user: &User, reason: LinkReason) -> bool {
    let Some(link) = link(ferry, user) else {
        return false;
    };
    let (subject, opening) = match reason {
        LinkReason::Invited => {
            let role = match user.role {
                Role::Admin => "an admin",
                Role::Viewer => "a viewer (you can look, not change)",
            };
            (
                "You are invited to Ferry",
                format!("You have been invited to Ferry as {role}."),
            )
        }
        LinkReason::SignedOut => (
            "You signed out of Ferry everywhere",
            "You signed out of Ferry on every device. Use this link to sign in again.".to_owned(),
        ),
    };
    let rule =
        format!("The link works once, for {LINK_DAYS} days, and is personal: do not forward it.");
    let email = Email {
        from: ferry.mail_from.clone(),
        to: vec![user.email.clone()],
        subject: subject.into(),
        html: format!("<p>{opening}</p><p><a href=\"{link}\">Sign in</a></p><p>{rule}</p>"),
        text: format!("{opening}\n\nSign in here: {link}\n\n{rule}\n"),
    };
    match ferry.mailer.send(&email).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "sign-in link not sent");
            false
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInCode {
    /// The code after `#signin=` in the emailed link.
    pub code: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    /// A dashboard token: send it as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Exchanges a sign-in link's code, once, for a dashboard token.
#[utoipa::path(post, path = "/api/v1/sign-in", tag = "users", request_body = SignInCode,
    security(()),
    responses((status = 200, body = SignedIn), (status = "4XX", body = ErrorBody)))]
pub async fn exchange(
    State(ferry): State<Ferry>,
    ValidJson(body): ValidJson<SignInCode>,
) -> Result<Json<SignedIn>, ApiError> {
    let claims: CodeClaims =
        jwt::check(&ferry, body.code.trim(), AUDIENCE).map_err(|refused| match refused {
            Refused::Invalid => {
                ApiError::unauthorized("this is not a valid sign-in link; copy the whole link")
            }
            Refused::Expired => ApiError::unauthorized(
                "this sign-in link has expired; ask an admin of your team to send you a new one",
            ),
        })?;
    let gone = || ApiError::unauthorized("this sign-in link belongs to no user any more");
    let tenant = TenantId::parse(&claims.tenant).map_err(|_| gone())?;
    let user = UserId::parse(&claims.sub).map_err(|_| gone())?;
    let exchange = new_link_id();
    let signed_in = change_user(&ferry, &tenant, &user, |stored| {
        stored
            .exchange_sign_in_code(&claims.jti, &exchange)
            .map_err(|refused| ApiError::unauthorized(refused.to_string()))
    })
    .await?
    .ok_or_else(gone)?;
    Ok(Json(SignedIn {
        token: issue_token(&ferry, &signed_in),
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedOut {
    /// Whether a new sign-in link was emailed to the user.
    pub sign_in_link_sent: bool,
}

/// Signs the caller out everywhere: every token they hold stops working at
/// once (this one too); a new sign-in link is emailed to them. Viewers may
/// do it as well.
#[utoipa::path(post, path = "/api/v1/sign-out-everywhere", tag = "users",
    responses((status = 200, body = SignedOut), (status = "4XX", body = ErrorBody)))]
pub async fn sign_out_everywhere(
    State(ferry): State<Ferry>,
    caller: Caller,
) -> Result<Json<SignedOut>, ApiError> {
    let link_id = new_link_id();
    let user = change_user(&ferry, &caller.tenant, &caller.user, |stored| {
        Ok(stored.signed_out_everywhere().with_sign_in_code(&link_id))
    })
    .await?
    .ok_or_else(|| ApiError::unauthorized("the token is invalid; sign in again"))?;
    let sign_in_link_sent = send_link(&ferry, &user, LinkReason::SignedOut).await;
    Ok(Json(SignedOut { sign_in_link_sent }))
}
