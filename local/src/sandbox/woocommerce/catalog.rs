//! The shop's products as Ferry keeps them up to date, through the REST v3
//! products endpoints: `GET products` (with `sku`, `per_page`, `page`; the
//! SKU matched exactly, as WooCommerce does) and `PUT products/{id}`
//! (`regular_price`, `manage_stock`, `stock_quantity`). WooCommerce keeps
//! one stock figure per product, or per variation of a variable product.
//!
//! Variations are posts of their own (`product_variation`): like
//! WooCommerce, a search by SKU finds them too (with `type: "variation"`
//! and the variable product as `parent_id`), a plain listing does not, and
//! they are changed through `PUT products/{parent}/variations/{id}` only —
//! `PUT products/{id}` with a variation's id is refused as an invalid id.

use super::api::{gate, invalid_param, one_page, paging, wp_error};
use super::{lock, Handle, Shop};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

type SharedShop = Arc<Mutex<Shop>>;

const FIRST_PRODUCT_ID: u64 = 799;

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: u64,
    pub name: String,
    pub sku: String,
    pub regular_price: Option<Decimal>,
    pub manage_stock: bool,
    pub stock_quantity: Option<i64>,
    /// The variable product a variation belongs to; 0 for other products.
    pub parent_id: u64,
    pub kind: Kind,
}

/// WooCommerce's product `type`, as far as the sandbox keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Simple,
    Variable,
    Variation,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Simple => "simple",
            Kind::Variable => "variable",
            Kind::Variation => "variation",
        }
    }
}

/// The catalogue part of the shop's state.
#[derive(Debug, Default)]
pub(super) struct Catalog {
    products: BTreeMap<u64, Product>,
    next_id: u64,
    /// Price and stock changes made through the API.
    writes: u64,
}

impl Catalog {
    fn insert(
        &mut self,
        name: &str,
        sku: &str,
        regular_price: Option<Decimal>,
        parent_id: u64,
        kind: Kind,
    ) -> u64 {
        let id = self.next_id.max(FIRST_PRODUCT_ID);
        self.next_id = id + 1;
        self.products.insert(
            id,
            Product {
                id,
                name: name.to_owned(),
                sku: sku.to_owned(),
                regular_price,
                manage_stock: false,
                stock_quantity: None,
                parent_id,
                kind,
            },
        );
        id
    }
}

pub(super) fn router(shop: SharedShop) -> Router {
    Router::new()
        .route("/wp-json/wc/v3/products", get(list_products))
        .route(
            "/wp-json/wc/v3/products/{id}",
            get(one_product).put(update_product),
        )
        .route(
            "/wp-json/wc/v3/products/{parent}/variations/{id}",
            get(one_variation).put(update_variation),
        )
        .with_state(shop)
}

fn product_json(product: &Product) -> Value {
    json!({
        "id": product.id,
        "name": product.name,
        "type": product.kind.word(),
        "status": "publish",
        "sku": product.sku,
        "price": product.regular_price.map(|p| p.to_string()).unwrap_or_default(),
        "regular_price": product.regular_price.map(|p| p.to_string()).unwrap_or_default(),
        "manage_stock": product.manage_stock,
        "stock_quantity": product.stock_quantity,
        "stock_status": match product.stock_quantity {
            Some(q) if product.manage_stock && q <= 0 => "outofstock",
            _ => "instock",
        },
        "parent_id": product.parent_id,
    })
}

async fn list_products(
    State(shop): State<SharedShop>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let params: BTreeMap<String, String> = raw.into_iter().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you cannot list resources.",
    ) {
        return refused;
    }
    let (page, per_page) = match paging(&params) {
        Ok(paging) => paging,
        Err(refused) => return *refused,
    };
    let skus: Option<Vec<&str>> = params
        .get("sku")
        .map(|list| list.split(',').map(str::trim).collect());
    let matching: Vec<&Product> = shop
        .catalog
        .products
        .values()
        .filter(|p| match &skus {
            // A search by SKU looks at variations too; a listing does not.
            Some(skus) => skus.contains(&p.sku.as_str()),
            None => p.kind != Kind::Variation,
        })
        .collect();
    one_page(&matching, page, per_page, |p| product_json(p))
}

async fn one_product(
    State(shop): State<SharedShop>,
    Path(id): Path<String>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let params: BTreeMap<String, String> = raw.into_iter().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you cannot view this resource.",
    ) {
        return refused;
    }
    match id
        .parse::<u64>()
        .ok()
        .and_then(|id| shop.catalog.products.get(&id))
        .filter(|p| p.kind != Kind::Variation)
    {
        Some(product) => axum::Json(product_json(product)).into_response(),
        None => invalid_id(),
    }
}

/// `GET products/{parent}/variations/{id}`.
async fn one_variation(
    State(shop): State<SharedShop>,
    Path((parent, id)): Path<(String, String)>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let params: BTreeMap<String, String> = raw.into_iter().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you cannot view this resource.",
    ) {
        return refused;
    }
    match variation_id(&shop.catalog, &parent, &id) {
        Ok(id) => match shop.catalog.products.get(&id) {
            Some(variation) => axum::Json(product_json(variation)).into_response(),
            None => invalid_variation_id(),
        },
        Err(refused) => *refused,
    }
}

