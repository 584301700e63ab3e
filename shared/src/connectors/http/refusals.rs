//! The sorting of failures into what helps: transient (worth a retry),
//! unauthorized (the credentials), permanent (the merchant must change
//! something). The remote's own words come from each connector's `errors`
//! module; the sorting is the same for every system.

use super::reply::{retry_after, Reply};
use crate::connectors::address;
use crate::connectors::ConnectorError;

/// A transport failure (no HTTP answer): worth retrying, unless the
/// address was refused (see [`address`]), which no retry changes.
pub fn transport_error(system: &str, error: &reqwest::Error) -> ConnectorError {
    if let Some(refused) = address::refusal_in(error) {
        return ConnectorError::permanent(format!("{system}: {refused}"));
    }
    let what = if error.is_timeout() {
        "did not answer in time"
    } else if error.is_connect() {
        "could not be reached"
    } else {
        "broke off the connection"
    };
    ConnectorError::transient(format!("{system} {what}; Ferry will try again"))
}

/// Sorts an HTTP error status. `detail` is the remote's own message, already
/// turned into words by the connector.
pub fn status_error(
    system: &str,
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    detail: &str,
) -> ConnectorError {
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    };
    match status.as_u16() {
        300..=399 => ConnectorError::permanent(format!(
            "{system} answered with a redirect ({}); Ferry follows no redirects, so check the \
             system's address",
            status.as_u16()
        )),
        429 => ConnectorError::Transient {
            message: format!(
                "{system} asked Ferry to slow down (429){detail}; Ferry will try again"
            ),
            retry_after: retry_after(headers),
        },
        401 | 403 => ConnectorError::Unauthorized {
            message: format!(
                "{system} refused the credentials ({}){detail}; update them under Systems",
                status.as_u16()
            ),
        },
        408 | 500..=599 => ConnectorError::Transient {
            message: format!(
                "{system} had a temporary problem ({}){detail}; Ferry will try again",
                status.as_u16()
            ),
            retry_after: retry_after(headers),
        },
        code => ConnectorError::permanent(format!("{system} refused the request ({code}){detail}")),
    }
}

/// A refusal of `what` (a non-2xx answer): the statuses a retry or new
/// credentials may mend are sorted by [`status_error`]; any other is
/// permanent, in the remote's own words (`detail`) when it gave some.
pub fn refusal(system: &str, reply: &Reply, what: &str, detail: &str) -> ConnectorError {
    match reply.status.as_u16() {
        401 | 403 | 408 | 429 | 500..=599 => {
            status_error(system, reply.status, &reply.headers, detail)
        }
        code if detail.is_empty() => {
            ConnectorError::permanent(format!("{system} refused the {what} ({code})"))
        }
        _ => ConnectorError::permanent(format!("{system} refused the {what}: {detail}")),
    }
}

/// The answer of a 2xx; else its status sorted by [`status_error`] with
/// `words`' reading of the body. For calls whose every refusal is told the
/// same way (the webshops' reads of orders).
pub fn succeeded(
    system: &str,
    reply: Reply,
    words: impl Fn(&[u8]) -> String,
) -> Result<Reply, ConnectorError> {
    if reply.status.is_success() {
        return Ok(reply);
    }
    Err(status_error(
        system,
        reply.status,
        &reply.headers,
        &words(&reply.body),
    ))
}

/// The JSON of a 2xx answer; else the [`refusal`] with `words`' reading of
/// the body. An answer cut off is worth asking again.
pub fn json_of(
    system: &str,
    reply: Reply,
    what: &str,
    words: impl Fn(&[u8]) -> String,
) -> Result<serde_json::Value, ConnectorError> {
    json_or(system, reply, what, words, "Ferry will try again")
}

/// Like [`json_of`], for a call that may have made something (a customer,
/// a document): the retry first looks for what this call may have made.
pub fn json_after_write(
    system: &str,
    reply: Reply,
    what: &str,
    words: impl Fn(&[u8]) -> String,
) -> Result<serde_json::Value, ConnectorError> {
    json_or(
        system,
        reply,
        what,
        words,
        "Ferry will check what was made and try again",
    )
}

fn json_or(
    system: &str,
    reply: Reply,
    what: &str,
    words: impl Fn(&[u8]) -> String,
    then: &str,
) -> Result<serde_json::Value, ConnectorError> {
    if !reply.status.is_success() {
        return Err(refusal(system, &reply, what, &words(&reply.body)));
    }
    serde_json::from_slice(&reply.body).map_err(|_| {
        ConnectorError::transient(format!(
            "{system}'s answer about the {what} was cut off or unreadable; {then}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_statuses() {
        let headers = reqwest::header::HeaderMap::new();
        assert!(matches!(
            status_error(
                "e-conomic",
                reqwest::StatusCode::SERVICE_UNAVAILABLE,
                &headers,
                ""
            ),
            ConnectorError::Transient { .. }
        ));
        assert!(matches!(
            status_error("e-conomic", reqwest::StatusCode::UNAUTHORIZED, &headers, ""),
            ConnectorError::Unauthorized { .. }
        ));
        assert!(matches!(
            status_error("e-conomic", reqwest::StatusCode::BAD_REQUEST, &headers, "x"),
            ConnectorError::Permanent { .. }
        ));
    }
}
