//! The customer register as a bookkeeper keeps it, for Ferry's customers
//! flow: customers with a name, an e-mail, a phone and a postal address
//! (the country in words, as e-conomic keeps it), some of them barred.
//! Served by the existing `GET /customers` (paged with `skippages` and
//! `pagesize`, each element the whole customer).

use super::{Customer, Handle};
use serde_json::{json, Value};

/// A customer as a bookkeeper enters it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewCustomer {
    pub name: String,
    pub email: Option<String>,
    pub telephone_and_fax_number: Option<String>,
    pub mobile_phone: Option<String>,
    pub address: Option<String>,
    pub zip: Option<String>,
    pub city: Option<String>,
    /// In words ("Denmark", "Danmark"), as e-conomic keeps it.
    pub country: Option<String>,
    pub barred: bool,
}

impl NewCustomer {
    pub fn new(name: &str, email: Option<&str>) -> Self {
        Self {
            name: name.to_owned(),
            email: email.map(str::to_owned),
            ..Self::default()
        }
    }
}

fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Handle {
    /// Adds a customer as a bookkeeper does; answers its customer number.
    pub fn put_customer(&self, customer: NewCustomer) -> u64 {
        let base_url = self.shared.base_url.clone();
        let settings = self.shared.settings.clone();
        let first = |list: &[u64]| list.first().copied().unwrap_or(1);
        let mut ledger = self.shared.ledger();
        ledger.last_customer += 1;
        let number = ledger.last_customer;
        let mut body = json!({
            "customerNumber": number,
            "name": customer.name,
            "currency": "DKK",
            "barred": customer.barred,
            "customerGroup": {
                "customerGroupNumber": first(&settings.customer_groups),
                "self": format!("{base_url}/customer-groups/{}", first(&settings.customer_groups)),
            },
            "paymentTerms": {
                "paymentTermsNumber": first(&settings.payment_terms),
                "self": format!("{base_url}/payment-terms/{}", first(&settings.payment_terms)),
            },
            "vatZone": {
                "vatZoneNumber": settings.vat_zones.first().map_or(1, |z| z.0),
                "self": format!("{base_url}/vat-zones/{}", settings.vat_zones.first().map_or(1, |z| z.0)),
            },
            "balance": 0.0,
            "dueAmount": 0.0,
            "lastUpdated": now_text(),
            "self": format!("{base_url}/customers/{number}"),
        });
        for (field, value) in [
            ("email", &customer.email),
            ("telephoneAndFaxNumber", &customer.telephone_and_fax_number),
            ("mobilePhone", &customer.mobile_phone),
            ("address", &customer.address),
            ("zip", &customer.zip),
            ("city", &customer.city),
            ("country", &customer.country),
        ] {
            // e-conomic leaves out the fields it holds nothing in.
            if let Some(value) = value {
                body[field] = json!(value);
            }
        }
        ledger.customers.push(Customer {
            customer_number: number,
            name: customer.name,
            email: customer.email,
            currency: "DKK".into(),
            body,
        });
        number
    }

    /// Changes a customer's stored body as if edited in e-conomic; `false`
    /// when there is no such customer.
    pub fn edit_customer(&self, customer_number: u64, change: impl FnOnce(&mut Value)) -> bool {
        let mut ledger = self.shared.ledger();
        let Some(customer) = ledger
            .customers
            .iter_mut()
            .find(|c| c.customer_number == customer_number)
        else {
            return false;
        };
        change(&mut customer.body);
        customer.name = customer.body["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        customer.email = customer.body["email"].as_str().map(str::to_owned);
        customer.body["lastUpdated"] = json!(now_text());
        true
    }
}
