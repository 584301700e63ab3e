//! The shop's customer accounts (WordPress users) as Ferry keeps them up to
//! date from the books, through the REST v3 customers endpoints, checked
//! as WooCommerce's customers controller checks them:
//!
//! - `GET customers` lists users of the `role` asked for (default
//!   `customer`; `all` for every role), paged with `per_page` (1 to 100,
//!   default 10) and `page`, `X-WP-Total` and `X-WP-TotalPages`, ordered by
//!   name. `email` must be an e-mail address and matches it exactly
//!   without regard to case (WordPress compares `user_email`); `search`
//!   looks anywhere in the e-mail, user name and name.
//! - `POST customers` makes a user of role `customer` (201): `email` is
//!   required, and refused when any user has it
//!   (`registration-error-email-exists`); the user name is made up from
//!   the name (or the e-mail) when none is given, the password too.
//! - `PUT customers/{id}` sets `first_name`, `last_name`, `email`,
//!   `billing` and `shipping` (the fields given; others are kept). The
//!   e-mail of a user outside the `customer` and `subscriber` roles cannot
//!   be changed; one another user has is refused.
//! - `GET customers/{id}`; an unknown id answers 404.
//!
//! Errors are WordPress's `{"code", "message", "data": {"status"}}`.
//! [`Handle::add_customer`] and [`Handle::add_user`] place accounts
//! directly, as made in WordPress; `add_customer` may place two with one
//! e-mail, which a shop can hold after an import, though the API refuses.

use super::api::{gate, invalid_param, one_page, paging, wp_error};
use super::{lock, Handle, Shop};
use crate::sandbox::webshop::is_email;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

type SharedShop = Arc<Mutex<Shop>>;

/// WordPress user 1 is the site's administrator; customers come after.
const FIRST_USER_ID: u64 = 2;
/// The roles of a WooCommerce site.
const ROLES: &[&str] = &[
    "administrator",
    "editor",
    "author",
    "contributor",
    "subscriber",
    "customer",
    "shop_manager",
];
/// Roles whose e-mail the customers endpoint may change.
const EDITABLE_ROLES: &[&str] = &["customer", "subscriber"];
const BILLING_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
];
const SHIPPING_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "phone",
];

/// A WordPress user as the customers endpoint shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: u64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub role: String,
    /// Every billing field, empty when not set.
    pub billing: BTreeMap<String, String>,
    pub shipping: BTreeMap<String, String>,
    pub date_created_gmt: String,
    pub date_modified_gmt: String,
}

impl Customer {
    fn new(id: u64, email: &str, username: &str, role: &str) -> Customer {
        let now = Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
        let blank = |fields: &[&str]| {
            fields
                .iter()
                .map(|f| ((*f).to_owned(), String::new()))
                .collect()
        };
        Customer {
            id,
            email: email.to_owned(),
            first_name: String::new(),
            last_name: String::new(),
            username: username.to_owned(),
            role: role.to_owned(),
            billing: blank(BILLING_FIELDS),
            shipping: blank(SHIPPING_FIELDS),
            date_created_gmt: now.clone(),
            date_modified_gmt: now,
        }
    }

    /// WordPress's display name: the name, else the user name.
    fn display_name(&self) -> String {
        let name = format!("{} {}", self.first_name, self.last_name);
        match name.trim() {
            "" => self.username.clone(),
            name => name.to_owned(),
        }
    }
}

/// The users of the site.
#[derive(Debug)]
pub(super) struct Customers {
    users: BTreeMap<u64, Customer>,
    next_id: u64,
    /// Customers made or changed through the API.
    writes: u64,
}

impl Default for Customers {
    fn default() -> Self {
        Self {
            users: BTreeMap::new(),
            next_id: FIRST_USER_ID,
            writes: 0,
        }
    }
}

impl Customers {
    fn email_taken(&self, email: &str, except: Option<u64>) -> bool {
        self.users
            .values()
            .any(|u| Some(u.id) != except && u.email.eq_ignore_ascii_case(email))
    }

