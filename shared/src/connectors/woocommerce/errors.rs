//! WordPress's error bodies in words.

use super::html;
use crate::connectors::webshop::non_blank;

/// WordPress's error body in words: `{"code", "message", "data": {"status"}}`.
pub(super) fn error_words(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct WpError {
        code: Option<String>,
        message: Option<String>,
    }
    let Ok(error) = serde_json::from_slice::<WpError>(body) else {
        return String::new();
    };
    let words = non_blank(error.message.as_deref())
        .map(|message| html::decode_text(&message))
        .or(error.code)
        .unwrap_or_default();
    words.chars().take(300).collect()
}
