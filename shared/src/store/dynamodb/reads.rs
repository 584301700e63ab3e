//! Reading the table: single items, whole partitions, batches of base
//! items, and index streams merged in sort order (several partitions of an
//! index read as one ordered list), optionally within a budget of entries
//! read, after which the merge says where it stopped.

use super::errors::{build_error, corrupt, unavailable};
use super::keys::{PK, SK};
use super::DynamoStore;
use crate::store::StoreResult;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use futures::future::join_all;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

pub type Item = HashMap<String, AttributeValue>;
/// A base-table key: (PK, SK).
pub type Key = (String, String);

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub fn key_of(item: &Item) -> Option<Key> {
    Some((text(item, PK)?.to_owned(), text(item, SK)?.to_owned()))
}

pub(super) fn key_item(pk: &str, sk: &str) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

/// An item as a model value (unknown attributes such as keys are ignored).
pub fn parse<T: serde::de::DeserializeOwned>(item: Item, what: &str) -> StoreResult<T> {
    serde_dynamo::aws_sdk_dynamodb_1::from_item(item).map_err(|e| corrupt(what, e))
}

/// A model value as an item, plus its keys.
pub fn item_of<T: serde::Serialize>(value: &T, pk: String, sk: String) -> StoreResult<Item> {
    let mut item: Item = serde_dynamo::aws_sdk_dynamodb_1::to_item(value)
        .map_err(|e| corrupt("cannot encode an item", e))?;
    item.insert(PK.to_owned(), s(pk));
    item.insert(SK.to_owned(), s(sk));
    Ok(item)
}

impl DynamoStore {
    /// One item, strongly consistent (a write is seen by the next read).
    pub(super) async fn get(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        Ok(out.item)
    }

    /// Every item of a partition (optionally those whose SK starts with
    /// `sk_prefix`), in SK order, strongly consistent.
    pub(super) async fn partition(
        &self,
        pk: &str,
        sk_prefix: Option<&str>,
    ) -> StoreResult<Vec<Item>> {
        let sort_keys = sk_prefix.map_or(SortKeys::All, SortKeys::Prefix);
        self.query_all(pk, sort_keys).await
    }

    /// The first `limit` items of a partition whose SK is in `from..=to`,
    /// in SK order, strongly consistent, in one request; and whether more
    /// items follow.
    pub(super) async fn range_head(
        &self,
        pk: &str,
        from: &str,
        to: &str,
        limit: i32,
    ) -> StoreResult<(Vec<Item>, bool)> {
        let out = self
            .query(pk, SortKeys::Between(from, to))
            .limit(limit)
            .send()
            .await
            .map_err(|e| unavailable("Query", e))?;
        let more = out.last_evaluated_key.is_some_and(|key| !key.is_empty());
        Ok((out.items.unwrap_or_default(), more))
    }

    /// Every page of one strongly consistent Query of a partition.
    async fn query_all(&self, pk: &str, sort_keys: SortKeys<'_>) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .query(pk, sort_keys)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// A strongly consistent Query of `sort_keys` in a partition.
    fn query(&self, pk: &str, sort_keys: SortKeys<'_>) -> QueryFluentBuilder {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(pk));
        match sort_keys {
            SortKeys::All => query.key_condition_expression("#pk = :pk"),
            SortKeys::Prefix(prefix) => query
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":prefix", s(prefix)),
            SortKeys::Between(from, to) => query
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":from", s(from))
                .expression_attribute_values(":to", s(to)),
        }
    }

    /// Base items by key, strongly consistent, in batches of 100; retries
    /// the keys DynamoDB leaves unprocessed (it does under load).
    pub(super) async fn batch_get(&self, keys: &[Key]) -> StoreResult<HashMap<Key, Item>> {
        let mut found = HashMap::with_capacity(keys.len());
        let unique: Vec<&Key> = {
            let mut seen = HashSet::new();
            keys.iter().filter(|k| seen.insert(*k)).collect()
        };
        for chunk in unique.chunks(100) {
            let mut pending: Vec<Item> = chunk.iter().map(|(pk, sk)| key_item(pk, sk)).collect();
            for attempt in 0u32.. {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(pending))
                    .consistent_read(true)
                    .build()
                    .map_err(build_error)?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| unavailable("BatchGetItem", e))?;
                for item in out
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    if let Some(key) = key_of(&item) {
                        found.insert(key, item);
                    }
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt >= 8 {
                    return Err(crate::store::StoreError::Unavailable(
                        "DynamoDB BatchGetItem left keys unprocessed after 8 retries (throttled)"
                            .into(),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(25 << attempt)).await;
            }
        }
        Ok(found)
    }
}

