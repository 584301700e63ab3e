//! Turning AWS event shapes into Ferry calls, so that each function's
//! `main.rs` only wires. Tested here with the real event types.

use crate::app::Ferry;
use crate::pipeline::worker;
use crate::queue::sqs::parse_message;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

/// The transfer-worker's SQS batch: each message on its own, all of them at
/// once (a batch's transfers wait on different remotes, and each claims its
/// own transfer before delivering it); then the batch's usage counts are
/// written (see `Store::flush_usage`); the ones that could not be handled
/// now are reported back (partial batch failure) so SQS delivers only those
/// again (and to the DLQ after too many tries).
pub async fn handle_sqs_batch(ferry: &Ferry, event: SqsEvent) -> SqsBatchResponse {
    let handled = futures::future::join_all(
        event
            .records
            .iter()
            .map(|record| handle_sqs_message(ferry, record)),
    )
    .await;
    // The batch's usage counts, when the store keeps them for the batch:
    // written before answering, since Lambda may freeze the process after.
    if let Err(e) = ferry.store.flush_usage().await {
        tracing::warn!(error = %e, "usage of this batch not written yet; kept for the next batch");
    }
    let mut response = SqsBatchResponse::default();
    for (record, result) in event.records.iter().zip(handled) {
        if let Err(reason) = result {
            let id = record.message_id.clone().unwrap_or_default();
            tracing::warn!(message_id = %id, %reason, "message will be retried");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

async fn handle_sqs_message(ferry: &Ferry, record: &SqsMessage) -> Result<(), String> {
    let Some(body) = record.body.as_deref() else {
        // Nothing to act on and nothing to lose: acknowledge.
        tracing::error!("SQS message without a body dropped");
        return Ok(());
    };
    let message = match parse_message(body) {
        Ok(message) => message,
        Err(e) => {
            // Retrying cannot fix a malformed body; keep it visible in the log.
            tracing::error!(error = %e, body = %body.chars().take(200).collect::<String>(), "malformed queue message dropped");
            return Ok(());
        }
    };
    // The worker logs each outcome once, in the transfer's span.
    worker::process(ferry, &message)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
