//! A Fortnox API v3 on loopback: company information, customers, articles,
//! invoices (with bookkeeping) and orders, behind `Authorization: Bearer`,
//! with Fortnox's envelopes (`{"Invoice": …}`, `{"MetaInformation": …,
//! "Invoices": […]}`), `ErrorInformation` error bodies, and Fortnox's rate
//! limit: **25 requests in any 5 seconds per access token**, answered with 429
//! above that (counted, so tests can assert that none happened). Faults are
//! switched like the e-conomic sandbox's ([`harness::Faults`]); requests
//! answered by a fault do not reach the ledger or its rate window.
//!
//! Amounts: a row is `cents(quantity × Price − Discount)` for `"AMOUNT"`
//! (the whole row's discount) or `cents(quantity × Price × (100 −
//! Discount) / 100)` for `"PERCENT"`; prices take at most 2 decimals; VAT is
//! worked out per VAT percentage on the amount of the rows with it
//! (freight and administration fee at 25 %), once per rate: on the net
//! (`VATIncluded: false`, VAT = `cents(net × rate)`) or, with
//! `VATIncluded: true`, out of the prices that include it (VAT =
//! `cents(gross × rate / (100 + rate))`, the total is the rows' sum). A row
//! with `VAT: 0` (a rounding or gift-card row) carries none. Lists carry
//! `ExternalInvoiceReference2` and `Total`, as Fortnox's do. Error codes
//! are the sandbox's own, in Fortnox's shape.

mod catalog;
mod credit;
pub mod currencies;
pub mod customers;
pub mod payments;

use super::economic::harness::{self, cents, decimal, number, Faults, Server};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Fortnox's limit per access token.
pub const REQUESTS_PER_WINDOW: usize = 25;
pub const WINDOW: Duration = Duration::from_secs(5);

const INVALID_TOKEN: u64 = 2_000_311;
const TOO_MANY: u64 = 2_000_429;
const MALFORMED: u64 = 2_000_588;
const CUSTOMER_NOT_FOUND: u64 = 2_000_433;
const CUSTOMER_IN_USE: u64 = 2_000_434;
const ARTICLE_NOT_FOUND: u64 = 2_000_428;
const NOT_FOUND: u64 = 2_000_404;
const ARTICLE_TAKEN: u64 = 2_000_013;
const INVALID_CURRENCY: u64 = 2_000_359;
const INVALID_VAT: u64 = 2_000_755;
const ALREADY_BOOKED: u64 = 2_000_061;

/// What the ledger accepts.
#[derive(Debug, Clone)]
pub struct Settings {
    pub access_tokens: Vec<String>,
    pub currencies: Vec<String>,
    /// The VAT percentages a row may have.
    pub vat_rates: Vec<Decimal>,
    /// The currency register (`/3/currencies`): rates of the day. A
    /// currency a document or customer may use must also be in `currencies`.
    pub register: Vec<currencies::Currency>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_tokens: vec!["sandbox-access-token".into()],
            currencies: ["SEK", "EUR", "DKK", "NOK", "USD", "GBP"]
                .map(String::from)
                .to_vec(),
            vat_rates: [0, 6, 12, 25].map(Decimal::from).to_vec(),
            register: currencies::default_register(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub customer_number: String,
    pub name: String,
    pub email: Option<String>,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub article_number: String,
    pub description: String,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub article_number: Option<String>,
    pub description: String,
    pub quantity: Decimal,
    pub price: Decimal,
    pub discount: Decimal,
    pub discount_type: String,
    pub vat: Decimal,
    pub total: Decimal,
}

/// An invoice or an order.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub document_number: String,
    pub customer_number: String,
    pub currency: String,
    /// `CurrencyRate` and `CurrencyUnit`: SEK per unit units, as sent or
    /// the register's rate of the day.
    pub currency_rate: Decimal,
    pub currency_unit: Decimal,
    pub your_order_number: Option<String>,
    pub external_invoice_reference1: Option<String>,
    pub external_invoice_reference2: Option<String>,
    /// Internal comments.
    pub comments: Option<String>,
    /// Prices include VAT (`VATIncluded`).
    pub vat_included: bool,
    pub booked: bool,
    pub rows: Vec<Row>,
    pub freight: Decimal,
    pub administration_fee: Decimal,
    pub net: Decimal,
    pub total_vat: Decimal,
    pub total: Decimal,
    /// As Fortnox answers it (inside its envelope).
    pub body: Value,
}

