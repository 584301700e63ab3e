//! The order flow's side of a poll ([`OrderPass`]): the webshop's orders
//! changed since the connection's cursor, page by page. The page loop, its
//! retries and budget are the one poller's (`crate::pipeline::poll`).
//!
//! - Every order goes through `pipeline::record::record_order`, as a
//!   webhook does, so an order seen by both is one transfer and one document.
//! - A finished pass moves the date to the newest change seen (never later
//!   than the pass's start) minus [`OVERLAP`], so an order changed during a
//!   pass, or stamped by a shop whose clock is a little behind, is read
//!   again rather than missed. Reading an order already held unchanged
//!   changes nothing.
//! - An order that cannot be read becomes a failed transfer on its own and
//!   does not block the rest.

use crate::app::Ferry;
use crate::connectors::{ConnectorError, OrderPage, Source};
use crate::model::{Connection, System};
use crate::pipeline::poll::{Pass, PollOutcome};
use crate::pipeline::record::{self, RecordError, Recorded};
use crate::seal::Credentials;
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How far back each pass reads again.
pub const OVERLAP: chrono::Duration = chrono::Duration::minutes(5);

/// Where the connection's polling stands, kept as JSON in `Connection::cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Changes at or after this time are read.
    pub since: DateTime<Utc>,
    /// A pass stopped half-way: the source's token of the next page.
    #[serde(default)]
    pub page: Option<String>,
    /// The newest change seen so far in the unfinished pass.
    #[serde(default)]
    pub newest: Option<DateTime<Utc>>,
    /// When the unfinished pass began.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
}

impl Cursor {
    /// The stored cursor, or the start for a connection never polled: its
    /// creation, less the overlap.
    pub fn of(connection: &Connection) -> Cursor {
        connection
            .cursor
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(Cursor {
                since: less_overlap(connection.created_at),
                page: None,
                newest: None,
                started_at: None,
            })
    }

    /// Where the next pass starts once this one has read every page.
    fn finished(&self, pass_started: DateTime<Utc>) -> Cursor {
        let since = match self.newest {
            Some(newest) => self.since.max(less_overlap(newest.min(pass_started))),
            None => self.since,
        };
        Cursor {
            since,
            page: None,
            newest: None,
            started_at: None,
        }
    }
}

