//! The reminders pass (hourly on AWS, in process in ferry-local): tells the
//! right people when something needs them, and stays quiet otherwise.
//!
//! Each run looks at every tenant for:
//! - **usage**: 80 % and 100 % of the plan's monthly orders, once a month
//!   each (notices `usage_80#2026-11`, `usage_100#2026-11`), and each pack
//!   of extra orders auto-buy bought (`usage_pack#<purchase>`);
//! - **failed transfers**: a digest of those that failed since the last
//!   digest, at most one a day (`failed_transfers#2026-11-23`). The incident
//!   opens with the first failure and closes with an all-clear when no
//!   transfer of the tenant is failed any more (retried or delivered);
//! - **unhealthy credentials**: each active system whose credentials were
//!   refused, reminded at most daily while it stays so
//!   (`unhealthy_credentials#<system>#2026-11-23`), and an all-clear when
//!   a check finds them working again.
//!
//! Every email is a notice under a key naming its kind and period, claimed
//! with a conditional write before it is sent ([`notices`]): two runs at
//! once send one email; a failed send is tried again by the next run.

mod emails;
mod notices;
pub mod recipients;
#[cfg(test)]
mod tests;

pub use notices::Outcome;

use crate::app::Ferry;
use crate::model::{
    HealthStatus, Incident, Incidents, ReminderKind, System, SystemId, Tenant, Transfer,
    TransferStatus,
};
use crate::store::{StoreError, StoreResult, TransferQuery};
use crate::subscription;
use chrono::{DateTime, Utc};
use emails::{Failure, Links, Message};
use serde::Serialize;
use std::collections::HashMap;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemindersReport {
    pub tenants: usize,
    pub emails_sent: usize,
    /// Refused by the mail service; tried again by the next run.
    pub emails_failed: usize,
    /// Due, but sent before or being sent by another run.
    pub already_sent: usize,
    /// Tenants the pass could not finish (the store failed); the next run
    /// looks again.
    pub tenants_failed: usize,
}

/// The incident of failed transfers, in [`Incidents::open`].
const FAILED: &str = "failed_transfers";
/// The prefix of a system's incident: `unhealthy_credentials#<system>`.
const UNHEALTHY: &str = "unhealthy_credentials#";
/// A failure is looked for among transfers received this long before the
/// last digest (a transfer fails within its retries, about half an hour
/// after it arrived, or when retried by hand).
const LOOKBACK: chrono::Duration = chrono::Duration::days(2);
/// Most failed transfers read per run and tenant (a digest counts them).
const MOST_FAILURES: usize = 2_000;

pub async fn run(ferry: &Ferry) -> Result<RemindersReport, StoreError> {
    let mut report = RemindersReport::default();
    for tenant in ferry.store.list_tenants().await? {
        report.tenants += 1;
        // A panic (a bug) skips this tenant's reminders; the others go on.
        let run = crate::panic_guard::catch("reminders", run_tenant(ferry, &tenant, &mut report));
        let error = match run.await {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e.to_string(),
            Err(panicked) => format!("internal error: {panicked}"),
        };
        tracing::error!(tenant = %tenant.id, error = %error, "reminders: tenant skipped this run");
        report.tenants_failed += 1;
    }
    Ok(report)
}

/// A reminder that is due: the notice key, its kind and the words, and
/// what to record about the incidents once it is handled.
struct Due {
    key: String,
    kind: ReminderKind,
    message: Message,
    then: Then,
}

/// What a handled reminder changes in the incidents.
#[derive(Debug, Clone, PartialEq)]
enum Then {
    Nothing,
    /// The digest told of failures up to this instant.
    ReportedUntil(DateTime<Utc>),
    /// The all-clear for this incident was sent: it is closed.
    Close(String),
}

/// What the pass found about the tenant's incidents, applied to the
/// stored ones at the end with compare-and-swap.
#[derive(Debug, Default)]
struct Changes {
    open: Vec<(String, Incident)>,
    close: Vec<String>,
    reported_until: Option<DateTime<Utc>>,
}

impl Changes {
    fn apply(&self, incidents: &mut Incidents) -> bool {
        let before = incidents.clone();
        for (key, incident) in &self.open {
            incidents
                .open
                .entry(key.clone())
                .or_insert_with(|| incident.clone());
        }
        for key in &self.close {
            incidents.open.remove(key);
        }
        if let Some(until) = self.reported_until {
            if incidents.failed_reported_until.is_none_or(|t| t < until) {
                incidents.failed_reported_until = Some(until);
            }
        }
        *incidents != before
    }