#[derive(Debug, Default)]
struct Ledger {
    customers: Vec<Customer>,
    articles: Vec<Article>,
    /// The warehouse module's available stock per (article, stock point).
    stock_points: BTreeMap<(String, String), Decimal>,
    invoices: Vec<Document>,
    orders: Vec<Document>,
    last_customer: u64,
    last_invoice: u64,
    last_order: u64,
    requests: u64,
    too_many_requests: u64,
    windows: HashMap<String, VecDeque<Instant>>,
    /// Invoice payments (`payments`).
    payments: Vec<payments::InvoicePayment>,
    last_payment: u64,
}

#[derive(Clone)]
struct Shared {
    ledger: Arc<Mutex<Ledger>>,
    settings: Arc<Settings>,
    base_url: Arc<str>,
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running sandbox.
pub struct Handle {
    server: Server,
    shared: Shared,
    faults: Faults,
}

/// Starts a sandbox on a free loopback port.
pub async fn spawn(settings: Settings) -> std::io::Result<Handle> {
    let listener = harness::bind().await?;
    let base_url: Arc<str> = format!("http://{}", listener.local_addr()?).into();
    let shared = Shared {
        ledger: Arc::default(),
        settings: Arc::new(settings),
        base_url,
    };
    let faults = Faults::default();
    let server = harness::serve(listener, router(shared.clone()), faults.clone())?;
    Ok(Handle {
        server,
        shared,
        faults,
    })
}

impl Handle {
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The first access token the sandbox accepts.
    pub fn access_token(&self) -> String {
        self.shared
            .settings
            .access_tokens
            .first()
            .cloned()
            .unwrap_or_default()
    }

    /// A Ferry `fortnox` system configuration pointed at this sandbox.
    pub fn system_config(&self) -> Map<String, Value> {
        let mut config = Map::new();
        config.insert("base_url".into(), Value::String(self.base_url()));
        config
    }

    /// Ferry credentials this sandbox accepts.
    pub fn credentials(&self) -> ferry::seal::Credentials {
        let mut map = std::collections::BTreeMap::new();
        map.insert("access_token".to_owned(), self.access_token());
        ferry::seal::Credentials(map)
    }

    pub fn customers(&self) -> Vec<Customer> {
        self.shared.ledger().customers.clone()
    }

    pub fn articles(&self) -> Vec<Article> {
        self.shared.ledger().articles.clone()
    }

    pub fn invoices(&self) -> Vec<Document> {
        self.shared.ledger().invoices.clone()
    }

    /// Invoice payments registered.
    pub fn invoice_payments(&self) -> Vec<payments::InvoicePayment> {
        self.shared.ledger().payments.clone()
    }

    /// What is left to pay of invoice `number` (its `Balance`).
    pub fn balance(&self, number: &str) -> Option<Decimal> {
        let ledger = self.shared.ledger();
        let invoice = ledger
            .invoices
            .iter()
            .find(|d| d.document_number == number)?;
        Some(
            invoice
                .body
                .get("Balance")
                .and_then(decimal)
                .unwrap_or(invoice.total),
        )
    }

    /// Replaces an unbooked invoice with `invoice` (the fields inside
    /// `{"Invoice": …}`, checked and computed as a new one, keeping its
    /// number), as a bookkeeper correcting it by hand would (Fortnox's
    /// `PUT /3/invoices/{DocumentNumber}`); `false` when there is no such
    /// unbooked invoice or the body is refused.
    pub fn replace_invoice(&self, number: &str, invoice: Map<String, Value>) -> bool {
        let mut ledger = self.shared.ledger();
        let Some(position) = ledger
            .invoices
            .iter()
            .position(|d| d.document_number == number && !d.booked)
        else {
            return false;
        };
        let Ok(mut document) =
            check_document(&invoice, Kind::Invoice, &ledger, &self.shared.settings)
        else {
            return false;
        };
        document.document_number = number.to_owned();
        document.body = answer_body(&document, &invoice, Kind::Invoice, &self.shared.base_url);
        ledger.invoices[position] = document;
        true
    }

