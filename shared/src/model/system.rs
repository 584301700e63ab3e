//! External systems a tenant adds: shops and ledgers.

use super::ids::{SystemId, TenantId};
use crate::seal::{Credentials, Owner, SealedCredentials, Sealer};
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

    /// The names of the kind's credentials (CONTRACT.md); every other
    /// setting is configuration.
    pub fn credential_fields(self) -> &'static [&'static str] {
        match self {
            SystemKind::Shopify => &["access_token", "webhook_secret"],
            SystemKind::Woocommerce => &["consumer_key", "consumer_secret", "webhook_secret"],
            SystemKind::Economic => &["app_secret_token", "agreement_grant_token"],
            SystemKind::Fortnox => &["access_token"],
        }
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

    /// Whose credentials this system's are: they are sealed for, and open
    /// only for, this tenant and this system.
    pub fn owner(&self) -> Owner<'_> {
        Owner {
            tenant: self.tenant.as_str(),
            system: self.id.as_str(),
        }
    }

    /// This system with `credentials` sealed for it.
    pub fn with_credentials(mut self, sealer: &Sealer, credentials: &Credentials) -> Self {
        self.credentials = sealer.seal(credentials, self.owner());
        self
    }

    /// The configuration fields that say where the system is: changing
    /// one sends the credentials somewhere else, so they are dropped unless
    /// new ones come with the change.
    pub const ADDRESS_FIELDS: &'static [&'static str] = &["base_url", "shop_domain"];

    /// Whether `config` names another address than this system's.
    pub fn moves_to(&self, config: &serde_json::Map<String, serde_json::Value>) -> bool {
        Self::ADDRESS_FIELDS
            .iter()
            .any(|field| self.config.get(*field) != config.get(*field))
    }
}
