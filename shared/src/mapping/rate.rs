//! The exchange rate of an order booked in another currency than the
//! ledger's base, as the shop converted it: one rule for both ledgers.
//!
//! A ledger states a rate as the price of a number of units of the foreign
//! currency in its base currency (e-conomic: of 100 units; Fortnox: of
//! `Unit` units, 1 or 100). When the order carries its total in the shop's
//! money ([`crate::model::ShopMoney`]) and the shop's currency is the
//! ledger's base, the rate is what the shop used: `shop total × units /
//! order total`, rounded half away from zero at the decimals the ledger
//! keeps. Otherwise the shop says nothing usable and the ledger's own rate
//! of the day applies (each connector's `currency` module).

use crate::model::Order;
use rust_decimal::{Decimal, RoundingStrategy};

/// Whether the order's currency is another than the ledger's `base`: only
/// then does a document carry a rate.
pub fn is_foreign(order: &Order, base: &str) -> bool {
    !order.currency.trim().eq_ignore_ascii_case(base.trim())
}

/// The price of `units` units of the order's currency in `base`, as the
/// shop converted the order, rounded at `decimals`; `None` when the order is
/// in `base`, when it does not carry the shop's total in `base`, or when
/// its total is zero (no rate follows from it).
pub fn from_order(order: &Order, base: &str, units: Decimal, decimals: u32) -> Option<Decimal> {
    if !is_foreign(order, base) {
        return None;
    }
    let shop = order.shop_money.as_ref()?;
    if !shop.currency.trim().eq_ignore_ascii_case(base.trim()) || order.totals.total.is_zero() {
        return None;
    }
    let rate = shop
        .total
        .checked_mul(units)?
        .checked_div(order.totals.total)?
        .round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    (rate > Decimal::ZERO).then(|| rate.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::tests::{d, order};
    use crate::model::ShopMoney;

    fn eur_order(total: &str, shop_total: Option<(&str, &str)>) -> Order {
        let mut order = order(vec![]);
        order.currency = "EUR".into();
        order.totals.total = d(total);
        order.shop_money = shop_total.map(|(currency, total)| ShopMoney {
            currency: currency.into(),
            total: d(total),
        });
        order
    }

    #[test]
    fn the_shops_rate_is_the_price_of_the_ledgers_units_rounded_at_its_decimals() {
        // 100.00 EUR paid, 746.04 DKK to the shop: 746.04 DKK per 100 EUR.
        let order = eur_order("100.00", Some(("DKK", "746.04")));
        assert_eq!(from_order(&order, "DKK", d("100"), 6), Some(d("746.04")));
        // 33.33 EUR, 248.66 DKK: 7.46054605... per EUR.
        let order = eur_order("33.33", Some(("DKK", "248.66")));
        assert_eq!(
            from_order(&order, "DKK", d("100"), 6),
            Some(d("746.054605"))
        );
        assert_eq!(from_order(&order, "dkk", d("1"), 4), Some(d("7.4605")));
    }

    #[test]
    fn no_rate_from_the_order_when_it_cannot_say() {
        // In the base currency: no rate at all.
        let mut order = eur_order("100.00", Some(("DKK", "746.04")));
        order.currency = "DKK".into();
        assert!(!is_foreign(&order, "DKK"));
        assert_eq!(from_order(&order, "DKK", d("100"), 6), None);
        // The shop's currency is not the ledger's base.
        let order = eur_order("100.00", Some(("SEK", "1150.00")));
        assert!(is_foreign(&order, "DKK"));
        assert_eq!(from_order(&order, "DKK", d("100"), 6), None);
        // The shop said nothing, or the order is free.
        assert_eq!(
            from_order(&eur_order("100.00", None), "DKK", d("100"), 6),
            None
        );
        let free = eur_order("0.00", Some(("DKK", "0.00")));
        assert_eq!(from_order(&free, "DKK", d("100"), 6), None);
    }
}
