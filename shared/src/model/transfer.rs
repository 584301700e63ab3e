//! Transfers: one source record moved by one connection, and the only ways
//! its state changes.
//!
//! A transfer's status, attempts, lease, reason and target number change
//! only through the transitions below. Each answers the next state (the
//! transfer it was called on stays as it was) or why it does not apply
//! ([`Refused`]), and bumps `version` by one: the caller writes the next
//! state on condition that the stored transfer still has the version it
//! read (compare-and-swap), so of two writers from one version one wins.
//!
//! | transition | from | to | also |
//! | --- | --- | --- | --- |
//! | [`received`](Transfer::received) | — | pending | version 1 |
//! | [`unreadable`](Transfer::unreadable) | — | failed | version 1 |
//! | [`refreshed`](Transfer::refreshed) | pending, failed, skipped | pending | newer data; fresh attempts unless pending |
//! | [`replaced`](Transfer::replaced) | any | pending | newer data; fresh attempts |
//! | [`claimed`](Transfer::claimed) | pending, not leased | pending | one more attempt; a lease |
//! | [`waiting`](Transfer::waiting) | pending | pending | the reason; no lease |
//! | [`waiting_for_credentials`](Transfer::waiting_for_credentials) | pending, leased | pending | the claim's attempt given back |
//! | [`delivered`](Transfer::delivered), [`linked`](Transfer::linked) | pending, failed, skipped | delivered | target number and document; no lease |
//! | [`failed`](Transfer::failed), [`skipped`](Transfer::skipped) | pending | failed, skipped | the reason; no lease |
//! | [`retried`](Transfer::retried) | failed, skipped | pending | fresh attempts; no lease |
//! | [`released`](Transfer::released) | leased | unchanged | no lease |

use super::connection::{Connection, Entity};
use super::ids::{ConnectionId, TenantId, TransferId};
use super::payload::Payload;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

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

/// What a transfer moves; each kind has its flow (`crate::flows::of`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    Order,
    Payment,
    Product,
    Stock,
    Customer,
}

impl TransferKind {
    pub const ALL: [TransferKind; 5] = [
        TransferKind::Order,
        TransferKind::Payment,
        TransferKind::Product,
        TransferKind::Stock,
        TransferKind::Customer,
    ];

    /// The kind of the records a connection of `entity` moves.
    pub fn of_entity(entity: Entity) -> Self {
        match entity {
            Entity::Orders => TransferKind::Order,
            Entity::Products => TransferKind::Product,
            Entity::Stock => TransferKind::Stock,
            Entity::Customers => TransferKind::Customer,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TransferKind::Order => "order",
            TransferKind::Payment => "payment",
            TransferKind::Product => "product",
            TransferKind::Stock => "stock",
            TransferKind::Customer => "customer",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
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
    /// What it moves, when not its connection's entity (a payment on an
    /// orders connection); `None` (every transfer stored before kinds) reads
    /// as its entity's kind: see [`Transfer::kind`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<TransferKind>,
}

/// Why a transition does not apply to a transfer as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The transition does not start from this status.
    #[error("the transfer is {}", .0.as_str())]
    Status(TransferStatus),
    /// Another worker holds the transfer until then.
    #[error("another worker holds the transfer until {0}")]
    Leased(DateTime<Utc>),
    /// No worker holds the transfer.
    #[error("no worker holds the transfer")]
    NotLeased,
}

/// A source record as it arrived: what its transfer keeps of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    /// The source's id of the record ("450789469").
    pub source_id: String,
    /// The webshop's number, the e-number ("#1001"); empty when unparsable.
    pub source_ref: String,
    /// The source's last-modified time of the record.
    pub source_updated_at: Option<DateTime<Utc>>,
    /// The record as received.
    pub payload: Payload,
}

/// What a delivered transfer notes when the target already had the
/// document: the merchant may want to look at it.
pub const LINKED_NOTE: &str = "linked to the document the target already had for this order";

