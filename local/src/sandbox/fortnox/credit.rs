//! Fortnox invoices after they were made: `PUT /3/invoices/{n}/credit`,
//! `PUT /3/invoices/{n}/cancel` and `PUT /3/invoices/{n}` (an update).
//!
//! - `/credit` works on a booked, uncancelled invoice that has no credit
//!   yet: it makes an unbooked credit invoice (`Credit: true`, every row's
//!   quantity and the freight and fee negated, the references copied — the
//!   worst case for a look-up by `ExternalInvoiceReference1`, which Fortnox
//!   may or may not do) and answers with the **original**, now carrying
//!   `CreditInvoiceReference`. A second `/credit` is refused.
//! - `/cancel` works on an unbooked invoice (`Cancelled: true`); a booked
//!   or cancelled one is refused.
//! - An update merges every field sent into the invoice (the text fields
//!   `ExternalInvoiceReference2`, `Comments`, `YourOrderNumber` too);
//!   `InvoiceRows` sent
//!   replace the rows (a row sent as just `{"RowId": n}` keeps that row).
//!   A booked or cancelled invoice is refused. Row ids are renumbered on
//!   every change, as Fortnox does.
//!
//! Fortnox publishes no error codes for these refusals: the codes below
//! are **invented by the sandbox** (Fortnox's shape, made-up numbers).
//! Lists show `Cancelled` as the invoice has it.

use super::{
    answer_body, bad_request, check_document, error, number as amount, subset, unwrap, Document,
    Kind, Shared, NOT_FOUND,
};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// Invented: the invoice is not booked, so it cannot be credited.
const NOT_BOOKED: u64 = 2_999_001;
/// Invented: the invoice has a credit invoice already.
const ALREADY_CREDITED: u64 = 2_999_002;
/// Invented: a booked invoice cannot be cancelled or changed.
const BOOKED: u64 = 2_999_003;
/// Invented: the invoice is cancelled.
const CANCELLED: u64 = 2_999_004;

fn flag(document: &Document, field: &str) -> bool {
    document.body.get(field).and_then(Value::as_bool) == Some(true)
}

fn credit_reference(document: &Document) -> Option<String> {
    match document.body.get("CreditInvoiceReference")? {
        Value::String(s) if !s.is_empty() && s != "0" => Some(s.clone()),
        Value::Number(n) if n.as_u64() != Some(0) => Some(n.to_string()),
        _ => None,
    }
}

/// A list item, with `Cancelled` as the invoice has it.
pub(super) fn listed(document: &Document) -> Value {
    let mut item = subset(document);
    item["Cancelled"] = json!(flag(document, "Cancelled"));
    item
}

/// Numbers the rows' `RowId`s afresh from `first`.
fn renumber_rows(body: &mut Value, first: u64) {
    if let Some(rows) = body.get_mut("InvoiceRows").and_then(Value::as_array_mut) {
        for (i, row) in rows.iter_mut().enumerate() {
            row["RowId"] = json!(first + i as u64);
        }
    }
}

fn not_found(number: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Invoice {number} was not found."),
        NOT_FOUND,
    )
}

fn invoice_answer(body: &Value) -> Response {
    Json(json!({ "Invoice": body })).into_response()
}

