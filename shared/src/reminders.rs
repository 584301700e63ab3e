//! The reminders pass (hourly on AWS, in process in ferry-local).
//!
//! First cut: a digest of the transfers that failed in the last hour, sent to
//! the tenant's address. One pass covers one hour, so a failure is reported
//! once. Recipients per kind, quota and credential reminders, and storm
//! control across concurrent runs come with the reminders issue.

use crate::app::Ferry;
use crate::mail::Email;
use crate::model::{Tenant, Transfer, TransferStatus};
use crate::store::{StoreError, TransferQuery};
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemindersReport {
    pub emails_sent: usize,
    pub emails_failed: usize,
}

/// How many failed orders a digest names.
const NAMED_IN_DIGEST: usize = 5;

pub async fn run(ferry: &Ferry) -> Result<RemindersReport, StoreError> {
    let mut report = RemindersReport::default();
    let now = ferry.clock.now();
    for tenant in ferry.store.list_tenants().await? {
        let query = TransferQuery {
            status: Some(TransferStatus::Failed),
            from: Some(now - chrono::Duration::hours(1)),
            to: Some(now),
            limit: 500,
            ..TransferQuery::default()
        };
        let failed = ferry.store.list_transfers(&tenant.id, &query).await?.items;
        if failed.is_empty() {
            continue;
        }
        let email = failed_digest(ferry, &tenant, &failed);
        match ferry.mailer.send(&email).await {
            Ok(()) => report.emails_sent += 1,
            Err(e) => {
                tracing::error!(tenant = %tenant.id, error = %e, "reminder not sent");
                report.emails_failed += 1;
            }
        }
    }
    Ok(report)
}

fn failed_digest(ferry: &Ferry, tenant: &Tenant, failed: &[Transfer]) -> Email {
    let count = failed.len();
    let noun = if count == 1 { "order" } else { "orders" };
    let subject = format!("Ferry: {count} {noun} could not be transferred");
    let link = format!(
        "{}/#/transfers?status=failed",
        ferry.public_url.trim_end_matches('/')
    );
    let lines: Vec<String> = failed
        .iter()
        .take(NAMED_IN_DIGEST)
        .map(|t| {
            let number = if t.source_ref.is_empty() {
                "(unreadable)"
            } else {
                &t.source_ref
            };
            format!(
                "{number}: {}",
                t.reason.as_deref().unwrap_or("no reason recorded")
            )
        })
        .collect();
    let more = count.saturating_sub(NAMED_IN_DIGEST);
    let mut text = format!(
        "Hello {},\n\n{count} {noun} failed in the last hour:\n\n",
        tenant.name
    );
    for line in &lines {
        text.push_str(&format!("- {line}\n"));
    }
    if more > 0 {
        text.push_str(&format!("- and {more} more\n"));
    }
    text.push_str(&format!("\nSee them all and retry: {link}\n"));
    let items: String = lines
        .iter()
        .map(|l| format!("<li>{}</li>", html_escape(l)))
        .collect();
    let html = format!(
        "<p>Hello {},</p><p>{count} {noun} failed in the last hour:</p><ul>{items}{}</ul><p><a href=\"{}\">See them all and retry</a></p>",
        html_escape(&tenant.name),
        if more > 0 { format!("<li>and {more} more</li>") } else { String::new() },
        html_escape(&link)
    );
    Email {
        from: ferry.mail_from.clone(),
        to: vec![tenant.email.clone()],
        subject,
        text,
        html,
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
