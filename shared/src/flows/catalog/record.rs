//! Recording a changed catalogue item (or customer) as a transfer.
//!
//! One transfer per connection and key (the SKU, the customer's e-mail),
//! like one per order:
//! - a new item becomes a pending transfer and is enqueued;
//! - an item that changed again replaces the held data and goes (back) to
//!   pending with fresh attempts, whatever its status, because the shop
//!   must follow the ERP;
//! - an item held exactly as it is changes nothing: a pending one is
//!   enqueued again (a lost message loses nothing), a failed one waits for
//!   a change or a retry by hand (a failure is not sent again every poll),
//!   and a delivered one gets its fingerprint written again (it was lost).

use crate::app::Ferry;
use crate::model::catalog::Synced;
use crate::model::{Arrival, Connection, Payload, Transfer, TransferId, TransferStatus};
use crate::pipeline::record::{self, Again, RecordError, Recorded, Rules};
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The transfer of an item (or customer) on a connection.
pub fn transfer_id(connection: &Connection, item: &Synced) -> TransferId {
    TransferId::for_record(&connection.id, &format!("catalog:{}", item.key()))
}

/// Records `item` as changed. `resend` (a backfill) sends it again even
/// when the held transfer has the same data.
pub async fn record_item(
    ferry: &Ferry,
    connection: &Connection,
    item: &Synced,
    resend: bool,
) -> Result<Recorded, RecordError> {
    let id = transfer_id(connection, item);
    let raw = serde_json::to_vec(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    // The ERP's data carries no time of its own: it is as new as the poll.
    let arrival = Arrival {
        source_id: item.number().to_owned(),
        source_ref: item.reference(),
        source_updated_at: Some(ferry.clock.now()),
        payload: Payload::compress(&raw),
    };
    let rules = ShopFollows {
        item,
        raw: &raw,
        resend,
    };
    record::record(ferry, connection, id, arrival, &rules).await
}

/// The catalogue's rule: the shop follows the ERP.
struct ShopFollows<'a> {
    item: &'a Synced,
    raw: &'a [u8],
    resend: bool,
}

