//! Webhook intake: verify the sender's signature, record the transfer with
//! the raw payload, enqueue it. Fast: the webshop waits for the answer. One
//! store write per new order; a delivery already seen writes nothing. A
//! refused one is counted, not logged one by one (see `refusals`).

mod refusals;

use crate::app::Ferry;
use crate::connectors::{Inbound, WebhookRequest};
use crate::flows::payments::record as payments;
use crate::model::{Connection, ConnectionId};
use crate::pipeline::record::{self, RecordError, Recorded};
use crate::store::StoreError;
use sha2::{Digest, Sha256};
use tracing::Instrument;

/// What the intake did with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A set-up ping: nothing stored.
    Ping,
    Recorded(Recorded),
    /// A payment webhook (Shopify `order_transactions/create`): the
    /// payments it carried, recorded (none when it was no successful
    /// payment, or the connection books no payments).
    Payments(Vec<Recorded>),
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// No such connection (also: a malformed id). Answer 404.
    #[error("no connection with this id")]
    UnknownConnection,
    /// A bad or missing signature. Answer 401; nothing was stored.
    #[error("{0}")]
    Unauthorized(String),
    /// Storage or queue failed. Answer 5xx so that the sender retries.
    #[error("Ferry could not record the delivery now: {0}")]
    Unavailable(String),
}

impl From<StoreError> for IntakeError {
    fn from(e: StoreError) -> Self {
        IntakeError::Unavailable(e.to_string())
    }
}

impl From<RecordError> for IntakeError {
    fn from(e: RecordError) -> Self {
        IntakeError::Unavailable(e.to_string())
    }
}

/// Handles `POST /webhooks/{connection_id}`. The body size limit is the
/// HTTP layer's job (413 before this is called).
pub async fn receive(
    ferry: &Ferry,
    connection_id: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Received, IntakeError> {
    let id = ConnectionId::parse(connection_id).map_err(|_| IntakeError::UnknownConnection)?;
    let connection = ferry
        .store
        .find_connection(&id)
        .await?
        .ok_or(IntakeError::UnknownConnection)?;
    if connection.entity.is_catalog() {
        // Products and stock flow from the ERP by polling; no webhook feeds them.
        return Err(IntakeError::UnknownConnection);
    }
    let span =
        tracing::info_span!("webhook", tenant = %connection.tenant, connection = %connection.id);
    receive_for(ferry, &connection, headers, body)
        .instrument(span)
        .await
}

async fn receive_for(
    ferry: &Ferry,
    connection: &Connection,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Received, IntakeError> {
    let system = ferry
        .store
        .get_system(&connection.tenant, &connection.source)
        .await?
        .ok_or(IntakeError::UnknownConnection)?;
    let credentials = ferry
        .sealer
        .open(&system.credentials, system.owner())
        .map_err(|e| IntakeError::Unavailable(e.to_string()))?;
    let source = ferry
        .connectors
        .source(&system, &credentials)
        .map_err(|e| IntakeError::Unauthorized(e.to_string()))?;

    let request = WebhookRequest { headers, body };
    let delivery = match source.verify_webhook(request) {
        Ok(Inbound::Ping) => return Ok(Received::Ping),
        Ok(Inbound::Delivery(delivery)) => delivery,
        Err(e) => {
            refusals::count(ferry, connection, &e.to_string()).await;
            return Err(IntakeError::Unauthorized(e.to_string()));
        }
    };

    if let Some(parsed) = source.parse_payment(delivery.topic.as_deref(), body) {
        return receive_payments(ferry, connection, &delivery, parsed, body).await;
    }

    // A delivery seen before changes nothing: its order is no newer than
    // the transfer it made (see `record`), so it needs no marker of its own.
    let recorded = match source.parse_order_in(body, connection.currency) {
        Ok(order) => {
            let recorded = record::record_order(ferry, connection, &order, body).await?;
            payments::paid_order(ferry, connection, source.as_ref(), &order, body).await?;
            recorded
        }
        Err(e) => {
            let key = delivery
                .delivery_id
                .clone()
                .unwrap_or_else(|| body_hash(body));
            record::record_unreadable(ferry, connection, &key, body, &e.0).await?
        }
    };

    tracing::info!(transfer = %recorded.transfer(), outcome = ?recorded, "webhook recorded");
    Ok(Received::Recorded(recorded))
}

/// A payment webhook: its payments recorded when the connection books
/// payments; a body that cannot be read is kept as a failed transfer.
async fn receive_payments(
    ferry: &Ferry,
    connection: &Connection,
    delivery: &crate::connectors::DeliveryInfo,
    parsed: Result<Vec<crate::model::Payment>, crate::connectors::ParseError>,
    body: &[u8],
) -> Result<Received, IntakeError> {
    let payments = match parsed {
        Ok(payments) => payments,
        Err(e) => {
            let key = delivery
                .delivery_id
                .clone()
                .unwrap_or_else(|| body_hash(body));
            let recorded = record::record_unreadable(ferry, connection, &key, body, &e.0).await?;
            return Ok(Received::Recorded(recorded));
        }
    };
    if connection.payments.is_none() {
        return Ok(Received::Payments(Vec::new()));
    }
    let recorded = payments::payments_of(ferry, connection, &payments, Some(body)).await?;
    tracing::info!(payments = recorded.len(), "payment webhook recorded");
    Ok(Received::Payments(recorded))
}

fn body_hash(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}
