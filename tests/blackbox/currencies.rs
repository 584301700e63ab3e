//! Orders in another currency than the ledger's base (issue 17, item 2):
//! on both ledgers, a EUR order booked in EUR with the shop's rate, the
//! ledger's rate of the day when the shop gives none, no rate for the base
//! currency, an unknown currency refused in words; and, end to end, a
//! Shopify shop selling in EUR with its books in DKK, booked in the
//! customer's money or, per connection, in the shop's.

use crate::targets::{economic_target, fortnox_target, sample_order};
use crate::tenant::Tenant;
use ferry::connectors::{ConnectorError, Delivered};
use ferry::model::{DocumentKind, Order, ShopMoney};
use ferry_local::sandbox::shopify::{self, ShopCurrency};
use ferry_local::sandbox::{economic, fortnox};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// The sample order (280.00 in all) in `currency`, with what it came to in
/// the shop's money when given.
fn order_in(e_number: &str, currency: &str, shop: Option<(&str, &str)>) -> Order {
    let mut order = sample_order(e_number, "rate@example.com");
    order.currency = currency.into();
    order.shop_money = shop.map(|(currency, total)| ShopMoney {
        currency: currency.into(),
        total: d(total),
    });
    order
}

fn sent(delivered: &Delivered) -> Value {
    serde_json::from_slice(&delivered.sent).unwrap()
}

#[tokio::test]
async fn economic_books_foreign_orders_with_the_shops_rate_or_its_own() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);

    // Paid 280.00 EUR, 2,088.80 DKK to the shop: 746 DKK per 100 EUR.
    let from_shop = economic
        .deliver_order(
            &order_in("#4001", "EUR", Some(("DKK", "2088.80"))),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap();
    assert_eq!(sent(&from_shop)["currency"], "EUR");
    assert_eq!(sent(&from_shop)["exchangeRate"], json!(746));
    // The shop gives no rate: none is sent, e-conomic books its own.
    let own = economic
        .deliver_order(&order_in("#4002", "EUR", None), DocumentKind::DraftInvoice)
        .await
        .unwrap();
    assert!(sent(&own).get("exchangeRate").is_none(), "{}", sent(&own));
    // In the base currency, even with the shop's money: no rate.
    let base = economic
        .deliver_order(
            &order_in("#4003", "DKK", Some(("DKK", "280.00"))),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap();
    assert!(sent(&base).get("exchangeRate").is_none(), "{}", sent(&base));

    let rates: Vec<(String, String, Decimal)> = sandbox
        .draft_invoices()
        .into_iter()
        .map(|doc| {
            (
                doc.reference.unwrap_or_default(),
                doc.currency,
                doc.exchange_rate,
            )
        })
        .collect();
    assert_eq!(
        rates,
        [
            ("#4001".into(), "EUR".into(), d("746")),
            ("#4002".into(), "EUR".into(), d("746.04")),
            ("#4003".into(), "DKK".into(), d("100")),
        ]
    );
}

#[tokio::test]
async fn economic_refuses_a_currency_it_does_not_have_in_words() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);
    let words = ConnectorError::permanent(
        "CHF is not set up in e-conomic: add it under Settings → Currencies",
    );
    for (e_number, shop) in [("#4101", None), ("#4102", Some(("DKK", "2700.00")))] {
        let error = economic
            .deliver_order(&order_in(e_number, "CHF", shop), DocumentKind::DraftInvoice)
            .await
            .unwrap_err();
        assert_eq!(error, words, "{e_number}");
    }
    assert!(sandbox.draft_invoices().is_empty());
}

