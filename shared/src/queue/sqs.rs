//! The queue on AWS: an SQS standard queue (with a dead-letter queue set up
//! in the SAM template). A message body is the JSON of [`TransferMessage`].

use super::{Queue, QueueError, TransferMessage};
use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use std::time::Duration;

/// SQS allows at most 15 minutes of delay per message.
const MAX_DELAY_SECONDS: u64 = 900;

#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

/// A queue message whose body is not a transfer message.
#[derive(Debug, thiserror::Error)]
#[error("the queue message is not a transfer message ({0}); it names no transfer, so it cannot be processed")]
pub struct MalformedMessage(String);

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: String) -> Self {
        Self { client, queue_url }
    }

    /// One cheap call during a function's init (the queue's ARN), so that
    /// the first event's message does not pay for the endpoint, the
    /// connection and the TLS handshake. Needs `sqs:GetQueueAttributes`.
    pub async fn warm_up(&self) -> Result<(), QueueError> {
        self.client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                QueueError(format!(
                    "SQS GetQueueAttributes failed: {}",
                    DisplayErrorContext(&e)
                ))
            })
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn enqueue(&self, message: &TransferMessage, delay: Duration) -> Result<(), QueueError> {
        let body = serde_json::to_string(message)
            .map_err(|e| QueueError(format!("could not write the message: {e}")))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(delay_seconds(delay))
            .send()
            .await
            .map_err(|e| {
                QueueError(format!(
                    "SQS did not take the message: {}",
                    DisplayErrorContext(&e)
                ))
            })?;
        Ok(())
    }
}

/// Whole seconds, rounded up so a message is never seen before its delay,
/// and cut to the SQS maximum.
fn delay_seconds(delay: Duration) -> i32 {
    let rounded_up = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
    // At most 900, so it always fits.
    rounded_up.min(MAX_DELAY_SECONDS) as i32
}

/// Reads the body of an SQS record (as the worker receives it).
pub fn parse_message(body: &str) -> Result<TransferMessage, MalformedMessage> {
    serde_json::from_str(body).map_err(|e| MalformedMessage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TenantId, TransferId};

    #[test]
    fn delays_round_up_to_whole_seconds() {
        assert_eq!(delay_seconds(Duration::ZERO), 0);
        assert_eq!(delay_seconds(Duration::from_millis(1)), 1);
        assert_eq!(delay_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(delay_seconds(Duration::from_secs(60)), 60);
    }

    #[test]
    fn delays_stop_at_fifteen_minutes() {
        assert_eq!(delay_seconds(Duration::from_secs(900)), 900);
        assert_eq!(delay_seconds(Duration::from_millis(900_001)), 900);
        assert_eq!(delay_seconds(Duration::from_secs(u64::MAX)), 900);
    }

    #[test]
    fn a_message_reads_back_from_its_body() {
        let message = TransferMessage {
            tenant: TenantId::parse("t_shop").unwrap(),
            transfer: TransferId::parse("tr_1001").unwrap(),
        };
        let body = serde_json::to_string(&message).unwrap();
        assert_eq!(parse_message(&body).unwrap(), message);
        assert_eq!(
            parse_message(r#"{"tenant":"t_shop","transfer":"tr_1001"}"#).unwrap(),
            message
        );
    }

    #[test]
    fn a_malformed_body_is_a_clear_error() {
        for body in [
            "",
            "not json",
            r#"{"tenant":"t_shop"}"#,
            r#"{"tenant":"../other","transfer":"tr_1"}"#,
            r#"{"tenant":7,"transfer":"tr_1"}"#,
        ] {
            let error = parse_message(body).unwrap_err().to_string();
            assert!(error.contains("not a transfer message"), "{body}: {error}");
        }
        let error = parse_message(r#"{"tenant":"t_shop"}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("transfer"), "{error}");
    }
}
