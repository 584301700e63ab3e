//! Property tests (proptest) of what reads untrusted input and what turns
//! it into money: the Shopify and WooCommerce order parsers, fed arbitrary
//! bytes and structurally mutated copies of the documented fixture orders,
//! and the mappings to e-conomic and Fortnox documents, fed canonical
//! orders with arbitrary decimals, quantities, discounts and line kinds.
//!
//! Nothing may panic, and the mappings keep their promise
//! (`ferry::mapping`): a document that is made carries exactly the order's
//! line amounts to the cent (or moves one single-unit amount by a cent or
//! two so that the ledger's VAT on the net lands on the webshop's total),
//! plus, when the ledger's gross still misses the webshop's total by at
//! most the rounding limit, one VAT-free rounding line that closes the gap
//! exactly; beyond the limit no line is added and the document is marked
//! to be held as a draft. When the webshop's lines do not add up to its
//! own total a warning says so. Otherwise the mapping refuses with a
//! `MappingError` in words. The case counts are bounded so that the whole
//! module runs in tens of seconds; `PROPTEST_CASES=<n>` runs more.

use ferry::connectors::http::HttpClient;
use ferry::connectors::{ConnectorFactory, Connectors, Source};
use ferry::mapping::rounding::{self, Balance};
use ferry::mapping::{self, cents, economic, fortnox};
use ferry::model::{
    Address, CredentialHealth, Customer, DocumentKind, LineKind, Order, OrderLine, Scope, System,
    SystemId, SystemKind, TenantId, Totals,
};
use ferry::seal::{Credentials, Sealer};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::sync::{Arc, OnceLock};

fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        // Failures are printed with their input; no regression files in the tree.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

fn source(kind: SystemKind, config: Value, credentials: Value) -> Arc<dyn Source> {
    let sealer = Sealer::from_base64(&Sealer::generate_key()).unwrap();
    let credentials: Credentials = serde_json::from_value(credentials).unwrap();
    let Value::Object(config) = config else {
        unreachable!()
    };
    let system = System {
        id: SystemId::generate(),
        tenant: TenantId::generate(),
        kind,
        name: "Shop".into(),
        config,
        credentials: Default::default(),
        health: CredentialHealth::default(),
        scope: Scope::default(),
        active: true,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    }
    .with_credentials(&sealer, &credentials);
    Connectors::new(HttpClient::default())
        .source(&system, &credentials)
        .unwrap()
}

fn shopify() -> &'static Arc<dyn Source> {
    static SOURCE: OnceLock<Arc<dyn Source>> = OnceLock::new();
    SOURCE.get_or_init(|| {
        source(
            SystemKind::Shopify,
            json!({"shop_domain": "fuzz.myshopify.com"}),
            json!({"access_token": "shpat_x", "webhook_secret": "whsec_x"}),
        )
    })
}

fn woocommerce() -> &'static Arc<dyn Source> {
    static SOURCE: OnceLock<Arc<dyn Source>> = OnceLock::new();
    SOURCE.get_or_init(|| {
        source(
            SystemKind::Woocommerce,
            json!({"base_url": "https://fuzz.example"}),
            json!({"consumer_key": "ck_x", "consumer_secret": "cs_x", "webhook_secret": "whsec_x"}),
        )
    })
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: Value = serde_json::from_str(&text).unwrap();
    // The REST answer wraps the order; a webhook sends it bare.
    value.get("order").cloned().unwrap_or(value)
}

fn shopify_fixture() -> &'static Value {
    static FIXTURE: OnceLock<Value> = OnceLock::new();
    FIXTURE.get_or_init(|| fixture("shopify-order-get.json"))
}

fn woocommerce_fixture() -> &'static Value {
    static FIXTURE: OnceLock<Value> = OnceLock::new();
    FIXTURE.get_or_init(|| fixture("woocommerce-order-get.json"))
}

fn economic_settings() -> economic::Settings {
    economic::Settings {
        layout_number: 19,
        payment_terms_number: 1,
        vat_zone_number: 1,
        customer_group_number: 1,
        product_group_number: 1,
        shipping_product_number: "shipping".into(),
        fee_product_number: "fee".into(),
        discount_product_number: "discount".into(),
        rounding_product_number: "rounding".into(),
        rounding_product_group_number: Some(9),
        rounding_limit: rounding::DEFAULT_LIMIT,
        gift_card_product_number: "giftcard".into(),
        gift_card_product_group_number: Some(8),
    }
}

