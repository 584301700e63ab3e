//! The e-conomic and Fortnox connectors against their loopback sandboxes,
//! built the way the worker builds them: `Connectors::target` over a
//! `System` whose credentials were sealed and opened again.

use chrono::TimeZone;
use ferry::connectors::http::HttpClient;
use ferry::connectors::{ConnectorError, ConnectorFactory, Connectors, Target};
use ferry::model::{
    Address, CredentialHealth, Customer, DocumentKind, LineKind, Order, OrderLine, Scope, System,
    SystemId, SystemKind, TenantId, Totals,
};
use ferry::seal::{Credentials, Sealer};
use ferry_local::sandbox::economic::harness::Fault;
use ferry_local::sandbox::{economic, fortnox};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// The connector the worker would build, over sealed and reopened credentials.
fn target(
    kind: SystemKind,
    config: Map<String, Value>,
    credentials: &Credentials,
    timeout: Duration,
) -> Arc<dyn Target> {
    let sealer = Sealer::from_base64(&Sealer::generate_key()).unwrap();
    let system = System {
        id: SystemId::generate(),
        tenant: TenantId::generate(),
        kind,
        name: "Books".into(),
        config,
        credentials: Default::default(),
        health: CredentialHealth::default(),
        scope: Scope::default(),
        active: true,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    }
    .with_credentials(&sealer, credentials);
    let opened = sealer.open(&system.credentials, system.owner()).unwrap();
    // A client per test: pacers are per client, so tests do not slow each other.
    Connectors::new(HttpClient::new(timeout))
        .target(&system, &opened)
        .unwrap()
}

pub(crate) fn economic_target(sandbox: &economic::Handle) -> Arc<dyn Target> {
    target(
        SystemKind::Economic,
        sandbox.system_config(),
        &sandbox.credentials(),
        Duration::from_secs(5),
    )
}

pub(crate) fn fortnox_target(sandbox: &fortnox::Handle) -> Arc<dyn Target> {
    target(
        SystemKind::Fortnox,
        sandbox.system_config(),
        &sandbox.credentials(),
        Duration::from_secs(5),
    )
}

fn line(
    kind: LineKind,
    sku: Option<&str>,
    title: &str,
    quantity: &str,
    price: &str,
    discount: &str,
) -> OrderLine {
    let mut line = OrderLine {
        kind,
        sku: sku.map(str::to_owned),
        title: title.into(),
        quantity: d(quantity),
        unit_price: d(price),
        discount: d(discount),
        tax: Decimal::ZERO,
        tax_rate: Some(d("0.25")),
        gift_card: false,
    };
    line.tax = (line.net_total() * d("0.25")).round_dp(2);
    line
}

/// Product (with a line discount), a price with 3 decimals, shipping, a fee
/// and an order-level discount: net 224.00, tax 56.00, total 280.00.
pub(crate) fn sample_order(e_number: &str, email: &str) -> Order {
    let lines = vec![
        line(
            LineKind::Product,
            Some("MUG-BLUE"),
            "Blue mug",
            "2",
            "100.00",
            "20.00",
        ),
        line(LineKind::Product, Some("PEN"), "Pen", "3", "3.333", "0"),
        line(
            LineKind::Shipping,
            None,
            "Standard shipping",
            "1",
            "39.00",
            "0",
        ),
        line(LineKind::Fee, None, "Payment fee", "1", "5.00", "0"),
        line(LineKind::Discount, None, "SUMMER10", "1", "-10.00", "0"),
    ];
    let at = chrono::Utc.with_ymd_and_hms(2024, 5, 17, 10, 0, 0).unwrap();
    let address = Address {
        name: "Karen Blixen".into(),
        company: None,
        line1: "Rungstedvej 111".into(),
        line2: None,
        city: "Rungsted Kyst".into(),
        zip: "2960".into(),
        region: None,
        country_code: Some("DK".into()),
        phone: None,
    };
    Order {
        source_id: "450789469".into(),
        e_number: e_number.into(),
        state: "paid".into(),
        currency: "DKK".into(),
        created_at: at,
        updated_at: at,
        customer: Customer {
            source_id: Some("207119551".into()),
            name: "Karen Blixen".into(),
            email: Some(email.into()),
            company: None,
            vat_number: None,
            phone: None,
        },
        billing_address: Some(address.clone()),
        shipping_address: Some(address),
        totals: Totals {
            total: d("280.00"),
            tax: d("56.00"),
            discount: d("30.00"),
            shipping: d("39.00"),
        },
        lines,
        custom_fields: vec![],
        note: None,
        shop_money: None,
        gateway: None,
        payment_terms: None,
    }
}

fn transient_retry_after(error: ConnectorError) -> Option<Duration> {
    match error {
        ConnectorError::Transient { retry_after, .. } => retry_after,
        other => panic!("expected a transient error, got {other:?}"),
    }
}

// ---------------------------------------------------------------- e-conomic

