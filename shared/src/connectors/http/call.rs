//! One call to a remote: wait for the token's pacer, send, read the whole
//! answer (at most [`MAX_ANSWER_BYTES`] of it), and after a 429 hold every
//! call of the token for as long as the remote asks. A pacer that would
//! hold a call longer than `pacer::LONGEST_HOLD` fails it as transient
//! with that wait (`retry_after`): the message goes back to the queue with
//! that delay. Every connector's calls go through here.

use super::pacer::Pacer;
use super::refusals::transport_error;
use super::reply::{retry_after, Reply};
use crate::connectors::ConnectorError;
use reqwest::StatusCode;
use std::time::Duration;

/// The most Ferry reads of one answer. Real answers are far smaller (a page
/// of 250 orders is a few MB); a remote that answers more, or without end,
/// fails the call instead of filling the memory of every tenant's worker.
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

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
    if let Err(wait) = pacer.acquire().await {
        return Err(held_back(system, wait));
    }
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(system, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = read_at_most(system, response, MAX_ANSWER_BYTES).await?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// A call the pacer would hold longer than a worker waits.
fn held_back(system: &str, wait: Duration) -> ConnectorError {
    ConnectorError::Transient {
        message: format!(
            "{system} asked Ferry to wait {} s before calling again; Ferry will try again then",
            wait.as_secs().max(1)
        ),
        retry_after: Some(wait),
    }
}

/// The body of `response`, read piece by piece and refused (for good: the
/// same question gets the same answer) as soon as it passes `limit`, or at
/// once when its `Content-Length` says it will.
async fn read_at_most(
    system: &str,
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ConnectorError> {
    let too_large = || {
        ConnectorError::permanent(format!(
            "the answer from {system} was larger than {} MB, more than Ferry reads of one answer",
            limit / (1024 * 1024)
        ))
    };
    let announced = response.content_length().unwrap_or(0);
    if announced > limit as u64 {
        return Err(too_large());
    }
    // What the length announces (at most the limit), else grown as it comes.
    let mut body = Vec::with_capacity(announced as usize);
    while let Some(piece) = response
        .chunk()
        .await
        .map_err(|e| transport_error(system, &e))?
    {
        if piece.len() > limit - body.len() {
            return Err(too_large());
        }
        body.extend_from_slice(&piece);
    }
    Ok(body)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::address::Network;
    use crate::connectors::http::HttpClient;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// How a loopback remote sends its body.
    #[derive(Clone, Copy)]
    enum Framing {
        ContentLength,
        Chunked,
    }

    /// A remote on loopback that answers every request with `size` bytes.
    async fn remote(size: usize, framing: Framing) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let piece = vec![b'x'; 64 * 1024];
                    let head = match framing {
                        Framing::ContentLength => format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
                        ),
                        Framing::Chunked => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_owned(),
                    };
                    // The client may hang up half-way: that is the point.
                    let _ = socket.write_all(head.as_bytes()).await;
                    let mut sent = 0;
                    while sent < size {
                        let n = piece.len().min(size - sent);
                        let written = match framing {
                            Framing::ContentLength => socket.write_all(&piece[..n]).await,
                            Framing::Chunked => {
                                let mut framed = format!("{n:x}\r\n").into_bytes();
                                framed.extend_from_slice(&piece[..n]);
                                framed.extend_from_slice(b"\r\n");
                                socket.write_all(&framed).await
                            }
                        };
                        if written.is_err() {
                            return;
                        }
                        sent += n;
                    }
                    if matches!(framing, Framing::Chunked) {
                        let _ = socket.write_all(b"0\r\n\r\n").await;
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        format!("http://{address}/orders.json")
    }

    async fn ask(url: &str) -> Result<Reply, ConnectorError> {
        let http = HttpClient::on_network(Duration::from_secs(10), Network::PRIVATE_ALLOWED);
        let pacer = Pacer::new(100, Duration::from_secs(1));
        exchange("Shopify", &pacer, http.get(url).unwrap()).await
    }

    #[tokio::test]
    async fn an_answer_over_8_mb_is_refused_for_good_whatever_its_framing() {
        for framing in [Framing::ContentLength, Framing::Chunked] {
            let url = remote(MAX_ANSWER_BYTES + 1, framing).await;
            match ask(&url).await {
                Err(ConnectorError::Permanent { message }) => assert_eq!(
                    message,
                    "the answer from Shopify was larger than 8 MB, more than Ferry reads of one \
                     answer"
                ),
                Err(other) => panic!("too large is permanent: {other:?}"),
                Ok(reply) => panic!("read {} bytes", reply.body.len()),
            }
        }
    }

    #[tokio::test]
    async fn an_answer_up_to_8_mb_is_read_whole_whatever_its_framing() {
        for framing in [Framing::ContentLength, Framing::Chunked] {
            let url = remote(MAX_ANSWER_BYTES, framing).await;
            let reply = ask(&url).await.unwrap();
            assert_eq!(reply.body.len(), MAX_ANSWER_BYTES);
        }
    }
}
