//! The quota rules at the boundary: the order that meets the quota, with
//! and without auto-buy, on the embedded store with a clock set by hand.

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::connectors::http::HttpClient;
use crate::connectors::Connectors;
use crate::mail::outbox::OutboxMailer;
use crate::model::{ConnectionId, Payload, UsageDelta};
use crate::queue::memory::{MemoryQueue, MemoryReceiver};
use crate::seal::Sealer;
use crate::store::embedded::EmbeddedStore;
use crate::{Ferry, Limits};
use chrono::TimeZone;
use std::sync::Arc;

struct World {
    ferry: Ferry,
    clock: ManualClock,
    receiver: MemoryReceiver,
    tenant: TenantId,
    connection: ConnectionId,
}

fn november() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

async fn world() -> World {
    let clock = ManualClock::new(november());
    let (queue, receiver) = MemoryQueue::new();
    let ferry = Ferry {
        store: Arc::new(EmbeddedStore::temporary().unwrap()),
        queue: Arc::new(queue),
        mailer: Arc::new(OutboxMailer::new(
            std::env::temp_dir().join(format!("ferry-subscription-test-{}", ulid::Ulid::new())),
        )),
        clock: Arc::new(clock.clone()),
        sealer: Sealer::from_bytes(&[7; 32]).unwrap(),
        connectors: Arc::new(Connectors::new(HttpClient::default())),
        limits: Limits::default(),
        public_url: "http://127.0.0.1:1".into(),
        webhook_base: None,
        jwt_key: Arc::new(vec![1; 32]),
        operator_token: None,
        mail_from: "ferry@test.example".into(),
    };
    World {
        ferry,
        clock,
        receiver,
        tenant: TenantId::generate(),
        connection: ConnectionId::generate(),
    }
}

impl World {
    fn order(&self, number: u32) -> Transfer {
        let now = self.clock.now();
        Transfer {
            id: crate::model::TransferId::for_record(&self.connection, &number.to_string()),
            tenant: self.tenant.clone(),
            connection: self.connection.clone(),
            entity: Entity::Orders,
            source_id: number.to_string(),
            source_ref: format!("#{number}"),
            target_ref: None,
            status: TransferStatus::Pending,
            reason: None,
            attempts: 0,
            source_updated_at: None,
            lease_until: None,
            received_at: now,
            updated_at: now,
            source_payload: Some(Payload::compress(b"{}")),
            target_payload: None,
            version: 1,
            kind: None,
        }
    }

    /// Stores a transfer and counts `delivered` orders this month, as the
    /// worker's delivery writes do.
    async fn delivered(&self, number: u32, delivered: u64) {
        let transfer = self.order(number);
        self.ferry.store.create_transfer(&transfer).await.unwrap();
        let done = transfer
            .delivered("INV-1", Payload::compress(b"{}"), &[], self.clock.now())
            .unwrap();
        let usage = UsageDelta {
            orders: delivered,
            ..UsageDelta::default()
        };
        self.ferry
            .store
            .update_transfer(&done, 1, usage)
            .await
            .unwrap();
    }

    async fn set_auto_buy(&self, on: bool) {
        let before = current(&self.ferry, &self.tenant).await.unwrap();
        let mut after = before.clone();
        after.auto_buy = on;
        save(&self.ferry, &before, after).await.unwrap();
    }

    fn clock(&self) -> &ManualClock {
        &self.clock
    }
}

const INCLUDED: u64 = 1_000; // the starter plan

#[tokio::test]
async fn the_order_that_meets_the_quota_waits_without_auto_buy() {
    let w = world().await;
    // 999 delivered: the 1,000th order still goes.
    w.delivered(1, INCLUDED - 1).await;
    assert_eq!(
        admit(&w.ferry, &w.order(2), None).await.unwrap(),
        Admission::Go
    );
    // 1,000 delivered: the next one waits, with the reason in words.
    w.delivered(3, 1).await;
    match admit(&w.ferry, &w.order(4), None).await.unwrap() {
        Admission::Wait { reason, after } => {
            assert!(reason.starts_with(QUOTA_REASON), "{reason}");
            assert!(reason.contains("1000 of 1000"), "{reason}");
            assert_eq!(after, QUOTA_RECHECK);
        }
        other => panic!("expected to wait, got {other:?}"),
    }
    // Nothing was bought.
    assert!(current(&w.ferry, &w.tenant)
        .await
        .unwrap()
        .purchases
        .is_empty());
}