#[async_trait]
impl Rules for ShopFollows<'_> {
    fn again(&self, held: &Transfer, arrival: &Arrival, now: DateTime<Utc>) -> Again {
        let same = held
            .source_payload
            .as_ref()
            .and_then(|p| p.bytes().ok())
            .is_some_and(|held_raw| held_raw == self.raw);
        if same && held.status == TransferStatus::Pending {
            return Again::Unchanged;
        }
        if same && !self.resend {
            return match held.status {
                TransferStatus::Delivered => Again::AlreadyDelivered,
                _ => Again::Unchanged,
            };
        }
        Again::Replace(Box::new(held.replaced(arrival.clone(), now)))
    }

    /// The fingerprint was lost: written again, nothing is resent.
    async fn already_delivered(
        &self,
        ferry: &Ferry,
        connection: &Connection,
        _held: &Transfer,
    ) -> Result<(), RecordError> {
        ferry
            .store
            .put_catalog_fingerprint(
                &connection.tenant,
                &connection.id,
                &self.item.key(),
                &self.item.fingerprint(connection.entity),
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::connectors::{http::HttpClient, Connectors};
    use crate::mail::outbox::OutboxMailer;
    use crate::model::{
        CatalogItem, ConnectionId, DocumentKind, Entity, RunOutcome, Scope, SystemId, TenantId,
        UsageDelta, DEFAULT_WAREHOUSE,
    };
    use crate::queue::memory::{MemoryQueue, MemoryReceiver};
    use crate::seal::Sealer;
    use crate::store::embedded::EmbeddedStore;
    use crate::Limits;
    use rust_decimal::Decimal;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn ferry() -> (Ferry, MemoryReceiver) {
        let (queue, receiver) = MemoryQueue::new();
        let ferry = Ferry {
            store: Arc::new(EmbeddedStore::temporary().unwrap()),
            queue: Arc::new(queue),
            mailer: Arc::new(OutboxMailer::new(
                std::env::temp_dir().join(format!("ferry-catalog-test-{}", ulid::Ulid::new())),
            )),
            clock: Arc::new(SystemClock),
            sealer: Sealer::from_bytes(&[7; 32]).unwrap(),
            connectors: Arc::new(Connectors::new(HttpClient::default())),
            limits: Limits::default(),
            public_url: "http://127.0.0.1:1".into(),
            webhook_base: None,
            jwt_key: Arc::new(vec![1; 32]),
            operator_token: None,
            mail_from: "ferry@test.example".into(),
        };
        (ferry, receiver)
    }

    fn connection() -> Connection {
        let now = chrono::Utc::now();
        Connection {
            id: ConnectionId::generate(),
            tenant: TenantId::generate(),
            name: "Books > shop (stock)".into(),
            source: SystemId::generate(),
            target: SystemId::generate(),
            entity: Entity::Stock,
            allowed_states: Vec::new(),
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
        }
    }

    fn item(stock: i64) -> Synced {
        Synced::Item(CatalogItem {
            number: "100".into(),
            sku: Some("MUG".into()),
            name: "Mug".into(),
            price: Some(Decimal::from(10)),
            stock: BTreeMap::from([(DEFAULT_WAREHOUSE.to_owned(), Decimal::from(stock))]),
        })
    }

    /// Claims the item's transfer and ends it as `status`, as a worker does.
    async fn set_status(ferry: &Ferry, connection: &Connection, status: TransferStatus) {
        let id = transfer_id(connection, &item(0));
        let held = ferry
            .store
            .get_transfer(&connection.tenant, &id)
            .await
            .unwrap()
            .unwrap();
        let now = chrono::Utc::now();
        let claimed = held
            .claimed(now, std::time::Duration::from_secs(60))
            .unwrap();
        let done = match status {
            TransferStatus::Delivered => claimed.delivered("1", Payload::compress(b"{}"), &[], now),
            _ => claimed.failed("the shop refused it", now),
        }
        .unwrap();
        ferry
            .store
            .update_transfer(&done, held.version, UsageDelta::default())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn one_transfer_per_sku_follows_the_erp() {
        // The receiver keeps the queue open.
        let (ferry, _receiver) = ferry();
        let connection = connection();
        let id = transfer_id(&connection, &item(0));
        let record = |stock, resend| {
            let (ferry, connection) = (ferry.clone(), connection.clone());
            async move {
                record_item(&ferry, &connection, &item(stock), resend)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(record(5, false).await, Recorded::Created(id.clone()));
        assert_eq!(record(5, false).await, Recorded::Unchanged(id.clone()));

        // Failed: the same data waits; changed data starts afresh.
        set_status(&ferry, &connection, TransferStatus::Failed).await;
        assert_eq!(record(5, false).await, Recorded::Unchanged(id.clone()));
        assert_eq!(record(4, false).await, Recorded::Refreshed(id.clone()));
        let held = ferry
            .store
            .get_transfer(&connection.tenant, &id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((held.status, held.attempts), (TransferStatus::Pending, 0));

        // Delivered, its fingerprint lost: written again, nothing resent;
        // a backfill sends it again.
        set_status(&ferry, &connection, TransferStatus::Delivered).await;
        assert_eq!(
            record(4, false).await,
            Recorded::AlreadyDelivered(id.clone())
        );
        let sent = ferry
            .store
            .catalog_fingerprints(&connection.tenant, &connection.id)
            .await
            .unwrap();
        assert_eq!(sent["MUG"], item(4).fingerprint(Entity::Stock));
        assert_eq!(record(4, true).await, Recorded::Refreshed(id.clone()));
        assert_eq!(
            ferry
                .store
                .list_transfers(&connection.tenant, &Default::default())
                .await
                .unwrap()
                .items
                .len(),
            1
        );
    }
}
