//! transfer-worker: SQS batches of transfers, with partial batch failures.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ferry::telemetry::init_json();
    let ferry = ferry::aws::ferry_or_exit().await;
    let ferry = &ferry;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(ferry::lambda::handle_sqs_batch(ferry, event.payload).await)
    }))
    .await
}
