//! What a flow is: the part of moving one kind of record that is its own.
//!
//! The pipeline (record → decide → claim → deliver → settle) is written
//! once, in [`super::deliver`]; a flow tells it only what differs:
//! - [`Flow::decide`]: read what the record needs (settings, connection,
//!   systems, the record itself) and say skip, fail, wait or deliver;
//! - [`Delivery::send`]: call the target, finding what it already holds
//!   for the record before making anything (so a retry links, never
//!   duplicates), renewing the worker's [`Hold`] right before it makes
//!   something, and say what was sent and what it counts;
//! - [`Flow::poll`]: its side of a poll ([`super::poll::Pass`]: cursor,
//!   page, record), run by the one poller;
//! - [`Flow::subject`] and [`Flow::target_word`]: how the Logs screen names
//!   the record and its target.
//!
//! Orders (`crate::flows::orders`) and the catalogue (products, stock and
//! customers, `crate::flows::catalog`) are flows; a new one (payments,
//! refunds, shipments) is a new module implementing these traits and one
//! line in `crate::flows`, and the loop stays as it is.

use super::poll::{Budget, PollOutcome};
use crate::app::Ferry;
use crate::connectors::ConnectorError;
use crate::model::{Connection, Payload, System, Transfer, TransferKind, UsageDelta};
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// One kind of record the pipeline moves.
#[async_trait]
pub trait Flow: Send + Sync {
    /// How the Logs screen names the record: "order 1001", "stock of SKU MUG".
    fn subject(&self, transfer: &Transfer) -> String;
    /// The word for the target when it never answered: "target", "shop".
    fn target_word(&self) -> &'static str;
    /// Reads what the record needs and says what becomes of it.
    async fn decide(&self, ferry: &Ferry, transfer: &Transfer) -> Result<Decision, StoreError>;
    /// Polls the connection's source now, with this flow's
    /// [`super::poll::Pass`] (`super::poll::run`). `backfill` reads again
    /// from that date (what that means is the flow's).
    async fn poll(
        &self,
        ferry: &Ferry,
        connection: &Connection,
        backfill: Option<DateTime<Utc>>,
        budget: Budget,
    ) -> Result<PollOutcome, StoreError>;
}

/// Which flow moves the transfers of a kind: the one place that knows
/// every flow (`crate::flows::of`), handed to the loop.
pub type FlowOf = fn(TransferKind) -> &'static dyn Flow;

/// What a flow decided about a pending transfer.
pub enum Decision {
    Skip(String),
    Fail(String),
    /// Stays pending and is looked at again after `after`.
    Wait {
        reason: String,
        after: Duration,
    },
    Deliver(Box<dyn Delivery>),
}

/// A record ready to go, with the target that takes it.
#[async_trait]
pub trait Delivery: Send + Sync {
    /// The system called; a refusal of its credentials marks it unhealthy.
    fn target_system(&self) -> &System;
    /// Calls the target: what it holds for the record already, or what was
    /// made now. The transfer is claimed while this runs; a delivery that
    /// makes something calls [`Hold::renew`] right before, and makes
    /// nothing when it fails.
    async fn send(&self, hold: &dyn Hold) -> Result<Sent, ConnectorError>;
    /// After the transfer was recorded as delivered: what else the flow
    /// remembers (the catalogue: the fingerprint of what was sent).
    async fn remember(&self, _ferry: &Ferry) -> Result<(), StoreError> {
        Ok(())
    }
    /// A newer version of the record that arrived while this one was being
    /// sent goes again (the transfer stays pending), rather than being
    /// recorded as delivered: true where the target takes absolute values
    /// (prices, stock), false where a document now exists (orders).
    fn newer_data_goes_again(&self) -> bool {
        false
    }
}

/// The worker's hold on the transfer while [`Delivery::send`] runs
/// (`super::lease::Lease`).
#[async_trait]
pub trait Hold: Send + Sync {
    /// Renews the hold just before something is made in the target. An
    /// error when it was lost (another worker may be delivering the record
    /// now): make nothing, and return that error.
    async fn renew(&self) -> Result<(), ConnectorError>;
}

/// What the target holds for the record after [`Delivery::send`].
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// The target's number or id of it ("12", "INV-1007", a variant id).
    pub target_ref: String,
    /// What was sent (or found), compressed once.
    pub document: Payload,
    /// It existed already (a retry after a lost answer): linked, not made.
    pub linked: bool,
    /// What the merchant should check although it went through.
    pub warnings: Vec<String>,
    /// What recording it counts on the Home screen.
    pub usage: UsageDelta,
}
