//! HTML entities as WordPress leaves them in text: the webhook secret (stored
//! escaped, decoded before signing) and product names ("Mug &ndash; Blue").

/// What WordPress's `wp_specialchars_decode($secret, ENT_QUOTES)` does before
/// WooCommerce signs a webhook: it decodes only `&amp; &lt; &gt; &quot;`, the
/// decimal forms of `& < > " '` (any number of leading zeros) and the hex
/// forms of `& " '`. Everything else stays as written, so the secret we sign
/// with is byte for byte the one WooCommerce used.
pub(super) fn decode_special_chars(text: &str) -> String {
    decode(text, |entity| match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        _ => match numeric(entity)? {
            Numeric::Decimal(39) | Numeric::Hex(0x27) => Some('\''),
            Numeric::Decimal(34) | Numeric::Hex(0x22) => Some('"'),
            Numeric::Decimal(38) | Numeric::Hex(0x26) => Some('&'),
            Numeric::Decimal(60) => Some('<'),
            Numeric::Decimal(62) => Some('>'),
            _ => None,
        },
    })
}

/// Decodes the entities that turn up in WooCommerce names: every numeric
/// entity and the common named ones. Unknown entities stay as written.
pub(super) fn decode_text(text: &str) -> String {
    decode(text, |entity| match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        "ndash" => Some('–'),
        "mdash" => Some('—'),
        "hellip" => Some('…'),
        "lsquo" => Some('‘'),
        "rsquo" => Some('’'),
        "ldquo" => Some('“'),
        "rdquo" => Some('”'),
        "euro" => Some('€'),
        "times" => Some('×'),
        _ => match numeric(entity)? {
            Numeric::Decimal(code) | Numeric::Hex(code) => char::from_u32(code),
        },
    })
}

enum Numeric {
    Decimal(u32),
    Hex(u32),
}

/// `#39` → Decimal(39), `#x27` / `#X27` → Hex(0x27).
fn numeric(entity: &str) -> Option<Numeric> {
    let digits = entity.strip_prefix('#')?;
    if let Some(hex) = digits.strip_prefix(['x', 'X']) {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(hex, 16).ok().map(Numeric::Hex)
    } else {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(Numeric::Decimal)
    }
}

/// One pass over `text`: each `&name;` that `known` recognises becomes its
/// character. A decoded `&` is never read again (`&amp;lt;` → `&lt;`).
fn decode(text: &str, known: impl Fn(&str) -> Option<char>) -> String {
    // Longer runs between `&` and `;` are not entities.
    const LONGEST: usize = 32;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after
            .find(';')
            .filter(|&semi| semi <= LONGEST)
            .and_then(|semi| known(&after[..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_secrets_like_wordpress() {
        assert_eq!(decode_special_chars("s3cr&amp;t"), "s3cr&t");
        assert_eq!(
            decode_special_chars("a&#039;b&#39;c&#x27;d&#X27;e"),
            "a'b'c'd'e"
        );
        assert_eq!(
            decode_special_chars("&#0038;&#x26;&#x0026;&lt;&#60;&gt;&quot;"),
            "&&&<<>\""
        );
        // WordPress leaves these alone.
        assert_eq!(
            decode_special_chars("&#x3c;&ndash;&AMP;&amp"),
            "&#x3c;&ndash;&AMP;&amp"
        );
        // One pass: a decoded '&' does not start a new entity.
        assert_eq!(decode_special_chars("&amp;lt;"), "&lt;");
        assert_eq!(decode_special_chars("plain"), "plain");
    }

    #[test]
    fn decodes_names() {
        assert_eq!(
            decode_text("Ship Your Idea &ndash; Color: Black, Size: M Test"),
            "Ship Your Idea – Color: Black, Size: M Test"
        );
        assert_eq!(
            decode_text("R&amp;D &#8211; &#x1F600; &bogus; & x"),
            "R&D – 😀 &bogus; & x"
        );
        assert_eq!(decode_text("&#xD800; stays"), "&#xD800; stays");
        assert_eq!(decode_text("&#99999999999;"), "&#99999999999;");
    }
}
