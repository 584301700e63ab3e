//! The reverse flows: the ERP's catalogue ([`CatalogSource`]) and the
//! webshop that sells from it ([`CatalogTarget`]).
//!
//! A source lists its whole catalogue page by page (paced, as every
//! connector is); Ferry compares each item with what it last sent and sends
//! only the changes. A target finds the variants carrying a SKU, sets a
//! variant's price, and sets its stock at one of the shop's locations.

use super::ConnectorError;
use crate::model::{CatalogItem, CustomerRecord};
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::Serialize;
use std::str::FromStr;

/// One page of the catalogue (or, with [`CustomerRecord`]s, of the customers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogPage<T = CatalogItem> {
    pub items: Vec<T>,
    /// The token of the next page (the connector's own); `None` on the last.
    pub next: Option<String>,
}

/// An accounting or ERP system as the master of products, stock and
/// customers.
#[async_trait]
pub trait CatalogSource: Send + Sync {
    /// One page of the catalogue. `page` is `None` for the first page, else
    /// the `next` token of the page before.
    async fn list_items(&self, page: Option<&str>) -> Result<CatalogPage, ConnectorError>;
    /// One page of the customers that can still buy (barred or inactive
    /// ones are left out), paged like [`Self::list_items`].
    async fn list_customers(
        &self,
        page: Option<&str>,
    ) -> Result<CatalogPage<CustomerRecord>, ConnectorError>;
}

/// A variant (or simple product) of the webshop that carries a SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShopVariant {
    /// The shop's id of the variant (Shopify ids exceed 2^53: text).
    pub id: String,
    /// The shop's id of the product the variant belongs to.
    pub product_id: String,
    pub sku: String,
    /// "Red mug / Large", as the shop names it (for the log).
    pub title: String,
    pub price: Option<Decimal>,
    /// What the shop counts stock on (Shopify's inventory item); `None` for
    /// shops that keep stock on the variant itself.
    pub inventory_item_id: Option<String>,
}

/// Where a webshop keeps stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockLocation {
    pub id: String,
    pub name: String,
}

/// A webshop whose catalogue Ferry keeps up to date.
#[async_trait]
pub trait CatalogTarget: Send + Sync {
    /// Every variant whose SKU is exactly `sku` (none, one, or, when the shop
    /// holds duplicates, several).
    async fn find_variants(&self, sku: &str) -> Result<Vec<ShopVariant>, ConnectorError>;
    /// Sets the variant's price; answers what was sent.
    async fn set_price(
        &self,
        variant: &ShopVariant,
        price: Decimal,
    ) -> Result<serde_json::Value, ConnectorError>;
    /// The shop's stock locations; a shop without locations answers none.
    async fn stock_locations(&self) -> Result<Vec<StockLocation>, ConnectorError>;
    /// Sets the stock of the variant at `location` (`None`: the shop keeps
    /// one figure); answers what was sent.
    async fn set_stock(
        &self,
        variant: &ShopVariant,
        location: Option<&StockLocation>,
        quantity: i64,
    ) -> Result<serde_json::Value, ConnectorError>;
}

/// Stock as a shop counts it: whole units, rounded down (a shop must not
/// sell the half unit the warehouse lacks), never below zero.
pub fn shop_quantity(quantity: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    quantity
        .floor()
        .max(Decimal::ZERO)
        .to_i64()
        .unwrap_or(i64::MAX)
}

/// A price as shops write it: at least two decimals ("109.00", "99.995").
pub fn price_text(price: Decimal) -> String {
    let mut price = price.normalize();
    if price.scale() < 2 {
        price.rescale(2);
    }
    price.to_string()
}

/// An amount or quantity given as a JSON number or as text; `None` for
/// null, blank or anything else.
pub(crate) fn decimal_of(value: &serde_json::Value) -> Option<Decimal> {
    let text = match value {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    if text.is_empty() {
        return None;
    }
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// Text, trimmed; `None` when absent or blank. Numbers are written out
/// (an article or bar code number sent as a JSON number).
pub(crate) fn text_of(value: &serde_json::Value) -> Option<String> {
    let text = match value {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_quantities_are_whole_and_never_negative() {
        assert_eq!(shop_quantity(Decimal::new(125, 1)), 12);
        assert_eq!(shop_quantity(Decimal::new(-3, 0)), 0);
        assert_eq!(shop_quantity(Decimal::from(40)), 40);
        assert_eq!(shop_quantity(Decimal::MAX), i64::MAX);
    }

    #[test]
    fn prices_have_two_decimals_at_least() {
        assert_eq!(price_text(Decimal::from(109)), "109.00");
        assert_eq!(price_text(Decimal::new(995, 1)), "99.50");
        assert_eq!(price_text(Decimal::new(99995, 3)), "99.995");
        assert_eq!(price_text(Decimal::new(10000, 2)), "100.00");
    }

    #[test]
    fn reads_amounts_and_texts_as_erps_write_them() {
        use serde_json::json;
        assert_eq!(decimal_of(&json!(99.5)), Some(Decimal::new(995, 1)));
        assert_eq!(decimal_of(&json!("12.30")), Some(Decimal::new(1230, 2)));
        assert_eq!(decimal_of(&json!(1e2)), Some(Decimal::from(100)));
        assert_eq!(decimal_of(&json!("")), None);
        assert_eq!(decimal_of(&json!(null)), None);
        assert_eq!(decimal_of(&json!("ten")), None);
        assert_eq!(text_of(&json!(" A-1 ")), Some("A-1".into()));
        assert_eq!(
            text_of(&json!(5701234567890u64)),
            Some("5701234567890".into())
        );
        assert_eq!(text_of(&json!("  ")), None);
    }
}