/// One index entry: its sort value and the base item's key.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub sort: String,
    pub key: Key,
}

/// One partition of a GSI, read page by page in sort order.
pub struct IndexStream {
    index: &'static str,
    hash_attr: &'static str,
    hash_value: String,
    range_attr: &'static str,
    /// Only entries whose sort value is below this (exclusive).
    below: Option<String>,
    /// Descending reads end at the first entry below this (inclusive bound).
    at_least: Option<String>,
    forward: bool,
    /// An equality filter on a projected attribute.
    filter: Option<(&'static str, AttributeValue)>,
    page_size: i32,
    buffer: VecDeque<Candidate>,
    start: Option<Item>,
    /// The sort value of the last entry read (filtered or not): every entry
    /// before it in this stream's order has been read.
    frontier: Option<String>,
    done: bool,
}

impl IndexStream {
    pub fn new(
        index: &'static str,
        hash: (&'static str, String),
        range_attr: &'static str,
    ) -> Self {
        Self {
            index,
            hash_attr: hash.0,
            hash_value: hash.1,
            range_attr,
            below: None,
            at_least: None,
            forward: false,
            filter: None,
            page_size: 50,
            buffer: VecDeque::new(),
            start: None,
            frontier: None,
            done: false,
        }
    }

    pub fn below(mut self, bound: Option<String>) -> Self {
        self.below = bound;
        self
    }

    pub fn at_least(mut self, bound: Option<String>) -> Self {
        self.at_least = bound;
        self
    }

    pub fn ascending(mut self) -> Self {
        self.forward = true;
        self
    }

    pub fn filter(mut self, filter: Option<(&'static str, AttributeValue)>) -> Self {
        self.filter = filter;
        self
    }

    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.clamp(1, 1000) as i32;
        self
    }

    fn head(&self) -> Option<&Candidate> {
        self.buffer.front()
    }

    fn needs_fetch(&self) -> bool {
        self.buffer.is_empty() && !self.done
    }

    /// Reads one page of at most `ask` entries (a filter may leave it
    /// empty; the next page is then larger, up to 1,000).
    async fn fetch(&mut self, store: &DynamoStore, ask: usize) -> StoreResult<()> {
        let mut query = store
            .client
            .query()
            .table_name(&store.table)
            .index_name(self.index)
            .scan_index_forward(self.forward)
            .limit(ask.clamp(1, 1000) as i32)
            .expression_attribute_names("#h", self.hash_attr)
            .expression_attribute_values(":h", s(&self.hash_value))
            .set_exclusive_start_key(self.start.take());
        query = match &self.below {
            Some(bound) => query
                .key_condition_expression("#h = :h AND #r < :below")
                .expression_attribute_names("#r", self.range_attr)
                .expression_attribute_values(":below", s(bound)),
            None => query.key_condition_expression("#h = :h"),
        };
        if let Some((attr, value)) = &self.filter {
            query = query
                .filter_expression("#f = :f")
                .expression_attribute_names("#f", *attr)
                .expression_attribute_values(":f", value.clone());
        }
        let out = query.send().await.map_err(|e| unavailable("Query", e))?;
        let items = out.items.unwrap_or_default();
        if items.is_empty() {
            self.page_size = (self.page_size.saturating_mul(4)).min(1000);
        }
        for item in items {
            let (Some(sort), Some(key)) = (text(&item, self.range_attr), key_of(&item)) else {
                continue;
            };
            if let Some(floor) = &self.at_least {
                if sort < floor.as_str() {
                    self.done = true;
                    break;
                }
            }
            self.buffer.push_back(Candidate {
                sort: sort.to_owned(),
                key,
            });
        }
        match out.last_evaluated_key {
            Some(key) if !key.is_empty() && !self.done => {
                self.frontier = text(&key, self.range_attr).map(str::to_owned);
                self.start = Some(key);
            }
            _ => self.done = true,
        }
        Ok(())
    }
}

/// Several index partitions read as one list in sort order (descending, or
/// ascending for ascending streams); each base item once. With a budget it
/// reads at most that many entries in all, then gives only what it can
/// place for sure and tells where the next read goes on
/// ([`Merged::stopped_at`]).
pub struct Merged {
    streams: Vec<IndexStream>,
    forward: bool,
    seen: HashSet<Key>,
    /// Entries this merge may still ask the index for.
    budget: usize,
}

impl Merged {
    pub fn new(streams: Vec<IndexStream>) -> Self {
        let forward = streams.first().is_some_and(|s| s.forward);
        Self {
            streams,
            forward,
            seen: HashSet::new(),
            budget: usize::MAX,
        }
    }

