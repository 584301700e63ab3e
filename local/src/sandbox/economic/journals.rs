//! e-conomic's journals (kassekladder) in the sandbox: customer payment
//! vouchers (`POST /journals/{journalNumber}/vouchers` with
//! `entries.customerPayments`), the journal's entries
//! (`GET /journals/{journalNumber}/entries`) and the booked entries of an
//! accounting year (`GET /accounting-years/{year}/entries`), both with
//! `filter=`.
//!
//! A customer payment needs `customer.customerNumber`, `customerInvoice`
//! (a booked invoice of that customer), `amount` (at most 2 decimals, a
//! credit to the customer: negative), `currency.code`, `date` and
//! `contraAccount.accountNumber`; the voucher needs `accountingYear.year`.
//! The booked invoice's `remainder` goes down by the amount paid at once
//! (e-conomic lowers it when the journal is booked; the sandbox has no
//! journal booking but [`super::Handle::book_journal`], which moves a
//! journal's entries to the year's booked entries).

use super::filter::collection;
use super::harness::{decimal, number};
use super::problems::{Problems, Step};
use super::rules::{lookup, parse_body};
use super::{error, Shared, MALFORMED, MISSING, NOT_FOUND, SCALE};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The journals the sandbox agreement has.
pub const JOURNALS: [u64; 3] = [1, 2, 3];

/// A customer payment entry in a journal, or booked.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub journal: u64,
    pub voucher_number: u64,
    pub year: String,
    pub customer_number: u64,
    pub invoice: u64,
    pub amount: Decimal,
    pub contra_account: u64,
    pub text: String,
    pub booked: bool,
    /// As e-conomic answers it.
    pub body: Value,
}

fn journal_number(text: &str) -> Option<u64> {
    text.parse().ok().filter(|n| JOURNALS.contains(n))
}

fn no_journal() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Journal not found.",
        "Find a list of journals at /journals.",
    )
}

