//! Transfers on DynamoDB: one small item per transfer (the log's fields and
//! index keys), its payloads as separate part items in the same partition,
//! written only when they change.
//!
//! # Ambiguous writes
//!
//! A put can land and still answer an error: its answer is lost (a
//! timeout, a 500), the SDK retries, and the retry's condition fails on the
//! very item the first attempt wrote. So every put of a transfer item
//! carries a fresh write id (`w`) and asks for the stored item when its
//! condition fails (`ReturnValuesOnConditionCheckFailure = ALL_OLD`: no
//! extra read). A stored item with our write id is our write: the create or
//! update succeeded (and its usage is counted, once). New payload parts are
//! removed only when the stored item provably does not point at them; after
//! an error that does not tell (transport, a 5xx after the last retry) they
//! stay, as the item may point at them. The id adds 27 bytes to a
//! transfer item (620 to 820 bytes in the emulator tests, so still one
//! write unit).
//!
//! # Orphan parts
//!
//! Parts left behind that way (or by a crash between the parts and the
//! item, or by a failed delete) are swept when the transfer is read:
//! `read_transfer` queries the whole partition anyway, so it sees every
//! part at no extra read, and deletes up to [`SWEEP_MAX`] parts that the
//! transfer item does not point at and whose key (a ULID) is older than
//! [`ORPHAN_GRACE`]. A younger part may belong to a put still in flight.
//! A sweep in the scheduler's pass would need a Scan, or an index of
//! orphans that every write would pay for; this one costs nothing until
//! there is an orphan, then one delete per part. An orphan in a transfer
//! that is never read again only takes storage: nothing reads it either.

use super::errors::{corrupt, unavailable};
use super::keys::*;
use super::reads::{item_of, n, parse, s, text, IndexStream, Item, Merged};
use super::DynamoStore;
use crate::model::{Payload, TenantId, Transfer, TransferId, TransferStatus, UsageDelta};
use crate::store::{
    page_limit, Page, StoreError, StoreResult, TransferQuery, TRANSFER_READ_BUDGET,
};
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use futures::future::join_all;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// Payload bytes per part item: DynamoDB items hold at most 400 KB.
const PART_BYTES: usize = 350_000;

/// A part no transfer item points at is swept once older than this: far
/// longer than a writer takes from writing its parts to the put of the
/// item that points at them (seconds, the SDK's retries included; a Lambda
/// is stopped after 15 minutes), and than two writers' clocks differ.
const ORPHAN_GRACE: Duration = Duration::from_secs(60 * 60);

/// Orphan parts deleted per read at most, so that a read stays quick.
const SWEEP_MAX: usize = 25;

/// A fresh, time-ordered key: payload keys and write ids.
fn fresh_key() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}

/// Where a payload's parts are: `P#<key>#0000`.. in the transfer's partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PayloadRef {
    key: String,
    parts: usize,
    /// A digest of the bytes: an update with the same payload writes nothing.
    sum: String,
}

/// The payload pointers of the transfer items this store last wrote or
/// read, by version: an update of a version it knows needs no read first
/// (its conditional put still refuses a stale version). Items are never
/// rewritten at a version they had, so a version names one set of pointers.
#[derive(Debug, Default)]
pub(super) struct KnownPointers {
    items: std::sync::Mutex<HashMap<String, Known>>,
}

#[derive(Debug, Clone)]
struct Known {
    version: u64,
    source: Option<PayloadRef>,
    target: Option<PayloadRef>,
}

/// Enough for the transfers in flight in one process; forgotten all at once.
const KNOWN_MAX: usize = 4096;

impl KnownPointers {
    fn remember(&self, pk: &str, known: Known) {
        let mut items = match self.items.lock() {
            Ok(items) => items,
            Err(poisoned) => poisoned.into_inner(),
        };
        if items.len() >= KNOWN_MAX && !items.contains_key(pk) {
            items.clear();
        }
        items.insert(pk.to_owned(), known);
    }

    fn at_version(&self, pk: &str, version: u64) -> Option<Known> {
        let items = match self.items.lock() {
            Ok(items) => items,
            Err(poisoned) => poisoned.into_inner(),
        };
        items.get(pk).filter(|k| k.version == version).cloned()
    }
}

