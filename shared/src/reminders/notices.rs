//! Sending a reminder once: claim its notice with a conditional write, send,
//! then record how the send went.
//!
//! - A notice already sent is not sent again.
//! - Of two runs claiming the same notice, the store lets one win; the
//!   other leaves it alone.
//! - A failed send is recorded as failed and claimed again by the next run.
//! - A run that dies after claiming holds the notice for [`LEASE`]; then
//!   another run sends it. (If it died after the mail service accepted the
//!   email but before the notice said so, that one email goes twice: Ferry
//!   prefers a second email to a lost one.)

use crate::app::Ferry;
use crate::mail::Email;
use crate::model::{Notice, NoticeStatus, ReminderKind, TenantId};
use crate::store::{StoreError, StoreResult};

/// How long a run holds a notice it is sending.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// How a reminder went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent by this run.
    Sent,
    /// Sent before (by this or another run), or being sent by another run.
    Handled,
    /// The mail service refused it; the next run tries again.
    Failed(String),
}

/// Sends `email` as the tenant's notice `key`, unless that notice was sent
/// or another run is sending it.
pub async fn send_once(
    ferry: &Ferry,
    tenant: &TenantId,
    key: &str,
    kind: ReminderKind,
    email: &Email,
) -> StoreResult<Outcome> {
    let now = ferry.clock.now();
    let stored = ferry.store.get_notice(tenant, key).await?;
    if let Some(notice) = &stored {
        let held = notice.status == NoticeStatus::Claimed
            && notice.lease_until.is_some_and(|until| until > now);
        if notice.status == NoticeStatus::Sent || held {
            return Ok(Outcome::Handled);
        }
    }
    let expected = stored.as_ref().map_or(0, |n| n.version);
    let claimed = Notice {
        tenant: tenant.clone(),
        key: key.to_owned(),
        kind,
        status: NoticeStatus::Claimed,
        subject: email.subject.clone(),
        recipients: email.to.clone(),
        at: now,
        lease_until: Some(now + LEASE),
        attempts: stored.as_ref().map_or(0, |n| n.attempts) + 1,
        error: None,
        version: expected + 1,
    };
    match ferry.store.put_notice(&claimed, expected).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(Outcome::Handled),
        Err(e) => return Err(e),
    }
    let (status, error, outcome) = match ferry.mailer.send(email).await {
        Ok(()) => (NoticeStatus::Sent, None, Outcome::Sent),
        Err(e) => {
            tracing::warn!(tenant = %tenant, notice = key, error = %e, "reminder not sent; the next run tries again");
            let reason = e.to_string();
            (
                NoticeStatus::Failed,
                Some(reason.clone()),
                Outcome::Failed(reason),
            )
        }
    };
    let settled = Notice {
        status,
        error,
        at: ferry.clock.now(),
        lease_until: None,
        version: claimed.version + 1,
        ..claimed.clone()
    };
    match ferry.store.put_notice(&settled, claimed.version).await {
        Ok(()) => Ok(outcome),
        // Only a run that found the lease run out writes over a claim;
        // it sends the notice itself, so this run's outcome stands.
        Err(StoreError::Conflict) => Ok(outcome),
        Err(e) if outcome == Outcome::Sent => {
            // Sent, but not recorded: the claim runs out and the next run
            // sends it again rather than never.
            tracing::error!(tenant = %tenant, notice = key, error = %e, "reminder sent but not recorded");
            Ok(outcome)
        }
        Err(e) => Err(e),
    }
}
