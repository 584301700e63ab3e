//! One poll of a products, stock or customers connection: read the ERP's
//! catalogue (or customers) page by page and record the items that changed
//! since they were last sent.
//!
//! - The fingerprints of what was sent are read once per poll (one store
//!   query); an item whose fingerprint matches costs nothing more.
//! - The page position is kept in the connection's cursor after each page,
//!   so a poll stopped by its budget or an error resumes there.
//! - A backfill ("sync now" with a date) sends every item again, whatever
//!   was sent before: the way to put the shop right after it was edited by
//!   hand. The whole catalogue is its state; the date itself is not used.

use super::record::record_item;
use crate::app::Ferry;
use crate::connectors::catalog::{CatalogPage, CatalogSource};
use crate::connectors::ConnectorError;
use crate::health;
use crate::model::catalog::Synced;
use crate::model::{Connection, Entity, Level, System};
use crate::pipeline::events;
use crate::pipeline::record::{RecordError, Recorded};
use crate::polling::{finish, save_cursor, Budget, PollOutcome};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

const SERVICE: &str = "scheduler";
/// Tries of one page when the ERP answers 429, 5xx or not at all.
const PAGE_TRIES: u32 = 3;

/// Where a catalogue poll stands, kept as JSON in `Connection::cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogCursor {
    /// A pass stopped half-way: the source's token of the next page.
    #[serde(default)]
    pub page: Option<String>,
    /// The unfinished pass is a backfill: every item is sent again.
    #[serde(default)]
    pub resend: bool,
    /// When the unfinished pass began.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
}

impl CatalogCursor {
    pub fn of(connection: &Connection) -> CatalogCursor {
        connection
            .cursor
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }
}

