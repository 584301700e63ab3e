//! The subscription: a plan with monthly included orders, auto-buy of
//! extra orders, and the packs of extra orders bought. The quota rules that
//! use it are the `subscription` service's.

use super::ids::TenantId;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a plan includes. Prices are per month, in [`CURRENCY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: &'static str,
    pub name: &'static str,
    /// Delivered orders included per calendar month (UTC).
    pub monthly_orders: u64,
    #[schema(value_type = String, example = "29.00")]
    pub price: Decimal,
    /// Orders in one pack of extra orders.
    pub pack_orders: u64,
    #[schema(value_type = String, example = "5.00")]
    pub pack_price: Decimal,
}

/// The currency of every price.
pub const CURRENCY: &str = "EUR";

/// The plan of a tenant that never chose one.
pub const DEFAULT_PLAN: &str = "starter";

/// The plans, smallest first.
pub fn plans() -> Vec<Plan> {
    vec![
        Plan {
            id: "starter",
            name: "Starter",
            monthly_orders: 1_000,
            price: Decimal::new(2900, 2),
            pack_orders: 100,
            pack_price: Decimal::new(500, 2),
        },
        Plan {
            id: "business",
            name: "Business",
            monthly_orders: 5_000,
            price: Decimal::new(9900, 2),
            pack_orders: 500,
            pack_price: Decimal::new(2000, 2),
        },
        Plan {
            id: "enterprise",
            name: "Enterprise",
            monthly_orders: 25_000,
            price: Decimal::new(34900, 2),
            pack_orders: 2_500,
            pack_price: Decimal::new(7500, 2),
        },
    ]
}

/// A plan by id.
pub fn plan(id: &str) -> Option<Plan> {
    plans().into_iter().find(|p| p.id == id)
}

/// A pack of extra orders bought, by hand or automatically at the quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Purchase {
    pub id: String,
    /// The month the orders count towards (`2026-11`).
    pub period: String,
    pub orders: u64,
    #[schema(value_type = String, example = "5.00")]
    pub price: Decimal,
    pub currency: String,
    pub at: DateTime<Utc>,
    /// Bought by auto-buy when an order met the quota (else by hand).
    pub automatic: bool,
}

/// A tenant's subscription, kept as one record changed by compare-and-swap
/// on `version` (0 before the first save), so that two workers meeting the
/// quota at once buy one pack, not two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub tenant: TenantId,
    pub plan: String,
    pub auto_buy: bool,
    #[serde(default)]
    pub purchases: Vec<Purchase>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub version: u64,
}

impl Subscription {
    /// What a tenant has before it saves anything.
    pub fn initial(tenant: &TenantId, now: DateTime<Utc>) -> Self {
        Self {
            tenant: tenant.clone(),
            plan: DEFAULT_PLAN.to_owned(),
            auto_buy: false,
            purchases: Vec::new(),
            updated_at: now,
            version: 0,
        }
    }

    /// The plan, or the default one if the stored id is no longer offered.
    pub fn plan(&self) -> Plan {
        plan(&self.plan)
            .or_else(|| plan(DEFAULT_PLAN))
            .unwrap_or_else(|| plans().remove(0))
    }

    /// Extra orders bought for `period`.
    pub fn extra_orders(&self, period: &str) -> u64 {
        self.purchases
            .iter()
            .filter(|p| p.period == period)
            .map(|p| p.orders)
            .sum()
    }

    /// Orders that may be delivered in `period`: the plan's and the extras.
    pub fn allowance(&self, period: &str) -> u64 {
        self.plan().monthly_orders + self.extra_orders(period)
    }
}
