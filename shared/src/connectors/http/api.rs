//! One system's API as one token reaches it: the shared client, the headers
//! every call carries (the token), and the token's pacer. The ledgers'
//! connectors (order connector and catalogue reader alike) call through it.

use super::call::send;
use super::pacer::Pacer;
use super::reply::Reply;
use super::HttpClient;
use crate::connectors::ConnectorError;
use reqwest::header::HeaderMap;
use reqwest::Method;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

pub struct Api {
    /// The system's name, for messages ("e-conomic").
    system: &'static str,
    http: HttpClient,
    headers: HeaderMap,
    pacer: Arc<Pacer>,
    /// How long a 429 that does not say holds the pacer.
    default_pause: Duration,
}

impl Api {
    pub fn new(
        system: &'static str,
        http: HttpClient,
        headers: HeaderMap,
        pacer: Arc<Pacer>,
        default_pause: Duration,
    ) -> Self {
        Self {
            system,
            http,
            headers,
            pacer,
            default_pause,
        }
    }

    /// The token's pacer, shared with every connector of the token.
    pub fn pacer(&self) -> &Arc<Pacer> {
        &self.pacer
    }

    /// `method` on `url` with the token's headers and `body`, once the pacer
    /// allows it: the answer whatever its status (see [`send`]).
    pub async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<Reply, ConnectorError> {
        let mut request = self
            .http
            .request(method, url)?
            .headers(self.headers.clone());
        if let Some(body) = body {
            request = request.body(body);
        }
        send(self.system, &self.pacer, request, self.default_pause).await
    }
}
