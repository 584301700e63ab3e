//! ferry-local's one port: the webhook door, the API and the dashboard.

use axum::Router;
use ferry::Ferry;

/// The webhooks and `/api/v1` (Ferry's router) and the dashboard at `/`
/// (`dashboard/dist`, see the `ferry-dashboard` crate).
pub fn router(ferry: Ferry) -> Router {
    ferry::api::router(ferry).merge(ferry_dashboard::router())
}