    pub fn orders(&self) -> Vec<Document> {
        self.shared.ledger().orders.clone()
    }

    /// Requests that reached the ledger (those answered by a fault excluded).
    pub fn requests(&self) -> u64 {
        self.shared.ledger().requests
    }

    /// Requests refused with 429 for going over 25 in 5 seconds.
    pub fn too_many_requests(&self) -> u64 {
        self.shared.ledger().too_many_requests
    }

    /// How many documents (invoices and orders together) carry each
    /// `ExternalInvoiceReference1`: an exactly-once check expects 1 for
    /// every order. Documents without one are counted under the empty text.
    pub fn documents_per_reference(&self) -> BTreeMap<String, usize> {
        let ledger = self.shared.ledger();
        let mut counts = BTreeMap::new();
        for document in ledger.invoices.iter().chain(&ledger.orders) {
            *counts
                .entry(
                    document
                        .external_invoice_reference1
                        .clone()
                        .unwrap_or_default(),
                )
                .or_default() += 1;
        }
        counts
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/3/companyinformation", get(company_information))
        .route("/3/currencies", get(currencies::list))
        .route("/3/currencies/{code}", get(currencies::get))
        .route(
            "/3/customers",
            get(customers::list_customers).post(create_customer),
        )
        .route(
            "/3/customers/{number}",
            get(get_customer).delete(delete_customer),
        )
        .route(
            "/3/articles",
            get(catalog::list_articles).post(create_article),
        )
        .route("/3/articles/{number}", get(get_article))
        .route(
            "/api/warehouse/status-v1/stockbalance",
            get(catalog::stock_balance),
        )
        .route("/3/invoices", get(list_invoices).post(create_invoice))
        .route("/3/invoices/{number}", get(get_invoice).put(credit::update))
        .route("/3/invoices/{number}/bookkeep", put(bookkeep))
        .route(
            "/3/invoicepayments",
            get(payments::list_payments).post(payments::create),
        )
        .route("/3/invoicepayments/{number}", get(payments::get_payment))
        .route(
            "/3/invoicepayments/{number}/bookkeep",
            put(payments::bookkeep),
        )
        .route("/3/orders", get(list_orders).post(create_order))
        .route("/3/orders/{number}", get(get_order).put(update_order))
        .route("/3/invoices/{number}/credit", put(credit::credit))
        .route("/3/invoices/{number}/cancel", put(credit::cancel))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "The resource does not exist.",
                NOT_FOUND,
            )
        })
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

/// Fortnox's error body.
fn error(status: StatusCode, message: &str, code: u64) -> Response {
    let body = json!({ "ErrorInformation": { "error": 1, "message": message, "code": code } });
    (status, Json(body)).into_response()
}

/// A 400 in Fortnox's words; small to pass around, a body only at the edge.
#[derive(Debug)]
struct Refusal {
    message: String,
    code: u64,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(StatusCode::BAD_REQUEST, &self.message, self.code)
    }
}

fn bad_request(message: impl Into<String>, code: u64) -> Refusal {
    Refusal {
        message: message.into(),
        code,
    }
}

/// Counts the request, checks the bearer token and the token's rate window.
async fn guard(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_owned);
    {
        let mut ledger = shared.ledger();
        ledger.requests += 1;
        let Some(token) = token.filter(|t| shared.settings.access_tokens.contains(t)) else {
            return error(
                StatusCode::UNAUTHORIZED,
                "Invalid or expired access token.",
                INVALID_TOKEN,
            );
        };
        let now = Instant::now();
        let window = ledger.windows.entry(token).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= REQUESTS_PER_WINDOW {
            let oldest = window.front().copied().unwrap_or(now);
            let wait = WINDOW.saturating_sub(now.duration_since(oldest));
            ledger.too_many_requests += 1;
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests: at most 25 requests in 5 seconds per access token.",
                TOO_MANY,
            );
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            return response;
        }
        window.push_back(now);
    }
    let json_body = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if request.method() == Method::POST && !json_body {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json.",
            MALFORMED,
        );
    }
    next.run(request).await
}

async fn company_information() -> Response {
    Json(json!({ "CompanyInformation": {
        "CompanyName": "Sandbox AB", "OrganizationNumber": "556677-8899", "City": "Växjö", "CountryCode": "SE"
    } }))
    .into_response()
}

