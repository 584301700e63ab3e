//! Transfers in the embedded store: the record, its payloads and its index
//! entries, always written in one transaction so lists never see a
//! half-written transfer.

use super::keys::{
    decode_cursor, encode_cursor, from_json, key, prefix, prefix_end, time_id, time_key, to_json,
    Table, BY_CONNECTION, BY_CONNECTION_STATUS, BY_REFERENCE, BY_STATUS, BY_TIME, PAYLOADS,
    TRANSFERS, USAGE,
};
use super::OrUnavailable;
use crate::model::{usage_periods, TenantId, Transfer, TransferId, Usage, UsageDelta};
use crate::store::{page_limit, Page, StoreError, StoreResult, TransferQuery};
use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableTable, TableHandle, WriteTransaction};

const SOURCE: &str = "source";
const TARGET: &str = "target";

pub fn create(tx: &WriteTransaction, transfer: &Transfer) -> StoreResult<()> {
    let record_key = key(&[transfer.tenant.as_str()], transfer.id.as_str());
    {
        let mut records = tx.open_table(TRANSFERS).or_unavailable()?;
        if records
            .get(record_key.as_slice())
            .or_unavailable()?
            .is_some()
        {
            return Err(StoreError::AlreadyExists);
        }
        let record = to_json(&without_payloads(transfer))?;
        records
            .insert(record_key.as_slice(), record.as_slice())
            .or_unavailable()?;
    }
    write_payloads(tx, transfer)?;
    for (table, entry) in index_entries(transfer) {
        insert_entry(tx, table, &entry, &transfer.id)?;
    }
    Ok(())
}

pub fn update(
    tx: &WriteTransaction,
    transfer: &Transfer,
    expected_version: u64,
    usage: UsageDelta,
) -> StoreResult<()> {
    let record_key = key(&[transfer.tenant.as_str()], transfer.id.as_str());
    let old: Transfer = {
        let mut records = tx.open_table(TRANSFERS).or_unavailable()?;
        let old: Transfer = match records.get(record_key.as_slice()).or_unavailable()? {
            Some(stored) => from_json(stored.value(), "a stored transfer")?,
            None => return Err(StoreError::Conflict),
        };
        if old.version != expected_version {
            return Err(StoreError::Conflict);
        }
        let record = to_json(&without_payloads(transfer))?;
        records
            .insert(record_key.as_slice(), record.as_slice())
            .or_unavailable()?;
        old
    };
    write_payloads(tx, transfer)?;

    let before = index_entries(&old);
    let after = index_entries(transfer);
    let same = |a: &(Table, Vec<u8>), b: &(Table, Vec<u8>)| a.0.name() == b.0.name() && a.1 == b.1;
    for entry in before.iter().filter(|e| !after.iter().any(|n| same(e, n))) {
        let mut table = tx.open_table(entry.0).or_unavailable()?;
        table.remove(entry.1.as_slice()).or_unavailable()?;
    }
    for entry in after.iter().filter(|e| !before.iter().any(|o| same(e, o))) {
        insert_entry(tx, entry.0, &entry.1, &transfer.id)?;
    }

    if usage != UsageDelta::default() {
        add_usage(tx, &transfer.tenant, transfer.updated_at, usage)?;
    }
    Ok(())
}

pub fn get(
    tx: &ReadTransaction,
    tenant: &TenantId,
    id: &TransferId,
) -> StoreResult<Option<Transfer>> {
    let records = tx.open_table(TRANSFERS).or_unavailable()?;
    let record_key = key(&[tenant.as_str()], id.as_str());
    let Some(stored) = records.get(record_key.as_slice()).or_unavailable()? else {
        return Ok(None);
    };
    let mut transfer: Transfer = from_json(stored.value(), "a stored transfer")?;
    let payloads = tx.open_table(PAYLOADS).or_unavailable()?;
    let read = |kind: &str| -> StoreResult<Option<crate::model::Payload>> {
        let payload_key = key(&[tenant.as_str(), id.as_str()], kind);
        Ok(payloads
            .get(payload_key.as_slice())
            .or_unavailable()?
            .map(|bytes| crate::model::Payload::from_compressed(bytes.value().to_vec())))
    };
    transfer.source_payload = read(SOURCE)?;
    transfer.target_payload = read(TARGET)?;
    Ok(Some(transfer))
}