/// `at` less [`OVERLAP`]; at the very start of the calendar, that start
/// (chrono's `-` panics there). Parsers refuse such dates; this holds
/// whatever reaches a cursor.
fn less_overlap(at: DateTime<Utc>) -> DateTime<Utc> {
    at.checked_sub_signed(OVERLAP)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// One poll of a connection's webshop for changed orders.
pub struct OrderPass {
    cursor: Cursor,
    pass_started: DateTime<Utc>,
    source: Option<Arc<dyn Source>>,
}

impl OrderPass {
    /// Starts from the stored cursor; `backfill` reads again from that
    /// date (never skipping what the cursor has not read yet).
    pub fn start(
        connection: &Connection,
        backfill: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut cursor = Cursor::of(connection);
        if let Some(from) = backfill {
            cursor = Cursor {
                since: from.min(cursor.since),
                page: None,
                newest: None,
                started_at: None,
            };
        }
        let pass_started = *cursor.started_at.get_or_insert(now);
        Self {
            cursor,
            pass_started,
            source: None,
        }
    }

    fn source(&self) -> Result<&dyn Source, ConnectorError> {
        self.source
            .as_deref()
            .ok_or_else(|| ConnectorError::permanent("the webshop was not connected"))
    }
}

#[async_trait]
impl Pass for OrderPass {
    type Page = OrderPage;
    const RECORDS: &'static str = "the orders";

    fn since(&self) -> DateTime<Utc> {
        self.cursor.since
    }

    fn page(&mut self) -> &mut Option<String> {
        &mut self.cursor.page
    }

    async fn open(
        &mut self,
        ferry: &Ferry,
        _connection: &Connection,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Result<(), String>, StoreError> {
        Ok(match ferry.connectors.source(system, credentials) {
            Ok(source) => {
                self.source = Some(source);
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        })
    }

    async fn fetch(&self) -> Result<OrderPage, ConnectorError> {
        self.source()?
            .poll_orders(self.cursor.since, self.cursor.page.as_deref())
            .await
    }

    fn next_of(page: &OrderPage) -> Option<String> {
        page.next.clone()
    }

    /// Records every order of the page; moves the newest change seen along.
    async fn record(
        &mut self,
        ferry: &Ferry,
        connection: &Connection,
        page: &OrderPage,
        outcome: &mut PollOutcome,
    ) -> Result<(), RecordError> {
        // Opened before any page is read.
        let Some(source) = self.source.as_deref() else {
            return Ok(());
        };
        for raw in &page.orders {
            outcome.records_found += 1;
            match source.parse_order_in(raw, connection.currency) {
                Ok(order) => {
                    self.cursor.newest = self.cursor.newest.max(Some(order.updated_at));
                    let recorded = record::record_order(ferry, connection, &order, raw).await?;
                    crate::flows::payments::record::paid_order(
                        ferry, connection, source, &order, raw,
                    )
                    .await?;
                    match recorded {
                        Recorded::Created(_) => outcome.created += 1,
                        Recorded::Refreshed(_) => outcome.updated += 1,
                        Recorded::Unchanged(_) | Recorded::AlreadyDelivered(_) => {
                            outcome.unchanged += 1
                        }
                        Recorded::Unreadable(_) => outcome.unreadable += 1,
                    }
                }
                Err(e) => {
                    record::record_unreadable(ferry, connection, &unreadable_key(raw), raw, &e.0)
                        .await?;
                    outcome.unreadable += 1;
                }
            }
        }
        Ok(())
    }

    fn finished(&mut self) {
        self.cursor = self.cursor.finished(self.pass_started);
    }

    fn cursor(&self) -> String {
        serde_json::to_string(&self.cursor).unwrap_or_default()
    }
}

/// The same unreadable order read again is the same failed transfer: keyed
/// by its id when it has one, else by its content.
fn unreadable_key(raw: &[u8]) -> String {
    let id = serde_json::from_slice::<serde_json::Value>(raw)
        .ok()
        .and_then(|order| match &order["id"] {
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::String(s) if !s.is_empty() && s.len() <= 64 => Some(s.clone()),
            _ => None,
        });
    match id {
        Some(id) => format!("poll:{id}"),
        None => {
            let digest = Sha256::digest(raw);
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("poll:sha256:{hex}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    #[test]
    fn a_finished_pass_reads_again_from_the_newest_change_less_the_overlap() {
        let cursor = Cursor {
            since: at(9, 0),
            page: None,
            newest: Some(at(10, 0)),
            started_at: Some(at(10, 30)),
        };
        assert_eq!(cursor.finished(at(10, 30)).since, at(9, 55));
    }

    #[test]
    fn a_change_newer_than_the_pass_start_does_not_move_past_the_start() {
        // The shop's clock is ahead: what changed during the pass is read again.
        let cursor = Cursor {
            since: at(9, 0),
            page: None,
            newest: Some(at(11, 0)),
            started_at: None,
        };
        assert_eq!(cursor.finished(at(10, 30)).since, at(10, 25));
    }

    #[test]
    fn nothing_seen_keeps_the_date_and_it_never_moves_back() {
        let idle = Cursor {
            since: at(9, 0),
            page: None,
            newest: None,
            started_at: None,
        };
        assert_eq!(idle.finished(at(10, 30)).since, at(9, 0));
        let old = Cursor {
            newest: Some(at(9, 2)),
            ..idle
        };
        assert_eq!(old.finished(at(10, 30)).since, at(9, 0));
    }

    #[test]
    fn a_change_at_the_start_of_the_calendar_does_not_panic_the_cursor() {
        // chrono's `-` panics below its first instant; the cursor clamps.
        let cursor = Cursor {
            since: DateTime::<Utc>::MIN_UTC,
            page: None,
            newest: Some(DateTime::<Utc>::MIN_UTC),
            started_at: None,
        };
        assert_eq!(cursor.finished(at(10, 30)).since, DateTime::<Utc>::MIN_UTC);
        assert_eq!(less_overlap(at(10, 30)), at(10, 25));
    }

    #[test]
    fn unreadable_orders_are_keyed_by_id_or_content() {
        assert_eq!(
            unreadable_key(br#"{"id":820982911946154508,"x":1}"#),
            "poll:820982911946154508"
        );
        let a = unreadable_key(b"not json");
        assert!(a.starts_with("poll:sha256:"));
        assert_eq!(a, unreadable_key(b"not json"));
        assert_ne!(a, unreadable_key(b"not json either"));
    }
}