/// The entity inside `{"Customer": …}` and the like.
fn unwrap(body: &Bytes, name: &str) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut outer)) => match outer.remove(name) {
            Some(Value::Object(inner)) => Ok(inner),
            _ => Err(bad_request(
                format!("The body must be {{\"{name}\": {{…}}}}."),
                MALFORMED,
            )),
        },
        _ => Err(bad_request("The body is not valid JSON.", MALFORMED)),
    }
}

fn text(map: &Map<String, Value>, field: &str) -> Option<String> {
    match map.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Fortnox's list envelope.
fn list(name: &str, items: Vec<Value>) -> Response {
    let count = items.len();
    let mut body = Map::new();
    body.insert(
        "MetaInformation".into(),
        json!({ "@TotalResources": count, "@TotalPages": 1, "@CurrentPage": 1 }),
    );
    body.insert(name.into(), Value::Array(items));
    Json(Value::Object(body)).into_response()
}

/// Fortnox's searches match loosely: case-insensitive, anywhere in the field.
fn loosely(value: Option<&str>, wanted: &str) -> bool {
    value.is_some_and(|v| v.to_lowercase().contains(&wanted.to_lowercase()))
}

// ---------- customers and articles ----------

async fn get_customer(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    match shared
        .ledger()
        .customers
        .iter()
        .find(|c| c.customer_number == number)
    {
        Some(c) => Json(json!({ "Customer": c.body })).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("Customer {number} was not found."),
            CUSTOMER_NOT_FOUND,
        ),
    }
}

/// `DELETE /3/customers/{CustomerNumber}`: 204, or 404; a customer that
/// invoices or orders refer to is kept (400).
async fn delete_customer(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    let mut ledger = shared.ledger();
    let Some(index) = ledger
        .customers
        .iter()
        .position(|c| c.customer_number == number)
    else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("Customer {number} was not found."),
            CUSTOMER_NOT_FOUND,
        );
    };
    let in_use = ledger
        .invoices
        .iter()
        .chain(ledger.orders.iter())
        .any(|d| d.customer_number == number);
    if in_use {
        return bad_request(
            format!("Customer {number} has documents and cannot be deleted."),
            CUSTOMER_IN_USE,
        )
        .into_response();
    }
    ledger.customers.remove(index);
    StatusCode::NO_CONTENT.into_response()
}

async fn create_customer(State(shared): State<Shared>, body: Bytes) -> Response {
    let mut customer = match unwrap(&body, "Customer") {
        Ok(customer) => customer,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(name) = text(&customer, "Name") else {
        return bad_request("Name is required.", MALFORMED).into_response();
    };
    if let Some(currency) = text(&customer, "Currency") {
        if !shared.settings.currencies.contains(&currency) {
            return bad_request(format!("Invalid currency {currency}."), INVALID_CURRENCY)
                .into_response();
        }
    }
    let mut ledger = shared.ledger();
    ledger.last_customer += 1;
    let number = ledger.last_customer.to_string();
    customer.insert("CustomerNumber".into(), json!(number));
    customer.insert(
        "@url".into(),
        json!(format!("{}/3/customers/{number}", shared.base_url)),
    );
    let body = Value::Object(customer);
    ledger.customers.push(Customer {
        customer_number: number,
        name,
        email: body.get("Email").and_then(Value::as_str).map(str::to_owned),
        body: body.clone(),
    });
    (StatusCode::CREATED, Json(json!({ "Customer": body }))).into_response()
}

async fn get_article(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    match shared
        .ledger()
        .articles
        .iter()
        .find(|a| a.article_number == number)
    {
        Some(a) => Json(json!({ "Article": a.body })).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("Article {number} was not found."),
            ARTICLE_NOT_FOUND,
        ),
    }
}

