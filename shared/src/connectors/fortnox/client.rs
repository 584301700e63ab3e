//! Fortnox API v3 as a target of orders: customers, articles, invoices
//! (booked on request) and orders.
//!
//! - Every document carries the webshop's number in `YourOrderNumber` and
//!   `ExternalInvoiceReference1`; [`Target::find_document`] searches
//!   `?externalinvoicereference1=` (a search parameter for both invoices and
//!   orders) and keeps only exact, uncancelled matches, so a retry links.
//! - A booked invoice is created and then `PUT …/bookkeep`. If Ferry stopped
//!   in between, the next delivery finds the unbooked invoice and books it.
//! - Fortnox computes VAT per rate on the net of the rows with that VAT
//!   percentage (`VAT` on each row; `Freight` and `AdministrationFee` at
//!   the company's 25 %), with prices sent net (`VATIncluded: false`). When
//!   that gross misses the webshop's total, a row on the article
//!   `rounding_product` (made when missing) with `VAT: 0` closes it; above
//!   `rounding_limit` the document is made unbooked, marked in
//!   `ExternalInvoiceReference2` (which Fortnox lists) and `Comments`, and
//!   the transfer fails in words; a retry takes it once its `Total` is the
//!   webshop's (corrected by hand) and never books it before
//!   ([`crate::mapping::rounding`]). A gift card sold is a `VAT: 0` row on
//!   the article `gift_card_product`, whose sales account the merchant
//!   sets to a liability.
//! - Fortnox allows 25 requests per 5 seconds per access token and answers
//!   429 above that. Calls wait for a slot in a pacer shared by every
//!   connector using the token, instead of being refused and retried; a 429
//!   that happens anyway holds the pacer for `Retry-After`.

use super::errors::describe_error;
use super::{access, base, DEFAULT_PAUSE, REQUESTS_PER_WINDOW, SYSTEM, WINDOW};
use crate::connectors::catalog::decimal_of;
use crate::connectors::http::{
    json_after_write, refusal, Api, HttpClient, Lookups, Reply, Settings,
};
use crate::connectors::payments::{LedgerInvoice, PaymentBooking};
use crate::connectors::{ConfigError, ConnectorError, Delivered, Target};
use crate::mapping::fortnox::{self as mapping, Settings as Choices};
use crate::mapping::rounding::{self, Balance};
use crate::mapping::{customer_name, to_json};
use crate::model::{DocumentKind, Order, Payment, System};
use crate::seal::Credentials;
use async_trait::async_trait;
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use url::Url;

/// The Fortnox connector for one system (one access token).
pub struct Fortnox {
    base: Url,
    choices: Choices,
    pub(super) api: Api,
    /// Shared by every connector of this token: whose turn it is to look a
    /// customer up and create it.
    pub(super) known: Arc<Lookups>,
    /// The system's `base_currency` setting (see `currency`).
    pub(super) base_currency: Option<String>,
}

/// How a customer is looked up: the query parameter, the field that must
/// match exactly, and the value.
struct CustomerSearch {
    parameter: &'static str,
    field: &'static str,
    value: String,
}

/// Customer numbers in the order Fortnox gives them: by value when both are
/// numbers ("9" before "10"), else as text.
fn customer_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.cmp(b),
    }
}

/// Invoices or orders: where they live and what Fortnox calls them.
pub(super) struct Kind {
    path: &'static str,
    single: &'static str,
    list: &'static str,
    what: &'static str,
}

pub(super) const INVOICES: Kind = Kind {
    path: "invoices",
    single: "Invoice",
    list: "Invoices",
    what: "invoice",
};
const ORDERS: Kind = Kind {
    path: "orders",
    single: "Order",
    list: "Orders",
    what: "order",
};

fn kind_of(kind: DocumentKind) -> &'static Kind {
    match kind {
        DocumentKind::Order => &ORDERS,
        DocumentKind::DraftInvoice | DocumentKind::BookedInvoice => &INVOICES,
    }
}

