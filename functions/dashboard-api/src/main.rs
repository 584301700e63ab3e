//! dashboard-api: the JSON API under `/api/v1` behind API Gateway, and the
//! dashboard's files at `/` (embedded at build time; see docs/DASHBOARD.md).
//! Wires the AWS adapters once per cold start and serves Ferry's router.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferry::telemetry::init_json();
    let ferry = ferry::aws::ferry_or_exit().await;
    let app = ferry::api::api_router(ferry).merge(ferry_dashboard::router());
    lambda_http::run(app).await
}
