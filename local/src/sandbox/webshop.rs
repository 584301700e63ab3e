//! What the Shopify and WooCommerce sandboxes share: a seeded generator of
//! believable baskets (customer, products with SKUs, shipping, coupons,
//! fees), shop-style money arithmetic, webhook signing and delivery, and
//! serving a router on loopback.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::{Decimal, RoundingStrategy};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};

/// Where the sandbox shop sells: its currency and its standard VAT rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Market {
    /// DKK, 25 % moms.
    Denmark,
    /// EUR, 19 % MwSt.
    Germany,
}

impl Market {
    pub fn currency(self) -> &'static str {
        match self {
            Market::Denmark => "DKK",
            Market::Germany => "EUR",
        }
    }

    pub fn vat_rate(self) -> Decimal {
        match self {
            Market::Denmark => Decimal::new(25, 2),
            Market::Germany => Decimal::new(19, 2),
        }
    }

    /// The rate of food (coffee beans): Denmark has no reduced rate,
    /// Germany's is 7 %.
    pub fn reduced_rate(self) -> Decimal {
        match self {
            Market::Denmark => Decimal::new(25, 2),
            Market::Germany => Decimal::new(7, 2),
        }
    }

    /// The tax's name on receipts.
    pub fn tax_title(self) -> &'static str {
        match self {
            Market::Denmark => "Moms",
            Market::Germany => "MwSt.",
        }
    }

    pub fn country_code(self) -> &'static str {
        match self {
            Market::Denmark => "DK",
            Market::Germany => "DE",
        }
    }

    pub fn country(self) -> &'static str {
        match self {
            Market::Denmark => "Denmark",
            Market::Germany => "Germany",
        }
    }
}

/// A buyer: name, contact and one address (used for billing and shipping).
#[derive(Debug, Clone)]
pub struct Buyer {
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub company: Option<&'static str>,
    pub vat_number: Option<&'static str>,
    pub email: String,
    pub phone: String,
    pub address1: &'static str,
    pub city: &'static str,
    pub zip: &'static str,
    /// The sandbox's own id for the buyer (stable per buyer).
    pub number: u64,
}

/// One product of the catalogue. Prices are what the shop lists: including
/// VAT when the shop is set up with tax-inclusive prices.
#[derive(Debug, Clone, Copy)]
pub struct Product {
    pub sku: &'static str,
    pub title: &'static str,
    pub variant: Option<&'static str>,
    pub price: Decimal,
    pub grams: u32,
    /// The sandbox's own id for the product (stable per product).
    pub number: u64,
    /// Its VAT rate: the market's, or the reduced one for food when the
    /// basket [`Shape`] has mixed rates.
    pub rate: Decimal,
}

/// How big and varied baskets are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// 1 to this many different products.
    pub max_lines: usize,
    /// A line's quantity: mostly 1, else 2 to this many.
    pub max_quantity: u32,
    /// Food (coffee beans) at the market's reduced rate (7 % in Germany).
    pub mixed_rates: bool,
}

impl Default for Shape {
    /// 1 to 3 products, up to 4 of each, one rate.
    fn default() -> Self {
        Self {
            max_lines: 3,
            max_quantity: 4,
            mixed_rates: false,
        }
    }
}