async fn create_article(State(shared): State<Shared>, body: Bytes) -> Response {
    let mut article = match unwrap(&body, "Article") {
        Ok(article) => article,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(number) = text(&article, "ArticleNumber") else {
        return bad_request("ArticleNumber is required.", MALFORMED).into_response();
    };
    let Some(description) = text(&article, "Description") else {
        return bad_request("Description is required.", MALFORMED).into_response();
    };
    let mut ledger = shared.ledger();
    if ledger.articles.iter().any(|a| a.article_number == number) {
        return bad_request(
            format!("The article number {number} is already in use."),
            ARTICLE_TAKEN,
        )
        .into_response();
    }
    article.insert(
        "@url".into(),
        json!(format!("{}/3/articles/{number}", shared.base_url)),
    );
    let body = Value::Object(article);
    ledger.articles.push(Article {
        article_number: number,
        description,
        body: body.clone(),
    });
    (StatusCode::CREATED, Json(json!({ "Article": body }))).into_response()
}

// ---------- invoices and orders ----------

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Invoice,
    Order,
}

impl Kind {
    fn single(self) -> &'static str {
        match self {
            Kind::Invoice => "Invoice",
            Kind::Order => "Order",
        }
    }

    fn list(self) -> &'static str {
        match self {
            Kind::Invoice => "Invoices",
            Kind::Order => "Orders",
        }
    }

    fn rows(self) -> &'static str {
        match self {
            Kind::Invoice => "InvoiceRows",
            Kind::Order => "OrderRows",
        }
    }

    fn quantity(self) -> &'static str {
        match self {
            Kind::Invoice => "DeliveredQuantity",
            Kind::Order => "OrderedQuantity",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::Invoice => "invoices",
            Kind::Order => "orders",
        }
    }

    fn documents(self, ledger: &mut Ledger) -> &mut Vec<Document> {
        match self {
            Kind::Invoice => &mut ledger.invoices,
            Kind::Order => &mut ledger.orders,
        }
    }
}

/// An amount field: a number with at most 2 decimals (quantities: any).
fn amount(
    map: &Map<String, Value>,
    field: &str,
    any_scale: bool,
) -> Result<Option<Decimal>, Refusal> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match decimal(value) {
            Some(d) if any_scale || d.scale() <= 2 => Ok(Some(d)),
            Some(d) => Err(bad_request(
                format!("{field} may have at most 2 decimals, not {d}."),
                MALFORMED,
            )),
            None => Err(bad_request(format!("{field} must be a number."), MALFORMED)),
        },
    }
}

fn check_row(
    row: &Value,
    kind: Kind,
    ledger: &Ledger,
    settings: &Settings,
) -> Result<Row, Refusal> {
    let Value::Object(row) = row else {
        return Err(bad_request("Each row must be an object.", MALFORMED));
    };
    let article_number = text(row, "ArticleNumber");
    let article = match &article_number {
        Some(number) => Some(
            ledger
                .articles
                .iter()
                .find(|a| &a.article_number == number)
                .ok_or_else(|| {
                    bad_request(
                        format!("Article {number} was not found."),
                        ARTICLE_NOT_FOUND,
                    )
                })?,
        ),
        None => None,
    };
    let quantity = amount(row, kind.quantity(), true)?.ok_or_else(|| {
        bad_request(
            format!("{} is required on every row.", kind.quantity()),
            MALFORMED,
        )
    })?;
    let price = amount(row, "Price", false)?.unwrap_or_default();
    let discount = amount(row, "Discount", false)?.unwrap_or_default();
    let discount_type = text(row, "DiscountType").unwrap_or_else(|| "PERCENT".into());
    let total = match discount_type.as_str() {
        "AMOUNT" => cents(quantity * price - discount),
        "PERCENT" => {
            cents(quantity * price * (Decimal::ONE_HUNDRED - discount) / Decimal::ONE_HUNDRED)
        }
        other => {
            return Err(bad_request(
                format!("DiscountType must be AMOUNT or PERCENT, not {other}."),
                MALFORMED,
            ))
        }
    };
    if discount.is_sign_negative() {
        return Err(bad_request("Discount cannot be negative.", MALFORMED));
    }
    let vat = amount(row, "VAT", true)?.unwrap_or(Decimal::from(25));
    if !settings.vat_rates.contains(&vat) {
        return Err(bad_request(
            format!("VAT {vat} is not a VAT percentage in use."),
            INVALID_VAT,
        ));
    }
    let description = text(row, "Description")
        .or_else(|| article.map(|a| a.description.clone()))
        .unwrap_or_default();
    Ok(Row {
        article_number,
        description,
        quantity,
        price,
        discount,
        discount_type,
        vat,
        total,
    })
}

