//! Subscription and quota: a plan with monthly included orders; every
//! delivered order counts once (the month's `orders` usage counter, which
//! the worker adds in the same write that marks the transfer delivered, so
//! a retry or a duplicate of a delivered order never counts again).
//!
//! [`admit`] is the quota gate the transfer worker asks before delivering
//! an order: under the quota it lets the order go; at the quota it buys a
//! pack of extra orders when auto-buy is on (recorded with its price and
//! time), or keeps the order waiting as pending with the reason
//! [`QUOTA_REASON`]. Waiting orders are never dropped: an upgrade or a
//! purchase resumes them at once ([`resume_waiting`]), and the worker looks
//! at them again every [`QUOTA_RECHECK`] (a new month resets the quota).
//!
//! The records (the subscription, its plan and purchases) are the model's
//! (`model::subscription`), so that the store keeps them without knowing
//! these rules.

use crate::app::Ferry;
use crate::events;
use crate::model::subscription::CURRENCY;
use crate::model::{
    usage_periods, Entity, Level, Purchase, Subscription, TenantId, Transfer, TransferStatus,
};
use crate::queue::TransferMessage;
use crate::store::{StoreError, TransferQuery};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Why an order waits at the quota (the start of the transfer's reason).
pub const QUOTA_REASON: &str = "monthly order quota reached";

/// How often a waiting order is looked at again without a purchase (a new
/// month resets the quota). SQS delays a message at most 15 minutes.
pub const QUOTA_RECHECK: Duration = Duration::from_secs(15 * 60);

/// Compare-and-swap rounds before giving up on a busy subscription.
const MAX_RACES: usize = 8;

/// Pending transfers read per page when resuming.
const RESUME_PAGE: usize = 500;

/// The quota gate's answer for one transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Deliver it.
    Go,
    /// Keep it pending with `reason` and look again after `after`.
    Wait { reason: String, after: Duration },
}

/// The month a delivery at `at` counts towards (`2026-11`).
pub fn period_of(at: DateTime<Utc>) -> String {
    let [_, month] = usage_periods(at);
    month
}

/// The tenant's subscription: the stored one, or the initial one (dated
/// when the tenant was created).
pub async fn current(ferry: &Ferry, tenant: &TenantId) -> Result<Subscription, StoreError> {
    if let Some(stored) = ferry.store.get_subscription(tenant).await? {
        return Ok(stored);
    }
    let since = match ferry.store.get_tenant(tenant).await? {
        Some(t) => t.created_at,
        None => ferry.clock.now(),
    };
    Ok(Subscription::initial(tenant, since))
}

/// The quota gate, asked by the transfer worker just before it delivers an
/// order (after the switches and the state check, so that a skipped order
/// never buys a pack). Only orders count; other records always go.
/// `known` is the stored subscription if the caller has just read it
/// (`Store::tenant_setup`); after a lost race it is read again.
pub async fn admit(
    ferry: &Ferry,
    transfer: &Transfer,
    known: Option<Subscription>,
) -> Result<Admission, StoreError> {
    if transfer.entity != Entity::Orders {
        return Ok(Admission::Go);
    }
    let tenant = &transfer.tenant;
    let period = period_of(ferry.clock.now());
    let mut known = known;
    for _ in 0..MAX_RACES {
        let subscription = match known.take() {
            Some(read) => read,
            None => current(ferry, tenant).await?,
        };
        let used = ferry.store.usage(tenant, &period).await?.orders;
        if used < subscription.allowance(&period) {
            return Ok(Admission::Go);
        }
        if !subscription.auto_buy {
            return Ok(Admission::Wait {
                reason: format!(
                    "{QUOTA_REASON} ({used} of {} orders this month): upgrade the plan or buy extra orders (Subscription) and it goes on",
                    subscription.allowance(&period)
                ),
                after: QUOTA_RECHECK,
            });
        }
        match buy(ferry, &subscription, 1, true).await {
            Ok((_, purchase)) => {
                events::log(
                    ferry,
                    tenant,
                    "subscription",
                    Level::Info,
                    format!(
                        "the monthly order quota was reached: bought {} extra orders for {} {} (auto-buy)",
                        purchase.orders, purchase.price, purchase.currency
                    ),
                    Some(&transfer.connection),
                    Some(&transfer.id),
                )
                .await;
                return Ok(Admission::Go);
            }
            // Someone else changed it (perhaps bought the pack): look again.
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Unavailable(
        "the subscription is changing too often; try again".into(),
    ))
}

/// Buys `packs` packs of extra orders for this month on top of
/// `subscription` (compare-and-swap: [`StoreError::Conflict`] if it changed).
pub async fn buy(
    ferry: &Ferry,
    subscription: &Subscription,
    packs: u64,
    automatic: bool,
) -> Result<(Subscription, Purchase), StoreError> {
    let now = ferry.clock.now();
    let plan = subscription.plan();
    let purchase = Purchase {
        id: format!("pur_{}", ulid::Ulid::new().to_string().to_lowercase()),
        period: period_of(now),
        orders: plan.pack_orders * packs,
        price: plan.pack_price * rust_decimal::Decimal::from(packs),
        currency: CURRENCY.to_owned(),
        at: now,
        automatic,
    };
    let mut next = subscription.clone();
    next.purchases.push(purchase.clone());
    next.updated_at = now;
    next.version = subscription.version + 1;
    ferry
        .store
        .put_subscription(&next, subscription.version)
        .await?;
    Ok((next, purchase))
}

/// Saves a changed subscription (compare-and-swap on its version).
pub async fn save(
    ferry: &Ferry,
    before: &Subscription,
    mut after: Subscription,
) -> Result<Subscription, StoreError> {
    after.updated_at = ferry.clock.now();
    after.version = before.version + 1;
    ferry.store.put_subscription(&after, before.version).await?;
    Ok(after)
}

/// Enqueues every order of the tenant waiting at the quota; answers how
/// many. Called after an upgrade, a purchase or switching auto-buy on.
pub async fn resume_waiting(ferry: &Ferry, tenant: &TenantId) -> Result<usize, StoreError> {
    let mut resumed = 0;
    let mut cursor = None;
    loop {
        let query = TransferQuery {
            status: Some(TransferStatus::Pending),
            cursor: cursor.take(),
            limit: RESUME_PAGE,
            ..TransferQuery::default()
        };
        let page = ferry.store.list_transfers(tenant, &query).await?;
        for transfer in page.items.iter().filter(|t| is_waiting_for_quota(t)) {
            let message = TransferMessage {
                tenant: tenant.clone(),
                transfer: transfer.id.clone(),
            };
            ferry
                .queue
                .enqueue(&message, Duration::ZERO)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            resumed += 1;
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(resumed),
        }
    }
}

/// Whether the transfer waits at the quota.
pub fn is_waiting_for_quota(transfer: &Transfer) -> bool {
    transfer.status == TransferStatus::Pending
        && transfer
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with(QUOTA_REASON))
}

#[cfg(test)]
mod tests;
