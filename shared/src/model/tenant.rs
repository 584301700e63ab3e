//! Tenants, their settings and their clients and warehouses.

use super::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub email: String,
    /// IANA time zone for schedules; "UTC" by default.
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

/// The tenant's switches: the whole integration, then each module.
/// The integration switch is the first thing to check when nothing moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    pub integration_active: bool,
    pub orders_active: bool,
    pub products_active: bool,
    pub stock_active: bool,
    pub customers_active: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            integration_active: true,
            orders_active: true,
            products_active: true,
            stock_active: true,
            customers_active: true,
        }
    }
}

/// The tenant's clients and warehouses: the names a system or connection
/// may be scoped to. Kept as one record, changed by compare-and-swap on
/// `version` (0 before the first save).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Directory {
    #[serde(default)]
    pub clients: Vec<String>,
    #[serde(default)]
    pub warehouses: Vec<String>,
    #[serde(default)]
    pub version: u64,
}
