//! Transfers on DynamoDB: one small item per transfer (the log's fields and
//! index keys), its payloads as separate part items in the same partition,
//! written only when they change.

use super::errors::{corrupt, unavailable};
use super::keys::*;
use super::reads::{item_of, n, parse, s, text, IndexStream, Item, Merged};
use super::DynamoStore;
use crate::model::{Payload, TenantId, Transfer, TransferId, TransferStatus, UsageDelta};
use crate::store::{page_limit, Page, StoreError, StoreResult, TransferQuery};
use futures::future::join_all;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Payload bytes per part item: DynamoDB items hold at most 400 KB.
const PART_BYTES: usize = 350_000;

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
    let key = ulid::Ulid::new().to_string().to_lowercase();
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

/// The transfer's item: its fields without payloads, the index keys, and
/// the pointers to its payload parts.
fn transfer_item(
    transfer: &Transfer,
    source: Option<&PayloadRef>,
    target: Option<&PayloadRef>,
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
        let item = transfer_item(
            transfer,
            source.as_ref().map(|p| &p.pointer),
            target.as_ref().map(|p| &p.pointer),
        )?;
        let written = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match written {
            Ok(_) => {
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
            Err(error) => {
                let pointers: Vec<&PayloadRef> = new_parts.iter().map(|p| &p.pointer).collect();
                self.delete_parts(&pk, &pointers).await;
                let exists = error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception());
                Err(if exists {
                    StoreError::AlreadyExists
                } else {
                    unavailable("PutItem (transfer)", error)
                })
            }
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
        let Some(item) = by_sk.remove(TRANSFER_SK) else {
            return Ok(None);
        };
        let source = pointer(&item, SOURCE_PAYLOAD)?;
        let target = pointer(&item, TARGET_PAYLOAD)?;
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

        let item = transfer_item(transfer, source.pointer(), target.pointer())?;
        let committed = self
            .compare_and_swap(item, expected_version, transfer, usage)
            .await;
        if committed.is_ok() {
            self.known.remember(
                &pk,
                Known {
                    version: transfer.version,
                    source: source.pointer().cloned(),
                    target: target.pointer().cloned(),
                },
            );
        }
        // New parts are under fresh keys, so whoever loses a race removes
        // only its own parts; the winner removes what it replaced.
        let leftovers: Vec<&PayloadRef> = match &committed {
            Ok(()) => source.stale.iter().chain(target.stale.iter()).collect(),
            Err(_) => new_parts.iter().map(|p| &p.pointer).collect(),
        };
        self.delete_parts(&pk, &leftovers).await;
        committed
    }

    /// Replaces the transfer item if its version is still `expected`, then
    /// counts `usage` (see `usage.rs`). Not one transaction on
    /// purpose: a transaction costs double for every item in it (6 write
    /// units instead of 3 for a delivered order). Only the winner of the
    /// conditional put counts, so nothing is counted twice; a crash between
    /// the two writes can leave one order uncounted, in the merchant's favour.
    async fn compare_and_swap(
        &self,
        item: Item,
        expected: u64,
        transfer: &Transfer,
        usage: UsageDelta,
    ) -> StoreResult<()> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":expected", n(expected))
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                return Err(StoreError::Conflict)
            }
            Err(e) => return Err(unavailable("PutItem (transfer)", e)),
        }
        self.count_usage(transfer, usage).await;
        Ok(())
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

    /// Best effort: a part left behind is never read (nothing points at
    /// it), so a failure here is logged, not returned.
    async fn delete_parts(&self, pk: &str, payloads: &[&PayloadRef]) {
        let deletes = payloads
            .iter()
            .flat_map(|p| (0..p.parts).map(move |i| payload_part_sk(&p.key, i)))
            .map(|sk| {
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
        let mut merged = Merged::new(streams);

        let mut items: Vec<Transfer> = Vec::with_capacity(limit);
        let mut last_sort = String::new();
        loop {
            let batch = merged.next(self, (limit - items.len()).min(100)).await?;
            if batch.is_empty() {
                return Ok(Page { items, next: None });
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
                let more = !merged.next(self, 1).await?.is_empty();
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
