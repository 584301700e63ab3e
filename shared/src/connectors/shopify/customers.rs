//! Shopify as the keeper of customer accounts, through the Admin REST API.
//!
//! - Customers are found with `GET customers/search.json?query=email:"…"`;
//!   Shopify's search matches by words, so only exact addresses (without
//!   regard to case) are kept.
//! - `POST customers.json` creates one, `PUT customers/{id}.json` sets the
//!   name and the default address (updated in place by its id, so no
//!   second address is added).
//! - The phone goes on the address: Shopify takes a customer's own phone
//!   only in E.164 form and only once per shop, which ERP phone numbers
//!   ("12 34 56 78", one number for a whole company) often are not.
//! - Shopify's customer search is filled a moment after a customer is
//!   made, so an e-mail "already taken" that the search does not find yet
//!   is tried again rather than failed.

use super::catalog::search_term;
use super::{error_words, Shopify, SYSTEM};
use crate::connectors::catalog::text_of;
use crate::connectors::customers::{CustomerTarget, SentCustomer, ShopCustomer};
use crate::connectors::http::json_of;
use crate::connectors::ConnectorError;
use crate::model::CustomerRecord;
use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// More than one is a collision; a few more show the merchant how many.
const CUSTOMERS_PER_EMAIL: &str = "10";
const FIELDS: &str = "id,email,first_name,last_name,default_address";
/// How long Shopify's search takes to find a new customer, roughly.
const SEARCH_LAG: Duration = Duration::from_secs(5);

/// The customers of a `customers/search.json` answer whose e-mail is
/// `email` (compared without regard to case).
pub fn exact_customers(answer: &Value, email: &str) -> Result<Vec<ShopCustomer>, ConnectorError> {
    let Some(customers) = answer["customers"].as_array() else {
        return Err(ConnectorError::transient(format!(
            "{SYSTEM}'s answer to the search by e-mail had no customers; Ferry will try again"
        )));
    };
    Ok(customers
        .iter()
        .filter(|c| {
            c["email"]
                .as_str()
                .is_some_and(|found| found.trim().eq_ignore_ascii_case(email))
        })
        .filter_map(|c| {
            let name = [text_of(&c["first_name"]), text_of(&c["last_name"])]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            Some(ShopCustomer {
                id: text_of(&c["id"])?,
                email: email.to_owned(),
                name,
                address_id: text_of(&c["default_address"]["id"]),
            })
        })
        .collect())
}

/// The customer as Shopify takes it; `address_id` updates that address.
pub fn customer_body(customer: &CustomerRecord, address_id: Option<&str>) -> Map<String, Value> {
    let (first, last) = customer.first_and_last_name();
    let mut body = Map::new();
    body.insert("first_name".into(), json!(first));
    body.insert("last_name".into(), json!(last));
    let mut address = Map::new();
    for (field, value) in [
        ("address1", &customer.address),
        ("zip", &customer.zip),
        ("city", &customer.city),
        ("phone", &customer.phone),
    ] {
        if let Some(value) = value {
            address.insert(field.into(), json!(value));
        }
    }
    match (&customer.country_code, &customer.country) {
        (Some(code), _) => address.insert("country_code".into(), json!(code)),
        (None, Some(name)) => address.insert("country".into(), json!(name)),
        (None, None) => None,
    };
    if !address.is_empty() {
        address.insert("first_name".into(), json!(first));
        address.insert("last_name".into(), json!(last));
        address.insert("default".into(), json!(true));
        if let Some(id) = address_id.and_then(|id| id.parse::<u64>().ok()) {
            address.insert("id".into(), json!(id));
        }
        body.insert("addresses".into(), json!([address]));
    }
    body
}

/// Shopify's 422 when the e-mail belongs to a customer already.
fn email_taken(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|answer| {
        answer["errors"]["email"]
            .as_array()
            .is_some_and(|words| words.iter().any(|w| w == "has already been taken"))
    })
}

fn numeric_id(id: &str) -> Result<u64, ConnectorError> {
    id.parse().map_err(|_| {
        ConnectorError::permanent(format!(
            "{SYSTEM} gave the customer an id that is not a number: '{id}'"
        ))
    })
}

