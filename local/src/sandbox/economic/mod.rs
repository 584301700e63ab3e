//! An e-conomic ledger on loopback: `/self`, customers, products, draft and
//! booked invoices and draft orders, with e-conomic's headers, validation
//! rules, annotated error bodies, `filter=` and pagination envelope, and
//! switchable faults ([`harness::Faults`]).
//!
//! Validation follows e-conomic's documented rules: a sales document needs
//! `date`, `currency`, `customer`, `layout`, `paymentTerms`, `recipient.name`
//! and `recipient.vatZone`; referenced entities must exist (`E06000`); a
//! product reference needs a number (`E04500`) and a quantity (`E04730`);
//! `unitNetPrice` (and, as the sandbox assumes, `discountPercentage`) takes
//! at most 2 decimals (`E04740`). Codes for a missing property, a malformed
//! value or a taken product number are the sandbox's own.
//!
//! Amounts: a line is `cents(quantity × unitNetPrice × (100 −
//! discountPercentage) / 100)`. VAT is worked out as e-conomic does it:
//! a line's product belongs to a product group, the group names a sales
//! account for each VAT zone ([`Settings::sales_accounts`]), and that
//! account's VAT code ([`Settings::accounts`], [`Settings::vat_codes`])
//! gives the rate; an account without a VAT code carries no VAT. VAT is
//! then rounded once per rate on the net of the lines at that rate. A
//! group with no sales account for the zone falls back to the zone's rate
//! ([`Settings::vat_zones`]). The defaults have the ordinary group 1 (25 %
//! at home), group 8 for gift cards (a liability account, no VAT) and
//! group 9 for rounding (no VAT).

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use harness::{decimal, log_id, number, Faults, Server};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

pub mod catalog;
pub mod chaos;
mod currencies;
pub mod customers;
mod drafts;
pub mod fault;
mod filter;
pub mod harness;
pub mod journals;
mod problems;
mod rules;

use filter::collection;
use problems::{Problems, Step};
use rules::{check_document, lookup, parse_body, reference, required_text};

/// Sandbox-only code: a required property is missing.
const MISSING: &str = "E04300";
/// Sandbox-only code: a property has the wrong type or format.
const MALFORMED: &str = "E04100";
/// Sandbox-only code: the product number is taken.
const TAKEN: &str = "E04600";
/// e-conomic: the referenced entity does not exist.
const NOT_FOUND: &str = "E06000";
/// e-conomic: more than 2 decimals.
const SCALE: &str = "E04740";
/// e-conomic: a product reference without a number.
const NO_PRODUCT_NUMBER: &str = "E04500";
/// e-conomic: a product line without a quantity.
const NO_QUANTITY: &str = "E04730";

/// What the ledger knows and accepts.
#[derive(Debug, Clone)]
pub struct Settings {
    pub app_secret_token: String,
    pub agreement_grant_token: String,
    pub layouts: Vec<u64>,
    pub payment_terms: Vec<u64>,
    /// VAT zones and the VAT rate the sandbox applies in each.
    pub vat_zones: Vec<(u64, Decimal)>,
    pub customer_groups: Vec<u64>,
    pub product_groups: Vec<u64>,
    /// The currencies the agreement has (set up under Settings → Currencies).
    pub currencies: Vec<String>,
    /// What `/self` reports as `settings.baseCurrency`.
    pub base_currency: String,
    /// The rate of the day of each foreign currency: the price of 100 units
    /// in the base currency.
    pub daily_rates: Vec<(String, Decimal)>,
    /// `(product group, VAT zone, account)`: where a group's sales in a
    /// zone are booked (`GET /product-groups/{n}/sales-accounts`).
    pub sales_accounts: Vec<(u64, u64, u64)>,
    /// Accounts and their VAT code (`vatAccount.vatCode`); `None` has no VAT.
    pub accounts: Vec<(u64, Option<String>)>,
    /// VAT codes and their rate (`/vat-accounts`, `ratePercentage` / 100).
    pub vat_codes: Vec<(String, Decimal)>,
}