/// `POST /journals/{journalNumber}/vouchers`: one voucher (or a list of
/// one) of customer payments; answers the vouchers made, as a list.
pub(super) async fn create_vouchers(
    State(shared): State<Shared>,
    Path(journal): Path<String>,
    body: Bytes,
) -> Response {
    let Some(journal) = journal_number(&journal) else {
        return no_journal();
    };
    let body = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(mut list)) if list.len() == 1 => list.swap_remove(0),
        _ => match parse_body(&body) {
            Ok(body) => body,
            Err(response) => return *response,
        },
    };
    let mut problems = Problems::default();
    let year = lookup(&body, "accountingYear.year")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if year.is_none() {
        problems.add(
            &[Step::Field("accountingYear"), Step::Field("year")],
            MISSING,
            "Property \"year\" is required.".into(),
            None,
        );
    }
    let payments = lookup(&body, "entries.customerPayments")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if payments.is_empty() {
        problems.add(
            &[Step::Field("entries")],
            MISSING,
            "The voucher has no entries.".into(),
            None,
        );
    }
    let mut ledger = shared.ledger();
    let mut checked = Vec::new();
    for (i, payment) in payments.iter().enumerate() {
        let at = |field| {
            [
                Step::Field("entries"),
                Step::Field("customerPayments"),
                Step::Item(i),
                Step::Field(field),
            ]
        };
        let customer = lookup(payment, "customer.customerNumber").and_then(Value::as_u64);
        let invoice = payment.get("customerInvoice").and_then(Value::as_u64);
        let amount = payment.get("amount").and_then(decimal);
        let currency = lookup(payment, "currency.code").and_then(Value::as_str);
        let date = payment.get("date").and_then(Value::as_str);
        let contra = lookup(payment, "contraAccount.accountNumber").and_then(Value::as_u64);
        for (field, present) in [
            ("customer", customer.is_some()),
            ("customerInvoice", invoice.is_some()),
            ("amount", amount.is_some()),
            ("currency", currency.is_some()),
            ("date", date.is_some()),
            ("contraAccount", contra.is_some()),
        ] {
            if !present {
                problems.add(
                    &at(field),
                    MISSING,
                    format!("Property \"{field}\" is required."),
                    None,
                );
            }
        }
        if let Some(amount) = amount.filter(|a| a.scale() > 2) {
            problems.add(
                &at("amount"),
                SCALE,
                "amount scale cannot be greater then two decimal places.".into(),
                Some(&number(amount)),
            );
        }
        if let Some(date) =
            date.filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err())
        {
            problems.add(
                &at("date"),
                MALFORMED,
                "date must be a date (YYYY-MM-DD).".into(),
                Some(&json!(date)),
            );
        }
        if let Some(code) = currency.filter(|c| !shared.settings.currencies.iter().any(|k| k == c))
        {
            problems.add(
                &at("currency"),
                NOT_FOUND,
                "currency does not exist.".into(),
                Some(&json!(code)),
            );
        }
        let (Some(customer), Some(invoice), Some(amount), Some(contra)) =
            (customer, invoice, amount, contra)
        else {
            continue;
        };
        let booked = ledger
            .booked
            .iter()
            .find(|b| b.number == invoice && b.customer_number == customer);
        if booked.is_none() {
            problems.add(
                &at("customerInvoice"),
                NOT_FOUND,
                "customerInvoice does not exist as a booked invoice of this customer.".into(),
                Some(&json!(invoice)),
            );
        }
        let text = payment
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        checked.push((customer, invoice, amount, contra, text, payment.clone()));
    }
    let (Some(year), true) = (year, problems.is_empty()) else {
        return problems.into_response();
    };
    ledger.last_voucher += 1;
    let voucher_number = ledger.last_voucher;
    let mut answers = Vec::new();
    for (customer, invoice, amount, contra, text, mut body) in checked {
        if let Some(booked) = ledger.booked.iter_mut().find(|b| b.number == invoice) {
            let left = booked
                .body
                .get("remainder")
                .and_then(decimal)
                .unwrap_or(booked.gross_amount);
            // A payment is a credit to the customer: it lowers what is left.
            booked.body["remainder"] = number(left + amount);
        }
        body["entryType"] = json!("customerPayment");
        body["voucher"] = json!({"voucherNumber": voucher_number});
        body["journal"] = json!({"journalNumber": journal});
        ledger.entries.push(Entry {
            journal,
            voucher_number,
            year: year.clone(),
            customer_number: customer,
            invoice,
            amount,
            contra_account: contra,
            text,
            booked: false,
            body: body.clone(),
        });
        answers.push(body);
    }
    let answer = json!([{
        "accountingYear": {"year": year},
        "journal": {"journalNumber": journal},
        "voucherNumber": voucher_number,
        "entries": {"customerPayments": answers},
        "self": format!("{}/journals/{journal}/vouchers/{year}-{voucher_number}", shared.base_url),
    }]);
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// `GET /journals/{journalNumber}/entries`: the journal's entries not booked.
pub(super) async fn journal_entries(
    State(shared): State<Shared>,
    Path(journal): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(journal) = journal_number(&journal) else {
        return no_journal();
    };
    let ledger = shared.ledger();
    let items = ledger
        .entries
        .iter()
        .filter(|e| e.journal == journal && !e.booked)
        .map(|e| &e.body)
        .collect();
    collection(
        &shared,
        &format!("/journals/{journal}/entries"),
        items,
        &query,
    )
}

/// `GET /accounting-years/{year}/entries`: the year's booked entries.
pub(super) async fn booked_entries(
    State(shared): State<Shared>,
    Path(year): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let ledger = shared.ledger();
    let items = ledger
        .entries
        .iter()
        .filter(|e| e.booked && e.year == year)
        .map(|e| &e.body)
        .collect();
    collection(
        &shared,
        &format!("/accounting-years/{year}/entries"),
        items,
        &query,
    )
}
