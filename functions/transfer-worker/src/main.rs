//! transfer-worker: SQS batches of transfers, with partial batch failures.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ferry::telemetry::init_json();
    // Usage is written once per batch (handle_sqs_batch flushes it).
    let setup = ferry::aws::Setup {
        usage_per_batch: true,
    };
    let ferry = ferry::aws::ferry_or_exit_with(setup).await;
    let ferry = &ferry;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(ferry::lambda::handle_sqs_batch(ferry, event.payload).await)
    }))
    .await
}
