//! The mailer of ferry-local: each email becomes one `.eml` file (RFC 5322,
//! multipart/alternative with a plain-text and an HTML part) in an outbox
//! folder, where a developer opens it with any mail program.
//!
//! The message is [`super::render`]'s, the same bytes SES is given.
//!
//! File names start with the time and end with a monotonic ULID, so that a
//! plain `ls` lists them in sending order and two never collide. Each file is
//! written under a hidden temporary name and renamed into place, so a reader
//! never sees half an email.

use super::{render, Email, MailError, Mailer};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
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
        let message = render(email, id)?;

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
        tokio::fs::write(&temp_path, &message)
            .await
            .map_err(cannot_write)?;
        if let Err(e) = tokio::fs::rename(&temp_path, &final_path).await {
            let _ = tokio::fs::remove_file(&temp_path).await;
            return Err(cannot_write(e));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

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
        // Encoded words are read back by a decoder other than the writer.
        // The subject's trailing blank is folding white space readers drop.
        let decoded = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(decoded.subject(), Some(email.subject.trim_end()));
        let from = decoded.from().and_then(|from| from.first()).unwrap();
        assert_eq!(from.name(), Some("Bjørn Ærø"));
        assert_eq!(from.address(), Some("bjorn@butik.example"));
        let from = parsed.header("From");
        assert!(
            !from.contains('"'),
            "RFC 2047: no encoded word in quotes: {from}"
        );
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
    fn unicode_display_names_are_encoded_words_on_short_lines() {
        let mut email = email();
        email.from =
            "Søren Ærø 🚢 of the Nordic Mugs Company's Customer Care <care@mugs.example>".into();
        email.to = vec![
            "Åsa 😀 <asa@shop.example>".into(),
            "ops@shop.example".into(),
        ];
        let raw = String::from_utf8(render(&email, Ulid::new()).unwrap()).unwrap();
        let parsed = parse(&raw);
        assert!(!parsed.header("From").contains('"'), "{raw}");
        let decoded = MessageParser::default().parse(&raw).unwrap();
        let from = decoded.from().and_then(|from| from.first()).unwrap();
        assert_eq!(
            from.name(),
            Some("Søren Ærø 🚢 of the Nordic Mugs Company's Customer Care")
        );
        let to: Vec<_> = decoded
            .to()
            .unwrap()
            .iter()
            .map(|to| (to.name(), to.address()))
            .collect();
        assert_eq!(
            to,
            [
                (Some("Åsa 😀"), Some("asa@shop.example")),
                (None, Some("ops@shop.example"))
            ]
        );
        assert_eq!(
            decoded.body_text(0).unwrap().replace("\r\n", "\n"),
            email.text
        );
        assert_eq!(
            decoded.body_html(0).unwrap().replace("\r\n", "\n"),
            email.html
        );
    }
}
