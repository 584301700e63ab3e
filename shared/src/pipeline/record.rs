//! The one recorder: a record arrived (webhook or poll, of any flow) and
//! becomes, or refreshes, its transfer — idempotently — and is enqueued.
//! Webhooks and polls both come through here, so an order seen by both is
//! one transfer.
//!
//! What a record arriving again does to the transfer held for it is its
//! flow's rule ([`Rules`]); the default, [`NewerWins`], is the sources'
//! (orders):
//! - a new record becomes a pending transfer and is enqueued;
//! - a newer version of a record not yet delivered replaces the held payload
//!   and goes (back) to pending; an older or equal version changes nothing
//!   (a stale delivery never overwrites newer data);
//! - a delivered record stays delivered: its document exists and is not made twice;
//! - a pending transfer is enqueued again whenever its record arrives again,
//!   so a crash between recording and enqueueing loses nothing;
//! - a body that cannot be parsed is kept as a failed transfer with the reason.
//!
//! The catalogue's rule (the shop follows the ERP) is `crate::flows::catalog::record`.

use crate::app::Ferry;
use crate::model::{
    Arrival, Connection, Level, Order, Payload, Payment, Transfer, TransferId, TransferKind,
    TransferStatus, UsageDelta,
};
use crate::queue::{QueueError, TransferMessage};
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new transfer, enqueued.
    Created(TransferId),
    /// A newer version of a record not yet delivered, enqueued.
    Refreshed(TransferId),
    /// Nothing new (same or older version); enqueued again if still pending.
    Unchanged(TransferId),
    /// Already delivered; the newer version was not sent again.
    AlreadyDelivered(TransferId),
    /// The body could not be read; kept as a failed transfer.
    Unreadable(TransferId),
}

