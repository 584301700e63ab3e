//! Fortnox as the master of the catalogue: `GET /3/articles`, paged with
//! `limit` (at most 500) and `page`.
//!
//! - The SKU is the `ArticleNumber`, or the `EAN` when the system's
//!   `sku_field` setting says `ean`.
//! - The price is `SalesPrice` (the article's price on the default price
//!   list); the stock is `QuantityInStock`, one figure for the
//!   [`DEFAULT_WAREHOUSE`]. Articles that are not stock articles
//!   (`StockGoods: false`, e.g. services) carry no stock.
//! - Inactive articles (`Active: false`) are left out.
//! - Calls share the access token's pacer (25 requests per 5 seconds) with
//!   the order connector.

use super::catalog::{decimal_of, json_of, send, text_of, CatalogPage, CatalogSource};
use super::economic::token_key;
use super::fortnox::{describe_error, REQUESTS_PER_WINDOW, WINDOW};
use super::http::{HttpClient, Pacer};
use super::{ConfigError, ConnectorError};
use crate::model::{CatalogItem, System, DEFAULT_WAREHOUSE};
use crate::seal::Credentials;
use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

const SYSTEM: &str = "Fortnox";
const DEFAULT_BASE_URL: &str = "https://api.fortnox.se";
/// Fortnox's largest page.
pub const PAGE_SIZE: usize = 500;
const DEFAULT_PAUSE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SkuField {
    ArticleNumber,
    Ean,
}

/// Reads a Fortnox company's articles.
pub struct FortnoxCatalog {
    base: Url,
    headers: HeaderMap,
    sku_field: SkuField,
    http: HttpClient,
    pacer: Arc<Pacer>,
}

fn config_error(system: &System, field: &str, message: &str) -> ConfigError {
    ConfigError {
        system: system.name.clone(),
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

impl FortnoxCatalog {
    pub fn new(
        system: &System,
        credentials: &Credentials,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        let base_text = system
            .config_str("base_url")
            .map(str::trim)
            .unwrap_or(DEFAULT_BASE_URL);
        let base = Url::parse(base_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
            .ok_or_else(|| {
                config_error(
                    system,
                    "base_url",
                    &format!("base_url '{base_text}' is not an http(s) address"),
                )
            })?;
        let sku_field = match system.config_str("sku_field").map(str::trim) {
            None | Some("") | Some("article_number") => SkuField::ArticleNumber,
            Some("ean") => SkuField::Ean,
            Some(_) => {
                return Err(config_error(
                    system,
                    "sku_field",
                    "sku_field must be article_number or ean",
                ))
            }
        };
        let token = credentials
            .get("access_token")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                config_error(
                    system,
                    "access_token",
                    "access_token is missing: connect Fortnox again to get one",
                )
            })?;
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                config_error(
                    system,
                    "access_token",
                    "the access token contains characters a token cannot have",
                )
            })?;
        authorization.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, authorization);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let pacer = http.pacer(
            &token_key("fortnox", token.as_bytes()),
            REQUESTS_PER_WINDOW,
            WINDOW,
        );
        Ok(Self {
            base,
            headers,
            sku_field,
            http,
            pacer,
        })
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
        let number: u64 = match page {
            None => 1,
            Some(token) => token.parse().map_err(|_| {
                ConnectorError::permanent(format!("'{token}' is not a Fortnox page number"))
            })?,
        };
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["3", "articles"]);
        }
        url.query_pairs_mut()
            .append_pair("limit", &PAGE_SIZE.to_string())
            .append_pair("page", &number.to_string());
        let request = self.http.client().get(url).headers(self.headers.clone());
        let reply = send(SYSTEM, &self.pacer, request, DEFAULT_PAUSE).await?;
        let body = json_of(SYSTEM, reply, "list of articles", describe_error)?;
        let Some(articles) = body["Articles"].as_array() else {
            return Err(ConnectorError::transient(
                "Fortnox's list of articles had no Articles; Ferry will try again",
            ));
        };
        let items = articles.iter().filter_map(|a| self.item(a)).collect();
        let meta = &body["MetaInformation"];
        let total_pages = meta["@TotalPages"].as_u64().unwrap_or(1);
        let current = meta["@CurrentPage"].as_u64().unwrap_or(number);
        let next = (current < total_pages).then(|| (current + 1).to_string());
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
    fn the_sku_can_come_from_the_ean() {
        let by_ean = reader(json!({"sku_field": "ean"})).unwrap();
        let item = by_ean
            .item(&json!({"ArticleNumber": "A-1", "EAN": ""}))
            .unwrap();
        assert_eq!(item.sku, None);
        assert!(reader(json!({"sku_field": "bar_code"})).is_err());
    }
}
