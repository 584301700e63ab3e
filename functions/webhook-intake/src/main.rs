//! webhook-intake: `POST /webhooks/{connection_id}` on the function's own URL
//! (`FunctionUrlConfig` in infra/template.yaml).
//! Wires the AWS adapters once per cold start and serves Ferry's router.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferry::telemetry::init_json();
    let ferry = ferry::aws::ferry_or_exit().await;
    lambda_http::run(ferry::api::webhook_router(ferry)).await
}
