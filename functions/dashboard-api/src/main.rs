//! dashboard-api: the JSON API under `/api/v1` behind API Gateway.
//! Wires the AWS adapters once per cold start and serves Ferry's router.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferry::telemetry::init_json();
    let ferry = ferry::aws::ferry_or_exit().await;
    lambda_http::run(ferry::api::api_router(ferry)).await
}
