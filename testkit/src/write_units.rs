//! What DynamoDB would charge for the requests Ferry's store sends, worked
//! out from the requests and answers themselves: the emulator (moto) answers
//! a constant 1.0 for consumed capacity, so the `dynamo_writes` benchmark
//! counts with this model instead.
//!
//! The rules, from the DynamoDB developer guide ("DynamoDB item sizes and
//! formats", "DynamoDB read and write operations", "Global secondary
//! indexes: provisioned throughput considerations"):
//!
//! - An item's size is the sum over its attributes of the name's UTF-8
//!   length plus the value's size: a string its UTF-8 bytes, a number about
//!   one byte per two significant digits plus one, a binary its raw bytes,
//!   a boolean or null one byte, a list or map 3 bytes plus its elements
//!   plus 1 byte per element (a map element also counts its name).
//! - A write costs one unit per started KB (1,024 bytes) of the larger of
//!   the item before and after (PutItem, UpdateItem); a delete the size of
//!   the item deleted; at least one unit. A conditional write whose
//!   condition fails still costs the units of the item as it is (at least
//!   one) and writes no index.
//! - In TransactWriteItems every item costs twice (prepare and commit).
//! - Each global secondary index the write touches costs on its own: an
//!   entry that appears or disappears costs its projected size (one unit
//!   when small), one whose index key changes costs a delete plus a put,
//!   one whose projected attributes change costs one write, an untouched
//!   one nothing. Index writes are not doubled by a transaction.
//! - A read costs one unit per started 4 KB, half for an eventually
//!   consistent read, at least one (half): GetItem per item, BatchGetItem
//!   per item rounded separately, Query on the total of the items returned
//!   (items dropped by a filter are not seen here, so a filtered Query is
//!   counted low), TransactGetItems twice.
//!
//! [`Table`] keeps a copy of every item written (by key) so that an update
//! knows the item before it and which index entries it changes.

use base64::Engine;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::str::FromStr;

/// An item as DynamoDB's JSON protocol sends it: `{"name": {"S": "..."}}`.
pub type Item = Map<String, Value>;

pub const WRITE_UNIT_BYTES: usize = 1024;
pub const READ_UNIT_BYTES: usize = 4096;

/// The size of one attribute value (without its name).
pub fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    let text = |v: &Value| v.as_str().map_or(0, str::len);
    let list = || inner.as_array().map(Vec::as_slice).unwrap_or_default();
    match kind.as_str() {
        "S" => text(inner),
        "N" => inner.as_str().map_or(1, number_size),
        "B" => inner.as_str().map_or(0, binary_size),
        "BOOL" | "NULL" => 1,
        "SS" => list().iter().map(text).sum(),
        "NS" => list()
            .iter()
            .map(|n| n.as_str().map_or(1, number_size))
            .sum(),
        "BS" => list()
            .iter()
            .map(|b| b.as_str().map_or(0, binary_size))
            .sum(),
        "L" => 3 + list().iter().map(|v| value_size(v) + 1).sum::<usize>(),
        "M" => {
            3 + inner.as_object().map_or(0, |m| {
                m.iter().map(|(k, v)| k.len() + value_size(v) + 1).sum()
            })
        }
        _ => 0,
    }
}

/// About one byte per two significant digits, plus one.
fn number_size(number: &str) -> usize {
    let mantissa = number
        .split(['e', 'E'])
        .next()
        .unwrap_or_default()
        .trim_start_matches(['-', '+']);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.div_ceil(2) + 1
}

/// Binary values travel as base64; the raw length counts.
fn binary_size(base64: &str) -> usize {
    base64::engine::general_purpose::STANDARD
        .decode(base64)
        .map_or(base64.len() * 3 / 4, |raw| raw.len())
}

pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, v)| name.len() + value_size(v))
        .sum()
}

/// Write units for an item of this size: one per started KB, at least one.
pub fn write_units(bytes: usize) -> u64 {
    bytes.div_ceil(WRITE_UNIT_BYTES).max(1) as u64
}

/// Read units for this many bytes read: one per started 4 KB, at least
/// one; half of that when eventually consistent.
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    KeysOnly,
    Include(Vec<String>),
    All,
}

/// A global secondary index: its keys and what it projects.
#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub partition: String,
    pub sort: Option<String>,
    pub projection: Projection,
}

