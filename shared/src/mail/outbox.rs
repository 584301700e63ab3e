//! The mailer of ferry-local: each email becomes one `.eml` file (RFC 5322,
//! multipart/alternative with a plain-text and an HTML part) in an outbox
//! folder, where a developer opens it with any mail program.
//!
//! The message is written by hand rather than with a MIME crate: it is one
//! fixed shape, about sixty lines, and the tests below pin it down.
//! Bodies are quoted-printable so the files stay readable as text; a subject
//! (or display name) with non-ASCII characters is an RFC 2047 encoded word.
//!
//! File names start with the time and end with a monotonic ULID, so that a
//! plain `ls` lists them in sending order and two never collide. Each file is
//! written under a hidden temporary name and renamed into place, so a reader
//! never sees half an email.

use super::{Email, MailError, Mailer};
use async_trait::async_trait;
use base64::Engine;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use ulid::{Generator, Ulid};

pub struct OutboxMailer {
    dir: PathBuf,
    ids: Mutex<Generator>,
}

impl std::fmt::Debug for OutboxMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMailer")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl OutboxMailer {
    /// An outbox in `dir`; the folder is created with the first email.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            ids: Mutex::new(Generator::new()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn next_id(&self) -> Result<Ulid, MailError> {
        let mut ids = self
            .ids
            .lock()
            .map_err(|_| MailError("the outbox is unusable after an earlier failure".into()))?;
        // Fails only when more than 2^80 ids are asked for in one millisecond.
        ids.generate()
            .map_err(|_| MailError("too many emails in one millisecond; send again".into()))
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let id = self.next_id()?;
        let sent_at: DateTime<Utc> = id.datetime().into();
        let message = render(email, id, sent_at)?;

        let name = format!("{}-{}.eml", sent_at.format("%Y%m%dT%H%M%S%.3fZ"), id);
        let final_path = self.dir.join(&name);
        let temp_path = self.dir.join(format!(".{name}.tmp"));
        let cannot_write = |e: std::io::Error| {
            MailError(format!(
                "could not write to the outbox folder {}: {e}; check that it exists and is writable",
                self.dir.display()
            ))
        };
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(cannot_write)?;
        tokio::fs::write(&temp_path, message.as_bytes())
            .await
            .map_err(cannot_write)?;
        if let Err(e) = tokio::fs::rename(&temp_path, &final_path).await {
            let _ = tokio::fs::remove_file(&temp_path).await;
            return Err(cannot_write(e));
        }
        Ok(())
    }
}

/// The whole message, with CRLF line ends.
fn render(email: &Email, id: Ulid, sent_at: DateTime<Utc>) -> Result<String, MailError> {
    if email.to.is_empty() {
        return Err(MailError("the email has no recipients".into()));
    }
    let from = address("From", &email.from)?;
    let to = email
        .to
        .iter()
        .map(|to| address("To", to))
        .collect::<Result<Vec<_>, _>>()?
        .join(",\r\n ");
    let id = id.to_string().to_lowercase();
    let domain = email
        .from
        .trim_end_matches('>')
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .filter(|domain| {
            !domain.is_empty() && domain.bytes().all(|b| b.is_ascii_graphic() && b != b'>')
        })
        .unwrap_or("ferry.local");
    let boundary = format!("=_ferry_{id}");

    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "From: {from}\r\n\
         To: {to}\r\n\
         Subject: {subject}\r\n\
         Date: {date}\r\n\
         Message-ID: <{id}@{domain}>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         {text}\r\n\
         --{boundary}\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         {html}\r\n\
         --{boundary}--\r\n",
        subject = header_text(&email.subject),
        date = sent_at.to_rfc2822(),
        text = quoted_printable(&email.text),
        html = quoted_printable(&email.html),
    );
    Ok(out)
}

