//! For unit tests: Ferry on the embedded store, an in-process queue and a
//! settable clock, with a tenant and a connection's pending orders.

use crate::clock::{Clock, ManualClock};
use crate::connectors::{http::HttpClient, Connectors};
use crate::mail::outbox::OutboxMailer;
use crate::model::{
    ConnectionId, Entity, Payload, Tenant, TenantId, Transfer, TransferId, TransferStatus,
};
use crate::queue::memory::{MemoryQueue, MemoryReceiver};
use crate::seal::Sealer;
use crate::store::embedded::EmbeddedStore;
use crate::{Ferry, Limits};
use chrono::{DateTime, TimeZone, Utc};
use futures::FutureExt;
use std::sync::Arc;

pub struct World {
    pub ferry: Ferry,
    pub clock: ManualClock,
    pub receiver: MemoryReceiver,
    pub tenant: TenantId,
    pub connection: ConnectionId,
}

pub fn november() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .single()
        .expect("a valid time")
}

/// A world with one tenant (stored) and one connection's id.
pub async fn world() -> World {
    let clock = ManualClock::new(november());
    let (queue, receiver) = MemoryQueue::new();
    let ferry = Ferry {
        store: Arc::new(EmbeddedStore::temporary().expect("a temporary store")),
        queue: Arc::new(queue),
        mailer: Arc::new(OutboxMailer::new(
            std::env::temp_dir().join(format!("ferry-unit-test-{}", ulid::Ulid::new())),
        )),
        clock: Arc::new(clock.clone()),
        sealer: Sealer::from_bytes(&[7; 32]).expect("a key"),
        connectors: Arc::new(Connectors::new(HttpClient::default())),
        limits: Limits::default(),
        public_url: "http://127.0.0.1:1".into(),
        webhook_base: None,
        jwt_key: Arc::new(vec![1; 32]),
        operator_token: None,
        mail_from: "ferry@test.example".into(),
    };
    let world = World {
        ferry,
        clock,
        receiver,
        tenant: TenantId::generate(),
        connection: ConnectionId::generate(),
    };
    world.add_tenant(&world.tenant).await;
    world
}

impl World {
    pub async fn add_tenant(&self, id: &TenantId) {
        let tenant = Tenant {
            id: id.clone(),
            name: format!("Shop {id}"),
            email: "owner@shop.example".into(),
            time_zone: "UTC".into(),
            created_at: self.clock.now(),
        };
        self.ferry
            .store
            .create_tenant(&tenant)
            .await
            .expect("tenant stored");
    }

    /// Order `number` of `tenant`, pending, received and last touched at
    /// `at`; stored.
    pub async fn pending_order(
        &self,
        tenant: &TenantId,
        number: u32,
        at: DateTime<Utc>,
    ) -> Transfer {
        let transfer = Transfer {
            id: TransferId::for_record(&self.connection, &format!("{tenant}/{number}")),
            tenant: tenant.clone(),
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
            received_at: at,
            updated_at: at,
            source_payload: Some(Payload::compress(b"{}")),
            target_payload: None,
            version: 1,
            kind: None,
        };
        self.ferry
            .store
            .create_transfer(&transfer)
            .await
            .expect("transfer stored");
        transfer
    }

    /// The transfers on the in-process queue now (waiting for none).
    pub fn queued(&mut self) -> Vec<TransferId> {
        let mut queued = Vec::new();
        while let Some(Some(message)) = self.receiver.recv().now_or_never() {
            queued.push(message.transfer);
        }
        queued
    }
}