#[tokio::test]
async fn the_order_that_meets_the_quota_buys_one_pack_with_auto_buy() {
    let w = world().await;
    w.set_auto_buy(true).await;
    w.delivered(1, INCLUDED - 1).await;
    assert_eq!(
        admit(&w.ferry, &w.order(2), None).await.unwrap(),
        Admission::Go
    );
    assert!(current(&w.ferry, &w.tenant)
        .await
        .unwrap()
        .purchases
        .is_empty());
    w.delivered(3, 1).await;
    w.clock().advance(chrono::Duration::minutes(3));
    assert_eq!(
        admit(&w.ferry, &w.order(4), None).await.unwrap(),
        Admission::Go
    );
    let subscription = current(&w.ferry, &w.tenant).await.unwrap();
    assert_eq!(subscription.purchases.len(), 1);
    let purchase = &subscription.purchases[0];
    assert_eq!(
        (
            purchase.orders,
            purchase.price.to_string(),
            purchase.currency.as_str()
        ),
        (100, "5.00".to_owned(), "EUR")
    );
    assert_eq!(purchase.at, w.clock().now());
    assert!(purchase.automatic);
    assert_eq!(purchase.period, "2026-11");
    assert_eq!(subscription.allowance("2026-11"), INCLUDED + 100);
    // The next orders go on the pack without buying another.
    assert_eq!(
        admit(&w.ferry, &w.order(5), None).await.unwrap(),
        Admission::Go
    );
    assert_eq!(
        current(&w.ferry, &w.tenant).await.unwrap().purchases.len(),
        1
    );
    // The purchase is logged for the merchant.
    let logs = w
        .ferry
        .store
        .list_logs(&w.tenant, &crate::store::LogQuery::default())
        .await
        .unwrap();
    assert!(logs
        .items
        .iter()
        .any(|e| e.message.contains("bought 100 extra orders")));
}

#[tokio::test]
async fn orders_meeting_the_quota_at_once_buy_one_pack() {
    let w = world().await;
    w.set_auto_buy(true).await;
    w.delivered(1, INCLUDED).await;
    let orders: Vec<Transfer> = (10..16).map(|n| w.order(n)).collect();
    // Every worker read the same subscription just before (as the worker's
    // `tenant_setup` does): one buys, the others lose the race, read again
    // and find the pack.
    let read = current(&w.ferry, &w.tenant).await.unwrap();
    let answers = futures::future::join_all(
        orders
            .iter()
            .map(|order| admit(&w.ferry, order, Some(read.clone()))),
    )
    .await;
    for answer in answers {
        assert_eq!(answer.unwrap(), Admission::Go);
    }
    assert_eq!(
        current(&w.ferry, &w.tenant).await.unwrap().purchases.len(),
        1
    );
}

#[tokio::test]
async fn only_orders_count_and_a_new_month_starts_afresh() {
    let w = world().await;
    w.delivered(1, INCLUDED).await;
    let mut product = w.order(2);
    product.entity = Entity::Products;
    assert_eq!(
        admit(&w.ferry, &product, None).await.unwrap(),
        Admission::Go
    );
    assert!(matches!(
        admit(&w.ferry, &w.order(3), None).await.unwrap(),
        Admission::Wait { .. }
    ));
    w.clock()
        .set(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 1).unwrap());
    assert_eq!(
        admit(&w.ferry, &w.order(3), None).await.unwrap(),
        Admission::Go
    );
}

#[tokio::test]
async fn waiting_orders_resume_and_others_are_left_alone() {
    let mut w = world().await;
    w.delivered(1, INCLUDED).await;
    let waiting = w
        .order(2)
        .waiting(
            &format!("{QUOTA_REASON} (1000 of 1000 orders this month)"),
            w.clock.now(),
        )
        .unwrap();
    w.ferry.store.create_transfer(&waiting).await.unwrap();
    let unhealthy = w
        .order(3)
        .waiting("waiting for working e-conomic credentials", w.clock.now())
        .unwrap();
    w.ferry.store.create_transfer(&unhealthy).await.unwrap();
    assert!(is_waiting_for_quota(&waiting));
    assert!(!is_waiting_for_quota(&unhealthy));

    assert_eq!(resume_waiting(&w.ferry, &w.tenant).await.unwrap(), 1);
    let message = w.receiver.recv().await.unwrap();
    assert_eq!(message.transfer, waiting.id);
}

#[tokio::test]
async fn a_stale_subscription_is_not_saved_over_a_newer_one() {
    let w = world().await;
    let first = current(&w.ferry, &w.tenant).await.unwrap();
    buy(&w.ferry, &first, 2, false).await.unwrap();
    // Saving from the old copy would lose the purchase: refused.
    let err = buy(&w.ferry, &first, 1, false).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict));
    let now = current(&w.ferry, &w.tenant).await.unwrap();
    assert_eq!(now.purchases.len(), 1);
    assert_eq!(now.purchases[0].orders, 200);
    assert_eq!(now.purchases[0].price.to_string(), "10.00");
}