    /// `wc_create_new_customer_username`: `first.last`, else the part of the
    /// e-mail before the `@`; a number is added while it is taken.
    fn new_username(&self, email: &str, first: &str, last: &str) -> String {
        let clean = |text: &str| -> String {
            text.chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
                .collect::<String>()
                .to_lowercase()
        };
        let parts: Vec<String> = [first, last]
            .iter()
            .map(|p| clean(p))
            .filter(|p| !p.is_empty())
            .collect();
        let base = if parts.is_empty() {
            clean(email.split('@').next().unwrap_or_default())
        } else {
            parts.join(".")
        };
        let base = if base.is_empty() {
            "customer".into()
        } else {
            base
        };
        let taken = |name: &str| self.users.values().any(|u| u.username == name);
        let mut name = base.clone();
        let mut n = 1;
        while taken(&name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        name
    }
}

pub(super) fn router(shop: SharedShop) -> Router {
    Router::new()
        .route(
            "/wp-json/wc/v3/customers",
            get(list_customers).post(create_customer),
        )
        .route(
            "/wp-json/wc/v3/customers/{id}",
            get(one_customer).put(update_customer),
        )
        .with_state(shop)
}

fn customer_json(customer: &Customer, base_url: &str, offset: chrono::FixedOffset) -> Value {
    let local = |gmt: &str| {
        chrono::NaiveDateTime::parse_from_str(gmt, "%Y-%m-%dT%H:%M:%S")
            .map(|at| {
                at.and_utc()
                    .with_timezone(&offset)
                    .format("%Y-%m-%dT%H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|_| gmt.to_owned())
    };
    json!({
        "id": customer.id,
        "date_created": local(&customer.date_created_gmt),
        "date_created_gmt": customer.date_created_gmt,
        "date_modified": local(&customer.date_modified_gmt),
        "date_modified_gmt": customer.date_modified_gmt,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "role": customer.role,
        "username": customer.username,
        "billing": customer.billing,
        "shipping": customer.shipping,
        "is_paying_customer": false,
        "avatar_url": "https://secure.gravatar.com/avatar/?s=96&d=mm&r=g",
        "meta_data": [],
        "_links": {
            "self": [{ "href": format!("{base_url}/wp-json/wc/v3/customers/{}", customer.id) }],
            "collection": [{ "href": format!("{base_url}/wp-json/wc/v3/customers") }],
        },
    })
}

fn invalid_id() -> Response {
    wp_error(
        StatusCode::NOT_FOUND,
        "woocommerce_rest_invalid_id",
        "Invalid resource ID.",
    )
}

async fn list_customers(
    State(shop): State<SharedShop>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let params: BTreeMap<String, String> = raw.into_iter().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you cannot list resources.",
    ) {
        return refused;
    }
    let (page, per_page) = match paging(&params) {
        Ok(paging) => paging,
        Err(refused) => return *refused,
    };
    let role = params.get("role").map_or("customer", String::as_str);
    if role != "all" && !ROLES.contains(&role) {
        return *invalid_param(
            "role",
            &format!("role is not one of all, {}.", ROLES.join(", ")),
        );
    }
    let email = params
        .get("email")
        .map(|e| e.trim())
        .filter(|e| !e.is_empty());
    if email.is_some_and(|e| !is_email(e)) {
        return *invalid_param("email", "Invalid email address.");
    }
    let search = params
        .get("search")
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let mut matching: Vec<&Customer> = shop
        .customers
        .users
        .values()
        .filter(|u| role == "all" || u.role == role)
        .filter(|u| email.is_none_or(|e| u.email.eq_ignore_ascii_case(e)))
        .filter(|u| {
            search.as_deref().is_none_or(|s| {
                u.email.to_lowercase().contains(s)
                    || u.username.to_lowercase().contains(s)
                    || u.display_name().to_lowercase().contains(s)
            })
        })
        .collect();
    matching.sort_by_key(|u| (u.display_name().to_lowercase(), u.id));
    one_page(&matching, page, per_page, |u| {
        customer_json(u, &shop.base_url, shop.config.utc_offset)
    })
}

async fn one_customer(
    State(shop): State<SharedShop>,
    Path(id): Path<String>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let params: BTreeMap<String, String> = raw.into_iter().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you cannot view this resource.",
    ) {
        return refused;
    }
    match id
        .parse::<u64>()
        .ok()
        .and_then(|id| shop.customers.users.get(&id))
    {
        Some(customer) => axum::Json(customer_json(
            customer,
            &shop.base_url,
            shop.config.utc_offset,
        ))
        .into_response(),
        None => invalid_id(),
    }
}

/// The request body as an object, or WordPress's refusal.
fn body_object(body: &[u8]) -> Result<Map<String, Value>, Box<Response>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        _ => Err(Box::new(wp_error(
            StatusCode::BAD_REQUEST,
            "rest_invalid_json",
            "Invalid JSON body passed.",
        ))),
    }
}

