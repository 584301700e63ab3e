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

/// The transfer worker's function timeout on AWS (`Timeout` of
/// `TransferWorkerFunction` in `infra/template.yaml`): no delivery runs
/// longer, because the function is stopped there.
pub const WORKER_TIMEOUT: Duration = Duration::from_secs(120);

/// What a lease adds to [`WORKER_TIMEOUT`]: a lease outlasts any delivery,
/// so a worker still sending never sees another take its transfer over.
pub const LEASE_MARGIN: Duration = Duration::from_secs(30);

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
    /// How long a worker holds a transfer it is delivering: longer than any
    /// delivery ([`WORKER_TIMEOUT`] + [`LEASE_MARGIN`]), and renewed just
    /// before the document is made (`crate::pipeline::lease`).
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
            lease: WORKER_TIMEOUT.saturating_add(LEASE_MARGIN),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The first `Key: <number>` after the line `  Resource:` in the
    /// template's text.
    fn template_number(template: &str, resource: &str, key: &str) -> u64 {
        let mut lines = template
            .lines()
            .skip_while(|line| line.trim_end() != format!("  {resource}:"));
        let line = lines
            .find(|line| line.trim_start().starts_with(&format!("{key}:")))
            .unwrap_or_else(|| panic!("{resource} has no {key} in the template"));
        let value = line.trim_start()[key.len() + 1..].trim();
        value
            .parse()
            .unwrap_or_else(|_| panic!("{resource}.{key} is not a number: {value}"))
    }

    #[test]
    fn a_lease_outlasts_the_worker_and_the_queue_hides_a_message_as_long() {
        let template = include_str!("../../infra/template.yaml");
        let timeout = template_number(template, "TransferWorkerFunction", "Timeout");
        let visibility = template_number(template, "TransferQueue", "VisibilityTimeout");
        assert_eq!(
            Duration::from_secs(timeout),
            WORKER_TIMEOUT,
            "WORKER_TIMEOUT is the worker function's Timeout"
        );
        assert!(
            visibility >= timeout,
            "the queue hides a message ({visibility} s) at least as long as a worker runs ({timeout} s)"
        );
        let lease = Limits::default().lease;
        assert!(
            lease > WORKER_TIMEOUT,
            "the lease ({lease:?}) outlasts any delivery ({WORKER_TIMEOUT:?})"
        );
    }
}