/// The mappings' promise for one order, whatever it holds.
fn check_mappings(order: &Order) -> Result<(), TestCaseError> {
    let lines_net = cents(order.lines.iter().map(OrderLine::net_total).sum());
    let lines_tax: Decimal = order.lines.iter().map(|l| l.tax).sum();
    let warnings = mapping::order_warnings(order);
    if cents(lines_net + lines_tax) != cents(order.totals.total) {
        prop_assert!(
            !warnings.is_empty(),
            "lines {} + tax {} miss the total {} without a warning",
            lines_net,
            lines_tax,
            order.totals.total
        );
    }

    let settings = economic_settings();
    let _ = economic::customer(order, &settings);
    let _ = economic::products(order, &settings);
    let total = cents(order.totals.total);
    if let Ok(lines) = economic::lines(order, &settings) {
        let document_net: Decimal = lines.iter().map(economic::Line::total).sum();
        if document_net != lines_net {
            // Only the cent or two e-conomic's VAT on the net needs to land
            // on the webshop's total.
            prop_assert!(
                (document_net - lines_net).abs() <= Decimal::new(2, 2)
                    && economic::gross(&lines) == total,
                "e-conomic lines {:?} (net {} vs the lines' {})",
                lines,
                document_net,
                lines_net
            );
        }
        for line in &lines {
            prop_assert!(line.unit_net_price.scale() <= 2, "{:?}", line);
            if let Some(p) = line.discount_percentage {
                prop_assert!(p.scale() <= 2 && p > Decimal::ZERO && p <= Decimal::ONE_HUNDRED);
            }
        }
        let count = lines.len();
        let mapped = economic::document(order, &settings, 1, lines);
        prop_assert_eq!(&mapped.warnings, &warnings);
        let document = &mapped.document;
        match &mapped.balance {
            Balance::Exact => prop_assert_eq!(document.lines.len(), count),
            Balance::Rounded(difference) => {
                prop_assert_eq!(document.lines.len(), count + 1);
                let line = &document.lines[count];
                prop_assert_eq!(&line.product.product_number, "rounding");
                prop_assert_eq!(line.unit_net_price, *difference);
                prop_assert!(difference.abs() <= settings.rounding_limit);
            }
            Balance::TooFar(_) => {
                prop_assert_eq!(document.lines.len(), count);
                prop_assert!(rounding::is_held(document.notes.text_line1.as_deref()));
            }
        }
        let at_total = economic::gross(&document.lines) == total;
        prop_assert_eq!(at_total, !matches!(mapped.balance, Balance::TooFar(_)));
        prop_assert_eq!(&document.references.other, &order.e_number);
        // Written as JSON exactly, or refused in words: never rounded.
        let _ = mapping::to_json(document);
    }

    let choices = fortnox::Settings::default();
    let _ = fortnox::customer(order);
    let _ = fortnox::articles(order, &choices);
    for kind in [DocumentKind::DraftInvoice, DocumentKind::Order] {
        if let Ok(mapped) = fortnox::document(order, "1", kind, &choices) {
            let document = &mapped.document;
            let rounding_row = match mapped.balance {
                Balance::Rounded(difference) => difference,
                Balance::Exact | Balance::TooFar(_) => Decimal::ZERO,
            };
            let net = document.net() - rounding_row;
            if net != lines_net {
                prop_assert!(
                    (net - lines_net).abs() <= Decimal::new(2, 2),
                    "Fortnox {:?} (net {} vs the lines' {})",
                    document,
                    net,
                    lines_net
                );
            }
            let at_total = fortnox::gross(document) == total;
            prop_assert_eq!(at_total, !matches!(mapped.balance, Balance::TooFar(_)));
            prop_assert_eq!(
                rounding::is_held(document.comments.as_deref()),
                matches!(mapped.balance, Balance::TooFar(_))
            );
            prop_assert!(mapped.document.rows().iter().all(|r| r.price.scale() <= 2));
            prop_assert_eq!(&mapped.warnings, &warnings);
            let _ = mapping::to_json(&mapped.document);
        }
    }
    Ok(())
}

