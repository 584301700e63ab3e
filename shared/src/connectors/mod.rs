//! The ports to the external systems: the [`Source`] and [`Target`] traits
//! (and, for the reverse flows, [`catalog`] and [`customers`]), the errors
//! every connector answers with, and [`ConnectorFactory`], which builds the
//! connector of a system ([`Connectors`] the real one; tests hand a fake).
//!
//! One folder per external system: `economic/`, `fortnox/`, `shopify/`,
//! `woocommerce/`; a platform's quirks stay inside its folder. What they
//! share: [`http`] (the one REST client: paced calls, refusals sorted,
//! settings and credentials read, the pacer key), [`address`] (where each
//! kind of system may connect), [`signature`] (the webhook HMAC of both
//! webshops) and `webshop` (reading a shop's order, and its money
//! arithmetic). Every connector takes a base URL (`config.base_url`) so that
//! tests and demos point it at a sandbox. The documents sent to a ledger are
//! made by `crate::mapping`, which sits below the connectors and knows none.

pub mod address;
pub mod catalog;
pub mod customers;
pub mod economic;
pub mod fortnox;
pub mod http;
pub mod payments;
pub mod shopify;
pub mod signature;
pub mod woocommerce;
// Helpers the two webshop sources share.
mod webshop;

use crate::mapping::MappingError;
use crate::model::{CurrencyChoice, DocumentKind, Order, Payment, System, SystemKind};
use crate::seal::Credentials;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// Why a call to a remote system did not succeed, sorted by what helps.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectorError {
    /// Worth retrying later: connect errors, timeouts, 5xx, 429.
    #[error("{message}")]
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Retrying the same data will not help: validation errors, missing
    /// product numbers. The message says what the merchant can do.
    #[error("{message}")]
    Permanent { message: String },
    /// The remote refused the credentials (401/403): the system is unhealthy.
    #[error("{message}")]
    Unauthorized { message: String },
}

/// A document the mapping refuses is refused for good: the same order maps
/// the same way on every retry. Here rather than in `mapping`, so that the
/// mapping knows no connector (it sits below them).
impl From<MappingError> for ConnectorError {
    fn from(error: MappingError) -> Self {
        ConnectorError::permanent(error.to_string())
    }
}

impl ConnectorError {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent {
            message: message.into(),
        }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient {
            message: message.into(),
            retry_after: None,
        }
    }
}

/// A webhook request as it arrived: the raw body and its headers.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    pub headers: &'a ::http::HeaderMap,
    pub body: &'a [u8],
}

/// What a verified webhook request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A set-up ping (WooCommerce's unsigned `webhook_id=N`): answer 200, store nothing.
    Ping,
    /// A signed delivery of a record.
    Delivery(DeliveryInfo),
}

/// What the sender's headers say about a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryInfo {
    /// The sender's id of this delivery, for dropping duplicates
    /// (Shopify `X-Shopify-Event-Id` / `X-Shopify-Webhook-Id`,
    /// WooCommerce `X-WC-Webhook-Delivery-ID`).
    pub delivery_id: Option<String>,
    /// `orders/create`, `order.updated`, ...
    pub topic: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the request has no {header} header")]
    MissingSignature { header: &'static str },
    #[error("the {header} signature does not match the body")]
    BadSignature { header: &'static str },
    #[error("the system has no webhook secret: add one under its credentials")]
    NoSecret,
}

/// A body that could not be turned into an order; the message says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// A document created (or found) in the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    /// The target's document number ("12", "INV-1007").
    pub number: String,
    /// The document as sent: the very JSON bytes of the request, written
    /// once (or the document as found, when it already existed).
    pub sent: Vec<u8>,
    /// What the merchant should know about the document as sent (the
    /// mapping's warnings); none for a document found.
    pub warnings: Vec<String>,
}

/// One page of orders changed since a time, as the platform lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderPage {
    /// Each order as its own JSON document (the list's element written out
    /// again, the same resource a webhook carries), so a polled order is
    /// kept and parsed exactly like a webhook body.
    pub orders: Vec<Vec<u8>>,
    /// The token of the next page (opaque, the connector's own); `None` on
    /// the last page.
    pub next: Option<String>,
}

