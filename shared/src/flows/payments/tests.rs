//! The payment flow through the one recorder and the one delivery loop,
//! against a shop and a ledger in memory handed to Ferry as its connectors.

use crate::app::{Ferry, Limits};
use crate::clock::SystemClock;
use crate::connectors::catalog::{CatalogSource, CatalogTarget};
use crate::connectors::customers::CustomerTarget;
use crate::connectors::payments::{LedgerInvoice, PaymentBooking};
use crate::connectors::{
    ConfigError, ConnectorError, ConnectorFactory, Delivered, Inbound, OrderPage, ParseError,
    Source, Target, WebhookError, WebhookRequest,
};
use crate::mail::outbox::OutboxMailer;
use crate::mapping::tests::{line, order};
use crate::model::{
    Connection, ConnectionId, CredentialHealth, DocumentKind, Entity, GatewayAccount, LineKind,
    Order, Payment, PaymentSettings, RunOutcome, Scope, System, SystemId, SystemKind, TenantId,
    Transfer, TransferId, TransferKind, TransferStatus, GIFT_CARD_GATEWAY,
};
use crate::pipeline::deliver::Outcome;
use crate::queue::memory::{MemoryQueue, MemoryReceiver};
use crate::queue::TransferMessage;
use crate::seal::{Credentials, SealedCredentials, Sealer};
use crate::store::embedded::EmbeddedStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A payment booked in the ledger: the shop's transaction, the invoice and
/// where it went.
#[derive(Debug, Clone, PartialEq)]
struct Booked {
    transaction: String,
    invoice: String,
    account: GatewayAccount,
}

/// A ledger in memory: invoices by webshop number, and the payments booked
/// on them. With `lose_next_payment_answer`, the next payment is booked but
/// its answer never arrives (a crash between the ledger and Ferry's record).
#[derive(Default)]
struct Ledger {
    invoices: Mutex<BTreeMap<String, LedgerInvoice>>,
    payments: Mutex<Vec<Booked>>,
    invoices_booked: Mutex<Vec<String>>,
    lose_next_payment_answer: AtomicBool,
}

impl Ledger {
    fn payments(&self) -> Vec<Booked> {
        self.payments.lock().unwrap().clone()
    }
}