/// The product group of gift cards in the default sandbox (no VAT).
pub const GIFT_CARD_GROUP: u64 = 8;
/// The product group of rounding in the default sandbox (no VAT).
pub const ROUNDING_GROUP: u64 = 9;

impl Settings {
    /// The VAT rate of a sale in `group` to `zone`: its sales account's VAT
    /// code; `None` when the group names no account for the zone.
    pub fn vat_rate(&self, group: u64, zone: u64) -> Option<Decimal> {
        let (_, _, account) = self
            .sales_accounts
            .iter()
            .find(|(g, z, _)| *g == group && *z == zone)?;
        let code = self
            .accounts
            .iter()
            .find(|(number, _)| number == account)
            .and_then(|(_, code)| code.as_ref());
        Some(code.map_or(Decimal::ZERO, |code| {
            self.vat_codes
                .iter()
                .find(|(c, _)| c == code)
                .map_or(Decimal::ZERO, |(_, rate)| *rate)
        }))
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            app_secret_token: "sandbox-app-secret".into(),
            agreement_grant_token: "sandbox-agreement-grant".into(),
            layouts: vec![19],
            payment_terms: vec![1],
            // Domestic 25 %, EU and abroad without Danish VAT.
            vat_zones: vec![
                (1, Decimal::new(25, 2)),
                (2, Decimal::ZERO),
                (3, Decimal::ZERO),
            ],
            customer_groups: vec![1],
            product_groups: vec![1, GIFT_CARD_GROUP, ROUNDING_GROUP],
            currencies: ["DKK", "EUR", "SEK", "NOK", "USD", "GBP"]
                .map(String::from)
                .to_vec(),
            base_currency: "DKK".into(),
            daily_rates: currencies::default_daily_rates(),
            // Group 1: sales at home with VAT (1010, U25), to the EU and
            // abroad without (1020, 1030); gift cards on a liability
            // (6950) and rounding on 1090, both without VAT, in every zone.
            sales_accounts: vec![
                (1, 1, 1010),
                (1, 2, 1020),
                (1, 3, 1030),
                (GIFT_CARD_GROUP, 1, 6950),
                (GIFT_CARD_GROUP, 2, 6950),
                (GIFT_CARD_GROUP, 3, 6950),
                (ROUNDING_GROUP, 1, 1090),
                (ROUNDING_GROUP, 2, 1090),
                (ROUNDING_GROUP, 3, 1090),
            ],
            accounts: vec![
                (1010, Some("U25".into())),
                (1020, None),
                (1030, None),
                (1090, None),
                (6950, None),
            ],
            vat_codes: vec![("U25".into(), Decimal::new(25, 2))],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub customer_number: u64,
    pub name: String,
    pub email: Option<String>,
    pub currency: String,
    /// As e-conomic answers it.
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub product_number: String,
    pub name: String,
    pub sales_price: Option<Decimal>,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub line_number: u64,
    pub product_number: Option<String>,
    pub description: String,
    pub quantity: Decimal,
    pub unit_net_price: Decimal,
    pub discount_percentage: Decimal,
    pub total_net_amount: Decimal,
}

/// A draft invoice, booked invoice or draft order.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `draftInvoiceNumber`, `bookedInvoiceNumber` or `orderNumber`.
    pub number: u64,
    pub customer_number: u64,
    pub date: String,
    pub currency: String,
    /// `exchangeRate`: the price of 100 units of `currency` in the base
    /// currency, as sent or the rate of the day.
    pub exchange_rate: Decimal,
    /// `references.other`.
    pub reference: Option<String>,
    /// `notes.heading`.
    pub heading: Option<String>,
    pub lines: Vec<Line>,
    pub net_amount: Decimal,
    pub vat_amount: Decimal,
    pub gross_amount: Decimal,
    /// As e-conomic answers it.
    pub body: Value,
}

#[derive(Debug, Default)]
struct Ledger {
    customers: Vec<Customer>,
    products: Vec<Product>,
    drafts: Vec<Document>,
    booked: Vec<Document>,
    orders: Vec<Document>,
    last_customer: u64,
    last_draft: u64,
    last_booked: u64,
    last_order: u64,
    requests: u64,
    /// Customer payments in journals, or booked (`journals`).
    entries: Vec<journals::Entry>,
    last_voucher: u64,
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

/// A running sandbox ledger.
pub struct Handle {
    server: Server,
    shared: Shared,
    faults: Faults,
}

/// Starts a sandbox ledger on a free loopback port.
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

