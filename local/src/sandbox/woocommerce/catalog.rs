//! The shop's products as Ferry keeps them up to date, through the REST v3
//! products endpoints: `GET products` (with `sku`, `per_page`, `page`; the
//! SKU matched exactly, as WooCommerce does) and `PUT products/{id}`
//! (`regular_price`, `manage_stock`, `stock_quantity`). WooCommerce keeps
//! one stock figure per product.

use super::api::{gate, invalid_param, wp_error};
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
}

/// The catalogue part of the shop's state.
#[derive(Debug, Default)]
pub(super) struct Catalog {
    products: BTreeMap<u64, Product>,
    next_id: u64,
    /// Price and stock changes made through the API.
    writes: u64,
}

pub(super) fn router(shop: SharedShop) -> Router {
    Router::new()
        .route("/wp-json/wc/v3/products", get(list_products))
        .route(
            "/wp-json/wc/v3/products/{id}",
            get(one_product).put(update_product),
        )
        .with_state(shop)
}

fn product_json(product: &Product) -> Value {
    json!({
        "id": product.id,
        "name": product.name,
        "type": "simple",
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
        "parent_id": 0,
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
    let number = |name: &str, default: usize, max: usize| match params.get(name) {
        None => Some(default),
        Some(text) => text.parse::<usize>().ok().filter(|n| (1..=max).contains(n)),
    };
    let Some(per_page) = number("per_page", 10, 100) else {
        return *invalid_param(
            "per_page",
            "per_page must be between 1 (inclusive) and 100 (inclusive)",
        );
    };
    let Some(page) = number("page", 1, usize::MAX) else {
        return *invalid_param("page", "page must be greater than or equal to 1");
    };
    let skus: Option<Vec<&str>> = params
        .get("sku")
        .map(|list| list.split(',').map(str::trim).collect());
    let matching: Vec<&Product> = shop
        .catalog
        .products
        .values()
        .filter(|p| {
            skus.as_ref()
                .is_none_or(|skus| skus.contains(&p.sku.as_str()))
        })
        .collect();
    let total = matching.len();
    let pages = total.div_ceil(per_page);
    let items: Vec<Value> = matching
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|p| product_json(p))
        .collect();
    let mut response = axum::Json(items).into_response();
    for (name, value) in [("x-wp-total", total), ("x-wp-totalpages", pages)] {
        if let Ok(value) = axum::http::HeaderValue::from_str(&value.to_string()) {
            response.headers_mut().insert(name, value);
        }
    }
    response
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
    {
        Some(product) => axum::Json(product_json(product)).into_response(),
        None => invalid_id(),
    }
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
    let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&body) else {
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
    let shop = &mut *shop;
    let Some(product) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| shop.catalog.products.get_mut(&id))
    else {
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
    shop.catalog.writes += 1;
    axum::Json(answer).into_response()
}

impl Handle {
    /// Adds a simple product; answers its id.
    pub fn add_product(&self, name: &str, sku: &str, regular_price: Decimal) -> u64 {
        let mut shop = lock(&self.shop);
        let catalog = &mut shop.catalog;
        let id = catalog.next_id.max(FIRST_PRODUCT_ID);
        catalog.next_id = id + 1;
        catalog.products.insert(
            id,
            Product {
                id,
                name: name.to_owned(),
                sku: sku.to_owned(),
                regular_price: Some(regular_price),
                manage_stock: false,
                stock_quantity: None,
            },
        );
        id
    }

    pub fn product(&self, id: u64) -> Option<Product> {
        lock(&self.shop).catalog.products.get(&id).cloned()
    }

    /// Price and stock changes made through the API so far.
    pub fn catalog_writes(&self) -> u64 {
        lock(&self.shop).catalog.writes
    }
}
