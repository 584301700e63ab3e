//! Bounded reads on DynamoDB (issue 16 item 7): a list filtered by what its
//! key does not hold (logs by service or level, transfers by connection)
//! reads at most a fixed number of items per request, however large the
//! partition, and answers a cursor where it stopped. An interceptor on the
//! client counts what each request read: the items every Query evaluated
//! (`ScannedCount`, before its filter) and the items BatchGetItem returned.
//! (emulator)

use crate::emulator::{aws_config, unique_name};
use aws_sdk_dynamodb::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::Client;
use chrono::{Duration, TimeZone, Utc};
use ferry::model::TransferStatus;
use ferry::model::{ConnectionId, Entity, Level, LogEvent, TenantId, Transfer, TransferId};
use ferry::store::dynamodb::DynamoStore;
use ferry::store::{
    LogQuery, LogStore, Page, TransferQuery, TransferStore, LOG_READ_BUDGET, TRANSFER_READ_BUDGET,
};
use futures::future::join_all;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Counts the items the store's requests read, from the answers.
#[derive(Debug, Default, Clone)]
struct ReadMeter {
    items: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

impl ReadMeter {
    /// (items read, read calls) since the last take.
    fn take(&self) -> (usize, usize) {
        (
            self.items.swap(0, Ordering::SeqCst),
            self.calls.swap(0, Ordering::SeqCst),
        )
    }
}

impl Intercept for ReadMeter {
    fn name(&self) -> &'static str {
        "ReadMeter"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        let read = if let Some(query) = output.downcast_ref::<QueryOutput>() {
            usize::try_from(query.scanned_count).unwrap_or_default()
        } else if let Some(batch) = output.downcast_ref::<BatchGetItemOutput>() {
            batch
                .responses()
                .map_or(0, |r| r.values().map(Vec::len).sum())
        } else {
            return Ok(());
        };
        self.items.fetch_add(read, Ordering::SeqCst);
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

async fn fresh() -> (DynamoStore, ReadMeter) {
    let sdk = aws_config().await;
    let table = unique_name("ferry");
    DynamoStore::create_table(&Client::new(&sdk), &table)
        .await
        .expect("create the table on the emulator");
    let meter = ReadMeter::default();
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(meter.clone())
        .build();
    (DynamoStore::new(Client::from_conf(conf), table), meter)
}

/// Follows the cursors of a list; answers its items, and the most items
/// and calls any one request read.
async fn walk<T, F, Fut>(meter: &ReadMeter, mut page_at: F) -> (Vec<T>, usize, usize, usize)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let (mut all, mut most_items, mut most_calls) = (Vec::new(), 0, 0);
    let mut cursor = None;
    meter.take();
    for pages in 1..=200 {
        let page = page_at(cursor.take()).await;
        let (items, calls) = meter.take();
        most_items = most_items.max(items);
        most_calls = most_calls.max(calls);
        all.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return (all, pages, most_items, most_calls),
        }
    }
    panic!("the list never reached its last page");
}

