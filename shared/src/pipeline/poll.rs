//! The one poller: a connection's source read page by page since its
//! cursor, each page recorded, the cursor saved, the run's outcome kept on
//! the connection. What catches the orders whose webhooks were lost
//! (WooCommerce switches a failing webhook off, Shopify removes failing
//! subscriptions), and what feeds the catalogue's flows.
//!
//! A flow's side of a poll is a [`Pass`]: its cursor, how it reads one page
//! of its source and records it (through `super::record`). The rest is here,
//! once:
//! - the source system is looked up, connected and its credentials opened;
//!   a refusal of them marks it unhealthy (`crate::health::refused`);
//! - a page is tried again after a 429 (waiting its `Retry-After`), a 5xx
//!   or no answer; a saved page position the source no longer takes starts
//!   the pass again from its beginning, once;
//! - every call to the source is bounded twice: each request by the HTTP
//!   client's own timeout (10 s, `crate::connectors::http`), and opening the
//!   source or reading one page, its tries and waits included, by
//!   [`Budget::page_timeout`]; so a poll ends within about `max_time` plus
//!   one `page_timeout` however the source behaves (no new page is started
//!   after `max_time`);
//! - the cursor moves only after a page is recorded. A pass stopped
//!   half-way (page budget, time budget, an error) keeps the next page in
//!   the cursor and the next poll resumes there;
//! - the outcome is stored as the connection's last run, with its next run
//!   by its schedule; a panic (a bug) fails this poll alone, in words.

use crate::app::Ferry;
use crate::connectors::ConnectorError;
use crate::health;
use crate::model::text::kept;
use crate::model::{Connection, RunOutcome, System};
use crate::pipeline::record::RecordError;
use crate::schedule::Schedule;
use crate::seal::Credentials;
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Tries of one page when the source answers 429, 5xx or not at all.
const PAGE_TRIES: u32 = 3;

/// How much one poll may do before it stops and leaves the rest to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub max_pages: usize,
    /// No new page is started after this long.
    pub max_time: Duration,
    /// The longest wait for the source to be opened or to hand over one
    /// page (its tries and `Retry-After` waits included); past it the poll
    /// stops with an error and the next one starts from the same page.
    pub page_timeout: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            max_pages: 20,
            max_time: Duration::from_secs(240),
            page_timeout: Duration::from_secs(60),
        }
    }
}

/// Why a poll stopped when the source did not answer in time, in words.
fn no_answer_within(wait: Duration) -> String {
    format!(
        "the source did not answer within {} s; Ferry reads from the same place at the next poll",
        wait.as_secs_f64()
    )
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
    /// Newer versions of records not yet delivered.
    pub updated: u64,
    /// Records already held as they are, or already delivered.
    pub unchanged: u64,
    /// Records that could not be read (kept as failed transfers), or were
    /// left out.
    pub unreadable: u64,
    /// `false`: the pass stopped early; the next poll resumes where it stopped.
    pub complete: bool,
    pub error: Option<String>,
    pub next_run_at: Option<DateTime<Utc>>,
}

impl PollOutcome {
    fn new(connection: &Connection, since: DateTime<Utc>) -> Self {
        Self {
            connection: connection.id.to_string(),
            since,
            pages: 0,
            records_found: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            unreadable: 0,
            complete: false,
            error: None,
            next_run_at: None,
        }
    }
}

