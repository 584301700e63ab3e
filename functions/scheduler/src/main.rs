//! scheduler: one pass per EventBridge tick (every minute).

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ferry::telemetry::init_json();
    let ferry = ferry::aws::ferry_or_exit().await;
    let ferry = &ferry;
    lambda_runtime::run(service_fn(
        move |_event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| async move {
            Ok::<_, Error>(ferry::scheduler::scheduled_tick(ferry).await?)
        },
    ))
    .await
}
