//! Reminder emails: who gets which kind, what was sent (notices) and which
//! failing conditions are open (incidents). The rules live in `reminders`.

use super::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a reminder is about.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// 80 % and 100 % of the monthly orders used; each auto-buy of extra orders.
    Usage,
    /// A digest of the transfers that failed since the last one.
    FailedTransfers,
    /// A system refuses its credentials.
    UnhealthyCredentials,
    /// A failing condition recovered.
    AllClear,
}

impl ReminderKind {
    pub const ALL: [ReminderKind; 4] = [
        ReminderKind::Usage,
        ReminderKind::FailedTransfers,
        ReminderKind::UnhealthyCredentials,
        ReminderKind::AllClear,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::Usage => "usage",
            ReminderKind::FailedTransfers => "failed_transfers",
            ReminderKind::UnhealthyCredentials => "unhealthy_credentials",
            ReminderKind::AllClear => "all_clear",
        }
    }
}

/// One person who gets reminders, and the kinds they get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub email: String,
    pub kinds: Vec<ReminderKind>,
}

/// The tenant's choice of recipients; `None` until it sets them (then the
/// tenant's admins get every kind). Compare-and-swap on `version` (0 before
/// the first save).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReminderSettings {
    #[serde(default)]
    pub recipients: Option<Vec<Recipient>>,
    #[serde(default)]
    pub version: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    /// A run holds it and is sending it until `lease_until`.
    Claimed,
    Sent,
    /// The send failed; the next run tries again.
    Failed,
}

/// One reminder email of a tenant, under a key that names its kind and
/// period (`usage_80#2026-11`, `failed_transfers#2026-11-23`): a run claims
/// the key before it sends, so each key is emailed once. Compare-and-swap
/// on `version` (0: never claimed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub tenant: TenantId,
    pub key: String,
    pub kind: ReminderKind,
    pub status: NoticeStatus,
    pub subject: String,
    pub recipients: Vec<String>,
    /// When the status last changed.
    pub at: DateTime<Utc>,
    /// While claimed: after this, another run may take the notice over.
    pub lease_until: Option<DateTime<Utc>>,
    /// Sends tried.
    pub attempts: u32,
    /// Why the last send failed.
    pub error: Option<String>,
    pub version: u64,
}

/// A failing condition that stays open until it recovers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub opened_at: DateTime<Utc>,
    /// What failed, in words for the all-clear email ("e-conomic 'Books'").
    pub label: String,
}

/// The tenant's open incidents (by key: `failed_transfers`,
/// `unhealthy_credentials#<system>`) and how far failed transfers were
/// reported. Compare-and-swap on `version` (0 before the first save).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Incidents {
    #[serde(default)]
    pub open: BTreeMap<String, Incident>,
    /// Failed transfers up to this instant were in a sent digest.
    #[serde(default)]
    pub failed_reported_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub version: u64,
}

/// Notices the most recently changed first (then by key), at most `limit`:
/// the order both stores list them in.
pub fn newest_first(mut notices: Vec<Notice>, limit: usize) -> Vec<Notice> {
    notices.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.key.cmp(&b.key)));
    notices.truncate(limit);
    notices
}