#[tokio::test]
async fn economic_delivers_an_order_with_its_customer_lines_and_totals() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);
    let order = sample_order("#1001", "karen@example.com");
    assert_eq!(order.lines_gross_total().round_dp(2), order.totals.total);

    let delivered = economic
        .deliver_order(&order, DocumentKind::DraftInvoice)
        .await
        .unwrap();

    let customers = sandbox.customers();
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0].email.as_deref(), Some("karen@example.com"));
    assert_eq!(customers[0].name, "Karen Blixen");
    let mut products: Vec<String> = sandbox
        .products()
        .into_iter()
        .map(|p| p.product_number)
        .collect();
    products.sort();
    assert_eq!(products, ["MUG-BLUE", "PEN", "discount", "fee", "shipping"]);

    let drafts = sandbox.draft_invoices();
    assert_eq!(drafts.len(), 1);
    let draft = &drafts[0];
    assert_eq!(delivered.number, draft.number.to_string());
    assert_eq!(draft.customer_number, customers[0].customer_number);
    assert_eq!(draft.reference.as_deref(), Some("#1001"));
    assert_eq!(draft.heading.as_deref(), Some("Order #1001"));
    assert_eq!(draft.currency, "DKK");
    let numbers: Vec<&str> = draft
        .lines
        .iter()
        .filter_map(|l| l.product_number.as_deref())
        .collect();
    // The pen at 3.333 is split so that 3 pens cost exactly 10.00.
    assert_eq!(
        numbers,
        ["MUG-BLUE", "PEN", "PEN", "shipping", "fee", "discount"]
    );
    assert_eq!(draft.lines[0].discount_percentage, d("10"));
    assert!(draft.lines.iter().all(|l| l.unit_net_price.scale() <= 2));
    let lines_net: Decimal = draft.lines.iter().map(|l| l.total_net_amount).sum();
    assert_eq!(lines_net, order.totals.total - order.totals.tax);
    assert_eq!(draft.net_amount + draft.vat_amount, order.totals.total);
    assert_eq!(draft.gross_amount, order.totals.total);
    let sent: serde_json::Value = serde_json::from_slice(&delivered.sent).unwrap();
    assert_eq!(sent["references"]["other"], "#1001");

    // A retry after a crash finds the document instead of making another.
    let found = economic
        .find_document("#1001", DocumentKind::DraftInvoice)
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.number), Some(delivered.number.clone()));
    assert_eq!(
        economic
            .find_document("#1001", DocumentKind::Order)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        economic
            .find_document("#100", DocumentKind::DraftInvoice)
            .await
            .unwrap(),
        None
    );

    // The next order of the same customer reuses the customer and products.
    economic
        .deliver_order(
            &sample_order("#1002", "karen@example.com"),
            DocumentKind::Order,
        )
        .await
        .unwrap();
    assert_eq!(sandbox.customers().len(), 1);
    assert_eq!(sandbox.products().len(), 5);
    assert_eq!(sandbox.orders().len(), 1);
    assert!(economic
        .find_document("#1002", DocumentKind::Order)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn economic_remembers_customers_and_products_and_forgets_after_a_refusal() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);
    economic
        .deliver_order(
            &sample_order("#2001", "ib@example.com"),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap();
    let first = sandbox.requests();

    // A repeat customer with the same products: only the invoice is posted.
    economic
        .deliver_order(
            &sample_order("#2002", "ib@example.com"),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap();
    assert_eq!(
        sandbox.requests() - first,
        1,
        "customer and products were asked again"
    );

    // A product deleted by hand: the invoice is refused once, then nothing
    // remembered is trusted and the next delivery makes the product again.
    assert!(sandbox.delete_product("PEN"));
    let refused = economic
        .deliver_order(
            &sample_order("#2003", "ib@example.com"),
            DocumentKind::DraftInvoice,
        )
        .await;
    assert!(
        refused.is_err(),
        "an invoice naming a deleted product must be refused"
    );
    economic
        .deliver_order(
            &sample_order("#2003", "ib@example.com"),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap();
    assert!(sandbox.products().iter().any(|p| p.product_number == "PEN"));
    assert_eq!(sandbox.draft_invoices().len(), 3);
}

#[tokio::test]
async fn economic_books_an_invoice_and_finds_it_by_an_awkward_number() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);
    // Filter operators in the webshop number must be escaped to be found.
    let e_number = "#2002-(B,1)*";
    let delivered = economic
        .deliver_order(
            &sample_order(e_number, "ada@example.com"),
            DocumentKind::BookedInvoice,
        )
        .await
        .unwrap();

    assert!(sandbox.draft_invoices().is_empty());
    let booked = sandbox.booked_invoices();
    assert_eq!(booked.len(), 1);
    assert_eq!(delivered.number, booked[0].number.to_string());
    assert_eq!(booked[0].gross_amount, d("280.00"));
    let found = economic
        .find_document(e_number, DocumentKind::BookedInvoice)
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.number), Some(delivered.number.clone()));
    let found = economic
        .find_document(e_number, DocumentKind::DraftInvoice)
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.number), Some(delivered.number));
}

