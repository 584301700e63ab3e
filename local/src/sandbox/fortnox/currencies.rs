//! Fortnox's currency register: `GET /3/currencies` and
//! `/3/currencies/{Code}` with `BuyRate`, `SellRate`, `Unit` and `Date`
//! (404 with "Kunde inte hitta valuta" for a currency the company does not
//! have; the code is the sandbox's own), and the rate a document gets: the
//! `CurrencyRate` and `CurrencyUnit` sent, else 1 per 1 for SEK, else the
//! register's `SellRate` per `Unit` (Fortnox gives a document without a
//! rate the register's rate for its date).

use super::{amount, error, number, Refusal, Settings, Shared, MALFORMED};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// Sandbox-only code, in Fortnox's shape: no such currency.
pub const CURRENCY_NOT_FOUND: u64 = 2_000_830;

/// A currency in the register: SEK per `unit` units.
#[derive(Debug, Clone, PartialEq)]
pub struct Currency {
    pub code: String,
    pub buy_rate: Decimal,
    pub sell_rate: Decimal,
    pub unit: Decimal,
}

impl Currency {
    fn new(code: &str, buy_rate: Decimal, sell_rate: Decimal, unit: i64) -> Self {
        Self {
            code: code.to_owned(),
            buy_rate,
            sell_rate,
            unit: Decimal::from(unit),
        }
    }
}

/// The sandbox's register of the day.
pub fn default_register() -> Vec<Currency> {
    vec![
        Currency::new("SEK", Decimal::ONE, Decimal::ONE, 1),
        Currency::new("EUR", Decimal::new(114_820, 4), Decimal::new(115_180, 4), 1),
        Currency::new("DKK", Decimal::new(15_390, 4), Decimal::new(15_440, 4), 1),
        Currency::new("NOK", Decimal::new(9_950, 4), Decimal::new(10_010, 4), 1),
        Currency::new("USD", Decimal::new(106_000, 4), Decimal::new(106_600, 4), 1),
        Currency::new("GBP", Decimal::new(133_000, 4), Decimal::new(133_800, 4), 1),
    ]
}

fn body(currency: &Currency, base_url: &str) -> Value {
    json!({
        "@url": format!("{base_url}/3/currencies/{}", currency.code),
        "Code": currency.code,
        "Description": currency.code,
        "BuyRate": number(currency.buy_rate),
        "SellRate": number(currency.sell_rate),
        "Unit": number(currency.unit),
        "Date": chrono::Utc::now().format("%Y-%m-%d").to_string(),
        "IsAutomatic": true,
    })
}

fn find<'a>(settings: &'a Settings, code: &str) -> Option<&'a Currency> {
    settings.register.iter().find(|c| c.code == code)
}

pub(super) async fn list(State(shared): State<Shared>) -> Response {
    let items: Vec<Value> = shared
        .settings
        .register
        .iter()
        .map(|c| body(c, &shared.base_url))
        .collect();
    Json(json!({
        "MetaInformation": { "@TotalResources": items.len(), "@TotalPages": 1, "@CurrentPage": 1 },
        "Currencies": items,
    }))
    .into_response()
}

pub(super) async fn get(State(shared): State<Shared>, Path(code): Path<String>) -> Response {
    match find(&shared.settings, &code) {
        Some(currency) => {
            Json(json!({ "Currency": body(currency, &shared.base_url) })).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            "Kunde inte hitta valuta.",
            CURRENCY_NOT_FOUND,
        ),
    }
}

/// `(CurrencyRate, CurrencyUnit)` of a document in `code`.
pub(super) fn document_rate(
    map: &Map<String, Value>,
    code: &str,
    settings: &Settings,
) -> Result<(Decimal, Decimal), Refusal> {
    let sent = (
        amount(map, "CurrencyRate", true)?,
        amount(map, "CurrencyUnit", true)?,
    );
    let register = find(settings, code).map(|c| (c.sell_rate, c.unit));
    let (rate, unit) = match (sent, register) {
        ((Some(rate), unit), register) => {
            (rate, unit.or(register.map(|r| r.1)).unwrap_or(Decimal::ONE))
        }
        ((None, _), Some(register)) => register,
        ((None, _), None) => (Decimal::ONE, Decimal::ONE),
    };
    if rate <= Decimal::ZERO || unit <= Decimal::ZERO {
        return Err(super::bad_request(
            "CurrencyRate and CurrencyUnit must be positive.",
            MALFORMED,
        ));
    }
    Ok((rate, unit))
}
