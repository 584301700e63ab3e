//! Configuration from the environment, read once at start. A missing or bad
//! variable is one clear line naming it, never a panic backtrace.

use crate::seal::Sealer;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not set: {hint}")]
    Missing {
        name: &'static str,
        hint: &'static str,
    },
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A required variable.
pub fn required(name: &'static str, hint: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing { name, hint }),
    }
}

/// An optional variable (unset or empty → `None`).
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The sealing key from `FERRY_SEAL_KEY`.
pub fn sealer_from_env() -> Result<Sealer, ConfigError> {
    let key = required(
        "FERRY_SEAL_KEY",
        "set it to 32 random bytes in base64 (e.g. `openssl rand -base64 32`)",
    )?;
    Sealer::from_base64(&key).map_err(|e| ConfigError::Invalid {
        name: "FERRY_SEAL_KEY",
        reason: e.to_string(),
    })
}

/// The dashboard token key from `FERRY_JWT_KEY` (any secret text, at least 32 bytes).
pub fn jwt_key_from_env() -> Result<Vec<u8>, ConfigError> {
    let key = required(
        "FERRY_JWT_KEY",
        "set it to a random secret of at least 32 characters",
    )?;
    if key.len() < 32 {
        return Err(ConfigError::Invalid {
            name: "FERRY_JWT_KEY",
            reason: "use at least 32 characters".into(),
        });
    }
    Ok(key.into_bytes())
}

/// The platform operator's token from `FERRY_OPERATOR_TOKEN`, if set. It
/// may create tenants, so on AWS a guessable one is refused at start.
pub fn operator_token_from_env() -> Result<Option<String>, ConfigError> {
    operator_token(optional("FERRY_OPERATOR_TOKEN"))
}

/// At least this many characters: as strong as the dashboard token key.
pub const OPERATOR_TOKEN_MIN: usize = 32;

fn operator_token(value: Option<String>) -> Result<Option<String>, ConfigError> {
    match value {
        Some(token) if token.trim().chars().count() < OPERATOR_TOKEN_MIN => {
            Err(ConfigError::Invalid {
                name: "FERRY_OPERATOR_TOKEN",
                reason: format!(
                    "use at least {OPERATOR_TOKEN_MIN} random characters (e.g. `openssl rand -base64 32`)"
                ),
            })
        }
        other => Ok(other.map(|t| t.trim().to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_operator_token_is_refused() {
        assert!(operator_token(Some("secret".into())).is_err());
        assert!(operator_token(Some(" ".repeat(40))).is_err());
        let long = "k".repeat(OPERATOR_TOKEN_MIN);
        assert_eq!(operator_token(Some(long.clone())).unwrap(), Some(long));
        assert_eq!(operator_token(None).unwrap(), None);
    }

    #[test]
    fn missing_variable_names_itself() {
        let err = required("FERRY_TEST_SURELY_UNSET_VARIABLE", "set it").unwrap_err();
        assert_eq!(
            err.to_string(),
            "FERRY_TEST_SURELY_UNSET_VARIABLE is not set: set it"
        );
    }
}