impl Recorded {
    pub fn transfer(&self) -> &TransferId {
        match self {
            Recorded::Created(id)
            | Recorded::Refreshed(id)
            | Recorded::Unchanged(id)
            | Recorded::AlreadyDelivered(id)
            | Recorded::Unreadable(id) => id,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Compare-and-swap races are retried this often before giving up (the
/// caller answers 5xx and the sender retries).
const MAX_RACES: usize = 8;

/// What a record arriving again does to the transfer held for it.
pub enum Again {
    /// Nothing new: the held transfer stays (and is enqueued again if pending).
    Unchanged,
    /// Delivered already, and the newer data is not sent.
    AlreadyDelivered,
    /// The held transfer's next state, holding the new data.
    Replace(Box<Transfer>),
}

/// A flow's rule for a record that arrives again.
#[async_trait]
pub trait Rules: Send + Sync {
    fn again(&self, held: &Transfer, arrival: &Arrival, now: DateTime<Utc>) -> Again;
    /// Said (or remembered) when newer data of a delivered record is not sent.
    async fn already_delivered(
        &self,
        ferry: &Ferry,
        connection: &Connection,
        held: &Transfer,
    ) -> Result<(), RecordError>;
}

/// Records `arrival` as transfer `id` of `connection`, by the flow's `rules`.
pub async fn record(
    ferry: &Ferry,
    connection: &Connection,
    id: TransferId,
    arrival: Arrival,
    rules: &dyn Rules,
) -> Result<Recorded, RecordError> {
    record_of_kind(ferry, connection, id, None, arrival, rules).await
}

/// As [`record`], for a record of another kind than its connection's
/// entity (a payment on an orders connection).
pub async fn record_of_kind(
    ferry: &Ferry,
    connection: &Connection,
    id: TransferId,
    kind: Option<TransferKind>,
    arrival: Arrival,
    rules: &dyn Rules,
) -> Result<Recorded, RecordError> {
    for _ in 0..MAX_RACES {
        let now = ferry.clock.now();
        let Some(held) = ferry.store.get_transfer(&connection.tenant, &id).await? else {
            let transfer = Transfer {
                kind,
                ..Transfer::received(id.clone(), connection, arrival.clone(), now)
            };
            match ferry.store.create_transfer(&transfer).await {
                Ok(()) => {
                    enqueue(ferry, &transfer).await?;
                    return Ok(Recorded::Created(id));
                }
                Err(StoreError::AlreadyExists) => continue,
                Err(e) => return Err(e.into()),
            }
        };
        let next = match rules.again(&held, &arrival, now) {
            Again::Unchanged => {
                if held.status == TransferStatus::Pending {
                    enqueue(ferry, &held).await?;
                }
                return Ok(Recorded::Unchanged(id));
            }
            Again::AlreadyDelivered => {
                rules.already_delivered(ferry, connection, &held).await?;
                return Ok(Recorded::AlreadyDelivered(id));
            }
            Again::Replace(next) => *next,
        };
        match ferry
            .store
            .update_transfer(&next, held.version, UsageDelta::default())
            .await
        {
            Ok(()) => {
                enqueue(ferry, &next).await?;
                return Ok(Recorded::Refreshed(id));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Unavailable("too many concurrent writes to one transfer".into()).into())
}

/// The sources' rule: a newer version replaces what is held, unless it
/// was delivered already.
pub struct NewerWins;

#[async_trait]
impl Rules for NewerWins {
    fn again(&self, held: &Transfer, arrival: &Arrival, now: DateTime<Utc>) -> Again {
        let is_newer = match (held.source_updated_at, arrival.source_updated_at) {
            (None, _) => true,
            (Some(held_at), Some(at)) => at > held_at,
            (Some(_), None) => false,
        };
        if !is_newer {
            return Again::Unchanged;
        }
        // A delivered record stays delivered: its document exists.
        match held.refreshed(arrival.clone(), now) {
            Ok(next) => Again::Replace(Box::new(next)),
            Err(_) => Again::AlreadyDelivered,
        }
    }

    async fn already_delivered(
        &self,
        ferry: &Ferry,
        connection: &Connection,
        held: &Transfer,
    ) -> Result<(), RecordError> {
        crate::events::log(
            ferry,
            &held.tenant,
            "intake",
            Level::Info,
            format!(
                "order {} changed in the webshop after it was delivered as {}; the document was not changed",
                held.source_ref,
                held.target_ref.as_deref().unwrap_or("?"),
            ),
            Some(&connection.id),
            Some(&held.id),
        )
        .await;
        Ok(())
    }
}

/// Records a parsed order with its raw payload, and beside it the order as
/// read (`Payload::canonical`), so the worker need not parse it again.
pub async fn record_order(
    ferry: &Ferry,
    connection: &Connection,
    order: &Order,
    raw: &[u8],
) -> Result<Recorded, RecordError> {
    let id = TransferId::for_record(&connection.id, &order.source_id);
    let arrival = Arrival {
        source_id: order.source_id.clone(),
        source_ref: order.e_number.clone(),
        source_updated_at: Some(order.updated_at),
        payload: match serde_json::to_vec(order) {
            Ok(read) => Payload::compress_with_canonical(raw, &read),
            Err(_) => Payload::compress(raw),
        },
    };
    record(ferry, connection, id, arrival, &NewerWins).await
}

/// A payment's rule: it is booked once, whatever arrives again. A payment
/// the shop reports again changes nothing (the shop's transaction does not
/// change), except that one recorded without its order's webshop number
/// (a transaction webhook before its order) takes it when it comes; a
/// pending one is enqueued again.
pub struct Once;

#[async_trait]
impl Rules for Once {
    fn again(&self, held: &Transfer, arrival: &Arrival, now: DateTime<Utc>) -> Again {
        if held.status == TransferStatus::Delivered {
            return Again::AlreadyDelivered;
        }
        if held.source_ref.is_empty() && !arrival.source_ref.is_empty() {
            if let Ok(named) = held.refreshed(arrival.clone(), now) {
                return Again::Replace(Box::new(named));
            }
        }
        Again::Unchanged
    }

    async fn already_delivered(
        &self,
        _ferry: &Ferry,
        _connection: &Connection,
        _held: &Transfer,
    ) -> Result<(), RecordError> {
        Ok(())
    }
}

/// Records a payment of an order as its own transfer, keyed by the shop's
/// transaction id (`Payment::record_key`), with the payment as read beside
/// the data as received. Its webshop number is the order's; a payment that
/// does not say it (a Shopify transaction webhook) takes its order
/// transfer's, when that is held.
pub async fn record_payment(
    ferry: &Ferry,
    connection: &Connection,
    payment: &Payment,
    raw: &[u8],
) -> Result<Recorded, RecordError> {
    let id = TransferId::for_record(&connection.id, &payment.record_key());
    let mut source_ref = payment.order_e_number.clone();
    if source_ref.is_empty() {
        let order = TransferId::for_record(&connection.id, &payment.order_source_id);
        if let Some(held) = ferry.store.get_transfer(&connection.tenant, &order).await? {
            source_ref = held.source_ref;
        }
    }
    let arrival = Arrival {
        source_id: payment.transaction_id.clone(),
        source_ref,
        source_updated_at: Some(payment.paid_at),
        payload: match serde_json::to_vec(payment) {
            Ok(read) => Payload::compress_with_canonical(raw, &read),
            Err(_) => Payload::compress(raw),
        },
    };
    let kind = Some(TransferKind::Payment);
    record_of_kind(ferry, connection, id, kind, arrival, &Once).await
}

/// Keeps a body that could not be parsed as a failed transfer, so that the
/// merchant sees it. `key` identifies the delivery (its id, else a hash of
/// the body), so the same bad delivery is one transfer.
pub async fn record_unreadable(
    ferry: &Ferry,
    connection: &Connection,
    key: &str,
    raw: &[u8],
    reason: &str,
) -> Result<Recorded, RecordError> {
    let source_id = format!("unreadable:{key}");
    let id = TransferId::for_record(&connection.id, &source_id);
    let now = ferry.clock.now();
    let arrival = Arrival {
        source_id,
        source_ref: String::new(),
        source_updated_at: None,
        payload: Payload::compress(raw),
    };
    let transfer = Transfer::unreadable(
        id.clone(),
        connection,
        arrival,
        format!("the webshop sent data Ferry could not read: {reason}"),
        now,
    );
    match ferry.store.create_transfer(&transfer).await {
        Ok(()) | Err(StoreError::AlreadyExists) => {}
        Err(e) => return Err(e.into()),
    }
    crate::events::log(
        ferry,
        &connection.tenant,
        "intake",
        Level::Error,
        format!("a webhook could not be read: {reason}"),
        Some(&connection.id),
        Some(&id),
    )
    .await;
    Ok(Recorded::Unreadable(id))
}

/// Enqueues the transfer to be delivered now.
async fn enqueue(ferry: &Ferry, transfer: &Transfer) -> Result<(), QueueError> {
    let message = TransferMessage {
        tenant: transfer.tenant.clone(),
        transfer: transfer.id.clone(),
    };
    ferry.queue.enqueue(&message, Duration::ZERO).await
}