#[tokio::test]
async fn economic_a_cut_answer_is_retried_and_the_retry_links_or_books() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);

    // The draft is made but its answer is cut: worth a retry, and the retry finds it.
    sandbox.faults().next_on(
        1,
        axum::http::Method::POST,
        "/invoices/drafts",
        Fault::CutBody,
    );
    let error = economic
        .deliver_order(
            &sample_order("#3001", "a@example.com"),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap_err();
    transient_retry_after(error);
    assert_eq!(sandbox.draft_invoices().len(), 1);
    let found = economic
        .find_document("#3001", DocumentKind::DraftInvoice)
        .await
        .unwrap();
    assert_eq!(
        found.map(|f| f.number),
        Some(sandbox.draft_invoices()[0].number.to_string())
    );

    // For a booked invoice the retry books the draft left behind, once.
    sandbox.faults().next_on(
        1,
        axum::http::Method::POST,
        "/invoices/drafts",
        Fault::CutBody,
    );
    let order = sample_order("#3002", "a@example.com");
    let error = economic
        .deliver_order(&order, DocumentKind::BookedInvoice)
        .await
        .unwrap_err();
    transient_retry_after(error);
    assert_eq!(
        economic
            .find_document("#3002", DocumentKind::BookedInvoice)
            .await
            .unwrap(),
        None
    );
    let delivered = economic
        .deliver_order(&order, DocumentKind::BookedInvoice)
        .await
        .unwrap();
    let booked = sandbox.booked_invoices();
    assert_eq!(booked.len(), 1);
    assert_eq!(booked[0].reference.as_deref(), Some("#3002"));
    assert_eq!(delivered.number, booked[0].number.to_string());
    assert_eq!(
        sandbox.draft_invoices().len(),
        1,
        "only #3001's draft is left"
    );
}

#[tokio::test]
async fn economic_a_refusal_is_permanent_and_in_words() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let mut config = sandbox.system_config();
    config.insert("layout_number".into(), Value::from(999));
    let economic = target(
        SystemKind::Economic,
        config,
        &sandbox.credentials(),
        Duration::from_secs(5),
    );

    let error = economic
        .deliver_order(
            &sample_order("#4001", "b@example.com"),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap_err();
    let ConnectorError::Permanent { message } = error else {
        panic!("expected a permanent error, got {error:?}");
    };
    assert!(
        message.starts_with(
            "e-conomic refused the invoice: layout: layout does not exist. (E06000; log id "
        ),
        "{message}"
    );
    assert!(sandbox.draft_invoices().is_empty());
}

#[tokio::test]
async fn economic_a_line_without_sku_fails_before_any_call() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);
    let mut order = sample_order("#5001", "c@example.com");
    order.lines[0].sku = None;
    let error = economic
        .deliver_order(&order, DocumentKind::DraftInvoice)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ConnectorError::permanent(
            "line 'Blue mug' has no SKU: e-conomic needs a product number — add one in the webshop"
        )
    );
    assert_eq!(sandbox.requests(), 0);
}

#[tokio::test]
async fn economic_unavailable_and_throttled_are_transient_and_retry_after_holds_calls() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);

    sandbox.faults().next(1, Fault::Unavailable);
    let error = economic.test_credentials().await.unwrap_err();
    assert_eq!(transient_retry_after(error), None);

    sandbox.faults().next(
        1,
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    let error = economic.test_credentials().await.unwrap_err();
    assert_eq!(transient_retry_after(error), Some(Duration::from_secs(1)));
    // The next call for the agreement waits out the Retry-After.
    let start = Instant::now();
    economic.test_credentials().await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(sandbox.faults().injected(), 2);
}

#[tokio::test]
async fn economic_a_dropped_connection_or_slow_answer_is_transient() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = target(
        SystemKind::Economic,
        sandbox.system_config(),
        &sandbox.credentials(),
        Duration::from_millis(500),
    );

    sandbox.faults().next(1, Fault::DropConnection);
    let error = economic.test_credentials().await.unwrap_err();
    transient_retry_after(error);

    sandbox
        .faults()
        .next(1, Fault::Slow(Duration::from_secs(2)));
    let error = economic.test_credentials().await.unwrap_err();
    assert_eq!(
        error,
        ConnectorError::transient("e-conomic did not answer in time; Ferry will try again")
    );
    economic.test_credentials().await.unwrap();
}

#[tokio::test]
async fn economic_a_wrong_token_is_unauthorized() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let mut credentials = sandbox.credentials();
    credentials
        .0
        .insert("agreement_grant_token".into(), "revoked".into());
    let economic = target(
        SystemKind::Economic,
        sandbox.system_config(),
        &credentials,
        Duration::from_secs(5),
    );
    let error = economic.test_credentials().await.unwrap_err();
    let ConnectorError::Unauthorized { message } = error else {
        panic!("expected unauthorized, got {error:?}");
    };
    assert!(
        message.contains("agreement grant token is not valid"),
        "{message}"
    );
    let error = economic
        .deliver_order(
            &sample_order("#6001", "d@example.com"),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectorError::Unauthorized { .. }));
}

// ---------------------------------------------------------------- Fortnox

