//! The smaller screens: settings, board, logs, overview.

use super::auth::Caller;
use super::body::ValidJson;
use super::error::{ApiError, ErrorBody};
use super::page;
use super::query::ValidQuery;
use super::views::{List, TransferView};
use crate::app::Ferry;
use crate::model::{Level, LogEvent, Settings, TransferStatus, Usage};
use crate::store::{LogQuery, TransferQuery};
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Datelike, Duration, Months, Utc};
use serde::{Deserialize, Serialize};

/// The whole integration's switch and each module's.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = Settings), (status = "4XX", body = ErrorBody)))]
pub async fn get_settings(
    State(ferry): State<Ferry>,
    caller: Caller,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(ferry.store.get_settings(&caller.tenant).await?))
}

/// Only the switches sent change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChanges {
    /// The whole integration: off, nothing moves (the first thing to check).
    pub integration_active: Option<bool>,
    pub orders_active: Option<bool>,
    pub products_active: Option<bool>,
    pub stock_active: Option<bool>,
    pub customers_active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", request_body = SettingsChanges,
    responses((status = 200, body = Settings), (status = "4XX", body = ErrorBody)))]
pub async fn update_settings(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidJson(changes): ValidJson<SettingsChanges>,
) -> Result<Json<Settings>, ApiError> {
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

/// The newest 20 transfers of each status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub pending: Vec<TransferView>,
    pub delivered: Vec<TransferView>,
    pub failed: Vec<TransferView>,
    pub skipped: Vec<TransferView>,
}

/// How many transfers of each status the board shows.
const BOARD_SIZE: usize = 20;

#[utoipa::path(get, path = "/api/v1/board", tag = "screens",
    responses((status = 200, body = Board), (status = "4XX", body = ErrorBody)))]
pub async fn board(State(ferry): State<Ferry>, caller: Caller) -> Result<Json<Board>, ApiError> {
    let newest = |status| {
        let ferry = ferry.clone();
        let tenant = caller.tenant.clone();
        async move {
            let query = TransferQuery {
                status: Some(status),
                limit: BOARD_SIZE,
                ..TransferQuery::default()
            };
            let page = ferry.store.list_transfers(&tenant, &query).await?;
            Ok::<_, ApiError>(page.items.iter().map(TransferView::summary).collect())
        }
    };
    let (pending, delivered, failed, skipped) = futures::try_join!(
        newest(TransferStatus::Pending),
        newest(TransferStatus::Delivered),
        newest(TransferStatus::Failed),
        newest(TransferStatus::Skipped),
    )?;
    Ok(Json(Board {
        pending,
        delivered,
        failed,
        skipped,
    }))
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogFilter {
    /// `webhook-intake`, `scheduler`, `transfer-worker`, ...
    pub service: Option<String>,
    /// This level and above.
    pub level: Option<Level>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// Service events, newest first.
#[utoipa::path(get, path = "/api/v1/logs", tag = "screens", params(LogFilter),
    responses((status = 200, body = List<LogEvent>), (status = "4XX", body = ErrorBody)))]
pub async fn logs(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidQuery(filter): ValidQuery<LogFilter>,
) -> Result<Json<List<LogEvent>>, ApiError> {
    let cursor_given = filter.cursor.is_some();
    let query = LogQuery {
        service: filter.service,
        min_level: filter.level,
        cursor: filter.cursor,
        limit: page::limit(filter.limit)?,
    };
    let page = page::from_store(
        ferry.store.list_logs(&caller.tenant, &query).await,
        cursor_given,
    )?;
    Ok(Json(List {
        items: page.items,
        next: page.next,
    }))
}

/// Home: what was handled, today and this month, and the history by day
/// (31 days) and by month (12 months), oldest first, ending today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub today: Usage,
    pub this_month: Usage,
    /// The last 31 days, oldest first (`period` = `2026-11-23`).
    pub days: Vec<Usage>,
    /// The last 12 months, oldest first (`period` = `2026-11`).
    pub months: Vec<Usage>,
}

/// Days and months the history shows.
pub const HISTORY_DAYS: usize = 31;
pub const HISTORY_MONTHS: usize = 12;

/// Reads the usage counters (one small item per day and month, added to as
/// transfers are handled): never the transfers themselves.
#[utoipa::path(get, path = "/api/v1/overview", tag = "screens",
    responses((status = 200, body = Overview), (status = "4XX", body = ErrorBody)))]
pub async fn overview(
    State(ferry): State<Ferry>,
    caller: Caller,
) -> Result<Json<Overview>, ApiError> {
    let (days, months) = history_periods(ferry.clock.now());
    let read = |period: String| {
        let ferry = ferry.clone();
        let tenant = caller.tenant.clone();
        async move {
            let mut usage = ferry.store.usage(&tenant, &period).await?;
            usage.period = period;
            Ok::<_, ApiError>(usage)
        }
    };
    let days = futures::future::try_join_all(days.into_iter().map(read)).await?;
    let months = futures::future::try_join_all(months.into_iter().map(read)).await?;
    Ok(Json(Overview {
        today: days.last().cloned().unwrap_or_default(),
        this_month: months.last().cloned().unwrap_or_default(),
        days,
        months,
    }))
}

/// The day and month periods of the history ending at `now`, oldest first.
pub fn history_periods(now: DateTime<Utc>) -> (Vec<String>, Vec<String>) {
    let days = (0..HISTORY_DAYS as i64)
        .rev()
        .map(|back| (now - Duration::days(back)).format("%Y-%m-%d").to_string())
        .collect();
    let first_of_month = now
        .date_naive()
        .with_day(1)
        .unwrap_or_else(|| now.date_naive());
    let months = (0..HISTORY_MONTHS as u32)
        .rev()
        .map(|back| {
            first_of_month
                .checked_sub_months(Months::new(back))
                .unwrap_or(first_of_month)
                .format("%Y-%m")
                .to_string()
        })
        .collect();
    (days, months)
}

#[cfg(test)]
mod tests {
    use super::history_periods;
    use chrono::{TimeZone, Utc};

    #[test]
    fn history_ends_today_and_spans_a_year_boundary() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 23, 59, 0).unwrap();
        let (days, months) = history_periods(now);
        assert_eq!(days.len(), 31);
        assert_eq!(days.first().unwrap(), "2026-01-30");
        assert_eq!(days.last().unwrap(), "2026-03-01");
        assert_eq!(months.len(), 12);
        assert_eq!(months.first().unwrap(), "2025-04");
        assert_eq!(months.last().unwrap(), "2026-03");
        let mut sorted = days.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, days);
    }
}
