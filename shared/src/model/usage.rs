//! Usage counters shown on Home and used for the quota.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Counts for one tenant and one period (a day `2026-11-23` or a month `2026-11`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Usage {
    pub period: String,
    pub orders: u64,
    pub products: u64,
    pub stock: u64,
    pub created: u64,
    pub updated: u64,
    pub errors: u64,
}

/// What to add to the day's and the month's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageDelta {
    pub orders: u64,
    pub products: u64,
    pub stock: u64,
    pub created: u64,
    pub updated: u64,
    pub errors: u64,
}

/// The day and month periods that `at` counts towards.
pub fn usage_periods(at: DateTime<Utc>) -> [String; 2] {
    [
        at.format("%Y-%m-%d").to_string(),
        at.format("%Y-%m").to_string(),
    ]
}