/// A flow's side of one poll of a connection: its place in the source (the
/// cursor) and how it reads and records a page.
#[async_trait]
pub trait Pass: Send {
    type Page: Send + Sync;
    /// What could not be recorded, in words: "the orders".
    const RECORDS: &'static str;
    /// The time the pass reads changes from, for the outcome.
    fn since(&self) -> DateTime<Utc>;
    /// The source's token of the next page; `None` at the start of a pass.
    fn page(&mut self) -> &mut Option<String>;
    /// Builds the source's connector from the opened credentials, and reads
    /// what the pass compares with; `Err` says why the source cannot be read.
    async fn open(
        &mut self,
        ferry: &Ferry,
        connection: &Connection,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Result<(), String>, StoreError>;
    /// Reads the page at [`Pass::page`], once.
    async fn fetch(&self) -> Result<Self::Page, ConnectorError>;
    /// The token of the page after `page`; `None` on the last.
    fn next_of(page: &Self::Page) -> Option<String>;
    /// Records the page's records, counting them in `outcome`.
    async fn record(
        &mut self,
        ferry: &Ferry,
        connection: &Connection,
        page: &Self::Page,
        outcome: &mut PollOutcome,
    ) -> Result<(), RecordError>;
    /// Every page was read: where the next pass starts.
    fn finished(&mut self);
    /// The cursor as `Connection::cursor` keeps it (JSON).
    fn cursor(&self) -> String;
}

/// Runs `pass` over the connection's source now. The outcome is stored on
/// the connection (`last_run`, `cursor`, `next_run_at`).
///
/// A panic while polling (a bug in Ferry) fails this poll alone, in words,
/// as its last run; the cursor stays where the last recorded page left it.
pub async fn run<P: Pass>(
    ferry: &Ferry,
    connection: &Connection,
    budget: Budget,
    pass: P,
) -> Result<PollOutcome, StoreError> {
    let since = pass.since();
    let work = run_unguarded(ferry, connection, budget, pass);
    let panicked = match crate::panic_guard::catch("poll", work).await {
        Ok(outcome) => return outcome,
        Err(panicked) => panicked,
    };
    let mut outcome = PollOutcome::new(connection, since);
    outcome.error = Some(format!(
        "Ferry hit an internal error while polling ({panicked}); the orders already \
         recorded are kept and the next poll reads the rest again — contact support if it \
         keeps happening"
    ));
    finish(ferry, connection, &mut outcome).await?;
    Ok(outcome)
}

async fn run_unguarded<P: Pass>(
    ferry: &Ferry,
    connection: &Connection,
    budget: Budget,
    mut pass: P,
) -> Result<PollOutcome, StoreError> {
    let started = Instant::now();
    let mut outcome = PollOutcome::new(connection, pass.since());
    match source_system(ferry, connection).await? {
        Err(reason) => outcome.error = Some(reason),
        Ok((system, credentials)) => {
            let open = pass.open(ferry, connection, &system, &credentials);
            let opened = match tokio::time::timeout(budget.page_timeout, open).await {
                Ok(opened) => opened?,
                Err(_) => Err(no_answer_within(budget.page_timeout)),
            };
            match opened {
                Err(reason) => outcome.error = Some(reason),
                Ok(()) => {
                    read_pages(
                        ferry,
                        connection,
                        budget,
                        started,
                        &system,
                        &mut pass,
                        &mut outcome,
                    )
                    .await?
                }
            }
        }
    }
    if outcome.error.is_some() {
        outcome.complete = false;
    }
    finish(ferry, connection, &mut outcome).await?;
    tracing::info!(
        connection = %connection.id,
        entity = connection.entity.word(),
        pages = outcome.pages,
        found = outcome.records_found,
        changed = outcome.created + outcome.updated,
        complete = outcome.complete,
        error = outcome.error.as_deref().unwrap_or(""),
        "polled"
    );
    Ok(outcome)
}

/// Reads and records pages until the last, the budget or an error.
async fn read_pages<P: Pass>(
    ferry: &Ferry,
    connection: &Connection,
    budget: Budget,
    started: Instant,
    system: &System,
    pass: &mut P,
    outcome: &mut PollOutcome,
) -> Result<(), StoreError> {
    let mut restarted = false;
    loop {
        if outcome.pages >= budget.max_pages || started.elapsed() >= budget.max_time {
            return Ok(());
        }
        let page = match tokio::time::timeout(budget.page_timeout, fetch(ferry, pass)).await {
            Err(_) => {
                outcome.error = Some(no_answer_within(budget.page_timeout));
                return Ok(());
            }
            Ok(Ok(page)) => page,
            // A saved page position the source no longer takes: read the
            // pass again from its start, once.
            Ok(Err(ConnectorError::Permanent { .. })) if pass.page().is_some() && !restarted => {
                restarted = true;
                *pass.page() = None;
                continue;
            }
            Ok(Err(e)) => {
                if let ConnectorError::Unauthorized { message } = &e {
                    health::refused(ferry, system, message).await?;
                }
                outcome.error = Some(e.to_string());
                return Ok(());
            }
        };
        outcome.pages += 1;
        if let Err(e) = pass.record(ferry, connection, &page, outcome).await {
            // Not safely recorded: the cursor stays before this page.
            outcome.error = Some(format!(
                "{} could not be recorded ({e}); Ferry reads them again next time",
                P::RECORDS
            ));
            return Ok(());
        }
        let next = P::next_of(&page);
        let last = next.is_none();
        *pass.page() = next;
        if last {
            pass.finished();
            outcome.complete = true;
        }
        save_cursor(ferry, connection, pass.cursor()).await?;
        if last {
            return Ok(());
        }
    }
}

/// The connection's source system and its opened credentials, or why it
/// cannot be polled (in words).
async fn source_system(
    ferry: &Ferry,
    connection: &Connection,
) -> Result<Result<(System, Credentials), String>, StoreError> {
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
    Ok(Ok((system, credentials)))
}

/// One page, tried again after a 429 (waiting its `Retry-After`), a 5xx or
/// no answer.
async fn fetch<P: Pass>(ferry: &Ferry, pass: &P) -> Result<P::Page, ConnectorError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match pass.fetch().await {
            Err(ConnectorError::Transient { retry_after, .. }) if attempt < PAGE_TRIES => {
                let wait = retry_after.unwrap_or_else(|| ferry.limits.backoff(attempt));
                tokio::time::sleep(wait).await;
            }
            answer => return answer,
        }
    }
}

/// Writes the cursor onto the newest copy of the connection.
async fn save_cursor(
    ferry: &Ferry,
    connection: &Connection,
    cursor: String,
) -> Result<(), StoreError> {
    let Some(mut fresh) = ferry
        .store
        .get_connection(&connection.tenant, &connection.id)
        .await?
    else {
        return Ok(());
    };
    fresh.cursor = Some(cursor);
    ferry.store.put_connection(&fresh).await
}

/// Stores the outcome as the connection's last run and sets its next run.
async fn finish(
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