fn check_document(
    map: &Map<String, Value>,
    kind: Kind,
    ledger: &Ledger,
    settings: &Settings,
) -> Result<Document, Refusal> {
    let customer_number = text(map, "CustomerNumber")
        .ok_or_else(|| bad_request("CustomerNumber is required.", MALFORMED))?;
    if !ledger
        .customers
        .iter()
        .any(|c| c.customer_number == customer_number)
    {
        return Err(bad_request(
            format!("Customer {customer_number} was not found."),
            CUSTOMER_NOT_FOUND,
        ));
    }
    let currency = text(map, "Currency").unwrap_or_else(|| "SEK".into());
    if !settings.currencies.contains(&currency) {
        return Err(bad_request(
            format!("Invalid currency {currency}."),
            INVALID_CURRENCY,
        ));
    }
    let (currency_rate, currency_unit) = currencies::document_rate(map, &currency, settings)?;
    let vat_included = map.get("VATIncluded").and_then(Value::as_bool) == Some(true);
    let freight = amount(map, "Freight", false)?.unwrap_or_default();
    let administration_fee = amount(map, "AdministrationFee", false)?.unwrap_or_default();
    let rows = match map.get(kind.rows()) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(rows)) => rows
            .iter()
            .map(|row| check_row(row, kind, ledger, settings))
            .collect::<Result<Vec<Row>, Refusal>>()?,
        Some(_) => {
            return Err(bad_request(
                format!("{} must be an array.", kind.rows()),
                MALFORMED,
            ))
        }
    };
    let amount = rows.iter().map(|r| r.total).sum::<Decimal>() + freight + administration_fee;
    // VAT per rate on that rate's whole amount, as a VAT report adds it up;
    // freight and the administration fee count at 25 %.
    let mut by_rate: Vec<(Decimal, Decimal)> =
        vec![(Decimal::from(25), freight + administration_fee)];
    for row in &rows {
        match by_rate.iter_mut().find(|(rate, _)| *rate == row.vat) {
            Some((_, amount)) => *amount += row.total,
            None => by_rate.push((row.vat, row.total)),
        }
    }
    let total_vat = by_rate
        .iter()
        .map(|(rate, amount)| {
            if vat_included {
                cents(amount * rate / (Decimal::ONE_HUNDRED + rate))
            } else {
                cents(amount * rate / Decimal::ONE_HUNDRED)
            }
        })
        .sum::<Decimal>();
    let net = if vat_included {
        amount - total_vat
    } else {
        amount
    };
    Ok(Document {
        document_number: String::new(),
        customer_number,
        currency,
        currency_rate,
        currency_unit,
        your_order_number: text(map, "YourOrderNumber"),
        external_invoice_reference1: text(map, "ExternalInvoiceReference1"),
        external_invoice_reference2: text(map, "ExternalInvoiceReference2"),
        comments: text(map, "Comments"),
        vat_included,
        booked: false,
        rows,
        freight,
        administration_fee,
        net,
        total_vat,
        total: net + total_vat,
        body: Value::Null,
    })
}

/// The document as Fortnox answers it (without the envelope).
fn answer_body(
    document: &Document,
    sent: &Map<String, Value>,
    kind: Kind,
    base_url: &str,
) -> Value {
    let mut body = sent.clone();
    body.insert("DocumentNumber".into(), json!(document.document_number));
    body.insert("Booked".into(), json!(document.booked));
    body.insert("Cancelled".into(), json!(false));
    body.insert("Currency".into(), json!(document.currency));
    body.insert("CurrencyRate".into(), number(document.currency_rate));
    body.insert("CurrencyUnit".into(), number(document.currency_unit));
    body.insert("Net".into(), number(document.net));
    body.insert("TotalVAT".into(), number(document.total_vat));
    body.insert("Total".into(), number(document.total));
    let rows: Vec<Value> = document
        .rows
        .iter()
        .map(|r| {
            json!({
                "ArticleNumber": r.article_number,
                "Description": r.description,
                kind.quantity(): number(r.quantity),
                "Price": number(r.price),
                "Discount": number(r.discount),
                "DiscountType": r.discount_type,
                "VAT": number(r.vat),
                "Total": number(r.total),
            })
        })
        .collect();
    body.insert(kind.rows().into(), Value::Array(rows));
    body.insert(
        "@url".into(),
        json!(format!(
            "{base_url}/3/{}/{}",
            kind.path(),
            document.document_number
        )),
    );
    Value::Object(body)
}

