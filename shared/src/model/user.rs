//! A tenant's user, and what decides which of their ways in still count:
//! the token generation (moved on by signing out everywhere) and the one
//! sign-in link that may still be exchanged. A user is changed by
//! compare-and-swap on `version`; each change below answers the next record
//! (`version + 1`), to be saved only over the one it was made from.

use super::ids::{TenantId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Viewer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub tenant: TenantId,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    /// Every dashboard token names the generation it was issued in; signing
    /// out everywhere moves it on, and a token of another generation is
    /// refused. (Users saved before it existed are at generation 0.)
    #[serde(default)]
    pub token_generation: u64,
    /// The id of the one sign-in link that may still be exchanged for a
    /// token; `None` once it is used, replaced or signed out.
    #[serde(default)]
    pub sign_in_code: Option<String>,
    /// The id of the last exchange of a sign-in link: an exchange whose
    /// write was stored but whose answer was lost recognises its own write.
    #[serde(default)]
    pub last_exchange: Option<String>,
    /// Changes so far (0: never changed since it was made).
    #[serde(default)]
    pub version: u64,
}

/// A sign-in link that may no longer be exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "this sign-in link was already used, or replaced by a newer one; \
     ask an admin of your team to send you a new one"
)]
pub struct SignInRefused;

impl User {
    /// A new user: generation 0, no sign-in link yet.
    pub fn new(tenant: TenantId, email: impl Into<String>, role: Role, now: DateTime<Utc>) -> User {
        User {
            id: UserId::generate(),
            tenant,
            email: email.into(),
            role,
            created_at: now,
            token_generation: 0,
            sign_in_code: None,
            last_exchange: None,
            version: 0,
        }
    }

    /// The user with a new sign-in link `code`; an earlier link stops working.
    pub fn with_sign_in_code(&self, code: &str) -> User {
        User {
            sign_in_code: Some(code.to_owned()),
            ..self.next()
        }
    }

    /// The user after exchange `exchange` used sign-in link `code`: the link
    /// is spent. Refused for any link but the user's one unused link.
    pub fn exchange_sign_in_code(&self, code: &str, exchange: &str) -> Result<User, SignInRefused> {
        if self.sign_in_code.as_deref() != Some(code) {
            return Err(SignInRefused);
        }
        Ok(User {
            sign_in_code: None,
            last_exchange: Some(exchange.to_owned()),
            ..self.next()
        })
    }

    /// The user signed out everywhere: every token issued so far and any
    /// unused sign-in link stop working.
    pub fn signed_out_everywhere(&self) -> User {
        let next = self.next();
        User {
            token_generation: next.token_generation.saturating_add(1),
            sign_in_code: None,
            ..next
        }
    }

    /// The user with another role (counts from their next request).
    pub fn with_role(&self, role: Role) -> User {
        User {
            role,
            ..self.next()
        }
    }

    fn next(&self) -> User {
        User {
            version: self.version.saturating_add(1),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann() -> User {
        User::new(
            TenantId::generate(),
            "ann@example.com",
            Role::Viewer,
            Utc::now(),
        )
    }

    #[test]
    fn a_sign_in_link_is_exchanged_once() {
        let invited = ann().with_sign_in_code("c1");
        let signed_in = invited.exchange_sign_in_code("c1", "x1").unwrap();
        assert_eq!(signed_in.sign_in_code, None);
        assert_eq!(signed_in.last_exchange.as_deref(), Some("x1"));
        assert_eq!(signed_in.version, invited.version + 1);
        assert_eq!(
            signed_in.exchange_sign_in_code("c1", "x2"),
            Err(SignInRefused)
        );
    }

    #[test]
    fn a_newer_link_replaces_the_older_one() {
        let user = ann().with_sign_in_code("c1").with_sign_in_code("c2");
        assert_eq!(user.exchange_sign_in_code("c1", "x"), Err(SignInRefused));
        assert!(user.exchange_sign_in_code("c2", "x").is_ok());
    }

    #[test]
    fn signing_out_everywhere_moves_the_generation_and_spends_the_link() {
        let user = ann().with_sign_in_code("c1");
        let out = user.signed_out_everywhere();
        assert_eq!(out.token_generation, user.token_generation + 1);
        assert_eq!(out.exchange_sign_in_code("c1", "x"), Err(SignInRefused));
        assert_eq!(out.version, user.version + 1);
    }
}