/// A document number as Fortnox sends it (text, sometimes a number).
pub(super) fn text_field(value: &Value, field: &str) -> Option<String> {
    match value.get(field)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A document's gross as Fortnox computed it: `Net` + `TotalVAT` when it
/// says them (so that öresavrundning, `RoundOff`, which a company may have
/// Fortnox add to `Total`, does not count), else `Total` (a search lists
/// only that).
fn gross_of(doc: &Value) -> Option<rust_decimal::Decimal> {
    let field = |name: &str| doc.get(name).and_then(decimal_of);
    match (field("Net"), field("TotalVAT")) {
        (Some(net), Some(vat)) => Some(net + vat),
        _ => field("Total"),
    }
}

/// Fortnox's limit on `ArticleNumber`.
const ARTICLE_NUMBER_MAX: usize = 50;

/// Whether a Fortnox boolean field (`Booked`, `Cancelled`, `Credit`) is true.
pub(super) fn flag(invoice: &Value, field: &str) -> bool {
    invoice.get(field).and_then(Value::as_bool) == Some(true)
}

/// A credit invoice: flagged so, or (in lists, which carry no flag) of a
/// negative total.
pub(super) fn is_credit(invoice: &Value) -> bool {
    let negative = match invoice.get("Total") {
        Some(Value::Number(n)) => n.as_f64().is_some_and(|t| t < 0.0),
        Some(Value::String(s)) => s.trim().starts_with('-'),
        _ => false,
    };
    flag(invoice, "Credit") || negative
}

pub(super) fn missing(field: &str, what: &str) -> ConnectorError {
    ConnectorError::transient(format!(
        "{SYSTEM}'s answer about the {what} had no {field}; Ferry will check what was made and try again"
    ))
}

impl Fortnox {
    pub fn new(
        system: &System,
        credentials: &Credentials,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        let base = base(system, &http)?;
        let config = Settings { system };
        let article = |field: &str, default: &str| -> Result<String, ConfigError> {
            let number = config.text(field)?.unwrap_or_else(|| default.to_owned());
            if number.chars().count() > ARTICLE_NUMBER_MAX {
                return Err(config.error(
                    field,
                    &format!("{field} must be a Fortnox article number of at most {ARTICLE_NUMBER_MAX} characters"),
                ));
            }
            Ok(number)
        };
        let choices = Choices {
            rounding_article: article("rounding_product", rounding::DEFAULT_PRODUCT)?,
            rounding_limit: config.rounding_limit()?,
            gift_card_article: article("gift_card_product", rounding::DEFAULT_GIFT_CARD_PRODUCT)?,
        };
        let (mut headers, key) = access(&config, credentials)?;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let pacer = http.pacer(&key, REQUESTS_PER_WINDOW, WINDOW);
        let known = http.lookups(&key);
        Ok(Self {
            base,
            choices,
            api: Api::new(SYSTEM, http, headers, pacer, DEFAULT_PAUSE),
            known,
            base_currency: Settings { system }.currency_code("base_currency")?,
        })
    }

    pub(super) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("3").extend(segments);
        }
        url
    }

    pub(super) fn refused(reply: &Reply, what: &str) -> ConnectorError {
        refusal(SYSTEM, reply, what, &describe_error(&reply.body))
    }

    /// The JSON of a successful answer. An answer that was cut off is worth a
    /// retry: the retry first looks for what this call may have made.
    pub(super) fn json(reply: Reply, what: &str) -> Result<Value, ConnectorError> {
        json_after_write(SYSTEM, reply, what, describe_error)
    }

    /// `{"<name>": body}`, written once.
    pub(super) fn envelope(
        body: &impl serde::Serialize,
        name: &str,
    ) -> Result<Vec<u8>, ConnectorError> {
        Ok(to_json(&std::collections::BTreeMap::from([(name, body)]))?)
    }

    /// Documents carrying this webshop number, exact matches only (Fortnox's
    /// search may also match longer numbers), cancelled ones left out.
    pub(super) async fn search(
        &self,
        kind: &Kind,
        e_number: &str,
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut url = self.url(&[kind.path]);
        url.query_pairs_mut()
            .append_pair("externalinvoicereference1", e_number);
        let body = Self::json(
            self.api.call(Method::GET, url, None).await?,
            &format!("{} search", kind.what),
        )?;
        let found = body
            .get(kind.list)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(found
            .into_iter()
            .filter(|doc| {
                doc.get("ExternalInvoiceReference1")
                    .and_then(Value::as_str)
                    .is_none_or(|reference| reference == e_number)
            })
            .filter(|doc| doc.get("Cancelled").and_then(Value::as_bool) != Some(true))
            // A credit invoice may carry the order's number (`/credit` copies
            // the original): it is never the order's document.
            .filter(|doc| !is_credit(doc))
            .collect())
    }

    /// A document Ferry held because its totals differed is taken only
    /// once its `Total` is the webshop's (the bookkeeper corrected it);
    /// until then the transfer fails in words and it is never booked.
    fn delivered(&self, kind: &Kind, doc: Value) -> Result<Delivered, ConnectorError> {
        let number = text_field(&doc, "DocumentNumber")
            .ok_or_else(|| missing("DocumentNumber", kind.what))?;
        let mark = doc.get("ExternalInvoiceReference2").and_then(Value::as_str);
        let total = gross_of(&doc);
        let currency = doc
            .get("Currency")
            .and_then(Value::as_str)
            .unwrap_or_default();
        rounding::check_held(mark, total, self.choices.rounding_limit, currency).map_err(
            |held| ConnectorError::permanent(format!("{SYSTEM} {} {number}: {held}", kind.what)),
        )?;
        Ok(Delivered {
            number,
            sent: serde_json::to_vec(&doc).unwrap_or_default(),
            warnings: Vec::new(),
        })
    }

    async fn ensure_customer(&self, order: &Order) -> Result<String, ConnectorError> {
        let wanted = mapping::customer(order);
        // Fortnox's search matches loosely; only an exact email (or name) counts.
        let search = match &wanted.email {
            Some(email) => CustomerSearch {
                parameter: "email",
                field: "Email",
                value: email.clone(),
            },
            None => CustomerSearch {
                parameter: "name",
                field: "Name",
                value: customer_name(order),
            },
        };
        // Fortnox takes a second customer with the same email: search and
        // create in turn, so that two orders of one new customer (a batch
        // handled at once) make one customer.
        let _turn = self
            .known
            .one_at_a_time(&format!("customer:{}", search.value.trim().to_lowercase()))
            .await;
        if let Some(number) = self.first_customer(&search).await? {
            return Ok(number);
        }
        let body = Self::envelope(&wanted, "Customer")?;
        let created = Self::json(
            self.api
                .call(Method::POST, self.url(&["customers"]), Some(body))
                .await?,
            "customer",
        )?;
        let made = created
            .get("Customer")
            .and_then(|c| text_field(c, "CustomerNumber"))
            .ok_or_else(|| missing("CustomerNumber", "customer"))?;
        self.keep_the_first_customer(&search, made).await
    }

    /// The lowest customer number whose email (or name) is exactly the one
    /// searched for: the customer made first.
    async fn first_customer(
        &self,
        search: &CustomerSearch,
    ) -> Result<Option<String>, ConnectorError> {
        let mut url = self.url(&["customers"]);
        url.query_pairs_mut()
            .append_pair(search.parameter, &search.value);
        let body = Self::json(
            self.api.call(Method::GET, url, None).await?,
            "customer search",
        )?;
        let mut numbers: Vec<String> = Vec::new();
        for customer in body
            .get("Customers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let exact = customer
                .get(search.field)
                .and_then(Value::as_str)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(search.value.trim()));
            if exact {
                numbers.push(
                    text_field(customer, "CustomerNumber")
                        .ok_or_else(|| missing("CustomerNumber", "customer search"))?,
                );
            }
        }
        Ok(numbers.into_iter().min_by(|a, b| customer_order(a, b)))
    }

    /// The turn of [`Self::ensure_customer`] holds within one process only:
    /// another (a second Lambda instance) may have made the same customer at
    /// the same moment. So after making one, look again: the first customer
    /// (the lowest number, made first) is the customer, and one made later
    /// here is deleted (it has no documents yet); every racer ends on the
    /// same customer. A failed delete is logged and leaves a spare customer.
    async fn keep_the_first_customer(
        &self,
        search: &CustomerSearch,
        made: String,
    ) -> Result<String, ConnectorError> {
        let first = match self.first_customer(search).await? {
            Some(first) if customer_order(&first, &made).is_lt() => first,
            _ => return Ok(made),
        };
        let url = self.url(&["customers", &made]);
        let failure = match self.api.call(Method::DELETE, url, None).await {
            Ok(reply) if reply.status.is_success() => None,
            Ok(reply) => Some(format!("HTTP {}", reply.status.as_u16())),
            Err(error) => Some(error.to_string()),
        };
        if let Some(failure) = failure {
            tracing::warn!(
                customer = %made,
                %failure,
                "a customer made at the same moment as customer {first} could not be deleted"
            );
        }
        Ok(first)
    }

    async fn article_exists(&self, number: &str) -> Result<bool, ConnectorError> {
        let reply = self
            .api
            .call(Method::GET, self.url(&["articles", number]), None)
            .await?;
        match reply.status {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(Self::refused(
                &reply,
                &format!("lookup of article '{number}'"),
            )),
        }
    }

    async fn ensure_articles(&self, order: &Order) -> Result<(), ConnectorError> {
        for article in mapping::articles(order, &self.choices)? {
            if self.article_exists(&article.article_number).await? {
                continue;
            }
            let body = Self::envelope(&article, "Article")?;
            let reply = self
                .api
                .call(Method::POST, self.url(&["articles"]), Some(body))
                .await?;
            if reply.status.is_success() {
                continue;
            }
            // Another transfer may have created it a moment ago.
            if reply.status == StatusCode::BAD_REQUEST
                && self.article_exists(&article.article_number).await?
            {
                continue;
            }
            return Err(Self::refused(
                &reply,
                &format!("article '{}'", article.article_number),
            ));
        }
        Ok(())
    }

    /// Marks a document Fortnox totals otherwise than the webshop as held
    /// (`PUT` of `ExternalInvoiceReference2` and `Comments`), so a retry
    /// neither links nor books it until it is corrected; a mark that cannot
    /// be written fails the transfer for good all the same, in words.
    async fn hold(
        &self,
        kind: &Kind,
        number: &str,
        differ: &rounding::TotalsDiffer,
    ) -> Result<(), ConnectorError> {
        let mark = serde_json::json!({
            "ExternalInvoiceReference2": differ.mark(),
            "Comments": differ.note(),
        });
        let body = Self::envelope(&mark, kind.single)?;
        let url = self.url(&[kind.path, number]);
        let failure = match self.api.call(Method::PUT, url, Some(body)).await {
            Ok(reply) if reply.status.is_success() => return Ok(()),
            Ok(reply) => reply.status.as_u16().to_string(),
            Err(error) => error.to_string(),
        };
        Err(ConnectorError::permanent(format!(
            "{SYSTEM} {} {number}: {differ}; Ferry could not mark it as held ({failure}) — \
             correct or delete it before retrying",
            kind.what
        )))
    }

    pub(super) async fn bookkeep(
        &self,
        number: &str,
        sent: Vec<u8>,
    ) -> Result<Delivered, ConnectorError> {
        let url = self.url(&["invoices", number, "bookkeep"]);
        let reply = self.api.call(Method::PUT, url, None).await?;
        Self::json(reply, &format!("bookkeeping of invoice {number}"))?;
        Ok(Delivered {
            number: number.to_owned(),
            sent,
            warnings: Vec::new(),
        })
    }
}

