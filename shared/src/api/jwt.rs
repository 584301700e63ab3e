//! Ferry's signed tokens: JWTs (HS256 with `Ferry::jwt_key`) that name who
//! issued them (`iss` = ferry) and what they are for (`aud`). Both are
//! checked on every use, so a token made for one purpose (a sign-in link)
//! is refused for another (the dashboard API), and the other way round.
//! Expiry is checked against Ferry's clock (settable in tests).

use crate::app::Ferry;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Who issues Ferry's tokens.
pub const ISSUER: &str = "ferry";

/// Claims that say when they stop counting (`exp`, seconds since 1970).
pub trait Expiring {
    fn expires_at(&self) -> i64;
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not signed by Ferry, not for this purpose, or not readable.
    Invalid,
    Expired,
}

/// Signs `claims` (which carry `iss`, `aud`, `sub` and `exp`).
pub fn sign<C: Serialize>(ferry: &Ferry, claims: &C) -> String {
    // HS256 over claims that always serialise: encoding cannot fail.
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(&ferry.jwt_key),
    )
    .unwrap_or_default()
}

/// The claims of `token` if Ferry signed it for `audience` and it has not
/// expired.
pub fn check<C: DeserializeOwned + Expiring>(
    ferry: &Ferry,
    token: &str,
    audience: &str,
) -> Result<C, Refused> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    validation.validate_exp = false; // checked below against Ferry's clock
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = decode::<C>(
        token,
        &DecodingKey::from_secret(&ferry.jwt_key),
        &validation,
    )
    .map_err(|_| Refused::Invalid)?;
    if data.claims.expires_at() <= ferry.clock.now().timestamp() {
        return Err(Refused::Expired);
    }
    Ok(data.claims)
}