/// `PUT /3/invoices/{n}/credit`.
pub(super) async fn credit(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    let mut ledger = shared.ledger();
    let Some(position) = ledger
        .invoices
        .iter()
        .position(|d| d.document_number == number)
    else {
        return not_found(&number);
    };
    let original = ledger.invoices[position].clone();
    if flag(&original, "Cancelled") {
        return bad_request(format!("Invoice {number} is cancelled."), CANCELLED).into_response();
    }
    if !original.booked {
        return bad_request(
            format!("Invoice {number} is not booked and cannot be credited."),
            NOT_BOOKED,
        )
        .into_response();
    }
    if let Some(credit) = credit_reference(&original) {
        return bad_request(
            format!("Invoice {number} has already been credited by invoice {credit}."),
            ALREADY_CREDITED,
        )
        .into_response();
    }
    ledger.last_invoice += 1;
    let credit_number = ledger.last_invoice.to_string();
    let mut credit = original.clone();
    credit.document_number = credit_number.clone();
    credit.booked = false;
    for row in &mut credit.rows {
        row.quantity = -row.quantity;
        row.total = -row.total;
    }
    credit.freight = -credit.freight;
    credit.administration_fee = -credit.administration_fee;
    credit.net = -credit.net;
    credit.total_vat = -credit.total_vat;
    credit.total = -credit.total;
    let sent = match &original.body {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let mut body = answer_body(&credit, &sent, Kind::Invoice, &shared.base_url);
    body["Freight"] = amount(credit.freight);
    body["AdministrationFee"] = amount(credit.administration_fee);
    body["Credit"] = json!(true);
    body["CreditInvoiceReference"] = json!(number);
    renumber_rows(&mut body, ledger.requests * 1000);
    credit.body = body;
    ledger.invoices.push(credit);
    let original = &mut ledger.invoices[position];
    original.body["CreditInvoiceReference"] = json!(credit_number);
    invoice_answer(&original.body)
}

/// `PUT /3/invoices/{n}/cancel`.
pub(super) async fn cancel(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    let mut ledger = shared.ledger();
    let Some(invoice) = ledger
        .invoices
        .iter_mut()
        .find(|d| d.document_number == number)
    else {
        return not_found(&number);
    };
    if invoice.booked {
        return bad_request(
            format!("Invoice {number} is booked and cannot be cancelled; credit it instead."),
            BOOKED,
        )
        .into_response();
    }
    if flag(invoice, "Cancelled") {
        return bad_request(format!("Invoice {number} is already cancelled."), CANCELLED)
            .into_response();
    }
    invoice.body["Cancelled"] = json!(true);
    invoice_answer(&invoice.body)
}

/// `PUT /3/invoices/{n}`.
pub(super) async fn update(
    State(shared): State<Shared>,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    let sent = match unwrap(&body, "Invoice") {
        Ok(sent) => sent,
        Err(refusal) => return refusal.into_response(),
    };
    let mut ledger = shared.ledger();
    let Some(position) = ledger
        .invoices
        .iter()
        .position(|d| d.document_number == number)
    else {
        return not_found(&number);
    };
    let old = ledger.invoices[position].clone();
    if old.booked {
        return bad_request(
            format!("Invoice {number} is booked and cannot change."),
            BOOKED,
        )
        .into_response();
    }
    if flag(&old, "Cancelled") {
        return bad_request(format!("Invoice {number} is cancelled."), CANCELLED).into_response();
    }
    let mut merged = match &old.body {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let old_rows: Vec<Value> = merged
        .get("InvoiceRows")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (field, value) in sent {
        if field == "InvoiceRows" {
            // A row of just its RowId keeps that row as it was.
            let rows: Vec<Value> = value
                .as_array()
                .into_iter()
                .flatten()
                .map(|row| match row.as_object() {
                    Some(map) if map.len() == 1 && map.contains_key("RowId") => old_rows
                        .iter()
                        .find(|old| old.get("RowId") == map.get("RowId"))
                        .cloned()
                        .unwrap_or_else(|| row.clone()),
                    _ => row.clone(),
                })
                .collect();
            merged.insert(field, Value::Array(rows));
        } else {
            merged.insert(field, value);
        }
    }
    let mut document = match check_document(&merged, Kind::Invoice, &ledger, &shared.settings) {
        Ok(document) => document,
        Err(refusal) => return refusal.into_response(),
    };
    document.document_number = number;
    let mut body = answer_body(&document, &merged, Kind::Invoice, &shared.base_url);
    for kept in ["Credit", "CreditInvoiceReference", "Cancelled"] {
        if let Some(value) = old.body.get(kept) {
            body[kept] = value.clone();
        }
    }
    renumber_rows(&mut body, ledger.requests * 1000);
    document.body = body;
    ledger.invoices[position] = document;
    invoice_answer(&ledger.invoices[position].body)
}
