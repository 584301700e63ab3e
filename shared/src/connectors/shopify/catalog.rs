//! Shopify as the shop whose catalogue Ferry keeps up to date.
//!
//! - Variants are found by SKU through the Admin GraphQL API
//!   (`productVariants(query: "sku:…")`), the one Admin API that searches
//!   by SKU; Shopify's search is by words, so only exact SKUs are kept.
//! - Prices are set with the Admin REST API, `PUT variants/{id}.json`.
//! - Stock is set per location with `POST inventory_levels/set.json` on the
//!   variant's inventory item; `GET locations.json` lists the locations.
//! - Every call goes through the shop's pacer (the REST leaky bucket), and a
//!   429 or a throttled GraphQL answer holds it for the time Shopify asks.

use super::{error_words, Shopify, DEFAULT_PAUSE, SYSTEM};
use crate::connectors::catalog::{price_text, text_of, CatalogTarget, ShopVariant, StockLocation};
use crate::connectors::http::json_of;
use crate::connectors::ConnectorError;
use async_trait::async_trait;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// More than one is a collision; a few more show the merchant how many.
const VARIANTS_PER_SKU: usize = 10;

const FIND_BY_SKU: &str = "query VariantsBySku($query: String!, $first: Int!) { \
productVariants(first: $first, query: $query) { nodes { legacyResourceId sku title price \
product { legacyResourceId title } inventoryItem { legacyResourceId } } } }";

/// Quotes a SKU for Shopify's search syntax.
pub fn sku_query(sku: &str) -> String {
    search_term("sku", sku)
}

/// `field:"value"` in Shopify's search syntax, the value quoted.
pub fn search_term(field: &str, value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("{field}:\"{escaped}\"")
}

/// The variants of a `productVariants` answer whose SKU is exactly `sku`.
pub fn exact_variants(answer: &Value, sku: &str) -> Result<Vec<ShopVariant>, ConnectorError> {
    if let Some(errors) = answer["errors"].as_array().filter(|e| !e.is_empty()) {
        let throttled = errors
            .iter()
            .any(|e| e["extensions"]["code"].as_str() == Some("THROTTLED"));
        let words: Vec<&str> = errors
            .iter()
            .filter_map(|e| e["message"].as_str())
            .collect();
        let message = format!("{SYSTEM} refused the search by SKU: {}", words.join("; "));
        return Err(if throttled {
            ConnectorError::Transient {
                message: format!("{message}; Ferry will try again"),
                retry_after: Some(DEFAULT_PAUSE),
            }
        } else {
            ConnectorError::permanent(message)
        });
    }
    let Some(nodes) = answer["data"]["productVariants"]["nodes"].as_array() else {
        return Err(ConnectorError::transient(format!(
            "{SYSTEM}'s answer to the search by SKU had no variants; Ferry will try again"
        )));
    };
    Ok(nodes
        .iter()
        .filter(|node| node["sku"].as_str().map(str::trim) == Some(sku))
        .filter_map(|node| {
            let product = &node["product"];
            let title = match (text_of(&product["title"]), text_of(&node["title"])) {
                (Some(product), Some(variant)) if variant != "Default Title" => {
                    format!("{product} / {variant}")
                }
                (Some(product), _) => product,
                (None, variant) => variant.unwrap_or_default(),
            };
            Some(ShopVariant {
                id: text_of(&node["legacyResourceId"])?,
                product_id: text_of(&product["legacyResourceId"]).unwrap_or_default(),
                sku: sku.to_owned(),
                title,
                price: crate::connectors::catalog::decimal_of(&node["price"]),
                inventory_item_id: text_of(&node["inventoryItem"]["legacyResourceId"]),
            })
        })
        .collect())
}

/// A Shopify id as the number the REST API takes.
fn numeric_id(id: &str, what: &str) -> Result<u64, ConnectorError> {
    id.parse().map_err(|_| {
        ConnectorError::permanent(format!(
            "{SYSTEM} gave the {what} an id that is not a number: '{id}'"
        ))
    })
}

