//! Draft invoices changed after they were made, as e-conomic allows:
//! `PUT /invoices/drafts/{n}` replaces the whole draft (validated like a new
//! one; it keeps its number), `DELETE /invoices/drafts/{n}` removes it and
//! answers with e-conomic's JSON status (`deletedCount`, `deletedItems`).
//! A draft that is gone (deleted, or booked meanwhile) answers 404 to both,
//! so a repeated delete is a 404 too (e-conomic documents this for draft
//! orders; for invoices it is the sandbox's assumption).
//!
//! Credit notes need nothing new: a draft with negative quantities is
//! accepted and booked like any other, with a negative `grossAmount`.

use super::rules::{check_document, parse_body};
use super::{answer_body, error, Book, Shared};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

fn gone(number: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Draft invoice {number} not found."),
        "The draft may have been booked or deleted.",
    )
}

/// `PUT /invoices/drafts/{n}`.
pub(super) async fn replace(
    State(shared): State<Shared>,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let mut ledger = shared.ledger();
    let Some(position) = ledger
        .drafts
        .iter()
        .position(|d| d.number.to_string() == number)
    else {
        return gone(&number);
    };
    let mut document = match check_document(&body, &ledger, &shared.settings) {
        Ok(document) => document,
        Err(problems) => return problems.into_response(),
    };
    document.number = ledger.drafts[position].number;
    document.body = answer_body(&document, Book::Drafts, &shared.base_url);
    let answer = document.body.clone();
    ledger.drafts[position] = document;
    Json(answer).into_response()
}

/// `DELETE /invoices/drafts/{n}`.
pub(super) async fn delete(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    let mut ledger = shared.ledger();
    let Some(position) = ledger
        .drafts
        .iter()
        .position(|d| d.number.to_string() == number)
    else {
        return gone(&number);
    };
    let draft = ledger.drafts.remove(position);
    Json(json!({
        "message": "Deleted invoice.",
        "deletedCount": 1,
        "deletedItems": [ {
            "draftInvoiceNumber": draft.number,
            "self": format!("{}/invoices/drafts/{}", shared.base_url, draft.number),
        } ],
    }))
    .into_response()
}
