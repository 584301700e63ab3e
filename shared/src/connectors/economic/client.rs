//! e-conomic (Visma) "REST" API as a target of orders: customers,
//! products, draft and booked invoices, draft orders.
//!
//! - Every document carries the webshop's number in `references.other`, which
//!   e-conomic can filter on: [`Target::find_document`] looks there (drafts
//!   and booked invoices for a draft invoice, booked invoices for a booked
//!   one, draft orders for an order) so that a retry links instead of
//!   creating a second document.
//! - A booked invoice is made as a draft and then booked. If Ferry stopped in
//!   between, the next delivery finds the draft by its reference and books
//!   that one instead of making another.
//! - The document's gross as e-conomic computes it (VAT per rate on the
//!   net; the rate is the one the product's group carries in the VAT
//!   zone) is made the webshop's total by a rounding line on the VAT-free
//!   product `rounding_product` (made when missing, in
//!   `rounding_product_group_number`, a group whose sales account has no
//!   VAT code). A difference above `rounding_limit` leaves the document a
//!   draft, never booked, with the reason in `notes.textLine1`, and fails
//!   the transfer in words; a retry links the draft once the bookkeeper
//!   has corrected its total, and fails again until then
//!   ([`crate::mapping::rounding`]).
//! - A gift card sold is a line on `gift_card_product`, a VAT-free product
//!   in `gift_card_product_group_number` (a liability account's group).
//! - A customer is looked up by email (or by name when the order has no
//!   email) and created when missing; each product is looked up by number
//!   and created when missing.
//! - Calls are paced per agreement (well inside the fair-use 50,000 calls a
//!   day) and a 429 holds every call for that agreement for `Retry-After`.

use super::errors::describe_error;
use super::{agreement, base, CALLS_PER_SECOND, DEFAULT_PAUSE, SYSTEM};
use crate::connectors::catalog::decimal_of;
use crate::connectors::http::{
    json_after_write, refusal, Api, HttpClient, Lookups, Reply, Settings as Config,
};
use crate::connectors::payments::{LedgerInvoice, PaymentBooking};
use crate::connectors::{ConfigError, ConnectorError, Delivered, Target};
use crate::mapping::economic::{self as mapping, Settings, PRODUCT_NUMBER_MAX};
use crate::mapping::rounding::{self, Balance};
use crate::mapping::to_json;
use crate::model::{DocumentKind, Order, Payment, System};
use crate::seal::Credentials;
use async_trait::async_trait;
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The pace is kept over this window (e-conomic limits with a token
/// bucket): a new customer's first order, a dozen calls with its customer
/// and products, goes out at once instead of waiting for the next second.
const PACE_WINDOW: Duration = Duration::from_secs(10);
const CALLS_PER_SECOND_MAX: u64 = 100;

/// The e-conomic connector for one system (one agreement).
pub struct Economic {
    pub(super) base: Url,
    settings: Settings,
    pub(super) api: Api,
    /// Customers and products this agreement already has, remembered for a
    /// while: a repeat customer's order then costs the document calls only.
    pub(super) known: Arc<Lookups>,
    /// The system's `base_currency` setting: the base when e-conomic does
    /// not say (see `currency`).
    pub(super) base_currency: Option<String>,
}

/// Where a kind of document lives and what its number is called.
struct Place {
    path: [&'static str; 2],
    number_field: &'static str,
}

const DRAFT_INVOICES: Place = Place {
    path: ["invoices", "drafts"],
    number_field: "draftInvoiceNumber",
};
const BOOKED_INVOICES: Place = Place {
    path: ["invoices", "booked"],
    number_field: "bookedInvoiceNumber",
};
const DRAFT_ORDERS: Place = Place {
    path: ["orders", "drafts"],
    number_field: "orderNumber",
};

fn calls_per_second(system: &System) -> Result<usize, ConfigError> {
    if matches!(
        system.config.get("calls_per_second"),
        None | Some(Value::Null)
    ) {
        return Ok(CALLS_PER_SECOND);
    }
    let config = Config { system };
    let rate = config.whole_number("calls_per_second", "calls a second Ferry makes")?;
    match usize::try_from(rate) {
        Ok(rate) if (1..=CALLS_PER_SECOND_MAX).contains(&(rate as u64)) => Ok(rate),
        _ => Err(config.error(
            "calls_per_second",
            &format!("calls_per_second must be between 1 and {CALLS_PER_SECOND_MAX}"),
        )),
    }
}

fn config_product_number(
    system: &System,
    field: &str,
    default: &str,
) -> Result<String, ConfigError> {
    let number = system.config_str(field).map(str::trim).unwrap_or(default);
    let length = number.chars().count();
    if length == 0 || length > PRODUCT_NUMBER_MAX {
        return Err(Config { system }.error(
            field,
            &format!("{field} must be an e-conomic product number of 1 to {PRODUCT_NUMBER_MAX} characters"),
        ));
    }
    Ok(number.to_owned())
}

/// Escapes a value for e-conomic's `filter` parameter, where `$ ( ) * , [ ]`
/// are operators unless prefixed with `$`.
pub fn filter_value(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '$' | '(' | ')' | '*' | ',' | '[' | ']') {
            escaped.push('$');
        }
        escaped.push(c);
    }
    escaped
}