/// A text parameter: absent is `None`; not a string is refused as
/// WordPress refuses a parameter of the wrong type.
fn string_param(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, Box<Response>> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim().to_owned())),
        Some(_) => Err(invalid_param(
            name,
            &format!("{name} is not of type string."),
        )),
    }
}

/// Sets the name, billing and shipping fields the request gives.
fn apply(customer: &mut Customer, fields: &Map<String, Value>) -> Result<(), Box<Response>> {
    if let Some(first) = string_param(fields, "first_name")? {
        customer.first_name = first;
    }
    if let Some(last) = string_param(fields, "last_name")? {
        customer.last_name = last;
    }
    for (group, allowed, held) in [
        ("billing", BILLING_FIELDS, &mut customer.billing),
        ("shipping", SHIPPING_FIELDS, &mut customer.shipping),
    ] {
        match fields.get(group) {
            None | Some(Value::Null) => {}
            Some(Value::Object(given)) => {
                for (field, value) in given {
                    if !allowed.contains(&field.as_str()) {
                        continue;
                    }
                    let text = match value {
                        Value::String(text) => text.trim().to_owned(),
                        Value::Null => String::new(),
                        _ => {
                            return Err(invalid_param(
                                group,
                                &format!("{group}[{field}] is not of type string."),
                            ))
                        }
                    };
                    if group == "billing"
                        && field == "email"
                        && !text.is_empty()
                        && !is_email(&text)
                    {
                        return Err(invalid_param(group, "Invalid email address."));
                    }
                    held.insert(field.clone(), text);
                }
            }
            Some(_) => {
                return Err(invalid_param(
                    group,
                    &format!("{group} is not of type object."),
                ))
            }
        }
    }
    Ok(())
}

async fn create_customer(
    State(shop): State<SharedShop>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params: BTreeMap<String, String> = raw.into_iter().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you are not allowed to create resources.",
    ) {
        return refused;
    }
    let fields = match body_object(&body) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let email = match string_param(&fields, "email") {
        Ok(Some(email)) if !email.is_empty() => email,
        Ok(_) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({
                    "code": "rest_missing_callback_param",
                    "message": "Missing parameter(s): email",
                    "data": { "status": 400, "params": ["email"] }
                })),
            )
                .into_response()
        }
        Err(refused) => return *refused,
    };
    if fields.get("id").is_some_and(|id| !id.is_null()) {
        return wp_error(
            StatusCode::BAD_REQUEST,
            "woocommerce_rest_customer_exists",
            "Cannot create existing resource.",
        );
    }
    if !is_email(&email) {
        return *invalid_param("email", "Invalid email address.");
    }
    let customers = &mut shop.customers;
    if customers.email_taken(&email, None) {
        return wp_error(
            StatusCode::BAD_REQUEST,
            "registration-error-email-exists",
            &format!(
                "An account is already registered with {email}. Please log in or use a different email address."
            ),
        );
    }
    let username = match string_param(&fields, "username") {
        Ok(Some(name)) if !name.is_empty() => {
            if customers.users.values().any(|u| u.username == name) {
                return wp_error(
                    StatusCode::BAD_REQUEST,
                    "registration-error-username-exists",
                    "An account is already registered with that username. Please choose another.",
                );
            }
            name
        }
        Ok(_) => {
            let text = |name: &str| fields.get(name).and_then(Value::as_str).unwrap_or_default();
            customers.new_username(&email, text("first_name"), text("last_name"))
        }
        Err(refused) => return *refused,
    };
    let mut customer = Customer::new(customers.next_id, &email, &username, "customer");
    if let Err(refused) = apply(&mut customer, &fields) {
        return *refused;
    }
    customers.next_id += 1;
    customers.writes += 1;
    let id = customer.id;
    customers.users.insert(id, customer.clone());
    let answer = customer_json(&customer, &shop.base_url, shop.config.utc_offset);
    let mut response = (StatusCode::CREATED, axum::Json(answer)).into_response();
    if let Ok(location) =
        HeaderValue::from_str(&format!("{}/wp-json/wc/v3/customers/{id}", shop.base_url))
    {
        response.headers_mut().insert("location", location);
    }
    response
}

