//! WooCommerce as the keeper of customer accounts, through the REST v3
//! customers endpoints.
//!
//! - Customers are found with `GET customers?email=…&role=all`: WooCommerce
//!   lists only the `customer` role unless asked for all, and an e-mail is
//!   unique among all WordPress users, so a user of another role with the
//!   address would otherwise make every creation fail.
//! - An account that runs the shop (`administrator`, `shop_manager`) is
//!   not changed from the books: the transfer fails and says so.
//! - `POST customers` creates one (WooCommerce makes up the user name and
//!   password when its settings say so, as they do by default); `PUT
//!   customers/{id}` sets the name and the billing address. WooCommerce
//!   takes the country only as a two-letter code, so a country the ERP
//!   names in words is not sent.

use super::{error_words, WooCommerce, SYSTEM};
use crate::connectors::catalog::text_of;
use crate::connectors::customers::{CustomerTarget, SentCustomer, ShopCustomer};
use crate::connectors::http::json_of;
use crate::connectors::ConnectorError;
use crate::model::CustomerRecord;
use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Map, Value};

/// Roles whose accounts run the shop.
const STAFF_ROLES: &[&str] = &["administrator", "shop_manager"];

/// The accounts of a `customers?email=` answer whose e-mail is `email`;
/// an account that runs the shop is refused.
pub fn exact_customers(answer: &Value, email: &str) -> Result<Vec<ShopCustomer>, ConnectorError> {
    let Some(customers) = answer.as_array() else {
        return Err(ConnectorError::transient(format!(
            "{SYSTEM}'s answer to the search by e-mail was not a list; Ferry will try again"
        )));
    };
    let exact: Vec<&Value> = customers
        .iter()
        .filter(|c| {
            c["email"]
                .as_str()
                .is_some_and(|found| found.trim().eq_ignore_ascii_case(email))
        })
        .collect();
    if let Some(staff) = exact
        .iter()
        .find(|c| c["role"].as_str().is_some_and(|r| STAFF_ROLES.contains(&r)))
    {
        return Err(ConnectorError::permanent(format!(
            "{email} is the e-mail of {SYSTEM} user '{}' (role {}), who runs the shop; Ferry does not change that account from the books: give the customer another e-mail in the ERP, or the user another one in WordPress",
            text_of(&staff["username"]).unwrap_or_default(),
            text_of(&staff["role"]).unwrap_or_default()
        )));
    }
    Ok(exact
        .into_iter()
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
                address_id: None,
            })
        })
        .collect())
}

/// The customer as WooCommerce takes it: the name and the billing address.
pub fn customer_body(customer: &CustomerRecord) -> Map<String, Value> {
    let (first, last) = customer.first_and_last_name();
    let mut billing = Map::new();
    billing.insert("first_name".into(), json!(first));
    billing.insert("last_name".into(), json!(last));
    for (field, value) in [
        ("address_1", &customer.address),
        ("postcode", &customer.zip),
        ("city", &customer.city),
        ("country", &customer.country_code),
        ("phone", &customer.phone),
        ("email", &customer.email),
    ] {
        if let Some(value) = value {
            billing.insert(field.into(), json!(value));
        }
    }
    let mut body = Map::new();
    body.insert("first_name".into(), json!(first));
    body.insert("last_name".into(), json!(last));
    body.insert("billing".into(), Value::Object(billing));
    body
}

/// WooCommerce's refusal when the e-mail belongs to a user already.
fn email_exists(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .is_ok_and(|answer| answer["code"] == "registration-error-email-exists")
}

#[async_trait]
impl CustomerTarget for WooCommerce {
    async fn find_customers(&self, email: &str) -> Result<Vec<ShopCustomer>, ConnectorError> {
        let reply = self
            .call(
                Method::GET,
                "customers",
                &[("email", email), ("role", "all"), ("per_page", "10")],
                None,
            )
            .await?;
        let answer = json_of(SYSTEM, reply, "search by e-mail", error_words)?;
        exact_customers(&answer, email)
    }

    async fn create_customer(
        &self,
        customer: &CustomerRecord,
    ) -> Result<SentCustomer, ConnectorError> {
        let mut fields = customer_body(customer);
        fields.insert("email".into(), json!(customer.email));
        let body = Value::Object(fields);
        let reply = self
            .call(Method::POST, "customers", &[], Some(&body))
            .await?;
        if reply.status.is_client_error() && email_exists(&reply.body) {
            // Made meanwhile (by another worker, or by hand): found next time.
            return Err(ConnectorError::transient(format!(
                "{SYSTEM} says an account already has this e-mail; Ferry will look for it again"
            )));
        }
        let answer = json_of(SYSTEM, reply, "customer", error_words)?;
        let id = text_of(&answer["id"]).ok_or_else(|| {
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
        let id: u64 = found.id.parse().map_err(|_| {
            ConnectorError::permanent(format!(
                "{SYSTEM} gave the customer an id that is not a number: '{}'",
                found.id
            ))
        })?;
        let body = Value::Object(customer_body(customer));
        let reply = self
            .call(Method::PUT, &format!("customers/{id}"), &[], Some(&body))
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

    #[test]
    fn keeps_exact_addresses_and_leaves_staff_alone() {
        let answer = json!([
            {"id": 25, "email": "Jens@Example.dk", "first_name": "Jens", "last_name": "Hansen",
             "role": "customer", "username": "jens"},
            {"id": 26, "email": "other@example.dk", "role": "customer"}
        ]);
        let found = exact_customers(&answer, "jens@example.dk").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].id.as_str(), found[0].name.as_str()),
            ("25", "Jens Hansen")
        );
        let staff = json!([{"id": 1, "email": "owner@shop.dk", "role": "administrator", "username": "admin"}]);
        let refused = exact_customers(&staff, "owner@shop.dk").unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("user 'admin' (role administrator)"),
            "{refused}"
        );
        assert!(exact_customers(&json!({"code": "x"}), "a@b.c").is_err());
    }

    #[test]
    fn the_billing_address_takes_only_a_country_code() {
        let customer = CustomerRecord {
            number: "1".into(),
            name: "Anna Svensson".into(),
            email: Some("anna@example.se".into()),
            phone: Some("08-123 456".into()),
            address: Some("Storgatan 1".into()),
            zip: Some("111 22".into()),
            city: Some("Stockholm".into()),
            country_code: Some("SE".into()),
            country: Some("Sverige".into()),
        };
        let body = Value::Object(customer_body(&customer));
        assert_eq!(body["first_name"], "Anna");
        assert_eq!(body["billing"]["postcode"], "111 22");
        assert_eq!(body["billing"]["country"], "SE");
        assert_eq!(body["billing"]["email"], "anna@example.se");
        let named = CustomerRecord {
            country_code: None,
            ..customer
        };
        assert!(Value::Object(customer_body(&named))["billing"]
            .get("country")
            .is_none());
    }

    #[test]
    fn recognises_an_email_already_registered() {
        assert!(email_exists(
            br#"{"code":"registration-error-email-exists","message":"An account is already registered with your email address.","data":{"status":400}}"#
        ));
        assert!(!email_exists(br#"{"code":"rest_invalid_param"}"#));
    }
}
