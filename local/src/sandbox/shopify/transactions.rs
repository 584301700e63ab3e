//! An order's transactions (Shopify's REST `Transaction` resource): listed
//! at `GET /admin/api/{version}/orders/{id}/transactions.json` as
//! `{"transactions": [...]}`, and sent one by one as the
//! `order_transactions/create` webhook.
//!
//! A paid order (`financial_status` `paid`) the test did not give
//! transactions of its own has one: a successful `sale` of its
//! `total_price` through its first `payment_gateway_names`, made the first
//! time it is asked for and the same ever after. [`Handle::mark_paid`]
//! marks a pending order (bank transfer, cash on delivery) paid as a
//! merchant does, with a `manual` sale; [`Handle::add_transaction`] adds
//! any transaction (a gift card's part of the payment, a failed attempt).

use super::super::webshop::{lock, Webhook};
use super::api::{answer, gate, not_found};
use super::{Handle, Shop};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

type SharedShop = Arc<Mutex<Shop>>;

/// The first transaction id (Shopify's sample transactions are near it).
pub(super) const FIRST_TRANSACTION_ID: u64 = 389_404_469;

pub(super) fn router(shop: SharedShop) -> Router {
    Router::new()
        .route(
            "/admin/api/{version}/orders/{id}/transactions.json",
            get(list_transactions),
        )
        .with_state(shop)
}

/// One transaction as Shopify writes it.
fn transaction(
    id: u64,
    order: &Value,
    kind: &str,
    status: &str,
    gateway: &str,
    amount: &str,
    at: &str,
) -> Value {
    json!({
        "id": id,
        "order_id": order["id"],
        "kind": kind,
        "gateway": gateway,
        "status": status,
        "message": null,
        "created_at": at,
        "processed_at": at,
        "test": false,
        "authorization": null,
        "parent_id": null,
        "currency": order["currency"],
        "amount": amount,
        "source_name": "web",
    })
}

impl Shop {
    /// The order's transactions: its own, else the sale a paid order has.
    fn transactions_of(&mut self, order_id: u64) -> Option<Vec<Value>> {
        let order = self.orders.get(&order_id)?.clone();
        let held = self.transactions.entry(order_id).or_default();
        if held.is_empty() && order["financial_status"] == "paid" {
            let gateway = order["payment_gateway_names"][0]
                .as_str()
                .unwrap_or("shopify_payments")
                .to_owned();
            let amount = order["total_price"].as_str().unwrap_or("0.00").to_owned();
            let at = order["updated_at"].as_str().unwrap_or_default().to_owned();
            let id = self.next_transaction_id;
            self.next_transaction_id += 1;
            let sale = transaction(id, &order, "sale", "success", &gateway, &amount, &at);
            self.transactions.entry(order_id).or_default().push(sale);
        }
        self.transactions.get(&order_id).cloned()
    }
}

async fn list_transactions(
    State(shop): State<SharedShop>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut shop = lock(&shop);
    let limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let Some(transactions) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| shop.transactions_of(id))
    else {
        return not_found();
    };
    answer(
        StatusCode::OK,
        &[("X-Shopify-Shop-Api-Call-Limit", limit)],
        json!({ "transactions": transactions }),
    )
}

impl Handle {
    /// Adds a transaction to the order; its id (`None`: no such order).
    pub fn add_transaction(
        &self,
        order_id: u64,
        kind: &str,
        status: &str,
        gateway: &str,
        amount: &str,
    ) -> Option<u64> {
        let at = self.now();
        let mut shop = lock(&self.shop);
        let order = shop.orders.get(&order_id)?.clone();
        let id = shop.next_transaction_id;
        shop.next_transaction_id += 1;
        let made = transaction(id, &order, kind, status, gateway, amount, &at);
        shop.transactions.entry(order_id).or_default().push(made);
        Some(id)
    }

    /// The order's transactions as the REST API lists them.
    pub fn transactions(&self, order_id: u64) -> Vec<Value> {
        lock(&self.shop)
            .transactions_of(order_id)
            .unwrap_or_default()
    }

    /// Marks a pending order paid as the merchant does for a bank transfer
    /// or cash on delivery: `financial_status` `paid` and a `manual` sale of
    /// its total. The sale's id.
    pub fn mark_paid(&self, order_id: u64) -> Option<u64> {
        let total = self.order_json(order_id)?["total_price"]
            .as_str()
            .unwrap_or("0.00")
            .to_owned();
        let id = self.add_transaction(order_id, "sale", "success", "manual", &total)?;
        self.set_financial_status(order_id, "paid");
        Some(id)
    }

    /// The `order_transactions/create` webhook of transaction `id`, signed.
    pub fn transaction_webhook(&self, id: u64) -> Option<Webhook> {
        let body = {
            let shop = lock(&self.shop);
            let found = shop
                .transactions
                .values()
                .flatten()
                .find(|t| t["id"] == id)?
                .clone();
            serde_json::to_vec(&found).unwrap_or_default()
        };
        Some(self.signed("order_transactions/create", body))
    }
}
