//! e-conomic as the master of the catalogue: `GET /products` (and, for
//! `customers` connections, `GET /customers`), paged with `skippages` and
//! `pagesize` (at most 1,000 a page).
//!
//! - The SKU is the `productNumber` (e-conomic's product number is the
//!   item's number everywhere), or the `barCode` when the system's
//!   `sku_field` setting says `bar_code`.
//! - The price is `salesPrice`; the stock is `inventory.inStock` when the
//!   agreement has the inventory module (the product then carries an
//!   `inventory` object), as one figure for the [`DEFAULT_WAREHOUSE`].
//! - Barred products (`barred: true`) can no longer be sold and are left out.
//! - A customer is sent with its `name`, `email` (the first, when it lists
//!   several), `telephoneAndFaxNumber` (else `mobilePhone`), `address`,
//!   `zip`, `city` and `country` (in words); barred customers are left out.
//! - Calls share the agreement's pacer with the order connector.

use super::errors::describe_error;
use super::{agreement, base, CALLS_PER_SECOND, DEFAULT_PAUSE, SYSTEM};
use crate::connectors::catalog::{decimal_of, text_of, CatalogPage, CatalogSource};
use crate::connectors::http::{json_of, Api, HttpClient, Settings};
use crate::connectors::{ConfigError, ConnectorError};
use crate::model::customer_record::email_key;
use crate::model::{CatalogItem, CustomerRecord, System, DEFAULT_WAREHOUSE};
use crate::seal::Credentials;
use async_trait::async_trait;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

/// e-conomic's largest page: a catalogue of 5,000 is five calls.
pub const PAGE_SIZE: usize = 1000;
/// Where the SKU is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SkuField {
    ProductNumber,
    BarCode,
}

/// Reads an e-conomic agreement's products.
pub struct EconomicCatalog {
    base: Url,
    sku_field: SkuField,
    api: Api,
}

impl EconomicCatalog {
    pub fn new(
        system: &System,
        credentials: &Credentials,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        let config = Settings { system };
        let base = base(system, &http)?;
        let sku_field = match system.config_str("sku_field").map(str::trim) {
            None | Some("") | Some("product_number") => SkuField::ProductNumber,
            Some("bar_code") => SkuField::BarCode,
            Some(_) => {
                return Err(
                    config.error("sku_field", "sku_field must be product_number or bar_code")
                )
            }
        };
        let (headers, key) = agreement(&config, credentials)?;
        // The pacer is shared by key: whichever connector of the agreement
        // makes it first sets its pace.
        let pacer = http.pacer(&key, CALLS_PER_SECOND, Duration::from_secs(1));
        Ok(Self {
            base,
            sku_field,
            api: Api::new(SYSTEM, http, headers, pacer, DEFAULT_PAUSE),
        })
    }

    fn item(&self, product: &Value) -> Option<CatalogItem> {
        if product["barred"].as_bool() == Some(true) {
            return None;
        }
        let number = text_of(&product["productNumber"])?;
        let sku = match self.sku_field {
            SkuField::ProductNumber => Some(number.clone()),
            SkuField::BarCode => text_of(&product["barCode"]),
        };
        let mut stock = BTreeMap::new();
        if let Some(in_stock) = decimal_of(&product["inventory"]["inStock"]) {
            stock.insert(DEFAULT_WAREHOUSE.to_owned(), in_stock);
        }
        Some(CatalogItem {
            sku,
            name: text_of(&product["name"]).unwrap_or_else(|| number.clone()),
            price: decimal_of(&product["salesPrice"]),
            stock,
            number,
        })
    }
}

/// A customer as the shop is sent it; barred customers can no longer buy
/// and are left out. e-conomic names the country in words.
fn customer(body: &Value) -> Option<CustomerRecord> {
    if body["barred"].as_bool() == Some(true) {
        return None;
    }
    let number = text_of(&body["customerNumber"])?;
    let phone = text_of(&body["telephoneAndFaxNumber"]).or_else(|| text_of(&body["mobilePhone"]));
    Some(CustomerRecord {
        name: text_of(&body["name"]).unwrap_or_else(|| number.clone()),
        email: body["email"].as_str().and_then(email_key),
        phone,
        address: text_of(&body["address"]),
        zip: text_of(&body["zip"]),
        city: text_of(&body["city"]),
        country_code: None,
        country: text_of(&body["country"]),
        number,
    })
}

impl EconomicCatalog {
    /// One page of a collection (`products`, `customers`): its elements
    /// and the token of the next page.
    async fn collection_page(
        &self,
        resource: &str,
        page: Option<&str>,
    ) -> Result<(Vec<Value>, Option<String>), ConnectorError> {
        let skip: u64 = match page {
            None => 0,
            Some(token) => token.parse().map_err(|_| {
                ConnectorError::permanent(format!("'{token}' is not an e-conomic page number"))
            })?,
        };
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push(resource);
        }
        url.query_pairs_mut()
            .append_pair("skippages", &skip.to_string())
            .append_pair("pagesize", &PAGE_SIZE.to_string());
        let reply = self.api.call(Method::GET, url, None).await?;
        let what = format!("list of {resource}");
        let mut body = json_of(SYSTEM, reply, &what, describe_error)?;
        // The envelope links the next page while there is one.
        let next = body["pagination"]["nextPage"]
            .as_str()
            .filter(|link| !link.is_empty())
            .map(|_| (skip + 1).to_string());
        match body["collection"].take() {
            Value::Array(elements) => Ok((elements, next)),
            _ => Err(ConnectorError::transient(format!(
                "e-conomic's {what} had no collection; Ferry will try again"
            ))),
        }
    }
}

