//! External systems a tenant adds: shops and ledgers.

use super::ids::{SystemId, TenantId};
use crate::seal::SealedCredentials;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SystemKind {
    Shopify,
    Woocommerce,
    Economic,
    Fortnox,
}

impl SystemKind {
    /// The name a merchant reads: "Shopify", "e-conomic".
    pub fn display_name(self) -> &'static str {
        match self {
            SystemKind::Shopify => "Shopify",
            SystemKind::Woocommerce => "WooCommerce",
            SystemKind::Economic => "e-conomic",
            SystemKind::Fortnox => "Fortnox",
        }
    }

    pub fn is_source(self) -> bool {
        matches!(self, SystemKind::Shopify | SystemKind::Woocommerce)
    }

    pub fn is_target(self) -> bool {
        matches!(self, SystemKind::Economic | SystemKind::Fortnox)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    #[default]
    Unknown,
    Healthy,
    Unhealthy,
}

/// The result of the last credential check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct CredentialHealth {
    pub status: HealthStatus,
    /// The remote's reason, in words, when unhealthy.
    pub reason: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

/// Where a system or connection belongs: the whole tenant, or one client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Scope {
    /// `None` means global (tenant-wide).
    pub client: Option<String>,
    pub warehouse: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct System {
    pub id: SystemId,
    pub tenant: TenantId,
    pub kind: SystemKind,
    pub name: String,
    /// Kind-specific, non-secret configuration (shop domain, layout number,
    /// `base_url` for sandboxes...). See CONTRACT.md.
    pub config: serde_json::Map<String, serde_json::Value>,
    /// Secrets, sealed with AES-256-GCM. Never returned by the API.
    pub credentials: SealedCredentials,
    pub health: CredentialHealth,
    pub scope: Scope,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl System {
    /// A configuration value as text, if set.
    pub fn config_str(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(|v| v.as_str())
    }
}
