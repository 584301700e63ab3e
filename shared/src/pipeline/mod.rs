//! The one transfer pipeline, whatever the flow: record → decide → claim →
//! deliver → settle. It knows no flow; each flow (`crate::flows`) says only
//! what is its own, through [`flow`].
//!
//! - [`record`]: a record arrived (webhook or poll): create or refresh its
//!   transfer, idempotently, and enqueue it.
//! - [`deliver`]: the one delivery loop: a queue message's transfer
//!   decided by its flow, claimed, sent, and settled, exactly once.
//! - [`poll`]: the one poller: a connection's source read page by page
//!   since its cursor, each page recorded.
//! - [`flow`]: what a flow tells the pipeline; [`checks`]: the checks every
//!   flow makes before it delivers.
//! - [`lease`]: a worker's hold on the transfer it delivers, renewed right
//!   before the document is made; [`settle`]: a transfer ended as failed or
//!   skipped, and said so on the Logs screen (the loop and the dead
//!   letters).
//! - service events for the Logs screen are `crate::events`.
//!
//! A webhook's way to the ledger: `api::webhooks` (the route) →
//! `intake::receive` (signature, parse) → [`record::record_order`] (the
//! transfer, enqueued) → the queue → `lambda::handle_sqs_batch` or
//! ferry-local's workers → `flows::process` → [`deliver::process`] →
//! `flows::orders::OrderFlow::decide` → `OrderDelivery::send` →
//! `Target::deliver_order` (e.g. `connectors::economic`, its document
//! from `mapping::economic`).

pub mod checks;
pub mod deliver;
pub mod flow;
pub mod lease;
pub mod poll;
pub mod record;
pub mod settle;
