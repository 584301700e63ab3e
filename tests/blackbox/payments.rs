//! Payments over ferry-local, on both ledgers: a Shopify order paid and
//! its payment booked on the order's invoice once, whatever arrives twice
//! or first, after a lost answer, from a gift card, or through a gateway
//! nobody mapped; a draft invoice booked first when the connection says so;
//! an e-conomic invoice on the payment terms its gateway is mapped to.

use crate::orders::urlencode;
use crate::tenant::Tenant;
use axum::http::Method;
use ferry_local::sandbox::economic::harness::Fault;
use ferry_local::sandbox::{economic, fortnox, shopify, woocommerce};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::time::Duration;

/// One of the two ledgers, running.
enum Ledger {
    Economic(economic::Handle),
    Fortnox(fortnox::Handle),
}

impl Ledger {
    async fn start(kind: &str) -> Ledger {
        match kind {
            "economic" => Ledger::Economic(
                economic::spawn(economic::Settings::default())
                    .await
                    .unwrap(),
            ),
            _ => Ledger::Fortnox(fortnox::spawn(fortnox::Settings::default()).await.unwrap()),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Ledger::Economic(_) => "economic",
            Ledger::Fortnox(_) => "fortnox",
        }
    }

    fn config(&self) -> serde_json::Map<String, Value> {
        match self {
            Ledger::Economic(ledger) => ledger.system_config(),
            Ledger::Fortnox(ledger) => ledger.system_config(),
        }
    }

    fn credentials(&self) -> Value {
        match self {
            Ledger::Economic(ledger) => json!(ledger.credentials().0),
            Ledger::Fortnox(ledger) => json!(ledger.credentials().0),
        }
    }

    /// Card payments and gift cards mapped, nothing else.
    fn payments(&self, book: bool) -> Value {
        match self {
            Ledger::Economic(_) => json!({
                "gateways": {
                    "shopify_payments": {"contra_account": 5820},
                    "gift_card": {"contra_account": 6310},
                },
                "journal": 1,
                "book": book,
            }),
            Ledger::Fortnox(_) => json!({
                "gateways": {
                    "shopify_payments": {"mode_of_payment": "KO", "account": 1580},
                    "gift_card": {"mode_of_payment": "PK", "account": 2420},
                },
                "book": book,
            }),
        }
    }

    /// The payments booked: (invoice number, amount paid).
    fn payments_booked(&self) -> Vec<(String, Decimal)> {
        match self {
            Ledger::Economic(ledger) => ledger
                .payment_entries()
                .into_iter()
                .map(|e| (e.invoice.to_string(), -e.amount))
                .collect(),
            Ledger::Fortnox(ledger) => ledger
                .invoice_payments()
                .into_iter()
                .map(|p| {
                    assert!(p.booked, "invoice payment {} bookkept", p.number);
                    (p.invoice_number, p.amount)
                })
                .collect(),
        }
    }

    /// What is left to pay of invoice `number`.
    fn left_to_pay(&self, number: &str) -> Option<Decimal> {
        match self {
            Ledger::Economic(ledger) => ledger.remainder(number.parse().ok()?),
            Ledger::Fortnox(ledger) => ledger.balance(number),
        }
    }

    /// The next payment is made but its answer is cut off.
    fn lose_next_payment_answer(&self) {
        match self {
            Ledger::Economic(ledger) => {
                ledger
                    .faults()
                    .next_on(1, Method::POST, "/journals/", Fault::CutBody)
            }
            Ledger::Fortnox(ledger) => {
                ledger
                    .faults()
                    .next_on(1, Method::POST, "/3/invoicepayments", Fault::CutBody)
            }
        }
    }
}

/// A sandbox Shopify into `ledger`, paid orders as `document`, payments
/// as [`Ledger::payments`]; the connection's webhook address.
async fn wire(
    tenant: &Tenant,
    shop: &shopify::Handle,
    ledger: &Ledger,
    document: &str,
    book: bool,
) -> String {
    let source = tenant
        .system("shopify", shop.system_config(), json!(shop.credentials().0))
        .await;
    let target = tenant
        .system(ledger.kind(), ledger.config(), ledger.credentials())
        .await;
    let connection = tenant
        .post(
            "/connections",
            json!({
                "name": "Shop > ledger", "source": source, "target": target,
                "allowed_states": ["paid"], "document": document, "schedule": null,
                "payments": ledger.payments(book),
            }),
        )
        .await;
    assert_eq!(connection["payments"], ledger.payments(book));
    connection["webhook_url"].as_str().unwrap().to_owned()
}

