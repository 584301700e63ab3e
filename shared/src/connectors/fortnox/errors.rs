//! Fortnox's error bodies in words: `ErrorInformation` (in either casing),
//! an OAuth error, or a bare message.

use serde_json::Value;

/// Fortnox's error body in words: `ErrorInformation` (either casing), an
/// OAuth error, or a bare message. Empty when the body says nothing useful.
pub fn describe_error(body: &[u8]) -> String {
    let Ok(Value::Object(top)) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    let field = |node: &Value, names: &[&str]| -> Option<String> {
        names.iter().find_map(|name| match node.get(*name)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    if let Some(info) = top.get("ErrorInformation") {
        let message = field(info, &["message", "Message"]).unwrap_or_else(|| "an error".to_owned());
        return match field(info, &["code", "Code"]) {
            Some(code) => format!("{message} (code {code})"),
            None => message,
        };
    }
    let top = Value::Object(top);
    if let Some(description) = field(&top, &["error_description"]) {
        return match field(&top, &["error"]) {
            Some(error) => format!("{description} ({error})"),
            None => description,
        };
    }
    field(&top, &["message", "Message"]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_error_information() {
        let body = r#"{"ErrorInformation":{"error":1,"message":"Kunde inte hitta artikel \"MUG\".","code":2000428}}"#;
        assert_eq!(
            describe_error(body.as_bytes()),
            "Kunde inte hitta artikel \"MUG\". (code 2000428)"
        );
        let capitalised =
            r#"{"ErrorInformation":{"Error":1,"Message":"Ogiltig valuta.","Code":"2000359"}}"#;
        assert_eq!(
            describe_error(capitalised.as_bytes()),
            "Ogiltig valuta. (code 2000359)"
        );
        let oauth =
            r#"{"error":"invalid_token","error_description":"The access token has expired"}"#;
        assert_eq!(
            describe_error(oauth.as_bytes()),
            "The access token has expired (invalid_token)"
        );
        assert_eq!(describe_error(b"<html>"), "");
    }
}
