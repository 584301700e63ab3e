//! The shop's catalogue as Ferry keeps it up to date: products with
//! variants (SKU, price, inventory item), locations, and inventory levels.
//!
//! - `POST graphql.json` answers the one query Ferry sends, the
//!   `productVariants(first:, query: "sku:…")` search; like Shopify's
//!   search it matches the SKU without regard to case.
//! - `PUT variants/{id}.json` sets a variant's price.
//! - `GET locations.json` lists the locations; `POST inventory_levels/set.json`
//!   sets the available stock of an inventory item at a location.
//!
//! Every call passes the same gate as the order endpoints: the access
//! token, an injected fault, the leaky bucket.

use super::api::{answer, gate, not_found};
use super::{lock, Handle, Shop};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

type SharedShop = Arc<Mutex<Shop>>;

/// Shopify's sample location id: the shop's first location.
const FIRST_LOCATION_ID: u64 = 655_441_491;
const FIRST_PRODUCT_ID: u64 = 632_910_392;
/// Above 2^53, as real variant ids are.
const FIRST_VARIANT_ID: u64 = 9_007_199_254_740_993;
const FIRST_INVENTORY_ITEM_ID: u64 = 808_950_810;

#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub id: u64,
    pub product_id: u64,
    pub title: String,
    pub sku: String,
    pub price: Decimal,
    pub inventory_item_id: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: u64,
    pub name: String,
}

/// The catalogue part of the shop's state.
#[derive(Debug)]
pub(super) struct Catalog {
    products: BTreeMap<u64, String>,
    variants: Vec<Variant>,
    locations: Vec<Location>,
    /// (inventory item, location) -> available
    levels: BTreeMap<(u64, u64), i64>,
    next_product: u64,
    next_variant: u64,
    next_item: u64,
    next_location: u64,
    /// Price and stock changes made through the API.
    writes: u64,
}

impl Default for Catalog {
    fn default() -> Self {
        Self {
            products: BTreeMap::new(),
            variants: Vec::new(),
            locations: vec![Location {
                id: FIRST_LOCATION_ID,
                name: "Shop location".into(),
            }],
            levels: BTreeMap::new(),
            next_product: FIRST_PRODUCT_ID,
            next_variant: FIRST_VARIANT_ID,
            next_item: FIRST_INVENTORY_ITEM_ID,
            next_location: FIRST_LOCATION_ID + 1_000,
            writes: 0,
        }
    }
}

pub(super) fn router(shop: SharedShop) -> Router {
    Router::new()
        .route("/admin/api/{version}/graphql.json", post(graphql))
        .route("/admin/api/{version}/locations.json", get(locations))
        .route("/admin/api/{version}/variants/{file}", put(update_variant))
        .route(
            "/admin/api/{version}/inventory_levels/set.json",
            post(set_level),
        )
        .with_state(shop)
}

fn unprocessable(errors: Value) -> Response {
    answer(
        StatusCode::UNPROCESSABLE_ENTITY,
        &[],
        json!({ "errors": errors }),
    )
}

fn money(amount: Decimal) -> String {
    format!("{:.2}", amount)
}

/// The SKU a `sku:"…"` (or `sku:…`) search asks for.
fn searched_sku(query: &str) -> Option<String> {
    let rest = query.trim().strip_prefix("sku:")?;
    match rest.strip_prefix('"') {
        Some(quoted) => {
            let mut sku = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => sku.push(chars.next()?),
                    '"' => return Some(sku),
                    c => sku.push(c),
                }
            }
            None
        }
        None => Some(rest.trim().to_owned()),
    }
}

async fn graphql(
    State(shop): State<SharedShop>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut shop = lock(&shop);
    let limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return answer(
            StatusCode::BAD_REQUEST,
            &[],
            json!({ "errors": "Invalid JSON in request body." }),
        );
    };
    let query = request["query"].as_str().unwrap_or_default();
    let variables = &request["variables"];
    if !query.contains("productVariants") {
        return answer(
            StatusCode::OK,
            &[],
            json!({ "errors": [{ "message": "The sandbox answers only the productVariants search." }] }),
        );
    }
    let first = variables["first"].as_u64().unwrap_or(10).clamp(1, 250) as usize;
    let Some(sku) = variables["query"].as_str().and_then(searched_sku) else {
        return answer(
            StatusCode::OK,
            &[],
            json!({ "errors": [{ "message": "Variable $query must be a search such as sku:\"ABC\"." }] }),
        );
    };
    let catalog = &shop.catalog;
    let nodes: Vec<Value> = catalog
        .variants
        .iter()
        .filter(|v| v.sku.eq_ignore_ascii_case(&sku))
        .take(first)
        .map(|v| {
            json!({
                "legacyResourceId": v.id.to_string(),
                "sku": v.sku,
                "title": v.title,
                "price": money(v.price),
                "product": {
                    "legacyResourceId": v.product_id.to_string(),
                    "title": catalog.products.get(&v.product_id).cloned().unwrap_or_default(),
                },
                "inventoryItem": { "legacyResourceId": v.inventory_item_id.to_string() },
            })
        })
        .collect();
    let cost = 2 + nodes.len();
    answer(
        StatusCode::OK,
        &[("X-Shopify-Shop-Api-Call-Limit", limit)],
        json!({
            "data": { "productVariants": { "nodes": nodes } },
            "extensions": { "cost": {
                "requestedQueryCost": cost, "actualQueryCost": cost,
                "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 1998, "restoreRate": 100.0 }
            }}
        }),
    )
}

