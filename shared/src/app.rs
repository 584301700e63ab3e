//! The services every part of Ferry works with, built once per process
//! (per Lambda cold start, or once in ferry-local) and shared.

use crate::clock::Clock;
use crate::connectors::ConnectorFactory;
use crate::mail::Mailer;
use crate::queue::Queue;
use crate::seal::Sealer;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Tunable limits. The defaults are the production values; tests shorten
/// the waits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest webhook body accepted (Shopify orders run to tens of KB).
    pub max_webhook_bytes: usize,
    /// Tries of a transient failure before the transfer fails.
    pub max_attempts: u32,
    /// First back-off after a transient failure; doubles per attempt.
    pub retry_base: Duration,
    /// Longest back-off.
    pub retry_cap: Duration,
    /// How long a worker holds a transfer it is delivering.
    pub lease: Duration,
    /// How long log events are kept.
    pub log_ttl: Duration,
    /// How long to wait before retrying a transfer whose target's
    /// credentials are unhealthy.
    pub unhealthy_retry: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_webhook_bytes: 2 * 1024 * 1024,
            max_attempts: 5,
            retry_base: Duration::from_secs(2),
            retry_cap: Duration::from_secs(900),
            lease: Duration::from_secs(60),
            log_ttl: Duration::from_secs(30 * 24 * 3600),
            unhealthy_retry: Duration::from_secs(300),
        }
    }
}

impl Limits {
    /// The wait before try number `attempt + 1` (attempt counts from 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.retry_base.saturating_mul(factor).min(self.retry_cap)
    }
}

/// Ferry's services: ports, adapters and settings.
#[derive(Clone)]
pub struct Ferry {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub sealer: Sealer,
    /// Builds each system's connector (`connectors::Connectors` in production).
    pub connectors: Arc<dyn ConnectorFactory>,
    pub limits: Limits,
    /// Where the dashboard is (e.g. `https://ferry.example.com`): links in
    /// emails and invitations, and `webhook_url` unless `webhook_base` is set.
    pub public_url: String,
    /// Where webshops reach the webhook intake when it is not under
    /// `public_url` (on AWS: the webhook-intake function's URL).
    pub webhook_base: Option<String>,
    /// Key for signing dashboard tokens (HS256).
    pub jwt_key: Arc<Vec<u8>>,
    /// The platform operator's bearer token (may create tenants).
    pub operator_token: Option<Arc<String>>,
    /// The sender of reminder emails.
    pub mail_from: String,
}

impl Ferry {
    /// The address webshops send a connection's webhooks to, without the
    /// `/webhooks/{id}` path.
    pub fn webhook_base(&self) -> &str {
        self.webhook_base.as_deref().unwrap_or(&self.public_url)
    }
}
