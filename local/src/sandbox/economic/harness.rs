//! What the e-conomic and Fortnox sandboxes share: the server loop with
//! switchable faults (500, 503, 429 with `Retry-After`, slow answers,
//! dropped connections, cut bodies) and a seeded chaos mode
//! ([`super::chaos`]), and JSON number helpers.
use super::chaos::{Chaos, Storm};
pub use super::fault::Fault;
use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper_util::rt::TokioIo;
use rand::Rng;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::ServiceExt;

#[derive(Debug)]
struct Rule {
    fault: Fault,
    /// How many more requests meet it; `None` for as long as it is on.
    remaining: Option<usize>,
    /// The chance a matching request meets it.
    share: f64,
    method: Option<Method>,
    path_prefix: Option<String>,
}

/// What [`Faults::injected_by_kind`] calls a connection closed on accept.
pub const REFUSED: &str = "connection refused";

/// The faults switched on for one sandbox. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<Rule>>>,
    chaos: Arc<Mutex<Option<Storm>>>,
    injected: Arc<AtomicU64>,
    by_kind: Arc<Mutex<BTreeMap<&'static str, u64>>>,
}

impl Faults {
    fn add(&self, rule: Rule) {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules.push(rule);
    }

    /// The next `count` requests meet `fault`.
    pub fn next(&self, count: usize, fault: Fault) {
        self.add(Rule {
            fault,
            remaining: Some(count),
            share: 1.0,
            method: None,
            path_prefix: None,
        });
    }

    /// The next `count` requests with this method under this path meet `fault`.
    pub fn next_on(&self, count: usize, method: Method, path_prefix: &str, fault: Fault) {
        self.add(Rule {
            fault,
            remaining: Some(count),
            share: 1.0,
            method: Some(method),
            path_prefix: Some(path_prefix.to_owned()),
        });
    }

    /// Each request meets `fault` with the chance `share` (0 to 1) until healed.
    pub fn share(&self, share: f64, fault: Fault) {
        self.add(Rule {
            fault,
            remaining: None,
            share: share.clamp(0.0, 1.0),
            method: None,
            path_prefix: None,
        });
    }

    /// Switches chaos mode on (replacing an earlier one) until healed.
    /// Rules added with [`Faults::next`] and friends are drawn first.
    pub fn chaos(&self, chaos: Chaos) {
        *self.chaos.lock().unwrap_or_else(|p| p.into_inner()) = Some(Storm::new(chaos));
    }

    /// Switches every fault off, chaos mode included.
    pub fn heal(&self) {
        self.rules.lock().unwrap_or_else(|p| p.into_inner()).clear();
        *self.chaos.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// How many requests met a fault so far (refused connections excluded).
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }

    /// Faults injected so far by kind ([`Fault::kind`], and [`REFUSED`]
    /// for connections closed on accept).
    pub fn injected_by_kind(&self) -> BTreeMap<&'static str, u64> {
        self.by_kind
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn count(&self, kind: &'static str) {
        let mut by_kind = self.by_kind.lock().unwrap_or_else(|p| p.into_inner());
        *by_kind.entry(kind).or_default() += 1;
    }

    /// Whether chaos mode closes this new connection at once.
    fn refuse_connection(&self) -> bool {
        let refuse = self
            .chaos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
            .is_some_and(Storm::refuse);
        if refuse {
            self.count(REFUSED);
        }
        refuse
    }

    fn draw(&self, method: &Method, path: &str) -> Option<Fault> {
        let fault = self.draw_rule(method, path).or_else(|| {
            let mut chaos = self.chaos.lock().unwrap_or_else(|p| p.into_inner());
            chaos.as_mut().and_then(Storm::draw)
        })?;
        self.injected.fetch_add(1, Ordering::Relaxed);
        self.count(fault.kind());
        Some(fault)
    }

    fn draw_rule(&self, method: &Method, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        let mut rng = rand::thread_rng();
        let index = rules.iter().position(|rule| {
            rule.remaining != Some(0)
                && rule.method.as_ref().is_none_or(|m| m == method)
                && rule
                    .path_prefix
                    .as_deref()
                    .is_none_or(|p| path.starts_with(p))
                && (rule.share >= 1.0 || rng.gen_bool(rule.share))
        })?;
        let rule = &mut rules[index];
        let fault = rule.fault.clone();
        if let Some(remaining) = rule.remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                rules.remove(index);
            }
        }
        Some(fault)
    }
}

/// A sandbox listening on loopback; stops accepting when dropped.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A listener on a free loopback port.
pub async fn bind() -> std::io::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:0").await
}

/// Closing the connection on purpose (hyper drops it when the service fails).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a sandbox fault")
    }
}

impl std::error::Error for Dropped {}

/// Serves `router` with `faults` in front of it. Uses hyper directly
/// because dropping a connection without an answer needs the connection.
pub fn serve(listener: TcpListener, router: Router, faults: Faults) -> std::io::Result<Server> {
    let address = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors or similar: give it a moment.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            if faults.refuse_connection() {
                drop(stream);
                continue;
            }
            let _ = stream.set_nodelay(true);
            let router = router.clone();
            let faults = faults.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    answer(router.clone(), faults.clone(), request)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Server { address, task })
}

async fn route(router: Router, request: axum::http::Request<Body>) -> Response {
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

async fn answer(
    router: Router,
    faults: Faults,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<Response, Dropped> {
    let fault = faults.draw(request.method(), request.uri().path());
    let request = request.map(Body::new);
    match fault {
        None => Ok(route(router, request).await),
        Some(Fault::DropConnection) => Err(Dropped),
        Some(Fault::Unavailable) => Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "message": "The service is temporarily unavailable." })),
        )
            .into_response()),
        Some(Fault::ServerError) => Ok((
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({ "message": "An error occurred on the server." })),
        )
            .into_response()),
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(serde_json::json!({ "message": "Too many requests." })),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            Ok(response)
        }
        Some(Fault::Slow(delay)) => {
            let response = route(router, request).await;
            tokio::time::sleep(delay).await;
            Ok(response)
        }
        Some(Fault::CutBody) => {
            let response = route(router, request).await;
            let (mut parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            parts.headers.remove(header::CONTENT_LENGTH);
            Ok(Response::from_parts(
                parts,
                Body::from(bytes.slice(..bytes.len() / 2)),
            ))
        }
    }
}

/// Rounds to whole cents, half away from zero.
pub fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A JSON number as an exact decimal (`10.12345` keeps its 5 decimals).
pub fn decimal(value: &Value) -> Option<Decimal> {
    let Value::Number(n) = value else {
        return None;
    };
    let text = n.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// A decimal as a JSON number, for answers.
pub fn number(amount: Decimal) -> Value {
    use rust_decimal::prelude::ToPrimitive;
    let amount = amount.normalize();
    if amount.scale() == 0 {
        if let Some(whole) = amount.to_i64() {
            return Value::from(whole);
        }
    }
    amount
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// A GUID-shaped id for log references.
pub fn log_id() -> String {
    let mut rng = rand::thread_rng();
    let hex = |n: usize, rng: &mut rand::rngs::ThreadRng| -> String {
        (0..n)
            .map(|_| format!("{:x}", rng.gen_range(0..16u8)))
            .collect()
    };
    format!(
        "{}-{}-{}-{}-{}",
        hex(8, &mut rng),
        hex(4, &mut rng),
        hex(4, &mut rng),
        hex(4, &mut rng),
        hex(12, &mut rng)
    )
}
