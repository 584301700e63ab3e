//! The catalogue as the ERP keeps it: what flows from the books to the shop
//! on `products`, `stock` and `customers` connections.
//!
//! The ERP is the master. One [`CatalogItem`] is one product (or article)
//! with its SKU, name, sales price and stock per warehouse. A `products`
//! connection sends the price, a `stock` connection the stock; each sends an
//! item again only when the part it sends changed (see [`CatalogItem::fingerprint`]).
//! A `customers` connection sends [`CustomerRecord`]s the same way; [`Synced`]
//! is either, as the catalogue machinery handles them.

use super::connection::Entity;
use super::customer_record::CustomerRecord;
use super::system::SystemKind;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The warehouse name used when the ERP keeps one stock figure per item.
pub const DEFAULT_WAREHOUSE: &str = "default";

/// One item of the ERP's catalogue, in Ferry's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogItem {
    /// The ERP's own number of the item (e-conomic `productNumber`,
    /// Fortnox `ArticleNumber`).
    pub number: String,
    /// What the webshop knows the item by; `None` when the field the system
    /// is set to take the SKU from is empty.
    pub sku: Option<String>,
    pub name: String,
    /// The sales price as the ERP lists it; `None` when it has none.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub price: Option<Decimal>,
    /// Stock on hand per warehouse ([`DEFAULT_WAREHOUSE`] when the ERP
    /// keeps one figure). Empty when the ERP keeps no stock for the item.
    #[serde(default)]
    pub stock: BTreeMap<String, Decimal>,
}

impl CatalogItem {
    /// The key an item is tracked by on a connection: its SKU, or its ERP
    /// number when it has none (so that it still shows, and fails, once).
    pub fn key(&self) -> String {
        match &self.sku {
            Some(sku) => sku.clone(),
            None => format!("no-sku:{}", self.number),
        }
    }

    /// A short digest of what `entity` sends of this item: the price for
    /// products, the stock per warehouse for stock. Equal fingerprints mean
    /// there is nothing new to send. The SKU is part of it, so an item
    /// whose SKU changes is sent again.
    pub fn fingerprint(&self, entity: Entity) -> String {
        let mut hash = Sha256::new();
        hash.update(self.sku.as_deref().unwrap_or("").as_bytes());
        hash.update([0u8]);
        match entity {
            Entity::Stock => {
                for (warehouse, quantity) in &self.stock {
                    hash.update(warehouse.as_bytes());
                    hash.update([1u8]);
                    hash.update(quantity.normalize().to_string().as_bytes());
                    hash.update([0u8]);
                }
            }
            _ => {
                if let Some(price) = self.price {
                    hash.update(price.normalize().to_string().as_bytes());
                }
            }
        }
        hash.finalize()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Stock across every warehouse. Saturating: the levels come from the
    /// ERP unbounded, and a sum beyond `Decimal` is more than any shop
    /// counts anyway (see `shop_quantity`).
    pub fn total_stock(&self) -> Decimal {
        self.stock
            .values()
            .fold(Decimal::ZERO, |sum, quantity| sum.saturating_add(*quantity))
    }
}

/// What a catalogue connection keeps the shop in step with: an item of the
/// catalogue (`products`, `stock`) or a customer (`customers`). Stored as
/// the inner record's JSON; [`Synced::read`] reads it back by entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Synced {
    Item(CatalogItem),
    Customer(CustomerRecord),
}

impl Synced {
    /// Reads a record stored for a connection of `entity`.
    pub fn read(entity: Entity, raw: &[u8]) -> Result<Synced, serde_json::Error> {
        Ok(match entity {
            Entity::Customers => Synced::Customer(serde_json::from_slice(raw)?),
            _ => Synced::Item(serde_json::from_slice(raw)?),
        })
    }

    /// The key it is tracked by on a connection (SKU, e-mail).
    pub fn key(&self) -> String {
        match self {
            Synced::Item(item) => item.key(),
            Synced::Customer(customer) => customer.key(),
        }
    }

    /// The ERP's own number.
    pub fn number(&self) -> &str {
        match self {
            Synced::Item(item) => &item.number,
            Synced::Customer(customer) => &customer.number,
        }
    }

    /// What the log shows: the SKU or e-mail, else the ERP's number.
    pub fn reference(&self) -> String {
        match self {
            Synced::Item(item) => item.sku.as_ref(),
            Synced::Customer(customer) => customer.email.as_ref(),
        }
        .cloned()
        .unwrap_or_else(|| self.number().to_owned())
    }

    /// The digest of what a connection of `entity` sends of it.
    pub fn fingerprint(&self, entity: Entity) -> String {
        match self {
            Synced::Item(item) => item.fingerprint(entity),
            Synced::Customer(customer) => customer.fingerprint(),
        }
    }

    /// What the key is, and what the records are, in the merchant's words:
    /// ("SKU", "item"), ("e-mail", "customer").
    pub fn words(&self) -> (&'static str, &'static str) {
        match self {
            Synced::Item(_) => ("SKU", "item"),
            Synced::Customer(_) => ("e-mail", "customer"),
        }
    }
}

impl Entity {
    /// Products, stock and customers flow from the ERP to the webshop.
    pub fn is_catalog(self) -> bool {
        matches!(self, Entity::Products | Entity::Stock | Entity::Customers)
    }

    /// The word a merchant reads: "orders", "products", "stock", "customers".
    pub fn word(self) -> &'static str {
        match self {
            Entity::Orders => "orders",
            Entity::Products => "products",
            Entity::Stock => "stock",
            Entity::Customers => "customers",
        }
    }
}