/// Parts to write for a payload, and the pointer to them.
struct NewPayload {
    pointer: PayloadRef,
    parts: Vec<Item>,
}

fn split(pk: &str, payload: &Payload) -> NewPayload {
    let bytes = payload.compressed();
    let key = fresh_key();
    let parts: Vec<Item> = bytes
        .chunks(PART_BYTES)
        .enumerate()
        .map(|(i, chunk)| {
            HashMap::from([
                (PK.to_owned(), s(pk)),
                (SK.to_owned(), s(payload_part_sk(&key, i))),
                (
                    DATA.to_owned(),
                    aws_sdk_dynamodb::types::AttributeValue::B(chunk.to_vec().into()),
                ),
            ])
        })
        .collect();
    NewPayload {
        pointer: PayloadRef {
            key,
            parts: parts.len(),
            sum: payload_digest(bytes),
        },
        parts,
    }
}

fn pointer(item: &Item, attribute: &str) -> StoreResult<Option<PayloadRef>> {
    item.get(attribute)
        .map(|value| {
            serde_dynamo::aws_sdk_dynamodb_1::from_attribute_value(value.clone())
                .map_err(|e| corrupt("a payload pointer", e))
        })
        .transpose()
}

/// The transfer's item: its fields without payloads, the index keys, the
/// pointers to its payload parts, and the id of this write.
fn transfer_item(
    transfer: &Transfer,
    source: Option<&PayloadRef>,
    target: Option<&PayloadRef>,
    write: &str,
) -> StoreResult<Item> {
    let bare = Transfer {
        source_payload: None,
        target_payload: None,
        ..transfer.clone()
    };
    let mut item = item_of(
        &bare,
        transfer_pk(&transfer.tenant, &transfer.id),
        TRANSFER_SK.to_owned(),
    )?;
    item.remove("source_payload");
    item.remove("target_payload");
    item.insert(
        ST.to_owned(),
        s(status_key(&transfer.tenant, transfer.status)),
    );
    item.insert(
        RT.to_owned(),
        s(time_id(transfer.received_at, transfer.id.as_str())),
    );
    item.insert(WRITE.to_owned(), s(write));
    if !transfer.source_ref.is_empty() {
        item.insert(
            SREF.to_owned(),
            s(reference_key(&transfer.tenant, &transfer.source_ref)),
        );
    }
    if let Some(target_ref) = transfer.target_ref.as_deref().filter(|r| !r.is_empty()) {
        item.insert(
            TREF.to_owned(),
            s(reference_key(&transfer.tenant, target_ref)),
        );
    }
    for (attribute, payload) in [(SOURCE_PAYLOAD, source), (TARGET_PAYLOAD, target)] {
        if let Some(payload) = payload {
            let value = serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(payload)
                .map_err(|e| corrupt("cannot encode a payload pointer", e))?;
            item.insert(attribute.to_owned(), value);
        }
    }
    Ok(item)
}

/// What a conditional put of a transfer item came to.
enum Put {
    /// Written: by this attempt, or by an earlier one whose answer was lost.
    Written,
    /// The condition failed on another write's item: the stored item, if
    /// DynamoDB returned one.
    Refused(Option<Item>),
    /// No telling: the put may or may not have landed.
    Unknown(StoreError),
}

/// The sort keys among `sort_keys` of parts that no pointer names and that
/// were made (their key is a ULID) more than [`ORPHAN_GRACE`] before `now`;
/// at most [`SWEEP_MAX`].
fn orphans<'a>(
    sort_keys: impl IntoIterator<Item = &'a String>,
    pointers: [Option<&PayloadRef>; 2],
    now: SystemTime,
) -> Vec<String> {
    sort_keys
        .into_iter()
        .filter(|sk| {
            let Some(key) = payload_key_of_part(sk) else {
                return false;
            };
            let pointed_at = pointers.iter().flatten().any(|p| p.key == key);
            // A key that is no ULID, or made "in the future" by a clock
            // ahead of ours, is left alone.
            let old = ulid::Ulid::from_string(key)
                .ok()
                .and_then(|made| now.duration_since(made.datetime()).ok())
                .is_some_and(|age| age > ORPHAN_GRACE);
            !pointed_at && old
        })
        .take(SWEEP_MAX)
        .cloned()
        .collect()
}