/// A webshop or marketplace: where orders come from.
#[async_trait]
pub trait Source: Send + Sync {
    /// Checks the sender's signature over the raw body (constant time).
    fn verify_webhook(&self, request: WebhookRequest<'_>) -> Result<Inbound, WebhookError>;
    /// Parses an order as this platform sends it (webhook body or REST resource).
    fn parse_order(&self, body: &[u8]) -> Result<Order, ParseError>;
    /// Parses an order in the money a connection books in (its `currency`
    /// setting). A platform with one currency per order (WooCommerce) reads
    /// it as [`Self::parse_order`] does.
    fn parse_order_in(&self, body: &[u8], money: CurrencyChoice) -> Result<Order, ParseError> {
        let _ = money;
        self.parse_order(body)
    }
    /// Calls a cheap authenticated endpoint.
    async fn test_credentials(&self) -> Result<(), ConnectorError>;
    /// One page of the orders changed at or after `since` (oldest change
    /// first where the platform allows it). `page` is `None` for the first
    /// page, else the `next` token of the page before.
    async fn poll_orders(
        &self,
        since: DateTime<Utc>,
        page: Option<&str>,
    ) -> Result<OrderPage, ConnectorError>;
    /// The payments of `order` the shop holds as paid (`raw`: the order as
    /// the shop sent it), each keyed by the shop's transaction id; none
    /// while the shop does not say paid (cash on delivery, bank transfer).
    /// Asked only for connections that book payments. A shop that reports
    /// no payments answers none.
    async fn payments(&self, _order: &Order, _raw: &[u8]) -> Result<Vec<Payment>, ConnectorError> {
        Ok(Vec::new())
    }
    /// A webhook about a payment rather than an order (Shopify's
    /// `order_transactions/create`): the payments it carries (none for a
    /// transaction that is no successful sale or capture). `None`: the
    /// webhook is about an order.
    fn parse_payment(
        &self,
        _topic: Option<&str>,
        _body: &[u8],
    ) -> Option<Result<Vec<Payment>, ParseError>> {
        None
    }
}

/// An accounting or ERP system: where orders go.
#[async_trait]
pub trait Target: Send + Sync {
    /// The document already made for this webshop number, if any: a retry
    /// after a crash links it instead of creating a second one.
    async fn find_document(
        &self,
        e_number: &str,
        kind: DocumentKind,
    ) -> Result<Option<Delivered>, ConnectorError>;
    /// Makes sure the customer and products exist, then creates the document.
    async fn deliver_order(
        &self,
        order: &Order,
        kind: DocumentKind,
    ) -> Result<Delivered, ConnectorError>;
    /// Calls a cheap authenticated endpoint.
    async fn test_credentials(&self) -> Result<(), ConnectorError>;
    /// The invoice made for this webshop number, as a payment of it sees
    /// it; `None` while there is none.
    async fn payment_invoice(
        &self,
        _e_number: &str,
    ) -> Result<Option<payments::LedgerInvoice>, ConnectorError> {
        Err(ConnectorError::permanent(
            "this ledger cannot book the shop's payments",
        ))
    }
    /// Books a draft invoice (e-conomic) or bookkeeps an invoice (Fortnox),
    /// so that a payment can be booked on it: the invoice as it is now.
    async fn book_invoice(
        &self,
        _invoice: &payments::LedgerInvoice,
    ) -> Result<payments::LedgerInvoice, ConnectorError> {
        Err(ConnectorError::permanent(
            "this ledger cannot book invoices for payments",
        ))
    }
    /// The payment already booked on `invoice` for `payment` (a retry after
    /// a crash links it instead of booking a second).
    async fn find_payment(
        &self,
        _payment: &Payment,
        _invoice: &payments::LedgerInvoice,
        _booking: &payments::PaymentBooking,
    ) -> Result<Option<Delivered>, ConnectorError> {
        Ok(None)
    }
    /// Books `payment` on `invoice`: its number is the voucher (e-conomic)
    /// or invoice payment (Fortnox) number.
    async fn book_payment(
        &self,
        _payment: &Payment,
        _invoice: &payments::LedgerInvoice,
        _booking: &payments::PaymentBooking,
    ) -> Result<Delivered, ConnectorError> {
        Err(ConnectorError::permanent(
            "this ledger cannot book the shop's payments",
        ))
    }
}

/// A system's configuration is missing or wrong; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{system}: {message}")]
pub struct ConfigError {
    pub system: String,
    pub field: String,
    pub message: String,
}

/// Builds the connector of a system: the one seam between Ferry's services
/// and the external systems (`Ferry::connectors`). [`Connectors`] is the
/// real one; a test hands Ferry a fake to deliver to a target in memory.
pub trait ConnectorFactory: Send + Sync {
    /// A webshop as a source of orders.
    fn source(
        &self,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Arc<dyn Source>, ConfigError>;
    /// A ledger as a target of orders.
    fn target(
        &self,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Arc<dyn Target>, ConfigError>;
    /// An ERP as the source of products and stock (and customers).
    fn catalog_source(
        &self,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Arc<dyn catalog::CatalogSource>, ConfigError>;
    /// A webshop as the target of products and stock.
    fn catalog_target(
        &self,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Arc<dyn catalog::CatalogTarget>, ConfigError>;
    /// The webshop of a `customers` connection.
    fn customer_target(
        &self,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Arc<dyn customers::CustomerTarget>, ConfigError>;
}

/// The real connectors; holds what connectors share in a process (the
/// HTTP client and the rate limiters per token).
#[derive(Clone)]
pub struct Connectors {
    pub http: http::HttpClient,
}

impl Connectors {
    pub fn new(http: http::HttpClient) -> Self {
        Self { http }
    }
}

impl ConnectorFactory for Connectors {
    fn source(
        &self,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Arc<dyn Source>, ConfigError> {
        match system.kind {
            SystemKind::Shopify => Ok(Arc::new(shopify::Shopify::new(
                system,
                credentials,
                self.http.clone(),
            )?)),
            SystemKind::Woocommerce => Ok(Arc::new(woocommerce::WooCommerce::new(
                system,
                credentials,
                self.http.clone(),
            )?)),
            other => Err(ConfigError {
                system: system.name.clone(),
                field: "kind".into(),
                message: format!("{} cannot be a source of orders", other.display_name()),
            }),
        }
    }

    fn target(
        &self,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Arc<dyn Target>, ConfigError> {
        match system.kind {
            SystemKind::Economic => Ok(Arc::new(economic::Economic::new(
                system,
                credentials,
                self.http.clone(),
            )?)),
            SystemKind::Fortnox => Ok(Arc::new(fortnox::Fortnox::new(
                system,
                credentials,
                self.http.clone(),
            )?)),
            other => Err(ConfigError {
                system: system.name.clone(),
                field: "kind".into(),
                message: format!("{} cannot be a target of orders", other.display_name()),
            }),
        }
    }

    // The reverse flows: the ERP's catalogue as a source, the webshop as a target.
    fn catalog_source(
        &self,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Arc<dyn catalog::CatalogSource>, ConfigError> {
        match system.kind {
            SystemKind::Economic => Ok(Arc::new(economic::EconomicCatalog::new(
                system,
                credentials,
                self.http.clone(),
            )?)),
            SystemKind::Fortnox => Ok(Arc::new(fortnox::FortnoxCatalog::new(
                system,
                credentials,
                self.http.clone(),
            )?)),
            other => Err(ConfigError {
                system: system.name.clone(),
                field: "kind".into(),
                message: format!(
                    "{} cannot be a source of products and stock",
                    other.display_name()
                ),
            }),
        }
    }

    fn catalog_target(
        &self,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Arc<dyn catalog::CatalogTarget>, ConfigError> {
        match system.kind {
            SystemKind::Shopify => Ok(Arc::new(shopify::Shopify::new(
                system,
                credentials,
                self.http.clone(),
            )?)),
            SystemKind::Woocommerce => Ok(Arc::new(woocommerce::WooCommerce::new(
                system,
                credentials,
                self.http.clone(),
            )?)),
            other => Err(ConfigError {
                system: system.name.clone(),
                field: "kind".into(),
                message: format!(
                    "{} cannot be a target of products and stock",
                    other.display_name()
                ),
            }),
        }
    }

    fn customer_target(
        &self,
        system: &System,
        credentials: &Credentials,
    ) -> Result<Arc<dyn customers::CustomerTarget>, ConfigError> {
        match system.kind {
            SystemKind::Shopify => Ok(Arc::new(shopify::Shopify::new(
                system,
                credentials,
                self.http.clone(),
            )?)),
            SystemKind::Woocommerce => Ok(Arc::new(woocommerce::WooCommerce::new(
                system,
                credentials,
                self.http.clone(),
            )?)),
            other => Err(ConfigError {
                system: system.name.clone(),
                field: "kind".into(),
                message: format!("{} cannot be a target of customers", other.display_name()),
            }),
        }
    }
}
