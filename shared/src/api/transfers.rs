//! The transfer log: search, detail, retry.

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::query::ValidQuery;
use super::views::{List, TransferView};
use super::{page, validate};
use crate::app::Ferry;
use crate::model::{ConnectionId, TransferId, TransferStatus, UsageDelta};
use crate::queue::TransferMessage;
use crate::store::{StoreError, TransferQuery};
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TransferFilter {
    pub status: Option<TransferStatus>,
    /// A webshop number ("#1001") or a target number.
    pub q: Option<String>,
    pub connection: Option<String>,
    /// A date (`2026-11-01`) or a time (RFC 3339).
    pub from: Option<String>,
    pub to: Option<String>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 500 (50 by default).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Only transfers of this kind (`order`, `payment`, ...). Picked from
    /// each page as read, so a page may hold fewer than `limit`: follow
    /// `next` to the end.
    pub kind: Option<crate::model::TransferKind>,
}

/// The log, newest first: search by webshop number or target number (`q`),
/// by status, connection and time; reads an index, never every transfer.
#[utoipa::path(get, path = "/api/v1/transfers", tag = "transfers", params(TransferFilter),
    responses((status = 200, body = List<TransferView>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(ferry): State<Ferry>,
    caller: Caller,
    ValidQuery(filter): ValidQuery<TransferFilter>,
) -> Result<Json<List<TransferView>>, ApiError> {
    let cursor_given = filter.cursor.is_some();
    let query = TransferQuery {
        status: filter.status,
        connection: filter
            .connection
            .as_deref()
            .map(|c| {
                ConnectionId::parse(c)
                    .map_err(|_| ApiError::invalid("connection", "not a connection id"))
            })
            .transpose()?,
        reference: filter
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty()),
        from: filter
            .from
            .as_deref()
            .map(|v| time("from", v))
            .transpose()?,
        to: filter.to.as_deref().map(|v| time("to", v)).transpose()?,
        cursor: filter.cursor,
        limit: page::limit(filter.limit)?,
    };
    let page = page::from_store(
        ferry.store.list_transfers(&caller.tenant, &query).await,
        cursor_given,
    )?;
    Ok(Json(List {
        items: page
            .items
            .iter()
            .filter(|t| filter.kind.is_none_or(|kind| t.kind() == kind))
            .map(TransferView::summary)
            .collect(),
        next: page.next,
    }))
}

/// One transfer with the data as received and as sent.
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "transfers", params(("id" = String, Path)),
    responses((status = 200, body = TransferView), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TransferView>, ApiError> {
    let id: TransferId = validate::id("transfer", &id)?;
    let transfer = ferry
        .store
        .get_transfer(&caller.tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("transfer"))?;
    Ok(Json(TransferView::detail(&transfer)))
}

/// Sends a failed or skipped transfer through the normal path again.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/retry", tag = "transfers", params(("id" = String, Path)),
    responses((status = 200, body = TransferView), (status = "4XX", body = ErrorBody)))]
pub async fn retry(
    State(ferry): State<Ferry>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TransferView>, ApiError> {
    let id: TransferId = validate::id("transfer", &id)?;
    for _ in 0..4 {
        let transfer = ferry
            .store
            .get_transfer(&caller.tenant, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("transfer"))?;
        let Ok(again) = transfer.retried(ferry.clock.now()) else {
            return Err(ApiError::conflict(format!(
                "only failed or skipped transfers can be retried; this one is {}",
                transfer.status.as_str()
            )));
        };
        match ferry
            .store
            .update_transfer(&again, transfer.version, UsageDelta::default())
            .await
        {
            Ok(()) => {
                let message = TransferMessage {
                    tenant: caller.tenant.clone(),
                    transfer: again.id.clone(),
                };
                ferry
                    .queue
                    .enqueue(&message, Duration::ZERO)
                    .await
                    .map_err(|e| ApiError::unavailable(e.to_string()))?;
                return Ok(Json(TransferView::summary(&again)));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict("the transfer is changing; try again"))
}

fn time(field: &str, value: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| ApiError::invalid(field, "use a date (2026-11-01) or a time (RFC 3339)"))
}