#[tokio::test]
async fn fortnox_delivers_an_order_with_rows_freight_and_fees() {
    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let fortnox = fortnox_target(&sandbox);
    let order = sample_order("#1001", "karen@example.com");

    let delivered = fortnox
        .deliver_order(&order, DocumentKind::DraftInvoice)
        .await
        .unwrap();

    let customers = sandbox.customers();
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0].email.as_deref(), Some("karen@example.com"));
    let articles: Vec<String> = sandbox
        .articles()
        .into_iter()
        .map(|a| a.article_number)
        .collect();
    assert_eq!(articles, ["MUG-BLUE", "PEN"]);
    let invoices = sandbox.invoices();
    assert_eq!(invoices.len(), 1);
    let invoice = &invoices[0];
    assert_eq!(delivered.number, invoice.document_number);
    assert_eq!(invoice.customer_number, customers[0].customer_number);
    assert_eq!(invoice.your_order_number.as_deref(), Some("#1001"));
    assert_eq!(
        invoice.external_invoice_reference1.as_deref(),
        Some("#1001")
    );
    assert_eq!(invoice.freight, d("39.00"));
    assert_eq!(invoice.administration_fee, d("5.00"));
    let articles: Vec<Option<&str>> = invoice
        .rows
        .iter()
        .map(|r| r.article_number.as_deref())
        .collect();
    assert_eq!(articles, [Some("MUG-BLUE"), Some("PEN"), Some("PEN"), None]);
    assert_eq!(
        (
            invoice.rows[0].discount,
            invoice.rows[0].discount_type.as_str()
        ),
        (d("20"), "AMOUNT")
    );
    let lines_net = invoice.rows.iter().map(|r| r.total).sum::<Decimal>()
        + invoice.freight
        + invoice.administration_fee;
    assert_eq!(lines_net, order.totals.total - order.totals.tax);
    assert_eq!(invoice.net, lines_net);
    assert_eq!(invoice.total, order.totals.total);
    assert!(!invoice.booked);

    let found = fortnox
        .find_document("#1001", DocumentKind::DraftInvoice)
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.number), Some(delivered.number));
    // Fortnox's search for "#100" also matches "#1001"; only the exact number counts.
    assert_eq!(
        fortnox
            .find_document("#100", DocumentKind::DraftInvoice)
            .await
            .unwrap(),
        None
    );

    let delivered = fortnox
        .deliver_order(
            &sample_order("#1002", "karen@example.com"),
            DocumentKind::Order,
        )
        .await
        .unwrap();
    assert_eq!(sandbox.customers().len(), 1);
    let orders = sandbox.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].total, d("280.00"));
    let found = fortnox
        .find_document("#1002", DocumentKind::Order)
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.number), Some(delivered.number));
}

#[tokio::test]
async fn fortnox_books_an_invoice_and_books_one_left_unbooked() {
    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let fortnox = fortnox_target(&sandbox);

    let delivered = fortnox
        .deliver_order(
            &sample_order("#2001", "e@example.com"),
            DocumentKind::BookedInvoice,
        )
        .await
        .unwrap();
    let invoices = sandbox.invoices();
    assert_eq!(invoices.len(), 1);
    assert!(invoices[0].booked);
    let found = fortnox
        .find_document("#2001", DocumentKind::BookedInvoice)
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.number), Some(delivered.number));

    // The invoice is made but the answer is cut before it is booked.
    sandbox
        .faults()
        .next_on(1, axum::http::Method::POST, "/3/invoices", Fault::CutBody);
    let order = sample_order("#2002", "e@example.com");
    transient_retry_after(
        fortnox
            .deliver_order(&order, DocumentKind::BookedInvoice)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        fortnox
            .find_document("#2002", DocumentKind::BookedInvoice)
            .await
            .unwrap(),
        None
    );
    fortnox
        .deliver_order(&order, DocumentKind::BookedInvoice)
        .await
        .unwrap();
    let invoices = sandbox.invoices();
    assert_eq!(invoices.len(), 2);
    assert!(invoices.iter().all(|i| i.booked));
}