/// A decimal from a mantissa and a scale: whole, cents, sub-cent, huge.
fn decimal(max_mantissa: i64) -> impl Strategy<Value = Decimal> {
    (-max_mantissa..=max_mantissa, 0u32..=6).prop_map(|(m, s)| Decimal::new(m, s))
}

fn extreme_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        8 => decimal(10_000_000),
        1 => Just(Decimal::MAX),
        1 => Just(Decimal::MIN),
        1 => (1u32..=28).prop_map(|s| Decimal::new(1, s)),
        1 => any::<i64>().prop_map(|m| Decimal::new(m, 0)),
    ]
}

fn line_kind() -> impl Strategy<Value = LineKind> {
    prop_oneof![
        4 => Just(LineKind::Product),
        1 => Just(LineKind::Shipping),
        1 => Just(LineKind::Fee),
        1 => Just(LineKind::Discount),
    ]
}

fn order_line() -> BoxedStrategy<OrderLine> {
    let amount = decimal(10_000_000).boxed();
    let quantity = prop_oneof![
        6 => (1i64..=20).prop_map(Decimal::from),
        1 => Just(Decimal::ZERO),
        1 => (-5i64..0).prop_map(Decimal::from),
        2 => decimal(5_000).prop_map(|d| d.abs()),
        1 => (1i64..=1_000_000).prop_map(Decimal::from),
    ];
    let sku = prop_oneof![
        6 => "[A-Z]{2,6}-[0-9]{1,4}".prop_map(Some),
        1 => Just(None),
        1 => Just(Some("   ".to_owned())),
        1 => "[a-z]{26,40}".prop_map(Some),
        1 => ".{0,30}".prop_map(Some),
    ];
    let discount = prop_oneof![3 => Just(Decimal::ZERO), 1 => amount.clone().prop_map(|d| d.abs())];
    let tax_rate = prop_oneof![
        Just(None),
        Just(Some(Decimal::new(25, 2))),
        decimal(100).prop_map(Some)
    ];
    (
        line_kind(),
        sku,
        ".{0,40}",
        quantity,
        amount.clone(),
        discount,
        amount,
        (tax_rate, proptest::bool::weighted(0.1)),
    )
        .prop_map(
            |(kind, sku, title, quantity, unit_price, discount, tax, (tax_rate, gift_card))| {
                OrderLine {
                    kind,
                    sku,
                    title,
                    quantity,
                    unit_price,
                    discount,
                    tax,
                    tax_rate,
                    gift_card,
                }
            },
        )
        .boxed()
}

fn order() -> impl Strategy<Value = Order> {
    (
        proptest::collection::vec(order_line(), 0..8),
        prop_oneof![3 => Just(Decimal::ZERO), 1 => decimal(500)],
        "#?[0-9]{1,6}",
        proptest::option::of("[a-z]{1,8}@[a-z]{1,8}\\.dk"),
    )
        .prop_map(|(lines, off, e_number, email)| {
            // Totals that agree with the lines, or miss them by `off`.
            let net: Decimal = lines
                .iter()
                .map(|l| l.unit_price.checked_mul(l.quantity).unwrap_or_default() - l.discount)
                .fold(Decimal::ZERO, |a, b| a.checked_add(b).unwrap_or(a));
            let tax: Decimal = lines
                .iter()
                .fold(Decimal::ZERO, |a, l| a.checked_add(l.tax).unwrap_or(a));
            let total = net
                .checked_add(tax)
                .and_then(|t| t.checked_add(off))
                .unwrap_or(net);
            let at = chrono::Utc::now();
            let address = Address {
                name: "Karen Blixen".into(),
                company: None,
                line1: "Rungstedvej 111".into(),
                line2: None,
                city: "Rungsted Kyst".into(),
                zip: "2960".into(),
                region: None,
                country_code: Some("DK".into()),
                phone: None,
            };
            Order {
                source_id: "1".into(),
                e_number,
                state: "paid".into(),
                currency: "DKK".into(),
                created_at: at,
                updated_at: at,
                customer: Customer {
                    name: "Karen Blixen".into(),
                    email,
                    ..Customer::default()
                },
                billing_address: Some(address.clone()),
                shipping_address: Some(address),
                totals: Totals {
                    total,
                    tax,
                    discount: Decimal::ZERO,
                    shipping: Decimal::ZERO,
                },
                lines,
                custom_fields: vec![],
                note: None,
                shop_money: None,
                gateway: None,
                payment_terms: None,
            }
        })
}

