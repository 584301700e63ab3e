//! Query strings: unknown parameters refused, and an error in CONTRACT.md's
//! shape that names the parameter (axum's own `Query` answers plain text).

use super::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// Like `axum::extract::Query`; the target type should deny unknown fields.
pub struct ValidQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse(parts.uri.query().unwrap_or_default()).map(ValidQuery)
    }
}

/// Parses a query string, naming the parameter that is wrong.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // An unknown parameter is named in the message, not in the path.
        let field = if path == "." {
            quoted(&message).unwrap_or_default()
        } else {
            path
        };
        ApiError {
            field: (!field.is_empty()).then_some(field),
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("the query is not valid: {message}"),
            )
        }
    })
}

fn form_urlencoded_parse(query: &str) -> url::form_urlencoded::Parse<'_> {
    url::form_urlencoded::parse(query.as_bytes())
}

fn quoted(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Filter {
        q: Option<String>,
        limit: Option<usize>,
    }

    #[test]
    fn names_unknown_and_bad_parameters() {
        assert_eq!(
            parse::<Filter>("q=a%20b&limit=5").unwrap().q.as_deref(),
            Some("a b")
        );
        let err = parse::<Filter>("colour=red").unwrap_err();
        assert_eq!(
            (err.status.as_u16(), err.field.as_deref()),
            (400, Some("colour"))
        );
        let err = parse::<Filter>("limit=many").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("limit"));
    }
}