    /// A Ferry `economic` system configuration pointed at this sandbox.
    pub fn system_config(&self) -> Map<String, Value> {
        let s = &self.shared.settings;
        let first = |list: &[u64]| list.first().copied().unwrap_or(1);
        let config = json!({
            "base_url": self.base_url(),
            "layout_number": first(&s.layouts),
            "payment_terms_number": first(&s.payment_terms),
            "vat_zone_number": s.vat_zones.first().map(|z| z.0).unwrap_or(1),
            "customer_group_number": first(&s.customer_groups),
            "product_group_number": first(&s.product_groups),
        });
        let mut config = config;
        for (field, group) in [
            ("rounding_product_group_number", ROUNDING_GROUP),
            ("gift_card_product_group_number", GIFT_CARD_GROUP),
        ] {
            if s.product_groups.contains(&group) {
                config[field] = json!(group);
            }
        }
        config.as_object().cloned().unwrap_or_default()
    }

    /// Ferry credentials this sandbox accepts.
    pub fn credentials(&self) -> ferry::seal::Credentials {
        let s = &self.shared.settings;
        let mut map = std::collections::BTreeMap::new();
        map.insert("app_secret_token".to_owned(), s.app_secret_token.clone());
        map.insert(
            "agreement_grant_token".to_owned(),
            s.agreement_grant_token.clone(),
        );
        ferry::seal::Credentials(map)
    }

    pub fn customers(&self) -> Vec<Customer> {
        self.shared.ledger().customers.clone()
    }

    pub fn products(&self) -> Vec<Product> {
        self.shared.ledger().products.clone()
    }

    /// Deletes a product, as a bookkeeper might by hand; `true` if it was there.
    pub fn delete_product(&self, product_number: &str) -> bool {
        let mut ledger = self.shared.ledger();
        let before = ledger.products.len();
        ledger
            .products
            .retain(|p| p.product_number != product_number);
        ledger.products.len() != before
    }

    /// Replaces a draft invoice with `body` (checked and computed as a new
    /// one, keeping its number), as a bookkeeper correcting it by hand
    /// would (e-conomic's `PUT /invoices/drafts/{number}`); `false` when
    /// there is no such draft or the body is refused.
    pub fn replace_draft(&self, number: u64, body: Value) -> bool {
        let mut ledger = self.shared.ledger();
        let Some(position) = ledger.drafts.iter().position(|d| d.number == number) else {
            return false;
        };
        let Ok(mut document) = check_document(&body, &ledger, &self.shared.settings) else {
            return false;
        };
        document.number = number;
        document.body = answer_body(&document, Book::Drafts, &self.shared.base_url);
        ledger.drafts[position] = document;
        true
    }

    pub fn draft_invoices(&self) -> Vec<Document> {
        self.shared.ledger().drafts.clone()
    }

    pub fn booked_invoices(&self) -> Vec<Document> {
        self.shared.ledger().booked.clone()
    }

    pub fn orders(&self) -> Vec<Document> {
        self.shared.ledger().orders.clone()
    }

    /// Customer payment entries, in journals or booked.
    pub fn payment_entries(&self) -> Vec<journals::Entry> {
        self.shared.ledger().entries.clone()
    }

    /// Books a journal, as the bookkeeper does: its entries become the
    /// year's booked entries.
    pub fn book_journal(&self, journal: u64) {
        for entry in self.shared.ledger().entries.iter_mut() {
            if entry.journal == journal && !entry.booked {
                entry.booked = true;
                entry.body["voucherNumber"] = json!(entry.voucher_number);
            }
        }
    }

    /// What is left to pay of booked invoice `number` (its `remainder`).
    pub fn remainder(&self, number: u64) -> Option<Decimal> {
        let ledger = self.shared.ledger();
        let booked = ledger.booked.iter().find(|b| b.number == number)?;
        booked.body.get("remainder").and_then(decimal)
    }