#[async_trait]
impl CatalogSource for EconomicCatalog {
    async fn list_items(&self, page: Option<&str>) -> Result<CatalogPage, ConnectorError> {
        let (products, next) = self.collection_page("products", page).await?;
        let items = products.iter().filter_map(|p| self.item(p)).collect();
        Ok(CatalogPage { items, next })
    }

    async fn list_customers(
        &self,
        page: Option<&str>,
    ) -> Result<CatalogPage<CustomerRecord>, ConnectorError> {
        let (customers, next) = self.collection_page("customers", page).await?;
        let items = customers.iter().filter_map(customer).collect();
        Ok(CatalogPage { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CredentialHealth, Scope, SystemId, TenantId};
    use crate::seal::SealedCredentials;
    use rust_decimal::Decimal;
    use serde_json::json;

    fn system(config: Value) -> System {
        System {
            id: SystemId::generate(),
            tenant: TenantId::generate(),
            kind: crate::model::SystemKind::Economic,
            name: "Books".into(),
            config: config.as_object().cloned().unwrap_or_default(),
            credentials: SealedCredentials::default(),
            health: CredentialHealth::default(),
            scope: Scope::default(),
            active: true,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn credentials() -> Credentials {
        Credentials(
            [("app_secret_token", "a"), ("agreement_grant_token", "g")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    #[test]
    fn reads_a_product_with_inventory_and_leaves_barred_ones_out() {
        let reader = EconomicCatalog::new(
            &system(json!({"base_url": "http://127.0.0.1:9"})),
            &credentials(),
            HttpClient::default(),
        )
        .unwrap();
        let item = reader
            .item(&json!({
                "productNumber": "MUG-1", "name": "Mug", "salesPrice": 99.5,
                "barred": false, "inventory": {"inStock": 12.0, "available": 10.0}
            }))
            .unwrap();
        assert_eq!(item.sku.as_deref(), Some("MUG-1"));
        assert_eq!(item.price, Some(Decimal::new(995, 1)));
        assert_eq!(item.stock[DEFAULT_WAREHOUSE], Decimal::from(12));
        assert!(reader
            .item(&json!({"productNumber": "OLD", "name": "Old", "barred": true}))
            .is_none());
        let no_inventory = reader
            .item(&json!({"productNumber": "SVC", "name": "Service"}))
            .unwrap();
        assert!(no_inventory.stock.is_empty());
        assert_eq!(no_inventory.price, None);
    }

    #[test]
    fn reads_a_customer_and_leaves_barred_ones_out() {
        let read = customer(&json!({
            "customerNumber": 1002, "name": "Jens Hansen", "email": " Jens@Example.DK; bogholderi@example.dk",
            "address": "Nørregade 1", "zip": "1165", "city": "København K", "country": "Denmark",
            "telephoneAndFaxNumber": "+45 12 34 56 78", "barred": false, "currency": "DKK"
        }))
        .unwrap();
        assert_eq!(read.number, "1002");
        assert_eq!(read.email.as_deref(), Some("jens@example.dk"));
        assert_eq!(read.phone.as_deref(), Some("+45 12 34 56 78"));
        assert_eq!(
            (
                read.address.as_deref(),
                read.zip.as_deref(),
                read.city.as_deref()
            ),
            (Some("Nørregade 1"), Some("1165"), Some("København K"))
        );
        assert_eq!(
            (read.country.as_deref(), read.country_code.as_deref()),
            (Some("Denmark"), None)
        );
        assert!(customer(&json!({"customerNumber": 9, "name": "Old", "barred": true})).is_none());
        let bare =
            customer(&json!({"customerNumber": 10, "name": "Acme ApS", "mobilePhone": "22334455"}))
                .unwrap();
        assert_eq!(
            (bare.email, bare.phone.as_deref()),
            (None, Some("22334455"))
        );
    }

    #[test]
    fn the_sku_can_come_from_the_bar_code() {
        let reader = EconomicCatalog::new(
            &system(json!({"sku_field": "bar_code"})),
            &credentials(),
            HttpClient::default(),
        )
        .unwrap();
        let with = reader
            .item(&json!({"productNumber": "1", "name": "A", "barCode": "5701234567890"}))
            .unwrap();
        assert_eq!(with.sku.as_deref(), Some("5701234567890"));
        let without = reader
            .item(&json!({"productNumber": "2", "name": "B"}))
            .unwrap();
        assert_eq!(without.sku, None);
        assert_eq!(without.key(), "no-sku:2");
        let wrong = EconomicCatalog::new(
            &system(json!({"sku_field": "ean"})),
            &credentials(),
            HttpClient::default(),
        );
        assert_eq!(wrong.err().unwrap().field, "sku_field");
    }
}
