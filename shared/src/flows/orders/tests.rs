//! The order flow through the one delivery loop, against a ledger in
//! memory handed to Ferry as its connectors (`ConnectorFactory`).

use crate::app::{Ferry, Limits};
use crate::clock::SystemClock;
use crate::connectors::address::Network;
use crate::connectors::catalog::{CatalogSource, CatalogTarget};
use crate::connectors::customers::CustomerTarget;
use crate::connectors::http::{HttpClient, Pacer};
use crate::connectors::{
    ConfigError, ConnectorError, ConnectorFactory, Delivered, Inbound, OrderPage, ParseError,
    Source, Target, WebhookError, WebhookRequest,
};
use crate::mail::outbox::OutboxMailer;
use crate::mapping::tests::{line, order};
use crate::model::{
    Arrival, Connection, ConnectionId, CredentialHealth, DocumentKind, Entity, LineKind, Order,
    Payload, RunOutcome, Scope, System, SystemId, SystemKind, TenantId, TransferId, TransferStatus,
};
use crate::pipeline::deliver::Outcome;
use crate::queue::memory::MemoryQueue;
use crate::queue::TransferMessage;
use crate::queue::{Queue, QueueError};
use crate::seal::{Credentials, SealedCredentials, Sealer};
use crate::store::embedded::EmbeddedStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A ledger that keeps its documents in memory. With `lose_next_answer`,
/// the next document is made but its answer never arrives (a timeout), as
/// when a connection drops after the ledger committed.
///
/// With `slow_lookup`, a look-up answers what the ledger held when it was
/// asked, `slow_lookup` later (a slow remote, whose answer may be out of
/// date when it arrives). With `paced`, every call first goes through that
/// pacer (`connectors::http::exchange`), as a real connector's do.
#[derive(Default)]
struct Ledger {
    documents: Mutex<Vec<String>>,
    lose_next_answer: AtomicBool,
    slow_lookup: Option<Duration>,
    paced: Option<Arc<Pacer>>,
}

impl Ledger {
    /// Goes through the pacer, if any, without reaching a remote: only a
    /// pacer that refuses to hold the call answers.
    async fn pace(&self) -> Result<(), ConnectorError> {
        let Some(pacer) = &self.paced else {
            return Ok(());
        };
        let http = HttpClient::on_network(Duration::from_secs(1), Network::PRIVATE_ALLOWED);
        let request = http.get("http://127.0.0.1:9/nothing").unwrap();
        match crate::connectors::http::exchange("the ledger", pacer, request).await {
            Err(held @ ConnectorError::Transient { .. }) => Err(held),
            _ => panic!("the pacer let the call through"),
        }
    }
}