impl SystemKind {
    /// Keeps the catalogue (the master of products and stock).
    pub fn keeps_catalog(self) -> bool {
        matches!(self, SystemKind::Economic | SystemKind::Fortnox)
    }

    /// Sells from a catalogue Ferry keeps up to date.
    pub fn sells_catalog(self) -> bool {
        matches!(self, SystemKind::Shopify | SystemKind::Woocommerce)
    }
}

/// Whether a connection of `entity` may run from `source` to `target`; the
/// error names the field at fault and says why, for the API to answer.
/// Orders run from a webshop to the books; products and stock the other way.
pub fn check_direction(
    entity: Entity,
    source: SystemKind,
    target: SystemKind,
) -> Result<(), (&'static str, String)> {
    let (source_ok, target_ok) = if entity.is_catalog() {
        (source.keeps_catalog(), target.sells_catalog())
    } else {
        (source.is_source(), target.is_target())
    };
    if !source_ok {
        return Err((
            "source",
            format!(
                "{} cannot be a source of {}",
                source.display_name(),
                entity.word()
            ),
        ));
    }
    if !target_ok {
        return Err((
            "target",
            format!(
                "{} cannot be a target of {}",
                target.display_name(),
                entity.word()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> CatalogItem {
        CatalogItem {
            number: "100".into(),
            sku: Some("MUG-RED".into()),
            name: "Red mug".into(),
            price: Some(Decimal::new(9950, 2)),
            stock: BTreeMap::from([(DEFAULT_WAREHOUSE.to_owned(), Decimal::from(12))]),
        }
    }

    #[test]
    fn a_fingerprint_follows_only_what_the_entity_sends() {
        let base = item();
        let mut renamed = base.clone();
        renamed.name = "Crimson mug".into();
        assert_eq!(
            base.fingerprint(Entity::Products),
            renamed.fingerprint(Entity::Products)
        );
        let mut cheaper = base.clone();
        cheaper.price = Some(Decimal::new(8950, 2));
        assert_ne!(
            base.fingerprint(Entity::Products),
            cheaper.fingerprint(Entity::Products)
        );
        assert_eq!(
            base.fingerprint(Entity::Stock),
            cheaper.fingerprint(Entity::Stock)
        );
        let mut sold = base.clone();
        sold.stock
            .insert(DEFAULT_WAREHOUSE.into(), Decimal::from(11));
        assert_ne!(
            base.fingerprint(Entity::Stock),
            sold.fingerprint(Entity::Stock)
        );
    }

    #[test]
    fn the_same_amount_written_differently_is_the_same_fingerprint() {
        let mut a = item();
        let mut b = item();
        a.price = Some(Decimal::new(995, 1));
        b.price = Some(Decimal::new(9950, 2));
        assert_eq!(
            a.fingerprint(Entity::Products),
            b.fingerprint(Entity::Products)
        );
        a.stock.insert("B".into(), Decimal::new(30, 1));
        b.stock.insert("B".into(), Decimal::from(3));
        assert_eq!(a.fingerprint(Entity::Stock), b.fingerprint(Entity::Stock));
    }

    #[test]
    fn items_without_sku_are_keyed_by_their_number() {
        let mut no_sku = item();
        no_sku.sku = None;
        assert_eq!(no_sku.key(), "no-sku:100");
        assert_eq!(item().key(), "MUG-RED");
    }

    #[test]
    fn catalog_connections_run_from_the_books_to_the_shop() {
        use SystemKind::*;
        assert!(check_direction(Entity::Products, Economic, Shopify).is_ok());
        assert!(check_direction(Entity::Stock, Fortnox, Woocommerce).is_ok());
        assert_eq!(
            check_direction(Entity::Stock, Shopify, Economic)
                .unwrap_err()
                .0,
            "source"
        );
        assert!(check_direction(Entity::Customers, Economic, Woocommerce).is_ok());
        assert_eq!(
            check_direction(Entity::Customers, Shopify, Fortnox)
                .unwrap_err()
                .0,
            "source"
        );
        assert!(check_direction(Entity::Orders, Shopify, Economic).is_ok());
        assert_eq!(
            check_direction(Entity::Orders, Economic, Shopify)
                .unwrap_err()
                .0,
            "source"
        );
    }

    #[test]
    fn a_stored_record_is_read_back_by_entity() {
        let synced = Synced::Item(item());
        let raw = serde_json::to_vec(&synced).unwrap();
        assert_eq!(
            raw,
            serde_json::to_vec(&item()).unwrap(),
            "stored as the item itself"
        );
        assert_eq!(Synced::read(Entity::Stock, &raw).unwrap(), synced);
        let customer = Synced::Customer(CustomerRecord {
            number: "7".into(),
            name: "Acme".into(),
            email: Some("a@acme.dk".into()),
            ..CustomerRecord::default()
        });
        let raw = serde_json::to_vec(&customer).unwrap();
        assert_eq!(Synced::read(Entity::Customers, &raw).unwrap(), customer);
        assert_eq!(customer.reference(), "a@acme.dk");
        assert_eq!(Synced::Item(item()).reference(), "MUG-RED");
    }

    #[test]
    fn round_trips_as_json() {
        let json = serde_json::to_string(&item()).unwrap();
        assert!(json.contains("\"price\":\"99.50\""), "{json}");
        let back: CatalogItem = serde_json::from_str(&json).unwrap();
        assert_eq!(back, item());
    }
}
