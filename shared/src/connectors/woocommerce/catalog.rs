//! WooCommerce as the shop whose catalogue Ferry keeps up to date, through
//! the REST v3 products endpoints.
//!
//! - Products are found with `GET products?sku=…` (WooCommerce matches the
//!   SKU exactly, and the search finds the variations of variable products
//!   too); only exact SKUs are kept.
//! - The price is the `regular_price`, the stock the `stock_quantity` with
//!   `manage_stock` switched on, each set with `PUT products/{id}`, or for a
//!   variation `PUT products/{parent_id}/variations/{id}`.
//! - WooCommerce keeps one stock figure per product or variation: it has no
//!   locations.

use super::{error_words, WooCommerce, SYSTEM};
use crate::connectors::catalog::{
    decimal_of, price_text, text_of, CatalogTarget, ShopVariant, StockLocation,
};
use crate::connectors::http::json_of;
use crate::connectors::ConnectorError;
use async_trait::async_trait;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

impl WooCommerce {
    async fn update_product(
        &self,
        variant: &ShopVariant,
        body: Value,
        what: &str,
    ) -> Result<Value, ConnectorError> {
        let reply = self
            .call(Method::PUT, &product_path(variant)?, &[], Some(&body))
            .await?;
        json_of(SYSTEM, reply, what, error_words)?;
        Ok(body)
    }
}

/// Where a product is changed: `products/{id}`, or for a variation (whose
/// `product_id` is its variable product) `products/{parent}/variations/{id}`.
fn product_path(variant: &ShopVariant) -> Result<String, ConnectorError> {
    let number = |id: &str| {
        id.parse::<u64>().map_err(|_| {
            ConnectorError::permanent(format!(
                "{SYSTEM} gave the product an id that is not a number: '{id}'"
            ))
        })
    };
    let id = number(&variant.id)?;
    let parent = number(&variant.product_id)?;
    Ok(if parent == id {
        format!("products/{id}")
    } else {
        format!("products/{parent}/variations/{id}")
    })
}

/// The products of a `products?sku=` answer whose SKU is exactly `sku`.
pub fn exact_products(answer: &Value, sku: &str) -> Result<Vec<ShopVariant>, ConnectorError> {
    let Some(products) = answer.as_array() else {
        return Err(ConnectorError::transient(format!(
            "{SYSTEM}'s answer to the search by SKU was not a list; Ferry will try again"
        )));
    };
    Ok(products
        .iter()
        .filter(|p| p["sku"].as_str().map(str::trim) == Some(sku))
        .filter_map(|p| {
            let id = text_of(&p["id"])?;
            Some(ShopVariant {
                product_id: text_of(&p["parent_id"])
                    .filter(|parent| parent != "0")
                    .unwrap_or_else(|| id.clone()),
                id,
                sku: sku.to_owned(),
                title: text_of(&p["name"]).unwrap_or_default(),
                price: decimal_of(&p["regular_price"]),
                inventory_item_id: None,
            })
        })
        .collect())
}

#[async_trait]
impl CatalogTarget for WooCommerce {
    async fn find_variants(&self, sku: &str) -> Result<Vec<ShopVariant>, ConnectorError> {
        let reply = self
            .call(
                Method::GET,
                "products",
                &[("sku", sku), ("per_page", "10")],
                None,
            )
            .await?;
        let answer = json_of(SYSTEM, reply, "search by SKU", error_words)?;
        exact_products(&answer, sku)
    }

    async fn set_price(
        &self,
        variant: &ShopVariant,
        price: Decimal,
    ) -> Result<Value, ConnectorError> {
        self.update_product(
            variant,
            json!({ "regular_price": price_text(price) }),
            "price",
        )
        .await
    }

    async fn stock_locations(&self) -> Result<Vec<StockLocation>, ConnectorError> {
        Ok(Vec::new())
    }

    async fn set_stock(
        &self,
        variant: &ShopVariant,
        location: Option<&StockLocation>,
        quantity: i64,
    ) -> Result<Value, ConnectorError> {
        if let Some(location) = location {
            return Err(ConnectorError::permanent(format!(
                "{SYSTEM} has no stock locations, yet location '{}' was chosen",
                location.name
            )));
        }
        self.update_product(
            variant,
            json!({ "manage_stock": true, "stock_quantity": quantity }),
            "stock",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_exact_skus() {
        let answer = json!([
            {"id": 799, "parent_id": 0, "sku": "MUG", "name": "Mug", "regular_price": "99.50"},
            {"id": 800, "parent_id": 0, "sku": "MUG-2", "name": "Other", "regular_price": ""}
        ]);
        let found = exact_products(&answer, "MUG").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].id.as_str(), found[0].product_id.as_str()),
            ("799", "799")
        );
        assert_eq!(found[0].price, Some(Decimal::new(9950, 2)));
        assert!(exact_products(&json!({"code": "x"}), "MUG").is_err());
    }

    #[test]
    fn a_variation_is_changed_under_its_variable_product() {
        let answer = json!([
            {"id": 812, "parent_id": 810, "type": "variation", "sku": "TEE-L", "name": "Tee - L", "regular_price": "150"}
        ]);
        let found = exact_products(&answer, "TEE-L").unwrap();
        assert_eq!(
            product_path(&found[0]).unwrap(),
            "products/810/variations/812"
        );
        let simple = exact_products(
            &json!([{"id": 799, "parent_id": 0, "sku": "MUG", "name": "Mug"}]),
            "MUG",
        )
        .unwrap();
        assert_eq!(product_path(&simple[0]).unwrap(), "products/799");
        let mut odd = simple[0].clone();
        odd.id = "x".into();
        assert!(product_path(&odd).is_err());
    }
}
