//! The customer register as Ferry reads it: `GET /3/customers`, paged with
//! `limit` (1 to 500, default 100) and `page` (from 1) in Fortnox's
//! envelope, `filter=active` or `filter=inactive`, and the loose `email`
//! and `name` searches. A list carries Fortnox's short form of a customer
//! (the SDK's `CustomerSubset`: `@url`, `CustomerNumber`, `Name`, `Email`,
//! `Phone`, `Address1`, `Address2`, `ZipCode`, `City`,
//! `OrganisationNumber`); the country, the active flag and the rest are in
//! `GET /3/customers/{number}` only, where the phone is `Phone1`.

use super::{error, loosely, Customer, Handle, Shared, MALFORMED};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

/// `GET /3/customers?limit=&page=&filter=&email=&name=`.
pub(super) async fn list_customers(
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
    let active = match query.get("filter").map(|f| f.to_lowercase()) {
        None => None,
        Some(filter) if filter == "active" => Some(true),
        Some(filter) if filter == "inactive" => Some(false),
        Some(filter) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid filter '{filter}': use active or inactive."),
                MALFORMED,
            )
        }
    };
    let ledger = shared.ledger();
    let matching: Vec<&Customer> = ledger
        .customers
        .iter()
        .filter(|c| active.is_none_or(|wanted| is_active(&c.body) == wanted))
        .filter(|c| {
            query
                .get("email")
                .is_none_or(|e| loosely(c.email.as_deref(), e))
        })
        .filter(|c| query.get("name").is_none_or(|n| loosely(Some(&c.name), n)))
        .collect();
    let total = matching.len();
    let pages = total.div_ceil(limit).max(1);
    let items: Vec<Value> = matching
        .iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .map(|c| listed(&c.body))
        .collect();
    let mut body = Map::new();
    body.insert(
        "MetaInformation".into(),
        json!({ "@TotalResources": total, "@TotalPages": pages, "@CurrentPage": page }),
    );
    body.insert("Customers".into(), Value::Array(items));
    Json(Value::Object(body)).into_response()
}

/// A customer is active unless it says otherwise.
fn is_active(customer: &Value) -> bool {
    customer.get("Active").and_then(Value::as_bool) != Some(false)
}

/// The short form a list carries; the list's `Phone` is the customer's
/// `Phone1`.
fn listed(customer: &Value) -> Value {
    let mut out = Map::new();
    for field in [
        "@url",
        "Address1",
        "Address2",
        "City",
        "CustomerNumber",
        "Email",
        "Name",
        "OrganisationNumber",
        "ZipCode",
    ] {
        out.insert(
            field.into(),
            customer.get(field).cloned().unwrap_or(Value::Null),
        );
    }
    out.insert(
        "Phone".into(),
        customer.get("Phone1").cloned().unwrap_or(Value::Null),
    );
    Value::Object(out)
}

/// A customer as a bookkeeper enters it in Fortnox.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewCustomer {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub zip: Option<String>,
    pub city: Option<String>,
    /// Two letters ("SE").
    pub country_code: Option<String>,
    pub active: bool,
}

impl NewCustomer {
    pub fn new(name: &str, email: Option<&str>) -> Self {
        Self {
            name: name.to_owned(),
            email: email.map(str::to_owned),
            active: true,
            ..Self::default()
        }
    }
}

impl Handle {
    /// Adds a customer as a bookkeeper does; answers its customer number.
    pub fn put_customer(&self, customer: NewCustomer) -> String {
        let mut ledger = self.shared.ledger();
        ledger.last_customer += 1;
        let number = ledger.last_customer.to_string();
        let text = |value: &Option<String>| json!(value.clone().unwrap_or_default());
        let body = json!({
            "@url": format!("{}/3/customers/{number}", self.shared.base_url),
            "CustomerNumber": number,
            "Name": customer.name,
            "Email": text(&customer.email),
            "Phone1": text(&customer.phone),
            "Address1": text(&customer.address),
            "Address2": "",
            "ZipCode": text(&customer.zip),
            "City": text(&customer.city),
            "CountryCode": text(&customer.country_code),
            "Country": "",
            "OrganisationNumber": "",
            "Currency": "SEK",
            "Type": "PRIVATE",
            "Active": customer.active,
        });
        ledger.customers.push(Customer {
            customer_number: number.clone(),
            name: customer.name,
            email: customer.email,
            body,
        });
        number
    }

    /// Changes a customer's fields as if edited in Fortnox; `false` when
    /// there is no such customer.
    pub fn edit_customer(&self, number: &str, change: impl FnOnce(&mut Value)) -> bool {
        let mut ledger = self.shared.ledger();
        let Some(customer) = ledger
            .customers
            .iter_mut()
            .find(|c| c.customer_number == number)
        else {
            return false;
        };
        change(&mut customer.body);
        customer.name = customer.body["Name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        customer.email = customer.body["Email"]
            .as_str()
            .filter(|e| !e.trim().is_empty())
            .map(str::to_owned);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_carries_the_short_form() {
        let full = json!({
            "CustomerNumber": "7", "Name": "Anna", "Email": "anna@example.se",
            "Phone1": "08-123", "CountryCode": "SE", "Active": false, "Currency": "SEK"
        });
        let short = listed(&full);
        assert_eq!(short["Phone"], "08-123");
        assert_eq!(short["Name"], "Anna");
        assert!(short.get("CountryCode").is_none());
        assert!(short.get("Active").is_none());
        assert!(!is_active(&full));
        assert!(is_active(&json!({"Name": "No flag"})));
    }
}