impl Index {
    pub fn new(name: &str, partition: &str, sort: Option<&str>, projection: Projection) -> Self {
        Self {
            name: name.to_owned(),
            partition: partition.to_owned(),
            sort: sort.map(str::to_owned),
            projection,
        }
    }
}

/// Ferry's table as `shared/src/store/dynamodb/mod.rs` documents it.
pub fn ferry_table() -> Table {
    Table::new(
        "PK",
        "SK",
        vec![
            Index::new(
                "by_status",
                "ST",
                Some("RT"),
                Projection::Include(vec!["connection".into()]),
            ),
            Index::new("by_source_ref", "SREF", Some("RT"), Projection::KeysOnly),
            Index::new("by_target_ref", "TREF", Some("RT"), Projection::KeysOnly),
            Index::new("by_due", "DUE", Some("DUE_AT"), Projection::KeysOnly),
        ],
    )
}

/// What kind of Ferry item a key names (the item table of the store's
/// module docs); "other" for a key that table does not list.
pub fn item_kind(pk: &str, sk: &str) -> &'static str {
    if pk == "TENANTS" {
        "tenant"
    } else if pk.ends_with("#LOG") {
        "log event"
    } else if pk.contains("#CAT#") {
        "catalogue fingerprint"
    } else if sk == "TR" {
        "transfer"
    } else if sk.starts_with("P#") {
        "payload part"
    } else if sk.starts_with("USE#") {
        "usage counter"
    } else if sk == "OWNER" {
        "connection owner"
    } else if sk == "SET" {
        "settings"
    } else if sk.starts_with("USR#") {
        "user"
    } else if sk.starts_with("SYS#") {
        "system"
    } else if sk.starts_with("CON#") {
        "connection"
    } else {
        "other"
    }
}

/// The units one item write costs.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemWrite {
    pub kind: &'static str,
    /// The item size the table write is charged for.
    pub bytes: usize,
    /// On the table (already doubled in a transaction).
    pub table_units: u64,
    /// Per index touched (only those that cost something).
    pub index_units: Vec<(String, u64)>,
    pub transactional: bool,
    /// The write's condition failed (or its transaction was cancelled):
    /// charged, but nothing changed.
    pub failed: bool,
}

impl ItemWrite {
    pub fn total(&self) -> u64 {
        self.table_units + self.index_units.iter().map(|(_, u)| u).sum::<u64>()
    }
}

/// What one request costs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Charge {
    pub writes: Vec<ItemWrite>,
    pub read_units: f64,
    /// Part of the request could not be modelled exactly (e.g. an update
    /// expression this model does not evaluate); the figure is an estimate.
    pub approximate: bool,
}

impl Charge {
    pub fn write_units(&self) -> u64 {
        self.writes.iter().map(ItemWrite::total).sum()
    }
}

/// A copy of the table's items, kept to charge each write against the item
/// it replaces.
#[derive(Debug, Clone)]
pub struct Table {
    partition: String,
    sort: String,
    indexes: Vec<Index>,
    items: HashMap<(String, String), Item>,
}

