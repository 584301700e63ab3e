//! Delivering one customer to the webshop: the rules of a `customers`
//! connection, whatever the shop.
//!
//! - The customer is matched by e-mail (trimmed, lower-cased); one without
//!   an e-mail fails with that reason.
//! - No shop customer has the e-mail: the customer is created.
//! - One has it: its name, phone and address are set to the ERP's.
//! - Several have it: the transfer fails, names them, and changes none.
//!
//! Setting a name and an address is idempotent; a creation retried after a
//! crash finds the customer it made by its e-mail and updates it instead.

use super::deliver::CatalogDelivery;
use crate::connectors::customers::CustomerTarget;
use crate::connectors::ConnectorError;
use crate::model::CustomerRecord;

/// Creates or updates the shop's customer with the ERP's e-mail.
pub async fn deliver_customer(
    target: &dyn CustomerTarget,
    shop: &str,
    customer: &CustomerRecord,
) -> Result<CatalogDelivery, ConnectorError> {
    let Some(email) = customer.email.as_deref() else {
        return Err(ConnectorError::permanent(format!(
            "customer {} '{}' has no e-mail, so it cannot be matched to a customer in {shop}: add one in the ERP",
            customer.number, customer.name
        )));
    };
    let mut found = target.find_customers(email).await?;
    match found.len() {
        0 => {
            let made = target.create_customer(customer).await?;
            Ok(CatalogDelivery {
                target_ref: made.id,
                sent: made.sent,
                created: true,
            })
        }
        1 => {
            let account = found.remove(0);
            let updated = target.update_customer(&account, customer).await?;
            Ok(CatalogDelivery {
                target_ref: updated.id,
                sent: updated.sent,
                created: false,
            })
        }
        n => {
            let names: Vec<String> = found
                .iter()
                .map(|c| format!("'{}' (id {})", c.name, c.id))
                .collect();
            Err(ConnectorError::permanent(format!(
                "e-mail {email} matches {n} customers in {shop}: {}; merge them in {shop} (or give each its own e-mail) so Ferry knows which to update",
                names.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::customers::{SentCustomer, ShopCustomer};
    use async_trait::async_trait;
    use serde_json::json;
    use std::sync::Mutex;

    /// A shop in memory that records what it was asked to do.
    #[derive(Default)]
    struct FakeShop {
        customers: Vec<ShopCustomer>,
        calls: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl CustomerTarget for FakeShop {
        async fn find_customers(&self, email: &str) -> Result<Vec<ShopCustomer>, ConnectorError> {
            Ok(self
                .customers
                .iter()
                .filter(|c| c.email == email)
                .cloned()
                .collect())
        }
        async fn create_customer(
            &self,
            customer: &CustomerRecord,
        ) -> Result<SentCustomer, ConnectorError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("create {}", customer.name));
            Ok(SentCustomer {
                id: "new".into(),
                sent: json!({}),
            })
        }
        async fn update_customer(
            &self,
            found: &ShopCustomer,
            customer: &CustomerRecord,
        ) -> Result<SentCustomer, ConnectorError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("update {} {}", found.id, customer.name));
            Ok(SentCustomer {
                id: found.id.clone(),
                sent: json!({}),
            })
        }
    }

    fn account(id: &str, email: &str) -> ShopCustomer {
        ShopCustomer {
            id: id.into(),
            email: email.into(),
            name: format!("Customer {id}"),
            address_id: None,
        }
    }

    fn customer(email: Option<&str>) -> CustomerRecord {
        CustomerRecord {
            number: "1002".into(),
            name: "Acme ApS".into(),
            email: email.map(str::to_owned),
            ..CustomerRecord::default()
        }
    }

    fn reason(result: Result<CatalogDelivery, ConnectorError>) -> String {
        match result {
            Err(ConnectorError::Permanent { message }) => message,
            other => panic!("expected a permanent failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn creates_a_new_customer_and_updates_a_known_one() {
        let shop = FakeShop {
            customers: vec![account("7", "known@acme.dk")],
            ..FakeShop::default()
        };
        let made = deliver_customer(&shop, "Shopify", &customer(Some("new@acme.dk")))
            .await
            .unwrap();
        assert_eq!((made.target_ref.as_str(), made.created), ("new", true));
        let updated = deliver_customer(&shop, "Shopify", &customer(Some("known@acme.dk")))
            .await
            .unwrap();
        assert_eq!((updated.target_ref.as_str(), updated.created), ("7", false));
        assert_eq!(
            *shop.calls.lock().unwrap(),
            vec!["create Acme ApS", "update 7 Acme ApS"]
        );
    }

    #[tokio::test]
    async fn no_email_and_two_matches_fail_with_their_reason_and_change_nothing() {
        let shop = FakeShop {
            customers: vec![account("7", "twice@acme.dk"), account("8", "twice@acme.dk")],
            ..FakeShop::default()
        };
        let none = reason(deliver_customer(&shop, "Shopify", &customer(None)).await);
        assert_eq!(
            none,
            "customer 1002 'Acme ApS' has no e-mail, so it cannot be matched to a customer in Shopify: add one in the ERP"
        );
        let twice =
            reason(deliver_customer(&shop, "Shopify", &customer(Some("twice@acme.dk"))).await);
        assert!(
            twice.contains(
                "matches 2 customers in Shopify: 'Customer 7' (id 7), 'Customer 8' (id 8)"
            ),
            "{twice}"
        );
        assert!(shop.calls.lock().unwrap().is_empty());
    }
}