/// A whole number field as e-conomic sends it (a number, or digits).
pub(super) fn number_field(value: &Value, field: &str) -> Option<u64> {
    match value.get(field)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub(super) fn missing_number(field: &str, what: &str) -> ConnectorError {
    ConnectorError::transient(format!(
        "{SYSTEM}'s answer about the {what} had no {field}; Ferry will check what was made and try again"
    ))
}

impl Economic {
    pub fn new(
        system: &System,
        credentials: &Credentials,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        let config = Config { system };
        let settings = Settings {
            layout_number: config.whole_number(
                "layout_number",
                "the layout invoices and orders are printed with",
            )?,
            payment_terms_number: config.whole_number(
                "payment_terms_number",
                "the payment terms for new customers and documents",
            )?,
            vat_zone_number: config.whole_number(
                "vat_zone_number",
                "the VAT zone for new customers and documents (1 is domestic)",
            )?,
            customer_group_number: config.whole_number(
                "customer_group_number",
                "the customer group new customers join",
            )?,
            product_group_number: config.whole_number(
                "product_group_number",
                "the product group new products join",
            )?,
            shipping_product_number: config_product_number(
                system,
                "shipping_product_number",
                "shipping",
            )?,
            fee_product_number: config_product_number(system, "fee_product_number", "fee")?,
            discount_product_number: config_product_number(
                system,
                "discount_product_number",
                "discount",
            )?,
            rounding_product_number: config_product_number(
                system,
                "rounding_product",
                rounding::DEFAULT_PRODUCT,
            )?,
            rounding_product_group_number: config.optional_whole_number(
                "rounding_product_group_number",
                "the product group (its sales account without VAT) Ferry makes the rounding product in",
            )?,
            rounding_limit: config.rounding_limit()?,
            gift_card_product_number: config_product_number(
                system,
                "gift_card_product",
                rounding::DEFAULT_GIFT_CARD_PRODUCT,
            )?,
            gift_card_product_group_number: config.optional_whole_number(
                "gift_card_product_group_number",
                "the product group (a liability account without VAT) Ferry makes the gift-card product in",
            )?,
        };
        let base = base(system, &http)?;
        let (mut headers, key) = agreement(&config, credentials)?;
        let pacer = http.pacer(
            &key,
            calls_per_second(system)? * PACE_WINDOW.as_secs() as usize,
            PACE_WINDOW,
        );
        let known = http.lookups(&key);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(Self {
            base,
            settings,
            api: Api::new(SYSTEM, http, headers, pacer, DEFAULT_PAUSE),
            known,
            base_currency: config.currency_code("base_currency")?,
        })
    }

    pub(super) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
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

    /// The first item of `segments` that `filter` matches, in the order of
    /// `sort` when given (`customerNumber`), else e-conomic's own.
    pub(super) async fn first_match(
        &self,
        segments: &[&str],
        filter: String,
        sort: Option<&str>,
        what: &str,
    ) -> Result<Option<Value>, ConnectorError> {
        let mut url = self.url(segments);
        url.query_pairs_mut()
            .append_pair("filter", &filter)
            .append_pair("pagesize", "1");
        if let Some(sort) = sort {
            url.query_pairs_mut().append_pair("sort", sort);
        }
        let body = Self::json(self.api.call(Method::GET, url, None).await?, what)?;
        Ok(body
            .get("collection")
            .and_then(Value::as_array)
            .and_then(|items| items.first())
            .cloned())
    }

    async fn find_in(
        &self,
        place: &Place,
        e_number: &str,
    ) -> Result<Option<Delivered>, ConnectorError> {
        let filter = format!("references.other$eq:{}", filter_value(e_number));
        let Some(found) = self
            .first_match(&place.path, filter, None, "document search")
            .await?
        else {
            return Ok(None);
        };
        let number = number_field(&found, place.number_field)
            .ok_or_else(|| missing_number(place.number_field, "document search"))?;
        self.check_held(&found, number)?;
        Ok(Some(Delivered {
            number: number.to_string(),
            sent: serde_json::to_vec(&found).unwrap_or_default(),
            warnings: Vec::new(),
        }))
    }

    /// A document Ferry held as a draft because its totals differed is
    /// taken only once its gross is the webshop's total (the bookkeeper
    /// corrected it); until then the transfer fails in words, and the
    /// draft is neither linked nor booked.
    fn check_held(&self, found: &Value, number: u64) -> Result<(), ConnectorError> {
        let note = found
            .get("notes")
            .and_then(|n| n.get("textLine1"))
            .and_then(Value::as_str);
        let gross = found.get("grossAmount").and_then(decimal_of);
        let currency = found
            .get("currency")
            .and_then(Value::as_str)
            .unwrap_or_default();
        rounding::check_held(note, gross, self.settings.rounding_limit, currency)
            .map_err(|held| ConnectorError::permanent(format!("{SYSTEM} draft {number}: {held}")))
    }

    async fn ensure_customer(&self, order: &Order) -> Result<u64, ConnectorError> {
        let wanted = mapping::customer(order, &self.settings);
        // Email identifies a person; a name only when there is nothing better.
        let filter = match &wanted.email {
            Some(email) => format!("email$eq:{}", filter_value(email)),
            None => format!("name$eq:{}", filter_value(&wanted.name)),
        };
        let question = format!("customer:{filter}");
        if let Some(number) = self.known.get(&question).and_then(|n| n.parse().ok()) {
            return Ok(number);
        }
        // e-conomic has no unique key for customers: search and create in
        // turn, so that two orders of one new customer make one customer.
        let _turn = self.known.one_at_a_time(&question).await;
        if let Some(number) = self.known.get(&question).and_then(|n| n.parse().ok()) {
            return Ok(number);
        }
        if let Some(number) = self.first_customer(&filter).await? {
            self.known.remember(&question, &number.to_string());
            return Ok(number);
        }
        let body = to_json(&wanted)?;
        let created = Self::json(
            self.api
                .call(Method::POST, self.url(&["customers"]), Some(body))
                .await?,
            "customer",
        )?;
        let made = number_field(&created, "customerNumber")
            .ok_or_else(|| missing_number("customerNumber", "customer"))?;
        let number = self.keep_the_first_customer(&filter, made).await?;
        self.known.remember(&question, &number.to_string());
        Ok(number)
    }

    /// The lowest customer number that `filter` matches: the customer made
    /// first.
    async fn first_customer(&self, filter: &str) -> Result<Option<u64>, ConnectorError> {
        let found = self
            .first_match(
                &["customers"],
                filter.to_owned(),
                Some("customerNumber"),
                "customer search",
            )
            .await?;
        found
            .map(|customer| {
                number_field(&customer, "customerNumber")
                    .ok_or_else(|| missing_number("customerNumber", "customer search"))
            })
            .transpose()
    }

    /// The turn of [`Self::ensure_customer`] holds within one process only:
    /// another (a second Lambda instance) may have made the same customer at
    /// the same moment. So after making one, look again: the first customer
    /// (the lowest number, made first) is the customer, and one made later
    /// here is deleted (it has no documents yet); every racer ends on the
    /// same customer. A failed delete is logged and leaves a spare customer.
    async fn keep_the_first_customer(
        &self,
        filter: &str,
        made: u64,
    ) -> Result<u64, ConnectorError> {
        let first = self.first_customer(filter).await?.unwrap_or(made);
        if first >= made {
            return Ok(made);
        }
        let url = self.url(&["customers", &made.to_string()]);
        let failure = match self.api.call(Method::DELETE, url, None).await {
            Ok(reply) if reply.status.is_success() => None,
            Ok(reply) => Some(format!("HTTP {}", reply.status.as_u16())),
            Err(error) => Some(error.to_string()),
        };
        if let Some(failure) = failure {
            tracing::warn!(
                customer = made,
                %failure,
                "a customer made at the same moment as customer {first} could not be deleted"
            );
        }
        Ok(first)
    }

    async fn product_exists(&self, product_number: &str) -> Result<bool, ConnectorError> {
        let question = format!("product:{product_number}");
        if self.known.get(&question).is_some() {
            return Ok(true);
        }
        let reply = self
            .api
            .call(Method::GET, self.url(&["products", product_number]), None)
            .await?;
        match reply.status {
            s if s.is_success() => {
                self.known.remember(&question, "");
                Ok(true)
            }
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(Self::refused(
                &reply,
                &format!("lookup of product '{product_number}'"),
            )),
        }
    }

    async fn ensure_products(&self, order: &Order) -> Result<(), ConnectorError> {
        for product in mapping::products(order, &self.settings)? {
            if self.product_exists(&product.product_number).await? {
                continue;
            }
            if let Some(setting) = product.unnamed_group {
                return Err(ConnectorError::permanent(format!(
                    "{SYSTEM} has no product '{}' and {setting} is not set: create the product in \
                     a product group whose sales account has no VAT, or set {setting} to such a \
                     group in the system's settings",
                    product.product_number
                )));
            }
            let body = to_json(&product)?;
            let reply = self
                .api
                .call(Method::POST, self.url(&["products"]), Some(body))
                .await?;
            if reply.status.is_success() {
                self.known
                    .remember(&format!("product:{}", product.product_number), "");
                continue;
            }
            // Another transfer may have created it a moment ago.
            if reply.status == StatusCode::BAD_REQUEST
                && self.product_exists(&product.product_number).await?
            {
                continue;
            }
            return Err(Self::refused(
                &reply,
                &format!("product '{}'", product.product_number),
            ));
        }
        Ok(())
    }

    /// Marks a draft e-conomic totals otherwise than the webshop as held
    /// (`PUT` of the document with the reason in `notes.textLine1`), so a
    /// retry neither links nor books it until it is corrected. A mark that
    /// cannot be written fails the transfer for good all the same: a
    /// merchant's retry would then link the unmarked draft, which the
    /// failure's words warn of.
    async fn hold(
        &self,
        place: &Place,
        number: u64,
        mut document: mapping::Document,
        differ: &rounding::TotalsDiffer,
    ) -> Result<(), ConnectorError> {
        document.notes.text_line1 = Some(differ.note());
        let body = to_json(&document)?;
        let url = self.url(&[place.path[0], place.path[1], &number.to_string()]);
        match self.api.call(Method::PUT, url, Some(body)).await {
            Ok(reply) if reply.status.is_success() => Ok(()),
            Ok(reply) => Err(ConnectorError::permanent(format!(
                "{SYSTEM} draft {number}: {differ}; Ferry could not mark the draft as held ({}) — \
                 correct or delete it before retrying",
                reply.status.as_u16()
            ))),
            Err(error) => Err(ConnectorError::permanent(format!(
                "{SYSTEM} draft {number}: {differ}; Ferry could not mark the draft as held \
                 ({error}) — correct or delete it before retrying"
            ))),
        }
    }

    pub(super) async fn book(
        &self,
        draft_number: u64,
        sent: Vec<u8>,
    ) -> Result<Delivered, ConnectorError> {
        let body = serde_json::json!({ "draftInvoice": { "draftInvoiceNumber": draft_number } });
        let body =
            serde_json::to_vec(&body).map_err(|e| ConnectorError::permanent(e.to_string()))?;
        let reply = self
            .api
            .call(Method::POST, self.url(&BOOKED_INVOICES.path), Some(body))
            .await?;
        let booked = Self::json(reply, &format!("booking of draft invoice {draft_number}"))?;
        let number = number_field(&booked, BOOKED_INVOICES.number_field)
            .ok_or_else(|| missing_number(BOOKED_INVOICES.number_field, "booking"))?;
        Ok(Delivered {
            number: number.to_string(),
            sent,
            warnings: Vec::new(),
        })
    }
}

#[async_trait]
impl Target for Economic {
    async fn find_document(
        &self,
        e_number: &str,
        kind: DocumentKind,
    ) -> Result<Option<Delivered>, ConnectorError> {
        let places: &[&Place] = match kind {
            // A draft may have been booked by hand since.
            DocumentKind::DraftInvoice => &[&DRAFT_INVOICES, &BOOKED_INVOICES],
            // An unbooked draft is not done yet: `deliver_order` books it.
            DocumentKind::BookedInvoice => &[&BOOKED_INVOICES],
            DocumentKind::Order => &[&DRAFT_ORDERS],
        };
        for place in places {
            if let Some(found) = self.find_in(place, e_number).await? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    async fn deliver_order(
        &self,
        order: &Order,
        kind: DocumentKind,
    ) -> Result<Delivered, ConnectorError> {
        // Everything that can be refused without asking e-conomic is refused first.
        let lines = mapping::lines(order, &self.settings)?;
        match self.deliver(order, kind, lines).await {
            Err(error) if !self.is_likely_base(&order.currency) => {
                Err(self.explain_refusal(order, error).await)
            }
            result => result,
        }
    }

    async fn test_credentials(&self) -> Result<(), ConnectorError> {
        Self::json(
            self.api
                .call(Method::GET, self.url(&["self"]), None)
                .await?,
            "credentials check",
        )
        .map(|_| ())
    }

    // Payments: `super::payments`.
    async fn payment_invoice(
        &self,
        e_number: &str,
    ) -> Result<Option<LedgerInvoice>, ConnectorError> {
        self.invoice_of(e_number).await
    }

    async fn book_invoice(&self, invoice: &LedgerInvoice) -> Result<LedgerInvoice, ConnectorError> {
        self.book_draft(invoice).await
    }

    async fn find_payment(
        &self,
        payment: &Payment,
        _invoice: &LedgerInvoice,
        booking: &PaymentBooking,
    ) -> Result<Option<Delivered>, ConnectorError> {
        self.voucher_of(payment, booking).await
    }

    async fn book_payment(
        &self,
        payment: &Payment,
        invoice: &LedgerInvoice,
        booking: &PaymentBooking,
    ) -> Result<Delivered, ConnectorError> {
        self.make_voucher(payment, invoice, booking).await
    }
}

impl Economic {
    /// Makes the customer, the products and the document (see
    /// [`Target::deliver_order`]).
    async fn deliver(
        &self,
        order: &Order,
        kind: DocumentKind,
        lines: Vec<mapping::Line>,
    ) -> Result<Delivered, ConnectorError> {
        if kind == DocumentKind::BookedInvoice {
            // A held draft is refused by `find_in` until it is corrected.
            if let Some(draft) = self.find_in(&DRAFT_INVOICES, &order.e_number).await? {
                let number = draft
                    .number
                    .parse()
                    .map_err(|_| missing_number("draftInvoiceNumber", "draft invoice"))?;
                return self.book(number, draft.sent).await;
            }
        }
        let customer_number = self.ensure_customer(order).await?;
        self.ensure_products(order).await?;
        let mut mapped = mapping::document(order, &self.settings, customer_number, lines);
        mapped.document.exchange_rate = self.exchange_rate(order).await?;
        for warning in &mapped.warnings {
            tracing::warn!(e_number = %order.e_number, "{warning}");
        }
        let (place, what) = match kind {
            DocumentKind::Order => (&DRAFT_ORDERS, "order"),
            DocumentKind::DraftInvoice | DocumentKind::BookedInvoice => {
                (&DRAFT_INVOICES, "invoice")
            }
        };
        // Totals too far apart: the document is made, as a draft only.
        let held = match &mapped.balance {
            Balance::TooFar(differ) => Some(differ.clone()),
            Balance::Exact | Balance::Rounded(_) => None,
        };
        // Written once: these bytes are sent, and kept as the document sent.
        let sent = to_json(&mapped.document)?;
        let reply = self
            .api
            .call(Method::POST, self.url(&place.path), Some(sent.clone()))
            .await?;
        if !reply.status.is_success() {
            // Perhaps a remembered customer or product is gone: ask again next time.
            self.known.forget_all();
        }
        let created = Self::json(reply, what)?;
        let number = number_field(&created, place.number_field)
            .ok_or_else(|| missing_number(place.number_field, what))?;
        // e-conomic's own gross, read back: its VAT codes may not be the
        // shop's rates. A document it totals otherwise is held too.
        let held = match held {
            Some(differ) => Some(differ),
            None => {
                let read_back = created
                    .get("grossAmount")
                    .and_then(decimal_of)
                    .and_then(|gross| {
                        rounding::read_back(
                            gross,
                            order.totals.total,
                            self.settings.rounding_limit,
                            &order.currency,
                        )
                    });
                if let Some(differ) = &read_back {
                    self.hold(place, number, mapped.document.clone(), differ)
                        .await?;
                }
                read_back
            }
        };
        if let Some(differ) = held {
            return Err(ConnectorError::permanent(format!(
                "{SYSTEM} {what} left as draft {number}: {differ}"
            )));
        }
        let delivered = if kind == DocumentKind::BookedInvoice {
            self.book(number, sent).await?
        } else {
            Delivered {
                number: number.to_string(),
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
    use std::collections::BTreeMap;

    fn system(config: Value) -> System {
        System {
            id: SystemId::generate(),
            tenant: TenantId::generate(),
            kind: SystemKind::Economic,
            name: "Books".into(),
            config: config.as_object().cloned().unwrap_or_default(),
            credentials: SealedCredentials::default(),
            health: CredentialHealth::default(),
            scope: Scope::default(),
            active: true,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn credentials() -> Credentials {
        let mut map = BTreeMap::new();
        map.insert("app_secret_token".into(), "secret".into());
        map.insert("agreement_grant_token".into(), "grant".into());
        Credentials(map)
    }

    fn config() -> Value {
        serde_json::json!({
            "layout_number": 19, "payment_terms_number": "1", "vat_zone_number": 1,
            "customer_group_number": 1, "product_group_number": 2
        })
    }

    #[test]
    fn a_single_field_error_reads_as_one_sentence() {
        let body = serde_json::json!({
            "message": "Validation error.", "logId": "c7ca5bc2", "httpStatusCode": 400,
            "errors": { "lines": [ { "arrayIndex": 0, "unitNetPrice": { "errors": [
                { "errorCode": "E04740", "message": "unitNetPrice scale cannot be greater then two decimal places.", "value": 10.12345 }
            ] } } ] }
        });
        let reply = Reply {
            status: StatusCode::BAD_REQUEST,
            headers: HeaderMap::new(),
            body: serde_json::to_vec(&body).unwrap(),
        };
        assert_eq!(
            Economic::refused(&reply, "invoice"),
            ConnectorError::permanent(
                "e-conomic refused the invoice: lines[0].unitNetPrice: unitNetPrice scale cannot be greater then two decimal places. (E04740; log id c7ca5bc2)"
            )
        );
    }

    #[test]
    fn sorts_refusals_by_status() {
        let reply = |status: u16, body: &str| Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        };
        let unauthorized = r#"{"message":"The agreement grant token is not valid.","errorCode":"E00510","logId":"ab12"}"#;
        match Economic::refused(&reply(401, unauthorized), "customer") {
            ConnectorError::Unauthorized { message } => {
                assert!(
                    message
                        .contains("The agreement grant token is not valid. (E00510; log id ab12)"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Economic::refused(&reply(503, "<html>"), "invoice"),
            ConnectorError::Transient { .. }
        ));
        assert_eq!(
            Economic::refused(&reply(404, ""), "invoice"),
            ConnectorError::permanent("e-conomic refused the invoice (404)")
        );
        assert_eq!(describe_error(b"not json"), "");
    }

    #[test]
    fn escapes_filter_operators() {
        assert_eq!(filter_value("#1001"), "#1001");
        assert_eq!(filter_value("a$b(c)d*e,f[g]"), "a$$b$(c$)d$*e$,f$[g$]");
        assert_eq!(filter_value("Smith, John (VIP)"), "Smith$, John $(VIP$)");
    }

    #[test]
    fn reads_the_configuration_and_names_what_is_missing() {
        let http = HttpClient::default();
        assert!(Economic::new(&system(config()), &credentials(), http.clone()).is_ok());

        let mut without = config();
        without.as_object_mut().unwrap().remove("vat_zone_number");
        let error = Economic::new(&system(without), &credentials(), http.clone())
            .err()
            .unwrap();
        assert_eq!(error.field, "vat_zone_number");
        assert!(error.message.contains("VAT zone"), "{}", error.message);

        let mut wrong = config();
        wrong["layout_number"] = serde_json::json!("nineteen");
        let error = Economic::new(&system(wrong), &credentials(), http.clone())
            .err()
            .unwrap();
        assert_eq!(error.field, "layout_number");
        assert!(error.message.contains("whole number"));

        let mut long = config();
        long["shipping_product_number"] = serde_json::json!("S".repeat(26));
        let error = Economic::new(&system(long), &credentials(), http.clone())
            .err()
            .unwrap();
        assert_eq!(error.field, "shipping_product_number");

        let mut faster = config();
        faster["calls_per_second"] = serde_json::json!(40);
        assert!(Economic::new(&system(faster), &credentials(), http.clone()).is_ok());
        for bad in [
            serde_json::json!(0),
            serde_json::json!(101),
            serde_json::json!("fast"),
        ] {
            let mut pace = config();
            pace["calls_per_second"] = bad;
            let error = Economic::new(&system(pace), &credentials(), http.clone())
                .err()
                .unwrap();
            assert_eq!(error.field, "calls_per_second");
        }

        let mut rounded = config();
        rounded["rounding_limit"] = serde_json::json!("0.10");
        rounded["rounding_product_group_number"] = serde_json::json!(9);
        assert!(Economic::new(&system(rounded), &credentials(), http.clone()).is_ok());
        for (field, bad) in [
            ("rounding_limit", serde_json::json!("-1")),
            ("rounding_limit", serde_json::json!("0.005")),
            ("rounding_limit", serde_json::json!("a euro")),
            ("rounding_limit", serde_json::json!(true)),
            ("rounding_product", serde_json::json!("R".repeat(26))),
            ("rounding_product_group_number", serde_json::json!("nine")),
            ("gift_card_product_group_number", serde_json::json!(-8)),
        ] {
            let mut wrong = config();
            wrong[field] = bad;
            let error = Economic::new(&system(wrong), &credentials(), http.clone())
                .err()
                .unwrap();
            assert_eq!(error.field, field, "{}", error.message);
        }

        let error = Economic::new(&system(config()), &Credentials::default(), http)
            .err()
            .unwrap();
        assert_eq!(error.field, "app_secret_token");
    }

    #[test]
    fn urls_keep_a_product_number_in_one_segment() {
        let economic =
            Economic::new(&system(config()), &credentials(), HttpClient::default()).unwrap();
        assert_eq!(
            economic.url(&["products", "AB/C 1"]).as_str(),
            "https://restapi.e-conomic.com/products/AB%2FC%201"
        );
    }
}