#[async_trait]
impl Target for Fortnox {
    async fn find_document(
        &self,
        e_number: &str,
        kind: DocumentKind,
    ) -> Result<Option<Delivered>, ConnectorError> {
        let place = kind_of(kind);
        let found = self.search(place, e_number).await?;
        // An invoice still to be booked is not done: `deliver_order` books it.
        let done = found.into_iter().find(|doc| {
            kind != DocumentKind::BookedInvoice
                || doc.get("Booked").and_then(Value::as_bool) == Some(true)
        });
        done.map(|doc| self.delivered(place, doc)).transpose()
    }

    async fn deliver_order(
        &self,
        order: &Order,
        kind: DocumentKind,
    ) -> Result<Delivered, ConnectorError> {
        // Everything that can be refused without asking Fortnox is refused first.
        mapping::document(order, "", kind, &self.choices)?;
        match self.deliver(order, kind).await {
            Err(error) => Err(self.explain_refusal(order, error).await),
            delivered => delivered,
        }
    }

    async fn test_credentials(&self) -> Result<(), ConnectorError> {
        let reply = self
            .api
            .call(Method::GET, self.url(&["companyinformation"]), None)
            .await?;
        Self::json(reply, "credentials check").map(|_| ())
    }

    // Payments: `super::payments`.
    async fn payment_invoice(
        &self,
        e_number: &str,
    ) -> Result<Option<LedgerInvoice>, ConnectorError> {
        self.invoice_of(e_number).await
    }

