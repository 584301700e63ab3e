//! Fortnox's invoice payments in the sandbox: `POST /3/invoicepayments`
//! (`{"InvoicePayment": {"InvoiceNumber", "Amount", "PaymentDate",
//! "ModeOfPayment", "ModeOfPaymentAccount"?}}`), `GET /3/invoicepayments`
//! (`?invoicenumber=`), `GET /3/invoicepayments/{Number}` and
//! `PUT /3/invoicepayments/{Number}/bookkeep`.
//!
//! A payment needs a bookkept invoice (the sandbox's rule, as Fortnox
//! refuses payments on unbooked invoices), an amount with at most 2
//! decimals and a date; the invoice's `Balance` goes down by the amount.
//! Error codes are the sandbox's own, in Fortnox's shape.

use super::{bad_request, error, list, text, unwrap, Shared, MALFORMED, NOT_FOUND};
use crate::sandbox::economic::harness::{decimal, number};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Sandbox code: a payment on an invoice that is not bookkept.
const NOT_BOOKKEPT: u64 = 2_000_700;
/// Sandbox code: the payment is bookkept already.
const PAYMENT_BOOKKEPT: u64 = 2_000_701;

/// An invoice payment as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoicePayment {
    pub number: String,
    pub invoice_number: String,
    pub amount: Decimal,
    pub payment_date: String,
    pub mode_of_payment: Option<String>,
    pub booked: bool,
    /// As Fortnox answers it (without the envelope).
    pub body: Value,
}

pub(super) async fn create(State(shared): State<Shared>, body: Bytes) -> Response {
    let sent = match unwrap(&body, "InvoicePayment") {
        Ok(sent) => sent,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(invoice_number) = text(&sent, "InvoiceNumber") else {
        return bad_request("InvoiceNumber is required.", MALFORMED).into_response();
    };
    let Some(amount) = sent
        .get("Amount")
        .and_then(decimal)
        .filter(|a| a.scale() <= 2)
    else {
        return bad_request(
            "Amount must be a number with at most 2 decimals.",
            MALFORMED,
        )
        .into_response();
    };
    let Some(date) = text(&sent, "PaymentDate")
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
    else {
        return bad_request("PaymentDate must be a date (YYYY-MM-DD).", MALFORMED).into_response();
    };
    let mut ledger = shared.ledger();
    let Some(invoice) = ledger
        .invoices
        .iter_mut()
        .find(|d| d.document_number == invoice_number)
    else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("Invoice {invoice_number} was not found."),
            NOT_FOUND,
        );
    };
    if !invoice.booked {
        return bad_request(
            format!("Invoice {invoice_number} must be bookkept before a payment is registered."),
            NOT_BOOKKEPT,
        )
        .into_response();
    }
    let balance = invoice
        .body
        .get("Balance")
        .and_then(decimal)
        .unwrap_or(invoice.total);
    invoice.body["Balance"] = number(balance - amount);
    ledger.last_payment += 1;
    let payment_number = ledger.last_payment.to_string();
    let mut answer = Value::Object(sent.clone());
    answer["Number"] = json!(payment_number);
    answer["Booked"] = json!(false);
    answer["Amount"] = number(amount);
    answer["@url"] = json!(format!(
        "{}/3/invoicepayments/{payment_number}",
        shared.base_url
    ));
    ledger.payments.push(InvoicePayment {
        number: payment_number,
        invoice_number,
        amount,
        payment_date: date,
        mode_of_payment: text(&sent, "ModeOfPayment"),
        booked: false,
        body: answer.clone(),
    });
    (
        StatusCode::CREATED,
        Json(json!({ "InvoicePayment": answer })),
    )
        .into_response()
}

pub(super) async fn list_payments(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let ledger = shared.ledger();
    let items = ledger
        .payments
        .iter()
        .filter(|p| {
            query
                .get("invoicenumber")
                .is_none_or(|n| &p.invoice_number == n)
        })
        .map(|p| p.body.clone())
        .collect();
    list("InvoicePayments", items)
}

fn no_payment(number: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Invoice payment {number} was not found."),
        NOT_FOUND,
    )
}

pub(super) async fn get_payment(
    State(shared): State<Shared>,
    Path(number): Path<String>,
) -> Response {
    let ledger = shared.ledger();
    match ledger.payments.iter().find(|p| p.number == number) {
        Some(payment) => Json(json!({ "InvoicePayment": payment.body })).into_response(),
        None => no_payment(&number),
    }
}

pub(super) async fn bookkeep(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    let mut ledger = shared.ledger();
    let Some(payment) = ledger.payments.iter_mut().find(|p| p.number == number) else {
        return no_payment(&number);
    };
    if payment.booked {
        return bad_request(
            format!("Invoice payment {number} is already bookkept."),
            PAYMENT_BOOKKEPT,
        )
        .into_response();
    }
    payment.booked = true;
    payment.body["Booked"] = json!(true);
    Json(json!({ "InvoicePayment": payment.body })).into_response()
}
