//! The shop's customer accounts as Ferry keeps them up to date from the
//! books, through the Admin REST customer endpoints:
//!
//! - `GET customers/search.json?query=…` (with `limit`, 1 to 250, default
//!   50, and `fields`): `email:"…"` (or `email:…`) finds the customers whose
//!   address contains the searched one, without regard to case, and any
//!   other term looks in the name and the e-mail. Like Shopify's search it
//!   matches loosely, so a caller keeps only exact addresses.
//! - `POST customers.json` makes a customer (201), `PUT customers/{id}.json`
//!   changes one, `GET customers/{id}.json` reads one; the body is wrapped
//!   in `{"customer": …}` both ways.
//! - An e-mail (and a customer's own phone) is unique in the shop and
//!   refused when taken: 422 `{"errors": {"email": ["has already been
//!   taken"]}}`; a malformed one is `["is invalid"]`. The customer's own
//!   `phone` must be in E.164 form (`+4512345678`); an address's phone is
//!   free text.
//! - `addresses` are taken as Shopify takes them: one with an `id` changes
//!   that address of the customer, one without is added; `default: true`
//!   (or being the customer's first) makes it the `default_address`.
//!   Addresses left out of a `PUT` are kept. A `country` in English or a
//!   `country_code` is answered with both, and `country_name`.
//!
//! Every call passes the same gate as the order endpoints: the access
//! token, an injected fault, the leaky bucket (429 with `Retry-After`).
//! The handle's [`Handle::add_customer`] places an account directly, as
//! one made in the admin, and may place two with one e-mail: a shop can
//! hold such (imported accounts, accounts from before Shopify checked)
//! although the API refuses to make them.

use super::super::webshop::{self, country_code, country_name, is_email};
use super::api::{answer, gate, not_found};
use super::{lock, Handle, Shop};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

type SharedShop = Arc<Mutex<Shop>>;

/// Shopify's sample customer id.
const FIRST_CUSTOMER_ID: u64 = 207_119_551;
const FIRST_ADDRESS_ID: u64 = 1_053_317_285;
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 250;

/// A postal address of a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub id: u64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub zip: Option<String>,
    pub phone: Option<String>,
    /// In English ("Denmark"), as Shopify answers it.
    pub country: Option<String>,
    pub country_code: Option<String>,
}

/// A customer account of the shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: u64,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The customer's own phone (E.164), not an address's.
    pub phone: Option<String>,
    pub addresses: Vec<Address>,
    pub default_address: Option<u64>,
    pub created_at: String,
    pub updated_at: String,
}

impl Customer {
    /// The default address, if the customer has one.
    pub fn default_address(&self) -> Option<&Address> {
        let id = self.default_address?;
        self.addresses.iter().find(|a| a.id == id)
    }
}

/// The customer part of the shop's state.
#[derive(Debug)]
pub(super) struct Customers {
    accounts: BTreeMap<u64, Customer>,
    next_id: u64,
    next_address: u64,
    /// Customers made or changed through the API.
    writes: u64,
}

impl Default for Customers {
    fn default() -> Self {
        Self {
            accounts: BTreeMap::new(),
            next_id: FIRST_CUSTOMER_ID,
            next_address: FIRST_ADDRESS_ID,
            writes: 0,
        }
    }
}

pub(super) fn router(shop: SharedShop) -> Router {
    Router::new()
        .route("/admin/api/{version}/customers/search.json", get(search))
        .route("/admin/api/{version}/customers.json", post(create))
        .route(
            "/admin/api/{version}/customers/{file}",
            get(one).put(update),
        )
        .with_state(shop)
}

fn unprocessable(field: &str, problem: &str) -> Response {
    answer(
        StatusCode::UNPROCESSABLE_ENTITY,
        &[],
        json!({ "errors": { field: [problem] } }),
    )
}

fn bad_request(field: &str, problem: &str) -> Response {
    answer(
        StatusCode::BAD_REQUEST,
        &[],
        json!({ "errors": { field: problem } }),
    )
}

/// The text of a JSON field: `None` for absent, null or blank.
fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `+` and 8 to 15 digits once spaces and dashes are taken out.
fn is_e164(phone: &str) -> bool {
    let compact: String = phone
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    compact.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
    })
}

/// What a search query asks for: `Some(e-mail)` for an `email:` term,
/// else the free text.
enum Search {
    Email(String),
    Text(String),
}