#[tokio::test]
async fn fortnox_sorts_refusals_unauthorized_and_temporary_failures() {
    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let fortnox = fortnox_target(&sandbox);

    let mut odd = sample_order("#3001", "f@example.com");
    odd.currency = "XYZ".into();
    let error = fortnox
        .deliver_order(&odd, DocumentKind::DraftInvoice)
        .await
        .unwrap_err();
    let ConnectorError::Permanent { message } = error else {
        panic!("expected a permanent error, got {error:?}");
    };
    // Fortnox refused the customer ("Invalid currency XYZ."); the currency
    // is then looked up and the refusal told in words (issue 17).
    assert_eq!(
        message,
        "XYZ is not set up in Fortnox: add it to the currency register (Register → Valutor)"
    );

    let mut no_sku = sample_order("#3002", "f@example.com");
    no_sku.lines[1].sku = Some(" ".into());
    assert_eq!(
        fortnox
            .deliver_order(&no_sku, DocumentKind::DraftInvoice)
            .await
            .unwrap_err(),
        ConnectorError::permanent(
            "line 'Pen' has no SKU: Fortnox needs an article number — add one in the webshop"
        )
    );

    sandbox.faults().next(1, Fault::Unavailable);
    assert_eq!(
        transient_retry_after(fortnox.test_credentials().await.unwrap_err()),
        None
    );
    sandbox.faults().next(
        1,
        Fault::TooManyRequests {
            retry_after_secs: 2,
        },
    );
    assert_eq!(
        transient_retry_after(fortnox.test_credentials().await.unwrap_err()),
        Some(Duration::from_secs(2))
    );

    let mut credentials = sandbox.credentials();
    credentials
        .0
        .insert("access_token".into(), "expired".into());
    let stranger = target(
        SystemKind::Fortnox,
        sandbox.system_config(),
        &credentials,
        Duration::from_secs(5),
    );
    let error = stranger.test_credentials().await.unwrap_err();
    let ConnectorError::Unauthorized { message } = error else {
        panic!("expected unauthorized, got {error:?}");
    };
    assert!(
        message.contains("Invalid or expired access token. (code 2000311)"),
        "{message}"
    );
}

#[tokio::test]
async fn fortnox_sandbox_refuses_the_26th_request_in_5_seconds() {
    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/3/companyinformation", sandbox.base_url());
    let mut statuses = Vec::new();
    for _ in 0..26 {
        let response = client
            .get(&url)
            .bearer_auth(sandbox.access_token())
            .send()
            .await
            .unwrap();
        statuses.push((
            response.status().as_u16(),
            response.headers().get("retry-after").is_some(),
        ));
    }
    assert!(statuses[..25].iter().all(|(status, _)| *status == 200));
    assert_eq!(statuses[25], (429, true));
    assert_eq!(sandbox.too_many_requests(), 1);
}

