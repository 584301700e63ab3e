//! Sending one catalogue item to the webshop: the rules of a `products` or
//! `stock` connection, whatever the shop.
//!
//! - The item is matched to the shop's variant by SKU, exactly; none, or
//!   several, fail with that reason and change nothing.
//! - `products` sets the variant's price; `stock` its stock per location
//!   ([`stock_plan`], mapped by the shop system's [`STOCK_LOCATIONS`]).
//!
//! Both are absolute values, so sending again after a crash sets the same
//! value and makes nothing twice. [`CatalogDelivery`], what was done in the
//! shop, is also what delivering a customer answers (`super::customers`);
//! the worker that claims and settles the transfer is `super::worker`.

use crate::connectors::catalog::{shop_quantity, CatalogTarget, ShopVariant, StockLocation};
use crate::connectors::ConnectorError;
use crate::model::{CatalogItem, Entity, System};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

/// The target system's setting that maps the ERP's warehouses to the shop's
/// locations: `{"<warehouse>": "<location id>"}`.
pub const STOCK_LOCATIONS: &str = "stock_locations";

/// What was done in the shop.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogDelivery {
    /// The shop's id of what was updated (variant, product, customer).
    pub target_ref: String,
    /// What was sent (or, when nothing needed sending, why not).
    pub sent: Value,
    /// It was made in the shop (a new customer), not updated.
    pub created: bool,
}

/// Finds the item's variant by SKU and sends the price (`products`) or the
/// stock per location (`stock`). `stock_locations` is the target system's
/// warehouse → location map. Errors are worded for the merchant.
pub async fn deliver_catalog_item(
    target: &dyn CatalogTarget,
    shop: &str,
    entity: Entity,
    item: &CatalogItem,
    stock_locations: &BTreeMap<String, String>,
) -> Result<CatalogDelivery, ConnectorError> {
    let Some(sku) = item.sku.as_deref() else {
        return Err(ConnectorError::permanent(format!(
            "item {} '{}' has no SKU, so it cannot be matched to a product in {shop}: give it one in the ERP",
            item.number, item.name
        )));
    };
    let variant = one_variant(target, shop, sku).await?;
    let sent = match entity {
        Entity::Stock => send_stock(target, shop, item, &variant, stock_locations).await?,
        _ => send_price(target, item, &variant).await?,
    };
    Ok(CatalogDelivery {
        target_ref: variant.id,
        sent,
        created: false,
    })
}

/// The one variant carrying the SKU; none or several is a failure.
async fn one_variant(
    target: &dyn CatalogTarget,
    shop: &str,
    sku: &str,
) -> Result<ShopVariant, ConnectorError> {
    let mut variants = target.find_variants(sku).await?;
    match variants.len() {
        1 => Ok(variants.remove(0)),
        0 => Err(ConnectorError::permanent(format!(
            "no product in {shop} has SKU '{sku}': add the SKU to the product in {shop}, or correct it in the ERP"
        ))),
        n => {
            let names: Vec<String> = variants
                .iter()
                .map(|v| format!("'{}' (id {})", v.title, v.id))
                .collect();
            Err(ConnectorError::permanent(format!(
                "SKU '{sku}' matches {n} variants in {shop}: {}; give each variant its own SKU so Ferry knows which to update",
                names.join(", ")
            )))
        }
    }
}

async fn send_price(
    target: &dyn CatalogTarget,
    item: &CatalogItem,
    variant: &ShopVariant,
) -> Result<Value, ConnectorError> {
    let Some(price) = item.price else {
        return Err(ConnectorError::permanent(format!(
            "item {} '{}' has no sales price in the ERP; set one, or leave the item out of the webshop",
            item.number, item.name
        )));
    };
    target.set_price(variant, price).await
}

async fn send_stock(
    target: &dyn CatalogTarget,
    shop: &str,
    item: &CatalogItem,
    variant: &ShopVariant,
    map: &BTreeMap<String, String>,
) -> Result<Value, ConnectorError> {
    if item.stock.is_empty() {
        return Err(ConnectorError::permanent(format!(
            "the ERP keeps no stock for item {} '{}' (not a stock item, or no inventory module)",
            item.number, item.name
        )));
    }
    let locations = target.stock_locations().await?;
    let plan = stock_plan(shop, item, &locations, map)?;
    let mut sent = Vec::with_capacity(plan.len());
    for (location, quantity) in plan {
        sent.push(
            target
                .set_stock(variant, location.as_ref(), quantity)
                .await?,
        );
    }
    Ok(match sent.len() {
        1 => sent.remove(0),
        _ => Value::Array(sent),
    })
}