    /// Reads at most `entries` index entries in all (at least one page of
    /// each stream, so that a read always moves on).
    pub fn within(mut self, entries: usize) -> Self {
        self.budget = entries;
        self
    }

    /// Whether `a` comes before `b` in this merge's order.
    fn before(&self, a: &str, b: &str) -> bool {
        if self.forward {
            a < b
        } else {
            a > b
        }
    }

    /// Where the streams the budget left unread begin: the bound (exclusive)
    /// beyond which every entry is still unread in some stream, and before
    /// which every entry has been read in all of them. `None` when the
    /// budget has not run out.
    fn frontier(&self) -> Option<&str> {
        self.streams
            .iter()
            .filter(|s| s.needs_fetch())
            .filter_map(|s| s.frontier.as_deref())
            .reduce(|a, b| if self.before(b, a) { b } else { a })
    }

    /// When the budget ran out before the streams did: the sort value to
    /// read on from (exclusive), for a cursor. Every entry before it has
    /// been given out; none after it has.
    pub fn stopped_at(&self) -> Option<String> {
        if self.budget > 0 {
            return None;
        }
        self.frontier().map(str::to_owned)
    }

    /// The next up to `count` entries, reading the partitions concurrently.
    pub async fn next(&mut self, store: &DynamoStore, count: usize) -> StoreResult<Vec<Candidate>> {
        let mut out = Vec::new();
        while out.len() < count {
            let hungry = self.streams.iter().filter(|s| s.needs_fetch()).count();
            if hungry > 0 && self.budget > 0 {
                let share = (self.budget / hungry).max(1);
                let mut fetches = Vec::with_capacity(hungry);
                for stream in self.streams.iter_mut().filter(|s| s.needs_fetch()) {
                    let ask = (stream.page_size as usize).min(share);
                    self.budget = self.budget.saturating_sub(ask);
                    fetches.push(stream.fetch(store, ask));
                }
                for result in join_all(fetches).await {
                    result?;
                }
                continue;
            }
            // Out of budget with a stream unread: only what comes before
            // that stream's frontier can be placed for sure.
            let floor = self.frontier().map(str::to_owned);
            let best = self
                .streams
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.head().map(|c| (i, c)))
                .reduce(|a, b| {
                    if self.before(&b.1.sort, &a.1.sort) {
                        b
                    } else {
                        a
                    }
                })
                .filter(|(_, c)| floor.as_deref().is_none_or(|f| self.before(&c.sort, f)))
                .map(|(i, _)| i);
            let Some(best) = best else {
                break;
            };
            if let Some(candidate) = self.streams[best].buffer.pop_front() {
                if self.seen.insert(candidate.key.clone()) {
                    out.push(candidate);
                }
            }
        }
        Ok(out)
    }
}

/// Which sort keys of a partition a Query reads.
#[derive(Clone, Copy)]
enum SortKeys<'a> {
    All,
    Prefix(&'a str),
    Between(&'a str, &'a str),
}