async fn update_customer(
    State(shop): State<SharedShop>,
    Path(id): Path<String>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params: BTreeMap<String, String> = raw.into_iter().collect();
    let mut shop = lock(&shop);
    if let Some(refused) = gate(
        &mut shop,
        &headers,
        &params,
        "Sorry, you are not allowed to edit this resource.",
    ) {
        return refused;
    }
    let Some(held) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| shop.customers.users.get(&id))
        .cloned()
    else {
        return invalid_id();
    };
    let fields = match body_object(&body) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let email = match string_param(&fields, "email") {
        Ok(email) => email.filter(|e| !e.is_empty()),
        Err(refused) => return *refused,
    };
    if let Some(email) = &email {
        if !EDITABLE_ROLES.contains(&held.role.as_str()) && *email != held.email {
            return wp_error(
                StatusCode::FORBIDDEN,
                "woocommerce_rest_cannot_edit",
                &format!(
                    "Sorry, email cannot be updated via this endpoint for a user with role {}.",
                    held.role
                ),
            );
        }
        if !is_email(email) {
            return *invalid_param("email", "Invalid email address.");
        }
        if shop.customers.email_taken(email, Some(held.id)) {
            return wp_error(
                StatusCode::BAD_REQUEST,
                "woocommerce_rest_customer_invalid_email",
                "Email address is invalid.",
            );
        }
    }
    if let Ok(Some(name)) = string_param(&fields, "username") {
        if !name.is_empty() && name != held.username {
            return wp_error(
                StatusCode::BAD_REQUEST,
                "woocommerce_rest_customer_invalid_argument",
                "Username isn't editable.",
            );
        }
    }
    let mut changed = held;
    if let Some(email) = email {
        changed.email = email;
    }
    if let Err(refused) = apply(&mut changed, &fields) {
        return *refused;
    }
    changed.date_modified_gmt = Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    let answer = customer_json(&changed, &shop.base_url, shop.config.utc_offset);
    shop.customers.writes += 1;
    shop.customers.users.insert(changed.id, changed);
    axum::Json(answer).into_response()
}

impl Handle {
    /// Places a user of role `customer` as made in WordPress; answers its
    /// id. Another user may already have the e-mail.
    pub fn add_customer(&self, email: &str, first_name: &str, last_name: &str) -> u64 {
        let mut shop = lock(&self.shop);
        let customers = &mut shop.customers;
        let username = customers.new_username(email, first_name, last_name);
        let mut customer = Customer::new(customers.next_id, email, &username, "customer");
        customer.first_name = first_name.to_owned();
        customer.last_name = last_name.to_owned();
        customers.next_id += 1;
        let id = customer.id;
        customers.users.insert(id, customer);
        id
    }

    /// Places a user of another role (`administrator`, `shop_manager`...);
    /// answers its id.
    pub fn add_user(&self, email: &str, username: &str, role: &str) -> u64 {
        let mut shop = lock(&self.shop);
        let customers = &mut shop.customers;
        let customer = Customer::new(customers.next_id, email, username, role);
        customers.next_id += 1;
        let id = customer.id;
        customers.users.insert(id, customer);
        id
    }

    pub fn customer(&self, id: u64) -> Option<Customer> {
        lock(&self.shop).customers.users.get(&id).cloned()
    }

    /// The users whose e-mail is `email` (without regard to case), any role.
    pub fn customers_with_email(&self, email: &str) -> Vec<Customer> {
        lock(&self.shop)
            .customers
            .users
            .values()
            .filter(|u| u.email.eq_ignore_ascii_case(email))
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
    fn makes_up_user_names_as_woocommerce_does() {
        let mut customers = Customers::default();
        assert_eq!(
            customers.new_username("jens@example.dk", "Jens", "Hansen"),
            "jens.hansen"
        );
        assert_eq!(customers.new_username("info@acme.dk", "", ""), "info");
        let taken = Customer::new(2, "a@b.dk", "jens.hansen", "customer");
        customers.users.insert(2, taken);
        assert_eq!(
            customers.new_username("other@example.dk", "Jens", "Hansen"),
            "jens.hansen-2"
        );
        assert!(customers.email_taken("A@B.dk", None));
        assert!(!customers.email_taken("A@B.dk", Some(2)));
    }
}
