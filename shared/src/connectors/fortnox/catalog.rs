//! Fortnox as the master of the catalogue: `GET /3/articles`, paged with
//! `limit` (at most 500) and `page`.
//!
//! - The SKU is the `ArticleNumber`, or the `EAN` when the system's
//!   `sku_field` setting says `ean`.
//! - The price is `SalesPrice` (the article's price on the default price
//!   list); the stock is `QuantityInStock`, one figure for the
//!   [`DEFAULT_WAREHOUSE`]. Articles that are not stock articles
//!   (`StockGoods: false`, e.g. services) carry no stock.
//! - With the warehouse module's stock points (the system's
//!   `stock_points: true` setting), the stock is read per stock point
//!   instead: `GET /api/warehouse/status-v1/stockbalance?itemIds=…` for the
//!   page's stock articles (at most [`BALANCE_BATCH`] per call), each
//!   stock point's `availableStock` (in stock less reserved) under its
//!   `stockPointCode`. The shop system's `stock_locations` map sends stock
//!   points to locations. A stock article with no balance has none
//!   anywhere.
//! - Inactive articles (`Active: false`) are left out.
//! - For `customers` connections, `GET /3/customers?filter=active` (paged
//!   the same way): `Name`, `Email`, `Phone`, `Address1`, `ZipCode`,
//!   `City`. The list carries Fortnox's short form of a customer, without
//!   the country (`CountryCode` is only on the customer read one by one,
//!   and is taken should a list carry it).
//! - Calls share the access token's pacer (25 requests per 5 seconds) with
//!   the order connector.

use super::errors::describe_error;
use super::{access, base, DEFAULT_PAUSE, REQUESTS_PER_WINDOW, SYSTEM, WINDOW};
use crate::connectors::catalog::{decimal_of, text_of, CatalogPage, CatalogSource};
use crate::connectors::http::{json_of, Api, HttpClient, Settings};
use crate::connectors::{ConfigError, ConnectorError};
use crate::model::customer_record::email_key;
use crate::model::{CatalogItem, CustomerRecord, System, DEFAULT_WAREHOUSE};
use crate::seal::Credentials;
use async_trait::async_trait;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

/// Fortnox's largest page.
pub const PAGE_SIZE: usize = 500;
/// Article numbers per stock-balance call (they travel in the URL).
pub const BALANCE_BATCH: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SkuField {
    ArticleNumber,
    Ean,
}

/// Reads a Fortnox company's articles.
pub struct FortnoxCatalog {
    base: Url,
    sku_field: SkuField,
    /// Stock per stock point from the warehouse module.
    stock_points: bool,
    api: Api,
}