impl Shape {
    /// Up to five products, up to seven of each, at mixed rates: the
    /// baskets whose per-line tax most often misses a ledger's VAT.
    pub fn varied() -> Self {
        Self {
            max_lines: 5,
            max_quantity: 7,
            mixed_rates: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Coupon {
    pub code: &'static str,
    /// Off every product line, as a fraction.
    pub percent: Decimal,
}

#[derive(Debug, Clone)]
pub struct Charge {
    pub title: &'static str,
    pub code: &'static str,
    /// As the shop lists it (including VAT when prices include tax).
    pub price: Decimal,
}

/// What a customer put in the basket at checkout.
#[derive(Debug, Clone)]
pub struct Basket {
    pub buyer: Buyer,
    pub lines: Vec<(Product, u32)>,
    pub shipping: Charge,
    pub coupon: Option<Coupon>,
    /// A payment fee (the WooCommerce sandbox charges it; Shopify has none).
    pub fee: Option<Charge>,
    pub note: Option<&'static str>,
    pub gift_message: Option<&'static str>,
}

/// A seeded source of baskets: the same seed gives the same shop.
pub struct Generator {
    rng: StdRng,
    market: Market,
    shape: Shape,
}

struct Person {
    first: &'static str,
    last: &'static str,
    /// The company's name and VAT number, for business customers.
    company: Option<(&'static str, &'static str)>,
    street: &'static str,
    zip: &'static str,
    city: &'static str,
}

const fn person(
    first: &'static str,
    last: &'static str,
    company: Option<(&'static str, &'static str)>,
    [street, zip, city]: [&'static str; 3],
) -> Person {
    Person {
        first,
        last,
        company,
        street,
        zip,
        city,
    }
}

// Tables read best one entry a line.
#[rustfmt::skip]
const DANES: &[Person] = &[
    person("Mette", "Hansen", None, ["Vestergade 12", "8000", "Aarhus C"]),
    person("Lars", "Nielsen", None, ["Nørrebrogade 44, 3. tv", "2200", "København N"]),
    person("Sofie", "Jensen", None, ["Algade 3", "4000", "Roskilde"]),
    person("Anders", "Pedersen", Some(("Pedersen Tømrer ApS", "DK31234567")), ["Industrivej 8", "7100", "Vejle"]),
    person("Camilla", "Larsen", None, ["Kongensgade 71", "5000", "Odense C"]),
    person("Jakob", "Møller", Some(("Kaffebaren Møller I/S", "DK29876543")), ["Jernbanegade 2", "9000", "Aalborg"]),
];

#[rustfmt::skip]
const GERMANS: &[Person] = &[
    person("Jonas", "Weber", None, ["Hauptstraße 5", "10115", "Berlin"]),
    person("Lena", "Fischer", Some(("Fischer Design GmbH", "DE812345678")), ["Am Markt 2", "20095", "Hamburg"]),
    person("Paul", "Schneider", None, ["Marienplatz 1", "80331", "München"]),
    person("Hannah", "Becker", None, ["Schillerstraße 17", "50667", "Köln"]),
    person("Felix", "Wagner", Some(("Wagner & Söhne KG", "DE298765432")), ["Königstraße 40", "70173", "Stuttgart"]),
];

/// A product as the catalogue lists it, with its price in each market.
struct Listed {
    sku: &'static str,
    title: &'static str,
    variant: Option<&'static str>,
    dkk_cents: i64,
    eur_cents: i64,
    grams: u32,
    /// Food, at a reduced rate where the market has one.
    food: bool,
}

const fn listed(
    sku: &'static str,
    title: &'static str,
    variant: Option<&'static str>,
    [dkk_cents, eur_cents]: [i64; 2],
    grams: u32,
) -> Listed {
    Listed {
        sku,
        title,
        variant,
        dkk_cents,
        eur_cents,
        grams,
        food: sku.as_bytes()[0] == b'B',
    }
}

#[rustfmt::skip]
const CATALOGUE: &[Listed] = &[
    listed("MUG-350-BLUE", "Stoneware mug 350 ml", Some("Blue"), [12900, 1795], 420),
    listed("MUG-350-SAND", "Stoneware mug 350 ml", Some("Sand"), [12900, 1795], 420),
    listed("KETTLE-1L", "Pour-over kettle 1 l", None, [44900, 5900], 900),
    listed("BEANS-ETH-500", "Coffee beans, Ethiopia 500 g", None, [14995, 1990], 520),
    listed("BEANS-COL-1000", "Coffee beans, Colombia 1 kg", None, [25900, 3450], 1030),
    listed("FILTER-02-100", "Paper filters size 02, 100 pcs", None, [3995, 495], 150),
    listed("GRINDER-HAND", "Hand grinder, steel burrs", None, [69900, 8900], 650),
    listed("TOWEL-LINEN", "Linen tea towel", Some("Natural"), [8900, 1195], 90),
];

const NOTES: &[&str] = &[
    "Please leave the parcel at the back door.",
    "Ring twice, the bell is weak.",
    "Deliver after 4 pm, please.",
];

const GIFT_MESSAGES: &[&str] = &[
    "Happy birthday, Mum!",
    "Congratulations on the new flat",
    "Tak for hjælpen",
];

impl Generator {
    pub fn new(market: Market, seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        };
        Self {
            rng,
            market,
            shape: Shape::default(),
        }
    }

    /// The same generator making baskets of `shape`.
    pub fn with_shape(mut self, shape: Shape) -> Self {
        self.shape = shape;
        self
    }

    pub fn market(&self) -> Market {
        self.market
    }

    /// 1 to 3 different products (as the [`Shape`] says), sometimes a
    /// coupon, a fee, a note or a gift message; shipping is free above a
    /// threshold.
    pub fn basket(&mut self) -> Basket {
        let buyer = self.buyer();
        let count = self
            .rng
            .gen_range(1..=self.shape.max_lines.clamp(1, CATALOGUE.len()));
        let mut lines: Vec<(Product, u32)> = Vec::with_capacity(count);
        while lines.len() < count {
            let index = self.rng.gen_range(0..CATALOGUE.len());
            if lines.iter().any(|(p, _)| p.number == index as u64 + 1) {
                continue;
            }
            let quantity = if self.rng.gen_bool(0.7) {
                1
            } else {
                self.rng.gen_range(2..=self.shape.max_quantity.max(2))
            };
            lines.push((self.product(index), quantity));
        }
        let goods: Decimal = lines.iter().map(|(p, q)| p.price * Decimal::from(*q)).sum();
        let shipping = self.shipping(goods);
        let coupon = self.rng.gen_bool(0.3).then(|| self.coupon());
        let fee = self.rng.gen_bool(0.25).then(|| self.fee());
        let note = self.rng.gen_bool(0.25).then(|| pick(&mut self.rng, NOTES));
        let gift_message = self
            .rng
            .gen_bool(0.15)
            .then(|| pick(&mut self.rng, GIFT_MESSAGES));
        Basket {
            buyer,
            lines,
            shipping,
            coupon,
            fee,
            note,
            gift_message,
        }
    }

    /// A number in `range`, for ids and hashes that should look random.
    pub fn number(&mut self, range: std::ops::Range<u64>) -> u64 {
        self.rng.gen_range(range)
    }

    /// `n` random lower-case hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from_digit(self.rng.gen_range(0..16), 16).unwrap_or('0'))
            .collect()
    }

    /// A random (version 4 style) UUID.
    pub fn uuid(&mut self) -> String {
        let hex = self.hex(32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..]
        )
    }

    pub fn one_in(&mut self, n: u32) -> bool {
        self.rng.gen_ratio(1, n.max(1))
    }

    fn buyer(&mut self) -> Buyer {
        let people = match self.market {
            Market::Denmark => DANES,
            Market::Germany => GERMANS,
        };
        let index = self.rng.gen_range(0..people.len());
        let person = &people[index];
        let domain = match self.market {
            Market::Denmark => "example.dk",
            Market::Germany => "example.de",
        };
        let email = format!(
            "{}.{}@{domain}",
            ascii_lower(person.first),
            ascii_lower(person.last)
        );
        let phone = match self.market {
            Market::Denmark => format!("+45{}", self.rng.gen_range(20_000_000..=61_999_999)),
            Market::Germany => format!("+49151{}", self.rng.gen_range(1_000_000..=9_999_999)),
        };
        Buyer {
            first_name: person.first,
            last_name: person.last,
            company: person.company.map(|(name, _)| name),
            vat_number: person.company.map(|(_, vat)| vat),
            email,
            phone,
            address1: person.street,
            city: person.city,
            zip: person.zip,
            number: index as u64 + 1,
        }
    }

    fn product(&self, index: usize) -> Product {
        let item = &CATALOGUE[index];
        let cents = match self.market {
            Market::Denmark => item.dkk_cents,
            Market::Germany => item.eur_cents,
        };
        Product {
            sku: item.sku,
            title: item.title,
            variant: item.variant,
            price: Decimal::new(cents, 2),
            grams: item.grams,
            number: index as u64 + 1,
            rate: if item.food && self.shape.mixed_rates {
                self.market.reduced_rate()
            } else {
                self.market.vat_rate()
            },
        }
    }

    fn shipping(&mut self, goods: Decimal) -> Charge {
        let (free_above, options): (i64, [(&'static str, &'static str, i64); 2]) = match self.market
        {
            Market::Denmark => (
                800,
                [
                    ("GLS Pakkeshop", "gls-pakkeshop", 3900),
                    ("PostNord Home", "postnord-home", 5900),
                ],
            ),
            Market::Germany => (
                100,
                [
                    ("DHL Paket", "dhl-paket", 490),
                    ("DPD Classic", "dpd-classic", 590),
                ],
            ),
        };
        if goods >= Decimal::from(free_above) {
            return Charge {
                title: "Free shipping",
                code: "free-shipping",
                price: Decimal::ZERO,
            };
        }
        let (title, code, cents) = options[self.rng.gen_range(0..options.len())];
        Charge {
            title,
            code,
            price: Decimal::new(cents, 2),
        }
    }

    fn coupon(&mut self) -> Coupon {
        if self.rng.gen_bool(0.5) {
            Coupon {
                code: "WELCOME10",
                percent: Decimal::new(10, 2),
            }
        } else {
            Coupon {
                code: "SUMMER15",
                percent: Decimal::new(15, 2),
            }
        }
    }

    fn fee(&self) -> Charge {
        let cents = match self.market {
            Market::Denmark => 2500,
            Market::Germany => 295,
        };
        Charge {
            title: "Invoice fee",
            code: "invoice-fee",
            price: Decimal::new(cents, 2),
        }
    }
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

fn ascii_lower(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'ø' | 'Ø' => 'o',
            'æ' | 'Æ' => 'e',
            'å' | 'Å' => 'a',
            'ü' | 'Ü' => 'u',
            'ö' | 'Ö' => 'o',
            'ä' | 'Ä' => 'a',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// Rounds to cents the way shops do (half away from zero).
pub fn cents(amount: Decimal) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// An amount as the shops write it: a string with two decimals.
pub fn money(amount: Decimal) -> String {
    cents(amount).to_string()
}

/// A line's figures, computed the way both shops do: the discount is taken
/// off the listed price, then tax is computed on what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    /// As listed (gross when prices include tax), for the whole line.
    pub listed: Decimal,
    /// The discount as listed (gross when prices include tax).
    pub discount: Decimal,
    /// Tax on the line before and after the discount.
    pub tax_before: Decimal,
    pub tax_after: Decimal,
    /// Excluding tax, before and after the discount.
    pub net_before: Decimal,
    pub net_after: Decimal,
}

impl Priced {
    pub fn new(
        listed: Decimal,
        percent_off: Decimal,
        rate: Decimal,
        prices_include_tax: bool,
    ) -> Self {
        let discount = cents(listed * percent_off);
        let after = listed - discount;
        let tax_of = |amount: Decimal| {
            if prices_include_tax {
                cents(amount * rate / (Decimal::ONE + rate))
            } else {
                cents(amount * rate)
            }
        };
        let (tax_before, tax_after) = (tax_of(listed), tax_of(after));
        let (net_before, net_after) = if prices_include_tax {
            (listed - tax_before, after - tax_after)
        } else {
            (listed, after)
        };
        Self {
            listed,
            discount,
            tax_before,
            tax_after,
            net_before,
            net_after,
        }
    }

    /// What the customer pays for the line, tax included.
    pub fn gross_after(&self) -> Decimal {
        self.net_after + self.tax_after
    }
}

/// The fields of two JSON objects in one (the second's win).
pub fn merged(first: serde_json::Value, second: serde_json::Value) -> serde_json::Value {
    match (first, second) {
        (serde_json::Value::Object(mut a), serde_json::Value::Object(b)) => {
            a.extend(b);
            serde_json::Value::Object(a)
        }
        (_, second) => second,
    }
}

/// A time as the shop's clock shows it, with its offset ("…+01:00").
pub fn local_time(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A time given in a query: RFC 3339, or without an offset (taken as UTC;
/// callers that mean the shop's local time convert), or a bare date.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(naive.and_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
}

/// `base64(HMAC-SHA256(secret, body))`: the signature both platforms send.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes keys of any length.
        Err(_) => unreachable!("HMAC accepts any key length"),
    };
    mac.update(body);
    B64.encode(mac.finalize().into_bytes())
}

/// One webhook request exactly as the platform sends it, kept so that it can
/// be sent again (the same delivery twice, as platforms do on retries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Webhook {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// POSTs the request to `target_url`; the answer's status.
    pub async fn deliver(
        &self,
        client: &reqwest::Client,
        target_url: &str,
    ) -> reqwest::Result<reqwest::StatusCode> {
        let mut request = client.post(target_url).body(self.body.clone());
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        Ok(request.send().await?.status())
    }
}

