//! e-conomic's validation rules for the sandbox; the error bodies they
//! answer with are `super::problems`.

use super::harness::{cents, decimal};
use super::problems::{Problems, Step};
use super::{
    error, Document, Ledger, Line, Settings, MALFORMED, MISSING, NOT_FOUND, NO_PRODUCT_NUMBER,
    NO_QUANTITY, SCALE,
};
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// The request's JSON object, or e-conomic's answer to a body that is not one.
pub(super) fn parse_body(body: &Bytes) -> Result<Value, Box<Response>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "The request body is not a valid JSON object.",
            "Send the entity as a JSON object.",
        ))),
    }
}

/// A required text property.
pub(super) fn required_text<'a>(
    body: &'a Value,
    field: &'a str,
    problems: &mut Problems,
) -> Option<&'a str> {
    match body.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        Some(other) if !other.is_null() => {
            problems.add(
                &[Step::Field(field)],
                MALFORMED,
                format!("{field} must be a text."),
                Some(other),
            );
            None
        }
        _ => {
            problems.add(
                &[Step::Field(field)],
                MISSING,
                format!("Property \"{field}\" is required."),
                None,
            );
            None
        }
    }
}

/// A required reference `{field: {number_field: n}}` to one of `known`.
pub(super) fn reference(
    body: &Value,
    field: &str,
    number_field: &str,
    known: &[u64],
    problems: &mut Problems,
) -> Option<u64> {
    let Some(object) = body.get(field).filter(|v| !v.is_null()) else {
        problems.add(
            &[Step::Field(field)],
            MISSING,
            format!("Property \"{field}\" is required."),
            None,
        );
        return None;
    };
    let Some(number) = object.get(number_field).and_then(Value::as_u64) else {
        problems.add(
            &[Step::Field(field), Step::Field(number_field)],
            MISSING,
            format!("Property \"{number_field}\" is required."),
            None,
        );
        return None;
    };
    if !known.contains(&number) {
        problems.add(
            &[Step::Field(field)],
            NOT_FOUND,
            format!("{field} does not exist."),
            Some(&json!(number)),
        );
        return None;
    }
    Some(number)
}

/// Looks a dotted path up in a JSON document.
pub(super) fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |node, key| node.get(key))
}

/// Checks a draft invoice or draft order and computes its amounts.
pub(super) fn check_document(
    body: &Value,
    ledger: &Ledger,
    settings: &Settings,
) -> Result<Document, Problems> {
    let mut problems = Problems::default();
    let date = required_text(body, "date", &mut problems).map(str::to_owned);
    if let Some(text) = &date {
        if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() {
            problems.add(
                &[Step::Field("date")],
                MALFORMED,
                "date must be YYYY-MM-DD.".into(),
                Some(&json!(text)),
            );
        }
    }
    let currency = required_text(body, "currency", &mut problems).map(str::to_owned);
    if let Some(currency) = &currency {
        if !settings.currencies.contains(currency) {
            problems.add(
                &[Step::Field("currency")],
                NOT_FOUND,
                "currency does not exist.".into(),
                Some(&json!(currency)),
            );
        }
    }
    let exchange_rate =
        super::currencies::exchange_rate(body, currency.as_deref(), settings, &mut problems);
    let customers: Vec<u64> = ledger.customers.iter().map(|c| c.customer_number).collect();
    let customer = reference(
        body,
        "customer",
        "customerNumber",
        &customers,
        &mut problems,
    );
    reference(
        body,
        "layout",
        "layoutNumber",
        &settings.layouts,
        &mut problems,
    );
    reference(
        body,
        "paymentTerms",
        "paymentTermsNumber",
        &settings.payment_terms,
        &mut problems,
    );
    let mut vat_rate = Decimal::ZERO;
    let mut vat_zone = None;
    match body.get("recipient").filter(|r| r.is_object()) {
        None => problems.add(
            &[Step::Field("recipient")],
            MISSING,
            "Property \"recipient\" is required.".into(),
            None,
        ),
        Some(recipient) => {
            if recipient
                .get("name")
                .and_then(Value::as_str)
                .is_none_or(|n| n.trim().is_empty())
            {
                problems.add(
                    &[Step::Field("recipient"), Step::Field("name")],
                    MISSING,
                    "Property \"name\" is required.".into(),
                    None,
                );
            }
            match recipient
                .get("vatZone")
                .and_then(|z| z.get("vatZoneNumber"))
                .and_then(Value::as_u64)
            {
                None => problems.add(
                    &[Step::Field("recipient"), Step::Field("vatZone")],
                    MISSING,
                    "Property \"vatZone\" is required.".into(),
                    None,
                ),
                Some(zone) => match settings.vat_zones.iter().find(|z| z.0 == zone) {
                    Some((_, rate)) => {
                        vat_rate = *rate;
                        vat_zone = Some(zone);
                    }
                    None => problems.add(
                        &[Step::Field("recipient"), Step::Field("vatZone")],
                        NOT_FOUND,
                        "vatZone does not exist.".into(),
                        Some(&json!(zone)),
                    ),
                },
            }
        }
    }
    let mut lines = Vec::new();
    let raw_lines = match body.get("lines") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(other) => {
            problems.add(
                &[Step::Field("lines")],
                MALFORMED,
                "lines must be an array.".into(),
                Some(other),
            );
            Vec::new()
        }
    };
    for (i, raw) in raw_lines.iter().enumerate() {
        if let Some(line) = check_line(raw, i, ledger, &mut problems) {
            lines.push(line);
        }
    }
    let (Some(date), Some(currency), Some(customer_number), true) =
        (date, currency, customer, problems.is_empty())
    else {
        return Err(problems);
    };
    let net_amount: Decimal = lines.iter().map(|l: &Line| l.total_net_amount).sum();
    // Each line at the rate of its product's group in the zone, rounded
    // once per rate on that rate's net.
    let mut by_rate: Vec<(Decimal, Decimal)> = Vec::new();
    for line in &lines {
        let group = line
            .product_number
            .as_ref()
            .and_then(|n| ledger.products.iter().find(|p| &p.product_number == n))
            .and_then(|p| lookup(&p.body, "productGroup.productGroupNumber"))
            .and_then(Value::as_u64);
        let rate = group
            .zip(vat_zone)
            .and_then(|(group, zone)| settings.vat_rate(group, zone))
            .unwrap_or(vat_rate);
        match by_rate.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, net)) => *net += line.total_net_amount,
            None => by_rate.push((rate, line.total_net_amount)),
        }
    }
    let vat_amount: Decimal = by_rate.iter().map(|(rate, net)| cents(net * rate)).sum();
    Ok(Document {
        number: 0,
        customer_number,
        date,
        currency,
        exchange_rate,
        reference: lookup(body, "references.other")
            .and_then(Value::as_str)
            .map(str::to_owned),
        heading: lookup(body, "notes.heading")
            .and_then(Value::as_str)
            .map(str::to_owned),
        lines,
        net_amount,
        vat_amount,
        gross_amount: net_amount + vat_amount,
        body: body.clone(),
    })
}