/// A JSON value a webshop (or someone pretending to be one) might put anywhere.
fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        Just(json!(1e300)),
        Just(json!("79228162514264337593543950335")),
        Just(json!("-0.000000000000000000000000001")),
        Just(json!("1e400")),
        Just(json!("NaN")),
        Just(json!("")),
        (-1_000_000_000i64..1_000_000_000, 0u32..8)
            .prop_map(|(m, s)| json!(Decimal::new(m, s).to_string())),
        ".{0,20}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!([null, {}, "x"])),
    ]
}

/// Every path (object keys and array indexes) in a JSON value.
fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Step::Key(key.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                prefix.push(Step::Index(index));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    /// The value at the path wrapped in an array (a field turned list).
    Wrap(usize),
    /// An object or array emptied.
    Empty(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), odd_value()).prop_map(|(p, v)| Mutation::Replace(p, v)),
        2 => any::<usize>().prop_map(Mutation::Remove),
        1 => any::<usize>().prop_map(Mutation::Wrap),
        1 => any::<usize>().prop_map(Mutation::Empty),
    ]
}

fn apply(value: &mut Value, mutation: &Mutation) {
    let mut all = Vec::new();
    paths(value, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    let pick = match mutation {
        Mutation::Replace(p, _) | Mutation::Remove(p) | Mutation::Wrap(p) | Mutation::Empty(p) => {
            *p % all.len()
        }
    };
    let path = &all[pick];
    let (last, parent_path) = path.split_last().expect("a path has a step");
    let mut parent = &mut *value;
    for step in parent_path {
        parent = match step {
            Step::Key(k) => &mut parent[k.as_str()],
            Step::Index(i) => &mut parent[*i],
        };
    }
    match (mutation, last, parent) {
        (Mutation::Remove(_), Step::Key(k), Value::Object(map)) => {
            map.remove(k);
        }
        (Mutation::Remove(_), Step::Index(i), Value::Array(items)) => {
            items.remove(*i);
        }
        (mutation, step, parent) => {
            let slot = match step {
                Step::Key(k) => &mut parent[k.as_str()],
                Step::Index(i) => &mut parent[*i],
            };
            *slot = match mutation {
                Mutation::Replace(_, v) => v.clone(),
                Mutation::Wrap(_) => json!([slot.take()]),
                Mutation::Empty(_) => match slot {
                    Value::Array(_) => json!([]),
                    Value::Object(_) => Value::Object(Map::new()),
                    _ => Value::Null,
                },
                Mutation::Remove(_) => Value::Null,
            };
        }
    }
}

/// Parses a body with a source and, when it reads, maps the order.
fn parse_and_map(source: &dyn Source, body: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(order) = source.parse_order(body) {
        check_mappings(&order)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(2_000))]

    #[test]
    fn parsers_take_any_bytes_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = shopify().parse_order(&body);
        let _ = woocommerce().parse_order(&body);
    }

    #[test]
    fn parsers_take_json_of_any_shape_without_panicking(value in odd_value(), wrap in any::<bool>()) {
        let value = if wrap { json!({"order": value, "line_items": [value]}) } else { value };
        let body = serde_json::to_vec(&value).unwrap();
        parse_and_map(shopify().as_ref(), &body)?;
        parse_and_map(woocommerce().as_ref(), &body)?;
    }
}

