//! A payment: the shop saying that (part of) an order was paid, keyed by
//! the shop's own transaction id, and what the connection maps it to in
//! the ledger ([`PaymentSettings`]).
//!
//! Money rules as for orders: `amount` is an exact [`Decimal`] in
//! `currency`, what the shop received (positive).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One payment of an order, as the shop reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// The shop's id of the transaction (Shopify's transaction id,
    /// WooCommerce's `transaction_id` or a key made from the order id).
    pub transaction_id: String,
    /// The shop's id of the order it pays (the order transfer's `source_id`).
    pub order_source_id: String,
    /// The order's webshop number ("#1001"); empty when the shop did not
    /// say (a Shopify transaction webhook names only the order id).
    pub order_e_number: String,
    /// The shop's word for how it was paid (`shopify_payments`, `paypal`,
    /// `gift_card`, `stripe`, ...): the key of the connection's map.
    pub gateway: String,
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    pub paid_at: DateTime<Utc>,
    /// Paid from a gift card: a payment out of the gift-card liability.
    #[serde(default)]
    pub gift_card: bool,
}

/// The gateway of a gift card, in Shopify's words: its entry in the
/// connection's map names the liability's contra account or mode of payment.
pub const GIFT_CARD_GATEWAY: &str = "gift_card";

impl Payment {
    /// The key of the payment's transfer: apart from the order's own.
    pub fn record_key(&self) -> String {
        format!("payment:{}", self.transaction_id)
    }
}

/// A connection's `payments` setting: which of the shop's gateways go to
/// which ledger account, the e-conomic journal and whether to book.
/// Without it nothing is marked paid.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// The shop's gateway (`shopify_payments`, `paypal`, `gift_card`, ...)
    /// to where its payments go in the ledger.
    #[serde(default)]
    pub gateways: BTreeMap<String, GatewayAccount>,
    /// e-conomic: the cash journal the customer payment vouchers go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<u64>,
    /// A payment of an invoice that is only a draft books the invoice
    /// first (true), or waits until the merchant books it (false).
    #[serde(default)]
    pub book: bool,
}

/// Where one gateway's payments go: e-conomic `contra_account` (and the
/// invoice's `payment_terms`), Fortnox `mode_of_payment` (and `account`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GatewayAccount {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contra_account: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_of_payment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<u64>,
}

impl PaymentSettings {
    /// The map's entry for `gateway`: exactly as written, else ignoring case.
    pub fn gateway(&self, gateway: &str) -> Option<&GatewayAccount> {
        self.gateways.get(gateway).or_else(|| {
            self.gateways
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(gateway))
                .map(|(_, account)| account)
        })
    }

    /// The e-conomic payment terms an order's document takes: those of
    /// the order's gateway in the map, when it names some; `None` (the
    /// ledger system's `payment_terms_number`) otherwise.
    pub fn payment_terms_for(&self, gateway: Option<&str>) -> Option<u64> {
        self.gateway(gateway?)?.payment_terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_is_found_as_written_else_ignoring_case() {
        let settings: PaymentSettings = serde_json::from_value(serde_json::json!({
            "gateways": {"paypal": {"contra_account": 5820}, "PayPal": {"contra_account": 1}},
            "journal": 3
        }))
        .expect("settings read");
        assert_eq!(
            settings.gateway("paypal").and_then(|g| g.contra_account),
            Some(5820)
        );
        assert_eq!(
            settings
                .gateway("PAYPAL")
                .map(|g| g.contra_account.is_some()),
            Some(true)
        );
        assert!(settings.gateway("stripe").is_none());
        assert!(!settings.book);
    }

    #[test]
    fn an_orders_payment_terms_are_its_gateways_when_mapped() {
        let settings: PaymentSettings = serde_json::from_value(serde_json::json!({
            "gateways": {"paypal": {"contra_account": 5820, "payment_terms": 4},
                         "stripe": {"contra_account": 5830}},
            "journal": 3
        }))
        .expect("settings read");
        assert_eq!(settings.payment_terms_for(Some("PayPal")), Some(4));
        assert_eq!(settings.payment_terms_for(Some("stripe")), None);
        assert_eq!(settings.payment_terms_for(Some("bacs")), None);
        assert_eq!(settings.payment_terms_for(None), None);
    }
}