#[async_trait]
impl Target for Ledger {
    async fn find_document(
        &self,
        e_number: &str,
        _kind: DocumentKind,
    ) -> Result<Option<Delivered>, ConnectorError> {
        self.pace().await?;
        let documents = self.documents.lock().unwrap().clone();
        if let Some(slow) = self.slow_lookup {
            tokio::time::sleep(slow).await;
        }
        Ok(documents
            .iter()
            .position(|made| made == e_number)
            .map(|at| Delivered {
                number: (at + 1).to_string(),
                sent: format!(r#"{{"found":"{e_number}"}}"#).into_bytes(),
                warnings: Vec::new(),
            }))
    }

    async fn deliver_order(
        &self,
        order: &Order,
        _kind: DocumentKind,
    ) -> Result<Delivered, ConnectorError> {
        let number = {
            let mut documents = self.documents.lock().unwrap();
            documents.push(order.e_number.clone());
            documents.len().to_string()
        };
        if self.lose_next_answer.swap(false, Ordering::SeqCst) {
            return Err(ConnectorError::transient(
                "the ledger did not answer in time",
            ));
        }
        Ok(Delivered {
            number,
            sent: format!(r#"{{"made":"{}"}}"#, order.e_number).into_bytes(),
            warnings: Vec::new(),
        })
    }

    async fn test_credentials(&self) -> Result<(), ConnectorError> {
        Ok(())
    }
}

/// A webshop whose every body is the same order.
struct Shop(Order);

#[async_trait]
impl Source for Shop {
    fn verify_webhook(&self, _request: WebhookRequest<'_>) -> Result<Inbound, WebhookError> {
        Ok(Inbound::Delivery(Default::default()))
    }
    fn parse_order(&self, _body: &[u8]) -> Result<Order, ParseError> {
        Ok(self.0.clone())
    }
    async fn test_credentials(&self) -> Result<(), ConnectorError> {
        Ok(())
    }
    async fn poll_orders(
        &self,
        _since: DateTime<Utc>,
        _page: Option<&str>,
    ) -> Result<OrderPage, ConnectorError> {
        Ok(OrderPage::default())
    }
}

/// Connectors that hand out the shop and the ledger above, counting the
/// shop connectors built.
struct Fakes {
    shop: Arc<Shop>,
    ledger: Arc<Ledger>,
    shops_built: Arc<AtomicUsize>,
}

fn none<T>(system: &System) -> Result<T, ConfigError> {
    Err(ConfigError {
        system: system.name.clone(),
        field: "kind".into(),
        message: "not in this test".into(),
    })
}

impl ConnectorFactory for Fakes {
    fn source(&self, _: &System, _: &Credentials) -> Result<Arc<dyn Source>, ConfigError> {
        self.shops_built.fetch_add(1, Ordering::SeqCst);
        Ok(self.shop.clone())
    }
    fn target(&self, _: &System, _: &Credentials) -> Result<Arc<dyn Target>, ConfigError> {
        Ok(self.ledger.clone())
    }
    fn catalog_source(
        &self,
        system: &System,
        _: &Credentials,
    ) -> Result<Arc<dyn CatalogSource>, ConfigError> {
        none(system)
    }
    fn catalog_target(
        &self,
        system: &System,
        _: &Credentials,
    ) -> Result<Arc<dyn CatalogTarget>, ConfigError> {
        none(system)
    }
    fn customer_target(
        &self,
        system: &System,
        _: &Credentials,
    ) -> Result<Arc<dyn CustomerTarget>, ConfigError> {
        none(system)
    }
}

fn system(tenant: &TenantId, kind: SystemKind) -> System {
    let now = Utc::now();
    System {
        id: SystemId::generate(),
        tenant: tenant.clone(),
        kind,
        name: kind.display_name().into(),
        config: Default::default(),
        credentials: SealedCredentials::default(),
        health: CredentialHealth::default(),
        scope: Scope::default(),
        active: true,
        created_at: now,
        updated_at: now,
    }
}

/// Ferry over an embedded store and the fakes, with a Shopify > e-conomic
/// orders connection.
struct World {
    ferry: Ferry,
    ledger: Arc<Ledger>,
    shops_built: Arc<AtomicUsize>,
    connection: Connection,
    order: Order,
    _receiver: crate::queue::memory::MemoryReceiver,
}

async fn world() -> World {
    world_with(Ledger::default(), Limits::default()).await
}

async fn world_with(ledger: Ledger, limits: Limits) -> World {
    let the_order = order(vec![line(
        LineKind::Product,
        Some("A"),
        "Mug",
        "1",
        "80.00",
    )]);
    let ledger = Arc::new(ledger);
    let shops_built = Arc::new(AtomicUsize::new(0));
    let (queue, receiver) = MemoryQueue::new();
    let ferry = Ferry {
        store: Arc::new(EmbeddedStore::temporary().unwrap()),
        queue: Arc::new(queue),
        mailer: Arc::new(OutboxMailer::new(
            std::env::temp_dir().join(format!("ferry-orders-test-{}", ulid::Ulid::new())),
        )),
        clock: Arc::new(SystemClock),
        sealer: Sealer::from_bytes(&[7; 32]).unwrap(),
        connectors: Arc::new(Fakes {
            shop: Arc::new(Shop(the_order.clone())),
            ledger: ledger.clone(),
            shops_built: shops_built.clone(),
        }),
        limits,
        public_url: "http://127.0.0.1:1".into(),
        webhook_base: None,
        jwt_key: Arc::new(vec![1; 32]),
        operator_token: None,
        mail_from: "ferry@test.example".into(),
    };
    let tenant = TenantId::generate();
    let (shop, books) = (
        system(&tenant, SystemKind::Shopify),
        system(&tenant, SystemKind::Economic),
    );
    ferry.store.put_system(&shop).await.unwrap();
    ferry.store.put_system(&books).await.unwrap();
    let now = Utc::now();
    let connection = Connection {
        id: ConnectionId::generate(),
        tenant,
        name: "Shopify > e-conomic (orders)".into(),
        source: shop.id.clone(),
        target: books.id.clone(),
        entity: Entity::Orders,
        allowed_states: vec![the_order.state.clone()],
        document: DocumentKind::DraftInvoice,
        documents: Default::default(),
        schedule: None,
        active: true,
        scope: Scope::default(),
        next_run_at: None,
        cursor: None,
        last_run: RunOutcome::default(),
        created_at: now,
        updated_at: now,
        currency: Default::default(),
        payments: None,
    };
    ferry.store.put_connection(&connection).await.unwrap();
    World {
        ferry,
        ledger,
        shops_built,
        connection,
        order: the_order,
        _receiver: receiver,
    }
}

impl World {
    fn message(&self) -> TransferMessage {
        TransferMessage {
            tenant: self.connection.tenant.clone(),
            transfer: TransferId::for_record(&self.connection.id, &self.order.source_id),
        }
    }
}

#[tokio::test]
async fn a_lost_answer_is_retried_into_one_document_linked() {
    let w = world().await;
    w.ledger.lose_next_answer.store(true, Ordering::SeqCst);
    crate::pipeline::record::record_order(&w.ferry, &w.connection, &w.order, b"{}")
        .await
        .unwrap();
    let (ferry, message) = (&w.ferry, w.message());

    let first = crate::flows::process(ferry, &message).await.unwrap();
    assert!(
        matches!(&first, Outcome::Retrying { reason, .. } if reason.contains("did not answer")),
        "{first:?}"
    );
    let second = crate::flows::process(ferry, &message).await.unwrap();
    assert_eq!(
        second,
        Outcome::Delivered {
            target_ref: "1".into(),
            linked: true
        }
    );
    assert_eq!(
        *w.ledger.documents.lock().unwrap(),
        vec!["#1001".to_string()]
    );
    let transfer = ferry
        .store
        .get_transfer(&message.tenant, &message.transfer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(transfer.status, TransferStatus::Delivered);
    assert_eq!(transfer.target_ref.as_deref(), Some("1"));
    assert_eq!(transfer.attempts, 2);
    assert_eq!(
        crate::flows::process(ferry, &message).await.unwrap(),
        Outcome::NothingToDo,
        "a delivered transfer is not sent again"
    );
    // The order read at intake was kept beside it: no webshop connector
    // (nor its credentials) was needed to deliver it.
    assert_eq!(w.shops_built.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_transfer_kept_without_the_order_as_read_is_read_again() {
    let w = world().await;
    let (ferry, message) = (&w.ferry, w.message());
    // As the intake kept an order before the order as read rode beside it.
    let arrival = Arrival {
        source_id: w.order.source_id.clone(),
        source_ref: w.order.e_number.clone(),
        source_updated_at: Some(w.order.updated_at),
        payload: Payload::compress(b"{}"),
    };
    crate::pipeline::record::record(
        ferry,
        &w.connection,
        message.transfer.clone(),
        arrival,
        &crate::pipeline::record::NewerWins,
    )
    .await
    .unwrap();
    assert_eq!(
        crate::flows::process(ferry, &message).await.unwrap(),
        Outcome::Delivered {
            target_ref: "1".into(),
            linked: false
        }
    );
    assert_eq!(
        w.shops_built.load(Ordering::SeqCst),
        1,
        "read by the webshop's connector"
    );
}

/// A queue that keeps the delay of every message sent to it.
#[derive(Default)]
struct Delays(Mutex<Vec<Duration>>);

#[async_trait]
impl Queue for Delays {
    async fn enqueue(&self, _message: &TransferMessage, delay: Duration) -> Result<(), QueueError> {
        self.0.lock().unwrap().push(delay);
        Ok(())
    }
}

async fn transfer_of(w: &World) -> crate::model::Transfer {
    let message = w.message();
    w.ferry
        .store
        .get_transfer(&message.tenant, &message.transfer)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_ledger_slower_than_the_lease_still_gets_one_document() {
    // A lease of 1 s, and a ledger whose look-up takes 1.2 s and answers
    // what it held when asked: the second worker takes the transfer over
    // while the first still waits, and both hear "no document yet".
    let ledger = Ledger {
        slow_lookup: Some(Duration::from_millis(1200)),
        ..Ledger::default()
    };
    let limits = Limits {
        lease: Duration::from_secs(1),
        ..Limits::default()
    };
    let w = world_with(ledger, limits).await;
    crate::pipeline::record::record_order(&w.ferry, &w.connection, &w.order, b"{}")
        .await
        .unwrap();
    let worker = |wait: Duration| {
        let (ferry, message) = (w.ferry.clone(), w.message());
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            crate::flows::process(&ferry, &message).await.unwrap()
        })
    };
    let first = worker(Duration::ZERO);
    let second = worker(Duration::from_millis(1100));
    let (first, second) = (first.await.unwrap(), second.await.unwrap());

    assert_eq!(
        *w.ledger.documents.lock().unwrap(),
        vec!["#1001".to_string()],
        "one document"
    );
    assert!(
        matches!(&first, Outcome::Retrying { reason, .. } if reason.contains("another worker")),
        "the first worker lost its lease and made nothing: {first:?}"
    );
    assert_eq!(
        second,
        Outcome::Delivered {
            target_ref: "1".into(),
            linked: false
        }
    );
    let transfer = transfer_of(&w).await;
    assert_eq!(transfer.status, TransferStatus::Delivered);
    assert_eq!(
        crate::flows::process(&w.ferry, &w.message()).await.unwrap(),
        Outcome::NothingToDo,
        "the first worker's message, back from the queue, finds it delivered"
    );
}

/// A transfer whose ledger's pacer holds calls for `pause` (after a 429
/// with that `Retry-After`), delivered once; what became of it and the
/// delays the queue was given.
async fn deliver_while_paused(pause: Duration) -> (Outcome, Vec<Duration>, Duration) {
    let pacer = Arc::new(Pacer::new(10, Duration::from_secs(1)));
    pacer.pause(pause).await;
    let ledger = Ledger {
        paced: Some(pacer),
        ..Ledger::default()
    };
    let mut w = world_with(ledger, Limits::default()).await;
    crate::pipeline::record::record_order(&w.ferry, &w.connection, &w.order, b"{}")
        .await
        .unwrap();
    let delays = Arc::new(Delays::default());
    w.ferry.queue = delays.clone();
    let started = Instant::now();
    let outcome = crate::flows::process(&w.ferry, &w.message()).await.unwrap();
    let took = started.elapsed();
    let transfer = transfer_of(&w).await;
    assert_eq!(transfer.status, TransferStatus::Pending);
    assert_eq!(
        transfer.lease_until, None,
        "released for whoever comes next"
    );
    assert!(w.ledger.documents.lock().unwrap().is_empty());
    let delays = delays.0.lock().unwrap().clone();
    (outcome, delays, took)
}

#[tokio::test]
async fn a_retry_after_of_ten_minutes_sends_the_message_back_instead_of_holding_the_worker() {
    let (outcome, delays, took) = deliver_while_paused(Duration::from_secs(600)).await;
    assert!(took < Duration::from_secs(5), "returned after {took:?}");
    let Outcome::Retrying { after, .. } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(
        after > Duration::from_secs(590) && after <= Duration::from_secs(600),
        "{after:?}"
    );
    assert_eq!(delays, vec![after], "enqueued again with that delay");
}

#[tokio::test]
async fn a_retry_after_beyond_the_queue_comes_back_after_fifteen_minutes() {
    let (outcome, delays, _) = deliver_while_paused(Duration::from_secs(3000)).await;
    assert!(
        matches!(outcome, Outcome::Retrying { after, .. } if after == Duration::from_secs(900)),
        "{outcome:?}"
    );
    assert_eq!(delays, vec![Duration::from_secs(900)]);
}
