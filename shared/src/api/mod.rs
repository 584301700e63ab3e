//! The HTTP side: the webhook door and the dashboard API under `/api/v1`.
//! One axum router, served by the `webhook-intake` and `dashboard-api`
//! functions (through `lambda_http`) and by ferry-local. The webhook door
//! (`webhooks`, `error`) comes with the crate feature `webhooks`; the
//! dashboard API's modules with `dashboard-api`, so that webhook-intake
//! links none of them.

#[cfg(feature = "dashboard-api")]
pub mod auth;
#[cfg(feature = "dashboard-api")]
pub mod body;
#[cfg(feature = "dashboard-api")]
pub mod connections;
pub mod error;
#[cfg(feature = "dashboard-api")]
pub mod jwt;
#[cfg(feature = "dashboard-api")]
pub mod openapi;
#[cfg(feature = "dashboard-api")]
pub mod page;
#[cfg(feature = "dashboard-api")]
pub mod payment_settings;
#[cfg(feature = "dashboard-api")]
pub mod query;
#[cfg(feature = "dashboard-api")]
pub mod reminders;
#[cfg(feature = "dashboard-api")]
pub mod schedules;
#[cfg(feature = "dashboard-api")]
pub mod scopes;
#[cfg(feature = "dashboard-api")]
pub mod screens;
#[cfg(feature = "dashboard-api")]
pub mod sign_in;
#[cfg(feature = "dashboard-api")]
pub mod subscription;
#[cfg(feature = "dashboard-api")]
pub mod systems;
#[cfg(feature = "dashboard-api")]
pub mod tenants;
#[cfg(feature = "dashboard-api")]
pub mod transfers;
#[cfg(feature = "dashboard-api")]
pub mod user_change;
#[cfg(feature = "dashboard-api")]
pub mod users;
#[cfg(feature = "dashboard-api")]
pub mod validate;
#[cfg(feature = "dashboard-api")]
pub mod views;
pub mod webhooks;

use crate::app::Ferry;
use axum::extract::DefaultBodyLimit;
#[cfg(feature = "dashboard-api")]
use axum::middleware;
use axum::routing::post;
#[cfg(feature = "dashboard-api")]
use axum::routing::{delete, get, put};
use axum::Router;
use error::ApiError;
use tower_http::catch_panic::CatchPanicLayer;

/// Largest API request body.
#[cfg(feature = "dashboard-api")]
const MAX_API_BODY: usize = 256 * 1024;

/// The webhook door alone (the `webhook-intake` function).
pub fn webhook_router(ferry: Ferry) -> Router {
    let limit = ferry.limits.max_webhook_bytes;
    Router::new()
        .route("/webhooks/{connection_id}", post(webhooks::receive))
        .layer(DefaultBodyLimit::max(limit))
        .layer(CatchPanicLayer::custom(internal_error))
        .with_state(ferry)
}

/// The dashboard API alone (the `dashboard-api` function).
#[cfg(feature = "dashboard-api")]
pub fn api_router(ferry: Ferry) -> Router {
    let tenant_routes = Router::new()
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
        .route("/systems/{id}/disconnect", post(systems::disconnect))
        .route("/systems/{id}/sync", post(systems::sync))
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
        .route("/connections/{id}/activate", post(connections::activate))
        .route(
            "/connections/{id}/deactivate",
            post(connections::deactivate),
        )
        .route(
            "/clients",
            get(scopes::list_clients).post(scopes::add_client),
        )
        .route("/clients/{name}", delete(scopes::remove_client))
        .route(
            "/warehouses",
            get(scopes::list_warehouses).post(scopes::add_warehouse),
        )
        .route("/warehouses/{name}", delete(scopes::remove_warehouse))
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
        .route("/users", get(users::list).post(users::invite))
        .route(
            "/users/{id}",
            get(users::get).patch(users::update).delete(users::remove),
        )
        .route("/users/{id}/invitation", post(users::send_invitation))
        .route(
            "/subscription",
            get(subscription::get).patch(subscription::update),
        )
        .route("/subscription/upgrade", post(subscription::upgrade))
        .route("/subscription/purchases", post(subscription::purchase))
        .route("/reminders", get(reminders::get).put(reminders::replace))
        // Every tenant route: authenticated once, viewers read only.
        .route_layer(middleware::from_fn_with_state(ferry.clone(), auth::guard));
    let v1 = Router::new()
        .route("/tenants", post(tenants::create))
        // Without a token: the sign-in link's code is the credential.
        .route("/sign-in", post(sign_in::exchange))
        // Outside the viewers' read-only rule: anyone may sign themselves out.
        .route("/sign-out-everywhere", post(sign_in::sign_out_everywhere))
        .route("/openapi.json", get(openapi::serve))
        .merge(tenant_routes)
        .fallback(|| async { ApiError::not_found("route") });
    Router::new()
        .nest("/api/v1", v1)
        .layer(DefaultBodyLimit::max(MAX_API_BODY))
        .layer(CatchPanicLayer::custom(internal_error))
        .with_state(ferry)
}

/// A request whose handler panicked (a bug): it alone fails, with a 500 in
/// CONTRACT.md's shape; the panic's message goes to the log only (see
/// `crate::panic_guard`), not to the caller.
fn internal_error(panic: Box<dyn std::any::Any + Send>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let message = crate::panic_guard::message(panic.as_ref());
    tracing::error!(panic = %message, "internal error; only this request failed");
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Ferry hit an internal error on this request; nothing else was affected — try again, \
         or contact support if it keeps happening",
    )
    .into_response()
}

/// Both, as ferry-local serves them on one port.
#[cfg(feature = "dashboard-api")]
pub fn router(ferry: Ferry) -> Router {
    webhook_router(ferry.clone()).merge(api_router(ferry))
}
