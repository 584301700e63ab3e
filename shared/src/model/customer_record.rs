//! Customers as the ERP keeps them: what flows from the books to the shop
//! on `customers` connections.
//!
//! The ERP is the master; the shop keeps its own customer accounts, matched
//! by e-mail address. One [`CustomerRecord`] is one customer with what the
//! shop is sent: name, e-mail, phone and postal address. It is sent again
//! only when one of those changed (see [`CustomerRecord::fingerprint`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One customer of the ERP, in Ferry's words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRecord {
    /// The ERP's own number (e-conomic `customerNumber`, Fortnox
    /// `CustomerNumber`).
    pub number: String,
    pub name: String,
    /// What the shop knows the customer by: trimmed and lower-cased (see
    /// [`email_key`]); `None` when the ERP has none.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// The street line.
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub zip: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    /// ISO 3166 two-letter code, when the ERP gives one.
    #[serde(default)]
    pub country_code: Option<String>,
    /// The country as the ERP names it ("Denmark", "Danmark").
    #[serde(default)]
    pub country: Option<String>,
}

/// An e-mail address as a matching key: the first address of a list
/// ("a@x.dk; b@x.dk", as ERPs allow for invoices), trimmed and lower-cased;
/// `None` when blank.
pub fn email_key(raw: &str) -> Option<String> {
    raw.split([';', ',', ' '])
        .map(str::trim)
        .find(|part| !part.is_empty())
        .map(str::to_lowercase)
}

impl CustomerRecord {
    /// The key a customer is tracked by on a connection: the e-mail, or
    /// the ERP number when there is none (so that it still shows, and
    /// fails, once).
    pub fn key(&self) -> String {
        match &self.email {
            Some(email) => email.clone(),
            None => format!("no-email:{}", self.number),
        }
    }

    /// A short digest of what is sent to the shop. Equal fingerprints mean
    /// there is nothing new to send; the ERP number is not part of it.
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for part in [
            self.email.as_deref(),
            Some(self.name.as_str()),
            self.phone.as_deref(),
            self.address.as_deref(),
            self.zip.as_deref(),
            self.city.as_deref(),
            self.country_code.as_deref(),
            self.country.as_deref(),
        ] {
            hash.update(part.unwrap_or("").as_bytes());
            hash.update([0u8]);
        }
        hash.finalize()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The name split as shops keep it: the last word is the last name,
    /// the words before it the first name ("Jens Peter Hansen" → "Jens
    /// Peter", "Hansen"; a one-word name is a last name only).
    pub fn first_and_last_name(&self) -> (String, String) {
        let words: Vec<&str> = self.name.split_whitespace().collect();
        match words.split_last() {
            Some((last, first)) => (first.join(" "), (*last).to_owned()),
            None => (String::new(), String::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> CustomerRecord {
        CustomerRecord {
            number: "1002".into(),
            name: "Jens Peter Hansen".into(),
            email: Some("jens@example.dk".into()),
            phone: Some("+45 12 34 56 78".into()),
            address: Some("Nørregade 1".into()),
            zip: Some("1165".into()),
            city: Some("København K".into()),
            country_code: Some("DK".into()),
            country: Some("Denmark".into()),
        }
    }

    #[test]
    fn emails_match_whatever_their_case_and_spacing() {
        assert_eq!(
            email_key("  Jens@Example.DK "),
            Some("jens@example.dk".into())
        );
        assert_eq!(
            email_key("a@x.dk; b@x.dk"),
            Some("a@x.dk".into()),
            "the first of a list"
        );
        assert_eq!(email_key("   "), None);
    }

    #[test]
    fn a_customer_without_email_is_keyed_by_number() {
        let mut none = customer();
        none.email = None;
        assert_eq!(none.key(), "no-email:1002");
        assert_eq!(customer().key(), "jens@example.dk");
    }

    #[test]
    fn the_fingerprint_follows_what_the_shop_is_sent() {
        let base = customer();
        let mut renumbered = base.clone();
        renumbered.number = "77".into();
        assert_eq!(base.fingerprint(), renumbered.fingerprint());
        let mut moved = base.clone();
        moved.city = Some("Aarhus C".into());
        assert_ne!(base.fingerprint(), moved.fingerprint());
        // A value moved from one field to the next is a change.
        let mut shifted = base.clone();
        shifted.zip = None;
        shifted.city = Some("1165København K".into());
        assert_ne!(base.fingerprint(), shifted.fingerprint());
    }

    #[test]
    fn names_split_at_the_last_word() {
        assert_eq!(
            customer().first_and_last_name(),
            ("Jens Peter".into(), "Hansen".into())
        );
        let mut one = customer();
        one.name = "  Acme  ".into();
        assert_eq!(one.first_and_last_name(), (String::new(), "Acme".into()));
    }

    #[test]
    fn round_trips_as_json() {
        let json = serde_json::to_string(&customer()).unwrap();
        let back: CustomerRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, customer());
    }
}
