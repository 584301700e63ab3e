//! One call to a remote: wait for the token's pacer, send, read the whole
//! answer, and after a 429 hold every call of the token for as long as the
//! remote asks. Every connector's calls go through here.

use super::pacer::Pacer;
use super::refusals::transport_error;
use super::reply::{retry_after, Reply};
use crate::connectors::ConnectorError;
use reqwest::StatusCode;
use std::time::Duration;

/// Sends a request once the pacer allows it and reads the whole answer. A
/// 429 holds every call on the pacer for its `Retry-After` (or
/// `default_pause` when it does not say).
pub async fn send(
    system: &str,
    pacer: &Pacer,
    request: reqwest::RequestBuilder,
    default_pause: Duration,
) -> Result<Reply, ConnectorError> {
    let reply = exchange(system, pacer, request).await?;
    hold_after_429(pacer, &reply, Some(default_pause)).await;
    Ok(reply)
}

/// Sends a request once the pacer allows it and reads the whole answer,
/// whatever its status; a failure without an answer is sorted by
/// [`transport_error`]. For a connector that reads more than the status
/// before it holds the pacer (Shopify's call-limit header).
pub async fn exchange(
    system: &str,
    pacer: &Pacer,
    request: reqwest::RequestBuilder,
) -> Result<Reply, ConnectorError> {
    pacer.acquire().await;
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(system, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| transport_error(system, &e))?
        .to_vec();
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// After a 429, holds every call on the pacer for the answer's
/// `Retry-After`, else for `otherwise` (`None`: only when the answer says).
pub async fn hold_after_429(pacer: &Pacer, reply: &Reply, otherwise: Option<Duration>) {
    if reply.status != StatusCode::TOO_MANY_REQUESTS {
        return;
    }
    if let Some(pause) = retry_after(&reply.headers).or(otherwise) {
        pacer.pause(pause).await;
    }
}
