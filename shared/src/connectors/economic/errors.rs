//! e-conomic's error bodies in words: the annotated validation tree, the
//! plain message, and the log id that e-conomic's support asks for.

use serde_json::Value;

/// e-conomic's error body in words: every annotated field error as
/// `path: message (code)`, then the log id support asks for. Empty when the
/// body is not e-conomic's JSON.
pub fn describe_error(body: &[u8]) -> String {
    let Ok(Value::Object(top)) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    let mut items: Vec<(String, Option<String>)> = Vec::new();
    if let Some(tree) = top.get("errors") {
        collect_errors(tree, "", &mut items);
    }
    if items.is_empty() {
        let message = top
            .get("message")
            .or_else(|| top.get("developerHint"))
            .and_then(Value::as_str)
            .map(|m| m.trim().to_owned());
        if let Some(message) = message.filter(|m| !m.is_empty()) {
            let code = top
                .get("errorCode")
                .and_then(Value::as_str)
                .map(str::to_owned);
            items.push((message, code));
        }
    }
    let log_id = top.get("logId").and_then(Value::as_str);
    let count = items.len();
    let mut parts = Vec::with_capacity(count);
    for (i, (text, code)) in items.into_iter().enumerate() {
        let mut notes: Vec<String> = code.into_iter().collect();
        if i + 1 == count {
            notes.extend(log_id.map(|id| format!("log id {id}")));
        }
        if notes.is_empty() {
            parts.push(text);
        } else {
            parts.push(format!("{text} ({})", notes.join("; ")));
        }
    }
    if parts.is_empty() {
        return log_id.map(|id| format!("log id {id}")).unwrap_or_default();
    }
    parts.join("; ")
}

/// Walks the annotated `errors` tree, which mirrors the request document:
/// objects by field name, arrays by `arrayIndex`, leaves under `errors: [...]`.
fn collect_errors(node: &Value, path: &str, out: &mut Vec<(String, Option<String>)>) {
    let Value::Object(map) = node else {
        return;
    };
    for (key, value) in map {
        match (key.as_str(), value) {
            ("errors", Value::Array(leaves)) => {
                for leaf in leaves {
                    let message = leaf
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("invalid value");
                    let code = leaf
                        .get("errorCode")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    let text = if path.is_empty() {
                        message.to_owned()
                    } else {
                        format!("{path}: {message}")
                    };
                    out.push((text, code));
                }
            }
            ("arrayIndex", _) => {}
            (_, Value::Object(_)) => collect_errors(value, &join(path, key), out),
            (_, Value::Array(items)) => {
                for (position, item) in items.iter().enumerate() {
                    let index = item
                        .get("arrayIndex")
                        .and_then(Value::as_u64)
                        .unwrap_or(position as u64);
                    collect_errors(item, &format!("{}[{index}]", join(path, key)), out);
                }
            }
            _ => {}
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../fixtures/economic-error-validation-400.json");

    #[test]
    fn translates_the_annotated_validation_error() {
        let words = describe_error(FIXTURE.as_bytes());
        assert_eq!(
            words,
            "currency: currency does not exist. (E06000); \
             customer: customer does not exist. (E06000); \
             lines[0].unit: unit does not exist. (E06000); \
             lines[0].unitNetPrice: unitNetPrice scale cannot be greater then two decimal places. (E04740); \
             lines[1].product: No identifiers present on product. Please include either a self link or a productNumber. (E04500); \
             quantity: Property quantity must have a value when product is set. (E04730; log id c7ca5bc2-ad2d-4639-93f9-b22ba88c97d7)"
        );
    }
}
