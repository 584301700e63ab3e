//! The flows Ferry moves, and the entry points that hand work to them.
//!
//! A flow (`crate::pipeline::flow::Flow`) is one kind of record on its way
//! from a source to a target: [`orders`] (webshop → ledger), [`payments`]
//! (the shop's payments of those orders → the ledger's invoices) and
//! [`catalog`] (products, stock and customers, ERP → webshop). The loop
//! that claims, sends and settles a transfer, and the poller that reads a
//! source page by page, are `crate::pipeline`'s, written once; [`of`] is
//! the one place that says which flow moves a kind of transfer (the
//! poller asks it for the kind of its connection's entity). A new flow
//! (refunds, shipments) is a new module here and one line in [`of`].
//!
//! - [`process`]: one queue message about a transfer, whoever sent it (the
//!   SQS handler `crate::lambda`, ferry-local's workers; the retry endpoint,
//!   the sweep and the recorder enqueue the messages they come from).
//! - [`poll`]: one poll of a connection (the scheduler, "sync now").

pub mod catalog;
pub mod orders;
pub mod payments;

use crate::app::Ferry;
use crate::model::{Connection, TransferKind};
use crate::pipeline::deliver::{self, Outcome, WorkerError};
use crate::pipeline::flow::Flow;
use crate::pipeline::poll::{Budget, PollOutcome};
use crate::queue::TransferMessage;
use crate::store::StoreError;
use chrono::{DateTime, Utc};

/// The flow that moves the transfers of `kind`.
pub fn of(kind: TransferKind) -> &'static dyn Flow {
    match kind {
        TransferKind::Order => &orders::OrderFlow,
        TransferKind::Payment => &payments::PaymentFlow,
        TransferKind::Product | TransferKind::Stock | TransferKind::Customer => {
            &catalog::CatalogFlow
        }
    }
}

/// Handles one queue message: the transfer delivered by its flow, exactly once.
pub async fn process(ferry: &Ferry, message: &TransferMessage) -> Result<Outcome, WorkerError> {
    deliver::process(ferry, message, of).await
}

/// Polls the connection's source now. `backfill` reads again from that
/// date (an order poll never skips what the cursor has not read yet; a
/// catalogue poll sends every item again). The outcome is stored on the
/// connection (`last_run`, `cursor`, `next_run_at`).
pub async fn poll(
    ferry: &Ferry,
    connection: &Connection,
    backfill: Option<DateTime<Utc>>,
    budget: Budget,
) -> Result<PollOutcome, StoreError> {
    of(TransferKind::of_entity(connection.entity))
        .poll(ferry, connection, backfill, budget)
        .await
}