fn version_of(item: &Item) -> StoreResult<u64> {
    item.get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::Corrupt("a stored transfer has no version".into()))
}

/// What an update does with one payload.
struct PayloadPlan {
    keep: Option<PayloadRef>,
    write: Option<NewPayload>,
    /// The parts no longer pointed at once the update commits.
    stale: Option<PayloadRef>,
}

impl PayloadPlan {
    fn new(pk: &str, wanted: Option<&Payload>, stored: Option<PayloadRef>) -> Self {
        match (wanted, stored) {
            (Some(payload), Some(stored)) if payload_digest(payload.compressed()) == stored.sum => {
                Self {
                    keep: Some(stored),
                    write: None,
                    stale: None,
                }
            }
            (Some(payload), stored) => Self {
                keep: None,
                write: Some(split(pk, payload)),
                stale: stored,
            },
            (None, stored) => Self {
                keep: None,
                write: None,
                stale: stored,
            },
        }
    }

    fn pointer(&self) -> Option<&PayloadRef> {
        self.keep
            .as_ref()
            .or(self.write.as_ref().map(|w| &w.pointer))
    }
}

impl DynamoStore {
    pub(super) async fn create_transfer_item(&self, transfer: &Transfer) -> StoreResult<()> {
        let pk = transfer_pk(&transfer.tenant, &transfer.id);
        let source = transfer.source_payload.as_ref().map(|p| split(&pk, p));
        let target = transfer.target_payload.as_ref().map(|p| split(&pk, p));
        let new_parts: Vec<&NewPayload> = source.iter().chain(target.iter()).collect();
        // Parts first: a transfer that can be read always has its payloads.
        self.put_parts(&new_parts).await?;
        let write = fresh_key();
        let item = transfer_item(
            transfer,
            source.as_ref().map(|p| &p.pointer),
            target.as_ref().map(|p| &p.pointer),
            &write,
        )?;
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK);
        match self.put_transfer(request, &write).await {
            Put::Written => {
                self.known.remember(
                    &pk,
                    Known {
                        version: transfer.version,
                        source: source.map(|p| p.pointer),
                        target: target.map(|p| p.pointer),
                    },
                );
                Ok(())
            }
            Put::Refused(stored) => {
                self.remove_unreferenced(&pk, &new_parts, stored.as_ref())
                    .await;
                Err(StoreError::AlreadyExists)
            }
            // The item may have landed and point at the new parts: they
            // stay (swept later if it did not).
            Put::Unknown(error) => Err(error),
        }
    }

    pub(super) async fn read_transfer(
        &self,
        tenant: &TenantId,
        id: &TransferId,
    ) -> StoreResult<Option<Transfer>> {
        let pk = transfer_pk(tenant, id);
        // The transfer and its payload parts share a partition: one Query.
        let items = self.partition(&pk, None).await?;
        let mut by_sk: HashMap<String, Item> = items
            .into_iter()
            .filter_map(|item| Some((text(&item, SK)?.to_owned(), item)))
            .collect();
        let item = by_sk.remove(TRANSFER_SK);
        let (source, target) = match &item {
            Some(item) => (
                pointer(item, SOURCE_PAYLOAD)?,
                pointer(item, TARGET_PAYLOAD)?,
            ),
            None => (None, None),
        };
        // Every part of the partition is here: sweep the orphans among them
        // (see the module docs).
        let orphans = orphans(
            by_sk.keys(),
            [source.as_ref(), target.as_ref()],
            SystemTime::now(),
        );
        self.delete_sort_keys(&pk, orphans).await;
        let Some(item) = item else {
            return Ok(None);
        };
        let mut transfer: Transfer = parse(item, "a stored transfer")?;
        self.known.remember(
            &pk,
            Known {
                version: transfer.version,
                source: source.clone(),
                target: target.clone(),
            },
        );
        transfer.source_payload = source.map(|p| assemble(&mut by_sk, &p)).transpose()?;
        transfer.target_payload = target.map(|p| assemble(&mut by_sk, &p)).transpose()?;
        Ok(Some(transfer))
    }

    pub(super) async fn update_transfer_item(
        &self,
        transfer: &Transfer,
        expected_version: u64,
        usage: UsageDelta,
    ) -> StoreResult<()> {
        let pk = transfer_pk(&transfer.tenant, &transfer.id);
        // Where the stored version's payloads are, so that unchanged ones
        // are not written again: known if this store read or wrote that
        // version, else read (a stale version fails here already).
        let stored = match self.known.at_version(&pk, expected_version) {
            Some(known) => known,
            None => {
                let Some(current) = self.get(&pk, TRANSFER_SK).await? else {
                    return Err(StoreError::Conflict);
                };
                if version_of(&current)? != expected_version {
                    return Err(StoreError::Conflict);
                }
                Known {
                    version: expected_version,
                    source: pointer(&current, SOURCE_PAYLOAD)?,
                    target: pointer(&current, TARGET_PAYLOAD)?,
                }
            }
        };
        let source = PayloadPlan::new(&pk, transfer.source_payload.as_ref(), stored.source);
        let target = PayloadPlan::new(&pk, transfer.target_payload.as_ref(), stored.target);
        let new_parts: Vec<&NewPayload> = source.write.iter().chain(target.write.iter()).collect();
        self.put_parts(&new_parts).await?;

        let write = fresh_key();
        let item = transfer_item(transfer, source.pointer(), target.pointer(), &write)?;
        // New parts are under fresh keys, so whoever loses a race removes
        // only its own parts; the winner removes what it replaced.
        match self.compare_and_swap(item, expected_version, &write).await {
            Put::Written => {
                // Then the usage (see `usage.rs`), not in one transaction on
                // purpose: a transaction costs double for every item in it
                // (6 write units instead of 3 for a delivered order). Only
                // the winner of the put counts, once per call, however many
                // attempts the put took, so nothing is counted twice; a crash
                // between the two writes can leave one order uncounted, in
                // the merchant's favour.
                self.count_usage(transfer, usage).await;
                self.known.remember(
                    &pk,
                    Known {
                        version: transfer.version,
                        source: source.pointer().cloned(),
                        target: target.pointer().cloned(),
                    },
                );
                let stale: Vec<&PayloadRef> =
                    source.stale.iter().chain(target.stale.iter()).collect();
                self.delete_parts(&pk, &stale).await;
                Ok(())
            }
            Put::Refused(stored) => {
                self.remove_unreferenced(&pk, &new_parts, stored.as_ref())
                    .await;
                Err(StoreError::Conflict)
            }
            // The put may have landed: the new parts stay (it may point at
            // them) and so do the old ones (it may not have); the sweep
            // removes whichever ends up unreferenced. Usage is not counted:
            // at worst one order uncounted, never one counted twice.
            Put::Unknown(error) => Err(error),
        }
    }

    /// Replaces the transfer item if its version is still `expected`.
    async fn compare_and_swap(&self, item: Item, expected: u64, write: &str) -> Put {
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":expected", n(expected));
        self.put_transfer(request, write).await
    }

    /// Sends a conditional put of a transfer item written with id `write`.
    /// A failed condition returns the stored item (no extra read): if it
    /// holds our write id, an earlier attempt of this put landed and only
    /// its answer was lost, so the put is `Written`.
    async fn put_transfer(&self, request: PutItemFluentBuilder, write: &str) -> Put {
        let sent = request
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let error = match sent {
            Ok(_) => return Put::Written,
            Err(error) => error,
        };
        match error.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(refused)) => {
                let stored = refused.item().cloned();
                if stored.as_ref().and_then(|item| text(item, WRITE)) == Some(write) {
                    Put::Written
                } else {
                    Put::Refused(stored)
                }
            }
            _ => Put::Unknown(unavailable("PutItem (transfer)", error)),
        }
    }

    /// Removes the new parts that the `stored` item provably does not point
    /// at. Without a stored item, or with pointers that cannot be read,
    /// nothing is proven: they stay for the sweep.
    async fn remove_unreferenced(
        &self,
        pk: &str,
        new_parts: &[&NewPayload],
        stored: Option<&Item>,
    ) {
        let Some(stored) = stored else {
            return;
        };
        let (Ok(source), Ok(target)) = (
            pointer(stored, SOURCE_PAYLOAD),
            pointer(stored, TARGET_PAYLOAD),
        ) else {
            return;
        };
        let pointed_at = |key: &str| {
            [&source, &target]
                .into_iter()
                .flatten()
                .any(|p| p.key == key)
        };
        let unreferenced: Vec<&PayloadRef> = new_parts
            .iter()
            .map(|p| &p.pointer)
            .filter(|p| !pointed_at(&p.key))
            .collect();
        self.delete_parts(pk, &unreferenced).await;
    }

    async fn put_parts(&self, payloads: &[&NewPayload]) -> StoreResult<()> {
        let writes = payloads.iter().flat_map(|p| p.parts.iter()).map(|part| {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(part.clone()))
                .send()
        });
        for result in join_all(writes).await {
            result.map_err(|e| unavailable("PutItem (payload part)", e))?;
        }
        Ok(())
    }

    async fn delete_parts(&self, pk: &str, payloads: &[&PayloadRef]) {
        let sort_keys = payloads
            .iter()
            .flat_map(|p| (0..p.parts).map(move |i| payload_part_sk(&p.key, i)));
        self.delete_sort_keys(pk, sort_keys).await;
    }

    /// Best effort: a part left behind is never assembled (nothing points
    /// at it) and is swept later, so a failure here is logged, not returned.
    async fn delete_sort_keys(&self, pk: &str, sort_keys: impl IntoIterator<Item = String>) {
        let deletes = sort_keys.into_iter().map(|sk| {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key(PK, s(pk))
                .key(SK, s(sk))
                .send()
        });
        for result in join_all(deletes).await {
            if let Err(e) = result {
                tracing::warn!(
                    error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e),
                    "could not remove an unused payload part"
                );
            }
        }
    }

    pub(super) async fn list_transfer_items(
        &self,
        tenant: &TenantId,
        query: &TransferQuery,
    ) -> StoreResult<Page<Transfer>> {
        let limit = page_limit(query.limit);
        let mut upper = query.to.map(time_key);
        if let Some(cursor) = &query.cursor {
            let after = decode_cursor(cursor).ok_or_else(|| {
                StoreError::Corrupt(
                    "the page cursor is not valid: start again from the first page".into(),
                )
            })?;
            upper = Some(match upper {
                Some(to) if to < after => to,
                _ => after,
            });
        }
        let lower = query.from.map(time_key);
        let stream = |index, hash| {
            IndexStream::new(index, hash, RT)
                .below(upper.clone())
                .at_least(lower.clone())
                .page_size(limit + 1)
        };
        let streams: Vec<IndexStream> = match &query.reference {
            // A number is a webshop number or a target number: both indexes.
            Some(reference) => vec![
                stream(BY_SOURCE_REF, (SREF, reference_key(tenant, reference))),
                stream(BY_TARGET_REF, (TREF, reference_key(tenant, reference))),
            ],
            // Every transfer has one status: the tenant's whole log is its
            // status partitions merged.
            None => {
                let statuses: Vec<TransferStatus> = match query.status {
                    Some(status) => vec![status],
                    None => TransferStatus::ALL.to_vec(),
                };
                let connection = query
                    .connection
                    .as_ref()
                    .map(|c| (super::table::STATUS_INDEX_EXTRA, s(c.as_str())));
                statuses
                    .into_iter()
                    .map(|status| {
                        stream(BY_STATUS, (ST, status_key(tenant, status)))
                            .filter(connection.clone())
                    })
                    .collect()
            }
        };
        // A bounded read: a filter the index does not key (the connection)
        // may find little; the page then ends where the budget did.
        let mut merged = Merged::new(streams).within(TRANSFER_READ_BUDGET);

        let mut items: Vec<Transfer> = Vec::with_capacity(limit);
        let mut last_sort = String::new();
        loop {
            let batch = merged.next(self, (limit - items.len()).min(100)).await?;
            if batch.is_empty() {
                let next = merged.stopped_at().map(|sort| encode_cursor(&sort));
                return Ok(Page { items, next });
            }
            let keys: Vec<_> = batch.iter().map(|c| c.key.clone()).collect();
            let mut found = self.batch_get(&keys).await?;
            for candidate in batch {
                // Gone since the index was read: deleted.
                let Some(item) = found.remove(&candidate.key) else {
                    continue;
                };
                let transfer: Transfer = parse(item, "a stored transfer")?;
                // Indexes lag the table a little: check the item itself.
                if transfer.tenant == *tenant && wanted(&transfer, query) {
                    items.push(transfer);
                    last_sort = candidate.sort;
                }
            }
            if items.len() >= limit {
                items.truncate(limit);
                let more = !merged.next(self, 1).await?.is_empty() || merged.stopped_at().is_some();
                let next = more.then(|| encode_cursor(&last_sort));
                return Ok(Page { items, next });
            }
        }
    }
}

