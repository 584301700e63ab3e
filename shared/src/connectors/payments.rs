//! What the ledgers and the shops say about payments, between the payment
//! flow (`crate::flows::payments`) and the connectors: the invoice a
//! payment pays ([`LedgerInvoice`]) and where the connection books it
//! ([`PaymentBooking`]). The calls themselves are the [`super::Source`]
//! and [`super::Target`] methods with default answers, so that a system
//! that books no payments (and every test fake) need not know them.

use crate::model::GatewayAccount;
use rust_decimal::Decimal;

/// The ledger's invoice for an order's webshop number, as a payment sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerInvoice {
    /// The invoice's number in the ledger (the booked number once booked;
    /// e-conomic's draft number while a draft).
    pub number: String,
    /// Booked (e-conomic) or bookkept (Fortnox): a payment can be booked on it.
    pub booked: bool,
    /// The ledger's customer number on the invoice.
    pub customer: String,
    /// What is left to pay, when the ledger says.
    pub remainder: Option<Decimal>,
}

/// Where the connection books one payment: its gateway's account and the
/// e-conomic journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentBooking {
    pub account: GatewayAccount,
    pub journal: Option<u64>,
}

/// An amount as a JSON number, as the ledgers take it (exactly, else
/// refused: `crate::mapping::money`).
pub fn amount_json(
    amount: rust_decimal::Decimal,
) -> Result<serde_json::Value, super::ConnectorError> {
    crate::mapping::money::serialize(&amount, serde_json::value::Serializer)
        .map_err(|e| super::ConnectorError::permanent(e.to_string()))
}
