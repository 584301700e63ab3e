//! The Queue port: transfers waiting for a worker, and the messages the
//! queue gave up on.
//!
//! On AWS an SQS standard queue with a DLQ ([`sqs::SqsQueue`], and
//! [`sqs::SqsDeadLetters`] to read the DLQ back); in ferry-local an
//! in-process channel ([`memory::MemoryQueue`]) that is refilled from the
//! store's pending transfers at start, and has no dead letters: a message it
//! could not hand over is tried again until the store answers. Delivery is
//! at least once: the worker is idempotent.

pub mod memory;
pub mod sqs;

use crate::model::{TenantId, TransferId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The body of one queue message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferMessage {
    pub tenant: TenantId,
    pub transfer: TransferId,
}

#[derive(Debug, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends a message, visible after `delay` (at most 15 minutes).
    async fn enqueue(&self, message: &TransferMessage, delay: Duration) -> Result<(), QueueError>;
}

/// A message the queue gave up on (SQS moved it to the dead-letter queue
/// after too many receives), as read back from there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The message's body as sent (a [`TransferMessage`] unless corrupt).
    pub body: String,
    /// How many times the queue handed the message to a worker before it
    /// gave up, where the queue says so (0: not known).
    pub tries: u32,
    /// Names this receipt of the message, to acknowledge it.
    pub receipt: String,
}

/// The dead-letter queue, read back so that nothing stays in it unseen.
#[async_trait]
pub trait DeadLetters: Send + Sync {
    /// Up to `max` messages (fewer, or none, when the queue holds fewer).
    /// A message handed out is hidden from other readers for a while and
    /// comes back unless [`DeadLetters::acknowledge`]d: a reader that stops
    /// half-way loses nothing.
    async fn receive(&self, max: usize) -> Result<Vec<DeadLetter>, QueueError>;
    /// Removes a message that was handled.
    async fn acknowledge(&self, letter: &DeadLetter) -> Result<(), QueueError>;
}