fn parse_query(query: &str) -> Search {
    let query = query.trim();
    let Some(rest) = query.strip_prefix("email:") else {
        return Search::Text(query.to_lowercase());
    };
    let value = match rest.strip_prefix('"') {
        Some(quoted) => {
            let mut value = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
            value
        }
        None => rest
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    Search::Email(value.to_lowercase())
}

fn matches(customer: &Customer, search: &Search) -> bool {
    let email = customer.email.as_deref().unwrap_or_default().to_lowercase();
    match search {
        Search::Email(wanted) => !wanted.is_empty() && email.contains(wanted.as_str()),
        Search::Text(words) if words.is_empty() => true,
        Search::Text(words) => {
            let name = format!(
                "{} {}",
                customer.first_name.as_deref().unwrap_or_default(),
                customer.last_name.as_deref().unwrap_or_default()
            )
            .to_lowercase();
            words
                .split_whitespace()
                .all(|word| email.contains(word) || name.contains(word))
        }
    }
}

fn address_json(address: &Address, customer: &Customer) -> Value {
    let name = [address.first_name.as_deref(), address.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    json!({
        "id": address.id,
        "customer_id": customer.id,
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company,
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "province": address.province,
        "country": address.country,
        "zip": address.zip,
        "phone": address.phone,
        "name": name,
        "province_code": null,
        "country_code": address.country_code,
        "country_name": address.country,
        "default": customer.default_address == Some(address.id),
    })
}

fn customer_json(customer: &Customer, currency: &str) -> Value {
    let addresses: Vec<Value> = customer
        .addresses
        .iter()
        .map(|a| address_json(a, customer))
        .collect();
    json!({
        "id": customer.id,
        "email": customer.email,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "orders_count": 0,
        "state": "disabled",
        "total_spent": "0.00",
        "last_order_id": null,
        "note": null,
        "verified_email": true,
        "multipass_identifier": null,
        "tax_exempt": false,
        "tags": "",
        "last_order_name": null,
        "currency": currency,
        "phone": customer.phone,
        "addresses": addresses,
        "tax_exemptions": [],
        "admin_graphql_api_id": format!("gid://shopify/Customer/{}", customer.id),
        "default_address": customer.default_address().map(|a| address_json(a, customer)),
    })
}

/// Only the top-level `fields` asked for.
fn trimmed(customer: Value, fields: Option<&str>) -> Value {
    let (Some(fields), Value::Object(all)) = (fields, &customer) else {
        return customer;
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    Value::Object(
        all.iter()
            .filter(|(key, _)| wanted.contains(&key.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

async fn search(
    State(shop): State<SharedShop>,
    Path(version): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let mut shop = lock(&shop);
    let limit_header = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let params: BTreeMap<String, String> = params.into_iter().collect();
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(limit)) if (1..=MAX_LIMIT).contains(&limit) => limit,
        Some(_) => return bad_request("limit", "must be a number from 1 to 250"),
    };
    let search = parse_query(params.get("query").map_or("", String::as_str));
    let currency = shop.config.market.currency();
    let found: Vec<Value> = shop
        .customers
        .accounts
        .values()
        .filter(|c| matches(c, &search))
        .take(limit)
        .map(|c| {
            trimmed(
                customer_json(c, currency),
                params.get("fields").map(String::as_str),
            )
        })
        .collect();
    answer(
        StatusCode::OK,
        &[("X-Shopify-Shop-Api-Call-Limit", limit_header)],
        json!({ "customers": found }),
    )
}

/// The fields inside `{"customer": {…}}`, or Shopify's refusal.
fn customer_fields(body: &[u8]) -> Result<Map<String, Value>, Box<Response>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut outer)) => match outer.remove("customer") {
            Some(Value::Object(fields)) => Ok(fields),
            _ => Err(Box::new(bad_request(
                "customer",
                "Required parameter missing or invalid",
            ))),
        },
        _ => Err(Box::new(bad_request(
            "customer",
            "Required parameter missing or invalid",
        ))),
    }
}

/// Checks an e-mail or phone the request sets against its form and the
/// shop's other customers (`except` is the customer being changed).
fn check_unique(
    customers: &Customers,
    fields: &Map<String, Value>,
    except: Option<u64>,
) -> Result<(), Box<Response>> {
    let others = || customers.accounts.values().filter(|c| Some(c.id) != except);
    if let Some(email) = text(fields, "email") {
        if !is_email(&email) {
            return Err(Box::new(unprocessable("email", "is invalid")));
        }
        if others().any(|c| {
            c.email
                .as_deref()
                .is_some_and(|held| held.eq_ignore_ascii_case(&email))
        }) {
            return Err(Box::new(unprocessable("email", "has already been taken")));
        }
    }
    if let Some(phone) = text(fields, "phone") {
        if !is_e164(&phone) {
            return Err(Box::new(unprocessable("phone", "is invalid")));
        }
        if others().any(|c| c.phone.as_deref() == Some(phone.as_str())) {
            return Err(Box::new(unprocessable("phone", "has already been taken")));
        }
    }
    Ok(())
}

/// Sets the fields the request names on an address.
fn apply_address(address: &mut Address, fields: &Map<String, Value>) {
    for (name, slot) in [
        ("first_name", &mut address.first_name),
        ("last_name", &mut address.last_name),
        ("company", &mut address.company),
        ("address1", &mut address.address1),
        ("address2", &mut address.address2),
        ("city", &mut address.city),
        ("province", &mut address.province),
        ("zip", &mut address.zip),
        ("phone", &mut address.phone),
    ] {
        if fields.contains_key(name) {
            *slot = text(fields, name);
        }
    }
    if let Some(code) = text(fields, "country_code") {
        address.country = country_name(&code).map(str::to_owned);
        address.country_code = Some(code.to_uppercase());
    } else if fields.contains_key("country") {
        address.country = text(fields, "country");
        address.country_code = address
            .country
            .as_deref()
            .and_then(country_code)
            .map(str::to_owned);
    }
}

/// Applies the request's fields to `customer` (new or held).
fn apply(
    customer: &mut Customer,
    fields: &Map<String, Value>,
    next_address: &mut u64,
) -> Result<(), Box<Response>> {
    for (name, slot) in [
        ("email", &mut customer.email),
        ("first_name", &mut customer.first_name),
        ("last_name", &mut customer.last_name),
        ("phone", &mut customer.phone),
    ] {
        if fields.contains_key(name) {
            *slot = text(fields, name);
        }
    }
    let addresses = match fields.get("addresses") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(Box::new(unprocessable("addresses", "is invalid"))),
    };
    for entry in addresses {
        let Value::Object(given) = entry else {
            return Err(Box::new(unprocessable("addresses", "is invalid")));
        };
        let id = match given.get("id") {
            None | Some(Value::Null) => None,
            Some(id) => match id.as_u64() {
                Some(id) if customer.addresses.iter().any(|a| a.id == id) => Some(id),
                _ => return Err(Box::new(not_found())),
            },
        };
        let id = match id {
            Some(id) => id,
            None => {
                let id = *next_address;
                *next_address += 1;
                customer.addresses.push(Address {
                    id,
                    ..Address::default()
                });
                id
            }
        };
        if let Some(address) = customer.addresses.iter_mut().find(|a| a.id == id) {
            apply_address(address, given);
        }
        if given.get("default").and_then(Value::as_bool) == Some(true)
            || customer.default_address.is_none()
        {
            customer.default_address = Some(id);
        }
    }
    Ok(())
}

