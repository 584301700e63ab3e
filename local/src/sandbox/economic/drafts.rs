//! Draft invoices removed, as e-conomic allows: `DELETE
//! /invoices/drafts/{n}` removes the draft and answers with e-conomic's JSON
//! status (`deletedCount`, `deletedItems`). A draft that is gone (deleted,
//! or booked meanwhile) answers 404, so a repeated delete is a 404 too
//! (e-conomic documents this for draft orders; for invoices it is the
//! sandbox's assumption). `PUT /invoices/drafts/{n}` (the whole draft
//! replaced, 404 once gone) is the sandbox's `put_draft`.
//!
//! Credit notes need nothing new: a draft with negative quantities is
//! accepted and booked like any other, with a negative `grossAmount`.

use super::{error, Shared};
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