    fn after(&mut self, then: Then, outcome: &Outcome, told: bool) {
        match (then, outcome) {
            (_, Outcome::Failed(_)) | (Then::Nothing, _) => {}
            // Another run's digest today: what failed since is told in
            // tomorrow's.
            (Then::ReportedUntil(until), _) => {
                if *outcome == Outcome::Sent || !told {
                    self.reported_until = Some(until);
                }
            }
            (Then::Close(key), _) => self.close.push(key),
        }
    }
}

/// What one tenant's pass looks at, read once.
struct Tenancy<'a> {
    ferry: &'a Ferry,
    tenant: &'a Tenant,
    systems: Vec<System>,
    incidents: Incidents,
    now: DateTime<Utc>,
    links: Links,
}

async fn run_tenant(
    ferry: &Ferry,
    tenant: &Tenant,
    report: &mut RemindersReport,
) -> StoreResult<()> {
    let recipients = recipients::of_tenant(ferry, tenant).await?;
    let here = Tenancy {
        ferry,
        tenant,
        systems: ferry.store.list_systems(&tenant.id).await?,
        incidents: ferry.store.get_incidents(&tenant.id).await?,
        now: ferry.clock.now(),
        links: Links::new(&ferry.public_url),
    };
    let mut changes = Changes::default();
    let mut due = here.usage().await?;
    due.extend(here.failed_transfers(&mut changes).await?);
    due.extend(here.credentials(&mut changes));

    for reminder in due {
        let to = recipients.of_kind(reminder.kind);
        let told = !to.is_empty();
        let outcome = if told {
            let email = reminder.message.email(&ferry.mail_from, to, &here.links);
            notices::send_once(ferry, &tenant.id, &reminder.key, reminder.kind, &email).await?
        } else {
            Outcome::Handled
        };
        match &outcome {
            Outcome::Sent => report.emails_sent += 1,
            Outcome::Failed(_) => report.emails_failed += 1,
            Outcome::Handled if told => report.already_sent += 1,
            Outcome::Handled => {}
        }
        changes.after(reminder.then, &outcome, told);
    }
    save_incidents(ferry, tenant, here.incidents, &changes).await
}

