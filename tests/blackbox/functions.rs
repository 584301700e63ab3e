//! The orders flow through the functions' own code paths on the emulator:
//! the webhook router on DynamoDB and SQS (as `webhook-intake` runs it), then
//! the SQS batch handed to the worker in the real `aws_lambda_events` shape
//! (as `transfer-worker` receives it). (emulator)

use crate::emulator;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use ferry::clock::SystemClock;
use ferry::connectors::http::HttpClient;
use ferry::connectors::Connectors;
use ferry::mail::outbox::OutboxMailer;
use ferry::model::TransferStatus;
use ferry::queue::sqs::SqsQueue;
use ferry::seal::Sealer;
use ferry::store::dynamodb::DynamoStore;
use ferry::{Ferry, Limits};
use ferry_local::sandbox::{economic, shopify};
use serde_json::{json, Value};
use std::sync::Arc;

struct Cloud {
    ferry: Ferry,
    dynamo: aws_sdk_dynamodb::Client,
    table: String,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    base: String,
    server: tokio::task::JoinHandle<()>,
}

async fn cloud() -> Cloud {
    let sdk = emulator::aws_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = emulator::unique_name("ferry-fn");
    DynamoStore::create_table(&dynamo, &table).await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue_url = sqs
        .create_queue()
        .queue_name(emulator::unique_name("ferry-fn"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let ferry = Ferry {
        store: Arc::new(DynamoStore::new(dynamo.clone(), table.clone())),
        queue: Arc::new(SqsQueue::new(sqs.clone(), queue_url.clone())),
        mailer: Arc::new(OutboxMailer::new(crate::orders::temp_dir("fn-outbox"))),
        clock: Arc::new(SystemClock),
        sealer: Sealer::from_base64(&Sealer::generate_key()).unwrap(),
        connectors: Arc::new(Connectors::new(HttpClient::default())),
        limits: Limits::default(),
        public_url: base.clone(),
        webhook_base: None,
        jwt_key: Arc::new(b"a-test-key-of-at-least-32-characters!".to_vec()),
        operator_token: Some(Arc::new("operator-test-token".into())),
        mail_from: "ferry@example.com".into(),
    };
    let router = ferry::api::router(ferry.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Cloud {
        ferry,
        dynamo,
        table,
        sqs,
        queue_url,
        base,
        server,
    }
}

impl Cloud {
    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "POST {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Everything on the queue now, as one SQS event.
    async fn drain_queue(&self) -> SqsEvent {
        let mut event = SqsEvent::default();
        for _ in 0..3 {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            for m in received.messages.unwrap_or_default() {
                let mut message = SqsMessage::default();
                message.message_id = m.message_id.clone();
                message.receipt_handle = m.receipt_handle.clone();
                message.body = m.body.clone();
                message.event_source = Some("aws:sqs".into());
                event.records.push(message);
            }
            if !event.records.is_empty() {
                break;
            }
        }
        event
    }
}

#[tokio::test]
async fn a_webhook_through_intake_and_an_sqs_batch_through_the_worker_books_one_invoice() {
    let cloud = cloud().await;
    let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
    let ledger = economic::spawn(economic::Settings::default())
        .await
        .unwrap();

    let tenant = cloud
        .post(
            "operator-test-token",
            "/tenants",
            json!({"name": "Cloud shop", "email": "a@b.example"}),
        )
        .await;
    let token = tenant["token"].as_str().unwrap().to_owned();
    let source = cloud
        .post(&token, "/systems", json!({
            "kind": "shopify", "name": "Shop",
            "config": {"shop_domain": shop.config().shop_domain, "base_url": shop.base_url()},
            "credentials": {"access_token": shop.config().access_token, "webhook_secret": shop.config().webhook_secret},
        }))
        .await;
    let target = cloud
        .post(
            &token,
            "/systems",
            json!({
                "kind": "economic", "name": "Ledger",
                "config": ledger.system_config(), "credentials": ledger.credentials().0,
            }),
        )
        .await;
    let connection = cloud
        .post(
            &token,
            "/connections",
            json!({
                "name": "Shop > Ledger", "source": source["id"], "target": target["id"],
                "allowed_states": ["paid"], "document": "draft_invoice",
            }),
        )
        .await;
    let webhook_url = connection["webhook_url"].as_str().unwrap();

    let id = shop.add_order();
    shop.set_financial_status(id, "paid");
    let webhook = shop.webhook(id, "orders/create");
    assert_eq!(
        shop.deliver(webhook_url, &webhook).await.unwrap().as_u16(),
        200
    );
    // The same delivery again: recorded once. While the transfer is still
    // pending it is enqueued again (that recovers a message lost after the
    // first recording); the worker delivers it once all the same.
    assert_eq!(
        shop.deliver(webhook_url, &webhook).await.unwrap().as_u16(),
        200
    );

    let event = cloud.drain_queue().await;
    assert_eq!(
        event.records.len(),
        2,
        "each delivery enqueues the pending transfer"
    );
    let bodies: std::collections::BTreeSet<_> =
        event.records.iter().map(|r| r.body.clone()).collect();
    assert_eq!(bodies.len(), 1, "both messages name the same transfer");
    // The worker's store as transfer-worker builds it: usage kept for the
    // batch and written when the batch ends.
    let worker = Ferry {
        store: Arc::new(
            DynamoStore::new(cloud.dynamo.clone(), cloud.table.clone()).counting_usage_per_batch(),
        ),
        ..cloud.ferry.clone()
    };
    let answer = ferry::lambda::handle_sqs_batch(&worker, event).await;
    assert!(answer.batch_item_failures.is_empty());

    let tenants = cloud.ferry.store.list_tenants().await.unwrap();
    let page = cloud
        .ferry
        .store
        .list_transfers(&tenants[0].id, &ferry::store::TransferQuery::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].status, TransferStatus::Delivered);
    assert_eq!(ledger.draft_invoices().len(), 1);
    // Counted once, and written by the time the batch was answered: another
    // process (the API's store) reads it.
    let month = page.items[0].updated_at.format("%Y-%m").to_string();
    let usage = cloud
        .ferry
        .store
        .usage(&tenants[0].id, &month)
        .await
        .unwrap();
    assert_eq!(usage.orders, 1);

    // A duplicate SQS message (at-least-once delivery) changes nothing.
    let mut again = SqsMessage::default();
    again.message_id = Some("duplicate-1".into());
    again.body = Some(json!({"tenant": tenants[0].id, "transfer": page.items[0].id}).to_string());
    let mut event = SqsEvent::default();
    event.records.push(again);
    let answer = ferry::lambda::handle_sqs_batch(&worker, event).await;
    assert!(answer.batch_item_failures.is_empty());
    assert_eq!(ledger.draft_invoices().len(), 1);
    let usage = cloud
        .ferry
        .store
        .usage(&tenants[0].id, &month)
        .await
        .unwrap();
    assert_eq!(usage.orders, 1, "a duplicate message counts nothing");
    cloud.server.abort();
}

#[tokio::test]
async fn a_batch_reports_only_the_messages_it_could_not_handle() {
    // A store that cannot be reached: every well-formed message fails and is
    // reported for retry; a malformed one is dropped (retrying cannot fix it).
    let sdk = emulator::aws_config().await;
    let unreachable = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let mut cloud = cloud().await;
    cloud.ferry.store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(unreachable),
        "nowhere",
    ));
    let mut event = SqsEvent::default();
    for (id, body) in [
        (
            "m-1",
            json!({"tenant": "t_a", "transfer": "tr_a"}).to_string(),
        ),
        ("m-2", "not a transfer message".to_owned()),
        (
            "m-3",
            json!({"tenant": "t_b", "transfer": "tr_b"}).to_string(),
        ),
    ] {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.into());
        message.body = Some(body);
        event.records.push(message);
    }
    let answer = ferry::lambda::handle_sqs_batch(&cloud.ferry, event).await;
    let failed: Vec<&str> = answer
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m-1", "m-3"]);
    cloud.server.abort();
}