/// A new paid order; its id and webshop number.
fn paid_order(shop: &shopify::Handle) -> (u64, String) {
    let id = shop.add_order();
    shop.set_financial_status(id, "paid");
    let name = shop.order_json(id).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, name)
}

/// The transfers of `e_number` of `kind` (`order`, `payment`).
async fn transfers_of(tenant: &Tenant, e_number: &str, kind: &str) -> Vec<Value> {
    let page = tenant
        .get(&format!("/transfers?q={}", urlencode(e_number)))
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == kind)
        .cloned()
        .collect()
}

/// Waits until every transfer of `e_number` of `kind` (at least `count`)
/// has `status`; answers them.
async fn settled(
    tenant: &Tenant,
    e_number: &str,
    kind: &str,
    count: usize,
    status: &str,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found = transfers_of(tenant, e_number, kind).await;
        if found.len() >= count && found.iter().all(|t| t["status"] == status) {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{kind} of {e_number} never {status}: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn send(shop: &shopify::Handle, url: &str, id: u64, topic: &str) {
    let status = shop.send_webhook(url, id, topic).await.unwrap();
    assert_eq!(status, 200, "{topic}");
}

#[tokio::test]
async fn a_paid_order_is_marked_paid_once_on_both_ledgers_when_orders_paid_comes_twice_or_its_payment_first(
) {
    for kind in ["economic", "fortnox"] {
        let tenant = Tenant::start(&format!("paid-once-{kind}")).await;
        let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
        let ledger = Ledger::start(kind).await;
        let url = wire(&tenant, &shop, &ledger, "booked_invoice", false).await;

        // `orders/paid` twice (and once more after it was booked).
        let (first, first_name) = paid_order(&shop);
        send(&shop, &url, first, "orders/paid").await;
        send(&shop, &url, first, "orders/paid").await;
        let order = settled(&tenant, &first_name, "order", 1, "delivered").await;
        let payment = settled(&tenant, &first_name, "payment", 1, "delivered").await;
        assert_eq!(payment.len(), 1, "{kind}: {payment:?}");
        send(&shop, &url, first, "orders/paid").await;

        // The transaction's webhook before the order's.
        let (second, second_name) = paid_order(&shop);
        let sale = shop.transactions(second)[0]["id"].as_u64().unwrap();
        let webhook = shop.transaction_webhook(sale).unwrap();
        assert_eq!(shop.deliver(&url, &webhook).await.unwrap(), 200);
        shop.deliver(&url, &webhook).await.unwrap();
        send(&shop, &url, second, "orders/create").await;
        settled(&tenant, &second_name, "order", 1, "delivered").await;
        let early = settled(&tenant, &second_name, "payment", 1, "delivered").await;
        assert_eq!(early.len(), 1, "{kind}: {early:?}");
        assert_eq!(early[0]["source_id"], json!(sale.to_string()));

        tokio::time::sleep(Duration::from_millis(200)).await;
        let booked = ledger.payments_booked();
        assert_eq!(booked.len(), 2, "{kind}: {booked:?}");
        let invoice = order[0]["target_ref"].as_str().unwrap();
        let total: Decimal = shop.order_json(first).unwrap()["total_price"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            booked.contains(&(invoice.to_owned(), total)),
            "{kind}: {booked:?}"
        );
        assert_eq!(ledger.left_to_pay(invoice), Some(Decimal::ZERO), "{kind}");
        assert_eq!(
            payment[0]["target_ref"].as_str().map(str::is_empty),
            Some(false)
        );
    }
}

#[tokio::test]
async fn a_payment_whose_answer_was_lost_is_linked_not_booked_twice_on_both_ledgers() {
    for kind in ["economic", "fortnox"] {
        let tenant = Tenant::start(&format!("paid-lost-{kind}")).await;
        let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
        let ledger = Ledger::start(kind).await;
        let url = wire(&tenant, &shop, &ledger, "booked_invoice", false).await;
        let (id, name) = paid_order(&shop);
        ledger.lose_next_payment_answer();
        send(&shop, &url, id, "orders/paid").await;
        let payment = settled(&tenant, &name, "payment", 1, "delivered").await;
        assert!(
            payment[0]["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("linked")),
            "{kind}: {payment:?}"
        );
        assert_eq!(ledger.payments_booked().len(), 1, "{kind}");
    }
}

#[tokio::test]
async fn a_gift_card_pays_from_its_liability_and_an_unmapped_gateway_fails_in_words() {
    let tenant = Tenant::start("paid-gift-card").await;
    let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
    let ledger = Ledger::start("economic").await;
    let url = wire(&tenant, &shop, &ledger, "booked_invoice", false).await;
    let (id, name) = paid_order(&shop);
    let total: Decimal = shop.order_json(id).unwrap()["total_price"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let gift = Decimal::new(5000, 2);
    shop.add_transaction(id, "sale", "success", "gift_card", &gift.to_string())
        .unwrap();
    shop.add_transaction(id, "authorization", "success", "paypal", "1.00")
        .unwrap();
    shop.add_transaction(id, "sale", "success", "paypal", &(total - gift).to_string())
        .unwrap();
    send(&shop, &url, id, "orders/paid").await;
    settled(&tenant, &name, "order", 1, "delivered").await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let payments = loop {
        let payments = transfers_of(&tenant, &name, "payment").await;
        if payments.len() == 2 && payments.iter().all(|p| p["status"] != "pending") {
            break payments;
        }
        assert!(tokio::time::Instant::now() < deadline, "{payments:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let failed = payments.iter().find(|p| p["status"] == "failed").unwrap();
    assert_eq!(
        failed["reason"],
        "the payment method 'paypal' is not mapped: add it under the connection's payment \
         methods in Ferry"
    );
    assert!(payments.iter().any(|p| p["status"] == "delivered"));
    let Ledger::Economic(books) = &ledger else {
        unreachable!()
    };
    let entries = books.payment_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].contra_account, 6310, "the gift-card liability");
    assert_eq!(entries[0].amount, -gift);

    // The log picks payments out by kind.
    let only = tenant.get("/transfers?kind=payment").await["items"].clone();
    let kinds: Vec<&Value> = only
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["kind"])
        .collect();
    assert_eq!(kinds, vec!["payment", "payment"]);
    let (status, _) = tenant
        .call(reqwest::Method::GET, "/transfers?kind=refund", None)
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_draft_invoice_waits_for_the_merchant_or_is_booked_first_on_both_ledgers() {
    for kind in ["economic", "fortnox"] {
        let tenant = Tenant::start(&format!("paid-draft-{kind}")).await;
        let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
        let ledger = Ledger::start(kind).await;
        let url = wire(&tenant, &shop, &ledger, "draft_invoice", false).await;
        let (id, name) = paid_order(&shop);
        send(&shop, &url, id, "orders/paid").await;
        settled(&tenant, &name, "order", 1, "delivered").await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let payment = transfers_of(&tenant, &name, "payment").await;
            let reason = payment
                .first()
                .and_then(|p| p["reason"].as_str())
                .unwrap_or_default()
                .to_owned();
            if reason.starts_with("waiting until invoice") {
                assert_eq!(payment[0]["status"], "pending");
                assert!(reason.contains("is booked in"), "{reason}");
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{kind}: {payment:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(ledger.payments_booked().is_empty(), "{kind}");

        let tenant = Tenant::start(&format!("paid-draft-booked-{kind}")).await;
        let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
        let ledger = Ledger::start(kind).await;
        let url = wire(&tenant, &shop, &ledger, "draft_invoice", true).await;
        let (id, name) = paid_order(&shop);
        send(&shop, &url, id, "orders/paid").await;
        settled(&tenant, &name, "payment", 1, "delivered").await;
        assert_eq!(ledger.payments_booked().len(), 1, "{kind}");
        match &ledger {
            Ledger::Economic(books) => assert_eq!(books.booked_invoices().len(), 1),
            Ledger::Fortnox(books) => assert!(books.invoices()[0].booked),
        }
    }
}

#[tokio::test]
async fn payments_are_checked_against_the_target_ledger() {
    let tenant = Tenant::start("paid-settings").await;
    let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
    let ledger = Ledger::start("economic").await;
    let source = tenant
        .system("shopify", shop.system_config(), json!(shop.credentials().0))
        .await;
    let target = tenant
        .system(ledger.kind(), ledger.config(), ledger.credentials())
        .await;
    let (status, answer) = tenant
        .call(
            reqwest::Method::POST,
            "/connections",
            Some(json!({
                "name": "no journal", "source": source, "target": target,
                "payments": {"gateways": {"paypal": {"contra_account": 5820}}},
            })),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["field"], "payments.journal");
    let openapi = tenant.get("/openapi.json").await;
    let schemas = &openapi["components"]["schemas"];
    assert!(
        schemas["PaymentSettings"]["properties"]["gateways"].is_object(),
        "{schemas}"
    );
    assert!(schemas["TransferView"]["properties"]["kind"].is_object());
}

#[tokio::test]
async fn a_paid_woocommerce_order_is_marked_paid_once_and_a_bank_transfer_waits_for_the_shop() {
    let tenant = Tenant::start("paid-woocommerce").await;
    let shop = woocommerce::spawn(woocommerce::Config::default())
        .await
        .unwrap();
    let ledger = Ledger::start("fortnox").await;
    let source = tenant
        .system(
            "woocommerce",
            shop.system_config(),
            json!(shop.credentials().0),
        )
        .await;
    let target = tenant
        .system(ledger.kind(), ledger.config(), ledger.credentials())
        .await;
    let connection = tenant
        .post(
            "/connections",
            json!({
                "name": "Woo > Fortnox", "source": source, "target": target,
                "allowed_states": ["processing", "on-hold"], "document": "booked_invoice",
                "schedule": null,
                "payments": {"gateways": {
                    "stripe": {"mode_of_payment": "KO"},
                    "bacs": {"mode_of_payment": "BG"},
                }},
            }),
        )
        .await;
    let url = connection["webhook_url"].as_str().unwrap().to_owned();
    let deliver = |id: u64, topic: &'static str| {
        let webhook = shop.webhook(id, topic);
        let url = url.clone();
        let shop = &shop;
        async move { assert_eq!(shop.deliver(&url, &webhook).await.unwrap(), 200) }
    };
    let number = |id: u64| {
        shop.order_json(id).unwrap()["number"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // Paid by card: `date_paid` and the gateway's transaction id.
    let card = shop.add_order();
    shop.set_payment_method(card, "stripe", "ch_3MxPaid");
    shop.set_status(card, "processing");
    deliver(card, "order.created").await;
    deliver(card, "order.updated").await;
    let paid = settled(&tenant, &number(card), "payment", 1, "delivered").await;
    assert_eq!(paid.len(), 1, "{paid:?}");
    assert_eq!(paid[0]["source_id"], "ch_3MxPaid");

    // A bank transfer: invoiced while on hold, paid when the shop says so.
    let bank = shop.add_order();
    shop.set_payment_method(bank, "bacs", "");
    shop.set_status(bank, "on-hold");
    deliver(bank, "order.created").await;
    settled(&tenant, &number(bank), "order", 1, "delivered").await;
    assert!(transfers_of(&tenant, &number(bank), "payment")
        .await
        .is_empty());
    shop.set_status(bank, "processing");
    deliver(bank, "order.updated").await;
    let paid = settled(&tenant, &number(bank), "payment", 1, "delivered").await;
    assert_eq!(paid[0]["source_id"], json!(format!("order-{bank}")));
    assert_eq!(ledger.payments_booked().len(), 2);
}

#[tokio::test]
async fn an_economic_invoice_takes_the_payment_terms_of_its_gateway_else_the_systems() {
    let tenant = Tenant::start("paid-terms").await;
    let shop = shopify::spawn(shopify::Config::default()).await.unwrap();
    // Payment terms 1 (the system's `payment_terms_number`) and 4.
    let settings = economic::Settings {
        payment_terms: vec![1, 4],
        ..economic::Settings::default()
    };
    let ledger = economic::spawn(settings).await.unwrap();
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
    let connection = tenant
        .post(
            "/connections",
            json!({
                "name": "Shop > e-conomic", "source": source, "target": target,
                "allowed_states": ["paid"], "document": "draft_invoice", "schedule": null,
                "payments": {
                    "gateways": {
                        "shopify_payments": {"contra_account": 5820, "payment_terms": 4},
                        "paypal": {"contra_account": 5830},
                    },
                    "journal": 1,
                    "book": false,
                },
            }),
        )
        .await;
    let url = connection["webhook_url"].as_str().unwrap().to_owned();

    let (card, card_name) = paid_order(&shop);
    let (paypal, paypal_name) = paid_order(&shop);
    assert!(shop.edit_order(paypal, |order| {
        order["payment_gateway_names"] = json!(["paypal"]);
    }));
    send(&shop, &url, card, "orders/create").await;
    send(&shop, &url, paypal, "orders/create").await;
    settled(&tenant, &card_name, "order", 1, "delivered").await;
    settled(&tenant, &paypal_name, "order", 1, "delivered").await;

    let terms_of = |name: &str| {
        let drafts = ledger.draft_invoices();
        let draft = drafts
            .iter()
            .find(|d| d.reference.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no draft for {name}: {drafts:?}"));
        draft.body["paymentTerms"]["paymentTermsNumber"].clone()
    };
    assert_eq!(terms_of(&card_name), 4, "shopify_payments' terms");
    assert_eq!(terms_of(&paypal_name), 1, "paypal names none: the system's");
}