/// Saves the changes on the stored incidents; when another run saved in
/// between, applies them again on what it saved.
async fn save_incidents(
    ferry: &Ferry,
    tenant: &Tenant,
    mut incidents: Incidents,
    changes: &Changes,
) -> StoreResult<()> {
    for _ in 0..5 {
        let expected = incidents.version;
        if !changes.apply(&mut incidents) {
            return Ok(());
        }
        incidents.version = expected + 1;
        match ferry
            .store
            .put_incidents(&tenant.id, &incidents, expected)
            .await
        {
            Err(StoreError::Conflict) => {
                incidents = ferry.store.get_incidents(&tenant.id).await?;
            }
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}

impl Tenancy<'_> {
    async fn usage(&self) -> StoreResult<Vec<Due>> {
        let (ferry, tenant, links) = (self.ferry, self.tenant, &self.links);
        let period = subscription::period_of(self.now);
        let used = ferry.store.usage(&tenant.id, &period).await?.orders;
        let subscription = subscription::current(ferry, &tenant.id).await?;
        let quota = subscription.plan().monthly_orders;
        let mut due = Vec::new();
        if used >= quota {
            due.push(Due {
                key: format!("usage_100#{period}"),
                kind: ReminderKind::Usage,
                message: emails::usage_reached(tenant, used, quota, subscription.auto_buy, links),
                then: Then::Nothing,
            });
        } else if used * 5 >= quota * 4 {
            due.push(Due {
                key: format!("usage_80#{period}"),
                kind: ReminderKind::Usage,
                message: emails::usage_warning(tenant, used, quota, links),
                then: Then::Nothing,
            });
        }
        for purchase in subscription
            .purchases
            .iter()
            .filter(|p| p.automatic && p.period == period)
        {
            due.push(Due {
                key: format!("usage_pack#{}", purchase.id),
                kind: ReminderKind::Usage,
                message: emails::pack_bought(tenant, purchase, links),
                then: Then::Nothing,
            });
        }
        Ok(due)
    }

    async fn failed_transfers(&self, changes: &mut Changes) -> StoreResult<Vec<Due>> {
        let (ferry, tenant, incidents, now, links) = (
            self.ferry,
            self.tenant,
            &self.incidents,
            self.now,
            &self.links,
        );
        // The first run looks back an hour, and keeps that start until a
        // digest is sent, so that a refused one loses nothing.
        let since = match incidents.failed_reported_until {
            Some(until) => until,
            None => {
                let start = now - chrono::Duration::hours(1);
                changes.reported_until = Some(start);
                start
            }
        };
        let failed = self.failed_since(since).await?;
        if !failed.is_empty() {
            changes.open.push((
                FAILED.to_owned(),
                Incident {
                    opened_at: now,
                    label: "failed transfers".into(),
                },
            ));
            let targets = self.target_names().await?;
            let failures: Vec<Failure<'_>> = failed
                .iter()
                .map(|transfer| Failure {
                    transfer,
                    target: targets
                        .get(&transfer.connection.to_string())
                        .map_or("the target", String::as_str),
                })
                .collect();
            return Ok(vec![Due {
                key: format!("{FAILED}#{}", now.format("%Y-%m-%d")),
                kind: ReminderKind::FailedTransfers,
                message: emails::failed_digest(tenant, &failures, links),
                then: Then::ReportedUntil(now),
            }]);
        }
        let Some(incident) = incidents.open.get(FAILED) else {
            return Ok(Vec::new());
        };
        let still_failed = TransferQuery {
            status: Some(TransferStatus::Failed),
            limit: 1,
            ..TransferQuery::default()
        };
        if !ferry
            .store
            .list_transfers(&tenant.id, &still_failed)
            .await?
            .items
            .is_empty()
        {
            return Ok(Vec::new());
        }
        Ok(vec![all_clear(
            tenant,
            FAILED,
            incident,
            "every failed transfer is resolved",
            links,
        )])
    }

    /// The tenant's transfers that failed after `since` and up to now,
    /// oldest first.
    async fn failed_since(&self, since: DateTime<Utc>) -> StoreResult<Vec<Transfer>> {
        let (ferry, tenant, now) = (self.ferry, self.tenant, self.now);
        let mut failed = Vec::new();
        let mut query = TransferQuery {
            status: Some(TransferStatus::Failed),
            from: Some(since - LOOKBACK),
            limit: 500,
            ..TransferQuery::default()
        };
        let mut read = 0;
        loop {
            let page = ferry.store.list_transfers(&tenant.id, &query).await?;
            read += page.items.len();
            failed.extend(
                page.items
                    .into_iter()
                    .filter(|t| t.updated_at > since && t.updated_at <= now),
            );
            match page.next {
                Some(next) if read < MOST_FAILURES => query.cursor = Some(next),
                _ => break,
            }
        }
        failed.sort_by(|a, b| {
            (a.updated_at, &a.source_ref, &a.id).cmp(&(b.updated_at, &b.source_ref, &b.id))
        });
        Ok(failed)
    }

    /// Each connection's target, in words ("e-conomic"), by connection id.
    async fn target_names(&self) -> StoreResult<HashMap<String, String>> {
        let by_id: HashMap<&SystemId, &System> = self.systems.iter().map(|s| (&s.id, s)).collect();
        Ok(self
            .ferry
            .store
            .list_connections(&self.tenant.id)
            .await?
            .into_iter()
            .filter_map(|c| {
                by_id
                    .get(&c.target)
                    .map(|s| (c.id.to_string(), s.kind.display_name().to_owned()))
            })
            .collect())
    }

    fn credentials(&self, changes: &mut Changes) -> Vec<Due> {
        let (tenant, now, links) = (self.tenant, self.now, &self.links);
        let mut due = Vec::new();
        for system in self.systems.iter().filter(|s| s.active) {
            if system.health.status != HealthStatus::Unhealthy {
                continue;
            }
            let incident = format!("{UNHEALTHY}{}", system.id);
            changes.open.push((
                incident.clone(),
                Incident {
                    opened_at: now,
                    label: format!("{} works again", emails::system_label(system)),
                },
            ));
            due.push(Due {
                key: format!("{incident}#{}", now.format("%Y-%m-%d")),
                kind: ReminderKind::UnhealthyCredentials,
                message: emails::credentials_unhealthy(tenant, system, links),
                then: Then::Nothing,
            });
        }
        for (key, incident) in &self.incidents.open {
            let Some(id) = key.strip_prefix(UNHEALTHY) else {
                continue;
            };
            match self.systems.iter().find(|s| s.id.to_string() == id) {
                Some(s) if s.active && s.health.status == HealthStatus::Unhealthy => {}
                // Not checked again yet (new credentials): wait for the check.
                Some(s) if s.active && s.health.status == HealthStatus::Unknown => {}
                Some(s) if s.active => {
                    due.push(all_clear(tenant, key, incident, &incident.label, links))
                }
                // Removed or disconnected: nothing more to say about it.
                _ => changes.close.push(key.clone()),
            }
        }
        due
    }
}

fn all_clear(tenant: &Tenant, key: &str, incident: &Incident, label: &str, links: &Links) -> Due {
    Due {
        key: format!("all_clear#{key}#{}", incident.opened_at.timestamp()),
        kind: ReminderKind::AllClear,
        message: emails::all_clear(tenant, label, incident.opened_at, links),
        then: Then::Close(key.to_owned()),
    }
}
