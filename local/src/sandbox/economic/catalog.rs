//! The product register as a bookkeeper keeps it, for Ferry's products and
//! stock flows: products with a sales price, a bar code, and, where the
//! agreement has the inventory module, an `inventory` object with the
//! stock. Served by the existing `GET /products` (paged with `skippages`
//! and `pagesize`).

use super::harness::number;
use super::{Handle, Product};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// A product as a bookkeeper enters it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub product_number: String,
    pub name: String,
    pub sales_price: Option<Decimal>,
    pub bar_code: Option<String>,
    /// `Some` when the agreement has the inventory module.
    pub in_stock: Option<Decimal>,
}

impl NewProduct {
    pub fn new(product_number: &str, name: &str, sales_price: Decimal, in_stock: i64) -> Self {
        Self {
            product_number: product_number.to_owned(),
            name: name.to_owned(),
            sales_price: Some(sales_price),
            bar_code: None,
            in_stock: Some(Decimal::from(in_stock)),
        }
    }
}

fn body_of(product: &NewProduct, base_url: &str) -> Value {
    let mut body = json!({
        "productNumber": product.product_number,
        "name": product.name,
        "barred": false,
        "productGroup": { "productGroupNumber": 1 },
        "lastUpdated": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "self": format!("{base_url}/products/{}", product.product_number),
    });
    if let Some(price) = product.sales_price {
        body["salesPrice"] = number(price);
    }
    if let Some(code) = &product.bar_code {
        body["barCode"] = json!(code);
    }
    if let Some(in_stock) = product.in_stock {
        body["inventory"] = json!({
            "available": number(in_stock),
            "inStock": number(in_stock),
            "orderedByCustomers": 0,
            "orderedFromSuppliers": 0,
        });
    }
    body
}

impl Handle {
    /// Adds or replaces products (one lock for many: a 5,000-item
    /// catalogue is set up at once).
    pub fn put_products(&self, products: impl IntoIterator<Item = NewProduct>) {
        let base_url = self.shared.base_url.clone();
        let mut ledger = self.shared.ledger();
        for product in products {
            let entry = Product {
                product_number: product.product_number.clone(),
                name: product.name.clone(),
                sales_price: product.sales_price,
                body: body_of(&product, &base_url),
            };
            match ledger
                .products
                .iter_mut()
                .find(|p| p.product_number == product.product_number)
            {
                Some(held) => *held = entry,
                None => ledger.products.push(entry),
            }
        }
    }

    /// Changes a product's stored body as if edited in e-conomic; `false`
    /// when there is no such product.
    pub fn edit_product(&self, product_number: &str, change: impl FnOnce(&mut Value)) -> bool {
        let mut ledger = self.shared.ledger();
        let Some(product) = ledger
            .products
            .iter_mut()
            .find(|p| p.product_number == product_number)
        else {
            return false;
        };
        change(&mut product.body);
        product.sales_price = product
            .body
            .get("salesPrice")
            .and_then(super::harness::decimal);
        product.body["lastUpdated"] =
            json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
        true
    }

    pub fn set_sales_price(&self, product_number: &str, price: Decimal) -> bool {
        self.edit_product(product_number, |body| body["salesPrice"] = number(price))
    }

    /// Sets the stock (`inventory.inStock` and `available`).
    pub fn set_in_stock(&self, product_number: &str, in_stock: Decimal) -> bool {
        self.edit_product(product_number, |body| {
            body["inventory"]["inStock"] = number(in_stock);
            body["inventory"]["available"] = number(in_stock);
        })
    }
}