async fn create(
    State(shop): State<SharedShop>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut shop = lock(&shop);
    let limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let fields = match customer_fields(&body) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    if let Err(refused) = check_unique(&shop.customers, &fields, None) {
        return *refused;
    }
    if ["first_name", "last_name", "email", "phone"]
        .iter()
        .all(|name| text(&fields, name).is_none())
    {
        return unprocessable(
            "base",
            "Customer must have a name, phone number or email address",
        );
    }
    let now = webshop::local_time(Utc::now(), shop.config.utc_offset);
    let currency = shop.config.market.currency();
    let customers = &mut shop.customers;
    let mut customer = Customer {
        id: customers.next_id,
        email: None,
        first_name: None,
        last_name: None,
        phone: None,
        addresses: Vec::new(),
        default_address: None,
        created_at: now.clone(),
        updated_at: now,
    };
    let mut next_address = customers.next_address;
    if let Err(refused) = apply(&mut customer, &fields, &mut next_address) {
        return *refused;
    }
    customers.next_address = next_address;
    customers.next_id += 1;
    customers.writes += 1;
    let body = customer_json(&customer, currency);
    customers.accounts.insert(customer.id, customer);
    answer(
        StatusCode::CREATED,
        &[("X-Shopify-Shop-Api-Call-Limit", limit)],
        json!({ "customer": body }),
    )
}

fn customer_id(file: &str) -> Option<u64> {
    file.strip_suffix(".json")?.parse().ok()
}