proptest! {
    #![proptest_config(config(1_500))]

    #[test]
    fn a_mutated_shopify_fixture_parses_or_fails_in_words_and_maps_soundly(
        mutations in proptest::collection::vec(mutation(), 1..6)
    ) {
        let mut order = shopify_fixture().clone();
        for m in &mutations {
            apply(&mut order, m);
        }
        parse_and_map(shopify().as_ref(), &serde_json::to_vec(&order).unwrap())?;
    }

    #[test]
    fn a_mutated_woocommerce_fixture_parses_or_fails_in_words_and_maps_soundly(
        mutations in proptest::collection::vec(mutation(), 1..6)
    ) {
        let mut order = woocommerce_fixture().clone();
        for m in &mutations {
            apply(&mut order, m);
        }
        parse_and_map(woocommerce().as_ref(), &serde_json::to_vec(&order).unwrap())?;
    }

    #[test]
    fn mapping_matches_the_lines_to_the_cent_or_refuses(order in order()) {
        check_mappings(&order)?;
    }

    #[test]
    fn extreme_amounts_in_a_webhook_are_refused_or_mapped_soundly(
        price in extreme_decimal(),
        quantity in prop_oneof![any::<u32>().prop_map(u64::from), Just(u64::MAX), 0u64..100],
        discount in extreme_decimal(),
        shipping in extreme_decimal(),
    ) {
        let mut shop = shopify_fixture().clone();
        shop["line_items"][0]["price"] = json!(price.to_string());
        shop["line_items"][0]["quantity"] = json!(quantity);
        shop["line_items"][0]["total_discount"] = json!(discount.to_string());
        shop["shipping_lines"][0]["price"] = json!(shipping.to_string());
        parse_and_map(shopify().as_ref(), &serde_json::to_vec(&shop).unwrap())?;
        let mut woo = woocommerce_fixture().clone();
        woo["line_items"][0]["price"] = json!(price.to_string());
        woo["line_items"][0]["subtotal"] = json!(price.to_string());
        woo["line_items"][0]["total"] = json!(discount.to_string());
        woo["line_items"][0]["quantity"] = json!(quantity);
        woo["shipping_lines"][0]["total"] = json!(shipping.to_string());
        parse_and_map(woocommerce().as_ref(), &serde_json::to_vec(&woo).unwrap())?;
    }
}

#[test]
fn the_fixtures_parse_and_map_before_mutation() {
    let shop = shopify()
        .parse_order(&serde_json::to_vec(shopify_fixture()).unwrap())
        .expect("the Shopify fixture parses");
    let woo = woocommerce()
        .parse_order(&serde_json::to_vec(woocommerce_fixture()).unwrap())
        .expect("the WooCommerce fixture parses");
    for order in [shop, woo] {
        assert!(!order.lines.is_empty());
        check_mappings(&order).unwrap();
    }
}

