//! Turning AWS event shapes into Ferry calls, so that each function's
//! `main.rs` only wires. Tested here with the real event types.

use crate::app::Ferry;
use crate::queue::sqs::parse_message;
use crate::queue::TransferMessage;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

/// The transfer-worker's SQS batch: the messages of different transfers at
/// once (a batch's transfers wait on different remotes, and each claims its
/// own transfer before delivering it); messages naming the same transfer
/// (SQS delivers at least once, and a pending transfer is enqueued again
/// when its webhook comes again) one after another, so the second finds
/// the first's result instead of racing it for the claim. Then the batch's
/// usage counts are written (see `Store::flush_usage`); the messages that
/// could not be handled now are reported back (partial batch failure) so
/// SQS delivers only those again (and to the DLQ after too many tries).
pub async fn handle_sqs_batch(ferry: &Ferry, event: SqsEvent) -> SqsBatchResponse {
    let records = &event.records;
    // Each body is read once, here; grouping and handling use what it says.
    let messages: Vec<Body> = records.iter().map(read_body).collect();
    let groups = by_transfer(&messages);
    let handled = futures::future::join_all(groups.iter().map(|group| {
        let messages = &messages;
        async move {
            let mut results = Vec::with_capacity(group.len());
            for &i in group {
                // A panic (a bug) fails this message alone; SQS delivers it
                // again, and the worker fails its transfer in words.
                let handled =
                    crate::panic_guard::catch("queue message", handle_message(ferry, &messages[i]))
                        .await
                        .unwrap_or_else(|panicked| Err(format!("internal error: {panicked}")));
                results.push((i, handled));
            }
            results
        }
    }))
    .await;
    let mut failed: Vec<(usize, String)> = handled
        .into_iter()
        .flatten()
        .filter_map(|(i, result)| result.err().map(|reason| (i, reason)))
        .collect();
    failed.sort_by_key(|(i, _)| *i);
    // The batch's usage counts, when the store keeps them for the batch:
    // written before answering, since Lambda may freeze the process after.
    if let Err(e) = ferry.store.flush_usage().await {
        tracing::warn!(error = %e, "usage of this batch not written yet; kept for the next batch");
    }
    let mut response = SqsBatchResponse::default();
    for (i, reason) in failed {
        let id = records[i].message_id.clone().unwrap_or_default();
        tracing::warn!(message_id = %id, %reason, "message will be retried");
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}

/// What one SQS record's body says.
enum Body {
    Message(TransferMessage),
    /// No body: nothing to act on and nothing to lose.
    Missing,
    /// Not a transfer message (what it was, for the log).
    Malformed {
        error: String,
        body: String,
    },
}

fn read_body(record: &SqsMessage) -> Body {
    let Some(body) = record.body.as_deref() else {
        return Body::Missing;
    };
    match parse_message(body) {
        Ok(message) => Body::Message(message),
        Err(e) => Body::Malformed {
            error: e.to_string(),
            body: body.chars().take(200).collect(),
        },
    }
}

/// The records' positions, grouped by the transfer they name, in the
/// order of each group's first record; a body that names none is a group
/// of its own.
fn by_transfer(messages: &[Body]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: std::collections::HashMap<(&str, &str), usize> =
        std::collections::HashMap::new();
    for (i, body) in messages.iter().enumerate() {
        let named = match body {
            Body::Message(m) => Some((m.tenant.as_str(), m.transfer.as_str())),
            _ => None,
        };
        match named.as_ref().and_then(|key| group_of.get(key)) {
            Some(&g) => groups[g].push(i),
            None => {
                if let Some(key) = named {
                    group_of.insert(key, groups.len());
                }
                groups.push(vec![i]);
            }
        }
    }
    groups
}

async fn handle_message(ferry: &Ferry, body: &Body) -> Result<(), String> {
    let message = match body {
        Body::Message(message) => message,
        Body::Missing => {
            tracing::error!("SQS message without a body dropped");
            return Ok(());
        }
        Body::Malformed { error, body } => {
            // Retrying cannot fix a malformed body; keep it visible in the log.
            tracing::error!(error = %error, body = %body, "malformed queue message dropped");
            return Ok(());
        }
    };
    // The worker logs each outcome once, in the transfer's span.
    crate::flows::process(ferry, message)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, body: &str) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.into());
        message.body = Some(body.into());
        message
    }

    #[test]
    fn messages_of_one_transfer_share_a_group_in_arrival_order() {
        let first = r#"{"tenant": "t_a", "transfer": "tr_1"}"#;
        let other = r#"{"tenant": "t_a", "transfer": "tr_2"}"#;
        let elsewhere = r#"{"tenant": "t_b", "transfer": "tr_1"}"#;
        let records = [
            message("m-0", first),
            message("m-1", other),
            message("m-2", first),
            message("m-3", "not a transfer message"),
            message("m-4", "not a transfer message"),
            message("m-5", elsewhere),
            message("m-6", first),
        ];
        let messages: Vec<Body> = records.iter().map(read_body).collect();
        assert_eq!(
            by_transfer(&messages),
            vec![vec![0, 2, 6], vec![1], vec![3], vec![4], vec![5]]
        );
    }
}
