//! Where payments are recorded from: a paid order that arrived (webhook or
//! poll) and a payment webhook of its own. Each payment goes through the
//! one recorder (`pipeline::record::record_payment`), so a payment seen
//! by both ways, or twice, is one transfer, booked once.
//!
//! Only connections with `payments` ask the shop: without it nothing is
//! marked paid. Asking the shop for a paid order's payments may fail (the
//! shop is slow); the order is recorded all the same, the failure is
//! logged, and the payment comes again with the next sign of it (Shopify's
//! transaction webhook, the order's next change or poll).

use crate::app::Ferry;
use crate::connectors::Source;
use crate::model::{Connection, Level, Order, Payment};
use crate::pipeline::record::{self, RecordError, Recorded};

/// Records the payments the shop holds for `order` (`raw`: as the shop
/// sent it), when the connection books payments. The recorded transfers.
pub async fn paid_order(
    ferry: &Ferry,
    connection: &Connection,
    source: &dyn Source,
    order: &Order,
    raw: &[u8],
) -> Result<Vec<Recorded>, RecordError> {
    if connection.payments.is_none() {
        return Ok(Vec::new());
    }
    let payments = match source.payments(order, raw).await {
        Ok(payments) => payments,
        Err(error) => {
            crate::events::log(
                ferry,
                &connection.tenant,
                "intake",
                Level::Warn,
                format!(
                    "the payments of order {} could not be read from the shop now ({error}); \
                     they are booked when the shop reports them again",
                    order.e_number
                ),
                Some(&connection.id),
                None,
            )
            .await;
            return Ok(Vec::new());
        }
    };
    payments_of(ferry, connection, &payments, None).await
}

/// Records `payments`, kept with `raw` (the webhook body they came in),
/// else with the payment as read.
pub async fn payments_of(
    ferry: &Ferry,
    connection: &Connection,
    payments: &[Payment],
    raw: Option<&[u8]>,
) -> Result<Vec<Recorded>, RecordError> {
    let mut recorded = Vec::with_capacity(payments.len());
    for payment in payments {
        let read = serde_json::to_vec(payment).unwrap_or_default();
        let raw = raw.unwrap_or(&read);
        recorded.push(record::record_payment(ferry, connection, payment, raw).await?);
    }
    Ok(recorded)
}