#[tokio::test]
async fn fortnox_books_foreign_orders_with_the_shops_rate_or_its_own() {
    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let fortnox = fortnox_target(&sandbox);

    // Paid 280.00 EUR, 3,220.00 SEK to the shop: 11.5 SEK per EUR.
    let from_shop = fortnox
        .deliver_order(
            &order_in("#5001", "EUR", Some(("SEK", "3220.00"))),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap();
    let invoice = &sent(&from_shop)["Invoice"];
    assert_eq!(invoice["Currency"], "EUR");
    assert_eq!(invoice["CurrencyRate"], json!(11.5));
    assert_eq!(invoice["CurrencyUnit"], json!(1));
    // The shop gives no rate: Fortnox books its register's.
    let own = fortnox
        .deliver_order(&order_in("#5002", "EUR", None), DocumentKind::DraftInvoice)
        .await
        .unwrap();
    assert!(sent(&own)["Invoice"].get("CurrencyRate").is_none());
    // In SEK: no rate.
    let base = fortnox
        .deliver_order(
            &order_in("#5003", "SEK", Some(("SEK", "280.00"))),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap();
    assert!(sent(&base)["Invoice"].get("CurrencyRate").is_none());
    assert!(sent(&base)["Invoice"].get("CurrencyUnit").is_none());

    let rates: Vec<(String, String, Decimal)> = sandbox
        .invoices()
        .into_iter()
        .map(|doc| {
            let reference = doc.your_order_number.unwrap_or_default();
            (reference, doc.currency, doc.currency_rate)
        })
        .collect();
    assert_eq!(
        rates,
        [
            ("#5001".into(), "EUR".into(), d("11.5")),
            ("#5002".into(), "EUR".into(), d("11.518")),
            ("#5003".into(), "SEK".into(), d("1")),
        ]
    );
}

#[tokio::test]
async fn fortnox_refuses_a_currency_it_does_not_have_in_words() {
    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let fortnox = fortnox_target(&sandbox);
    let words = ConnectorError::permanent(
        "CHF is not set up in Fortnox: add it to the currency register (Register → Valutor)",
    );
    for (e_number, shop) in [("#5101", None), ("#5102", Some(("SEK", "3000.00")))] {
        let error = fortnox
            .deliver_order(&order_in(e_number, "CHF", shop), DocumentKind::DraftInvoice)
            .await
            .unwrap_err();
        assert_eq!(error, words, "{e_number}");
    }
    assert!(sandbox.invoices().is_empty());
}

/// A German market of a Danish shop: the customer pays in EUR, the shop's
/// books (and e-conomic's base) are in DKK. The default connection books
/// the customer's EUR with the shop's rate; a connection set to "shop"
/// books the shop's DKK, without a rate.
#[tokio::test]
async fn a_shop_selling_in_eur_is_booked_in_eur_or_per_connection_in_dkk() {
    let tenant = Tenant::start("currencies").await;
    let shop = shopify::spawn(shopify::Config {
        market: ferry_local::sandbox::webshop::Market::Germany,
        shop_currency: Some(ShopCurrency {
            currency: "DKK",
            rate: d("7.4604"),
        }),
        ..shopify::Config::default()
    })
    .await
    .unwrap();
    // The shop charges German VAT (19 %, one-stop shop): so does the
    // ledger's sales account, else the totals differ and the invoice is held.
    let mut books = economic::Settings::default();
    books.accounts[0].1 = Some("OSS-DE19".into());
    books.vat_codes = vec![("OSS-DE19".into(), d("0.19"))];
    let ledger = economic::spawn(books).await.unwrap();
    let source = tenant
        .system("shopify", shop.system_config(), json!(shop.credentials().0))
        .await;
    let target = tenant
        .system(
            "economic",
            ledger.system_config(),
            json!(ledger.credentials().0),
        )
        .await;
    let presentment = tenant
        .connect("Paid in", &source, &target, &["paid"], Value::Null)
        .await;
    assert_eq!(presentment["currency"], "presentment", "the default");
    let shop_money = tenant
        .post(
            "/connections",
            json!({
                "name": "Shop's own", "source": source, "target": target,
                "allowed_states": ["paid"], "currency": "shop",
            }),
        )
        .await;
    assert_eq!(shop_money["currency"], "shop");
    let (status, refused) = tenant
        .call(
            reqwest::Method::POST,
            "/connections",
            Some(json!({
                "name": "Odd", "source": source, "target": target, "currency": "euro",
            })),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let document = tenant.get("/openapi.json").await;
    assert_eq!(
        document["components"]["schemas"]["CurrencyChoice"]["enum"],
        json!(["presentment", "shop"])
    );
    let new_connection = &document["components"]["schemas"]["NewConnection"]["properties"];
    assert!(new_connection.get("currency").is_some(), "{new_connection}");

    let mut booked = Vec::new();
    for connection in [&presentment, &shop_money] {
        let id = shop.add_order();
        assert!(shop.set_financial_status(id, "paid"));
        let order = shop.order_json(id).unwrap();
        let url = format!(
            "{}/webhooks/{}",
            tenant.running.base_url(),
            connection["id"].as_str().unwrap()
        );
        let answer = shop.send_webhook(&url, id, "orders/create").await.unwrap();
        assert_eq!(answer.as_u16(), 200);
        let name = order["name"].as_str().unwrap().to_owned();
        tenant.wait_for(&name, "delivered").await;
        booked.push((name, order));
    }

    let drafts = ledger.draft_invoices();
    let draft = |name: &str| {
        drafts
            .iter()
            .find(|d| d.reference.as_deref() == Some(name))
            .unwrap()
    };
    let amount =
        |order: &Value, pointer: &str| d(order.pointer(pointer).and_then(Value::as_str).unwrap());
    // In the customer's money, with the shop's rate for 100 EUR.
    let (name, order) = &booked[0];
    let paid = amount(order, "/total_price_set/presentment_money/amount");
    let in_dkk = amount(order, "/total_price_set/shop_money/amount");
    let rate = (in_dkk * d("100") / paid).round_dp(6);
    assert_eq!(draft(name).currency, "EUR");
    assert_eq!(draft(name).exchange_rate, rate);
    assert!(rate > d("745") && rate < d("747"), "{rate}");
    // In the shop's money: DKK, e-conomic's base, at 100.
    let (name, _) = &booked[1];
    assert_eq!(draft(name).currency, "DKK");
    assert_eq!(draft(name).exchange_rate, d("100"));
    tenant.running.stop().await;
}
