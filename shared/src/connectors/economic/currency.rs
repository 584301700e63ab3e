//! Documents in another currency than the agreement's base: the rate they
//! carry, and a currency e-conomic does not have refused in words.
//!
//! What this relies on (e-conomic's REST documentation, the draft invoice
//! and order schemas): `currency` is the document's ISO 4217 code;
//! `exchangeRate` is "how much it will cost in base currency to buy 100
//! units of the invoice currency"; without one, e-conomic takes its current
//! daily rate, and for the base currency 100. `GET /self` answers the
//! agreement's `settings.baseCurrency`; `GET /currencies/{code}` answers
//! 404 for a currency the agreement does not have.
//!
//! The rules:
//! - the rate comes from the order when the shop gives it (the customer paid
//!   in another currency than the shop's, and the shop's currency is the
//!   agreement's base: [`crate::mapping::rate`]), as the price of 100 units
//!   at [`RATE_DECIMALS`] decimals (our choice; e-conomic documents no
//!   limit);
//! - otherwise no rate is sent and e-conomic books its rate of the day; an
//!   order in the base currency carries none either;
//! - the base is read from `/self` once (remembered with the look-ups); when
//!   e-conomic does not say, the system's `base_currency` setting, else DKK;
//! - the base is only asked for when the order carries the shop's money
//!   (nothing else depends on it), and a foreign currency is looked up once
//!   (remembered) before a rate is sent, or after e-conomic refused a
//!   document in it, so the merchant reads "EUR is not set up in
//!   e-conomic: add it under Settings → Currencies" instead of a field code.

use super::client::Economic;
use super::SYSTEM;
use crate::connectors::http::Reply;
use crate::connectors::ConnectorError;
use crate::mapping::rate;
use crate::model::Order;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::Value;

/// Decimals of an `exchangeRate` worked out from the order.
pub const RATE_DECIMALS: u32 = 6;
/// The base when neither e-conomic nor the system's settings say.
pub const DEFAULT_BASE_CURRENCY: &str = "DKK";
const BASE_QUESTION: &str = "self:baseCurrency";

/// The refusal of an order in a currency the agreement does not have.
pub fn not_set_up(code: &str) -> ConnectorError {
    ConnectorError::permanent(format!(
        "{code} is not set up in {SYSTEM}: add it under Settings → Currencies"
    ))
}

/// `settings.baseCurrency` of a `GET /self` answer.
fn base_of(body: &Value) -> Option<String> {
    body.pointer("/settings/baseCurrency")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(str::to_uppercase)
}

impl Economic {
    /// The `exchangeRate` the order's document carries: `Some` only when
    /// the shop gives the rate (see the module's rules).
    pub(super) async fn exchange_rate(
        &self,
        order: &Order,
    ) -> Result<Option<Decimal>, ConnectorError> {
        if order.shop_money.is_none() {
            return Ok(None);
        }
        let base = self.base_currency().await?;
        let Some(rate) = rate::from_order(order, &base, Decimal::ONE_HUNDRED, RATE_DECIMALS) else {
            return Ok(None);
        };
        self.ensure_currency(&order.currency).await?;
        Ok(Some(rate))
    }

    /// Whether `code` is the base as far as known without asking: the base
    /// e-conomic told (remembered), else the setting, else DKK.
    pub(super) fn is_likely_base(&self, code: &str) -> bool {
        let base = self
            .known
            .get(BASE_QUESTION)
            .or_else(|| self.base_currency.clone())
            .unwrap_or_else(|| DEFAULT_BASE_CURRENCY.to_owned());
        code.trim().eq_ignore_ascii_case(&base)
    }

    /// The agreement's base currency: e-conomic's word, else the setting.
    async fn base_currency(&self) -> Result<String, ConnectorError> {
        if let Some(base) = self.known.get(BASE_QUESTION) {
            return Ok(base);
        }
        let reply = self
            .api
            .call(Method::GET, self.url(&["self"]), None)
            .await?;
        let body = Self::read(reply, "agreement's settings")?;
        let base = base_of(&body)
            .or_else(|| self.base_currency.clone())
            .unwrap_or_else(|| DEFAULT_BASE_CURRENCY.to_owned());
        self.known.remember(BASE_QUESTION, &base);
        Ok(base)
    }

    /// Fails in words when the agreement does not have `code`; remembers
    /// that it has.
    pub(super) async fn ensure_currency(&self, code: &str) -> Result<(), ConnectorError> {
        let question = format!("currency:{code}");
        if self.known.get(&question).is_some() {
            return Ok(());
        }
        let reply = self
            .api
            .call(Method::GET, self.url(&["currencies", code]), None)
            .await?;
        match reply.status {
            s if s.is_success() => {
                self.known.remember(&question, "");
                Ok(())
            }
            StatusCode::NOT_FOUND => Err(not_set_up(code)),
            _ => Err(Self::refused(&reply, &format!("lookup of currency {code}"))),
        }
    }

    /// A refusal of the order's document (or customer) in another currency
    /// than the base is told in words when the currency is the reason.
    pub(super) async fn explain_refusal(
        &self,
        order: &Order,
        error: ConnectorError,
    ) -> ConnectorError {
        if !matches!(error, ConnectorError::Permanent { .. }) {
            return error;
        }
        let code = order.currency.trim().to_uppercase();
        match self.ensure_currency(&code).await {
            Err(missing) if missing == not_set_up(&code) => missing,
            _ => error,
        }
    }

    fn read(reply: Reply, what: &str) -> Result<Value, ConnectorError> {
        if !reply.status.is_success() {
            return Err(Self::refused(&reply, what));
        }
        serde_json::from_slice(&reply.body).map_err(|_| {
            ConnectorError::transient(format!(
                "{SYSTEM}'s answer about the {what} was not JSON; Ferry will try again"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_base_currency_from_self() {
        let body = json!({"settings": {"baseCurrency": "eur", "internationalLedger": true}});
        assert_eq!(base_of(&body).as_deref(), Some("EUR"));
        assert_eq!(base_of(&json!({"company": {"name": "ApS"}})), None);
        assert_eq!(base_of(&json!({"settings": {"baseCurrency": " "}})), None);
    }

    #[test]
    fn an_unknown_currency_is_refused_in_words() {
        assert_eq!(
            not_set_up("EUR").to_string(),
            "EUR is not set up in e-conomic: add it under Settings → Currencies"
        );
    }
}