/// The sandbox shops' generated orders — 600: Shopify and WooCommerce,
/// Danish (25 %, prices with VAT) and German (19 % and 7 % on food, prices
/// without), up to five lines of up to seven each, percentage coupons,
/// shipping and fees — become documents whose gross, as each ledger
/// computes it (VAT per rate on the net), is the webshop's total to the
/// cent on both ledgers: a cent moved on a single-unit line where that
/// gets there, else a VAT-free rounding line. None is held, none carries
/// a warning. The counts of rounding lines are printed for the docs.
#[tokio::test]
async fn generated_orders_become_ledger_documents_at_the_shops_total() {
    use ferry_local::sandbox::webshop::{Market, Shape};
    use ferry_local::sandbox::{shopify as shopify_shop, woocommerce as woo_shop};
    let mut orders: Vec<(Market, Order)> = Vec::new();
    for (market, included) in [(Market::Denmark, true), (Market::Germany, false)] {
        let woo = woo_shop::spawn(woo_shop::Config {
            market,
            prices_include_tax: included,
            seed: Some(11),
            shape: Shape::varied(),
            ..Default::default()
        })
        .await
        .unwrap();
        for id in woo.add_orders(150) {
            let body = serde_json::to_vec(&woo.order_json(id).unwrap()).unwrap();
            orders.push((market, woocommerce().parse_order(&body).unwrap()));
        }
        let shop = shopify_shop::spawn(shopify_shop::Config {
            market,
            taxes_included: included,
            seed: Some(11),
            shape: Shape::varied(),
            ..Default::default()
        })
        .await
        .unwrap();
        for id in shop.add_orders(150) {
            let body = serde_json::to_vec(&shop.order_json(id).unwrap()).unwrap();
            orders.push((market, shopify().parse_order(&body).unwrap()));
        }
    }
    assert_eq!(orders.len(), 600);
    let mixed = orders
        .iter()
        .filter(|(_, o)| {
            let mut rates: Vec<_> = o
                .lines
                .iter()
                .filter(|l| !l.net_total().is_zero())
                .filter_map(|l| l.tax_rate)
                .collect();
            rates.sort();
            rates.dedup();
            rates.len() > 1
        })
        .count();
    let with = |kind: LineKind| {
        orders
            .iter()
            .filter(|(_, o)| o.lines.iter().any(|l| l.kind == kind))
            .count()
    };
    assert!(
        mixed > 0 && with(LineKind::Fee) > 0 && with(LineKind::Shipping) > 0,
        "the orders lack variety: {mixed} with mixed rates, {} with fees",
        with(LineKind::Fee)
    );
    assert!(orders
        .iter()
        .any(|(_, o)| o.lines.iter().any(|l| !l.discount.is_zero())));

    let settings = economic_settings();
    let choices = fortnox::Settings::default();
    let (mut economic_rounded, mut fortnox_rounded) = (0, 0);
    let (mut economic_exact, mut fortnox_exact) = (0, 0);
    let mut danish_rounded = [0, 0];
    // Fortnox's largest rounding line, German and Danish.
    let mut largest = [Decimal::ZERO; 2];
    for (market, order) in &orders {
        let total = cents(order.totals.total);
        assert!(mapping::order_warnings(order).is_empty(), "{:?}", order);

        let lines = economic::lines(order, &settings).unwrap();
        let mapped = economic::document(order, &settings, 1, lines);
        let gross = economic::gross(&mapped.document.lines);
        assert_eq!(
            gross, total,
            "e-conomic, {market:?} order {}: {:?} {:?}",
            order.e_number, mapped.balance, mapped.document.lines
        );
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
        let rounded = usize::from(matches!(mapped.balance, Balance::Rounded(_)));
        economic_rounded += rounded;
        economic_exact += usize::from(gross == total);
        if *market == Market::Denmark {
            danish_rounded[0] += rounded;
        }

        let mapped = fortnox::document(order, "1", DocumentKind::DraftInvoice, &choices).unwrap();
        let gross = fortnox::gross(&mapped.document);
        assert_eq!(
            gross, total,
            "Fortnox, {market:?} order {}: {:?} {:?}",
            order.e_number, mapped.balance, mapped.document
        );
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
        if let Balance::Rounded(difference) = mapped.balance {
            largest[usize::from(*market == Market::Denmark)] =
                largest[usize::from(*market == Market::Denmark)].max(difference.abs());
        }
        let rounded = usize::from(matches!(mapped.balance, Balance::Rounded(_)));
        fortnox_rounded += rounded;
        fortnox_exact += usize::from(gross == total);
        if *market == Market::Denmark {
            danish_rounded[1] += rounded;
        }
    }
    println!(
        "of {} generated orders ({mixed} at mixed rates): e-conomic {economic_exact} at the \
         total, {economic_rounded} with a rounding line; Fortnox {fortnox_exact} at the total, \
         {fortnox_rounded} with a rounding line (of the 300 Danish: {} and {}); Fortnox's \
         largest rounding line {} (German), {} (Danish)",
        orders.len(),
        danish_rounded[0],
        danish_rounded[1],
        largest[0],
        largest[1]
    );
    assert_eq!((economic_exact, fortnox_exact), (600, 600));
    // The rounding line is the exception, not the rule.
    assert!(economic_rounded < 600 / 2 && fortnox_rounded < 600 / 2);
}

/// A date a shop might send, and whether Ferry takes it: the ends of
/// chrono's calendar (where date arithmetic panics), just outside the years
/// 1970 to 9999 Ferry takes, an offset that moves a date across them, and
/// their edges.
fn edge_date() -> impl Strategy<Value = (&'static str, bool)> {
    prop_oneof![
        Just(("-262143-01-01T00:00:00", false)),
        Just(("+262142-12-31T23:59:59", false)),
        Just(("+262143-12-31T23:59:59Z", false)),
        Just(("0001-01-01T00:00:00Z", false)),
        Just(("0000-01-01T00:30:00+01:00", false)),
        Just(("1969-12-31T23:59:59Z", false)),
        Just(("9999-12-31T23:59:59-01:00", false)),
        Just(("+10000-01-01T00:00:00", false)),
        Just(("1970-01-01T00:00:00Z", true)),
        Just(("9999-12-31T23:59:59Z", true)),
        Just(("2026-03-01T10:00:00+01:00", true)),
    ]
}