/// One page of the log, read from the index that fits the filters: a status
/// and/or connection filter is an index of its own; a reference search reads
/// the reference index (a handful of entries) and filters those. Also answers
/// how many index entries were read, so tests can prove no list scans.
pub fn list(
    tx: &ReadTransaction,
    tenant: &TenantId,
    query: &TransferQuery,
) -> StoreResult<(Page<Transfer>, usize)> {
    let limit = page_limit(query.limit);
    let tenant_id = tenant.as_str();
    let (index, start, filter_after) = match (&query.reference, &query.connection, query.status) {
        (Some(reference), _, _) => (BY_REFERENCE, prefix(&[tenant_id, reference]), true),
        (None, Some(c), Some(s)) => (
            BY_CONNECTION_STATUS,
            prefix(&[tenant_id, c.as_str(), s.as_str()]),
            false,
        ),
        (None, Some(c), None) => (BY_CONNECTION, prefix(&[tenant_id, c.as_str()]), false),
        (None, None, Some(s)) => (BY_STATUS, prefix(&[tenant_id, s.as_str()]), false),
        (None, None, None) => (BY_TIME, prefix(&[tenant_id]), false),
    };
    let prefix_len = start.len();

    // received_at >= from; received_at < min(to, cursor).
    let lower = with_tail(&start, query.from.map(time_key).as_deref());
    let mut upper_tail = query.to.map(time_key);
    if let Some(cursor) = &query.cursor {
        let after = decode_cursor(cursor)?;
        upper_tail = Some(match upper_tail {
            Some(to) if to < after => to,
            _ => after,
        });
    }
    let upper = match &upper_tail {
        Some(tail) => with_tail(&start, Some(tail)),
        None => prefix_end(&start),
    };
    let empty = Page {
        items: Vec::new(),
        next: None,
    };
    if lower >= upper {
        return Ok((empty, 0));
    }

    let entries = tx.open_table(index).or_unavailable()?;
    let records = tx.open_table(TRANSFERS).or_unavailable()?;
    let mut items = Vec::with_capacity(limit);
    let mut last_tail = String::new();
    let mut more = false;
    let mut examined = 0;
    for entry in entries
        .range::<&[u8]>(lower.as_slice()..upper.as_slice())
        .or_unavailable()?
        .rev()
    {
        let (entry_key, id) = entry.or_unavailable()?;
        if items.len() == limit && !filter_after {
            more = true;
            break;
        }
        examined += 1;
        let record_key = key(&[tenant_id], utf8(id.value())?);
        let Some(stored) = records.get(record_key.as_slice()).or_unavailable()? else {
            return Err(StoreError::Corrupt(
                "the transfer index names a transfer that is not there".into(),
            ));
        };
        let transfer: Transfer = from_json(stored.value(), "a stored transfer")?;
        if filter_after && !matches(&transfer, query) {
            continue;
        }
        if items.len() == limit {
            more = true;
            break;
        }
        last_tail = utf8(&entry_key.value()[prefix_len..])?.to_owned();
        items.push(transfer);
    }
    let next = more.then(|| encode_cursor(&last_tail));
    Ok((Page { items, next }, examined))
}

/// The filters a reference search checks on the transfers it found.
fn matches(transfer: &Transfer, query: &TransferQuery) -> bool {
    query.status.is_none_or(|s| transfer.status == s)
        && query
            .connection
            .as_ref()
            .is_none_or(|c| &transfer.connection == c)
}

fn with_tail(start: &[u8], tail: Option<&str>) -> Vec<u8> {
    let mut bound = start.to_vec();
    if let Some(tail) = tail {
        bound.extend_from_slice(tail.as_bytes());
    }
    bound
}

