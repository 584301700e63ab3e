//! The catalogue flow's side of a poll ([`CatalogPass`]): read the ERP's
//! catalogue (or customers) page by page and record the items that changed
//! since they were last sent. The page loop, its retries and budget are
//! the one poller's (`crate::pipeline::poll`).
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
use crate::events;
use crate::model::catalog::Synced;
use crate::model::{Connection, Entity, Level, System};
use crate::pipeline::poll::{Pass, PollOutcome};
use crate::pipeline::record::{RecordError, Recorded};
use crate::seal::Credentials;
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

const SERVICE: &str = "scheduler";

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

/// One poll of a products, stock or customers connection's ERP.
pub struct CatalogPass {
    cursor: CatalogCursor,
    pass_started: DateTime<Utc>,
    entity: Entity,
    source: Option<Arc<dyn CatalogSource>>,
    /// The fingerprints of what was sent, by key (none on a backfill).
    sent: HashMap<String, String>,
    /// The keys of this pass (key -> ERP number): a SKU (or e-mail) on two
    /// items of the ERP would otherwise send each in turn, for ever, so the
    /// second is left out and the merchant told.
    seen: HashMap<String, String>,
}

impl CatalogPass {
    /// Starts from the stored cursor; `backfill` sends every item again.
    pub fn start(
        connection: &Connection,
        backfill: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut cursor = CatalogCursor::of(connection);
        if backfill.is_some() {
            cursor = CatalogCursor {
                page: None,
                resend: true,
                started_at: None,
            };
        }
        let pass_started = *cursor.started_at.get_or_insert(now);
        Self {
            cursor,
            pass_started,
            entity: connection.entity,
            source: None,
            sent: HashMap::new(),
            seen: HashMap::new(),
        }
    }
}

#[async_trait]
impl Pass for CatalogPass {
    type Page = CatalogPage<Synced>;
    const RECORDS: &'static str = "the changed items";

    fn since(&self) -> DateTime<Utc> {
        self.pass_started
    }

    fn page(&mut self) -> &mut Option<String> {
        &mut self.cursor.page
    }

    async fn open(
        &mut self,
        ferry: &Ferry,
        connection: &Connection,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Result<(), String>, StoreError> {
        match ferry.connectors.catalog_source(system, credentials) {
            Ok(source) => self.source = Some(source),
            Err(e) => return Ok(Err(e.to_string())),
        }
        if !self.cursor.resend {
            self.sent = ferry
                .store
                .catalog_fingerprints(&connection.tenant, &connection.id)
                .await?;
        }
        Ok(Ok(()))
    }

    async fn fetch(&self) -> Result<CatalogPage<Synced>, ConnectorError> {
        let Some(source) = self.source.as_deref() else {
            return Err(ConnectorError::permanent("the ERP was not connected"));
        };
        read_page(source, self.entity, self.cursor.page.as_deref()).await
    }

    fn next_of(page: &CatalogPage<Synced>) -> Option<String> {
        page.next.clone()
    }

    /// Records the items of the page whose fingerprint differs from the one
    /// sent (every item on a backfill).
    async fn record(
        &mut self,
        ferry: &Ferry,
        connection: &Connection,
        page: &CatalogPage<Synced>,
        outcome: &mut PollOutcome,
    ) -> Result<(), RecordError> {
        let resend = self.cursor.resend;
        for item in &page.items {
            outcome.records_found += 1;
            let key = item.key();
            if let Some(first) = self
                .seen
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
            self.seen.insert(key.clone(), item.number().to_owned());
            let fingerprint = item.fingerprint(connection.entity);
            if !resend && self.sent.get(&key) == Some(&fingerprint) {
                outcome.unchanged += 1;
                continue;
            }
            match record_item(ferry, connection, item, resend).await? {
                Recorded::Created(_) => outcome.created += 1,
                Recorded::Refreshed(_) => outcome.updated += 1,
                Recorded::Unchanged(_) | Recorded::AlreadyDelivered(_) => outcome.unchanged += 1,
                Recorded::Unreadable(_) => outcome.unreadable += 1,
            }
        }
        Ok(())
    }

    fn finished(&mut self) {
        self.cursor = CatalogCursor::default();
    }

    fn cursor(&self) -> String {
        serde_json::to_string(&self.cursor).unwrap_or_default()
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