    async fn book_invoice(&self, invoice: &LedgerInvoice) -> Result<LedgerInvoice, ConnectorError> {
        self.bookkeep(&invoice.number, Vec::new()).await?;
        Ok(LedgerInvoice {
            booked: true,
            ..invoice.clone()
        })
    }

    async fn find_payment(
        &self,
        payment: &Payment,
        invoice: &LedgerInvoice,
        booking: &PaymentBooking,
    ) -> Result<Option<Delivered>, ConnectorError> {
        self.invoice_payment_of(payment, invoice, booking).await
    }

    async fn book_payment(
        &self,
        payment: &Payment,
        invoice: &LedgerInvoice,
        booking: &PaymentBooking,
    ) -> Result<Delivered, ConnectorError> {
        self.make_invoice_payment(payment, invoice, booking).await
    }
}

impl Fortnox {
    /// Makes the customer, the articles and the document (see
    /// [`Target::deliver_order`]).
    async fn deliver(
        &self,
        order: &Order,
        kind: DocumentKind,
    ) -> Result<Delivered, ConnectorError> {
        let place = kind_of(kind);
        if kind == DocumentKind::BookedInvoice {
            if let Some(unbooked) = self
                .search(place, &order.e_number)
                .await?
                .into_iter()
                .next()
            {
                // A held invoice is refused here until it is corrected.
                let delivered = self.delivered(place, unbooked)?;
                return self.bookkeep(&delivered.number, delivered.sent).await;
            }
        }
        let customer_number = self.ensure_customer(order).await?;
        self.ensure_articles(order).await?;
        let mut mapped = mapping::document(order, &customer_number, kind, &self.choices)?;
        if let Some(rate) = self.document_rate(order).await? {
            mapped.document.currency_rate = Some(rate.rate);
            mapped.document.currency_unit = Some(rate.unit);
        }
        for warning in &mapped.warnings {
            tracing::warn!(e_number = %order.e_number, "{warning}");
        }
        // Written once: these bytes are sent, and kept as the document sent.
        let sent = Self::envelope(&mapped.document, place.single)?;
        let reply = self
            .api
            .call(Method::POST, self.url(&[place.path]), Some(sent.clone()))
            .await?;
        let created = Self::json(reply, place.what)?;
        let number = created
            .get(place.single)
            .and_then(|doc| text_field(doc, "DocumentNumber"))
            .ok_or_else(|| missing("DocumentNumber", place.what))?;
        // Totals too far apart: the document is made, never booked. And
        // Fortnox's own total, read back: a document it totals otherwise
        // (its VAT is not the shop's) is held too.
        let held = match &mapped.balance {
            Balance::TooFar(differ) => Some(differ.clone()),
            Balance::Exact | Balance::Rounded(_) => {
                let read_back = created
                    .get(place.single)
                    .and_then(gross_of)
                    .and_then(|total| {
                        rounding::read_back(
                            total,
                            order.totals.total,
                            self.choices.rounding_limit,
                            &order.currency,
                        )
                    });
                if let Some(differ) = &read_back {
                    self.hold(place, &number, differ).await?;
                }
                read_back
            }
        };
        if let Some(differ) = held {
            return Err(ConnectorError::permanent(format!(
                "{SYSTEM} {} {number} left unbooked: {differ}",
                place.what
            )));
        }
        let delivered = if kind == DocumentKind::BookedInvoice {
            self.bookkeep(&number, sent).await?
        } else {
            Delivered {
                number,
                sent,
                warnings: Vec::new(),
            }
        };
        Ok(Delivered {
            warnings: mapped.warnings,
            ..delivered
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CredentialHealth, Scope, SystemId, SystemKind, TenantId};
    use crate::seal::SealedCredentials;
    use reqwest::header::HeaderMap;
    use serde_json::json;

    fn system(config: Value) -> System {
        System {
            id: SystemId::generate(),
            tenant: TenantId::generate(),
            kind: SystemKind::Fortnox,
            name: "Bokföring".into(),
            config: config.as_object().cloned().unwrap_or_default(),
            credentials: SealedCredentials::default(),
            health: CredentialHealth::default(),
            scope: Scope::default(),
            active: true,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn sorts_refusals() {
        let body = r#"{"ErrorInformation":{"error":1,"message":"Ogiltig valuta.","code":2000359}}"#;
        assert_eq!(
            Fortnox::refused(&reply(400, body), "invoice"),
            ConnectorError::permanent(
                "Fortnox refused the invoice: Ogiltig valuta. (code 2000359)"
            )
        );
        assert!(matches!(
            Fortnox::refused(&reply(401, "{}"), "invoice"),
            ConnectorError::Unauthorized { .. }
        ));
        assert!(matches!(
            Fortnox::refused(&reply(429, ""), "invoice"),
            ConnectorError::Transient { .. }
        ));
        assert!(matches!(
            Fortnox::refused(&reply(502, ""), "invoice"),
            ConnectorError::Transient { .. }
        ));
    }

    #[test]
    fn needs_an_access_token_and_builds_v3_urls() {
        let http = HttpClient::default();
        let error = Fortnox::new(&system(json!({})), &Credentials::default(), http.clone())
            .err()
            .unwrap();
        assert_eq!(error.field, "access_token");
        let mut credentials = Credentials::default();
        credentials.0.insert("access_token".into(), "tok".into());
        let fortnox = Fortnox::new(
            &system(json!({"base_url": "http://127.0.0.1:9/"})),
            &credentials,
            http,
        )
        .unwrap();
        assert_eq!(
            fortnox.url(&["articles", "A/B"]).as_str(),
            "http://127.0.0.1:9/3/articles/A%2FB"
        );
        let error = Fortnox::new(
            &system(json!({"base_url": "ftp://x"})),
            &credentials,
            HttpClient::default(),
        )
        .err()
        .unwrap();
        assert_eq!(error.field, "base_url");
    }

    #[test]
    fn reads_the_rounding_settings_and_names_a_wrong_one() {
        let mut credentials = Credentials::default();
        credentials.0.insert("access_token".into(), "tok".into());
        let fortnox = Fortnox::new(
            &system(json!({"rounding_limit": "0.50", "rounding_product": "ORE"})),
            &credentials,
            HttpClient::default(),
        )
        .unwrap();
        assert_eq!(fortnox.choices.rounding_article, "ORE");
        assert_eq!(fortnox.choices.rounding_limit.to_string(), "0.50");
        assert_eq!(fortnox.choices.gift_card_article, "giftcard");
        let defaults =
            Fortnox::new(&system(json!({})), &credentials, HttpClient::default()).unwrap();
        assert_eq!(defaults.choices, Choices::default());
        for (field, bad) in [
            ("rounding_limit", json!("1,00")),
            ("rounding_limit", json!(-1)),
            ("rounding_product", json!(7)),
            ("gift_card_product", json!("G".repeat(51))),
        ] {
            let error = Fortnox::new(
                &system(json!({ field: bad })),
                &credentials,
                HttpClient::default(),
            )
            .err()
            .unwrap();
            assert_eq!(error.field, field, "{}", error.message);
        }
    }

    #[test]
    fn the_pacer_is_shared_per_token() {
        let http = HttpClient::default();
        let mut credentials = Credentials::default();
        credentials.0.insert("access_token".into(), "tok".into());
        let a = Fortnox::new(&system(json!({})), &credentials, http.clone()).unwrap();
        let b = Fortnox::new(&system(json!({})), &credentials, http.clone()).unwrap();
        credentials.0.insert("access_token".into(), "other".into());
        let c = Fortnox::new(&system(json!({})), &credentials, http).unwrap();
        assert!(Arc::ptr_eq(a.api.pacer(), b.api.pacer()));
        assert!(!Arc::ptr_eq(a.api.pacer(), c.api.pacer()));
    }
}
