//! Connections: the data flows, e.g. `Shopify > e-conomic (orders)`.

use super::ids::{ConnectionId, SystemId, TenantId};
use super::system::Scope;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Orders,
    Products,
    Stock,
    Customers,
}

/// The document a delivered order becomes in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    DraftInvoice,
    BookedInvoice,
    Order,
}

/// How the last scheduled run went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct RunOutcome {
    pub at: Option<DateTime<Utc>>,
    pub records_found: u64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub id: ConnectionId,
    pub tenant: TenantId,
    pub name: String,
    pub source: SystemId,
    pub target: SystemId,
    pub entity: Entity,
    /// The source's own words for the states that may be transferred.
    pub allowed_states: Vec<String>,
    /// The document made for an allowed state, unless `documents` names
    /// another for that state.
    pub document: DocumentKind,
    /// Per allowed state, the document to make instead of `document`
    /// (`{"paid": "booked_invoice", "authorized": "order"}`).
    #[serde(default)]
    pub documents: BTreeMap<String, DocumentKind>,
    /// Crontab expression for polling; `None` for a webhook-only connection.
    pub schedule: Option<String>,
    pub active: bool,
    pub scope: Scope,
    /// When the scheduler should poll next (kept in an index).
    pub next_run_at: Option<DateTime<Utc>>,
    /// Where the last poll stopped (source-specific).
    pub cursor: Option<String>,
    pub last_run: RunOutcome,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The money an order is booked in (see [`CurrencyChoice`]).
    #[serde(default)]
    pub currency: CurrencyChoice,
    /// How the shop's payments are booked in the ledger; `None`: nothing
    /// is marked paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<super::payment::PaymentSettings>,
}

/// The money an order of a connection is booked in, when the shop sold it
/// in another currency than its own (Shopify's multi-currency markets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CurrencyChoice {
    /// The currency the customer paid in (Shopify's `presentment_currency`
    /// and the `presentment_money` amounts), with the rate the shop used.
    #[default]
    Presentment,
    /// The shop's own currency (Shopify's `currency` and `shop_money`).
    Shop,
}

impl Connection {
    /// The document to make for an order in `state`.
    pub fn document_for(&self, state: &str) -> DocumentKind {
        self.documents.get(state).copied().unwrap_or(self.document)
    }

    pub fn allows_state(&self, state: &str) -> bool {
        self.allowed_states.iter().any(|s| s == state)
    }
}
