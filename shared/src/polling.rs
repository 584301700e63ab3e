//! Polling one connection's source for changed orders: what catches the
//! orders whose webhooks were lost (WooCommerce switches a failing webhook
//! off, Shopify removes failing subscriptions).
//!
//! - Every order goes through [`record::record_order`], as a webhook does,
//!   so an order seen by both is one transfer and one document.
//! - The cursor moves only after a page is recorded. A pass stopped
//!   half-way (page budget, time budget, an error) keeps the next page in
//!   the cursor and the next poll resumes there.
//! - A finished pass moves the date to the newest change seen (never later
//!   than the pass's start) minus [`OVERLAP`], so an order changed during a
//!   pass, or stamped by a shop whose clock is a little behind, is read
//!   again rather than missed. Reading an order already held unchanged
//!   changes nothing.
//! - An order that cannot be read becomes a failed transfer on its own and
//!   does not block the rest.

use crate::app::Ferry;
use crate::connectors::{ConnectorError, OrderPage, Source};
use crate::health;
use crate::model::text::kept;
use crate::model::{Connection, RunOutcome, System};
use crate::pipeline::record::{self, RecordError, Recorded};
use crate::schedule::Schedule;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How far back each pass reads again.
pub const OVERLAP: chrono::Duration = chrono::Duration::minutes(5);
/// Tries of one page when the source answers 429, 5xx or not at all.
const PAGE_TRIES: u32 = 3;

/// How much one poll may do before it stops and leaves the rest to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub max_pages: usize,
    /// No new page is started after this long.
    pub max_time: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            max_pages: 20,
            max_time: Duration::from_secs(240),
        }
    }
}

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

/// What one poll did; also what `POST /connections/{id}/sync` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollOutcome {
    pub connection: String,
    /// The time changes were read from.
    pub since: DateTime<Utc>,
    pub pages: usize,
    pub records_found: u64,
    /// New transfers.
    pub created: u64,
    /// Newer versions of orders not yet delivered.
    pub updated: u64,
    /// Orders already held as they are, or already delivered.
    pub unchanged: u64,
    /// Orders that could not be read (kept as failed transfers).
    pub unreadable: u64,
    /// `false`: the pass stopped early; the next poll resumes where it stopped.
    pub complete: bool,
    pub error: Option<String>,
    pub next_run_at: Option<DateTime<Utc>>,
}

/// Polls the connection's source now. `backfill` reads again from that
/// date (never skipping what the cursor has not read yet). The outcome is
/// stored on the connection (`last_run`, `cursor`, `next_run_at`).
///
/// A panic while polling (a bug in Ferry) fails this poll alone, in words,
/// as its last run; the cursor stays where the last recorded page left it.
pub async fn poll(
    ferry: &Ferry,
    connection: &Connection,
    backfill: Option<DateTime<Utc>>,
    budget: Budget,
) -> Result<PollOutcome, StoreError> {
    let work = poll_unguarded(ferry, connection, backfill, budget);
    let panicked = match crate::panic_guard::catch("poll", work).await {
        Ok(outcome) => return outcome,
        Err(panicked) => panicked,
    };
    let mut outcome = PollOutcome {
        connection: connection.id.to_string(),
        since: Cursor::of(connection).since,
        pages: 0,
        records_found: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        unreadable: 0,
        complete: false,
        error: Some(format!(
            "Ferry hit an internal error while polling ({panicked}); the orders already \
             recorded are kept and the next poll reads the rest again — contact support if it \
             keeps happening"
        )),
        next_run_at: None,
    };
    finish(ferry, connection, &mut outcome).await?;
    Ok(outcome)
}

async fn poll_unguarded(
    ferry: &Ferry,
    connection: &Connection,
    backfill: Option<DateTime<Utc>>,
    budget: Budget,
) -> Result<PollOutcome, StoreError> {
    if connection.entity.is_catalog() {
        return crate::catalog_sync::poll(ferry, connection, backfill, budget).await;
    }
    let started = Instant::now();
    let now = ferry.clock.now();
    let mut cursor = Cursor::of(connection);
    if let Some(from) = backfill {
        cursor = Cursor {
            since: from.min(cursor.since),
            page: None,
            newest: None,
            started_at: None,
        };
    }
    let mut outcome = PollOutcome {
        connection: connection.id.to_string(),
        since: cursor.since,
        pages: 0,
        records_found: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        unreadable: 0,
        complete: false,
        error: None,
        next_run_at: None,
    };
    let pass_started = *cursor.started_at.get_or_insert(now);

    match source_of(ferry, connection).await? {
        Err(reason) => outcome.error = Some(reason),
        Ok((system, source)) => {
            let mut restarted = false;
            loop {
                if outcome.pages >= budget.max_pages || started.elapsed() >= budget.max_time {
                    break;
                }
                let page = match fetch(ferry, source.as_ref(), &cursor).await {
                    Ok(page) => page,
                    // A saved page position the source no longer takes:
                    // read the pass again from its date, once.
                    Err(ConnectorError::Permanent { .. })
                        if cursor.page.is_some() && !restarted =>
                    {
                        restarted = true;
                        cursor.page = None;
                        continue;
                    }
                    Err(e) => {
                        if let ConnectorError::Unauthorized { message } = &e {
                            health::refused(ferry, &system, message).await?;
                        }
                        outcome.error = Some(e.to_string());
                        break;
                    }
                };
                outcome.pages += 1;
                if let Err(e) = record_page(
                    ferry,
                    connection,
                    source.as_ref(),
                    &page,
                    &mut cursor,
                    &mut outcome,
                )
                .await
                {
                    // Not safely recorded: the cursor stays before this page.
                    outcome.error = Some(format!(
                        "the orders could not be recorded ({e}); Ferry reads them again next time"
                    ));
                    break;
                }
                cursor.page = page.next.clone();
                if page.next.is_none() {
                    cursor = cursor.finished(pass_started);
                    outcome.complete = true;
                    save_cursor(ferry, connection, &cursor).await?;
                    break;
                }
                save_cursor(ferry, connection, &cursor).await?;
            }
        }
    }
    if outcome.error.is_some() {
        outcome.complete = false;
    }
    finish(ferry, connection, &mut outcome).await?;
    tracing::info!(
        connection = %connection.id,
        pages = outcome.pages,
        found = outcome.records_found,
        complete = outcome.complete,
        error = outcome.error.as_deref().unwrap_or(""),
        "polled"
    );
    Ok(outcome)
}

