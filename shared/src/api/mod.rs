//! The HTTP side: the webhook door and the dashboard API under `/api/v1`.
//! One axum router, served by the `webhook-intake` and `dashboard-api`
//! functions (through `lambda_http`) and by ferry-local.

pub mod auth;
pub mod body;
pub mod connections;
pub mod error;
pub mod schedules;
pub mod screens;
pub mod systems;
pub mod tenants;
pub mod transfers;
pub mod validate;
pub mod views;
pub mod webhooks;

use crate::app::Ferry;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use error::ApiError;

/// Largest API request body.
const MAX_API_BODY: usize = 256 * 1024;

/// The webhook door alone (the `webhook-intake` function).
pub fn webhook_router(ferry: Ferry) -> Router {
    let limit = ferry.limits.max_webhook_bytes;
    Router::new()
        .route("/webhooks/{connection_id}", post(webhooks::receive))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(ferry)
}

/// The dashboard API alone (the `dashboard-api` function).
pub fn api_router(ferry: Ferry) -> Router {
    let v1 = Router::new()
        .route("/tenants", post(tenants::create))
        .route("/systems", get(systems::list).post(systems::create))
        .route(
            "/systems/{id}",
            get(systems::get)
                .patch(systems::update)
                .delete(systems::delete),
        )
        .route(
            "/systems/{id}/credentials",
            put(systems::replace_credentials),
        )
        .route("/systems/{id}/test", post(systems::test))
        .route(
            "/connections",
            get(connections::list).post(connections::create),
        )
        .route(
            "/connections/{id}",
            get(connections::get)
                .patch(connections::update)
                .delete(connections::delete),
        )
        .route("/connections/{id}/sync", post(connections::sync))
        .route("/schedules", get(schedules::list))
        .route("/transfers", get(transfers::list))
        .route("/transfers/{id}", get(transfers::get))
        .route("/transfers/{id}/retry", post(transfers::retry))
        .route(
            "/settings",
            get(screens::get_settings).patch(screens::update_settings),
        )
        .route("/board", get(screens::board))
        .route("/logs", get(screens::logs))
        .route("/overview", get(screens::overview))
        .fallback(|| async { ApiError::not_found("route") });
    Router::new()
        .nest("/api/v1", v1)
        .layer(DefaultBodyLimit::max(MAX_API_BODY))
        .with_state(ferry)
}

/// Both, as ferry-local serves them on one port.
pub fn router(ferry: Ferry) -> Router {
    webhook_router(ferry.clone()).merge(api_router(ferry))
}