async fn create_document(shared: Shared, kind: Kind, body: Bytes) -> Response {
    let sent = match unwrap(&body, kind.single()) {
        Ok(sent) => sent,
        Err(refusal) => return refusal.into_response(),
    };
    let mut ledger = shared.ledger();
    let mut document = match check_document(&sent, kind, &ledger, &shared.settings) {
        Ok(document) => document,
        Err(refusal) => return refusal.into_response(),
    };
    let last = match kind {
        Kind::Invoice => &mut ledger.last_invoice,
        Kind::Order => &mut ledger.last_order,
    };
    *last += 1;
    document.document_number = last.to_string();
    document.body = answer_body(&document, &sent, kind, &shared.base_url);
    let mut envelope = Map::new();
    envelope.insert(kind.single().into(), document.body.clone());
    kind.documents(&mut ledger).push(document);
    (StatusCode::CREATED, Json(Value::Object(envelope))).into_response()
}

/// The subset Fortnox lists: number, customer, references, state, total.
fn subset(document: &Document) -> Value {
    let mut item = json!({
        "DocumentNumber": document.document_number,
        "CustomerNumber": document.customer_number,
        "Currency": document.currency,
        "Booked": document.booked,
        "Cancelled": false,
        "Total": number(document.total),
        // What is left to pay (`payments` lowers it).
        "Balance": document.body.get("Balance").cloned().unwrap_or(number(document.total)),
    });
    for (field, value) in [
        ("YourOrderNumber", &document.your_order_number),
        (
            "ExternalInvoiceReference1",
            &document.external_invoice_reference1,
        ),
        (
            "ExternalInvoiceReference2",
            &document.external_invoice_reference2,
        ),
    ] {
        if let Some(value) = value {
            item[field] = json!(value);
        }
    }
    item
}

async fn list_documents(shared: Shared, kind: Kind, query: HashMap<String, String>) -> Response {
    let mut ledger = shared.ledger();
    let items = kind
        .documents(&mut ledger)
        .iter()
        .filter(|d| {
            query
                .get("externalinvoicereference1")
                .is_none_or(|r| loosely(d.external_invoice_reference1.as_deref(), r))
        })
        .filter(|d| {
            query
                .get("yourordernumber")
                .is_none_or(|r| loosely(d.your_order_number.as_deref(), r))
        })
        .map(credit::listed)
        .collect();
    list(kind.list(), items)
}

async fn get_document(shared: Shared, kind: Kind, number: String) -> Response {
    let mut ledger = shared.ledger();
    match kind
        .documents(&mut ledger)
        .iter()
        .find(|d| d.document_number == number)
    {
        Some(document) => {
            let mut envelope = Map::new();
            envelope.insert(kind.single().into(), document.body.clone());
            Json(Value::Object(envelope)).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            &format!("{} {number} was not found.", kind.single()),
            NOT_FOUND,
        ),
    }
}

async fn create_invoice(State(shared): State<Shared>, body: Bytes) -> Response {
    create_document(shared, Kind::Invoice, body).await
}

async fn create_order(State(shared): State<Shared>, body: Bytes) -> Response {
    create_document(shared, Kind::Order, body).await
}

async fn list_invoices(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list_documents(shared, Kind::Invoice, query).await
}

async fn list_orders(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list_documents(shared, Kind::Order, query).await
}

async fn get_invoice(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    get_document(shared, Kind::Invoice, number).await
}

async fn get_order(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    get_document(shared, Kind::Order, number).await
}