    /// Requests that reached the ledger (those answered by a fault excluded).
    pub fn requests(&self) -> u64 {
        self.shared.ledger().requests
    }

    /// How many documents (draft and booked invoices and draft orders
    /// together) carry each `references.other`: an exactly-once check
    /// expects 1 for every order. Documents without a reference are
    /// counted under the empty text.
    pub fn documents_per_reference(&self) -> BTreeMap<String, usize> {
        let ledger = self.shared.ledger();
        let mut counts = BTreeMap::new();
        for document in ledger
            .drafts
            .iter()
            .chain(&ledger.booked)
            .chain(&ledger.orders)
        {
            *counts
                .entry(document.reference.clone().unwrap_or_default())
                .or_default() += 1;
        }
        counts
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/self", get(get_self))
        .route("/currencies", get(currencies::list))
        .route("/currencies/{code}", get(currencies::get))
        .route("/customers", get(list_customers).post(create_customer))
        .route(
            "/customers/{number}",
            get(get_customer).delete(delete_customer),
        )
        .route("/products", get(list_products).post(create_product))
        .route("/products/{number}", get(get_product))
        .route("/invoices/drafts", get(list_drafts).post(create_draft))
        .route(
            "/invoices/drafts/{number}",
            get(get_draft).put(put_draft).delete(drafts::delete),
        )
        .route("/invoices/booked", get(list_booked).post(book_draft))
        .route("/invoices/booked/{number}", get(get_booked))
        .route("/orders/drafts", get(list_orders).post(create_order))
        .route("/orders/drafts/{number}", get(get_order).put(put_order))
        .route(
            "/journals/{journal}/vouchers",
            axum::routing::post(journals::create_vouchers),
        )
        .route(
            "/journals/{journal}/entries",
            get(journals::journal_entries),
        )
        .route(
            "/accounting-years/{year}/entries",
            get(journals::booked_entries),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// e-conomic's error body for anything but field validation.
fn error(status: StatusCode, message: &str, hint: &str) -> Response {
    let body = json!({
        "message": message,
        "developerHint": hint,
        "logId": log_id(),
        "httpStatusCode": status.as_u16(),
        "logTime": now_text(),
    });
    (status, Json(body)).into_response()
}

/// Counts the request, checks the tokens and the content type.
async fn guard(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    shared.ledger().requests += 1;
    let headers = request.headers();
    let token = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let settings = &shared.settings;
    if token("x-appsecrettoken") != Some(settings.app_secret_token.as_str())
        || token("x-agreementgranttoken") != Some(settings.agreement_grant_token.as_str())
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "The app secret token or the agreement grant token is not valid.",
            "Send X-AppSecretToken and X-AgreementGrantToken headers with a valid app and an agreement grant that has not been revoked.",
        );
    }
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if matches!(*request.method(), Method::POST | Method::PUT) && !json_body {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type.",
            "Send Content-Type: application/json.",
        );
    }
    next.run(request).await
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Not found.",
        "The resource does not exist.",
    )
}

async fn get_self(State(shared): State<Shared>) -> Response {
    Json(json!({
        "agreementNumber": 1,
        "company": { "name": "Sandbox ApS" },
        "settings": { "baseCurrency": shared.settings.base_currency, "internationalLedger": true },
        "application": { "appPublicToken": "sandbox-app-public-token", "name": "Ferry" },
        "self": format!("{}/self", shared.base_url),
    }))
    .into_response()
}

// ---------- customers ----------

async fn list_customers(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let ledger = shared.ledger();
    let items = ledger.customers.iter().map(|c| &c.body).collect();
    collection(&shared, "/customers", items, &query)
}

async fn get_customer(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    let ledger = shared.ledger();
    match ledger
        .customers
        .iter()
        .find(|c| c.customer_number.to_string() == number)
    {
        Some(customer) => Json(customer.body.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "Customer not found.",
            "Find a list of customers at /customers.",
        ),
    }
}