pub(super) fn check_line(
    raw: &Value,
    i: usize,
    ledger: &Ledger,
    problems: &mut Problems,
) -> Option<Line> {
    let before = problems.count();
    let at = |field: &'static str| [Step::Field("lines"), Step::Item(i), Step::Field(field)];
    let mut product = None;
    if let Some(reference) = raw.get("product").filter(|p| !p.is_null()) {
        match reference.get("productNumber").and_then(Value::as_str) {
            None => problems.add(
                &at("product"),
                NO_PRODUCT_NUMBER,
                "No identifiers present on product. Please include either a self link or a productNumber.".into(),
                None,
            ),
            Some(number) => match ledger.products.iter().find(|p| p.product_number == number) {
                Some(found) => product = Some(found),
                None => problems.add(&at("product"), NOT_FOUND, "product does not exist.".into(), Some(&json!(number))),
            },
        }
    }
    let amount = |field: &'static str, problems: &mut Problems| -> Option<Decimal> {
        let value = raw.get(field).filter(|v| !v.is_null())?;
        match decimal(value) {
            Some(d) if d.scale() <= 2 || field == "quantity" => Some(d),
            Some(_) => {
                problems.add(
                    &at(field),
                    SCALE,
                    format!("{field} scale cannot be greater then two decimal places."),
                    Some(value),
                );
                None
            }
            None => {
                problems.add(
                    &at(field),
                    MALFORMED,
                    format!("{field} must be a number."),
                    Some(value),
                );
                None
            }
        }
    };
    let quantity = amount("quantity", problems);
    if quantity.is_none()
        && raw.get("product").is_some_and(|p| !p.is_null())
        && raw.get("quantity").is_none_or(Value::is_null)
    {
        problems.add(
            &at("quantity"),
            NO_QUANTITY,
            "Property quantity must have a value when product is set.".into(),
            None,
        );
    }
    let unit_net_price =
        amount("unitNetPrice", problems).or_else(|| product.and_then(|p| p.sales_price));
    let discount_percentage = amount("discountPercentage", problems).unwrap_or_default();
    if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&discount_percentage) {
        problems.add(
            &at("discountPercentage"),
            MALFORMED,
            "discountPercentage must be 0 to 100.".into(),
            None,
        );
    }
    let description = match raw.get("description") {
        Some(Value::String(s)) if s.chars().count() <= 2500 => s.clone(),
        Some(Value::String(_)) => {
            problems.add(
                &at("description"),
                MALFORMED,
                "description cannot be longer than 2500 characters.".into(),
                None,
            );
            String::new()
        }
        _ => product.map(|p| p.name.clone()).unwrap_or_default(),
    };
    if problems.count() > before {
        return None;
    }
    let quantity = quantity.unwrap_or_default();
    let unit_net_price = unit_net_price.unwrap_or_default();
    Some(Line {
        line_number: raw
            .get("lineNumber")
            .and_then(Value::as_u64)
            .unwrap_or(i as u64 + 1),
        product_number: product.map(|p| p.product_number.clone()),
        description,
        quantity,
        unit_net_price,
        discount_percentage,
        total_net_amount: cents(
            quantity * unit_net_price * (Decimal::ONE_HUNDRED - discount_percentage)
                / Decimal::ONE_HUNDRED,
        ),
    })
}