#[async_trait]
impl CustomerTarget for Shopify {
    async fn find_customers(&self, email: &str) -> Result<Vec<ShopCustomer>, ConnectorError> {
        let query = serde_urlencoded::to_string([
            ("query", search_term("email", email).as_str()),
            ("limit", CUSTOMERS_PER_EMAIL),
            ("fields", FIELDS),
        ])
        .map_err(|e| ConnectorError::permanent(e.to_string()))?;
        let reply = self
            .call(Method::GET, &format!("customers/search.json?{query}"), None)
            .await?;
        let answer = json_of(SYSTEM, reply, "search by e-mail", error_words)?;
        exact_customers(&answer, email)
    }

    async fn create_customer(
        &self,
        customer: &CustomerRecord,
    ) -> Result<SentCustomer, ConnectorError> {
        let mut fields = customer_body(customer, None);
        fields.insert("email".into(), json!(customer.email));
        let body = json!({ "customer": fields });
        let reply = self
            .call(Method::POST, "customers.json", Some(&body))
            .await?;
        if reply.status.as_u16() == 422 && email_taken(&reply.body) {
            return Err(ConnectorError::Transient {
                message: format!(
                    "{SYSTEM} says the e-mail is taken, yet its search does not find the customer yet; Ferry will look again"
                ),
                retry_after: Some(SEARCH_LAG),
            });
        }
        let answer = json_of(SYSTEM, reply, "customer", error_words)?;
        let id = text_of(&answer["customer"]["id"]).ok_or_else(|| {
            ConnectorError::transient(format!(
                "{SYSTEM}'s answer to the new customer had no id; Ferry will look again"
            ))
        })?;
        Ok(SentCustomer { id, sent: body })
    }

    async fn update_customer(
        &self,
        found: &ShopCustomer,
        customer: &CustomerRecord,
    ) -> Result<SentCustomer, ConnectorError> {
        let id = numeric_id(&found.id)?;
        let mut fields = customer_body(customer, found.address_id.as_deref());
        fields.insert("id".into(), json!(id));
        let body = json!({ "customer": fields });
        let reply = self
            .call(Method::PUT, &format!("customers/{id}.json"), Some(&body))
            .await?;
        json_of(SYSTEM, reply, "customer", error_words)?;
        Ok(SentCustomer {
            id: found.id.clone(),
            sent: body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> CustomerRecord {
        CustomerRecord {
            number: "1002".into(),
            name: "Jens Hansen".into(),
            email: Some("jens@example.dk".into()),
            phone: Some("12 34 56 78".into()),
            address: Some("Nørregade 1".into()),
            zip: Some("1165".into()),
            city: Some("København K".into()),
            country_code: None,
            country: Some("Denmark".into()),
        }
    }

    #[test]
    fn keeps_only_exact_addresses_and_the_default_address() {
        let answer = json!({"customers": [
            {"id": 9007199254740993u64, "email": "Jens@Example.dk", "first_name": "Jens",
             "last_name": "Hansen", "default_address": {"id": 207119551}},
            {"id": 2, "email": "jens@example.dk.other", "first_name": "X", "last_name": null,
             "default_address": null}
        ]});
        let found = exact_customers(&answer, "jens@example.dk").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "9007199254740993");
        assert_eq!(found[0].name, "Jens Hansen");
        assert_eq!(found[0].address_id.as_deref(), Some("207119551"));
        assert!(exact_customers(&json!({"errors": "x"}), "a@b.c").is_err());
    }

    #[test]
    fn the_address_carries_the_phone_and_is_updated_in_place() {
        let body = Value::Object(customer_body(&record(), Some("207119551")));
        assert_eq!(body["first_name"], "Jens");
        assert_eq!(body["last_name"], "Hansen");
        assert!(body.get("phone").is_none(), "no customer-level phone");
        let address = &body["addresses"][0];
        assert_eq!(address["id"], 207119551);
        assert_eq!(address["phone"], "12 34 56 78");
        assert_eq!(address["country"], "Denmark");
        assert_eq!(address["address1"], "Nørregade 1");
        let mut coded = record();
        coded.country_code = Some("DK".into());
        let body = Value::Object(customer_body(&coded, None));
        assert_eq!(body["addresses"][0]["country_code"], "DK");
        assert!(body["addresses"][0].get("id").is_none());
        let bare = CustomerRecord {
            name: "Acme".into(),
            ..CustomerRecord::default()
        };
        assert!(customer_body(&bare, None).get("addresses").is_none());
    }

    #[test]
    fn recognises_an_email_already_taken() {
        assert!(email_taken(
            br#"{"errors":{"email":["has already been taken"]}}"#
        ));
        assert!(!email_taken(br#"{"errors":{"email":["is invalid"]}}"#));
    }
}