fn wanted(transfer: &Transfer, query: &TransferQuery) -> bool {
    query.status.is_none_or(|s| transfer.status == s)
        && query
            .connection
            .as_ref()
            .is_none_or(|c| &transfer.connection == c)
        && query
            .reference
            .as_ref()
            .is_none_or(|r| &transfer.source_ref == r || transfer.target_ref.as_ref() == Some(r))
        && query.from.is_none_or(|from| transfer.received_at >= from)
        && query.to.is_none_or(|to| transfer.received_at < to)
}

/// A payload from its parts (checked against its digest).
fn assemble(parts: &mut HashMap<String, Item>, pointer: &PayloadRef) -> StoreResult<Payload> {
    let mut bytes = Vec::new();
    for i in 0..pointer.parts {
        let part = parts
            .remove(&payload_part_sk(&pointer.key, i))
            .and_then(|mut item| item.remove(DATA))
            .and_then(|data| data.as_b().ok().map(|b| b.as_ref().to_vec()))
            .ok_or_else(|| StoreError::Corrupt("a payload part is missing".into()))?;
        bytes.extend_from_slice(&part);
    }
    if payload_digest(&bytes) != pointer.sum {
        return Err(StoreError::Corrupt(
            "a payload does not match its digest".into(),
        ));
    }
    Ok(Payload::from_compressed(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part_made(ago: Duration, now: SystemTime) -> (PayloadRef, String) {
        let key = ulid::Ulid::from_datetime(now - ago)
            .to_string()
            .to_lowercase();
        let sk = payload_part_sk(&key, 0);
        let pointer = PayloadRef {
            key,
            parts: 1,
            sum: String::new(),
        };
        (pointer, sk)
    }

    #[test]
    fn orphans_are_old_parts_no_pointer_names() {
        let now = SystemTime::now();
        let hours = |h: u64| Duration::from_secs(h * 3600);
        let (source, source_sk) = part_made(hours(48), now);
        let (_, old_orphan) = part_made(hours(2), now);
        let (_, young) = part_made(Duration::from_secs(60), now);
        let (_, from_the_future) = part_made(Duration::ZERO, now + hours(1));
        let sort_keys = [
            source_sk,
            old_orphan.clone(),
            young,
            from_the_future,
            TRANSFER_SK.to_owned(),
            "P#not-a-ulid#0000".to_owned(),
        ];
        assert_eq!(
            orphans(&sort_keys, [Some(&source), None], now),
            vec![old_orphan]
        );
    }

    #[test]
    fn a_sweep_is_bounded() {
        let now = SystemTime::now();
        let sort_keys: Vec<String> = (0..SWEEP_MAX + 10)
            .map(|_| part_made(Duration::from_secs(7200), now).1)
            .collect();
        assert_eq!(orphans(&sort_keys, [None, None], now).len(), SWEEP_MAX);
    }
}
