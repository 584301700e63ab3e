//! A worker's hold on the transfer it delivers, renewed right before the
//! target makes anything.
//!
//! A claim ([`Transfer::claimed`]) gives the worker a lease of
//! `Limits::lease`, longer than any delivery runs (`crate::app`). Even so,
//! a delivery may only make a document while no one else took the transfer
//! over: [`Lease`] renews it ([`Transfer::renewed`]) with the version the
//! worker holds, right before [`super::flow::Delivery::send`] makes the
//! document (after its look-ups, which may have been slow). A renewal
//! refused (another worker claimed it meanwhile, or it was settled) means
//! the lease was lost: the delivery makes nothing and the loop looks at
//! the transfer again; the other worker's look-up finds or makes the one
//! document.

use super::flow::Hold;
use crate::app::Ferry;
use crate::connectors::ConnectorError;
use crate::model::{Transfer, TransferStatus, UsageDelta};
use crate::store::StoreError;
use async_trait::async_trait;
use std::sync::Mutex;

/// Writes another worker's data change may have slipped in between before
/// a renewal gives up.
const MAX_RACES: usize = 8;

/// Why a held transfer can no longer be sent by this worker.
#[derive(Debug)]
pub enum Lost {
    /// Someone else claimed or settled it meanwhile.
    TakenOver,
    /// The store did not answer the renewal: nothing was made, and the
    /// message comes back.
    Store(StoreError),
}

/// The claimed transfer as this worker holds it, renewed as it goes.
pub struct Lease<'a> {
    ferry: &'a Ferry,
    held: Mutex<Transfer>,
    lost: Mutex<Option<Lost>>,
}

impl<'a> Lease<'a> {
    /// The hold of a transfer the worker just claimed (as written).
    pub fn new(ferry: &'a Ferry, claimed: Transfer) -> Self {
        Self {
            ferry,
            held: Mutex::new(claimed),
            lost: Mutex::new(None),
        }
    }

    /// The transfer as last written by this worker, and whether the hold
    /// was lost.
    pub fn into_parts(self) -> (Transfer, Option<Lost>) {
        let held = self.held.into_inner().unwrap_or_else(|e| e.into_inner());
        let lost = self.lost.into_inner().unwrap_or_else(|e| e.into_inner());
        (held, lost)
    }

    fn held(&self) -> Transfer {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn keep(&self, transfer: Transfer) {
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = transfer;
    }

    fn lose(&self, lost: Lost) -> ConnectorError {
        let words = match &lost {
            Lost::TakenOver => "another worker took this transfer over; it makes the document",
            Lost::Store(_) => {
                "Ferry's storage did not confirm the worker still holds this transfer"
            }
        };
        *self.lost.lock().unwrap_or_else(|e| e.into_inner()) = Some(lost);
        ConnectorError::transient(words)
    }

    /// One renewal: `Ok(None)` when only the record's data changed
    /// meanwhile (same claim, newer version): try again on that.
    async fn try_renew(&self, held: &Transfer) -> Result<Option<Transfer>, Lost> {
        let ferry = self.ferry;
        let Ok(renewed) = held.renewed(ferry.clock.now(), ferry.limits.lease) else {
            return Err(Lost::TakenOver);
        };
        match ferry
            .store
            .update_transfer(&renewed, held.version, UsageDelta::default())
            .await
        {
            Ok(()) => Ok(Some(renewed)),
            Err(StoreError::Conflict) => {
                let fresh = ferry
                    .store
                    .get_transfer(&held.tenant, &held.id)
                    .await
                    .map_err(Lost::Store)?;
                match fresh {
                    // Still this worker's claim (newer data of the record
                    // arrived meanwhile, which keeps the lease).
                    Some(fresh)
                        if fresh.status == TransferStatus::Pending
                            && fresh.lease_until == held.lease_until
                            && fresh.attempts == held.attempts =>
                    {
                        self.keep(fresh);
                        Ok(None)
                    }
                    _ => Err(Lost::TakenOver),
                }
            }
            Err(e) => Err(Lost::Store(e)),
        }
    }
}

#[async_trait]
impl Hold for Lease<'_> {
    async fn renew(&self) -> Result<(), ConnectorError> {
        if self
            .lost
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
        {
            return Err(ConnectorError::transient("the transfer's lease was lost"));
        }
        for _ in 0..MAX_RACES {
            match self.try_renew(&self.held()).await {
                Ok(Some(renewed)) => {
                    self.keep(renewed);
                    return Ok(());
                }
                Ok(None) => continue,
                Err(lost) => return Err(self.lose(lost)),
            }
        }
        Err(self.lose(Lost::Store(StoreError::Unavailable(
            "too many concurrent writes to one transfer".into(),
        ))))
    }
}
