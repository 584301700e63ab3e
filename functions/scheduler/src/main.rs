//! scheduler: one pass per EventBridge tick (every minute), the
//! dead-letter queue read back in each.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ferry::telemetry::init_json();
    let (ferry, dead_letters) = ferry::aws::scheduler_or_exit().await;
    let (ferry, dead_letters) = (&ferry, &dead_letters);
    lambda_runtime::run(service_fn(
        move |_event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| async move {
            Ok::<_, Error>(ferry::scheduler::scheduled_tick(ferry, Some(dead_letters)).await?)
        },
    ))
    .await
}
