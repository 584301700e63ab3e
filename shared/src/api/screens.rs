//! The smaller screens: settings, board, logs, overview.

use super::auth::Caller;
use super::body::ValidJson;
use super::error::ApiError;
use super::views::{List, TransferView};
use crate::app::Ferry;
use crate::model::{Level, LogEvent, Settings, TransferStatus, Usage};
use crate::store::{LogQuery, TransferQuery};
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub async fn get_settings(
    State(ferry): State<Ferry>,
    caller: Caller,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(ferry.store.get_settings(&caller.tenant).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsChanges {
    pub integration_active: Option<bool>,
    pub orders_active: Option<bool>,
    pub products_active: Option<bool>,
    pub stock_active: Option<bool>,
    pub customers_active: Option<bool>,
}

pub async fn update_settings(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(changes): ValidJson<SettingsChanges>,
) -> Result<Json<Settings>, ApiError> {
    caller.require_admin()?;
    let mut settings = ferry.store.get_settings(&caller.tenant).await?;
    let switches = [
        (changes.integration_active, &mut settings.integration_active),
        (changes.orders_active, &mut settings.orders_active),
        (changes.products_active, &mut settings.products_active),
        (changes.stock_active, &mut settings.stock_active),
        (changes.customers_active, &mut settings.customers_active),
    ];
    for (change, switch) in switches {
        if let Some(on) = change {
            *switch = on;
        }
    }
    ferry.store.put_settings(&caller.tenant, &settings).await?;
    Ok(Json(settings))
}

/// The newest 20 transfers per status.
pub async fn board(
    State(ferry): State<Ferry>,
    caller: Caller,
) -> Result<Json<BTreeMap<&'static str, Vec<TransferView>>>, ApiError> {
    let mut board = BTreeMap::new();
    for status in TransferStatus::ALL {
        let query = TransferQuery {
            status: Some(status),
            limit: 20,
            ..TransferQuery::default()
        };
        let page = ferry.store.list_transfers(&caller.tenant, &query).await?;
        board.insert(
            status.as_str(),
            page.items.iter().map(TransferView::summary).collect(),
        );
    }
    Ok(Json(board))
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LogFilter {
    pub service: Option<String>,
    pub level: Option<Level>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

pub async fn logs(
    State(ferry): State<Ferry>,
    caller: Caller,
    Query(filter): Query<LogFilter>,
) -> Result<Json<List<LogEvent>>, ApiError> {
    let query = LogQuery {
        service: filter.service,
        min_level: filter.level,
        cursor: filter.cursor,
        limit: filter.limit.unwrap_or(50),
    };
    let page = ferry.store.list_logs(&caller.tenant, &query).await?;
    Ok(Json(List {
        items: page.items,
        next: page.next,
    }))
}

#[derive(Debug, Serialize)]
pub struct Overview {
    pub today: Usage,
    pub this_month: Usage,
}

/// Today's and this month's counters (the history per day and month is
/// part of the dashboard API issue).
pub async fn overview(
    State(ferry): State<Ferry>,
    caller: Caller,
) -> Result<Json<Overview>, ApiError> {
    let [day, month] = crate::store::usage_periods(ferry.clock.now());
    Ok(Json(Overview {
        today: ferry.store.usage(&caller.tenant, &day).await?,
        this_month: ferry.store.usage(&caller.tenant, &month).await?,
    }))
}