/// An address header value: `a@b.example` or `Name <a@b.example>`; a
/// non-ASCII display name is encoded. Line breaks are refused, since they
/// would let the value add headers of its own.
fn address(header: &str, value: &str) -> Result<String, MailError> {
    let value = value.trim();
    if value.is_empty() || value.chars().any(char::is_control) {
        return Err(MailError(format!(
            "the {header} address '{}' is empty or holds line breaks",
            value.escape_debug()
        )));
    }
    match value.rsplit_once('<') {
        Some((name, addr)) if !name.trim().is_ascii() => {
            Ok(format!("{} <{addr}", encoded_words(name.trim())))
        }
        _ => Ok(value.to_owned()),
    }
}

/// A one-line header text: as is when plain printable ASCII, else as RFC 2047
/// encoded words (UTF-8, base64). Control characters become spaces.
fn header_text(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) && text.len() <= 900 {
        text
    } else {
        encoded_words(&text)
    }
}

/// RFC 2047 `=?utf-8?B?...?=` words cut on character boundaries, one per
/// line, so that every header line holding one stays within 76 characters.
fn encoded_words(text: &str) -> String {
    // 39 bytes make 52 base64 characters, 64 with `=?utf-8?B?` and `?=`;
    // behind `Subject: ` that is 73.
    const CHUNK: usize = 39;
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > CHUNK {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    words
        .iter()
        .map(|w| {
            format!(
                "=?utf-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w)
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// Quoted-printable (RFC 2045 §6.7) with CRLF line ends and lines of at
/// most 76 characters.
fn quoted_printable(text: &str) -> String {
    const WIDTH: usize = 75; // leaves room for the soft break's '='
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let line = line.strip_suffix('\r').unwrap_or(line).as_bytes();
        let mut width = 0;
        for (j, &byte) in line.iter().enumerate() {
            let is_last = j + 1 == line.len();
            let literal = match byte {
                b' ' | b'\t' => !is_last, // trailing blanks would be stripped in transit
                b'=' => false,
                33..=126 => true,
                _ => false,
            };
            let len = if literal { 1 } else { 3 };
            if width + len > WIDTH {
                out.push_str("=\r\n");
                width = 0;
            }
            if literal {
                out.push(char::from(byte));
            } else {
                let _ = write!(out, "={byte:02X}");
            }
            width += len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email {
            from: "Ferry <alerts@ferry.example>".into(),
            to: vec!["anna@shop.example".into(), "ops@shop.example".into()],
            subject: "Transfers are failing".into(),
            text: "3 orders could not be sent.\nOpen the dashboard to retry.".into(),
            html: "<p>3 orders could not be sent.</p>\n<p><a href=\"https://ferry.example/transfers?status=failed\">Retry</a></p>".into(),
        }
    }

    /// The parsed message: headers (unfolded) and the decoded body of each part.
    struct Parsed {
        headers: Vec<(String, String)>,
        parts: Vec<(String, String)>,
    }

    impl Parsed {
        fn header(&self, name: &str) -> &str {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no {name} header"))
        }
    }

    fn parse(raw: &str) -> Parsed {
        for line in raw.split("\r\n") {
            assert!(line.len() <= 998, "line too long: {line}");
            assert!(
                !line.contains('\n') && !line.contains('\r'),
                "bare line break in {line:?}"
            );
        }
        let (head, body) = raw.split_once("\r\n\r\n").expect("header and body");
        for line in head.split("\r\n").filter(|l| l.contains("=?")) {
            assert!(line.len() <= 76, "RFC 2047 allows 76 characters: {line}");
        }
        let headers = split_headers(head);
        let content_type = headers
            .iter()
            .find(|(n, _)| n == "Content-Type")
            .map(|(_, v)| v.clone())
            .unwrap();
        assert!(
            content_type.starts_with("multipart/alternative;"),
            "{content_type}"
        );
        let boundary = content_type
            .split("boundary=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        // The line break before a delimiter belongs to the delimiter.
        let parts = body
            .strip_suffix(&format!("--{boundary}--\r\n"))
            .expect("closing delimiter")
            .split(&format!("--{boundary}\r\n"))
            .skip(1)
            .map(|part| {
                let (head, body) = part.split_once("\r\n\r\n").unwrap();
                let body = body.strip_suffix("\r\n").unwrap();
                let headers = split_headers(head);
                let get = |name: &str| {
                    headers
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v.clone())
                        .unwrap()
                };
                assert_eq!(get("Content-Transfer-Encoding"), "quoted-printable");
                (get("Content-Type"), decode_qp(body))
            })
            .collect();
        Parsed { headers, parts }
    }

    fn split_headers(head: &str) -> Vec<(String, String)> {
        let unfolded = head.replace("\r\n ", " ");
        unfolded
            .split("\r\n")
            .map(|line| {
                let (name, value) = line.split_once(": ").unwrap();
                (name.to_owned(), value.to_owned())
            })
            .collect()
    }

    fn decode_qp(body: &str) -> String {
        for line in body.split("\r\n") {
            assert!(line.len() <= 76, "quoted-printable line too long: {line}");
            assert!(
                !line.ends_with(' ') && !line.ends_with('\t'),
                "trailing blank: {line:?}"
            );
        }
        let joined = body.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap().replace("\r\n", "\n")
    }

    fn decode_words(value: &str) -> String {
        value
            .split(' ')
            .map(|word| {
                let b64 = word
                    .strip_prefix("=?utf-8?B?")
                    .and_then(|w| w.strip_suffix("?="))
                    .unwrap_or_else(|| panic!("not an encoded word: {word}"));
                assert!(word.len() <= 75, "encoded word too long: {word}");
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap();
                String::from_utf8(bytes).unwrap()
            })
            .collect()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ferry-outbox-{name}-{}", Ulid::new()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }

    #[tokio::test]
    async fn an_email_becomes_one_eml_file_with_headers_and_both_parts() {
        let dir = temp_dir("one");
        let outbox = OutboxMailer::new(dir.clone());
        outbox.send(&email()).await.unwrap();

        let files = files(&dir);
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0].extension().unwrap(), "eml");
        let raw = std::fs::read_to_string(&files[0]).unwrap();
        let parsed = parse(&raw);

        assert_eq!(parsed.header("From"), "Ferry <alerts@ferry.example>");
        assert_eq!(parsed.header("To"), "anna@shop.example, ops@shop.example");
        assert_eq!(parsed.header("Subject"), "Transfers are failing");
        assert_eq!(parsed.header("MIME-Version"), "1.0");
        let date = DateTime::parse_from_rfc2822(parsed.header("Date")).unwrap();
        assert!((Utc::now() - date.with_timezone(&Utc)).num_seconds().abs() < 60);
        let message_id = parsed.header("Message-ID");
        assert!(
            message_id.starts_with('<') && message_id.ends_with("@ferry.example>"),
            "{message_id}"
        );

        assert_eq!(parsed.parts.len(), 2);
        assert_eq!(parsed.parts[0].0, "text/plain; charset=utf-8");
        assert_eq!(parsed.parts[0].1, email().text);
        assert_eq!(parsed.parts[1].0, "text/html; charset=utf-8");
        assert_eq!(parsed.parts[1].1, email().html);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn non_ascii_subject_name_and_bodies_survive_the_round_trip() {
        let dir = temp_dir("utf8");
        let outbox = OutboxMailer::new(dir.clone());
        let mut email = email();
        email.from = "Bjørn Ærø <bjorn@butik.example>".into();
        email.subject =
            "Ordre #1001 kunne ikke overføres til e-conomic — prøv igen, skål! 🍺 ".repeat(2);
        email.text = format!(
            "Hej Søren,\n\nlinje med = tegn og mellemrum til sidst \n{}",
            "æøå ".repeat(40)
        );
        email.html = format!("<p style=\"color:red\">Fejl: {}</p>", "x".repeat(300));
        outbox.send(&email).await.unwrap();

        let raw = std::fs::read_to_string(&files(&dir)[0]).unwrap();
        assert!(raw.is_ascii(), "the file should be 7-bit");
        let parsed = parse(&raw);
        assert_eq!(decode_words(parsed.header("Subject")), email.subject);
        let from = parsed.header("From");
        let (name, addr) = from.rsplit_once(" <").unwrap();
        assert_eq!(decode_words(name), "Bjørn Ærø");
        assert_eq!(addr, "bjorn@butik.example>");
        assert_eq!(parsed.parts[0].1, email.text);
        assert_eq!(parsed.parts[1].1, email.html);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_line_break_in_the_subject_cannot_add_a_header() {
        let dir = temp_dir("inject");
        let outbox = OutboxMailer::new(dir.clone());
        let mut email = email();
        email.subject = "Hello\r\nBcc: victim@example.com".into();
        outbox.send(&email).await.unwrap();
        let parsed = parse(&std::fs::read_to_string(&files(&dir)[0]).unwrap());
        assert!(parsed.headers.iter().all(|(n, _)| n != "Bcc"));
        assert_eq!(parsed.header("Subject"), "Hello  Bcc: victim@example.com");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_line_break_in_an_address_is_refused() {
        let dir = temp_dir("bad-to");
        let outbox = OutboxMailer::new(dir.clone());
        let mut email = email();
        email.to = vec!["anna@shop.example\r\nBcc: victim@example.com".into()];
        let error = outbox.send(&email).await.unwrap_err();
        assert!(error.to_string().contains("To address"), "{error}");
        assert!(!dir.exists() || files(&dir).is_empty());
    }

    #[tokio::test]
    async fn an_email_without_recipients_is_refused() {
        let dir = temp_dir("none");
        let mut email = email();
        email.to.clear();
        let error = OutboxMailer::new(dir.clone())
            .send(&email)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("no recipients"), "{error}");
    }

    #[tokio::test]
    async fn files_are_unique_listed_in_sending_order_and_leave_no_temporary_files() {
        let dir = temp_dir("order");
        let outbox = OutboxMailer::new(dir.clone());
        for n in 0..20 {
            let mut email = email();
            email.subject = format!("mail {n:02}");
            outbox.send(&email).await.unwrap();
        }
        let files = files(&dir);
        assert_eq!(files.len(), 20, "{files:?}");
        for (n, file) in files.iter().enumerate() {
            let name = file.file_name().unwrap().to_str().unwrap();
            assert!(name.ends_with(".eml") && !name.starts_with('.'), "{name}");
            let parsed = parse(&std::fs::read_to_string(file).unwrap());
            assert_eq!(parsed.header("Subject"), format!("mail {n:02}"));
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn an_unwritable_outbox_is_a_plain_error() {
        let dir = temp_dir("blocked");
        std::fs::write(&dir, b"a file where the folder should be").unwrap();
        let error = OutboxMailer::new(dir.clone())
            .send(&email())
            .await
            .unwrap_err();
        assert!(error.to_string().contains("outbox folder"), "{error}");
        std::fs::remove_file(dir).unwrap();
    }

    #[test]
    fn quoted_printable_keeps_lines_short_and_escapes_what_it_must() {
        assert_eq!(quoted_printable("a=b"), "a=3Db");
        assert_eq!(quoted_printable("end "), "end=20");
        assert_eq!(quoted_printable("tab\t"), "tab=09");
        assert_eq!(quoted_printable("two\nlines"), "two\r\nlines");
        assert_eq!(quoted_printable("crlf\r\nkept"), "crlf\r\nkept");
        assert_eq!(quoted_printable("ø"), "=C3=B8");
        let long = quoted_printable(&"y".repeat(200));
        assert!(long.split("\r\n").all(|l| l.len() <= 76));
        assert_eq!(long.replace("=\r\n", ""), "y".repeat(200));
    }
}
