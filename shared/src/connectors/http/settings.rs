//! Reading a system's configuration and credentials, naming the field in
//! every error: text settings, whole numbers, secrets, and the secrets that
//! travel as a header. The base URL is read by [`crate::connectors::address`].

use crate::connectors::ConfigError;
use crate::model::System;
use crate::seal::Credentials;
use reqwest::header::HeaderValue;
use serde_json::Value;

/// Reads a system's configuration and credentials, naming the field in
/// every error.
pub struct Settings<'a> {
    pub system: &'a System,
}

impl Settings<'_> {
    pub fn error(&self, field: &str, message: &str) -> ConfigError {
        ConfigError {
            system: self.system.name.clone(),
            field: field.to_owned(),
            message: message.to_owned(),
        }
    }

    /// A text setting; absent, null and blank are all "not set".
    pub fn text(&self, field: &str) -> Result<Option<String>, ConfigError> {
        match self.system.config.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(trimmed(Some(text))),
            Some(_) => Err(self.error(field, &format!("{field} must be text"))),
        }
    }

    /// A currency code setting (three letters, upper-cased); `None` when
    /// unset.
    pub fn currency_code(&self, field: &str) -> Result<Option<String>, ConfigError> {
        let Some(code) = self.text(field)? else {
            return Ok(None);
        };
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(self.error(
                field,
                &format!("{field} must be a three-letter ISO 4217 currency code, like DKK"),
            ));
        }
        Ok(Some(code.to_uppercase()))
    }

    /// A required whole number (a JSON number or digits); `what` says what
    /// the number is of.
    pub fn whole_number(&self, field: &str, what: &str) -> Result<u64, ConfigError> {
        let number = match self.system.config.get(field) {
            None | Some(Value::Null) => {
                return Err(self.error(
                    field,
                    &format!("{field} is missing: set the number of {what}"),
                ))
            }
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(_) => None,
        };
        number.ok_or_else(|| {
            self.error(
                field,
                &format!("{field} must be a whole number: the number of {what}"),
            )
        })
    }

    /// An optional whole number (a JSON number or digits); absent or null
    /// is `None`.
    pub fn optional_whole_number(
        &self,
        field: &str,
        what: &str,
    ) -> Result<Option<u64>, ConfigError> {
        match self.system.config.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.whole_number(field, what).map(Some),
        }
    }

    /// A ledger system's `rounding_limit`: a decimal string (or number) of
    /// at least 0 with at most 2 decimals, in the order's currency;
    /// [`crate::mapping::rounding::DEFAULT_LIMIT`] when absent.
    pub fn rounding_limit(&self) -> Result<rust_decimal::Decimal, ConfigError> {
        use crate::mapping::rounding::{parse_limit, DEFAULT_LIMIT};
        let field = "rounding_limit";
        let text = match self.system.config.get(field) {
            None | Some(Value::Null) => return Ok(DEFAULT_LIMIT),
            Some(Value::String(text)) if text.trim().is_empty() => return Ok(DEFAULT_LIMIT),
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            Some(_) => String::new(),
        };
        parse_limit(&text).ok_or_else(|| {
            self.error(
                field,
                "rounding_limit must be an amount of at least 0 with at most 2 decimals, such as \"1.00\": the largest difference a rounding line may close",
            )
        })
    }

    /// A credential, trimmed; blank is "not set".
    pub fn secret(&self, credentials: &Credentials, field: &str) -> Option<String> {
        trimmed(credentials.get(field))
    }

    /// A required credential that travels as a header as it is (e-conomic's
    /// tokens); `what` names it for the merchant.
    pub fn secret_header(
        &self,
        credentials: &Credentials,
        field: &str,
        what: &str,
    ) -> Result<HeaderValue, ConfigError> {
        let secret = self.secret(credentials, field).ok_or_else(|| {
            self.error(
                field,
                &format!("{field} is missing: add the {what} under credentials"),
            )
        })?;
        self.header(field, &secret, what)
    }

    /// `value` (made of the credential `field`) as a header value that is
    /// kept out of logs; refused when a header cannot carry it.
    pub fn header(&self, field: &str, value: &str, what: &str) -> Result<HeaderValue, ConfigError> {
        let mut header = HeaderValue::from_str(value).map_err(|_| {
            self.error(
                field,
                &format!("the {what} contains characters a token cannot have"),
            )
        })?;
        header.set_sensitive(true);
        Ok(header)
    }
}

/// `Some(trimmed)` unless the text is missing or blank.
fn trimmed(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}