/// One write inside a request, normalised.
enum Write<'a> {
    Put(&'a Item),
    Delete(&'a Item),
    Update(&'a Value),
    Check(&'a Item),
}

impl Table {
    pub fn new(partition: &str, sort: &str, indexes: Vec<Index>) -> Self {
        Self {
            partition: partition.to_owned(),
            sort: sort.to_owned(),
            indexes,
            items: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Charges one request (`operation` as in `X-Amz-Target`, e.g.
    /// `PutItem`) given its JSON body and the answer; a write that
    /// succeeded (`status` 2xx) is applied to the copy.
    pub fn charge(
        &mut self,
        operation: &str,
        request: &Value,
        status: u16,
        response: &Value,
    ) -> Charge {
        let ok = (200..300).contains(&status);
        let mut charge = Charge::default();
        let empty = Map::new();
        match operation {
            "PutItem" => {
                if let Some(item) = object(request, "Item") {
                    self.write(&Write::Put(item), ok, false, &mut charge);
                }
            }
            "DeleteItem" => {
                if let Some(key) = object(request, "Key") {
                    self.write(&Write::Delete(key), ok, false, &mut charge);
                }
            }
            "UpdateItem" => self.write(&Write::Update(request), ok, false, &mut charge),
            "BatchWriteItem" => {
                let tables = object(request, "RequestItems").unwrap_or(&empty);
                for requests in tables.values().filter_map(Value::as_array) {
                    for entry in requests {
                        if let Some(item) =
                            entry.pointer("/PutRequest/Item").and_then(Value::as_object)
                        {
                            self.write(&Write::Put(item), ok, false, &mut charge);
                        } else if let Some(key) = entry
                            .pointer("/DeleteRequest/Key")
                            .and_then(Value::as_object)
                        {
                            self.write(&Write::Delete(key), ok, false, &mut charge);
                        }
                    }
                }
            }
            "TransactWriteItems" => {
                let entries = request.get("TransactItems").and_then(Value::as_array);
                for entry in entries.map(Vec::as_slice).unwrap_or_default() {
                    let at = |path: &str| entry.pointer(path).and_then(Value::as_object);
                    let write = if let Some(item) = at("/Put/Item") {
                        Write::Put(item)
                    } else if let Some(key) = at("/Delete/Key") {
                        Write::Delete(key)
                    } else if let Some(update) = entry.get("Update") {
                        Write::Update(update)
                    } else if let Some(key) = at("/ConditionCheck/Key") {
                        Write::Check(key)
                    } else {
                        continue;
                    };
                    self.write(&write, ok, true, &mut charge);
                }
            }
            "GetItem" => {
                let size = object(response, "Item").map_or(0, item_size);
                charge.read_units = read_units(size, consistent(request));
            }
            "Query" | "Scan" => {
                let items = response.get("Items").and_then(Value::as_array);
                let size = items
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Value::as_object)
                    .map(item_size)
                    .sum();
                charge.read_units = read_units(size, consistent(request));
            }
            "BatchGetItem" => {
                let tables = object(response, "Responses").unwrap_or(&empty);
                for (table, items) in tables {
                    let consistent = request
                        .pointer(&format!("/RequestItems/{}", escape_pointer(table)))
                        .is_some_and(consistent);
                    for item in items.as_array().map(Vec::as_slice).unwrap_or_default() {
                        let size = item.as_object().map_or(0, item_size);
                        charge.read_units += read_units(size, consistent);
                    }
                }
            }
            "TransactGetItems" => {
                let answers = response.get("Responses").and_then(Value::as_array);
                for answer in answers.map(Vec::as_slice).unwrap_or_default() {
                    let size = object(answer, "Item").map_or(0, item_size);
                    charge.read_units += 2.0 * read_units(size, true);
                }
            }
            _ => {}
        }
        charge
    }

    fn key_of(&self, item: &Item) -> Option<(String, String)> {
        let text = |name: &str| {
            item.get(name)
                .and_then(|v| v.get("S").or_else(|| v.get("N")))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Some((text(&self.partition)?, text(&self.sort)?))
    }

    fn write(&mut self, write: &Write<'_>, ok: bool, transactional: bool, charge: &mut Charge) {
        let key_item = match write {
            Write::Put(item) | Write::Delete(item) | Write::Check(item) => Some(*item),
            Write::Update(update) => update.get("Key").and_then(Value::as_object),
        };
        let Some(key) = key_item.and_then(|item| self.key_of(item)) else {
            charge.approximate = true;
            return;
        };
        let old = self.items.get(&key).cloned();
        let new: Option<Item> = match write {
            Write::Put(item) => Some((*item).clone()),
            Write::Delete(_) => None,
            Write::Check(_) => old.clone(),
            Write::Update(update) => {
                let mut base = old
                    .clone()
                    .unwrap_or_else(|| key_item.cloned().unwrap_or_default());
                if apply_update(&mut base, update).is_err() {
                    charge.approximate = true;
                }
                Some(base)
            }
        };
        let old_size = old.as_ref().map_or(0, item_size);
        let new_size = new.as_ref().map_or(0, item_size);
        let double = if transactional { 2 } else { 1 };
        let kind = item_kind(&key.0, &key.1);
        if !ok {
            charge.writes.push(ItemWrite {
                kind,
                bytes: old_size,
                table_units: double * write_units(old_size),
                index_units: Vec::new(),
                transactional,
                failed: true,
            });
            return;
        }
        let size = match write {
            Write::Delete(_) | Write::Check(_) => old_size,
            _ => old_size.max(new_size),
        };
        let index_units = self
            .indexes
            .iter()
            .filter_map(|index| {
                let units = self.index_units(index, old.as_ref(), new.as_ref());
                (units > 0).then(|| (index.name.clone(), units))
            })
            .collect();
        charge.writes.push(ItemWrite {
            kind,
            bytes: size,
            table_units: double * write_units(size),
            index_units,
            transactional,
            failed: false,
        });
        match new {
            Some(item) => {
                self.items.insert(key, item);
            }
            None => {
                self.items.remove(&key);
            }
        }
    }

    /// The entry an item has in an index, if any: table keys, index keys
    /// and the projected attributes.
    fn entry(&self, index: &Index, item: &Item) -> Option<Item> {
        item.get(&index.partition)?;
        if let Some(sort) = &index.sort {
            item.get(sort)?;
        }
        let mut entry = Item::new();
        let mut take = |name: &str| {
            if let Some(v) = item.get(name) {
                entry.insert(name.to_owned(), v.clone());
            }
        };
        take(&self.partition);
        take(&self.sort);
        take(&index.partition);
        if let Some(sort) = &index.sort {
            take(sort);
        }
        match &index.projection {
            Projection::KeysOnly => {}
            Projection::Include(names) => names.iter().for_each(|n| take(n)),
            Projection::All => return Some(item.clone()),
        }
        Some(entry)
    }

    fn index_units(&self, index: &Index, old: Option<&Item>, new: Option<&Item>) -> u64 {
        let old = old.and_then(|item| self.entry(index, item));
        let new = new.and_then(|item| self.entry(index, item));
        match (old, new) {
            (None, None) => 0,
            (Some(entry), None) | (None, Some(entry)) => write_units(item_size(&entry)),
            (Some(old), Some(new)) => {
                let key = |e: &Item| {
                    (
                        e.get(&index.partition).cloned(),
                        index.sort.as_ref().and_then(|s| e.get(s).cloned()),
                    )
                };
                if key(&old) != key(&new) {
                    write_units(item_size(&old)) + write_units(item_size(&new))
                } else if old != new {
                    write_units(item_size(&old).max(item_size(&new)))
                } else {
                    0
                }
            }
        }
    }
}

fn object<'a>(value: &'a Value, field: &str) -> Option<&'a Item> {
    value.get(field).and_then(Value::as_object)
}

fn consistent(request: &Value) -> bool {
    request
        .get("ConsistentRead")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// An update expression this model does not evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// Applies an UpdateItem's `UpdateExpression` (SET, REMOVE, ADD, DELETE on
/// top-level attributes; `if_not_exists`, `list_append`, `+`, `-`) to
/// `item`. On an expression it cannot evaluate it still sets every value
/// named in it, so that sizes stay about right, and says so.
pub fn apply_update(item: &mut Item, update: &Value) -> Result<(), Unsupported> {
    let empty = Map::new();
    let expression = update
        .get("UpdateExpression")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let names = update
        .get("ExpressionAttributeNames")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let values = update
        .get("ExpressionAttributeValues")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let context = Expr { names, values };
    let mut failed = None;
    for (clause, actions) in clauses(expression) {
        for action in split_top(&actions, ',') {
            if let Err(e) = context.apply(item, &clause, action.trim()) {
                failed.get_or_insert(e);
            }
        }
    }
    match failed {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

/// The expression's clauses: (keyword upper-cased, its actions).
fn clauses(expression: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for word in expression.split_whitespace() {
        let upper = word.to_ascii_uppercase();
        if matches!(upper.as_str(), "SET" | "REMOVE" | "ADD" | "DELETE") {
            out.push((upper, String::new()));
        } else if let Some((_, actions)) = out.last_mut() {
            actions.push(' ');
            actions.push_str(word);
        }
    }
    out
}

/// Splits on `separator` outside parentheses.
fn split_top(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if c == separator && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

struct Expr<'a> {
    names: &'a Item,
    values: &'a Item,
}

impl Expr<'_> {
    fn apply(&self, item: &mut Item, clause: &str, action: &str) -> Result<(), Unsupported> {
        let unsupported = || Unsupported(format!("{clause} {action}"));
        match clause {
            "SET" => {
                let (path, value) = action.split_once('=').ok_or_else(unsupported)?;
                let name = self.name(path.trim()).ok_or_else(unsupported)?;
                match self.value(item, value.trim()) {
                    Some(v) => {
                        item.insert(name, v);
                        Ok(())
                    }
                    None => {
                        // Keep sizes about right: set the first value named.
                        if let Some(v) = action
                            .split(|c: char| !(c.is_alphanumeric() || c == ':' || c == '_'))
                            .find_map(|t| self.values.get(t))
                        {
                            item.insert(name, v.clone());
                        }
                        Err(unsupported())
                    }
                }
            }
            "REMOVE" => {
                let name = self.name(action).ok_or_else(unsupported)?;
                item.remove(&name);
                Ok(())
            }
            "ADD" | "DELETE" => {
                let mut words = action.split_whitespace();
                let (Some(path), Some(value), None) = (words.next(), words.next(), words.next())
                else {
                    return Err(unsupported());
                };
                let name = self.name(path).ok_or_else(unsupported)?;
                let operand = self.values.get(value).ok_or_else(unsupported)?;
                let current = item.get(&name);
                let result = if clause == "ADD" {
                    add(current, operand)
                } else {
                    current.and_then(|c| remove_from_set(c, operand))
                };
                match result {
                    Some(v) => {
                        item.insert(name, v);
                        Ok(())
                    }
                    None if clause == "DELETE" => {
                        item.remove(&name);
                        Ok(())
                    }
                    None => Err(unsupported()),
                }
            }
            _ => Err(unsupported()),
        }
    }

    /// A top-level attribute name (`#n` or a bare name); `None` for a
    /// nested path.
    fn name(&self, path: &str) -> Option<String> {
        if path.contains(['.', '[']) || path.is_empty() {
            return None;
        }
        match path.strip_prefix('#') {
            Some(_) => self.names.get(path)?.as_str().map(str::to_owned),
            None => Some(path.to_owned()),
        }
    }

    /// A SET value: an operand, or two joined by `+` / `-`.
    fn value(&self, item: &Item, text: &str) -> Option<Value> {
        let plus = split_top(text, '+');
        if plus.len() == 2 {
            return numeric(
                self.operand(item, plus[0])?,
                self.operand(item, plus[1])?,
                1,
            );
        }
        let minus = split_top(text, '-');
        if minus.len() == 2 {
            return numeric(
                self.operand(item, minus[0])?,
                self.operand(item, minus[1])?,
                -1,
            );
        }
        self.operand(item, text)
    }

    fn operand(&self, item: &Item, text: &str) -> Option<Value> {
        let text = text.trim();
        if text.starts_with(':') {
            return self.values.get(text).cloned();
        }
        if let Some((function, rest)) = text.split_once('(') {
            let arguments = split_top(rest.strip_suffix(')')?, ',');
            let [first, second] = arguments.as_slice() else {
                return None;
            };
            return match function.trim() {
                "if_not_exists" => {
                    let name = self.name(first.trim())?;
                    item.get(&name)
                        .cloned()
                        .or_else(|| self.operand(item, second))
                }
                "list_append" => {
                    let a = self.operand(item, first)?;
                    let b = self.operand(item, second)?;
                    let mut list = a.get("L")?.as_array()?.clone();
                    list.extend(b.get("L")?.as_array()?.iter().cloned());
                    Some(serde_json::json!({ "L": list }))
                }
                _ => None,
            };
        }
        item.get(&self.name(text)?).cloned()
    }
}

fn decimal(value: &Value) -> Option<Decimal> {
    Decimal::from_str(value.get("N")?.as_str()?).ok()
}

fn number(value: Decimal) -> Value {
    serde_json::json!({ "N": value.normalize().to_string() })
}

fn numeric(a: Value, b: Value, sign: i64) -> Option<Value> {
    Some(number(decimal(&a)? + Decimal::from(sign) * decimal(&b)?))
}

/// ADD: a number adds (to 0 when absent), a set joins.
fn add(current: Option<&Value>, operand: &Value) -> Option<Value> {
    if operand.get("N").is_some() {
        let base = current.map_or(Some(Decimal::ZERO), decimal)?;
        return Some(number(base + decimal(operand)?));
    }
    let (kind, extra) = operand.as_object()?.iter().next()?;
    let mut set: Vec<Value> = match current {
        Some(c) => c.get(kind)?.as_array()?.clone(),
        None => Vec::new(),
    };
    for v in extra.as_array()? {
        if !set.contains(v) {
            set.push(v.clone());
        }
    }
    Some(serde_json::json!({ kind.clone(): set }))
}

/// DELETE on a set; `None` when the set ends empty (DynamoDB removes it).
fn remove_from_set(current: &Value, operand: &Value) -> Option<Value> {
    let (kind, gone) = operand.as_object()?.iter().next()?;
    let gone = gone.as_array()?;
    let left: Vec<Value> = current
        .get(kind)?
        .as_array()?
        .iter()
        .filter(|v| !gone.contains(v))
        .cloned()
        .collect();
    (!left.is_empty()).then(|| serde_json::json!({ kind.clone(): left }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(value: Value) -> Item {
        value.as_object().unwrap().clone()
    }

    fn string_of(len: usize) -> String {
        "x".repeat(len)
    }

    #[test]
    fn sizes_follow_the_documented_rules() {
        // Name length plus value: "name" (4) + "hello" (5).
        assert_eq!(item_size(&item(json!({"name": {"S": "hello"}}))), 9);
        // UTF-8 bytes, not characters: "ø" is two bytes.
        assert_eq!(value_size(&json!({"S": "ø"})), 2);
        // Numbers: one byte per two significant digits, plus one.
        assert_eq!(value_size(&json!({"N": "7"})), 2);
        assert_eq!(value_size(&json!({"N": "12345"})), 4);
        assert_eq!(
            value_size(&json!({"N": "1000"})),
            2,
            "trailing zeros trimmed"
        );
        assert_eq!(
            value_size(&json!({"N": "-0.0012"})),
            2,
            "leading zeros trimmed"
        );
        // Binary: the raw bytes, not the base64 text ("AAEC" is 3 bytes).
        assert_eq!(value_size(&json!({"B": "AAEC"})), 3);
        assert_eq!(value_size(&json!({"BOOL": true})), 1);
        assert_eq!(value_size(&json!({"NULL": true})), 1);
        // Map: 3 + per element (name + value + 1).
        assert_eq!(value_size(&json!({"M": {}})), 3);
        assert_eq!(value_size(&json!({"M": {"k": {"S": "ab"}}})), 3 + 1 + 2 + 1);
        // List: 3 + per element (value + 1).
        assert_eq!(
            value_size(&json!({"L": [{"S": "ab"}, {"N": "1"}]})),
            3 + 3 + 3
        );
        assert_eq!(value_size(&json!({"SS": ["ab", "c"]})), 3);
    }

    #[test]
    fn units_round_up_per_kb_and_per_4_kb() {
        assert_eq!(write_units(0), 1);
        assert_eq!(write_units(1024), 1);
        assert_eq!(write_units(1025), 2);
        assert_eq!(read_units(0, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(100, false), 0.5);
    }

    fn put(pk: &str, sk: &str, extra: Value) -> Value {
        let mut item = item(json!({"PK": {"S": pk}, "SK": {"S": sk}}));
        item.extend(extra.as_object().unwrap().clone());
        json!({"TableName": "t", "Item": item})
    }

    fn units(charge: &Charge, index: &str) -> u64 {
        charge
            .writes
            .iter()
            .flat_map(|w| &w.index_units)
            .filter(|(n, _)| n == index)
            .map(|(_, u)| u)
            .sum()
    }

    #[test]
    fn a_new_transfer_writes_the_table_and_the_indexes_it_appears_in() {
        let mut table = ferry_table();
        let charge = table.charge(
            "PutItem",
            &put(
                "T#t#TR#a",
                "TR",
                json!({"ST": {"S": "T#t#pending"}, "RT": {"S": "r1"}, "SREF": {"S": "T#t#1001"},
                       "connection": {"S": "con_1"}, "order": {"S": string_of(1500)}}),
            ),
            200,
            &json!({}),
        );
        assert_eq!(charge.writes.len(), 1);
        let write = &charge.writes[0];
        assert_eq!(write.kind, "transfer");
        assert_eq!(write.table_units, 2, "about 1.5 KB: two units");
        assert!((1500..1600).contains(&write.bytes), "{}", write.bytes);
        assert_eq!(units(&charge, "by_status"), 1);
        assert_eq!(units(&charge, "by_source_ref"), 1);
        assert_eq!(
            units(&charge, "by_target_ref"),
            0,
            "no TREF: not in that index"
        );
        assert_eq!(charge.write_units(), 4);
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn index_key_changes_cost_two_projection_changes_one_and_nothing_else_costs() {
        let mut table = ferry_table();
        let base = json!({"ST": {"S": "T#t#pending"}, "RT": {"S": "r1"}, "connection": {"S": "c1"},
                          "attempts": {"N": "0"}});
        table.charge(
            "PutItem",
            &put("T#t#TR#a", "TR", base.clone()),
            200,
            &json!({}),
        );

        // Only a non-projected attribute changes: the index is untouched.
        let mut attempts = base.clone();
        attempts["attempts"] = json!({"N": "1"});
        let charge = table.charge(
            "PutItem",
            &put("T#t#TR#a", "TR", attempts.clone()),
            200,
            &json!({}),
        );
        assert_eq!(charge.write_units(), 1);

        // The projected `connection` changes: one index write.
        let mut moved = attempts.clone();
        moved["connection"] = json!({"S": "c2"});
        let charge = table.charge(
            "PutItem",
            &put("T#t#TR#a", "TR", moved.clone()),
            200,
            &json!({}),
        );
        assert_eq!(units(&charge, "by_status"), 1);

        // The status (index key) changes: delete + put.
        let mut delivered = moved.clone();
        delivered["ST"] = json!({"S": "T#t#delivered"});
        delivered["TREF"] = json!({"S": "T#t#INV-1"});
        let charge = table.charge(
            "PutItem",
            &put("T#t#TR#a", "TR", delivered),
            200,
            &json!({}),
        );
        assert_eq!(units(&charge, "by_status"), 2);
        assert_eq!(units(&charge, "by_target_ref"), 1, "appears");
        assert_eq!(charge.write_units(), 1 + 2 + 1);

        // A delete removes the entries it had.
        let charge = table.charge(
            "DeleteItem",
            &json!({"Key": {"PK": {"S": "T#t#TR#a"}, "SK": {"S": "TR"}}}),
            200,
            &json!({}),
        );
        assert_eq!(units(&charge, "by_status"), 1);
        assert_eq!(units(&charge, "by_target_ref"), 1);
        assert!(table.is_empty());
    }

    #[test]
    fn a_write_is_charged_for_the_larger_of_before_and_after() {
        let mut table = ferry_table();
        table.charge(
            "PutItem",
            &put("T#t", "SYS#a", json!({"blob": {"S": string_of(3000)}})),
            200,
            &json!({}),
        );
        let charge = table.charge("PutItem", &put("T#t", "SYS#a", json!({})), 200, &json!({}));
        assert_eq!(charge.write_units(), 3, "the old item was about 3 KB");
    }

    #[test]
    fn a_failed_condition_costs_the_item_and_changes_nothing() {
        let mut table = ferry_table();
        let request = put(
            "T#t#TR#a",
            "TR",
            json!({"ST": {"S": "T#t#pending"}, "RT": {"S": "r"}}),
        );
        table.charge("PutItem", &request, 200, &json!({}));
        let charge = table.charge(
            "PutItem",
            &put(
                "T#t#TR#a",
                "TR",
                json!({"ST": {"S": "T#t#failed"}, "RT": {"S": "r"}}),
            ),
            400,
            &json!({"__type": "ConditionalCheckFailedException"}),
        );
        assert_eq!(charge.write_units(), 1);
        assert!(charge.writes[0].failed);
        // The copy still holds the pending item: the next put moves the
        // status entry from pending, not from failed.
        let charge = table.charge("PutItem", &request, 200, &json!({}));
        assert_eq!(charge.write_units(), 1, "same item again: no index write");
    }

    #[test]
    fn a_transaction_doubles_each_item_but_not_its_index_writes() {
        let mut table = ferry_table();
        let usage = |day: &str| {
            json!({"Update": {
                "TableName": "t",
                "Key": {"PK": {"S": "T#t"}, "SK": {"S": format!("USE#{day}")}},
                "UpdateExpression": "SET #period = :period ADD #orders :orders, #errors :errors",
                "ExpressionAttributeNames": {"#period": "period", "#orders": "orders", "#errors": "errors"},
                "ExpressionAttributeValues": {":period": {"S": day}, ":orders": {"N": "1"}, ":errors": {"N": "0"}}
            }})
        };
        let request = json!({"TransactItems": [
            {"Put": put("T#t#TR#a", "TR", json!({"ST": {"S": "T#t#delivered"}, "RT": {"S": "r"}}))},
            usage("2026-11-23"),
            usage("2026-11"),
        ]});
        let charge = table.charge("TransactWriteItems", &request, 200, &json!({}));
        let kinds: Vec<_> = charge
            .writes
            .iter()
            .map(|w| (w.kind, w.table_units))
            .collect();
        assert_eq!(
            kinds,
            vec![("transfer", 2), ("usage counter", 2), ("usage counter", 2)]
        );
        assert_eq!(
            units(&charge, "by_status"),
            1,
            "index writes are not doubled"
        );
        assert_eq!(charge.write_units(), 7);

        // The counters were added up in the copy.
        table.charge("TransactWriteItems", &request, 200, &json!({}));
        let day = &table.items[&("T#t".to_owned(), "USE#2026-11-23".to_owned())];
        assert_eq!(day["orders"], json!({"N": "2"}));
        assert_eq!(day["period"], json!({"S": "2026-11-23"}));
    }

    #[test]
    fn update_expressions_evaluate_set_remove_add_and_functions() {
        let mut item =
            item(json!({"a": {"N": "5"}, "gone": {"S": "x"}, "tags": {"SS": ["x", "y"]}}));
        let update = json!({
            "UpdateExpression": "SET #a = #a + :one, b = if_not_exists(b, :zero), l = list_append(if_not_exists(l, :empty), :more) REMOVE gone ADD c :one DELETE tags :x",
            "ExpressionAttributeNames": {"#a": "a"},
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":zero": {"N": "0"},
                ":empty": {"L": []}, ":more": {"L": [{"S": "m"}]}, ":x": {"SS": ["x"]}}
        });
        assert_eq!(apply_update(&mut item, &update), Ok(()));
        assert_eq!(item["a"], json!({"N": "6"}));
        assert_eq!(item["b"], json!({"N": "0"}));
        assert_eq!(item["c"], json!({"N": "1"}));
        assert_eq!(item["l"], json!({"L": [{"S": "m"}]}));
        assert_eq!(item["tags"], json!({"SS": ["y"]}));
        assert!(!item.contains_key("gone"));

        let nested = json!({"UpdateExpression": "SET a.b = :v",
                            "ExpressionAttributeValues": {":v": {"S": "x"}}});
        assert!(apply_update(&mut item, &nested).is_err());
    }

    #[test]
    fn reads_are_charged_per_4_kb_and_halved_when_eventually_consistent() {
        let mut table = ferry_table();
        let big = json!({"PK": {"S": "p"}, "SK": {"S": "s"}, "d": {"S": string_of(5000)}});
        let small = json!({"PK": {"S": "p"}, "SK": {"S": "t"}});
        let get = table.charge(
            "GetItem",
            &json!({"ConsistentRead": true}),
            200,
            &json!({"Item": big}),
        );
        assert_eq!(get.read_units, 2.0);
        let missing = table.charge("GetItem", &json!({}), 200, &json!({}));
        assert_eq!(missing.read_units, 0.5, "a miss still costs");
        // A Query adds the items up before rounding.
        let query = table.charge(
            "Query",
            &json!({"ConsistentRead": true}),
            200,
            &json!({"Items": [small, small, small]}),
        );
        assert_eq!(query.read_units, 1.0);
        // A batch rounds each item.
        let batch = table.charge(
            "BatchGetItem",
            &json!({"RequestItems": {"ferry": {"ConsistentRead": true, "Keys": []}}}),
            200,
            &json!({"Responses": {"ferry": [big, small]}}),
        );
        assert_eq!(batch.read_units, 3.0);
        assert_eq!(get.write_units() + query.write_units(), 0);
    }

    #[test]
    fn item_kinds_follow_the_store_layout() {
        assert_eq!(item_kind("T#t#TR#x", "TR"), "transfer");
        assert_eq!(item_kind("T#t#TR#x", "P#k#0000"), "payload part");
        assert_eq!(item_kind("T#t", "USE#2026-11"), "usage counter");
        assert_eq!(item_kind("T#t#LOG", "2026#e"), "log event");
        assert_eq!(item_kind("CON#c", "OWNER"), "connection owner");
        assert_eq!(item_kind("T#t", "CON#c"), "connection");
        assert_eq!(item_kind("T#t", "ZZZ"), "other");
    }
}