impl Transfer {
    /// A record seen for the first time: pending, to be delivered.
    pub fn received(
        id: TransferId,
        connection: &Connection,
        arrival: Arrival,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tenant: connection.tenant.clone(),
            connection: connection.id.clone(),
            entity: connection.entity,
            source_id: arrival.source_id,
            source_ref: arrival.source_ref,
            target_ref: None,
            status: TransferStatus::Pending,
            reason: None,
            attempts: 0,
            source_updated_at: arrival.source_updated_at,
            lease_until: None,
            received_at: now,
            updated_at: now,
            source_payload: Some(arrival.payload),
            target_payload: None,
            version: 1,
            kind: None,
        }
    }

    /// What the transfer moves: its own kind, else its entity's.
    pub fn kind(&self) -> TransferKind {
        self.kind
            .unwrap_or_else(|| TransferKind::of_entity(self.entity))
    }

    /// A body that could not be read: kept, failed with `reason`, so that
    /// the merchant sees it.
    pub fn unreadable(
        id: TransferId,
        connection: &Connection,
        arrival: Arrival,
        reason: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            status: TransferStatus::Failed,
            reason: Some(super::text::kept(&reason)),
            ..Self::received(id, connection, arrival, now)
        }
    }

    /// Newer data of a record not yet delivered: pending again. A failed or
    /// skipped record that changed gets fresh attempts; a delivered one
    /// stays delivered (its document exists and is not made twice).
    pub fn refreshed(&self, arrival: Arrival, now: DateTime<Utc>) -> Result<Self, Refused> {
        self.require(&[
            TransferStatus::Pending,
            TransferStatus::Failed,
            TransferStatus::Skipped,
        ])?;
        let mut next = self.next(now).holding(arrival);
        if self.status != TransferStatus::Pending {
            next.attempts = 0;
        }
        next.status = TransferStatus::Pending;
        next.reason = None;
        Ok(next)
    }

    /// Newer data that must go whatever was sent before (the ERP's catalogue
    /// and customers, which the shop follows): pending with fresh attempts,
    /// from any status. A lease stays: a worker sending the older data
    /// finishes first, so the newer data is never overtaken by the older.
    pub fn replaced(&self, arrival: Arrival, now: DateTime<Utc>) -> Self {
        let mut next = self.next(now).holding(arrival);
        next.status = TransferStatus::Pending;
        next.reason = None;
        next.attempts = 0;
        next
    }

    /// A worker takes the transfer to deliver it: one more attempt, and a
    /// lease that keeps other workers off until `now + lease`.
    pub fn claimed(&self, now: DateTime<Utc>, lease: Duration) -> Result<Self, Refused> {
        self.require(&[TransferStatus::Pending])?;
        if let Some(until) = self.lease_until.filter(|until| *until > now) {
            return Err(Refused::Leased(until));
        }
        let mut next = self.next(now);
        next.attempts = self.attempts.saturating_add(1);
        next.lease_until = Some(now + chrono::Duration::from_std(lease).unwrap_or_default());
        Ok(next)
    }

    /// The worker that claimed the transfer holds it on, until `now + lease`,
    /// just before it makes the document. Written with the version the
    /// worker holds, so it only succeeds while no one else took it over
    /// (even when the lease ran out meanwhile).
    pub fn renewed(&self, now: DateTime<Utc>, lease: Duration) -> Result<Self, Refused> {
        self.require(&[TransferStatus::Pending])?;
        if self.lease_until.is_none() {
            return Err(Refused::NotLeased);
        }
        let mut next = self.next(now);
        next.lease_until = Some(now + chrono::Duration::from_std(lease).unwrap_or_default());
        Ok(next)
    }

    /// Stays pending with the reason it waits (a transient failure, the
    /// quota, unhealthy credentials) and without a lease.
    pub fn waiting(&self, reason: &str, now: DateTime<Utc>) -> Result<Self, Refused> {
        self.require(&[TransferStatus::Pending])?;
        let mut next = self.next(now);
        next.reason = Some(super::text::kept(reason));
        next.lease_until = None;
        Ok(next)
    }

    /// As [`Self::waiting`], after a claim whose target refused its
    /// credentials: the claim's attempt is given back, because the target
    /// did not fail the record and the merchant's fix may take longer than
    /// the attempts last.
    pub fn waiting_for_credentials(
        &self,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, Refused> {
        self.require(&[TransferStatus::Pending])?;
        if self.lease_until.is_none() {
            return Err(Refused::NotLeased);
        }
        let mut next = self.waiting(reason, now)?;
        next.attempts = self.attempts.saturating_sub(1);
        Ok(next)
    }

    /// The target made the document `target_ref` from `sent`. `warnings`
    /// (none: no reason) stay as the reason, for the merchant to look at.
    /// A failed or skipped transfer is delivered too: the document exists
    /// (a worker whose lease ran out finished after all), and the record
    /// must say so or a retry would make a second.
    pub fn delivered(
        &self,
        target_ref: &str,
        sent: Payload,
        warnings: &[String],
        now: DateTime<Utc>,
    ) -> Result<Self, Refused> {
        self.delivered_with(target_ref, sent, warnings.to_vec(), now)
    }

    /// As [`Self::delivered`], for a document the target already had for
    /// this record (a retry after a crash): noted first, with [`LINKED_NOTE`].
    pub fn linked(
        &self,
        target_ref: &str,
        sent: Payload,
        warnings: &[String],
        now: DateTime<Utc>,
    ) -> Result<Self, Refused> {
        let notes = std::iter::once(LINKED_NOTE.to_owned())
            .chain(warnings.iter().cloned())
            .collect();
        self.delivered_with(target_ref, sent, notes, now)
    }

    /// Ends as failed with `reason`.
    pub fn failed(&self, reason: &str, now: DateTime<Utc>) -> Result<Self, Refused> {
        self.settled(TransferStatus::Failed, reason, now)
    }

    /// Ends as skipped with `reason` (a switch off, a state not allowed).
    pub fn skipped(&self, reason: &str, now: DateTime<Utc>) -> Result<Self, Refused> {
        self.settled(TransferStatus::Skipped, reason, now)
    }

    /// A failed or skipped transfer sent again by hand: pending, with fresh
    /// attempts.
    pub fn retried(&self, now: DateTime<Utc>) -> Result<Self, Refused> {
        self.require(&[TransferStatus::Failed, TransferStatus::Skipped])?;
        let mut next = self.next(now);
        next.status = TransferStatus::Pending;
        next.reason = Some("retry requested".to_owned());
        next.attempts = 0;
        next.lease_until = None;
        Ok(next)
    }

    /// A dead worker's lease ends (ferry-local restarted), so that the
    /// transfer need not wait for it to run out. `updated_at` stays: the
    /// record itself did not change.
    pub fn released(&self) -> Result<Self, Refused> {
        if self.lease_until.is_none() {
            return Err(Refused::NotLeased);
        }
        Ok(Self {
            lease_until: None,
            version: self.version + 1,
            ..self.clone()
        })
    }

    fn require(&self, from: &[TransferStatus]) -> Result<(), Refused> {
        match from.contains(&self.status) {
            true => Ok(()),
            false => Err(Refused::Status(self.status)),
        }
    }

    /// The next version, written at `now`: where every transition starts.
    fn next(&self, now: DateTime<Utc>) -> Self {
        Self {
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    fn holding(mut self, arrival: Arrival) -> Self {
        self.source_id = arrival.source_id;
        self.source_ref = arrival.source_ref;
        self.source_updated_at = arrival.source_updated_at;
        self.source_payload = Some(arrival.payload);
        self
    }

    fn settled(
        &self,
        status: TransferStatus,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, Refused> {
        self.require(&[TransferStatus::Pending])?;
        let mut next = self.next(now);
        next.status = status;
        next.reason = Some(super::text::kept(reason));
        next.lease_until = None;
        Ok(next)
    }

    fn delivered_with(
        &self,
        target_ref: &str,
        sent: Payload,
        notes: Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<Self, Refused> {
        self.require(&[
            TransferStatus::Pending,
            TransferStatus::Failed,
            TransferStatus::Skipped,
        ])?;
        let mut next = self.next(now);
        next.status = TransferStatus::Delivered;
        next.target_ref = Some(target_ref.to_owned());
        next.target_payload = Some(sent);
        next.reason = (!notes.is_empty()).then(|| super::text::kept(&notes.join("; ")));
        next.lease_until = None;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DocumentKind, RunOutcome, Scope, SystemId};
    use chrono::TimeZone;

    use TransferStatus::{Delivered, Failed, Pending, Skipped};

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, second)
            .single()
            .expect("a valid time")
    }

    /// Transitions are asked at `now`; a live lease runs until `held_until`.
    fn now() -> DateTime<Utc> {
        at(30)
    }

    fn held_until() -> DateTime<Utc> {
        at(50)
    }

    const LEASE: Duration = Duration::from_secs(60);

    fn connection() -> Connection {
        Connection {
            id: ConnectionId::generate(),
            tenant: TenantId::generate(),
            name: "Shop > Books (orders)".into(),
            source: SystemId::generate(),
            target: SystemId::generate(),
            entity: Entity::Orders,
            allowed_states: Vec::new(),
            document: DocumentKind::DraftInvoice,
            documents: Default::default(),
            schedule: None,
            active: true,
            scope: Scope::default(),
            next_run_at: None,
            cursor: None,
            last_run: RunOutcome::default(),
            created_at: at(0),
            updated_at: at(0),
            currency: Default::default(),
            payments: None,
        }
    }

    fn arrival(n: u8) -> Arrival {
        Arrival {
            source_id: "450789469".into(),
            source_ref: "#1001".into(),
            source_updated_at: Some(at(n.into())),
            payload: Payload::compress(&[n]),
        }
    }

    /// A transfer in each state a transition can meet, with a used attempt
    /// and a reason, so that every change shows.
    fn states() -> [(&'static str, Transfer); 6] {
        let connection = connection();
        let id = TransferId::for_record(&connection.id, "450789469");
        let base = Transfer {
            attempts: 2,
            reason: Some("a reason".into()),
            version: 7,
            ..Transfer::received(id, &connection, arrival(1), at(0))
        };
        let with = |status, lease_until| Transfer {
            status,
            lease_until,
            ..base.clone()
        };
        [
            ("pending", with(Pending, None)),
            ("leased", with(Pending, Some(held_until()))),
            ("lease run out", with(Pending, Some(at(10)))),
            ("delivered", with(Delivered, None)),
            ("failed", with(Failed, None)),
            ("skipped", with(Skipped, None)),
        ]
    }

    type Transition = fn(&Transfer) -> Result<Transfer, Refused>;

    fn transitions() -> [(&'static str, Transition); 12] {
        [
            ("refreshed", |t| t.refreshed(arrival(2), now())),
            ("replaced", |t| Ok(t.replaced(arrival(2), now()))),
            ("claimed", |t| t.claimed(now(), LEASE)),
            ("renewed", |t| t.renewed(now(), LEASE)),
            ("waiting", |t| t.waiting("wait", now())),
            ("waiting_for_credentials", |t| {
                t.waiting_for_credentials("wait", now())
            }),
            ("delivered", |t| {
                t.delivered("INV-1", Payload::compress(b"{}"), &[], now())
            }),
            ("linked", |t| {
                t.linked("INV-1", Payload::compress(b"{}"), &[], now())
            }),
            ("failed", |t| t.failed("broken", now())),
            ("skipped", |t| t.skipped("switched off", now())),
            ("retried", |t| t.retried(now())),
            ("released", |t| t.released()),
        ]
    }

    #[test]
    fn every_transition_from_every_state_is_allowed_or_refused_as_the_table_says() {
        let to = Ok;
        let not = |status| Err(Refused::Status(status));
        let leased = Err(Refused::Leased(held_until()));
        let idle = Err(Refused::NotLeased);
        // Columns: the states of `states()`, in order.
        #[rustfmt::skip]
        let table: [(&str, [Result<TransferStatus, Refused>; 6]); 12] = [
            //                          pending       leased        lease run out  delivered        failed           skipped
            ("refreshed",               [to(Pending), to(Pending),  to(Pending),   not(Delivered),  to(Pending),     to(Pending)]),
            ("replaced",                [to(Pending), to(Pending),  to(Pending),   to(Pending),     to(Pending),     to(Pending)]),
            ("claimed",                 [to(Pending), leased,       to(Pending),   not(Delivered),  not(Failed),     not(Skipped)]),
            ("renewed",                 [idle,        to(Pending),  to(Pending),   not(Delivered),  not(Failed),     not(Skipped)]),
            ("waiting",                 [to(Pending), to(Pending),  to(Pending),   not(Delivered),  not(Failed),     not(Skipped)]),
            ("waiting_for_credentials", [idle,        to(Pending),  to(Pending),   not(Delivered),  not(Failed),     not(Skipped)]),
            ("delivered",               [to(Delivered), to(Delivered), to(Delivered), not(Delivered), to(Delivered), to(Delivered)]),
            ("linked",                  [to(Delivered), to(Delivered), to(Delivered), not(Delivered), to(Delivered), to(Delivered)]),
            ("failed",                  [to(Failed),  to(Failed),   to(Failed),    not(Delivered),  not(Failed),     not(Skipped)]),
            ("skipped",                 [to(Skipped), to(Skipped),  to(Skipped),   not(Delivered),  not(Failed),     not(Skipped)]),
            ("retried",                 [not(Pending), not(Pending), not(Pending), not(Delivered),  to(Pending),     to(Pending)]),
            ("released",                [idle,        to(Pending),  to(Pending),   idle,            idle,            idle]),
        ];
        let states = states();
        for ((name, transition), (row, expected)) in transitions().into_iter().zip(table) {
            assert_eq!(name, row, "the table's rows follow `transitions()`");
            for ((state, before), expected) in states.iter().zip(expected) {
                let after = transition(before);
                assert_eq!(
                    after.as_ref().map(|t| t.status),
                    expected.as_ref().map(|s| *s),
                    "{name} from {state}"
                );
                if let Ok(after) = after {
                    assert_eq!(after.version, before.version + 1, "{name} from {state}");
                    if after.status != Pending {
                        assert_eq!(after.lease_until, None, "{name} from {state}");
                    }
                }
            }
        }
    }

    fn state(name: &str) -> Transfer {
        states()
            .into_iter()
            .find(|(state, _)| *state == name)
            .map(|(_, transfer)| transfer)
            .expect("a state of `states()`")
    }

    #[test]
    fn a_new_record_is_pending_and_an_unreadable_one_failed() {
        let connection = connection();
        let id = TransferId::for_record(&connection.id, "450789469");
        let new = Transfer::received(id.clone(), &connection, arrival(1), now());
        assert_eq!(
            (new.status, new.attempts, new.version, new.received_at),
            (Pending, 0, 1, now())
        );
        assert_eq!(new.source_payload, Some(arrival(1).payload));
        let bad = Transfer::unreadable(id, &connection, arrival(1), "no JSON".into(), now());
        assert_eq!(
            (bad.status, bad.reason.as_deref(), bad.version),
            (Failed, Some("no JSON"), 1)
        );
    }

    #[test]
    fn newer_data_starts_afresh_unless_still_pending_and_a_replacement_always() {
        let pending = state("pending").refreshed(arrival(2), now()).unwrap();
        assert_eq!((pending.attempts, pending.reason), (2, None));
        assert_eq!(pending.source_payload, Some(arrival(2).payload));
        assert_eq!(pending.source_updated_at, Some(at(2)));
        let failed = state("failed").refreshed(arrival(2), now()).unwrap();
        assert_eq!(failed.attempts, 0);
        let replaced = state("leased").replaced(arrival(2), now());
        assert_eq!(
            (replaced.attempts, replaced.lease_until),
            (0, Some(held_until()))
        );
    }

    #[test]
    fn a_claim_takes_an_attempt_and_credentials_give_it_back() {
        let claimed = state("pending").claimed(now(), LEASE).unwrap();
        assert_eq!(claimed.attempts, 3);
        assert_eq!(
            claimed.lease_until,
            Some(now() + chrono::Duration::seconds(60))
        );
        let waiting = claimed.waiting("slow", now()).unwrap();
        assert_eq!((waiting.attempts, waiting.lease_until), (3, None));
        assert_eq!(waiting.reason.as_deref(), Some("slow"));
        let credentials = claimed.waiting_for_credentials("401", now()).unwrap();
        assert_eq!((credentials.attempts, credentials.lease_until), (2, None));
    }

    #[test]
    fn a_renewal_moves_only_the_lease_on_even_after_it_ran_out() {
        let ran_out = state("lease run out");
        let later = now() + chrono::Duration::seconds(5);
        let renewed = ran_out.renewed(later, LEASE).unwrap();
        assert_eq!(
            renewed,
            Transfer {
                lease_until: Some(later + chrono::Duration::seconds(60)),
                updated_at: later,
                version: ran_out.version + 1,
                ..ran_out
            }
        );
    }

    #[test]
    fn a_delivery_keeps_the_document_and_its_notes() {
        let claimed = state("leased");
        let sent = Payload::compress(b"{\"number\":1}");
        let plain = claimed
            .delivered("INV-1", sent.clone(), &[], now())
            .unwrap();
        assert_eq!(plain.target_ref.as_deref(), Some("INV-1"));
        assert_eq!(
            (plain.target_payload, plain.reason),
            (Some(sent.clone()), None)
        );
        let warned = ["rounded 0.01".to_owned()];
        let warning = claimed
            .delivered("INV-1", sent.clone(), &warned, now())
            .unwrap();
        assert_eq!(warning.reason.as_deref(), Some("rounded 0.01"));
        let linked = claimed.linked("INV-1", sent, &warned, now()).unwrap();
        assert_eq!(linked.reason, Some(format!("{LINKED_NOTE}; rounded 0.01")));
    }

    #[test]
    fn a_remote_page_of_words_is_kept_as_at_most_a_kilobyte() {
        let [(_, pending), ..] = states();
        let html = format!(
            "e-conomic refused the invoice: {}",
            "<p>ø</p>".repeat(20_000)
        );
        for next in [
            pending.failed(&html, at(1)).unwrap(),
            pending.waiting(&html, at(1)).unwrap(),
        ] {
            let reason = next.reason.unwrap();
            assert!(
                reason.len() <= super::super::text::KEPT_TEXT_BYTES,
                "{}",
                reason.len()
            );
            assert!(reason.starts_with("e-conomic refused the invoice: "));
        }
    }

    #[test]
    fn a_retry_starts_afresh_and_a_release_changes_only_the_lease() {
        let retried = state("failed").retried(now()).unwrap();
        assert_eq!(
            (
                retried.attempts,
                retried.reason.as_deref(),
                retried.updated_at
            ),
            (0, Some("retry requested"), now())
        );
        let leased = state("leased");
        let released = leased.released().unwrap();
        assert_eq!(
            released,
            Transfer {
                lease_until: None,
                version: leased.version + 1,
                ..leased
            }
        );
    }
}
