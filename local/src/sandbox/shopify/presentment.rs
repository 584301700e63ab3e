//! A shop selling in another currency than its own (Shopify Markets): the
//! order is priced in the market's currency, what the customer sees and
//! pays (`presentment_currency`, each `*_set`'s `presentment_money`), and
//! every amount is converted to the shop's own currency at the shop's rate
//! (`currency`, each `shop_money`, and the plain fields such as `price`),
//! each rounded to the cent, as Shopify does.

use super::super::webshop::money;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Map, Value};
use std::str::FromStr;

/// The shop's own currency, when it is not the market's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopCurrency {
    /// ISO 4217 code of the shop's currency.
    pub currency: &'static str,
    /// The price of one unit of the market's currency in the shop's.
    pub rate: Decimal,
}

/// Plain totals Shopify keeps without a `*_set` beside them, and the total
/// they equal on a new order.
const CURRENT_TOTALS: [(&str, &str); 4] = [
    ("current_subtotal_price", "subtotal_price"),
    ("current_total_discounts", "total_discounts"),
    ("current_total_tax", "total_tax"),
    ("current_total_price", "total_price"),
];

impl ShopCurrency {
    fn convert(&self, amount: Decimal) -> Decimal {
        (amount * self.rate).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    }

    /// Turns an order priced in the market's currency (both moneys alike)
    /// into one whose shop money is in the shop's currency.
    pub fn apply(&self, order: &mut Value) {
        self.walk(order);
        if let Value::Object(map) = order {
            map.insert("currency".into(), json!(self.currency));
            for (current, total) in CURRENT_TOTALS {
                if let Some(value) = map.get(total).cloned() {
                    map.insert(current.into(), value);
                }
            }
        }
    }

    fn walk(&self, node: &mut Value) {
        match node {
            Value::Object(map) => {
                self.convert_sets(map);
                map.values_mut().for_each(|child| self.walk(child));
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.walk(item)),
            _ => {}
        }
    }

    /// Each `<field>_set` of `map`: its shop money, and `<field>` beside it.
    fn convert_sets(&self, map: &mut Map<String, Value>) {
        let sets: Vec<String> = map
            .keys()
            .filter(|k| k.ends_with("_set"))
            .cloned()
            .collect();
        for key in sets {
            let Some(amount) = map[&key]
                .pointer("/presentment_money/amount")
                .and_then(Value::as_str)
                .and_then(|text| Decimal::from_str(text).ok())
            else {
                continue;
            };
            let shop = money(self.convert(amount));
            map[&key]["shop_money"] = json!({ "amount": shop, "currency_code": self.currency });
            let plain = key.trim_end_matches("_set");
            if map.get(plain).is_some_and(Value::is_string) {
                map.insert(plain.to_owned(), json!(shop));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_every_shop_amount_and_keeps_the_customers() {
        let shop = ShopCurrency {
            currency: "DKK",
            rate: Decimal::new(746, 2),
        };
        let set = |amount: &str| {
            let money = json!({ "amount": amount, "currency_code": "EUR" });
            json!({ "shop_money": money, "presentment_money": money })
        };
        let mut order = json!({
            "currency": "EUR", "presentment_currency": "EUR",
            "total_price": "10.05", "total_price_set": set("10.05"),
            "line_items": [{ "price": "3.33", "price_set": set("3.33") }]
        });
        shop.apply(&mut order);
        assert_eq!(order["currency"], "DKK");
        assert_eq!(order["presentment_currency"], "EUR");
        // 10.05 × 7.46 = 74.973 → 74.97.
        assert_eq!(order["total_price"], "74.97");
        assert_eq!(order["total_price_set"]["shop_money"]["amount"], "74.97");
        assert_eq!(
            order["total_price_set"]["shop_money"]["currency_code"],
            "DKK"
        );
        assert_eq!(
            order["total_price_set"]["presentment_money"]["amount"],
            "10.05"
        );
        assert_eq!(order["current_total_price"], "74.97");
        // 3.33 × 7.46 = 24.8418 → 24.84.
        assert_eq!(order["line_items"][0]["price"], "24.84");
    }
}
