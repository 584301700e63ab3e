//! Text Ferry keeps from elsewhere (a remote's error words, a reason)
//! stays small: an item of the store never grows past its limit because a
//! remote answered a page of HTML.

/// At most this many bytes of remote text are kept in one reason.
pub const KEPT_TEXT_BYTES: usize = 1024;

/// `text` cut to [`KEPT_TEXT_BYTES`] on a character boundary, marked with
/// "…" where it was cut.
pub fn kept(text: &str) -> String {
    if text.len() <= KEPT_TEXT_BYTES {
        return text.to_owned();
    }
    let mark = "…";
    let mut end = KEPT_TEXT_BYTES - mark.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{mark}", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(kept("short"), "short");
        let exact = "x".repeat(KEPT_TEXT_BYTES);
        assert_eq!(kept(&exact), exact);
        for long in ["ø".repeat(5_000), format!("a{}", "😀".repeat(1_000))] {
            let cut = kept(&long);
            assert!(cut.len() <= KEPT_TEXT_BYTES, "{}", cut.len());
            assert!(cut.ends_with('…'));
            assert!(long.starts_with(cut.trim_end_matches('…')));
        }
    }
}