async fn locations(
    State(shop): State<SharedShop>,
    Path(version): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut shop = lock(&shop);
    let limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let locations: Vec<Value> = shop
        .catalog
        .locations
        .iter()
        .map(|l| json!({ "id": l.id, "name": l.name, "active": true, "legacy": false }))
        .collect();
    answer(
        StatusCode::OK,
        &[("X-Shopify-Shop-Api-Call-Limit", limit)],
        json!({ "locations": locations }),
    )
}

async fn update_variant(
    State(shop): State<SharedShop>,
    Path((version, file)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut shop = lock(&shop);
    let limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let Some(id) = file
        .strip_suffix(".json")
        .and_then(|id| id.parse::<u64>().ok())
    else {
        return not_found();
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return unprocessable(json!({ "variant": ["is missing or invalid JSON"] }));
    };
    let price = match &request["variant"]["price"] {
        Value::Null => None,
        Value::String(text) => match Decimal::from_str(text.trim()) {
            Ok(price) if price >= Decimal::ZERO => Some(price),
            _ => return unprocessable(json!({ "price": ["is invalid"] })),
        },
        _ => return unprocessable(json!({ "price": ["is invalid"] })),
    };
    let shop = &mut *shop;
    let Some(variant) = shop.catalog.variants.iter_mut().find(|v| v.id == id) else {
        return not_found();
    };
    if let Some(price) = price {
        variant.price = price;
    }
    let answer_body = json!({ "variant": {
        "id": variant.id, "product_id": variant.product_id, "title": variant.title,
        "sku": variant.sku, "price": money(variant.price),
        "inventory_item_id": variant.inventory_item_id,
    }});
    shop.catalog.writes += 1;
    answer(
        StatusCode::OK,
        &[("X-Shopify-Shop-Api-Call-Limit", limit)],
        answer_body,
    )
}

async fn set_level(
    State(shop): State<SharedShop>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut shop = lock(&shop);
    let limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return unprocessable(json!([
            "Required parameter missing or invalid: location_id"
        ]));
    };
    let (Some(location), Some(item), Some(available)) = (
        request["location_id"].as_u64(),
        request["inventory_item_id"].as_u64(),
        request["available"].as_i64(),
    ) else {
        return unprocessable(json!([
            "Required parameters missing or invalid: location_id, inventory_item_id, available"
        ]));
    };
    let catalog = &mut shop.catalog;
    if !catalog.locations.iter().any(|l| l.id == location) {
        return not_found();
    }
    if !catalog.variants.iter().any(|v| v.inventory_item_id == item) {
        return not_found();
    }
    catalog.levels.insert((item, location), available);
    catalog.writes += 1;
    answer(
        StatusCode::OK,
        &[("X-Shopify-Shop-Api-Call-Limit", limit)],
        json!({ "inventory_level": {
            "inventory_item_id": item, "location_id": location, "available": available,
            "updated_at": chrono::Utc::now().to_rfc3339(),
        }}),
    )
}

impl Handle {
    /// Adds a product with variants `(variant title, SKU, price)`; answers
    /// the variants' ids.
    pub fn add_product(&self, title: &str, variants: &[(&str, &str, Decimal)]) -> Vec<u64> {
        let mut shop = lock(&self.shop);
        let catalog = &mut shop.catalog;
        let product_id = catalog.next_product;
        catalog.next_product += 1;
        catalog.products.insert(product_id, title.to_owned());
        let mut ids = Vec::with_capacity(variants.len());
        for (variant_title, sku, price) in variants {
            let variant = Variant {
                id: catalog.next_variant,
                product_id,
                title: (*variant_title).to_owned(),
                sku: (*sku).to_owned(),
                price: *price,
                inventory_item_id: catalog.next_item,
            };
            catalog.next_variant += 1;
            catalog.next_item += 1;
            ids.push(variant.id);
            catalog.variants.push(variant);
        }
        ids
    }

    /// Adds a location; answers its id.
    pub fn add_location(&self, name: &str) -> u64 {
        let mut shop = lock(&self.shop);
        let catalog = &mut shop.catalog;
        let id = catalog.next_location;
        catalog.next_location += 1;
        catalog.locations.push(Location {
            id,
            name: name.to_owned(),
        });
        id
    }

    pub fn locations(&self) -> Vec<Location> {
        lock(&self.shop).catalog.locations.clone()
    }

    /// Every variant carrying exactly this SKU.
    pub fn variants_with_sku(&self, sku: &str) -> Vec<Variant> {
        lock(&self.shop)
            .catalog
            .variants
            .iter()
            .filter(|v| v.sku == sku)
            .cloned()
            .collect()
    }

    /// The available stock of the variant at the location, if ever set.
    pub fn available(&self, variant_id: u64, location_id: u64) -> Option<i64> {
        let shop = lock(&self.shop);
        let variant = shop.catalog.variants.iter().find(|v| v.id == variant_id)?;
        shop.catalog
            .levels
            .get(&(variant.inventory_item_id, location_id))
            .copied()
    }

    /// Price and stock changes made through the API so far.
    pub fn catalog_writes(&self) -> u64 {
        lock(&self.shop).catalog.writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_and_bare_sku_searches() {
        assert_eq!(searched_sku(r#"sku:"MUG-1""#).as_deref(), Some("MUG-1"));
        assert_eq!(
            searched_sku(r#"sku:"A\"B\\C""#).as_deref(),
            Some(r#"A"B\C"#)
        );
        assert_eq!(searched_sku("sku:PLAIN").as_deref(), Some("PLAIN"));
        assert_eq!(searched_sku("title:mug"), None);
        assert_eq!(searched_sku(r#"sku:"open"#), None);
    }
}