impl FortnoxCatalog {
    pub fn new(
        system: &System,
        credentials: &Credentials,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        let config = Settings { system };
        let base = base(system, &http)?;
        let sku_field = match system.config_str("sku_field").map(str::trim) {
            None | Some("") | Some("article_number") => SkuField::ArticleNumber,
            Some("ean") => SkuField::Ean,
            Some(_) => {
                return Err(config.error("sku_field", "sku_field must be article_number or ean"))
            }
        };
        let stock_points = match system.config.get("stock_points") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(on)) => *on,
            Some(_) => {
                return Err(config.error(
                    "stock_points",
                    "stock_points must be true (stock per stock point from the warehouse module) or false",
                ))
            }
        };
        let (headers, key) = access(&config, credentials)?;
        let pacer = http.pacer(&key, REQUESTS_PER_WINDOW, WINDOW);
        Ok(Self {
            base,
            sku_field,
            stock_points,
            api: Api::new(SYSTEM, http, headers, pacer, DEFAULT_PAUSE),
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Replaces the stock of the stock articles among `items` with their
    /// stock per stock point.
    async fn read_stock_points(&self, items: &mut [CatalogItem]) -> Result<(), ConnectorError> {
        let numbers: Vec<String> = items
            .iter()
            .filter(|i| !i.stock.is_empty())
            .map(|i| i.number.clone())
            .collect();
        let mut balances: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
        for batch in numbers.chunks(BALANCE_BATCH) {
            let mut url = self.url(&["api", "warehouse", "status-v1", "stockbalance"]);
            url.query_pairs_mut()
                .append_pair("itemIds", &batch.join(","));
            let reply = self.api.call(Method::GET, url, None).await?;
            let body = json_of(SYSTEM, reply, "stock balance", describe_error)?;
            add_balances(&body, &mut balances)?;
        }
        for item in items.iter_mut().filter(|i| !i.stock.is_empty()) {
            item.stock = balances
                .remove(&item.number)
                .unwrap_or_else(|| BTreeMap::from([(DEFAULT_WAREHOUSE.to_owned(), Decimal::ZERO)]));
        }
        Ok(())
    }

    fn item(&self, article: &Value) -> Option<CatalogItem> {
        if article["Active"].as_bool() == Some(false) {
            return None;
        }
        let number = text_of(&article["ArticleNumber"])?;
        let sku = match self.sku_field {
            SkuField::ArticleNumber => Some(number.clone()),
            SkuField::Ean => text_of(&article["EAN"]),
        };
        let mut stock = BTreeMap::new();
        if article["StockGoods"].as_bool() != Some(false) {
            if let Some(quantity) = decimal_of(&article["QuantityInStock"]) {
                stock.insert(DEFAULT_WAREHOUSE.to_owned(), quantity);
            }
        }
        Some(CatalogItem {
            sku,
            name: text_of(&article["Description"]).unwrap_or_else(|| number.clone()),
            price: decimal_of(&article["SalesPrice"]),
            stock,
            number,
        })
    }
}

#[async_trait]
impl CatalogSource for FortnoxCatalog {
    async fn list_items(&self, page: Option<&str>) -> Result<CatalogPage, ConnectorError> {
        let number = page_number(page)?;
        let mut url = self.url(&["3", "articles"]);
        url.query_pairs_mut()
            .append_pair("limit", &PAGE_SIZE.to_string())
            .append_pair("page", &number.to_string());
        let reply = self.api.call(Method::GET, url, None).await?;
        let body = json_of(SYSTEM, reply, "list of articles", describe_error)?;
        let Some(articles) = body["Articles"].as_array() else {
            return Err(ConnectorError::transient(
                "Fortnox's list of articles had no Articles; Ferry will try again",
            ));
        };
        let mut items: Vec<CatalogItem> = articles.iter().filter_map(|a| self.item(a)).collect();
        if self.stock_points {
            self.read_stock_points(&mut items).await?;
        }
        Ok(CatalogPage {
            items,
            next: next_page(&body, number),
        })
    }

    async fn list_customers(
        &self,
        page: Option<&str>,
    ) -> Result<CatalogPage<CustomerRecord>, ConnectorError> {
        let number = page_number(page)?;
        let mut url = self.url(&["3", "customers"]);
        url.query_pairs_mut()
            .append_pair("filter", "active")
            .append_pair("limit", &PAGE_SIZE.to_string())
            .append_pair("page", &number.to_string());
        let reply = self.api.call(Method::GET, url, None).await?;
        let body = json_of(SYSTEM, reply, "list of customers", describe_error)?;
        let Some(customers) = body["Customers"].as_array() else {
            return Err(ConnectorError::transient(
                "Fortnox's list of customers had no Customers; Ferry will try again",
            ));
        };
        let items = customers.iter().filter_map(customer).collect();
        Ok(CatalogPage {
            items,
            next: next_page(&body, number),
        })
    }
}

/// Adds the rows of a stock-balance answer (a list of `itemId`,
/// `stockPointCode`, `availableStock`) to `balances`, per article and stock
/// point; a stock point listed twice for an article (several stock
/// locations) adds up.
fn add_balances(
    body: &Value,
    balances: &mut BTreeMap<String, BTreeMap<String, Decimal>>,
) -> Result<(), ConnectorError> {
    let Some(rows) = body.as_array() else {
        return Err(ConnectorError::transient(
            "Fortnox's stock balance was not a list; Ferry will try again",
        ));
    };
    for row in rows {
        let (Some(item), Some(point)) = (text_of(&row["itemId"]), text_of(&row["stockPointCode"]))
        else {
            continue;
        };
        let available = decimal_of(&row["availableStock"]).unwrap_or(Decimal::ZERO);
        let balance = balances
            .entry(item)
            .or_default()
            .entry(point)
            .or_insert(Decimal::ZERO);
        // Saturating: Fortnox's figures are unbounded (see `total_stock`).
        *balance = balance.saturating_add(available);
    }
    Ok(())
}

/// The number of a page token (`None`: the first page).
fn page_number(page: Option<&str>) -> Result<u64, ConnectorError> {
    match page {
        None => Ok(1),
        Some(token) => token.parse().map_err(|_| {
            ConnectorError::permanent(format!("'{token}' is not a Fortnox page number"))
        }),
    }
}

/// The token of the page after `number`, from a list's `MetaInformation`.
fn next_page(body: &Value, number: u64) -> Option<String> {
    let meta = &body["MetaInformation"];
    let total_pages = meta["@TotalPages"].as_u64().unwrap_or(1);
    let current = meta["@CurrentPage"].as_u64().unwrap_or(number);
    (current < total_pages).then(|| (current + 1).to_string())
}

/// A customer as the shop is sent it; inactive customers (`Active: false`,
/// should a list carry the flag) are left out. The list names the phone
/// `Phone` (the customer itself `Phone1`); a country, when given, comes as
/// `CountryCode`, or `Country` in words.
fn customer(body: &Value) -> Option<CustomerRecord> {
    if body["Active"].as_bool() == Some(false) {
        return None;
    }
    let number = text_of(&body["CustomerNumber"])?;
    Some(CustomerRecord {
        name: text_of(&body["Name"]).unwrap_or_else(|| number.clone()),
        email: body["Email"].as_str().and_then(email_key),
        phone: text_of(&body["Phone1"]).or_else(|| text_of(&body["Phone"])),
        address: text_of(&body["Address1"]),
        zip: text_of(&body["ZipCode"]),
        city: text_of(&body["City"]),
        country_code: text_of(&body["CountryCode"]).map(|code| code.to_uppercase()),
        country: text_of(&body["Country"]),
        number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CredentialHealth, Scope, SystemId, TenantId};
    use crate::seal::SealedCredentials;
    use serde_json::json;

    fn reader(config: Value) -> Result<FortnoxCatalog, ConfigError> {
        let system = System {
            id: SystemId::generate(),
            tenant: TenantId::generate(),
            kind: crate::model::SystemKind::Fortnox,
            name: "Books".into(),
            config: config.as_object().cloned().unwrap_or_default(),
            credentials: SealedCredentials::default(),
            health: CredentialHealth::default(),
            scope: Scope::default(),
            active: true,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let credentials = Credentials(
            [("access_token".to_owned(), "t".to_owned())]
                .into_iter()
                .collect(),
        );
        FortnoxCatalog::new(&system, &credentials, HttpClient::default())
    }

    #[test]
    fn reads_an_article_and_leaves_inactive_ones_out() {
        let reader = reader(json!({})).unwrap();
        let item = reader
            .item(&json!({
                "ArticleNumber": "A-1", "Description": "Mug", "SalesPrice": 129,
                "QuantityInStock": 7.5, "EAN": "", "Active": true
            }))
            .unwrap();
        assert_eq!(item.sku.as_deref(), Some("A-1"));
        assert_eq!(item.price, Some(Decimal::from(129)));
        assert_eq!(item.stock[DEFAULT_WAREHOUSE], Decimal::new(75, 1));
        assert!(reader
            .item(&json!({"ArticleNumber": "B", "Active": false}))
            .is_none());
        let service = reader
            .item(&json!({"ArticleNumber": "S", "StockGoods": false, "QuantityInStock": 0}))
            .unwrap();
        assert!(service.stock.is_empty());
    }

    #[test]
    fn stock_balances_add_up_per_article_and_stock_point() {
        let mut balances = BTreeMap::new();
        add_balances(
            &json!([
                {"itemId": "A-1", "stockPointCode": "CPH", "availableStock": 4, "inStock": 5},
                {"itemId": "A-1", "stockPointCode": "CPH", "availableStock": 2.5, "inStock": 3},
                {"itemId": "A-1", "stockPointCode": "AAR", "availableStock": 1, "inStock": 1},
                {"itemId": "B-2", "availableStock": 9}
            ]),
            &mut balances,
        )
        .unwrap();
        assert_eq!(balances["A-1"]["CPH"], Decimal::new(65, 1));
        assert_eq!(balances["A-1"]["AAR"], Decimal::ONE);
        assert!(
            !balances.contains_key("B-2"),
            "a row without a stock point is left out"
        );
        assert!(add_balances(&json!({"message": "x"}), &mut balances).is_err());
        assert!(reader(json!({"stock_points": "yes"})).is_err());
        assert!(reader(json!({"stock_points": true})).unwrap().stock_points);
    }

    #[test]
    fn the_sku_can_come_from_the_ean() {
        let by_ean = reader(json!({"sku_field": "ean"})).unwrap();
        let item = by_ean
            .item(&json!({"ArticleNumber": "A-1", "EAN": ""}))
            .unwrap();
        assert_eq!(item.sku, None);
        assert!(reader(json!({"sku_field": "bar_code"})).is_err());
    }
}

#[cfg(test)]
mod customer_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_customer_and_leaves_inactive_ones_out() {
        let read = customer(&json!({
            "CustomerNumber": "1002", "Name": "Anna Svensson", "Email": "Anna@Example.SE ",
            "Address1": "Storgatan 1", "ZipCode": "111 22", "City": "Stockholm",
            "CountryCode": "se", "Phone": "08-123 456", "Active": true
        }))
        .unwrap();
        assert_eq!(read.email.as_deref(), Some("anna@example.se"));
        assert_eq!(read.phone.as_deref(), Some("08-123 456"));
        assert_eq!(read.country_code.as_deref(), Some("SE"));
        assert_eq!(read.zip.as_deref(), Some("111 22"));
        assert!(
            customer(&json!({"CustomerNumber": "9", "Name": "Old", "Active": false})).is_none()
        );
        assert!(customer(&json!({"Name": "No number"})).is_none());
    }

    #[test]
    fn pages_follow_the_meta_information() {
        let middle = json!({"MetaInformation": {"@TotalPages": 3, "@CurrentPage": 2}});
        assert_eq!(next_page(&middle, 2).as_deref(), Some("3"));
        let last = json!({"MetaInformation": {"@TotalPages": 3, "@CurrentPage": 3}});
        assert_eq!(next_page(&last, 3), None);
        assert_eq!(page_number(None).unwrap(), 1);
        assert!(page_number(Some("x")).is_err());
    }
}
