//! The queue on AWS: an SQS standard queue, and its dead-letter queue (both
//! set up in the SAM template) read back by [`SqsDeadLetters`]. A message
//! body is the JSON of [`TransferMessage`].
//!
//! Every message is sent with its tenant as `MessageGroupId`. On a standard
//! queue that turns on SQS *fair queues*: when one tenant has a backlog (a
//! disproportionate share of the messages in flight, or of the consumers'
//! time), SQS hands out other tenants' messages first, so their dwell time
//! stays low; the busy tenant's messages still go out, in parallel, as
//! capacity allows. No setting on the queue or the consumer is needed, and
//! a standard queue keeps its delays per message (FIFO queues have none).
//! Source: Amazon SQS Developer Guide, "Amazon SQS fair queues" and "How
//! Amazon SQS fair queues work",
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues.html>
//! (read 2026-12-03); see docs/RELIABILITY.md for what it does not cover.

use super::{DeadLetter, DeadLetters, Queue, QueueError, TransferMessage};
use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::MessageSystemAttributeName;
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
            .message_group_id(message.tenant.as_str())
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

/// The dead-letter queue, read back by the scheduler (`crate::dead_letters`).
/// Needs `sqs:ReceiveMessage` and `sqs:DeleteMessage` on it.
#[derive(Debug, Clone)]
pub struct SqsDeadLetters {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    hidden_for: Duration,
}

/// SQS hands out at most 10 messages per receive.
const MAX_PER_RECEIVE: usize = 10;

impl SqsDeadLetters {
    /// A message received and not acknowledged comes back after 30 s:
    /// before the scheduler's next pass, a minute later.
    pub fn new(client: aws_sdk_sqs::Client, queue_url: String) -> Self {
        Self {
            client,
            queue_url,
            hidden_for: Duration::from_secs(30),
        }
    }

    /// How long a message received stays hidden unless acknowledged
    /// (whole seconds; tests shorten it).
    pub fn hiding_for(self, hidden_for: Duration) -> Self {
        Self { hidden_for, ..self }
    }
}

#[async_trait]
impl DeadLetters for SqsDeadLetters {
    async fn receive(&self, max: usize) -> Result<Vec<DeadLetter>, QueueError> {
        let mut letters = Vec::new();
        while letters.len() < max {
            let wanted = (max - letters.len()).min(MAX_PER_RECEIVE);
            let received = self
                .client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(wanted as i32)
                .visibility_timeout(self.hidden_for.as_secs().min(43_200) as i32)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .map_err(|e| {
                    QueueError(format!(
                        "SQS did not hand out the dead letters: {}",
                        DisplayErrorContext(&e)
                    ))
                })?;
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                break; // short polling: none now, or none on the host asked
            }
            for message in messages {
                // Without a receipt it cannot be acknowledged: left for the
                // next pass, when SQS hands it out again.
                let Some(receipt) = message.receipt_handle else {
                    continue;
                };
                let receives: u32 = message
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|count| count.parse().ok())
                    .unwrap_or(0);
                letters.push(DeadLetter {
                    body: message.body.unwrap_or_default(),
                    // This receive, from the dead-letter queue, was no try.
                    tries: receives.saturating_sub(1),
                    receipt,
                });
            }
        }
        Ok(letters)
    }

    async fn acknowledge(&self, letter: &DeadLetter) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(&letter.receipt)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                QueueError(format!(
                    "SQS did not delete the dead letter: {}",
                    DisplayErrorContext(&e)
                ))
            })
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
