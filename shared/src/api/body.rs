//! Request bodies: JSON only, unknown fields refused, and an error that
//! names the offending field (`lines[0].sku`).

use super::error::ApiError;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

/// Like `axum::Json`, with CONTRACT.md's error shape naming the field.
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_media_type);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "the body is too large",
                )
            })?;
        parse(&bytes).map(ValidJson)
    }
}

/// `application/json`, with or without parameters (`; charset=utf-8`);
/// not a look-alike such as `application/jsonp`.
fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default();
    essence.trim().eq_ignore_ascii_case("application/json")
}

/// Parses a JSON body, naming the field that is wrong.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => Ok(value),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.to_string();
            // The path already ends at an unknown field; a missing one is
            // named only in the message, under the path of its parent.
            let field =
                match quoted_field(&message).filter(|_| message.starts_with("missing field")) {
                    Some(missing) if path == "." => missing,
                    Some(missing) => format!("{path}.{missing}"),
                    None => path,
                };
            let field = if field == "." { String::new() } else { field };
            Err(ApiError {
                field: (!field.is_empty()).then_some(field),
                ..ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message)
            })
        }
    }
}

/// For `Option<Option<T>>` fields of a change (with `#[serde(default)]`):
/// absent leaves the value alone (`None`), `null` clears it (`Some(None)`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

fn quoted_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        sku: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        lines: Vec<Inner>,
    }

    #[test]
    fn names_the_wrong_field() {
        let err = parse::<Outer>(br#"{"name":"a","lines":[{"sku":1}]}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("lines[0].sku"));
    }

    #[test]
    fn names_unknown_and_missing_fields() {
        let err = parse::<Outer>(br#"{"name":"a","lines":[],"extra":1}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("extra"));
        let err = parse::<Outer>(br#"{"lines":[]}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("name"));
    }

    #[test]
    fn json_is_application_json_with_or_without_parameters() {
        for yes in [
            "application/json",
            "Application/JSON",
            " application/json; charset=utf-8",
        ] {
            assert!(is_json_media_type(yes), "{yes}");
        }
        for no in [
            "application/jsonp",
            "application/json-seq",
            "text/json",
            "text/plain",
            "",
        ] {
            assert!(!is_json_media_type(no), "{no}");
        }
    }
}