#[tokio::test]
async fn fortnox_a_burst_is_paced_without_a_single_429() {
    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let fortnox = fortnox_target(&sandbox);
    let start = Instant::now();
    // The first order finds no customer and no articles and makes them, and
    // looks for the customer again after making it (8 calls) ...
    fortnox
        .deliver_order(
            &sample_order("#9000", "burst@example.com"),
            DocumentKind::DraftInvoice,
        )
        .await
        .unwrap();
    // ... then 14 orders at once, 4 calls each (customer, 2 articles, invoice):
    // 64 calls, more than two windows' worth.
    let orders: Vec<Order> = (1..=14)
        .map(|n| sample_order(&format!("#9{n:03}"), "burst@example.com"))
        .collect();
    let results = futures::future::join_all(
        orders
            .iter()
            .map(|o| fortnox.deliver_order(o, DocumentKind::DraftInvoice)),
    )
    .await;
    let elapsed = start.elapsed();

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(sandbox.invoices().len(), 15);
    assert_eq!(sandbox.requests(), 64);
    assert_eq!(
        sandbox.too_many_requests(),
        0,
        "the pacer let Fortnox refuse calls"
    );
    // 64 calls at 25 per 5 s cannot finish before the third window opens.
    assert!(elapsed >= Duration::from_secs(10), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

// ------------------------------------------------- VAT on the net, both ledgers

/// An order whose lines carry the tax the webshop rounded line by line.
fn order_with_taxed_lines(e_number: &str, lines: Vec<(OrderLine, &str)>) -> Order {
    let mut order = sample_order(e_number, "karen@example.com");
    order.lines = lines
        .into_iter()
        .map(|(mut line, tax)| {
            line.tax = d(tax);
            line
        })
        .collect();
    order.totals.tax = order.lines.iter().map(|l| l.tax).sum();
    order.totals.total = order.lines_gross_total().round_dp(2);
    order.totals.discount = Decimal::ZERO;
    order
}

/// Per-line tax 0.01 + 0.01 + 12.25 where the ledgers take 25 % of 49.04,
/// 12.26: the freight or shipping line takes a cent, and the totals meet.
fn order_a_cent_puts_right(e_number: &str) -> Order {
    order_with_taxed_lines(
        e_number,
        vec![
            (
                line(LineKind::Product, Some("ST"), "Sticker", "1", "0.02", "0"),
                "0.01",
            ),
            (
                line(LineKind::Product, Some("PIN"), "Pin", "1", "0.02", "0"),
                "0.01",
            ),
            (
                line(LineKind::Shipping, None, "Post", "1", "49.00", "0"),
                "12.25",
            ),
        ],
    )
}

/// 3 × 31.96 less 15 % (81.498, tax 20.37 on the exact amount) and shipping
/// 31.20 (7.80): 140.87, a gross no net reaches at 25 % VAT on the net.
fn order_no_net_reaches(e_number: &str) -> Order {
    order_with_taxed_lines(
        e_number,
        vec![
            (
                line(
                    LineKind::Product,
                    Some("F-02"),
                    "Filters",
                    "3",
                    "31.96",
                    "14.382",
                ),
                "20.37",
            ),
            (
                line(LineKind::Shipping, None, "GLS", "1", "31.20", "0"),
                "7.80",
            ),
        ],
    )
}

/// The rounding line of a document, if it has one: (product, amount).
fn economic_rounding(document: &economic::Document) -> Option<(String, Decimal)> {
    document
        .lines
        .iter()
        .find(|l| l.product_number.as_deref() == Some("rounding"))
        .map(|l| ("rounding".to_owned(), l.total_net_amount))
}

#[tokio::test]
async fn both_ledgers_meet_the_shops_total_by_a_cent_or_a_vat_free_rounding_line() {
    let reachable = order_a_cent_puts_right("#2001");
    let unreachable = order_no_net_reaches("#2002");
    assert_eq!(reachable.totals.total, d("61.31"));
    assert_eq!(unreachable.totals.total, d("140.87"));

    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);
    for order in [&reachable, &unreachable] {
        let delivered = economic
            .deliver_order(order, DocumentKind::BookedInvoice)
            .await
            .unwrap();
        assert!(delivered.warnings.is_empty(), "{:?}", delivered.warnings);
    }
    let booked = sandbox.booked_invoices();
    let gross: Vec<Decimal> = booked.iter().map(|i| i.gross_amount).collect();
    assert_eq!(gross, [d("61.31"), d("140.87")], "both at the shop's total");
    assert_eq!(economic_rounding(&booked[0]), None, "a cent moved instead");
    let (_, rounding) = economic_rounding(&booked[1]).expect("a rounding line");
    assert!(rounding.abs() <= d("0.02"), "{rounding}");
    // The rounding line carries no VAT: the VAT is 25 % of the rest.
    let rest = booked[1].net_amount - rounding;
    assert_eq!(booked[1].vat_amount, (rest * d("0.25")).round_dp(2));
    let product = sandbox
        .products()
        .into_iter()
        .find(|p| p.product_number == "rounding")
        .expect("Ferry made the rounding product");
    assert_eq!(
        product.body["productGroup"]["productGroupNumber"],
        economic::ROUNDING_GROUP
    );

    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let fortnox = fortnox_target(&sandbox);
    for order in [&reachable, &unreachable] {
        let delivered = fortnox
            .deliver_order(order, DocumentKind::BookedInvoice)
            .await
            .unwrap();
        assert!(delivered.warnings.is_empty(), "{:?}", delivered.warnings);
    }
    let invoices = sandbox.invoices();
    let totals: Vec<Decimal> = invoices.iter().map(|i| i.total).collect();
    assert_eq!(totals, [d("61.31"), d("140.87")]);
    assert!(invoices.iter().all(|i| i.booked));
    assert_eq!(invoices[0].freight, d("49.01"), "the freight took the cent");
    let row = invoices[1]
        .rows
        .iter()
        .find(|r| r.article_number.as_deref() == Some("rounding"))
        .expect("a rounding row");
    assert_eq!(row.vat, Decimal::ZERO);
    assert!(sandbox
        .articles()
        .iter()
        .any(|a| a.article_number == "rounding"));
}

/// One mug at 800.00 on which the shop charged no VAT: the ledgers add
/// 25 %, 200.00 more than the shop's total and far over the 1.00 limit.
fn order_over_the_limit(e_number: &str) -> Order {
    order_with_taxed_lines(
        e_number,
        vec![(
            line(LineKind::Product, Some("MUG"), "Mug", "1", "800.00", "0"),
            "0.00",
        )],
    )
}

const OVER_THE_LIMIT: &str = "totals differ by 200.00 DKK (ledger 1,000.00, webshop 800.00), \
     more than the 1.00 rounding allowed — check the tax settings in the shop and the ledger";

fn permanent_words(error: ConnectorError) -> String {
    match error {
        ConnectorError::Permanent { message } => message,
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

/// A booked invoice is asked for, but the totals are 200.00 apart: a draft
/// is made and never booked, the transfer fails in words, a retry fails
/// again without a second draft, and once the bookkeeper has corrected
/// the draft a retry books it.
#[tokio::test]
async fn economic_leaves_an_order_over_the_rounding_limit_as_a_draft_until_corrected() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);
    let order = order_over_the_limit("#5001");
    assert_eq!(order.totals.total, d("800.00"));

    let words = permanent_words(
        economic
            .deliver_order(&order, DocumentKind::BookedInvoice)
            .await
            .unwrap_err(),
    );
    assert!(words.contains(OVER_THE_LIMIT), "{words}");
    assert!(sandbox.booked_invoices().is_empty(), "never booked");
    let drafts = sandbox.draft_invoices();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].gross_amount, d("1000.00"));
    assert_eq!(economic_rounding(&drafts[0]), None, "no rounding line");
    let note = drafts[0].body["notes"]["textLine1"]
        .as_str()
        .unwrap_or_default();
    assert!(
        note.starts_with("Held by Ferry:") && note.contains(OVER_THE_LIMIT),
        "{note}"
    );

    // A retry, as the worker makes it: look, then deliver. Neither links
    // nor books the held draft, and no second one is made.
    for kind in [DocumentKind::DraftInvoice, DocumentKind::BookedInvoice] {
        match economic.find_document("#5001", kind).await {
            Ok(None) => {
                let words =
                    permanent_words(economic.deliver_order(&order, kind).await.unwrap_err());
                assert!(words.contains("totals differ by 200.00 DKK"), "{words}");
            }
            Ok(Some(found)) => panic!("the held draft was linked: {}", found.number),
            Err(error) => assert!(permanent_words(error).contains("totals differ"), "{kind:?}"),
        }
    }
    assert_eq!(sandbox.draft_invoices().len(), 1);
    assert!(sandbox.booked_invoices().is_empty());

    // The bookkeeper corrects the price (640.00 + 25 % = 800.00): the
    // retry books the draft.
    let mut body = drafts[0].body.clone();
    body["lines"][0]["unitNetPrice"] = serde_json::json!(640);
    assert!(sandbox.replace_draft(drafts[0].number, body));
    assert!(economic
        .find_document("#5001", DocumentKind::BookedInvoice)
        .await
        .unwrap()
        .is_none());
    let delivered = economic
        .deliver_order(&order, DocumentKind::BookedInvoice)
        .await
        .unwrap();
    let booked = sandbox.booked_invoices();
    assert_eq!(booked.len(), 1);
    assert_eq!(booked[0].gross_amount, d("800.00"));
    assert_eq!(delivered.number, booked[0].number.to_string());
    assert!(sandbox.draft_invoices().is_empty());
}

