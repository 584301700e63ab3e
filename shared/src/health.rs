//! Credential health: does a system still accept Ferry's credentials?
//!
//! Checked on demand (`POST /systems/{id}/test`) and by the scheduler's
//! pass when the last check is older than [`RECHECK_AFTER`]. A target that
//! turns healthy gets its waiting transfers enqueued again at once, instead
//! of after the worker's wait for unhealthy credentials.

use crate::app::Ferry;
use crate::connectors::ConnectorError;
use crate::model::text::kept;
use crate::model::{CredentialHealth, HealthStatus, Level, System, TransferStatus};
use crate::pipeline::events;
use crate::queue::TransferMessage;
use crate::store::{StoreError, TransferQuery};
use std::time::Duration;

/// How old a check may get before the scheduler checks again.
pub const RECHECK_AFTER: Duration = Duration::from_secs(3600);

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
/// only the reason tells.
pub async fn check(ferry: &Ferry, system: &System) -> Result<Checked, StoreError> {
    let result = call(ferry, system).await;
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