fn utf8(bytes: &[u8]) -> StoreResult<&str> {
    std::str::from_utf8(bytes)
        .map_err(|_| StoreError::Corrupt("a transfer index key is not text".into()))
}

fn without_payloads(transfer: &Transfer) -> Transfer {
    Transfer {
        source_payload: None,
        target_payload: None,
        ..transfer.clone()
    }
}

/// The index entries of a transfer: by time, status, connection, connection
/// and status, and one per distinct reference (webshop and target number).
fn index_entries(transfer: &Transfer) -> Vec<(Table, Vec<u8>)> {
    let tenant = transfer.tenant.as_str();
    let status = transfer.status.as_str();
    let connection = transfer.connection.as_str();
    let tail = time_id(transfer.received_at, transfer.id.as_str());
    let mut entries = vec![
        (BY_TIME, key(&[tenant], &tail)),
        (BY_STATUS, key(&[tenant, status], &tail)),
        (BY_CONNECTION, key(&[tenant, connection], &tail)),
        (
            BY_CONNECTION_STATUS,
            key(&[tenant, connection, status], &tail),
        ),
    ];
    let mut references: Vec<&str> = Vec::new();
    if !transfer.source_ref.is_empty() {
        references.push(&transfer.source_ref);
    }
    if let Some(target) = transfer.target_ref.as_deref() {
        if !target.is_empty() && !references.contains(&target) {
            references.push(target);
        }
    }
    for reference in references {
        entries.push((BY_REFERENCE, key(&[tenant, reference], &tail)));
    }
    entries
}

fn insert_entry(
    tx: &WriteTransaction,
    table: Table,
    entry: &[u8],
    id: &TransferId,
) -> StoreResult<()> {
    let mut table = tx.open_table(table).or_unavailable()?;
    table
        .insert(entry, id.as_str().as_bytes())
        .or_unavailable()?;
    Ok(())
}

/// Stores each payload unless the same bytes are there already; removes a
/// payload the transfer no longer has.
fn write_payloads(tx: &WriteTransaction, transfer: &Transfer) -> StoreResult<()> {
    let mut payloads = tx.open_table(PAYLOADS).or_unavailable()?;
    let parts = [transfer.tenant.as_str(), transfer.id.as_str()];
    for (kind, payload) in [
        (SOURCE, &transfer.source_payload),
        (TARGET, &transfer.target_payload),
    ] {
        let payload_key = key(&parts, kind);
        match payload {
            Some(payload) => {
                let unchanged = payloads
                    .get(payload_key.as_slice())
                    .or_unavailable()?
                    .is_some_and(|stored| stored.value() == payload.compressed());
                if !unchanged {
                    payloads
                        .insert(payload_key.as_slice(), payload.compressed())
                        .or_unavailable()?;
                }
            }
            None => {
                payloads.remove(payload_key.as_slice()).or_unavailable()?;
            }
        }
    }
    Ok(())
}

/// Adds to the day's and the month's counters of `at`.
fn add_usage(
    tx: &WriteTransaction,
    tenant: &TenantId,
    at: DateTime<Utc>,
    delta: UsageDelta,
) -> StoreResult<()> {
    let mut table = tx.open_table(USAGE).or_unavailable()?;
    for period in usage_periods(at) {
        let usage_key = key(&[tenant.as_str(), &period], "");
        let mut usage: Usage = match table.get(usage_key.as_slice()).or_unavailable()? {
            Some(stored) => from_json(stored.value(), "stored usage")?,
            None => Usage {
                period: period.clone(),
                ..Usage::default()
            },
        };
        usage.orders = usage.orders.saturating_add(delta.orders);
        usage.products = usage.products.saturating_add(delta.products);
        usage.stock = usage.stock.saturating_add(delta.stock);
        usage.created = usage.created.saturating_add(delta.created);
        usage.updated = usage.updated.saturating_add(delta.updated);
        usage.errors = usage.errors.saturating_add(delta.errors);
        let encoded = to_json(&usage)?;
        table
            .insert(usage_key.as_slice(), encoded.as_slice())
            .or_unavailable()?;
    }
    Ok(())
}