#[async_trait]
impl CatalogTarget for Shopify {
    async fn find_variants(&self, sku: &str) -> Result<Vec<ShopVariant>, ConnectorError> {
        let body = json!({
            "query": FIND_BY_SKU,
            "variables": { "query": sku_query(sku), "first": VARIANTS_PER_SKU },
        });
        let reply = self.call(Method::POST, "graphql.json", Some(&body)).await?;
        let answer = json_of(SYSTEM, reply, "search by SKU", error_words)?;
        exact_variants(&answer, sku)
    }

    async fn set_price(
        &self,
        variant: &ShopVariant,
        price: Decimal,
    ) -> Result<Value, ConnectorError> {
        let id = numeric_id(&variant.id, "variant")?;
        let body = json!({ "variant": { "id": id, "price": price_text(price) } });
        let reply = self
            .call(Method::PUT, &format!("variants/{id}.json"), Some(&body))
            .await?;
        json_of(SYSTEM, reply, "price", error_words)?;
        Ok(body)
    }

    async fn stock_locations(&self) -> Result<Vec<StockLocation>, ConnectorError> {
        let reply = self.call(Method::GET, "locations.json", None).await?;
        let answer = json_of(SYSTEM, reply, "list of locations", error_words)?;
        let Some(locations) = answer["locations"].as_array() else {
            return Err(ConnectorError::transient(format!(
                "{SYSTEM}'s list of locations was unreadable; Ferry will try again"
            )));
        };
        Ok(locations
            .iter()
            .filter(|l| l["active"].as_bool() != Some(false))
            .filter_map(|l| {
                Some(StockLocation {
                    id: text_of(&l["id"])?,
                    name: text_of(&l["name"]).unwrap_or_default(),
                })
            })
            .collect())
    }

    async fn set_stock(
        &self,
        variant: &ShopVariant,
        location: Option<&StockLocation>,
        quantity: i64,
    ) -> Result<Value, ConnectorError> {
        let Some(location) = location else {
            return Err(ConnectorError::permanent(format!(
                "{SYSTEM} keeps stock per location, and none was chosen"
            )));
        };
        let Some(item) = variant.inventory_item_id.as_deref() else {
            return Err(ConnectorError::permanent(format!(
                "{SYSTEM} has no inventory item for variant '{}' (SKU {}): switch on \"Track quantity\" for it",
                variant.title, variant.sku
            )));
        };
        let body = json!({
            "location_id": numeric_id(&location.id, "location")?,
            "inventory_item_id": numeric_id(item, "inventory item")?,
            "available": quantity,
        });
        let reply = self
            .call(Method::POST, "inventory_levels/set.json", Some(&body))
            .await?;
        json_of(SYSTEM, reply, "stock level", error_words)?;
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_skus_for_the_search() {
        assert_eq!(sku_query("MUG-1"), r#"sku:"MUG-1""#);
        assert_eq!(sku_query(r#"A"B\C"#), r#"sku:"A\"B\\C""#);
    }

    #[test]
    fn keeps_only_exact_skus_and_keeps_big_ids_whole() {
        let answer = json!({"data": {"productVariants": {"nodes": [
            {"legacyResourceId": "9007199254740993", "sku": "MUG", "title": "Large", "price": "99.50",
             "product": {"legacyResourceId": "632910392", "title": "Mug"},
             "inventoryItem": {"legacyResourceId": "808950810"}},
            {"legacyResourceId": "2", "sku": "MUG-2", "title": "Default Title", "price": "10.00",
             "product": {"legacyResourceId": "3", "title": "Other"}, "inventoryItem": null}
        ]}}});
        let found = exact_variants(&answer, "MUG").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "9007199254740993");
        assert_eq!(found[0].title, "Mug / Large");
        assert_eq!(found[0].price, Some(Decimal::new(9950, 2)));
        assert_eq!(found[0].inventory_item_id.as_deref(), Some("808950810"));
    }

    #[test]
    fn a_throttled_search_is_worth_a_retry() {
        let throttled =
            json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]});
        assert!(matches!(
            exact_variants(&throttled, "X"),
            Err(ConnectorError::Transient { .. })
        ));
        let wrong = json!({"errors": [{"message": "Field 'x' doesn't exist"}]});
        assert!(matches!(
            exact_variants(&wrong, "X"),
            Err(ConnectorError::Permanent { .. })
        ));
    }
}
