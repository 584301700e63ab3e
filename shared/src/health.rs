//! Credential health: does a system still accept Ferry's credentials?
//!
//! Checked on demand (`POST /systems/{id}/test`) and by the scheduler's
//! pass ([`check_due`]) when the last check is older than
//! [`RECHECK_AFTER`]. A target that turns healthy gets its waiting
//! transfers enqueued again at once, instead of after the worker's wait for
//! unhealthy credentials.
//!
//! One system never holds up the others: each check's call is bounded by a
//! timeout ([`CHECK_TIMEOUT`]; a remote that does not answer in it is told
//! like one that is down), the pass runs a few checks at a time, and a
//! check that fails (a store error, a bug) is reported while the pass goes
//! on with the next system.

use crate::app::Ferry;
use crate::connectors::ConnectorError;
use crate::events;
use crate::model::text::kept;
use crate::model::{CredentialHealth, HealthStatus, Level, System, TransferStatus};
use crate::queue::TransferMessage;
use crate::store::{StoreError, TransferQuery};
use futures::StreamExt;
use std::time::Duration;

/// How old a check may get before the scheduler checks again.
pub const RECHECK_AFTER: Duration = Duration::from_secs(3600);
/// How long one system's check may wait for its remote.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(20);
/// Checks running at once in a pass: each mostly waits for its remote.
const CHECKS_AT_ONCE: usize = 4;

const SERVICE: &str = "scheduler";
/// Pending transfers read per page when a target turns healthy again.
const RESUME_PAGE: usize = 500;

/// What a check found.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The system as stored after the check.
    pub system: System,
    /// Pending transfers enqueued again because the target turned healthy.
    pub resumed: usize,
}

/// What a pass over every tenant's systems did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pass {
    /// Systems whose health was checked and stored.
    pub checked: usize,
    /// Pending transfers enqueued again because their target turned healthy.
    pub resumed: usize,
    /// The checks that could not finish, each in words (the system, what
    /// failed); they are due again at the next pass.
    pub failed: Vec<String>,
}

/// Checks every active system whose last check is older than
/// [`RECHECK_AFTER`], [`CHECKS_AT_ONCE`] at a time, each call bounded by
/// `each_within`. Only a failure to list the tenants stops the pass; any
/// other failure is one system's (or one tenant's), in [`Pass::failed`].
pub async fn check_due(ferry: &Ferry, each_within: Duration) -> Result<Pass, StoreError> {
    let now = ferry.clock.now();
    let mut pass = Pass::default();
    let mut due = Vec::new();
    for tenant in ferry.store.list_tenants().await? {
        match ferry.store.list_systems(&tenant.id).await {
            Ok(systems) => due.extend(systems.into_iter().filter(|s| is_due(s, now))),
            Err(e) => pass.failed.push(format!(
                "the systems of tenant {} could not be read: {e}",
                tenant.id
            )),
        }
    }
    let mut checks = futures::stream::iter(due)
        .map(|system| async move {
            let work = check_within(ferry, &system, each_within);
            // A panic (a bug) fails this system's check alone.
            let outcome = crate::panic_guard::catch("health check", work).await;
            (system, outcome)
        })
        .buffer_unordered(CHECKS_AT_ONCE);
    while let Some((system, outcome)) = checks.next().await {
        let error = match outcome {
            Ok(Ok(checked)) => {
                pass.checked += 1;
                pass.resumed += checked.resumed;
                continue;
            }
            Ok(Err(e)) => e.to_string(),
            Err(panicked) => format!("internal error: {panicked}"),
        };
        pass.failed.push(format!(
            "the check of {} '{}' (tenant {}) did not finish: {error}",
            system.kind.display_name(),
            system.name,
            system.tenant
        ));
    }
    for failure in &pass.failed {
        tracing::warn!(%failure, "health check skipped; due again at the next pass");
    }
    Ok(pass)
}

/// Is a check due for `system` at `now`?
pub fn is_due(system: &System, now: chrono::DateTime<chrono::Utc>) -> bool {
    let recheck = chrono::Duration::from_std(RECHECK_AFTER).unwrap_or_default();
    system.active
        && system
            .health
            .checked_at
            .is_none_or(|checked| now - checked >= recheck)
}

/// Calls the system with its credentials and stores the health. A refusal
/// or a wrong configuration is unhealthy; a remote that is down or slow
/// says nothing about the credentials, so the status stays as it was and
/// only the reason tells. The call is bounded by [`CHECK_TIMEOUT`].
pub async fn check(ferry: &Ferry, system: &System) -> Result<Checked, StoreError> {
    check_within(ferry, system, CHECK_TIMEOUT).await
}