#[tokio::test]
async fn fortnox_leaves_an_order_over_the_rounding_limit_unbooked_until_corrected() {
    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let fortnox = fortnox_target(&sandbox);
    let order = order_over_the_limit("#5002");

    let words = permanent_words(
        fortnox
            .deliver_order(&order, DocumentKind::BookedInvoice)
            .await
            .unwrap_err(),
    );
    assert!(words.contains(OVER_THE_LIMIT), "{words}");
    let invoices = sandbox.invoices();
    assert_eq!(invoices.len(), 1);
    assert!(!invoices[0].booked, "never booked");
    assert_eq!(invoices[0].total, d("1000.00"));
    assert!(invoices[0]
        .rows
        .iter()
        .all(|r| r.article_number.as_deref() != Some("rounding")));
    assert!(invoices[0]
        .comments
        .as_deref()
        .is_some_and(|c| c.contains(OVER_THE_LIMIT)));

    for kind in [DocumentKind::DraftInvoice, DocumentKind::BookedInvoice] {
        match fortnox.find_document("#5002", kind).await {
            Ok(None) => {
                let words = permanent_words(fortnox.deliver_order(&order, kind).await.unwrap_err());
                assert!(words.contains("totals differ by 200.00 DKK"), "{words}");
            }
            Ok(Some(found)) => panic!("the held invoice was linked: {}", found.number),
            Err(error) => assert!(permanent_words(error).contains("totals differ"), "{kind:?}"),
        }
    }
    let invoices = sandbox.invoices();
    assert_eq!(invoices.len(), 1);
    assert!(!invoices[0].booked);

    let mut corrected = invoices[0].body.as_object().cloned().unwrap();
    corrected["InvoiceRows"][0]["Price"] = serde_json::json!(640);
    assert!(sandbox.replace_invoice(&invoices[0].document_number, corrected));
    let delivered = fortnox
        .deliver_order(&order, DocumentKind::BookedInvoice)
        .await
        .unwrap();
    let invoices = sandbox.invoices();
    assert_eq!(invoices.len(), 1);
    assert!(invoices[0].booked);
    assert_eq!(invoices[0].total, d("800.00"));
    assert_eq!(delivered.number, invoices[0].document_number);
}

/// The shop charges 6 % on a book, the ledger's VAT code for the product
/// group 25 %: Ferry's arithmetic meets the shop's total, e-conomic's own
/// does not. The draft e-conomic totals is read back, marked as held and
/// never booked, and the transfer fails in words.
#[tokio::test]
async fn economic_holds_a_draft_it_totals_otherwise_than_the_shop() {
    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let economic = economic_target(&sandbox);
    let mut book = line(LineKind::Product, Some("BOOK"), "Book", "1", "100.00", "0");
    book.tax_rate = Some(d("0.06"));
    let order = order_with_taxed_lines("#5003", vec![(book, "6.00")]);
    assert_eq!(order.totals.total, d("106.00"));

    let words = permanent_words(
        economic
            .deliver_order(&order, DocumentKind::BookedInvoice)
            .await
            .unwrap_err(),
    );
    assert!(
        words.contains("totals differ by 19.00 DKK (ledger 125.00, webshop 106.00), as the ledger computed the document"),
        "{words}"
    );
    assert!(sandbox.booked_invoices().is_empty());
    let drafts = sandbox.draft_invoices();
    assert_eq!(drafts.len(), 1);
    let note = drafts[0].body["notes"]["textLine1"]
        .as_str()
        .unwrap_or_default();
    assert!(note.starts_with("Held by Ferry:"), "{note}");
    let retry = economic
        .find_document("#5003", DocumentKind::DraftInvoice)
        .await
        .unwrap_err();
    assert!(permanent_words(retry).contains("totals differ by 19.00"));
    assert_eq!(sandbox.draft_invoices().len(), 1);
}