/// `DELETE /customers/{customerNumber}`: 204, or 404; a customer that
/// documents refer to is kept (400).
async fn delete_customer(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    let mut ledger = shared.ledger();
    let Some(index) = ledger
        .customers
        .iter()
        .position(|c| c.customer_number.to_string() == number)
    else {
        return error(
            StatusCode::NOT_FOUND,
            "Customer not found.",
            "Find a list of customers at /customers.",
        );
    };
    let customer_number = ledger.customers[index].customer_number;
    let in_use = [&ledger.drafts, &ledger.booked, &ledger.orders]
        .iter()
        .any(|documents| {
            documents
                .iter()
                .any(|d| d.customer_number == customer_number)
        });
    if in_use {
        return error(
            StatusCode::BAD_REQUEST,
            "The customer cannot be deleted because documents refer to it.",
            "Delete or move the customer's documents first.",
        );
    }
    ledger.customers.remove(index);
    StatusCode::NO_CONTENT.into_response()
}

async fn create_customer(State(shared): State<Shared>, body: Bytes) -> Response {
    let mut body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let settings = &shared.settings;
    let mut problems = Problems::default();
    let name = required_text(&body, "name", &mut problems).map(str::to_owned);
    let currency = required_text(&body, "currency", &mut problems).map(str::to_owned);
    if let Some(currency) = &currency {
        if !settings.currencies.contains(currency) {
            problems.add(
                &[Step::Field("currency")],
                NOT_FOUND,
                "currency does not exist.".into(),
                Some(&json!(currency)),
            );
        }
    }
    reference(
        &body,
        "customerGroup",
        "customerGroupNumber",
        &settings.customer_groups,
        &mut problems,
    );
    reference(
        &body,
        "paymentTerms",
        "paymentTermsNumber",
        &settings.payment_terms,
        &mut problems,
    );
    let zones: Vec<u64> = settings.vat_zones.iter().map(|z| z.0).collect();
    reference(&body, "vatZone", "vatZoneNumber", &zones, &mut problems);
    let (Some(name), Some(currency), true) = (name, currency, problems.is_empty()) else {
        return problems.into_response();
    };
    let mut ledger = shared.ledger();
    ledger.last_customer += 1;
    let number = ledger.last_customer;
    body["customerNumber"] = json!(number);
    body["self"] = json!(format!("{}/customers/{number}", shared.base_url));
    let customer = Customer {
        customer_number: number,
        name,
        email: body.get("email").and_then(Value::as_str).map(str::to_owned),
        currency,
        body: body.clone(),
    };
    ledger.customers.push(customer);
    (StatusCode::CREATED, Json(body)).into_response()
}

// ---------- products ----------

async fn list_products(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let ledger = shared.ledger();
    let items = ledger.products.iter().map(|p| &p.body).collect();
    collection(&shared, "/products", items, &query)
}

async fn get_product(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    let ledger = shared.ledger();
    match ledger.products.iter().find(|p| p.product_number == number) {
        Some(product) => Json(product.body.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "Product not found.",
            "Find a list of products at /products.",
        ),
    }
}