/// The id of variation `id` of variable product `parent`, or WooCommerce's
/// refusal.
fn variation_id(catalog: &Catalog, parent: &str, id: &str) -> Result<u64, Box<Response>> {
    let parent = parent
        .parse::<u64>()
        .ok()
        .filter(|p| {
            catalog
                .products
                .get(p)
                .is_some_and(|p| p.kind == Kind::Variable)
        })
        .ok_or_else(|| Box::new(invalid_id()))?;
    id.parse::<u64>()
        .ok()
        .filter(|id| {
            catalog
                .products
                .get(id)
                .is_some_and(|v| v.kind == Kind::Variation && v.parent_id == parent)
        })
        .ok_or_else(|| Box::new(invalid_variation_id()))
}

fn invalid_variation_id() -> Response {
    wp_error(
        StatusCode::NOT_FOUND,
        "woocommerce_rest_product_variation_invalid_id",
        "Invalid ID.",
    )
}

fn invalid_id() -> Response {
    wp_error(
        StatusCode::NOT_FOUND,
        "woocommerce_rest_product_invalid_id",
        "Invalid ID.",
    )
}

async fn update_product(
    State(shop): State<SharedShop>,
    Path(id): Path<String>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params: BTreeMap<String, String> = raw.into_iter().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you are not allowed to edit this resource.",
    ) {
        return refused;
    }
    let id = id.parse::<u64>().ok().filter(|id| {
        shop.catalog
            .products
            .get(id)
            .is_some_and(|p| p.kind != Kind::Variation)
    });
    match id {
        Some(id) => apply_changes(&mut shop.catalog, id, &body),
        None => invalid_id(),
    }
}

/// `PUT products/{parent}/variations/{id}`.
async fn update_variation(
    State(shop): State<SharedShop>,
    Path((parent, id)): Path<(String, String)>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params: BTreeMap<String, String> = raw.into_iter().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you are not allowed to edit this resource.",
    ) {
        return refused;
    }
    match variation_id(&shop.catalog, &parent, &id) {
        Ok(id) => apply_changes(&mut shop.catalog, id, &body),
        Err(refused) => *refused,
    }
}

/// Applies a product or variation update body to product `id` (which
/// exists) and answers it as WooCommerce does.
fn apply_changes(catalog: &mut Catalog, id: u64, body: &[u8]) -> Response {
    let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(body) else {
        return wp_error(
            StatusCode::BAD_REQUEST,
            "rest_invalid_json",
            "Invalid JSON body passed.",
        );
    };
    let price = match changes.get("regular_price") {
        None => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(Value::String(text)) => match Decimal::from_str(text.trim()) {
            Ok(price) => Some(price),
            Err(_) => {
                return *invalid_param("regular_price", "regular_price is not of type string.")
            }
        },
        Some(_) => return *invalid_param("regular_price", "regular_price is not of type string."),
    };
    let stock = match changes.get("stock_quantity") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_i64() {
            Some(quantity) => Some(quantity),
            None => {
                return *invalid_param("stock_quantity", "stock_quantity is not of type integer.")
            }
        },
    };
    let manage = changes.get("manage_stock").and_then(Value::as_bool);
    let Some(product) = catalog.products.get_mut(&id) else {
        return invalid_id();
    };
    if let Some(price) = price {
        product.regular_price = Some(price);
    }
    if let Some(manage) = manage {
        product.manage_stock = manage;
    }
    if let Some(quantity) = stock {
        product.stock_quantity = Some(quantity);
    }
    let answer = product_json(product);
    catalog.writes += 1;
    axum::Json(answer).into_response()
}

impl Handle {
    /// Adds a simple product; answers its id.
    pub fn add_product(&self, name: &str, sku: &str, regular_price: Decimal) -> u64 {
        let mut shop = lock(&self.shop);
        shop.catalog
            .insert(name, sku, Some(regular_price), 0, Kind::Simple)
    }

    /// Adds a variable product (no SKU of its own) with one variation per
    /// `(name, sku, regular_price)`; answers the product's id and the
    /// variations' ids in order.
    pub fn add_variable_product(
        &self,
        name: &str,
        variations: &[(&str, &str, Decimal)],
    ) -> (u64, Vec<u64>) {
        let mut shop = lock(&self.shop);
        let catalog = &mut shop.catalog;
        let parent = catalog.insert(name, "", None, 0, Kind::Variable);
        let ids = variations
            .iter()
            .map(|(variation, sku, price)| {
                catalog.insert(
                    &format!("{name} - {variation}"),
                    sku,
                    Some(*price),
                    parent,
                    Kind::Variation,
                )
            })
            .collect();
        (parent, ids)
    }

    pub fn product(&self, id: u64) -> Option<Product> {
        lock(&self.shop).catalog.products.get(&id).cloned()
    }

    /// Price and stock changes made through the API so far.
    pub fn catalog_writes(&self) -> u64 {
        lock(&self.shop).catalog.writes
    }
}
