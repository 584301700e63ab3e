//! Service events shown on the Logs screen.

use super::ids::{ConnectionId, TenantId, TransferId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LogEvent {
    /// Unique and time-ordered (a ULID).
    pub id: String,
    pub tenant: TenantId,
    pub at: DateTime<Utc>,
    /// The function that wrote it: `webhook-intake`, `scheduler`, ...
    pub service: String,
    pub level: Level,
    pub message: String,
    pub connection: Option<ConnectionId>,
    pub transfer: Option<TransferId>,
    /// How many times it happened: 1 for an event logged once; for events
    /// counted instead of logged one by one (refused webhooks), how many
    /// like it came in the minute from `at`.
    #[serde(default = "one")]
    pub count: u64,
}

/// The count of an event stored before events were counted.
fn one() -> u64 {
    1
}
