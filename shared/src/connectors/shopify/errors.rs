//! Shopify's error bodies in words: `errors` (or `error`) as text, a list,
//! or fields with their messages.

/// Shopify's error body in words: `{"errors": "..."}`, `{"errors": [...]}` or
/// `{"errors": {"field": ["..."]}}`.
pub(super) fn error_words(body: &[u8]) -> String {
    fn words(value: &serde_json::Value) -> String {
        match value {
            serde_json::Value::String(text) => text.trim().to_owned(),
            serde_json::Value::Array(items) => items
                .iter()
                .map(words)
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("; "),
            serde_json::Value::Object(fields) => fields
                .iter()
                .map(|(field, value)| match field.as_str() {
                    "base" => words(value),
                    _ => format!("{field} {}", words(value)),
                })
                .collect::<Vec<_>>()
                .join("; "),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
    }
    let Ok(serde_json::Value::Object(answer)) = serde_json::from_slice(body) else {
        return String::new();
    };
    let text = answer
        .get("errors")
        .or_else(|| answer.get("error"))
        .map(words)
        .unwrap_or_default();
    let text: String = text.chars().take(300).collect();
    text
}