/// Which quantity goes to which location:
/// - a shop without locations gets the total;
/// - with a map, each mapped location gets its warehouse's stock (none
///   listed for the item is 0); warehouses left out of the map are not sent;
/// - without a map, a shop with one location gets the total there, and a
///   shop with several cannot be guessed.
pub fn stock_plan(
    shop: &str,
    item: &CatalogItem,
    locations: &[StockLocation],
    map: &BTreeMap<String, String>,
) -> Result<Vec<(Option<StockLocation>, i64)>, ConnectorError> {
    if locations.is_empty() {
        return Ok(vec![(None, shop_quantity(item.total_stock()))]);
    }
    if map.is_empty() {
        if let [only] = locations {
            return Ok(vec![(
                Some(only.clone()),
                shop_quantity(item.total_stock()),
            )]);
        }
        let names: Vec<String> = locations
            .iter()
            .map(|l| format!("'{}' ({})", l.name, l.id))
            .collect();
        return Err(ConnectorError::permanent(format!(
            "{shop} has {} locations ({}); say which warehouse fills which under the shop system's {STOCK_LOCATIONS} setting, e.g. {{\"default\": \"{}\"}}",
            locations.len(),
            names.join(", "),
            locations[0].id
        )));
    }
    map.iter()
        .map(|(warehouse, location_id)| {
            let location = locations
                .iter()
                .find(|l| &l.id == location_id)
                .ok_or_else(|| {
                    ConnectorError::permanent(format!(
                        "{STOCK_LOCATIONS} sends warehouse '{warehouse}' to location {location_id}, which is not an active location of {shop}"
                    ))
                })?;
            let quantity = item.stock.get(warehouse).copied().unwrap_or(Decimal::ZERO);
            Ok((Some(location.clone()), shop_quantity(quantity)))
        })
        .collect()
}

