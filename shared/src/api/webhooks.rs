//! `POST /webhooks/{connection_id}`: a thin door to [`crate::intake`].

use super::error::ApiError;
use crate::app::Ferry;
use crate::intake::{self, IntakeError, Received};
use crate::pipeline::record::Recorded;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::json;

pub async fn receive(
    State(ferry): State<Ferry>,
    Path(connection_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    match intake::receive(&ferry, &connection_id, &headers, &body).await {
        Ok(received) => {
            let (status, transfer) = match &received {
                Received::Ping => ("ping", None),
                // Seen before, or older than what Ferry holds: nothing changed.
                Received::Recorded(
                    r @ (Recorded::Unchanged(_) | Recorded::AlreadyDelivered(_)),
                ) => ("duplicate", Some(r.transfer().to_string())),
                Received::Recorded(r) => ("recorded", Some(r.transfer().to_string())),
                Received::Payments(recorded) => (
                    "payments",
                    recorded.first().map(|r| r.transfer().to_string()),
                ),
            };
            Ok(Json(json!({ "status": status, "transfer": transfer })))
        }
        Err(IntakeError::UnknownConnection) => Err(ApiError::not_found("connection")),
        Err(IntakeError::Unauthorized(reason)) => Err(ApiError::unauthorized(reason)),
        Err(IntakeError::Unavailable(reason)) => {
            tracing::error!(%reason, "webhook not recorded");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Ferry could not record the delivery now; send it again",
            ))
        }
    }
}