/// An amount at the ends of `Decimal`: 28 digits, 28 decimals, its largest.
fn edge_amount() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("9999999999999999999999999999")),
        Just(json!("79228162514264337593543950335")),
        Just(json!("-79228162514264337593543950335")),
        Just(json!("0.0000000000000000000000000001")),
        Just(json!("9999999999999.999999999999999")),
        Just(json!(1e28)),
        Just(json!("10000000000000")),
        Just(json!("0.01")),
        Just(json!("199.00")),
    ]
}

/// A quantity of 2^63 and beyond, or of 10^-28, or at Ferry's bound.
fn edge_quantity() -> impl Strategy<Value = (Value, bool)> {
    // `true`: larger than any order has; refused.
    prop_oneof![
        Just((json!(9_223_372_036_854_775_808_u64), true)),
        Just((json!(u64::MAX), true)),
        Just((json!(i64::MIN), true)),
        Just((json!(18_446_744_073_709_551_616.0), true)),
        Just((json!(1e20), true)),
        Just((json!("0.0000000000000000000000000001"), false)),
        Just((json!(10_000_001), true)),
        Just((json!(10_000_000), false)),
        Just((json!(0), false)),
        Just((json!(3), false)),
    ]
}

/// A tax rate as a fraction (Shopify) or a percentage (WooCommerce).
fn edge_rate() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("10000000000000")),
        Just(json!("79228162514264337593543950335")),
        Just(json!(-1)),
        Just(json!("0.0000000000000000000000000001")),
        Just(json!(0.25)),
        Just(json!(25)),
    ]
}

/// What a shop might put in the fields that carry dates and money.
#[derive(Debug, Clone)]
struct Edges {
    date: (&'static str, bool),
    /// Which date field: creation or last change.
    created: bool,
    quantity: (Value, bool),
    price: Value,
    discount: Value,
    tax: Value,
    rate: Value,
    total: Value,
    taxes_included: bool,
}

fn edges() -> impl Strategy<Value = Edges> {
    (
        edge_date(),
        any::<bool>(),
        edge_quantity(),
        (edge_amount(), edge_amount(), edge_amount(), edge_amount()),
        edge_rate(),
        any::<bool>(),
    )
        .prop_map(
            |(date, created, quantity, (price, discount, tax, total), rate, taxes_included)| {
                Edges {
                    date,
                    created,
                    quantity,
                    price,
                    discount,
                    tax,
                    rate,
                    total,
                    taxes_included,
                }
            },
        )
}

/// The documented Shopify order with the edge values in place.
fn shopify_with(edges: &Edges) -> Value {
    let mut order = shopify_fixture().clone();
    let date_field = if edges.created {
        "created_at"
    } else {
        "updated_at"
    };
    order[date_field] = json!(edges.date.0);
    order["taxes_included"] = json!(edges.taxes_included);
    order["total_price"] = edges.total.clone();
    let line = &mut order["line_items"][0];
    line["quantity"] = edges.quantity.0.clone();
    line["price"] = edges.price.clone();
    line["discount_allocations"] = json!([{"amount": edges.discount.clone()}]);
    line["tax_lines"] = json!([{"price": edges.tax.clone(), "rate": edges.rate.clone()}]);
    order
}

/// The documented WooCommerce order with the edge values in place.
fn woocommerce_with(edges: &Edges) -> Value {
    let mut order = woocommerce_fixture().clone();
    let date_field = if edges.created {
        "date_created_gmt"
    } else {
        "date_modified_gmt"
    };
    order[date_field] = json!(edges.date.0);
    order["total"] = edges.total.clone();
    order["tax_lines"][0]["rate_percent"] = edges.rate.clone();
    let line = &mut order["line_items"][0];
    line["quantity"] = edges.quantity.0.clone();
    line["subtotal"] = edges.price.clone();
    line["total"] = edges.discount.clone();
    line["total_tax"] = edges.tax.clone();
    line["taxes"] = json!([{"id": 75, "total": edges.tax.clone()}]);
    order
}

/// An order with the edge values: read or refused in words, never a panic;
/// a date outside the years Ferry takes and a quantity larger than any
/// order has are always refused; a read order maps soundly.
fn read_with_edges(source: &dyn Source, body: &Value, edges: &Edges) -> Result<(), TestCaseError> {
    match source.parse_order(&serde_json::to_vec(body).unwrap()) {
        Ok(order) => {
            prop_assert!(edges.date.1, "the date {} was taken", edges.date.0);
            prop_assert!(
                !edges.quantity.1,
                "the quantity {} was taken",
                edges.quantity.0
            );
            check_mappings(&order)?;
        }
        Err(e) => prop_assert!(e.0.len() > 10, "an error in words: {}", e),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1_000))]

    #[test]
    fn edge_dates_amounts_and_quantities_in_a_webhook_are_refused_in_words_or_mapped_soundly(
        edges in edges()
    ) {
        read_with_edges(shopify().as_ref(), &shopify_with(&edges), &edges)?;
        read_with_edges(woocommerce().as_ref(), &woocommerce_with(&edges), &edges)?;
    }
}