/// Polls the connection's catalogue now; `backfill` sends every item again.
/// Answers as an order poll does; the outcome is stored on the connection.
pub async fn poll(
    ferry: &Ferry,
    connection: &Connection,
    backfill: Option<DateTime<Utc>>,
    budget: Budget,
) -> Result<PollOutcome, StoreError> {
    let started = Instant::now();
    let now = ferry.clock.now();
    let mut cursor = CatalogCursor::of(connection);
    if backfill.is_some() {
        cursor = CatalogCursor {
            page: None,
            resend: true,
            started_at: None,
        };
    }
    let pass_started = *cursor.started_at.get_or_insert(now);
    let mut outcome = PollOutcome {
        connection: connection.id.to_string(),
        since: pass_started,
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
    match source_of(ferry, connection).await? {
        Err(reason) => outcome.error = Some(reason),
        Ok((system, source)) => {
            let sent = if cursor.resend {
                HashMap::new()
            } else {
                ferry
                    .store
                    .catalog_fingerprints(&connection.tenant, &connection.id)
                    .await?
            };
            let mut seen = HashMap::new();
            let mut restarted = false;
            loop {
                if outcome.pages >= budget.max_pages || started.elapsed() >= budget.max_time {
                    break;
                }
                let page = match fetch(
                    ferry,
                    source.as_ref(),
                    connection.entity,
                    cursor.page.as_deref(),
                )
                .await
                {
                    Ok(page) => page,
                    // A saved page position the ERP no longer takes: start
                    // the pass again, once.
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
                let check = Check {
                    sent: &sent,
                    resend: cursor.resend,
                };
                if let Err(e) =
                    record_page(ferry, connection, &page, check, &mut seen, &mut outcome).await
                {
                    // Not safely recorded: the cursor stays before this page.
                    outcome.error = Some(format!(
                        "the changed items could not be recorded ({e}); Ferry reads them again next time"
                    ));
                    break;
                }
                cursor.page = page.next.clone();
                if page.next.is_none() {
                    cursor = CatalogCursor::default();
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
        entity = connection.entity.word(),
        pages = outcome.pages,
        found = outcome.records_found,
        changed = outcome.created + outcome.updated,
        complete = outcome.complete,
        error = outcome.error.as_deref().unwrap_or(""),
        "catalogue polled"
    );
    Ok(outcome)
}

/// The connection's ERP as a catalogue, or why it cannot be read (in words).
async fn source_of(
    ferry: &Ferry,
    connection: &Connection,
) -> Result<Result<(System, Arc<dyn CatalogSource>), String>, StoreError> {
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
    Ok(
        match ferry.connectors.catalog_source(&system, &credentials) {
            Ok(source) => Ok((system, source)),
            Err(e) => Err(e.to_string()),
        },
    )
}

/// One page, tried again after a 429 (waiting its `Retry-After`), a 5xx or
/// no answer.
async fn fetch(
    ferry: &Ferry,
    source: &dyn CatalogSource,
    entity: Entity,
    page: Option<&str>,
) -> Result<CatalogPage<Synced>, ConnectorError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match read_page(source, entity, page).await {
            Err(ConnectorError::Transient { retry_after, .. }) if attempt < PAGE_TRIES => {
                let wait = retry_after.unwrap_or_else(|| ferry.limits.backoff(attempt));
                tokio::time::sleep(wait).await;
            }
            answer => return answer,
        }
    }
}

/// A page of what the connection sends: customers, or catalogue items.
async fn read_page(
    source: &dyn CatalogSource,
    entity: Entity,
    page: Option<&str>,
) -> Result<CatalogPage<Synced>, ConnectorError> {
    Ok(match entity {
        Entity::Customers => {
            let page = source.list_customers(page).await?;
            CatalogPage {
                items: page.items.into_iter().map(Synced::Customer).collect(),
                next: page.next,
            }
        }
        _ => {
            let page = source.list_items(page).await?;
            CatalogPage {
                items: page.items.into_iter().map(Synced::Item).collect(),
                next: page.next,
            }
        }
    })
}

/// What an item is compared with: the fingerprints sent, unless a backfill
/// sends everything again.
#[derive(Clone, Copy)]
struct Check<'a> {
    sent: &'a HashMap<String, String>,
    resend: bool,
}

/// Records the items of the page whose fingerprint differs from the one
/// sent. `seen` holds the keys of this pass (key -> ERP number): a SKU (or
/// e-mail) on two items of the ERP would otherwise send each in turn, for
/// ever, so the second is left out and the merchant told.
async fn record_page(
    ferry: &Ferry,
    connection: &Connection,
    page: &CatalogPage<Synced>,
    check: Check<'_>,
    seen: &mut HashMap<String, String>,
    outcome: &mut PollOutcome,
) -> Result<(), RecordError> {
    for item in &page.items {
        outcome.records_found += 1;
        let key = item.key();
        if let Some(first) = seen
            .get(&key)
            .filter(|first| first.as_str() != item.number())
        {
            outcome.unreadable += 1;
            let (key_word, noun) = item.words();
            events::log(
                ferry,
                &connection.tenant,
                SERVICE,
                Level::Warn,
                format!(
                    "{key_word} {key} is on two {noun}s in the ERP ({first} and {}); Ferry sends {first} only: give each {noun} its own {key_word}",
                    item.number()
                ),
                Some(&connection.id),
                None,
            )
            .await;
            continue;
        }
        seen.insert(key.clone(), item.number().to_owned());
        let fingerprint = item.fingerprint(connection.entity);
        if !check.resend && check.sent.get(&key) == Some(&fingerprint) {
            outcome.unchanged += 1;
            continue;
        }
        match record_item(ferry, connection, item, check.resend).await? {
            Recorded::Created(_) => outcome.created += 1,
            Recorded::Refreshed(_) => outcome.updated += 1,
            Recorded::Unchanged(_) | Recorded::AlreadyDelivered(_) => outcome.unchanged += 1,
            Recorded::Unreadable(_) => outcome.unreadable += 1,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_that_is_not_a_catalogue_cursor_starts_afresh() {
        let text = r#"{"since":"2026-01-01T00:00:00Z","page":null}"#;
        let cursor: CatalogCursor = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(cursor.page, None);
        assert!(!cursor.resend);
        let saved = CatalogCursor {
            page: Some("3".into()),
            resend: true,
            started_at: None,
        };
        let back: CatalogCursor =
            serde_json::from_str(&serde_json::to_string(&saved).unwrap()).unwrap();
        assert_eq!(back, saved);
    }
}
