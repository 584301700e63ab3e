//! The webshop as the keeper of customer accounts the ERP is master of
//! ([`CustomerTarget`]): find the shop's customers by e-mail, create one,
//! update one. The rules (no e-mail, several matches, create or update)
//! live in `flows::catalog::customers`; each shop's module only speaks its API.

use super::ConnectorError;
use crate::model::CustomerRecord;
use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

/// A customer account of the webshop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShopCustomer {
    /// The shop's id (Shopify ids exceed 2^53: text).
    pub id: String,
    pub email: String,
    /// "Jens Hansen", as the shop names the customer (for the log).
    pub name: String,
    /// The shop's id of the address Ferry keeps up to date (Shopify's
    /// default address); `None` when the shop has none or keeps the
    /// address on the customer itself.
    pub address_id: Option<String>,
}

/// What was done in the shop.
#[derive(Debug, Clone, PartialEq)]
pub struct SentCustomer {
    /// The shop's id of the customer.
    pub id: String,
    /// What was sent.
    pub sent: Value,
}

/// A webshop whose customer accounts Ferry keeps up to date.
#[async_trait]
pub trait CustomerTarget: Send + Sync {
    /// Every customer whose e-mail is `email` (compared without regard to
    /// case): none, one, or, when the shop holds duplicates, several.
    async fn find_customers(&self, email: &str) -> Result<Vec<ShopCustomer>, ConnectorError>;
    /// Creates the customer.
    async fn create_customer(
        &self,
        customer: &CustomerRecord,
    ) -> Result<SentCustomer, ConnectorError>;
    /// Sets the name, phone and address of the shop's customer `found`.
    async fn update_customer(
        &self,
        found: &ShopCustomer,
        customer: &CustomerRecord,
    ) -> Result<SentCustomer, ConnectorError>;
}