async fn create_product(State(shared): State<Shared>, body: Bytes) -> Response {
    let mut body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let mut problems = Problems::default();
    let number = required_text(&body, "productNumber", &mut problems).map(str::to_owned);
    let name = required_text(&body, "name", &mut problems).map(str::to_owned);
    reference(
        &body,
        "productGroup",
        "productGroupNumber",
        &shared.settings.product_groups,
        &mut problems,
    );
    let sales_price = match body.get("salesPrice") {
        None | Some(Value::Null) => None,
        Some(value) => match decimal(value) {
            Some(price) if price.scale() <= 2 => Some(price),
            Some(_) => {
                problems.add(
                    &[Step::Field("salesPrice")],
                    SCALE,
                    "salesPrice scale cannot be greater then two decimal places.".into(),
                    Some(value),
                );
                None
            }
            None => {
                problems.add(
                    &[Step::Field("salesPrice")],
                    MALFORMED,
                    "salesPrice must be a number.".into(),
                    Some(value),
                );
                None
            }
        },
    };
    let mut ledger = shared.ledger();
    if let Some(number) = &number {
        if number.chars().count() > 25 {
            problems.add(
                &[Step::Field("productNumber")],
                MALFORMED,
                "productNumber cannot be longer than 25 characters.".into(),
                Some(&json!(number)),
            );
        } else if ledger.products.iter().any(|p| &p.product_number == number) {
            problems.add(
                &[Step::Field("productNumber")],
                TAKEN,
                "Product number already in use.".into(),
                Some(&json!(number)),
            );
        }
    }
    let (Some(number), Some(name), true) = (number, name, problems.is_empty()) else {
        return problems.into_response();
    };
    body["self"] = json!(format!("{}/products/{}", shared.base_url, number));
    ledger.products.push(Product {
        product_number: number,
        name,
        sales_price,
        body: body.clone(),
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

// ---------- sales documents ----------

#[derive(Clone, Copy)]
enum Book {
    Drafts,
    Booked,
    Orders,
}

impl Book {
    fn path(self) -> &'static str {
        match self {
            Book::Drafts => "/invoices/drafts",
            Book::Booked => "/invoices/booked",
            Book::Orders => "/orders/drafts",
        }
    }

    fn number_field(self) -> &'static str {
        match self {
            Book::Drafts => "draftInvoiceNumber",
            Book::Booked => "bookedInvoiceNumber",
            Book::Orders => "orderNumber",
        }
    }

    fn documents(self, ledger: &mut Ledger) -> &mut Vec<Document> {
        match self {
            Book::Drafts => &mut ledger.drafts,
            Book::Booked => &mut ledger.booked,
            Book::Orders => &mut ledger.orders,
        }
    }
}

/// The document as e-conomic answers it: what was sent plus its number,
/// computed amounts and links.
fn answer_body(document: &Document, book: Book, base_url: &str) -> Value {
    let mut body = document.body.clone();
    if let Value::Object(map) = &mut body {
        for field in ["draftInvoiceNumber", "bookedInvoiceNumber", "orderNumber"] {
            map.remove(field);
        }
        map.insert(book.number_field().into(), json!(document.number));
        map.insert("netAmount".into(), number(document.net_amount));
        map.insert("vatAmount".into(), number(document.vat_amount));
        map.insert("grossAmount".into(), number(document.gross_amount));
        map.insert("exchangeRate".into(), number(document.exchange_rate));
        let lines: Vec<Value> = document
            .lines
            .iter()
            .map(|l| {
                json!({
                    "lineNumber": l.line_number,
                    "product": l.product_number.as_ref().map(|n| json!({ "productNumber": n })),
                    "description": l.description,
                    "quantity": number(l.quantity),
                    "unitNetPrice": number(l.unit_net_price),
                    "discountPercentage": number(l.discount_percentage),
                    "totalNetAmount": number(l.total_net_amount),
                })
            })
            .collect();
        map.insert("lines".into(), Value::Array(lines));
        map.insert(
            "self".into(),
            json!(format!("{base_url}{}/{}", book.path(), document.number)),
        );
    }
    body
}

async fn create_document(shared: Shared, book: Book, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let mut ledger = shared.ledger();
    let mut document = match check_document(&body, &ledger, &shared.settings) {
        Ok(document) => document,
        Err(problems) => return problems.into_response(),
    };
    let last = match book {
        Book::Orders => &mut ledger.last_order,
        _ => &mut ledger.last_draft,
    };
    *last += 1;
    document.number = *last;
    document.body = answer_body(&document, book, &shared.base_url);
    let answer = document.body.clone();
    book.documents(&mut ledger).push(document);
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn list_documents(shared: Shared, book: Book, query: HashMap<String, String>) -> Response {
    let mut ledger = shared.ledger();
    let items = book
        .documents(&mut ledger)
        .iter()
        .map(|d| &d.body)
        .collect();
    collection(&shared, book.path(), items, &query)
}

async fn get_document(shared: Shared, book: Book, number: String) -> Response {
    let mut ledger = shared.ledger();
    match book
        .documents(&mut ledger)
        .iter()
        .find(|d| d.number.to_string() == number)
    {
        Some(document) => Json(document.body.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "Document not found.",
            "Check the document number.",
        ),
    }
}

/// `PUT /invoices/drafts/{n}` or `/orders/drafts/{n}`: the whole document
/// again, checked and computed as a new one, keeping its number.
async fn replace_document(shared: Shared, book: Book, number: String, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let mut ledger = shared.ledger();
    let Some(position) = book
        .documents(&mut ledger)
        .iter()
        .position(|d| d.number.to_string() == number)
    else {
        return error(
            StatusCode::NOT_FOUND,
            "Document not found.",
            "Check the document number.",
        );
    };
    let mut document = match check_document(&body, &ledger, &shared.settings) {
        Ok(document) => document,
        Err(problems) => return problems.into_response(),
    };
    let documents = book.documents(&mut ledger);
    document.number = documents[position].number;
    document.body = answer_body(&document, book, &shared.base_url);
    let answer = document.body.clone();
    documents[position] = document;
    Json(answer).into_response()
}

async fn put_draft(
    State(shared): State<Shared>,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    replace_document(shared, Book::Drafts, number, body).await
}

async fn put_order(
    State(shared): State<Shared>,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    replace_document(shared, Book::Orders, number, body).await
}

async fn create_draft(State(shared): State<Shared>, body: Bytes) -> Response {
    create_document(shared, Book::Drafts, body).await
}

async fn create_order(State(shared): State<Shared>, body: Bytes) -> Response {
    create_document(shared, Book::Orders, body).await
}

async fn list_drafts(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list_documents(shared, Book::Drafts, query).await
}

async fn list_booked(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list_documents(shared, Book::Booked, query).await
}

async fn list_orders(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list_documents(shared, Book::Orders, query).await
}

async fn get_draft(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    get_document(shared, Book::Drafts, number).await
}

async fn get_booked(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    get_document(shared, Book::Booked, number).await
}

async fn get_order(State(shared): State<Shared>, Path(number): Path<String>) -> Response {
    get_document(shared, Book::Orders, number).await
}

/// `POST /invoices/booked {"draftInvoice":{"draftInvoiceNumber":N}, "bookWithNumber"?}`:
/// the draft leaves the drafts and becomes a booked invoice.
async fn book_draft(State(shared): State<Shared>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let mut problems = Problems::default();
    let mut ledger = shared.ledger();
    let draft_number = lookup(&body, "draftInvoice.draftInvoiceNumber").and_then(Value::as_u64);
    let position = match draft_number {
        None => {
            problems.add(
                &[
                    Step::Field("draftInvoice"),
                    Step::Field("draftInvoiceNumber"),
                ],
                MISSING,
                "Property \"draftInvoiceNumber\" is required.".into(),
                None,
            );
            None
        }
        Some(number) => {
            let position = ledger.drafts.iter().position(|d| d.number == number);
            if position.is_none() {
                problems.add(
                    &[Step::Field("draftInvoice")],
                    NOT_FOUND,
                    "draftInvoice does not exist.".into(),
                    Some(&json!(number)),
                );
            }
            position
        }
    };
    let book_with = body.get("bookWithNumber").and_then(Value::as_u64);
    if let Some(wanted) = book_with {
        if ledger.booked.iter().any(|b| b.number == wanted) {
            problems.add(
                &[Step::Field("bookWithNumber")],
                TAKEN,
                "An invoice is already booked with this number.".into(),
                Some(&json!(wanted)),
            );
        }
    }
    let (Some(position), true) = (position, problems.is_empty()) else {
        return problems.into_response();
    };
    let mut invoice = ledger.drafts.remove(position);
    let number = book_with.unwrap_or(ledger.last_booked + 1);
    ledger.last_booked = ledger.last_booked.max(number);
    invoice.number = number;
    invoice.body = answer_body(&invoice, Book::Booked, &shared.base_url);
    // Nothing paid yet: the whole gross amount is left (`journals`).
    invoice.body["remainder"] = harness::number(invoice.gross_amount);
    let answer = invoice.body.clone();
    ledger.booked.push(invoice);
    (StatusCode::CREATED, Json(answer)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_scale() {
        let value: Value = serde_json::from_str("10.12345").unwrap();
        assert_eq!(decimal(&value).unwrap().scale(), 5);
        assert_eq!(number(Decimal::new(1250, 2)), json!(12.5));
        assert_eq!(number(Decimal::new(300, 2)), json!(3));
    }
}