/// The same edge values in pages a shop answers a poll with (a loopback
/// Shopify): every poll completes, every order of the page is recorded or
/// kept as unreadable (the dates and quantities Ferry refuses always), and
/// ferry-local goes on. Few cases: each is a poll over HTTP.
#[test]
fn edge_dates_amounts_and_quantities_in_a_polled_page_never_stop_the_poll() {
    use ferry::pipeline::poll::Budget;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (tenant, page, connection, _ledger) = runtime.block_on(async {
        let tenant = crate::tenant::Tenant::start("fuzz-poll").await;
        let (url, page) = crate::polling::shop_answering().await;
        let source = tenant
            .system(
                "shopify",
                serde_json::from_value(json!({
                    "shop_domain": "fuzz.myshopify.com", "base_url": url, "api_version": "2024-04",
                }))
                .unwrap(),
                json!({"access_token": "shpat_x", "webhook_secret": "whsec_x"}),
            )
            .await;
        let ledger = ferry_local::sandbox::economic::spawn(Default::default())
            .await
            .unwrap();
        let target = tenant
            .system(
                "economic",
                ledger.system_config(),
                json!(ledger.credentials().0),
            )
            .await;
        // No state is allowed to transfer: the polls alone are under test.
        let connection = tenant
            .connect("Shop > ledger", &source, &target, &["never"], Value::Null)
            .await;
        let connection = connection["id"].as_str().unwrap().to_owned();
        (tenant, page, connection, ledger)
    });
    let mut runner = proptest::test_runner::TestRunner::new(config(24));
    let result = runner.run(&proptest::collection::vec(edges(), 1..4), |orders| {
        let refused = orders.iter().filter(|e| !e.date.1 || e.quantity.1).count();
        let bodies: Vec<Value> = orders
            .iter()
            .enumerate()
            .map(|(i, edges)| {
                let mut order = shopify_with(edges);
                order["id"] = json!(1000 + i);
                order
            })
            .collect();
        *page.lock().unwrap() = json!({ "orders": bodies });
        runtime.block_on(async {
            let ferry = &tenant.running.ferry;
            let stored = tenant.connection(&connection).await;
            let outcome = ferry::flows::poll(ferry, &stored, None, Budget::default())
                .await
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(outcome.complete && outcome.error.is_none(), "{:?}", outcome);
            let found = u64::try_from(orders.len()).unwrap();
            prop_assert_eq!(outcome.records_found, found);
            prop_assert_eq!(
                outcome.created + outcome.updated + outcome.unchanged + outcome.unreadable,
                found,
                "{:?}",
                outcome
            );
            prop_assert!(
                outcome.unreadable >= u64::try_from(refused).unwrap(),
                "{:?}",
                outcome
            );
            Ok(())
        })
    });
    runtime.block_on(tenant.running.stop());
    result.unwrap();
}
