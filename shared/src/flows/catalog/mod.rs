//! Products, stock and customers, from the ERP to the webshop.
//!
//! The ERP (e-conomic, Fortnox) is the master of the catalogue and of the
//! customers; the webshop (Shopify, WooCommerce) must not sell what the
//! warehouse does not have. A connection whose entity is `products` sends
//! prices, one whose entity is `stock` sends stock levels, one whose entity
//! is `customers` creates and updates the shop's customer accounts.
//!
//! - [`poll`]: a poll of the connection's ERP on its schedule (or "sync
//!   now"): every page of the catalogue is read, each item compared with
//!   the fingerprint of what was last sent, and only the changes recorded.
//!   An unchanged catalogue costs the paged reads and one store read.
//! - [`record`]: a changed item becomes (or refreshes) its transfer, one
//!   per connection and SKU, like an order: pending, enqueued, in the log
//!   (the one recorder, `crate::pipeline::record`, with the rule that the
//!   shop follows the ERP).
//! - [`deliver`]: sending an item: find the shop's variant by SKU (none,
//!   or several, fail with that reason), set its price or its stock per
//!   location.
//! - [`customers`]: the same for a customer: found by e-mail, created when
//!   the shop has none, updated when it has one (several fail).
//! - [`flow`]: the flow for all three ([`CatalogFlow`]): decide, send (with
//!   `deliver` or `customers`), and remember the fingerprint of what was
//!   sent; the one delivery loop (`crate::pipeline::deliver`) claims and
//!   settles.
//!
//! Matching is by SKU, exactly. Stock goes to the shop's locations through
//! the target system's `stock_locations` setting, a map from the ERP's
//! warehouse to the shop's location id (`{"default": "655441491"}`); a shop
//! with one location needs no map.

pub mod customers;
pub mod deliver;
pub mod flow;
pub mod poll;
pub mod record;

pub use deliver::deliver_catalog_item;
pub use flow::CatalogFlow;
