//! The Queue port: transfers waiting for a worker.
//!
//! On AWS an SQS standard queue with a DLQ ([`sqs::SqsQueue`]); in ferry-local
//! an in-process channel ([`memory::MemoryQueue`]) that is refilled from the
//! store's pending transfers at start. Delivery is at least once: the worker
//! is idempotent.

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