async fn one(
    State(shop): State<SharedShop>,
    Path((version, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut shop = lock(&shop);
    let limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let currency = shop.config.market.currency();
    match customer_id(&file).and_then(|id| shop.customers.accounts.get(&id)) {
        Some(customer) => answer(
            StatusCode::OK,
            &[("X-Shopify-Shop-Api-Call-Limit", limit)],
            json!({ "customer": customer_json(customer, currency) }),
        ),
        None => not_found(),
    }
}

async fn update(
    State(shop): State<SharedShop>,
    Path((version, file)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut shop = lock(&shop);
    let limit = match gate(&mut shop, &version, &headers) {
        Ok(limit) => limit,
        Err(refused) => return *refused,
    };
    let Some(id) = customer_id(&file).filter(|id| shop.customers.accounts.contains_key(id)) else {
        return not_found();
    };
    let fields = match customer_fields(&body) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    if let Err(refused) = check_unique(&shop.customers, &fields, Some(id)) {
        return *refused;
    }
    let now = webshop::local_time(Utc::now(), shop.config.utc_offset);
    let currency = shop.config.market.currency();
    let customers = &mut shop.customers;
    let Some(held) = customers.accounts.get(&id) else {
        return not_found();
    };
    // Changed on a copy: a refused address leaves the customer as it was.
    let mut changed = held.clone();
    let mut next_address = customers.next_address;
    if let Err(refused) = apply(&mut changed, &fields, &mut next_address) {
        return *refused;
    }
    changed.updated_at = now;
    customers.next_address = next_address;
    customers.writes += 1;
    let body = customer_json(&changed, currency);
    customers.accounts.insert(id, changed);
    answer(
        StatusCode::OK,
        &[("X-Shopify-Shop-Api-Call-Limit", limit)],
        json!({ "customer": body }),
    )
}

impl Handle {
    /// Places a customer account as one made in the admin (no address);
    /// answers its id. Another account may already have the e-mail.
    pub fn add_customer(&self, email: &str, first_name: &str, last_name: &str) -> u64 {
        let mut shop = lock(&self.shop);
        let now = webshop::local_time(Utc::now(), shop.config.utc_offset);
        let customers = &mut shop.customers;
        let id = customers.next_id;
        customers.next_id += 1;
        let name = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
        customers.accounts.insert(
            id,
            Customer {
                id,
                email: name(email),
                first_name: name(first_name),
                last_name: name(last_name),
                phone: None,
                addresses: Vec::new(),
                default_address: None,
                created_at: now.clone(),
                updated_at: now,
            },
        );
        id
    }

    pub fn customer(&self, id: u64) -> Option<Customer> {
        lock(&self.shop).customers.accounts.get(&id).cloned()
    }

    /// Every customer, oldest first.
    pub fn customers(&self) -> Vec<Customer> {
        lock(&self.shop)
            .customers
            .accounts
            .values()
            .cloned()
            .collect()
    }

    /// The customers whose e-mail is `email` (without regard to case).
    pub fn customers_with_email(&self, email: &str) -> Vec<Customer> {
        lock(&self.shop)
            .customers
            .accounts
            .values()
            .filter(|c| {
                c.email
                    .as_deref()
                    .is_some_and(|held| held.eq_ignore_ascii_case(email))
            })
            .cloned()
            .collect()
    }

    /// Customers made or changed through the API so far.
    pub fn customer_writes(&self) -> u64 {
        lock(&self.shop).customers.writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_email_searches_quoted_and_bare() {
        let email = |q: &str| match parse_query(q) {
            Search::Email(e) => e,
            Search::Text(t) => panic!("a text search: {t}"),
        };
        assert_eq!(email(r#"email:"Jens@Example.dk""#), "jens@example.dk");
        assert_eq!(email(r#"email:"a\"b@x.dk""#), r#"a"b@x.dk"#);
        assert_eq!(
            email("email:jens@example.dk state:enabled"),
            "jens@example.dk"
        );
        assert!(matches!(parse_query("Jens"), Search::Text(t) if t == "jens"));
    }

    #[test]
    fn searches_loosely_and_phones_must_be_e164() {
        let customer = Customer {
            id: 1,
            email: Some("jens@example.dk.other".into()),
            first_name: Some("Jens".into()),
            last_name: Some("Hansen".into()),
            phone: None,
            addresses: Vec::new(),
            default_address: None,
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert!(matches(&customer, &Search::Email("jens@example.dk".into())));
        assert!(!matches(
            &customer,
            &Search::Email("anna@example.dk".into())
        ));
        assert!(matches(&customer, &Search::Text("jens hansen".into())));
        assert!(is_e164("+45 12 34 56 78"));
        assert!(!is_e164("12 34 56 78"));
        assert!(!is_e164("+45"));
    }
}
