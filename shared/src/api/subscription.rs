//! `/subscription`: the plan, this month's usage against the quota, the
//! extra orders bought; auto-buy on or off, upgrade, buy extra orders.
//! An upgrade, a purchase or switching auto-buy on resumes the orders that
//! wait at the quota.

use super::auth::Caller;
use super::body::ValidJson;
use super::error::{ApiError, ErrorBody};
use crate::app::Ferry;
use crate::model::subscription::{plan, plans, Plan, Purchase, Subscription};
use crate::store::StoreError;
use crate::subscription;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub plan: Plan,
    /// Orders included per month by the plan.
    pub monthly_orders: u64,
    /// This month (`2026-11`).
    pub period: String,
    /// Orders delivered this month (each counts once).
    pub used: u64,
    /// Extra orders bought for this month.
    pub extra_orders: u64,
    /// What may be delivered this month: included plus extra.
    pub allowance: u64,
    pub remaining: u64,
    /// Buy a pack of extra orders automatically at the quota; off, orders
    /// wait as pending until an upgrade or a purchase.
    pub auto_buy: bool,
    /// Orders waiting at the quota now are counted on the Transfers screen
    /// (pending, reason "monthly order quota reached").
    pub purchases: Vec<Purchase>,
    /// The plans on offer, smallest first.
    pub plans: Vec<Plan>,
    pub updated_at: DateTime<Utc>,
    /// Orders enqueued again by this change (0 when reading).
    pub resumed: usize,
}

async fn view(
    ferry: &Ferry,
    subscription: &Subscription,
    resumed: usize,
) -> Result<SubscriptionView, ApiError> {
    let period = subscription::period_of(ferry.clock.now());
    let used = ferry
        .store
        .usage(&subscription.tenant, &period)
        .await?
        .orders;
    let plan = subscription.plan();
    let allowance = subscription.allowance(&period);
    let mut purchases = subscription.purchases.clone();
    purchases.reverse(); // newest first
    Ok(SubscriptionView {
        monthly_orders: plan.monthly_orders,
        plan,
        extra_orders: subscription.extra_orders(&period),
        allowance,
        remaining: allowance.saturating_sub(used),
        used,
        period,
        auto_buy: subscription.auto_buy,
        purchases,
        plans: plans(),
        updated_at: subscription.updated_at,
        resumed,
    })
}

#[utoipa::path(get, path = "/api/v1/subscription", tag = "subscription",
    responses((status = 200, body = SubscriptionView), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(ferry): State<Ferry>,
    caller: Caller,
) -> Result<Json<SubscriptionView>, ApiError> {
    let subscription = subscription::current(&ferry, &caller.tenant).await?;
    Ok(Json(view(&ferry, &subscription, 0).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionChanges {
    pub auto_buy: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/subscription", tag = "subscription",
    request_body = SubscriptionChanges,
    responses((status = 200, body = SubscriptionView), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(changes): ValidJson<SubscriptionChanges>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let saved = change(&ferry, &caller, |s| {
        if let Some(on) = changes.auto_buy {
            s.auto_buy = on;
        }
        Ok(())
    })
    .await?;
    let resumed = if saved.auto_buy {
        subscription::resume_waiting(&ferry, &caller.tenant).await?
    } else {
        0
    };
    Ok(Json(view(&ferry, &saved, resumed).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Upgrade {
    /// `business` or `enterprise`: a plan with more orders than today's.
    pub plan: String,
}

#[utoipa::path(post, path = "/api/v1/subscription/upgrade", tag = "subscription",
    request_body = Upgrade,
    responses((status = 200, body = SubscriptionView), (status = "4XX", body = ErrorBody)))]
pub async fn upgrade(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(body): ValidJson<Upgrade>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let wanted = plan(body.plan.trim()).ok_or_else(|| {
        let ids: Vec<&str> = plans().iter().map(|p| p.id).collect();
        ApiError::invalid(
            "plan",
            format!(
                "there is no plan '{}'; choose {}",
                body.plan,
                ids.join(", ")
            ),
        )
    })?;
    let saved = change(&ferry, &caller, |s| {
        let now = s.plan();
        if wanted.monthly_orders <= now.monthly_orders {
            return Err(ApiError {
                field: Some("plan".into()),
                ..ApiError::conflict(format!(
                    "'{}' includes {} orders a month, no more than '{}' ({}); choose a larger plan",
                    wanted.id, wanted.monthly_orders, now.id, now.monthly_orders
                ))
            });
        }
        s.plan = wanted.id.to_owned();
        Ok(())
    })
    .await?;
    let resumed = subscription::resume_waiting(&ferry, &caller.tenant).await?;
    Ok(Json(view(&ferry, &saved, resumed).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPurchase {
    /// Packs of extra orders to buy for this month, 1 to 100.
    #[schema(minimum = 1, maximum = 100)]
    pub packs: u64,
}

#[utoipa::path(post, path = "/api/v1/subscription/purchases", tag = "subscription",
    request_body = NewPurchase,
    responses((status = 201, body = SubscriptionView), (status = "4XX", body = ErrorBody)))]
pub async fn purchase(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(body): ValidJson<NewPurchase>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    if !(1..=100).contains(&body.packs) {
        return Err(ApiError::invalid("packs", "buy 1 to 100 packs at a time"));
    }
    for _ in 0..8 {
        let before = subscription::current(&ferry, &caller.tenant).await?;
        match subscription::buy(&ferry, &before, body.packs, false).await {
            Ok((saved, _)) => {
                let resumed = subscription::resume_waiting(&ferry, &caller.tenant).await?;
                return Ok((
                    StatusCode::CREATED,
                    Json(view(&ferry, &saved, resumed).await?),
                ));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "the subscription is changing; try again",
    ))
}

/// Applies `edit` and saves by compare-and-swap, re-reading on a conflict.
async fn change(
    ferry: &Ferry,
    caller: &Caller,
    edit: impl Fn(&mut Subscription) -> Result<(), ApiError>,
) -> Result<Subscription, ApiError> {
    for _ in 0..8 {
        let before = subscription::current(ferry, &caller.tenant).await?;
        let mut after = before.clone();
        edit(&mut after)?;
        match subscription::save(ferry, &before, after).await {
            Ok(saved) => return Ok(saved),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "the subscription is changing; try again",
    ))
}