/// Serves `router` on a free loopback port until the task is aborted.
pub async fn serve(
    router: axum::Router,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(%error, "a sandbox shop stopped serving");
        }
    });
    Ok((address, task))
}

/// The countries the sandbox shops know by code and by English name (what
/// shops answer as `country` / `country_name`).
const COUNTRIES: &[(&str, &str)] = &[
    ("DK", "Denmark"),
    ("SE", "Sweden"),
    ("NO", "Norway"),
    ("FI", "Finland"),
    ("IS", "Iceland"),
    ("DE", "Germany"),
    ("NL", "Netherlands"),
    ("BE", "Belgium"),
    ("FR", "France"),
    ("PL", "Poland"),
    ("GB", "United Kingdom"),
    ("US", "United States"),
];

/// The English name of a two-letter country code (any case).
pub fn country_name(code: &str) -> Option<&'static str> {
    COUNTRIES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code.trim()))
        .map(|(_, name)| *name)
}

/// The two-letter code of a country named in English (any case).
pub fn country_code(name: &str) -> Option<&'static str> {
    COUNTRIES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(code, _)| *code)
}

/// A plausible e-mail address, as shops check one: one `@` with text on
/// both sides, a dot in the domain, no spaces.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

/// Locks the shop's state, also after a panic elsewhere (the state is plain
/// data that stays usable).
pub fn lock<T>(state: &Mutex<T>) -> MutexGuard<'_, T> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Injected failures: the next `count` API calls answer `status`.
#[derive(Debug, Default)]
pub struct Faults {
    pending: Vec<u16>,
}