/// [`check`], with the call bounded by `limit`: a remote that has not
/// answered by then is told like one that is down.
pub async fn check_within(
    ferry: &Ferry,
    system: &System,
    limit: Duration,
) -> Result<Checked, StoreError> {
    let result = match tokio::time::timeout(limit, call(ferry, system)).await {
        Ok(result) => result,
        Err(_) => Err(Failure::Transient(format!(
            "{} did not answer within {} s; Ferry will check again",
            system.kind.display_name(),
            limit.as_secs_f64()
        ))),
    };
    let now = ferry.clock.now();
    // Write onto the newest copy, and only if the credentials tested are
    // still the stored ones (they may have been replaced meanwhile).
    let Some(mut fresh) = ferry.store.get_system(&system.tenant, &system.id).await? else {
        return Ok(Checked {
            system: system.clone(),
            resumed: 0,
        });
    };
    if fresh.credentials != system.credentials {
        return Ok(Checked {
            system: fresh,
            resumed: 0,
        });
    }
    let before = fresh.health.status;
    fresh.health = match result {
        Ok(()) => CredentialHealth {
            status: HealthStatus::Healthy,
            reason: None,
            checked_at: Some(now),
        },
        Err(Failure::Transient(reason)) => CredentialHealth {
            status: before,
            reason: Some(kept(&reason)),
            checked_at: Some(now),
        },
        Err(Failure::Refused(reason)) => CredentialHealth {
            status: HealthStatus::Unhealthy,
            reason: Some(kept(&reason)),
            checked_at: Some(now),
        },
    };
    ferry.store.put_system(&fresh).await?;
    let after = fresh.health.status;
    let name = format!("{} '{}'", fresh.kind.display_name(), fresh.name);
    let mut resumed = 0;
    if after == HealthStatus::Unhealthy && before != HealthStatus::Unhealthy {
        let reason = fresh.health.reason.as_deref().unwrap_or_default();
        events::log(
            ferry,
            &fresh.tenant,
            SERVICE,
            Level::Error,
            format!("{name} refused its credentials: {reason}; update them under Systems"),
            None,
            None,
        )
        .await;
    }
    if after == HealthStatus::Healthy && before != HealthStatus::Healthy {
        resumed = resume_waiting(ferry, &fresh).await?;
        if before == HealthStatus::Unhealthy || resumed > 0 {
            events::log(
                ferry,
                &fresh.tenant,
                SERVICE,
                Level::Info,
                format!(
                    "{name} accepts its credentials again; {resumed} waiting transfers resumed"
                ),
                None,
                None,
            )
            .await;
        }
    }
    Ok(Checked {
        system: fresh,
        resumed,
    })
}

enum Failure {
    Transient(String),
    Refused(String),
}

async fn call(ferry: &Ferry, system: &System) -> Result<(), Failure> {
    let credentials = ferry
        .sealer
        .open(&system.credentials, system.owner())
        .map_err(|_| {
            Failure::Refused("the stored credentials cannot be read; replace them".into())
        })?;
    let answer = if system.kind.is_source() {
        let source = ferry
            .connectors
            .source(system, &credentials)
            .map_err(|e| Failure::Refused(e.to_string()))?;
        source.test_credentials().await
    } else {
        let target = ferry
            .connectors
            .target(system, &credentials)
            .map_err(|e| Failure::Refused(e.to_string()))?;
        target.test_credentials().await
    };
    answer.map_err(|e| match e {
        ConnectorError::Transient { message, .. } => Failure::Transient(message),
        other => Failure::Refused(other.to_string()),
    })
}

/// Enqueues the pending transfers of every connection delivering to
/// `target`: they were held back while its credentials did not work.
async fn resume_waiting(ferry: &Ferry, target: &System) -> Result<usize, StoreError> {
    if !target.kind.is_target() {
        return Ok(0);
    }
    let mut resumed = 0;
    let connections = ferry.store.list_connections(&target.tenant).await?;
    for connection in connections.iter().filter(|c| c.target == target.id) {
        let mut cursor = None;
        loop {
            let query = TransferQuery {
                status: Some(TransferStatus::Pending),
                connection: Some(connection.id.clone()),
                cursor: cursor.take(),
                limit: RESUME_PAGE,
                ..TransferQuery::default()
            };
            let page = ferry.store.list_transfers(&target.tenant, &query).await?;
            for transfer in &page.items {
                let message = TransferMessage {
                    tenant: transfer.tenant.clone(),
                    transfer: transfer.id.clone(),
                };
                ferry
                    .queue
                    .enqueue(&message, Duration::ZERO)
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                resumed += 1;
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    Ok(resumed)
}

/// Stores that `system` refused its credentials just now (seen while
/// polling or delivering), unless they were replaced meanwhile.
pub async fn refused(ferry: &Ferry, system: &System, reason: &str) -> Result<(), StoreError> {
    let Some(mut fresh) = ferry.store.get_system(&system.tenant, &system.id).await? else {
        return Ok(());
    };
    if fresh.credentials != system.credentials {
        return Ok(());
    }
    let was = fresh.health.status;
    fresh.health = CredentialHealth {
        status: HealthStatus::Unhealthy,
        reason: Some(kept(reason)),
        checked_at: Some(ferry.clock.now()),
    };
    ferry.store.put_system(&fresh).await?;
    if was != HealthStatus::Unhealthy {
        events::log(
            ferry,
            &fresh.tenant,
            SERVICE,
            Level::Error,
            format!(
                "{} '{}' refused its credentials: {reason}",
                fresh.kind.display_name(),
                fresh.name
            ),
            None,
            None,
        )
        .await;
    }
    Ok(())
}
