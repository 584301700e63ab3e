//! The dead-letter queue read back on the emulator, through the real AWS
//! SDK: a message SQS gave up on becomes a failed transfer with the reason
//! in words, and leaves the dead-letter queue; a store that does not answer
//! loses no message. (emulator)

use crate::emulator;
use aws_sdk_sqs::types::QueueAttributeName;
use ferry::clock::SystemClock;
use ferry::connectors::http::HttpClient;
use ferry::connectors::Connectors;
use ferry::mail::outbox::OutboxMailer;
use ferry::model::{
    ConnectionId, Entity, Payload, TenantId, Transfer, TransferId, TransferStatus, UsageDelta,
};
use ferry::queue::sqs::{SqsDeadLetters, SqsQueue};
use ferry::queue::TransferMessage;
use ferry::seal::Sealer;
use ferry::store::dynamodb::DynamoStore;
use ferry::{Ferry, Limits};
use std::sync::Arc;
use std::time::Duration;

struct Queues {
    sqs: aws_sdk_sqs::Client,
    url: String,
    dead_letter_url: String,
}

/// A transfer queue whose messages go to its dead-letter queue after one
/// receive, as the template's do after ten.
async fn queues() -> Queues {
    let sqs = aws_sdk_sqs::Client::new(&emulator::aws_config().await);
    let dead_letter_url = sqs
        .create_queue()
        .queue_name(emulator::unique_name("ferry-dead"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&dead_letter_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap();
    let redrive =
        serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": "1"}).to_string();
    let url = sqs
        .create_queue()
        .queue_name(emulator::unique_name("ferry-transfers"))
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    Queues {
        sqs,
        url,
        dead_letter_url,
    }
}

impl Queues {
    /// Messages in the queue at `url`, visible or handed out.
    async fn held(&self, url: &str) -> usize {
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        [
            QueueAttributeName::ApproximateNumberOfMessages,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        ]
        .iter()
        .map(|name| attributes[name].parse::<usize>().unwrap())
        .sum()
    }

    /// What a worker that fails every time does: receives the message and
    /// never deletes it, until SQS gives up and moves it to the DLQ.
    async fn fail_until_dead(&self) {
        let first = self
            .sqs
            .receive_message()
            .queue_url(&self.url)
            .visibility_timeout(1)
            .send()
            .await
            .unwrap();
        assert_eq!(first.messages.unwrap_or_default().len(), 1);
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        // Received once already: this receive moves it to the DLQ.
        let second = self
            .sqs
            .receive_message()
            .queue_url(&self.url)
            .send()
            .await
            .unwrap();
        assert!(second.messages.unwrap_or_default().is_empty());
        assert_eq!(self.held(&self.url).await, 0);
        assert_eq!(self.held(&self.dead_letter_url).await, 1, "in the DLQ");
    }
}

/// Ferry on a table of the emulator (created or not) and the queue.
async fn ferry_on(table: &str, queues: &Queues) -> Ferry {
    let sdk = emulator::aws_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    Ferry {
        store: Arc::new(DynamoStore::new(dynamo, table.to_owned())),
        queue: Arc::new(SqsQueue::new(queues.sqs.clone(), queues.url.clone())),
        mailer: Arc::new(OutboxMailer::new(crate::orders::temp_dir("dlq-outbox"))),
        clock: Arc::new(SystemClock),
        sealer: Sealer::from_base64(&Sealer::generate_key()).unwrap(),
        connectors: Arc::new(Connectors::new(HttpClient::default())),
        limits: Limits::default(),
        public_url: "http://127.0.0.1:1".into(),
        webhook_base: None,
        jwt_key: Arc::new(b"a-test-key-of-at-least-32-characters!".to_vec()),
        operator_token: None,
        mail_from: "ferry@example.com".into(),
    }
}

async fn create_table(table: &str) {
    let dynamo = aws_sdk_dynamodb::Client::new(&emulator::aws_config().await);
    DynamoStore::create_table(&dynamo, table).await.unwrap();
}

/// Order #2001 of `tenant`, pending after two tries at Fortnox that got a
/// 503.
async fn tried_twice(ferry: &Ferry, tenant: &TenantId, connection: &ConnectionId) -> Transfer {
    let now = chrono::Utc::now();
    let mut transfer = Transfer {
        id: order_2001(connection),
        tenant: tenant.clone(),
        connection: connection.clone(),
        entity: Entity::Orders,
        source_id: "2001".into(),
        source_ref: "#2001".into(),
        target_ref: None,
        status: TransferStatus::Pending,
        reason: None,
        attempts: 0,
        source_updated_at: None,
        lease_until: None,
        received_at: now,
        updated_at: now,
        source_payload: Some(Payload::compress(b"{\"id\":2001}")),
        target_payload: None,
        version: 1,
        kind: None,
    };
    ferry.store.create_transfer(&transfer).await.unwrap();
    for attempt in 1..=2 {
        let claimed = transfer.claimed(now, Duration::from_secs(60)).unwrap();
        let reason = format!("Fortnox answered 503 Service Unavailable (attempt {attempt} of 5)");
        let waiting = claimed.waiting(&reason, now).unwrap();
        ferry
            .store
            .update_transfer(&claimed, transfer.version, UsageDelta::default())
            .await
            .unwrap();
        ferry
            .store
            .update_transfer(&waiting, claimed.version, UsageDelta::default())
            .await
            .unwrap();
        transfer = waiting;
    }
    transfer
}

fn order_2001(connection: &ConnectionId) -> TransferId {
    TransferId::for_record(connection, "2001")
}

fn message_of(transfer: &Transfer) -> TransferMessage {
    TransferMessage {
        tenant: transfer.tenant.clone(),
        transfer: transfer.id.clone(),
    }
}

#[tokio::test]
async fn dead_letters_a_message_sqs_gave_up_on_becomes_a_failed_transfer_and_leaves_the_dlq() {
    let queues = queues().await;
    let table = emulator::unique_name("ferry-dlq");
    create_table(&table).await;
    let ferry = ferry_on(&table, &queues).await;
    let transfer = tried_twice(&ferry, &TenantId::generate(), &ConnectionId::generate()).await;
    ferry
        .queue
        .enqueue(&message_of(&transfer), Duration::ZERO)
        .await
        .unwrap();
    queues.fail_until_dead().await;

    // The scheduler's minute, as the function runs it.
    let dead_letters = SqsDeadLetters::new(queues.sqs.clone(), queues.dead_letter_url.clone());
    let report = ferry::scheduler::scheduled_tick(&ferry, Some(&dead_letters))
        .await
        .unwrap();

    assert_eq!(report.dead_letters.failed, 1, "{report:?}");
    let failed = ferry
        .store
        .get_transfer(&transfer.tenant, &transfer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.status, TransferStatus::Failed);
    assert_eq!(
        failed.reason.as_deref(),
        Some("gave up after 2 attempts: Fortnox answered 503 Service Unavailable")
    );
    assert_eq!(queues.held(&queues.dead_letter_url).await, 0, "DLQ empty");
    assert_eq!(queues.held(&queues.url).await, 0);
    let logs = ferry
        .store
        .list_logs(&transfer.tenant, &Default::default())
        .await
        .unwrap()
        .items;
    assert!(
        logs.iter().any(|event| event.message
            == "order #2001 failed: gave up after 2 attempts: Fortnox answered 503 Service Unavailable"),
        "{logs:?}"
    );
}

#[tokio::test]
async fn dead_letters_a_store_that_does_not_answer_loses_no_message() {
    let queues = queues().await;
    let table = emulator::unique_name("ferry-dlq-later");
    let dead_letters = SqsDeadLetters::new(queues.sqs.clone(), queues.dead_letter_url.clone())
        .hiding_for(Duration::from_secs(1));
    // The message of a transfer whose table is not there (yet): every
    // read of the store fails.
    let unready = ferry_on(&table, &queues).await;
    let (tenant, connection) = (TenantId::generate(), ConnectionId::generate());
    let message = TransferMessage {
        tenant: tenant.clone(),
        transfer: order_2001(&connection),
    };
    queues
        .sqs
        .send_message()
        .queue_url(&queues.dead_letter_url)
        .message_body(serde_json::to_string(&message).unwrap())
        .send()
        .await
        .unwrap();

    for _ in 0..3 {
        let report = ferry::dead_letters::drain(&unready, &dead_letters)
            .await
            .unwrap();
        assert_eq!((report.failed, report.dropped, report.left), (0, 0, 1));
        assert_eq!(queues.held(&queues.dead_letter_url).await, 1, "kept");
        // Hidden for a second after each read, then handed out again.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }

    // The store answers again: the same message fails its transfer, and goes.
    create_table(&table).await;
    let ferry = ferry_on(&table, &queues).await;
    let transfer = tried_twice(&ferry, &tenant, &connection).await;
    let report = ferry::dead_letters::drain(&ferry, &dead_letters)
        .await
        .unwrap();
    assert_eq!((report.failed, report.left), (1, 0));
    assert_eq!(queues.held(&queues.dead_letter_url).await, 0);
    let failed = ferry
        .store
        .get_transfer(&transfer.tenant, &transfer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.status, TransferStatus::Failed);
}