#[tokio::test]
async fn logs_of_a_rare_service_read_a_bounded_number_of_items_per_request() {
    let (store, meter) = fresh().await;
    let tenant = TenantId::generate();
    let expires = Utc::now() + Duration::days(30);
    let base = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .expect("a date");
    let busy = LOG_READ_BUDGET * 2;
    // 2,000 events of one service, then (older) three errors of another.
    let events: Vec<LogEvent> = (0..busy + 3)
        .map(|n| LogEvent {
            id: ulid::Ulid::new().to_string(),
            tenant: tenant.clone(),
            at: base - Duration::milliseconds(n as i64),
            service: if n < busy {
                "transfer-worker"
            } else {
                "reminders"
            }
            .to_owned(),
            level: if n < busy { Level::Info } else { Level::Error },
            message: format!("event {n}"),
            connection: None,
            transfer: None,
            count: 1,
        })
        .collect();
    for chunk in events.chunks(32) {
        for result in join_all(chunk.iter().map(|e| store.append_log(e, expires))).await {
            result.expect("append_log");
        }
    }
    let rare: Vec<String> = events[busy..].iter().map(|e| e.id.clone()).collect();

    for (service, min_level) in [(Some("reminders"), None), (None, Some(Level::Error))] {
        let (found, pages, most_items, most_calls) = walk(&meter, |cursor| {
            let query = LogQuery {
                service: service.map(str::to_owned),
                min_level,
                cursor,
                limit: 50,
            };
            let (store, tenant) = (&store, &tenant);
            async move { store.list_logs(tenant, &query).await.expect("list_logs") }
        })
        .await;
        eprintln!(
            "logs {service:?} {min_level:?}: {pages} pages, at most {most_items} items and {most_calls} calls per request"
        );
        let found: Vec<String> = found.into_iter().map(|e| e.id).collect();
        assert_eq!(found, rare, "every match once, newest first");
        assert!(most_items > 0, "the meter saw the reads");
        assert!(
            most_items <= LOG_READ_BUDGET,
            "a request read {most_items} log items (at most {LOG_READ_BUDGET})"
        );
        assert!(most_calls <= 6, "a request made {most_calls} queries");
        assert!(pages >= busy / LOG_READ_BUDGET, "{pages} pages");
    }
}

#[tokio::test]
async fn transfers_of_a_rare_connection_read_a_bounded_number_of_items_per_request() {
    let (store, meter) = fresh().await;
    let tenant = TenantId::generate();
    let (busy, quiet) = (ConnectionId::generate(), ConnectionId::generate());
    let base = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .expect("a date");
    let many = TRANSFER_READ_BUDGET + 500;
    let transfers: Vec<Transfer> = (0..many + 2)
        .map(|n| {
            let connection = if n < many { &busy } else { &quiet };
            let source_id = format!("7001{n}");
            let at = base - Duration::seconds(n as i64);
            Transfer {
                id: TransferId::for_record(connection, &source_id),
                tenant: tenant.clone(),
                connection: connection.clone(),
                entity: Entity::Orders,
                source_id,
                source_ref: format!("#{n}"),
                target_ref: None,
                status: if n % 3 == 0 {
                    TransferStatus::Pending
                } else {
                    TransferStatus::Delivered
                },
                reason: None,
                attempts: 0,
                source_updated_at: None,
                lease_until: None,
                received_at: at,
                updated_at: at,
                source_payload: None,
                target_payload: None,
                version: 1,
                kind: None,
            }
        })
        .collect();
    for chunk in transfers.chunks(32) {
        for result in join_all(chunk.iter().map(|t| store.create_transfer(t))).await {
            result.expect("create_transfer");
        }
    }
    let rare: Vec<String> = transfers[many..].iter().map(|t| t.id.to_string()).collect();

    let (found, pages, most_items, most_calls) = walk(&meter, |cursor| {
        let query = TransferQuery {
            connection: Some(quiet.clone()),
            cursor,
            limit: 50,
            ..TransferQuery::default()
        };
        let (store, tenant) = (&store, &tenant);
        async move {
            store
                .list_transfers(tenant, &query)
                .await
                .expect("list_transfers")
        }
    })
    .await;
    eprintln!(
        "transfers by connection: {pages} pages, at most {most_items} items and {most_calls} calls per request"
    );
    let found: Vec<String> = found.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(found, rare, "every match once, newest first");
    assert!(most_items > 0, "the meter saw the reads");
    // The index entries evaluated, plus the page's transfers themselves.
    let bound = TRANSFER_READ_BUDGET + 50;
    assert!(
        most_items <= bound,
        "a request read {most_items} items (at most {bound})"
    );
    assert!(pages >= 2, "{pages} pages");

    // Unfiltered pages stay full: the budget is above what they need.
    let page = store
        .list_transfers(
            &tenant,
            &TransferQuery {
                limit: 500,
                ..TransferQuery::default()
            },
        )
        .await
        .expect("list_transfers");
    assert_eq!(page.items.len(), 500);
    assert!(page.next.is_some());
}
