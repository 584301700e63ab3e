//! e-conomic's `filter=` (the `$eq:` and `$and:` operators, with `$`
//! escapes) and its collection envelope with pagination.

use super::rules::lookup;
use super::{error, Shared};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `field$eq:value` clauses joined by `$and:`, with `$$ $( $) $* $, $[ $]`
/// escapes. Other operators are not offered by the sandbox.
pub(super) fn parse_filter(raw: &str) -> Result<Vec<(String, String)>, String> {
    let chars: Vec<char> = raw.chars().collect();
    let mut clauses = Vec::new();
    let (mut field, mut value, mut in_value) = (String::new(), String::new(), false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '(' | ')' | '*' | ',' | '[' | ']') {
            // Operators' own characters: a literal one must be escaped with '$'.
            return Err(format!(
                "the filter has an unescaped '{c}' at {i}; write '${c}'"
            ));
        }
        if c != '$' {
            if in_value {
                value.push(c)
            } else {
                field.push(c)
            }
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some(&escaped @ ('$' | '(' | ')' | '*' | ',' | '[' | ']')) => {
                if in_value {
                    value.push(escaped)
                } else {
                    field.push(escaped)
                }
                i += 2;
            }
            _ => {
                let end = (i + 1..chars.len())
                    .find(|&j| !chars[j].is_ascii_alphabetic())
                    .filter(|&j| chars[j] == ':')
                    .ok_or_else(|| {
                        format!(
                            "the filter has a '$' that is neither an operator nor an escape at {i}"
                        )
                    })?;
                let operator: String = chars[i + 1..end].iter().collect();
                match (operator.as_str(), in_value) {
                    ("eq", false) => in_value = true,
                    ("and", true) => {
                        clauses.push((std::mem::take(&mut field), std::mem::take(&mut value)));
                        in_value = false;
                    }
                    _ => {
                        return Err(format!(
                            "the sandbox supports only $eq: and $and: in filters, not ${operator}:"
                        ))
                    }
                }
                i = end + 1;
            }
        }
    }
    if !in_value {
        return Err("every filter clause needs an operator such as $eq:".into());
    }
    clauses.push((field, value));
    Ok(clauses)
}

pub(super) fn matches(body: &Value, clauses: &[(String, String)]) -> bool {
    clauses
        .iter()
        .all(|(field, wanted)| match lookup(body, field) {
            Some(Value::String(s)) => s == wanted,
            Some(Value::Number(n)) => n.to_string() == *wanted,
            Some(Value::Bool(b)) => b.to_string() == *wanted,
            _ => false,
        })
}

/// e-conomic's collection envelope: `filter`, `skippages`, `pagesize`.
pub(super) fn collection(
    shared: &Shared,
    path: &str,
    items: Vec<&Value>,
    query: &HashMap<String, String>,
) -> Response {
    // Only the page answered is copied: a filtered look-up in a ledger of
    // thousands of documents stays cheap.
    let page_size = match query.get("pagesize").map(|s| s.parse::<usize>()) {
        None => 20,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "pagesize must be 1 to 1000.",
                "Use pagesize=1..1000.",
            )
        }
    };
    let Ok(skip_pages) = query.get("skippages").map_or(Ok(0), |s| s.parse::<usize>()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "skippages must be a whole number.",
            "Use skippages=0,1,...",
        );
    };
    let without_filter = items.len();
    let found: Vec<&Value> = match query.get("filter") {
        Some(raw) => match parse_filter(raw) {
            Ok(clauses) => items
                .into_iter()
                .filter(|item| matches(item, &clauses))
                .collect(),
            Err(problem) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "The filter is not valid.",
                    &problem,
                )
            }
        },
        None => items,
    };
    let mut found = found;
    if let Some(sort) = query.get("sort") {
        // `sort=customerNumber` ascending, `sort=-customerNumber` descending.
        let (field, descending) = match sort.strip_prefix('-') {
            Some(field) => (field, true),
            None => (sort.as_str(), false),
        };
        found.sort_by(|a, b| {
            let order = compare_field(a.get(field), b.get(field));
            if descending {
                order.reverse()
            } else {
                order
            }
        });
    }
    let results = found.len();
    let page: Vec<Value> = found
        .into_iter()
        .skip(skip_pages.saturating_mul(page_size))
        .take(page_size)
        .cloned()
        .collect();
    let last_page = results.saturating_sub(1) / page_size;
    let link = |skip: usize| {
        format!(
            "{}{path}?skippages={skip}&pagesize={page_size}",
            shared.base_url
        )
    };
    let mut pagination = json!({
        "skipPages": skip_pages,
        "pageSize": page_size,
        "maxPageSizeAllowed": 1000,
        "results": results,
        "resultsWithoutFilter": without_filter,
        "firstPage": link(0),
        "lastPage": link(last_page),
    });
    if skip_pages < last_page {
        pagination["nextPage"] = json!(link(skip_pages + 1));
    }
    Json(json!({
        "collection": page,
        "pagination": pagination,
        "self": format!("{}{path}", shared.base_url),
    }))
    .into_response()
}

/// Numbers by value, text by text; a missing field first.
fn compare_field(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(Value::Number(a)), Some(Value::Number(b))) => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        (Some(Value::String(a)), Some(Value::String(b))) => a.cmp(b),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        _ => std::cmp::Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_escaped_filters() {
        assert_eq!(
            parse_filter("references.other$eq:#1001").unwrap(),
            vec![("references.other".to_owned(), "#1001".to_owned())]
        );
        assert_eq!(
            parse_filter("name$eq:Smith$, John $(VIP$)$and:city$eq:a$$b").unwrap(),
            vec![
                ("name".to_owned(), "Smith, John (VIP)".to_owned()),
                ("city".to_owned(), "a$b".to_owned())
            ]
        );
        assert!(parse_filter("name$like:Jo*").is_err());
        assert!(parse_filter("name$eq:Smith, John").is_err());
        assert!(parse_filter("name").is_err());
    }

    #[test]
    fn sorts_numbers_by_value_and_text_as_text() {
        let (nine, ten) = (json!({"n": 9, "t": "b"}), json!({"n": 10, "t": "a"}));
        use std::cmp::Ordering::*;
        assert_eq!(compare_field(nine.get("n"), ten.get("n")), Less);
        assert_eq!(compare_field(nine.get("t"), ten.get("t")), Greater);
        assert_eq!(compare_field(None, ten.get("n")), Less);
    }
}
