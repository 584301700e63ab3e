//! Documents in another currency than SEK (Fortnox's base): the rate they
//! carry, and a currency Fortnox does not have refused in words.
//!
//! What this relies on (Fortnox's API documentation and its developer blog
//! on automatic exchange rates): an invoice or order carries `Currency`,
//! `CurrencyRate` and `CurrencyUnit` (the price of `CurrencyUnit` units in
//! SEK); `GET /3/currencies/{Code}` answers `{"Currency": {"Code",
//! "BuyRate", "SellRate", "Unit", "Date", …}}`; a document sent without a
//! rate gets the currency's rate for its date from Fortnox's currency
//! register, and a rate sent wins over it.
//!
//! The rules:
//! - Fortnox's API states no base currency for the company (Fortnox keeps
//!   Swedish books): the system's `base_currency` setting, else SEK;
//! - the rate comes from the order when the shop gives it (the customer paid
//!   in another currency than the shop's, and the shop's currency is the
//!   base: [`crate::mapping::rate`]), per the currency's own `Unit` (read
//!   once and remembered), at [`RATE_DECIMALS`] decimals, as Fortnox's
//!   register keeps rates;
//! - otherwise no rate is sent and Fortnox books its own rate of the day;
//!   an order in the base currency carries none either;
//! - after Fortnox refused something of an order in another currency, the
//!   currency is looked up (and remembered) so the merchant reads "EUR is
//!   not set up in Fortnox: …" instead of a code.

use super::client::Fortnox;
use super::SYSTEM;
use crate::connectors::ConnectorError;
use crate::mapping::rate;
use crate::model::Order;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// Decimals of a `CurrencyRate` worked out from the order.
pub const RATE_DECIMALS: u32 = 4;
/// The base when the system's settings do not say.
pub const DEFAULT_BASE_CURRENCY: &str = "SEK";

/// The refusal of an order in a currency Fortnox does not have.
pub fn not_set_up(code: &str) -> ConnectorError {
    ConnectorError::permanent(format!(
        "{code} is not set up in {SYSTEM}: add it to the currency register (Register → Valutor)"
    ))
}

/// `Unit` of a `GET /3/currencies/{Code}` answer (a number or digits).
fn unit_of(body: &Value) -> Option<Decimal> {
    let unit = match body.pointer("/Currency/Unit")? {
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }?;
    (unit > Decimal::ZERO).then_some(unit)
}

/// `CurrencyRate` and `CurrencyUnit` of a document.
pub(super) struct DocumentRate {
    pub rate: Decimal,
    pub unit: Decimal,
}

impl Fortnox {
    fn base_currency(&self) -> &str {
        self.base_currency
            .as_deref()
            .unwrap_or(DEFAULT_BASE_CURRENCY)
    }

    /// The rate the order's document carries: `Some` only when the shop
    /// gives it (see the module's rules).
    pub(super) async fn document_rate(
        &self,
        order: &Order,
    ) -> Result<Option<DocumentRate>, ConnectorError> {
        let base = self.base_currency();
        let shop_gives_it = order
            .shop_money
            .as_ref()
            .is_some_and(|shop| shop.currency.eq_ignore_ascii_case(base));
        if !shop_gives_it || !rate::is_foreign(order, base) {
            return Ok(None);
        }
        let unit = self.currency_unit(&order.currency).await?;
        Ok(rate::from_order(order, base, unit, RATE_DECIMALS)
            .map(|rate| DocumentRate { rate, unit }))
    }

    /// The currency's `Unit`; fails in words when Fortnox does not have it.
    async fn currency_unit(&self, code: &str) -> Result<Decimal, ConnectorError> {
        let code = code.trim().to_uppercase();
        let question = format!("currency:{code}");
        if let Some(unit) = self.known.get(&question).and_then(|u| u.parse().ok()) {
            return Ok(unit);
        }
        let reply = self
            .api
            .call(Method::GET, self.url(&["currencies", &code]), None)
            .await?;
        match reply.status {
            StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => return Err(not_set_up(&code)),
            s if !s.is_success() => {
                return Err(Self::refused(&reply, &format!("lookup of currency {code}")))
            }
            _ => {}
        }
        let unit = serde_json::from_slice::<Value>(&reply.body)
            .ok()
            .as_ref()
            .and_then(unit_of)
            .unwrap_or(Decimal::ONE);
        self.known.remember(&question, &unit.to_string());
        Ok(unit)
    }

    /// A permanent refusal of an order in another currency than the base is
    /// told in words when the currency is the reason.
    pub(super) async fn explain_refusal(
        &self,
        order: &Order,
        error: ConnectorError,
    ) -> ConnectorError {
        if !matches!(error, ConnectorError::Permanent { .. })
            || !rate::is_foreign(order, self.base_currency())
        {
            return error;
        }
        let code = order.currency.trim().to_uppercase();
        match self.currency_unit(&code).await {
            Err(missing) if missing == not_set_up(&code) => missing,
            _ => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_unit_of_a_currency() {
        let eur =
            json!({"Currency": {"Code": "EUR", "BuyRate": 11.2, "SellRate": 11.5, "Unit": 1}});
        assert_eq!(unit_of(&eur), Some(Decimal::ONE));
        let jpy = json!({"Currency": {"Code": "JPY", "Unit": "100"}});
        assert_eq!(unit_of(&jpy), Some(Decimal::ONE_HUNDRED));
        assert_eq!(unit_of(&json!({"Currency": {"Unit": 0}})), None);
        assert_eq!(unit_of(&json!({})), None);
    }

    #[test]
    fn an_unknown_currency_is_refused_in_words() {
        assert_eq!(
            not_set_up("EUR").to_string(),
            "EUR is not set up in Fortnox: add it to the currency register (Register → Valutor)"
        );
    }
}
