//! Transfers: one source record moved by one connection.

use super::connection::Entity;
use super::ids::{ConnectionId, TenantId, TransferId};
use super::payload::Payload;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    Pending,
    Delivered,
    Failed,
    Skipped,
}

impl TransferStatus {
    pub const ALL: [TransferStatus; 4] = [
        TransferStatus::Pending,
        TransferStatus::Delivered,
        TransferStatus::Failed,
        TransferStatus::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "pending",
            TransferStatus::Delivered => "delivered",
            TransferStatus::Failed => "failed",
            TransferStatus::Skipped => "skipped",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: TransferId,
    pub tenant: TenantId,
    pub connection: ConnectionId,
    pub entity: Entity,
    /// The source's id of the record ("450789469").
    pub source_id: String,
    /// The webshop's number, the e-number ("#1001"); empty when unparsable.
    pub source_ref: String,
    /// The target's document number, once delivered.
    pub target_ref: Option<String>,
    pub status: TransferStatus,
    /// Why failed, skipped or waiting, in words a merchant can act on.
    pub reason: Option<String>,
    pub attempts: u32,
    /// The source's last-modified time of the payload we hold: an older
    /// delivery never overwrites a newer one.
    pub source_updated_at: Option<DateTime<Utc>>,
    /// A worker holds the transfer until then; others leave it alone.
    pub lease_until: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The record as received (compressed).
    pub source_payload: Option<Payload>,
    /// The document as sent to the target (compressed).
    pub target_payload: Option<Payload>,
    /// Optimistic concurrency: bumped by every write.
    pub version: u64,
}
