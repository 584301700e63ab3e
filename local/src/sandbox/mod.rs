//! Sandboxes on loopback that behave like the public APIs Ferry speaks:
//! their URL shapes, headers, signatures, validation rules, error bodies and
//! rate limits, with switchable faults. Used by `ferry-local --demo` and tests.

pub mod economic;
pub mod fortnox;
pub mod shopify;
/// What the Shopify and WooCommerce sandboxes share (generator, signing).
pub mod webshop;
pub mod woocommerce;
