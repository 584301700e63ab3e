//! The article register as Ferry reads it for products and stock:
//! `GET /3/articles` paged with `limit` (1 to 500, default 100) and `page`
//! (from 1), in Fortnox's envelope, and handles to keep articles with a
//! price and a stock figure as a bookkeeper would.

use super::{error, Article, Handle, Shared, MALFORMED};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

/// `GET /3/articles?limit=&page=`.
pub(super) async fn list_articles(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let number = |name: &str, default: usize, max: usize| match query.get(name) {
        None => Some(default),
        Some(text) => text.parse::<usize>().ok().filter(|n| (1..=max).contains(n)),
    };
    let (Some(limit), Some(page)) = (
        number("limit", DEFAULT_LIMIT, MAX_LIMIT),
        number("page", 1, usize::MAX),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Invalid value for limit (1-500) or page.",
            MALFORMED,
        );
    };
    let ledger = shared.ledger();
    let total = ledger.articles.len();
    let pages = total.div_ceil(limit).max(1);
    let items: Vec<Value> = ledger
        .articles
        .iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .map(|a| listed(&a.body))
        .collect();
    let mut body = Map::new();
    body.insert(
        "MetaInformation".into(),
        json!({ "@TotalResources": total, "@TotalPages": pages, "@CurrentPage": page }),
    );
    body.insert("Articles".into(), Value::Array(items));
    Json(Value::Object(body)).into_response()
}

/// The fields Fortnox's article list carries (the full article has more).
fn listed(article: &Value) -> Value {
    let mut out = Map::new();
    for field in [
        "@url",
        "ArticleNumber",
        "Description",
        "DisposableQuantity",
        "EAN",
        "Housework",
        "PurchasePrice",
        "SalesPrice",
        "QuantityInStock",
        "ReservedQuantity",
        "StockPlace",
        "StockValue",
        "Unit",
        "VAT",
        "WebshopArticle",
        "Active",
        "StockGoods",
    ] {
        if let Some(value) = article.get(field) {
            out.insert(field.into(), value.clone());
        }
    }
    Value::Object(out)
}

impl Handle {
    /// Adds or replaces an article with a sales price and a stock figure,
    /// as a bookkeeper keeps it in Fortnox.
    pub fn put_article(
        &self,
        article_number: &str,
        description: &str,
        sales_price: Decimal,
        quantity_in_stock: Decimal,
        ean: Option<&str>,
    ) {
        let body = json!({
            "@url": format!("{}/3/articles/{article_number}", self.shared.base_url),
            "ArticleNumber": article_number,
            "Description": description,
            "SalesPrice": super::number(sales_price),
            "QuantityInStock": super::number(quantity_in_stock),
            "DisposableQuantity": super::number(quantity_in_stock),
            "ReservedQuantity": 0,
            "EAN": ean.unwrap_or(""),
            "StockGoods": true,
            "Active": true,
            "Unit": "st",
            "VAT": 25,
        });
        let mut ledger = self.shared.ledger();
        let article = Article {
            article_number: article_number.to_owned(),
            description: description.to_owned(),
            body,
        };
        match ledger
            .articles
            .iter_mut()
            .find(|a| a.article_number == article_number)
        {
            Some(held) => *held = article,
            None => ledger.articles.push(article),
        }
    }

    /// Changes an article's fields as if edited in Fortnox; `false` when
    /// there is no such article.
    pub fn edit_article(&self, article_number: &str, change: impl FnOnce(&mut Value)) -> bool {
        let mut ledger = self.shared.ledger();
        match ledger
            .articles
            .iter_mut()
            .find(|a| a.article_number == article_number)
        {
            Some(article) => {
                change(&mut article.body);
                true
            }
            None => false,
        }
    }

    /// Sets an article's stock (`QuantityInStock` and `DisposableQuantity`).
    pub fn set_quantity_in_stock(&self, article_number: &str, quantity: Decimal) -> bool {
        self.edit_article(article_number, |body| {
            body["QuantityInStock"] = super::number(quantity);
            body["DisposableQuantity"] = super::number(quantity);
        })
    }
}

/// `GET /api/warehouse/status-v1/stockbalance?itemIds=A,B`: the warehouse
/// module's stock per stock point, a plain list (no envelope) of `itemId`,
/// `stockPointCode`, `inStock` and `availableStock`. Fortnox takes one
/// filter per request; the sandbox knows `itemIds` (and, without it,
/// answers every balance).
pub(super) async fn stock_balance(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let wanted: Option<Vec<&str>> = query
        .get("itemIds")
        .map(|ids| ids.split(',').map(str::trim).collect());
    let ledger = shared.ledger();
    let rows: Vec<Value> = ledger
        .stock_points
        .iter()
        .filter(|((item, _), _)| {
            wanted
                .as_ref()
                .is_none_or(|ids| ids.contains(&item.as_str()))
        })
        .map(|((item, point), available)| {
            json!({
                "itemId": item,
                "stockPointCode": point,
                "stockPointId": format!("sp-{}", point.to_lowercase()),
                "inStock": super::number(*available),
                "availableStock": super::number(*available),
            })
        })
        .collect();
    Json(Value::Array(rows)).into_response()
}

impl Handle {
    /// Sets the warehouse module's available stock of an article at a
    /// stock point (as stock points are read when the module is on).
    pub fn set_stock_point(&self, article_number: &str, stock_point: &str, available: Decimal) {
        self.shared.ledger().stock_points.insert(
            (article_number.to_owned(), stock_point.to_owned()),
            available,
        );
    }
}
