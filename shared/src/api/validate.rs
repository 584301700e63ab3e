//! Small field checks shared by the handlers; each error names its field.

use super::error::ApiError;

/// A display name: 1 to 200 characters after trimming.
pub fn name(field: &str, value: &str) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        return Err(ApiError::invalid(
            field,
            format!("{field} must be 1 to 200 characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// A plausible email address (something@domain.tld).
pub fn email(field: &str, value: &str) -> Result<String, ApiError> {
    let trimmed = value.trim();
    let ok = trimmed.len() <= 254
        && trimmed.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !trimmed.chars().any(char::is_whitespace)
        });
    if !ok {
        return Err(ApiError::invalid(
            field,
            format!("'{trimmed}' is not an email address"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// An id from a path or body; a malformed one is simply not found.
pub fn id<T: std::str::FromStr>(what: &str, value: &str) -> Result<T, ApiError> {
    value.parse().map_err(|_| ApiError::not_found(what))
}