impl Faults {
    pub fn push(&mut self, status: u16, count: usize) {
        self.pending.extend(std::iter::repeat_n(status, count));
    }

    /// The status the next call answers, if a failure is due.
    pub fn take(&mut self) -> Option<u16> {
        (!self.pending.is_empty()).then(|| self.pending.remove(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn prices_a_line_like_a_shop() {
        let included = Priced::new(dec("258.00"), dec("0.10"), dec("0.25"), true);
        assert_eq!(included.discount, dec("25.80"));
        assert_eq!(included.tax_after, dec("46.44"));
        assert_eq!(included.net_after, dec("185.76"));
        assert_eq!(included.gross_after(), dec("232.20"));
        let excluded = Priced::new(dec("100.00"), dec("0"), dec("0.19"), false);
        assert_eq!(
            (excluded.net_after, excluded.tax_after),
            (dec("100.00"), dec("19.00"))
        );
        assert_eq!(money(dec("3")), "3.00");
        assert_eq!(money(dec("0.125")), "0.13");
    }

    #[test]
    fn the_same_seed_gives_the_same_baskets() {
        let mut a = Generator::new(Market::Denmark, Some(7));
        let mut b = Generator::new(Market::Denmark, Some(7));
        for _ in 0..20 {
            let (x, y) = (a.basket(), b.basket());
            assert_eq!(x.buyer.email, y.buyer.email);
            assert_eq!(x.lines.len(), y.lines.len());
            assert!((1..=3).contains(&x.lines.len()));
            let skus: std::collections::HashSet<_> = x.lines.iter().map(|(p, _)| p.sku).collect();
            assert_eq!(skus.len(), x.lines.len(), "no product twice");
        }
        assert_eq!(a.uuid().len(), 36);
    }

    #[test]
    fn knows_countries_and_emails_as_shops_check_them() {
        assert_eq!(country_name("dk"), Some("Denmark"));
        assert_eq!(country_code(" sweden "), Some("SE"));
        assert_eq!(country_code("Danmark"), None, "English names only");
        assert!(is_email("jens@example.dk"));
        for bad in [
            "jens",
            "jens@",
            "@example.dk",
            "jens@localhost",
            "a b@x.dk",
            "a@b@x.dk",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn signs_like_shopifys_published_vector() {
        assert_eq!(
            sign(b"test_secret_key", br#"{"foo": "bar"}"#),
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
        );
    }
}