/// The connection's source, or why it cannot be polled (in words).
async fn source_of(
    ferry: &Ferry,
    connection: &Connection,
) -> Result<Result<(System, Arc<dyn Source>), String>, StoreError> {
    let Some(system) = ferry
        .store
        .get_system(&connection.tenant, &connection.source)
        .await?
    else {
        return Ok(Err("the connection's source system was removed".into()));
    };
    if !system.active {
        return Ok(Err(format!(
            "{} '{}' is disconnected",
            system.kind.display_name(),
            system.name
        )));
    }
    let Ok(credentials) = ferry.sealer.open(&system.credentials, system.owner()) else {
        return Ok(Err(format!(
            "the stored credentials of '{}' cannot be read; replace them under Systems",
            system.name
        )));
    };
    Ok(match ferry.connectors.source(&system, &credentials) {
        Ok(source) => Ok((system, source)),
        Err(e) => Err(e.to_string()),
    })
}

/// One page, tried again after a 429 (waiting its `Retry-After`), a 5xx or
/// no answer.
async fn fetch(
    ferry: &Ferry,
    source: &dyn Source,
    cursor: &Cursor,
) -> Result<OrderPage, ConnectorError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match source
            .poll_orders(cursor.since, cursor.page.as_deref())
            .await
        {
            Err(ConnectorError::Transient { retry_after, .. }) if attempt < PAGE_TRIES => {
                let wait = retry_after.unwrap_or_else(|| ferry.limits.backoff(attempt));
                tokio::time::sleep(wait).await;
            }
            answer => return answer,
        }
    }
}

/// Records every order of the page; moves `cursor.newest` along.
async fn record_page(
    ferry: &Ferry,
    connection: &Connection,
    source: &dyn Source,
    page: &OrderPage,
    cursor: &mut Cursor,
    outcome: &mut PollOutcome,
) -> Result<(), RecordError> {
    for raw in &page.orders {
        outcome.records_found += 1;
        match source.parse_order(raw) {
            Ok(order) => {
                cursor.newest = cursor.newest.max(Some(order.updated_at));
                match record::record_order(ferry, connection, &order, raw).await? {
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

/// Writes the cursor onto the newest copy of the connection (orders' and
/// the catalogue's polls both keep theirs there).
pub(crate) async fn save_cursor(
    ferry: &Ferry,
    connection: &Connection,
    cursor: &impl serde::Serialize,
) -> Result<(), StoreError> {
    let Some(mut fresh) = ferry
        .store
        .get_connection(&connection.tenant, &connection.id)
        .await?
    else {
        return Ok(());
    };
    fresh.cursor = Some(serde_json::to_string(cursor).unwrap_or_default());
    ferry.store.put_connection(&fresh).await
}

/// Stores the outcome as the connection's last run and sets its next run.
pub(crate) async fn finish(
    ferry: &Ferry,
    connection: &Connection,
    outcome: &mut PollOutcome,
) -> Result<(), StoreError> {
    let now = ferry.clock.now();
    let Some(mut fresh) = ferry
        .store
        .get_connection(&connection.tenant, &connection.id)
        .await?
    else {
        return Ok(());
    };
    fresh.last_run = RunOutcome {
        at: Some(now),
        records_found: outcome.records_found,
        // The error may be a remote's words: kept to 1 KB on the connection.
        error: outcome.error.as_deref().map(kept),
    };
    fresh.next_run_at = next_run(&fresh, now);
    outcome.next_run_at = fresh.next_run_at;
    ferry.store.put_connection(&fresh).await
}

/// The next run after `now` by the connection's schedule; `None` for a
/// webhook-only connection (or a schedule that no longer parses, which
/// the API never saves).
pub fn next_run(connection: &Connection, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let expression = connection.schedule.as_deref()?;
    Schedule::parse(expression).ok()?.next_after(now)
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