/// A gift card sold for 500.00 and a mug: the card on the VAT-free
/// gift-card product (made in its liability group), the total the shop's.
#[tokio::test]
async fn both_ledgers_book_a_gift_card_sold_without_vat() {
    let mut card = line(
        LineKind::Product,
        Some("GC-500"),
        "Gift card",
        "1",
        "500.00",
        "0",
    );
    card.gift_card = true;
    let order = order_with_taxed_lines(
        "#6001",
        vec![
            (card, "0.00"),
            (
                line(LineKind::Product, Some("MUG"), "Mug", "1", "100.00", "0"),
                "25.00",
            ),
        ],
    );
    assert_eq!(order.totals.total, d("625.00"));

    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    economic_target(&sandbox)
        .deliver_order(&order, DocumentKind::DraftInvoice)
        .await
        .unwrap();
    let draft = &sandbox.draft_invoices()[0];
    assert_eq!(draft.gross_amount, d("625.00"));
    assert_eq!(draft.vat_amount, d("25.00"));
    assert_eq!(draft.lines[0].product_number.as_deref(), Some("giftcard"));
    let product = sandbox
        .products()
        .into_iter()
        .find(|p| p.product_number == "giftcard")
        .expect("Ferry made the gift-card product");
    assert_eq!(
        product.body["productGroup"]["productGroupNumber"],
        economic::GIFT_CARD_GROUP
    );

    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    fortnox_target(&sandbox)
        .deliver_order(&order, DocumentKind::DraftInvoice)
        .await
        .unwrap();
    let invoice = &sandbox.invoices()[0];
    assert_eq!(invoice.total, d("625.00"));
    assert_eq!(invoice.total_vat, d("25.00"));
    assert_eq!(invoice.rows[0].article_number.as_deref(), Some("giftcard"));
    assert_eq!(invoice.rows[0].vat, Decimal::ZERO);
}

#[tokio::test]
async fn fortnox_two_orders_of_one_new_customer_at_once_make_one_customer() {
    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let fortnox = fortnox_target(&sandbox);
    let first = sample_order("#3001", "new@example.com");
    let second = sample_order("#3002", "new@example.com");
    let (a, b) = tokio::join!(
        fortnox.deliver_order(&first, DocumentKind::DraftInvoice),
        fortnox.deliver_order(&second, DocumentKind::DraftInvoice),
    );
    a.unwrap();
    b.unwrap();
    let customers = sandbox.customers();
    assert_eq!(customers.len(), 1, "{customers:?}");
    let invoices = sandbox.invoices();
    assert_eq!(invoices.len(), 2);
    assert!(invoices
        .iter()
        .all(|i| i.customer_number == customers[0].customer_number));
}

/// Two Lambda instances (two connectors, each with its own memory and
/// turn) deliver two orders of one new customer at the same moment: both
/// find no customer and both make one; each then looks again, the first
/// customer made is kept and the later one deleted, and both documents
/// are on the one customer left.
#[tokio::test]
async fn two_instances_making_one_new_customer_at_once_end_on_one_customer() {
    let email = "race@example.com";
    let first = sample_order("#4001", email);
    let second = sample_order("#4002", email);

    let sandbox = economic::spawn(economic::Settings::default())
        .await
        .unwrap();
    let (one, two) = (economic_target(&sandbox), economic_target(&sandbox));
    let (a, b) = tokio::join!(
        one.deliver_order(&first, DocumentKind::DraftInvoice),
        two.deliver_order(&second, DocumentKind::DraftInvoice),
    );
    a.unwrap();
    b.unwrap();
    let customers: Vec<u64> = sandbox
        .customers()
        .iter()
        .filter(|c| c.email.as_deref() == Some(email))
        .map(|c| c.customer_number)
        .collect();
    assert_eq!(customers.len(), 1, "e-conomic customers {customers:?}");
    let drafts = sandbox.draft_invoices();
    assert_eq!(drafts.len(), 2);
    assert!(drafts.iter().all(|d| d.customer_number == customers[0]));

    let sandbox = fortnox::spawn(fortnox::Settings::default()).await.unwrap();
    let (one, two) = (fortnox_target(&sandbox), fortnox_target(&sandbox));
    let (a, b) = tokio::join!(
        one.deliver_order(&first, DocumentKind::DraftInvoice),
        two.deliver_order(&second, DocumentKind::DraftInvoice),
    );
    a.unwrap();
    b.unwrap();
    let customers: Vec<String> = sandbox
        .customers()
        .into_iter()
        .filter(|c| c.email.as_deref() == Some(email))
        .map(|c| c.customer_number)
        .collect();
    assert_eq!(customers.len(), 1, "Fortnox customers {customers:?}");
    let invoices = sandbox.invoices();
    assert_eq!(invoices.len(), 2);
    assert!(invoices.iter().all(|i| i.customer_number == customers[0]));
}
