//! The SQS queue adapter against the emulator: a queue with a dead-letter
//! queue as in the SAM template, messages that read back as transfers, and
//! delays that hold a message back. (emulator)

use crate::emulator;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use ferry::model::{TenantId, TransferId};
use ferry::queue::sqs::{parse_message, SqsQueue};
use ferry::queue::{Queue, TransferMessage};
use std::time::{Duration, Instant};

/// A fresh queue whose failures go to a fresh DLQ after 10 receives.
async fn queue_with_dlq(client: &aws_sdk_sqs::Client) -> String {
    let dlq_url = client
        .create_queue()
        .queue_name(emulator::unique_name("ferry-dlq"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap();
    let redrive =
        serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "10"}).to_string();
    let url = client
        .create_queue()
        .queue_name(emulator::unique_name("ferry-transfers"))
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(QueueAttributeName::VisibilityTimeout, "180")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let attributes = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let policy: serde_json::Value =
        serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy]).unwrap();
    assert_eq!(policy["deadLetterTargetArn"], dlq_arn);
    url
}

fn message(transfer: &str) -> TransferMessage {
    TransferMessage {
        tenant: TenantId::parse("t_sqs").unwrap(),
        transfer: TransferId::parse(transfer).unwrap(),
    }
}

async fn receive(client: &aws_sdk_sqs::Client, url: &str) -> Vec<TransferMessage> {
    client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| parse_message(m.body.as_deref().unwrap_or_default()).unwrap())
        .collect()
}

#[tokio::test]
async fn sqs_enqueued_transfers_are_received_and_parsed_back() {
    let client = aws_sdk_sqs::Client::new(&emulator::aws_config().await);
    let url = queue_with_dlq(&client).await;
    let queue = SqsQueue::new(client.clone(), url.clone());

    queue
        .enqueue(&message("tr_a"), Duration::ZERO)
        .await
        .unwrap();
    queue
        .enqueue(&message("tr_b"), Duration::ZERO)
        .await
        .unwrap();

    let mut received = receive(&client, &url).await;
    received.sort_by(|a, b| a.transfer.cmp(&b.transfer));
    assert_eq!(received, vec![message("tr_a"), message("tr_b")]);
}

#[tokio::test]
async fn sqs_a_delayed_transfer_is_not_visible_until_its_delay_is_over() {
    let client = aws_sdk_sqs::Client::new(&emulator::aws_config().await);
    let url = queue_with_dlq(&client).await;
    let queue = SqsQueue::new(client.clone(), url.clone());

    let start = Instant::now();
    // Half a second is rounded up to one whole second, never down to none.
    queue
        .enqueue(&message("tr_later"), Duration::from_millis(500))
        .await
        .unwrap();
    assert_eq!(
        receive(&client, &url).await,
        vec![],
        "seen before its delay"
    );

    let mut received = vec![];
    while received.is_empty() && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        received = receive(&client, &url).await;
    }
    assert_eq!(received, vec![message("tr_later")]);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn sqs_a_long_delay_keeps_the_message_back() {
    let client = aws_sdk_sqs::Client::new(&emulator::aws_config().await);
    let url = queue_with_dlq(&client).await;
    let queue = SqsQueue::new(client.clone(), url.clone());

    // Longer than SQS allows: cut to 15 minutes rather than refused.
    queue
        .enqueue(&message("tr_retry"), Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(receive(&client, &url).await, vec![]);
    let attributes = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(
        attributes[&QueueAttributeName::ApproximateNumberOfMessagesDelayed],
        "1"
    );
}

#[tokio::test]
async fn sqs_sending_to_a_missing_queue_is_an_error() {
    let client = aws_sdk_sqs::Client::new(&emulator::aws_config().await);
    let url = format!(
        "{}/123456789012/{}",
        emulator::endpoint(),
        emulator::unique_name("missing")
    );
    let error = SqsQueue::new(client, url)
        .enqueue(&message("tr_x"), Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("SQS did not take the message"),
        "{error}"
    );
}

/// Fair queues: every message names its tenant as `MessageGroupId`, which
/// the standard queue takes (no FIFO needed) and hands back.
#[tokio::test]
async fn sqs_each_transfer_is_sent_with_its_tenant_as_message_group() {
    let client = aws_sdk_sqs::Client::new(&emulator::aws_config().await);
    let url = queue_with_dlq(&client).await;
    let queue = SqsQueue::new(client.clone(), url.clone());
    let other = TransferMessage {
        tenant: TenantId::parse("t_other").unwrap(),
        transfer: TransferId::parse("tr_b").unwrap(),
    };

    queue
        .enqueue(&message("tr_a"), Duration::ZERO)
        .await
        .unwrap();
    queue.enqueue(&other, Duration::ZERO).await.unwrap();

    let received = client
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    let mut groups: Vec<(String, String)> = received
        .iter()
        .map(|m| {
            let body = parse_message(m.body.as_deref().unwrap_or_default()).unwrap();
            let group = m
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                .cloned()
                .unwrap_or_default();
            (body.transfer.as_str().to_string(), group)
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        vec![
            ("tr_a".to_string(), "t_sqs".to_string()),
            ("tr_b".to_string(), "t_other".to_string()),
        ]
    );
}