/// The warehouse → location map of a shop system; a setting of the wrong
/// shape is a configuration error the merchant must fix.
pub fn location_map(system: &System) -> Result<BTreeMap<String, String>, String> {
    let wrong = || {
        format!(
            "the {STOCK_LOCATIONS} setting of '{}' must map warehouse names to location ids, e.g. {{\"default\": \"655441491\"}}",
            system.name
        )
    };
    match system.config.get(STOCK_LOCATIONS) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(warehouse, location)| match location {
                Value::String(id) if !id.trim().is_empty() => {
                    Ok((warehouse.clone(), id.trim().to_owned()))
                }
                Value::Number(id) => Ok((warehouse.clone(), id.to_string())),
                _ => Err(wrong()),
            })
            .collect(),
        Some(_) => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DEFAULT_WAREHOUSE;
    use async_trait::async_trait;
    use serde_json::json;
    use std::sync::Mutex;

    /// A shop in memory that records what it was asked to do.
    #[derive(Default)]
    struct FakeShop {
        variants: Vec<ShopVariant>,
        locations: Vec<StockLocation>,
        calls: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl CatalogTarget for FakeShop {
        async fn find_variants(&self, sku: &str) -> Result<Vec<ShopVariant>, ConnectorError> {
            Ok(self
                .variants
                .iter()
                .filter(|v| v.sku == sku)
                .cloned()
                .collect())
        }
        async fn set_price(
            &self,
            variant: &ShopVariant,
            price: Decimal,
        ) -> Result<Value, ConnectorError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("price {} {price}", variant.id));
            Ok(json!({"price": price.to_string()}))
        }
        async fn stock_locations(&self) -> Result<Vec<StockLocation>, ConnectorError> {
            Ok(self.locations.clone())
        }
        async fn set_stock(
            &self,
            variant: &ShopVariant,
            location: Option<&StockLocation>,
            quantity: i64,
        ) -> Result<Value, ConnectorError> {
            let at = location.map_or("-".to_owned(), |l| l.id.clone());
            self.calls
                .lock()
                .unwrap()
                .push(format!("stock {} {at} {quantity}", variant.id));
            Ok(json!({"available": quantity}))
        }
    }

    fn variant(id: &str, sku: &str) -> ShopVariant {
        ShopVariant {
            id: id.into(),
            product_id: "p".into(),
            sku: sku.into(),
            title: format!("Mug {id}"),
            price: None,
            inventory_item_id: Some(format!("inv{id}")),
        }
    }

    fn location(id: &str) -> StockLocation {
        StockLocation {
            id: id.into(),
            name: format!("Store {id}"),
        }
    }

    fn item(stock: &[(&str, i64)]) -> CatalogItem {
        CatalogItem {
            number: "100".into(),
            sku: Some("MUG".into()),
            name: "Mug".into(),
            price: Some(Decimal::new(9950, 2)),
            stock: stock
                .iter()
                .map(|(w, q)| ((*w).to_owned(), Decimal::from(*q)))
                .collect(),
        }
    }

    #[tokio::test]
    async fn sends_the_price_to_the_one_variant() {
        let shop = FakeShop {
            variants: vec![variant("1", "MUG"), variant("2", "CUP")],
            ..FakeShop::default()
        };
        let done = deliver_catalog_item(
            &shop,
            "Shopify",
            Entity::Products,
            &item(&[]),
            &BTreeMap::new(),
        )
        .await
        .unwrap();
        assert_eq!(done.target_ref, "1");
        assert_eq!(*shop.calls.lock().unwrap(), vec!["price 1 99.50"]);
    }

    #[tokio::test]
    async fn no_sku_a_missing_sku_and_a_collision_fail_with_their_reason() {
        let shop = FakeShop {
            variants: vec![variant("1", "MUG"), variant("2", "MUG")],
            ..FakeShop::default()
        };
        let mut no_sku = item(&[]);
        no_sku.sku = None;
        let reason = |r: Result<CatalogDelivery, ConnectorError>| match r {
            Err(ConnectorError::Permanent { message }) => message,
            other => panic!("expected a permanent failure, got {other:?}"),
        };
        let none = BTreeMap::new();
        assert!(reason(
            deliver_catalog_item(&shop, "Shopify", Entity::Products, &no_sku, &none).await
        )
        .contains("has no SKU"));
        let collision = reason(
            deliver_catalog_item(&shop, "Shopify", Entity::Products, &item(&[]), &none).await,
        );
        assert!(collision.contains("matches 2 variants"), "{collision}");
        let mut other = item(&[]);
        other.sku = Some("PLATE".into());
        assert!(reason(
            deliver_catalog_item(&shop, "Shopify", Entity::Products, &other, &none).await
        )
        .contains("no product in Shopify has SKU 'PLATE'"));
        assert!(shop.calls.lock().unwrap().is_empty(), "nothing was changed");
    }

    #[tokio::test]
    async fn stock_goes_to_the_mapped_locations() {
        let shop = FakeShop {
            variants: vec![variant("1", "MUG")],
            locations: vec![location("10"), location("20")],
            ..FakeShop::default()
        };
        let map = BTreeMap::from([
            ("A".to_owned(), "10".to_owned()),
            ("B".to_owned(), "20".to_owned()),
        ]);
        deliver_catalog_item(
            &shop,
            "Shopify",
            Entity::Stock,
            &item(&[("A", 7), ("C", 3)]),
            &map,
        )
        .await
        .unwrap();
        assert_eq!(
            *shop.calls.lock().unwrap(),
            vec!["stock 1 10 7", "stock 1 20 0"],
            "B holds none; C is not mapped"
        );
    }

    #[test]
    fn several_locations_without_a_map_cannot_be_guessed() {
        let two = [location("10"), location("20")];
        let stock = item(&[(DEFAULT_WAREHOUSE, 5)]);
        let error = stock_plan("Shopify", &stock, &two, &BTreeMap::new()).unwrap_err();
        assert!(error.to_string().contains("has 2 locations"), "{error}");
        let one = stock_plan("Shopify", &stock, &two[..1], &BTreeMap::new()).unwrap();
        assert_eq!(one, vec![(Some(location("10")), 5)]);
        let none = stock_plan("WooCommerce", &stock, &[], &BTreeMap::new()).unwrap();
        assert_eq!(none, vec![(None, 5)]);
        let wrong = BTreeMap::from([(DEFAULT_WAREHOUSE.to_owned(), "99".to_owned())]);
        assert!(stock_plan("Shopify", &stock, &two, &wrong).is_err());
    }
}
