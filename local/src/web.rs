//! ferry-local's one port: the webhook door, the API and the dashboard.

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use ferry::Ferry;

/// Until the single-page dashboard lands, a small page over the API.
const PAGE: &str = include_str!("page.html");

pub fn router(ferry: Ferry) -> Router {
    ferry::api::router(ferry).route("/", get(|| async { Html(PAGE) }))
}