/// `PUT /3/orders/{n}`: the fields sent change, the rest stay (the sandbox
/// takes the text fields `ExternalInvoiceReference2`, `Comments` and
/// `YourOrderNumber`). `PUT /3/invoices/{n}` is `credit::update`, which
/// takes every field and the rows; a booked invoice cannot change.
async fn update_document(shared: Shared, kind: Kind, number: String, body: Bytes) -> Response {
    let sent = match unwrap(&body, kind.single()) {
        Ok(sent) => sent,
        Err(refusal) => return refusal.into_response(),
    };
    let mut ledger = shared.ledger();
    let Some(document) = kind
        .documents(&mut ledger)
        .iter_mut()
        .find(|d| d.document_number == number)
    else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("{} {number} was not found.", kind.single()),
            NOT_FOUND,
        );
    };
    if document.booked {
        return bad_request(
            format!("{} {number} is booked and cannot change.", kind.single()),
            ALREADY_BOOKED,
        )
        .into_response();
    }
    for field in ["ExternalInvoiceReference2", "Comments", "YourOrderNumber"] {
        let Some(value) = text(&sent, field) else {
            continue;
        };
        match field {
            "ExternalInvoiceReference2" => {
                document.external_invoice_reference2 = Some(value.clone())
            }
            "Comments" => document.comments = Some(value.clone()),
            _ => document.your_order_number = Some(value.clone()),
        }
        if let Value::Object(body) = &mut document.body {
            body.insert(field.into(), json!(value));
        }
    }
    Json(json!({ kind.single(): document.body })).into_response()
}

async fn update_order(
    State(shared): State<Shared>,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    update_document(shared, Kind::Order, number, body).await
}

async fn bookkeep(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    let mut ledger = shared.ledger();
    let Some(invoice) = ledger
        .invoices
        .iter_mut()
        .find(|d| d.document_number == number)
    else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("Invoice {number} was not found."),
            NOT_FOUND,
        );
    };
    if invoice.booked {
        return bad_request(
            format!("Invoice {number} is already booked."),
            ALREADY_BOOKED,
        )
        .into_response();
    }
    invoice.booked = true;
    if let Value::Object(body) = &mut invoice.body {
        body.insert("Booked".into(), json!(true));
    }
    Json(json!({ "Invoice": invoice.body })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_compute_like_fortnox() {
        let ledger = Ledger::default();
        let settings = Settings::default();
        let row = json!({"Description": "Mug", "DeliveredQuantity": 3, "Price": 3.33, "Discount": 0.99, "DiscountType": "AMOUNT", "VAT": 25});
        let row = check_row(&row, Kind::Invoice, &ledger, &settings).unwrap();
        assert_eq!(row.total, Decimal::new(9_00, 2));
        let percent = json!({"Description": "Mug", "DeliveredQuantity": 2, "Price": 10, "Discount": 15, "VAT": 12});
        assert_eq!(
            check_row(&percent, Kind::Invoice, &ledger, &settings)
                .unwrap()
                .total,
            Decimal::new(17_00, 2)
        );
        let precise = json!({"Description": "Mug", "DeliveredQuantity": 1, "Price": 3.333});
        assert!(check_row(&precise, Kind::Invoice, &ledger, &settings).is_err());
        let unknown = json!({"ArticleNumber": "NOPE", "DeliveredQuantity": 1, "Price": 3});
        assert!(check_row(&unknown, Kind::Invoice, &ledger, &settings).is_err());
    }

    #[test]
    fn vat_comes_out_of_prices_that_include_it_and_not_out_of_a_vat_free_row() {
        let mut ledger = Ledger::default();
        ledger.customers.push(Customer {
            customer_number: "1".into(),
            name: "Karin".into(),
            email: None,
            body: json!({}),
        });
        let settings = Settings::default();
        let invoice = |included: bool| {
            json!({
                "CustomerNumber": "1", "VATIncluded": included, "Freight": 0,
                "InvoiceRows": [
                    {"Description": "Mug", "DeliveredQuantity": 1, "Price": 125, "VAT": 25},
                    {"Description": "Book", "DeliveredQuantity": 1, "Price": 106, "VAT": 6},
                    {"Description": "Rounding", "DeliveredQuantity": 1, "Price": 0.01, "VAT": 0},
                ]
            })
            .as_object()
            .cloned()
            .unwrap()
        };
        let included = check_document(&invoice(true), Kind::Invoice, &ledger, &settings).unwrap();
        assert_eq!(included.total_vat, Decimal::new(3100, 2));
        assert_eq!(included.total, Decimal::new(23101, 2));
        assert_eq!(included.net, Decimal::new(20001, 2));
        let net = check_document(&invoice(false), Kind::Invoice, &ledger, &settings).unwrap();
        assert_eq!(net.total_vat, Decimal::new(3761, 2));
        assert_eq!(net.total, Decimal::new(26862, 2));
    }
}
