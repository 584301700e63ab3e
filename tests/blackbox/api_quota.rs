//! The quota's count: a delivered order counts once towards the month,
//! whatever arrives again (the same webhook, a newer version, a poll).

use crate::tenant::Tenant;
use serde_json::{json, Value};

#[tokio::test]
async fn a_delivered_order_counts_once_however_often_it_arrives() {
    let tenant = Tenant::start("quota-counts-once").await;
    let (shop, _ledger, connection) = tenant.shopify_into_economic(&["paid"], Value::Null).await;
    let webhook_url = connection["webhook_url"].as_str().unwrap().to_owned();
    let connection_id = connection["id"].as_str().unwrap().to_owned();
    let id = shop.add_order();
    assert!(shop.set_financial_status(id, "paid"));
    let webhook = shop.webhook(id, "orders/create");
    assert!(shop
        .deliver(&webhook_url, &webhook)
        .await
        .unwrap()
        .is_success());
    let e_number = shop.order_json(id).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    tenant.wait_for(&e_number, "delivered").await;

    // The same delivery again, a newer version of the order, and a poll.
    assert!(shop
        .deliver(&webhook_url, &webhook)
        .await
        .unwrap()
        .is_success());
    assert!(shop.edit_order(id, |order| order["note"] = json!("gift wrap")));
    assert!(shop
        .send_webhook(&webhook_url, id, "orders/updated")
        .await
        .unwrap()
        .is_success());
    tenant
        .sync(&connection_id, json!({"since": "2020-01-01"}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let subscription = tenant.get("/subscription").await;
    assert_eq!(subscription["used"], 1, "{subscription}");
    assert_eq!(subscription["remaining"], 999);
    let overview = tenant.get("/overview").await;
    assert_eq!(overview["this_month"]["orders"], 1, "{overview}");
    assert_eq!(overview["today"]["orders"], 1);
    assert_eq!(tenant.transfers().await.len(), 1);
    tenant.running.stop().await;
}