fn delivered(number: String) -> Delivered {
    Delivered {
        sent: format!(r#"{{"number":"{number}"}}"#).into_bytes(),
        number,
        warnings: Vec::new(),
    }
}

#[async_trait]
impl Target for Ledger {
    async fn find_document(
        &self,
        e_number: &str,
        _kind: DocumentKind,
    ) -> Result<Option<Delivered>, ConnectorError> {
        let invoices = self.invoices.lock().unwrap();
        Ok(invoices
            .get(e_number)
            .map(|invoice| delivered(invoice.number.clone())))
    }

    async fn deliver_order(
        &self,
        order: &Order,
        kind: DocumentKind,
    ) -> Result<Delivered, ConnectorError> {
        let mut invoices = self.invoices.lock().unwrap();
        let number = (invoices.len() + 1).to_string();
        invoices.insert(
            order.e_number.clone(),
            LedgerInvoice {
                number: number.clone(),
                booked: kind == DocumentKind::BookedInvoice,
                customer: "7".into(),
                remainder: Some(order.totals.total),
            },
        );
        Ok(delivered(number))
    }

    async fn test_credentials(&self) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn payment_invoice(
        &self,
        e_number: &str,
    ) -> Result<Option<LedgerInvoice>, ConnectorError> {
        Ok(self.invoices.lock().unwrap().get(e_number).cloned())
    }

    async fn book_invoice(&self, invoice: &LedgerInvoice) -> Result<LedgerInvoice, ConnectorError> {
        self.invoices_booked
            .lock()
            .unwrap()
            .push(invoice.number.clone());
        let mut invoices = self.invoices.lock().unwrap();
        let held = invoices
            .values_mut()
            .find(|held| held.number == invoice.number)
            .expect("the invoice booked exists");
        held.booked = true;
        Ok(held.clone())
    }

    async fn find_payment(
        &self,
        payment: &Payment,
        _invoice: &LedgerInvoice,
        _booking: &PaymentBooking,
    ) -> Result<Option<Delivered>, ConnectorError> {
        let payments = self.payments.lock().unwrap();
        Ok(payments
            .iter()
            .position(|booked| booked.transaction == payment.transaction_id)
            .map(|at| delivered(format!("V{}", at + 1))))
    }

    async fn book_payment(
        &self,
        payment: &Payment,
        invoice: &LedgerInvoice,
        booking: &PaymentBooking,
    ) -> Result<Delivered, ConnectorError> {
        assert!(invoice.booked, "a payment is booked on a booked invoice");
        let number = {
            let mut payments = self.payments.lock().unwrap();
            payments.push(Booked {
                transaction: payment.transaction_id.clone(),
                invoice: invoice.number.clone(),
                account: booking.account.clone(),
            });
            format!("V{}", payments.len())
        };
        if self.lose_next_payment_answer.swap(false, Ordering::SeqCst) {
            return Err(ConnectorError::transient(
                "the ledger did not answer in time",
            ));
        }
        Ok(delivered(number))
    }
}

/// A shop whose every order body is the same order, paid with `payments`.
struct Shop {
    order: Order,
    payments: Vec<Payment>,
}

#[async_trait]
impl Source for Shop {
    fn verify_webhook(&self, _request: WebhookRequest<'_>) -> Result<Inbound, WebhookError> {
        Ok(Inbound::Delivery(Default::default()))
    }
    fn parse_order(&self, _body: &[u8]) -> Result<Order, ParseError> {
        Ok(self.order.clone())
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
    async fn payments(&self, _order: &Order, _raw: &[u8]) -> Result<Vec<Payment>, ConnectorError> {
        Ok(self.payments.clone())
    }
}

struct Fakes {
    shop: Arc<Shop>,
    ledger: Arc<Ledger>,
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

fn payment_of(order: &Order, transaction: &str, gateway: &str, amount: &str) -> Payment {
    Payment {
        transaction_id: transaction.into(),
        order_source_id: order.source_id.clone(),
        order_e_number: order.e_number.clone(),
        gateway: gateway.into(),
        amount: amount.parse().unwrap(),
        currency: order.currency.clone(),
        paid_at: order.updated_at,
        gift_card: gateway == GIFT_CARD_GATEWAY,
    }
}

fn account(contra: u64) -> GatewayAccount {
    GatewayAccount {
        contra_account: Some(contra),
        ..GatewayAccount::default()
    }
}

/// Shopify > e-conomic with payments: `shopify_payments` to 5820, gift
/// cards to the liability 6310; orders as `document`.
fn settings(book: bool) -> PaymentSettings {
    PaymentSettings {
        gateways: BTreeMap::from([
            ("shopify_payments".to_owned(), account(5820)),
            (GIFT_CARD_GATEWAY.to_owned(), account(6310)),
        ]),
        journal: Some(2),
        book,
    }
}

struct World {
    ferry: Ferry,
    ledger: Arc<Ledger>,
    connection: Connection,
    order: Order,
    payment: Payment,
    _receiver: MemoryReceiver,
}

async fn world(document: DocumentKind, payments: Option<PaymentSettings>) -> World {
    world_paid_with(document, payments, &[("tx-1", "shopify_payments")]).await
}

/// A paid order (100.00) and its payments: `(transaction, gateway)`, the
/// first pays the whole order unless there are more (then 60 and 40).
async fn world_paid_with(
    document: DocumentKind,
    payments: Option<PaymentSettings>,
    paid: &[(&str, &str)],
) -> World {
    let the_order = order(vec![line(
        LineKind::Product,
        Some("A"),
        "Mug",
        "1",
        "80.00",
    )]);
    let amounts = match paid.len() {
        1 => vec![the_order.totals.total.to_string()],
        _ => vec!["60.00".to_owned(), "40.00".to_owned()],
    };
    let the_payments: Vec<Payment> = paid
        .iter()
        .zip(&amounts)
        .map(|((transaction, gateway), amount)| {
            payment_of(&the_order, transaction, gateway, amount)
        })
        .collect();
    let ledger = Arc::new(Ledger::default());
    let (queue, receiver) = MemoryQueue::new();
    let ferry = Ferry {
        store: Arc::new(EmbeddedStore::temporary().unwrap()),
        queue: Arc::new(queue),
        mailer: Arc::new(OutboxMailer::new(
            std::env::temp_dir().join(format!("ferry-payments-test-{}", ulid::Ulid::new())),
        )),
        clock: Arc::new(SystemClock),
        sealer: Sealer::from_bytes(&[7; 32]).unwrap(),
        connectors: Arc::new(Fakes {
            shop: Arc::new(Shop {
                order: the_order.clone(),
                payments: the_payments.clone(),
            }),
            ledger: ledger.clone(),
        }),
        limits: Limits::default(),
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
        document,
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
        payments,
    };
    ferry.store.put_connection(&connection).await.unwrap();
    World {
        ferry,
        ledger,
        connection,
        order: the_order,
        payment: the_payments[0].clone(),
        _receiver: receiver,
    }
}

impl World {
    fn message_of(&self, source_id: &str) -> TransferMessage {
        TransferMessage {
            tenant: self.connection.tenant.clone(),
            transfer: TransferId::for_record(&self.connection.id, source_id),
        }
    }

    fn order_message(&self) -> TransferMessage {
        self.message_of(&self.order.source_id)
    }

    fn payment_message(&self) -> TransferMessage {
        self.message_of(&self.payment.record_key())
    }

    /// The order's webhook (`orders/paid`) through the intake.
    async fn order_webhook(&self) {
        let headers = http::HeaderMap::new();
        crate::intake::receive(&self.ferry, self.connection.id.as_str(), &headers, b"{}")
            .await
            .unwrap();
    }

    async fn process(&self, message: &TransferMessage) -> Outcome {
        crate::flows::process(&self.ferry, message).await.unwrap()
    }

    async fn transfer(&self, message: &TransferMessage) -> Option<Transfer> {
        self.ferry
            .store
            .get_transfer(&message.tenant, &message.transfer)
            .await
            .unwrap()
    }
}

fn delivered_as(number: &str, linked: bool) -> Outcome {
    Outcome::Delivered {
        target_ref: number.into(),
        linked,
    }
}

#[tokio::test]
async fn a_paid_order_arriving_twice_is_marked_paid_once() {
    let w = world(DocumentKind::BookedInvoice, Some(settings(false))).await;
    w.order_webhook().await;
    assert_eq!(
        w.process(&w.order_message()).await,
        delivered_as("1", false)
    );
    assert_eq!(
        w.process(&w.payment_message()).await,
        delivered_as("V1", false)
    );

    // `orders/paid` again: the order and its payment are held already.
    w.order_webhook().await;
    assert_eq!(w.process(&w.payment_message()).await, Outcome::NothingToDo);

    let booked = w.ledger.payments();
    assert_eq!(booked.len(), 1, "{booked:?}");
    assert_eq!(booked[0].invoice, "1");
    assert_eq!(booked[0].account.contra_account, Some(5820));
    let payment = w.transfer(&w.payment_message()).await.unwrap();
    assert_eq!(payment.kind(), TransferKind::Payment);
    assert_eq!(payment.status, TransferStatus::Delivered);
    assert_eq!(payment.source_id, "tx-1");
    assert_eq!(payment.source_ref, w.order.e_number);
    assert_eq!(payment.target_ref.as_deref(), Some("V1"));
    assert_eq!(
        w.transfer(&w.order_message()).await.unwrap().kind(),
        TransferKind::Order
    );
}

#[tokio::test]
async fn a_payment_that_arrives_before_its_order_waits_for_the_invoice_then_is_booked() {
    let w = world(DocumentKind::BookedInvoice, Some(settings(false))).await;
    let mut early = w.payment.clone();
    early.order_e_number.clear(); // as a transaction webhook: the order id only
    crate::flows::payments::record::payments_of(&w.ferry, &w.connection, &[early], None)
        .await
        .unwrap();

    let waiting = w.process(&w.payment_message()).await;
    assert!(
        matches!(&waiting, Outcome::Retrying { reason, .. }
            if reason == &format!("waiting for order id {}'s invoice", w.order.source_id)),
        "{waiting:?}"
    );
    assert!(w.ledger.payments().is_empty());

    w.order_webhook().await;
    assert_eq!(
        w.process(&w.order_message()).await,
        delivered_as("1", false)
    );
    assert_eq!(
        w.process(&w.payment_message()).await,
        delivered_as("V1", false)
    );
    assert_eq!(w.ledger.payments().len(), 1);
}

#[tokio::test]
async fn a_crash_between_the_payment_and_its_record_links_it_instead_of_booking_twice() {
    let w = world(DocumentKind::BookedInvoice, Some(settings(false))).await;
    w.order_webhook().await;
    w.process(&w.order_message()).await;
    w.ledger
        .lose_next_payment_answer
        .store(true, Ordering::SeqCst);

    let lost = w.process(&w.payment_message()).await;
    assert!(
        matches!(&lost, Outcome::Retrying { reason, .. } if reason.contains("did not answer")),
        "{lost:?}"
    );
    assert_eq!(
        w.process(&w.payment_message()).await,
        delivered_as("V1", true)
    );
    assert_eq!(w.ledger.payments().len(), 1);
}

#[tokio::test]
async fn an_unmapped_gateway_fails_in_words_naming_it_and_where_to_map_it() {
    let w = world_paid_with(
        DocumentKind::BookedInvoice,
        Some(settings(false)),
        &[("tx-9", "paypal")],
    )
    .await;
    w.order_webhook().await;
    w.process(&w.order_message()).await;
    assert_eq!(
        w.process(&w.payment_message()).await,
        Outcome::Failed(
            "the payment method 'paypal' is not mapped: add it under the connection's payment \
             methods in Ferry"
                .into()
        )
    );
    assert!(w.ledger.payments().is_empty());
}

#[tokio::test]
async fn a_draft_invoice_waits_for_the_merchant_unless_the_connection_books_it() {
    let w = world(DocumentKind::DraftInvoice, Some(settings(false))).await;
    w.order_webhook().await;
    w.process(&w.order_message()).await;
    let waiting = w.process(&w.payment_message()).await;
    assert!(
        matches!(&waiting, Outcome::Retrying { reason, .. }
            if reason.starts_with("waiting until invoice 1 of order #1001 is booked in e-conomic")),
        "{waiting:?}"
    );
    assert!(w.ledger.payments().is_empty());
    assert!(w.ledger.invoices_booked.lock().unwrap().is_empty());

    let w = world(DocumentKind::DraftInvoice, Some(settings(true))).await;
    w.order_webhook().await;
    w.process(&w.order_message()).await;
    assert_eq!(
        w.process(&w.payment_message()).await,
        delivered_as("V1", false)
    );
    assert_eq!(
        *w.ledger.invoices_booked.lock().unwrap(),
        vec!["1".to_owned()]
    );
    assert_eq!(w.ledger.payments().len(), 1);
}

#[tokio::test]
async fn the_part_paid_with_a_gift_card_is_a_payment_from_the_gift_card_liability() {
    let w = world_paid_with(
        DocumentKind::BookedInvoice,
        Some(settings(false)),
        &[
            ("tx-card", "shopify_payments"),
            ("tx-gift", GIFT_CARD_GATEWAY),
        ],
    )
    .await;
    w.order_webhook().await;
    w.process(&w.order_message()).await;
    w.process(&w.message_of("payment:tx-card")).await;
    assert_eq!(
        w.process(&w.message_of("payment:tx-gift")).await,
        delivered_as("V2", false)
    );
    let booked = w.ledger.payments();
    let gift = booked.iter().find(|b| b.transaction == "tx-gift").unwrap();
    assert_eq!(gift.account.contra_account, Some(6310));
    let card = booked.iter().find(|b| b.transaction == "tx-card").unwrap();
    assert_eq!(card.account.contra_account, Some(5820));
    let gift_transfer = w.transfer(&w.message_of("payment:tx-gift")).await.unwrap();
    let recorded: Payment =
        serde_json::from_slice(&gift_transfer.source_payload.unwrap().canonical().unwrap())
            .unwrap();
    assert!(recorded.gift_card);
    assert_eq!(recorded.amount, Decimal::new(4000, 2));
}

#[tokio::test]
async fn without_payments_on_the_connection_nothing_is_marked_paid() {
    let w = world(DocumentKind::BookedInvoice, None).await;
    w.order_webhook().await;
    w.process(&w.order_message()).await;
    assert!(w.transfer(&w.payment_message()).await.is_none());

    // One recorded anyway (the setting removed since) is skipped in words.
    crate::pipeline::record::record_payment(&w.ferry, &w.connection, &w.payment, b"{}")
        .await
        .unwrap();
    let skipped = w.process(&w.payment_message()).await;
    assert!(
        matches!(&skipped, Outcome::Skipped(reason) if reason.starts_with("the connection books no payments")),
        "{skipped:?}"
    );
    assert!(w.ledger.payments().is_empty());
}

#[tokio::test]
async fn a_transfer_stored_without_a_kind_reads_as_its_entitys() {
    let w = world(DocumentKind::BookedInvoice, Some(settings(false))).await;
    w.order_webhook().await;
    let held = w.transfer(&w.order_message()).await.unwrap();
    let mut stored = serde_json::to_value(&held).unwrap();
    assert!(
        stored.get("kind").is_none(),
        "an order's kind is its entity's"
    );
    stored.as_object_mut().unwrap().remove("kind");
    let read: Transfer = serde_json::from_value(stored).unwrap();
    assert_eq!(read.kind(), TransferKind::Order);
}
