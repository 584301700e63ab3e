//! The agreement's currencies: `GET /currencies` and `/currencies/{code}`
//! (404 for a currency the agreement does not have), the base currency
//! `/self` reports, and the `exchangeRate` a sales document gets: the one
//! sent (a positive number, the price of 100 units in the base currency),
//! else 100 for the base currency, else the sandbox's rate of the day, as
//! e-conomic documents for drafts.

use super::problems::{Problems, Step};
use super::{collection, error, Settings, Shared, MALFORMED};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The sandbox's rates of the day: the price of 100 units in DKK.
pub fn default_daily_rates() -> Vec<(String, Decimal)> {
    [
        ("EUR", Decimal::new(74_604, 2)),
        ("SEK", Decimal::new(6_950, 2)),
        ("NOK", Decimal::new(6_380, 2)),
        ("USD", Decimal::new(68_950, 2)),
        ("GBP", Decimal::new(86_520, 2)),
    ]
    .into_iter()
    .map(|(code, rate)| (code.to_owned(), rate))
    .collect()
}

impl Settings {
    /// The price of 100 units of `code` in the base currency today.
    pub fn daily_rate(&self, code: &str) -> Option<Decimal> {
        if code == self.base_currency {
            return Some(Decimal::ONE_HUNDRED);
        }
        self.daily_rates
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, rate)| *rate)
    }
}

fn currency_body(shared: &Shared, code: &str) -> Value {
    json!({
        "code": code,
        "name": code,
        "self": format!("{}/currencies/{code}", shared.base_url),
    })
}

pub(super) async fn list(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let bodies: Vec<Value> = shared
        .settings
        .currencies
        .iter()
        .map(|code| currency_body(&shared, code))
        .collect();
    collection(&shared, "/currencies", bodies.iter().collect(), &query)
}

pub(super) async fn get(State(shared): State<Shared>, Path(code): Path<String>) -> Response {
    if shared.settings.currencies.contains(&code) {
        Json(currency_body(&shared, &code)).into_response()
    } else {
        error(
            StatusCode::NOT_FOUND,
            "Currency not found.",
            "Check the currency code, or add the currency to the agreement.",
        )
    }
}

/// The document's `exchangeRate`: the one sent, else the rate of the day.
pub(super) fn exchange_rate(
    body: &Value,
    currency: Option<&str>,
    settings: &Settings,
    problems: &mut Problems,
) -> Decimal {
    match body.get("exchangeRate") {
        None | Some(Value::Null) => currency
            .and_then(|code| settings.daily_rate(code))
            .unwrap_or(Decimal::ONE_HUNDRED),
        Some(value) => match super::harness::decimal(value).filter(|r| *r > Decimal::ZERO) {
            Some(rate) => rate,
            None => {
                problems.add(
                    &[Step::Field("exchangeRate")],
                    MALFORMED,
                    "exchangeRate must be a positive number.".into(),
                    Some(value),
                );
                Decimal::ZERO
            }
        },
    }
}
