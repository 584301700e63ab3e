//! The Mailer port: SES on AWS ([`ses::SesMailer`]), an outbox folder of
//! `.eml` files in ferry-local ([`outbox::OutboxMailer`]).
//!
//! Both send the one message [`render`] writes (with lettre's message
//! builder), so the file a developer opens locally is the message SES sends.

pub mod outbox;
pub mod ses;

use async_trait::async_trait;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use ulid::Ulid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
#[error("mail not sent: {0}")]
pub struct MailError(pub String);

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}

/// The email as RFC 5322 bytes: 7-bit, CRLF line ends, multipart/alternative
/// with the plain text first and the HTML second; a non-ASCII subject or
/// display name becomes RFC 2047 encoded words. `id` names the message
/// (Message-ID) and dates it (Date).
pub fn render(email: &Email, id: Ulid) -> Result<Vec<u8>, MailError> {
    if email.to.is_empty() {
        return Err(MailError("the email has no recipients".into()));
    }
    let from = mailbox("From", &email.from)?;
    let message_id = format!(
        "<{}@{}>",
        id.to_string().to_lowercase(),
        from.email.domain()
    );
    let mut message = lettre::Message::builder()
        .from(from)
        // A line break would end the header early; it becomes a space.
        .subject(email.subject.replace(char::is_control, " "))
        .date(id.datetime())
        .message_id(Some(message_id));
    for to in &email.to {
        message = message.to(mailbox("To", to)?);
    }
    let body = MultiPart::alternative()
        .singlepart(part(ContentType::TEXT_PLAIN, &email.text)?)
        .singlepart(part(ContentType::TEXT_HTML, &email.html)?);
    let message = message
        .multipart(body)
        .map_err(|e| MailError(format!("could not build the email: {e}")))?;
    Ok(message.formatted())
}

/// `a@b.example` or `Name <a@b.example>`. The address is checked, so a line
/// break cannot smuggle in a header of its own.
fn mailbox(header: &str, value: &str) -> Result<Mailbox, MailError> {
    value.trim().parse().map_err(|_| {
        MailError(format!(
            "the {header} address '{}' is not an email address (or holds line breaks)",
            value.escape_debug()
        ))
    })
}

/// Always quoted-printable, never base64: the outbox files stay readable, and
/// searchable, as text.
fn part(kind: ContentType, text: &str) -> Result<SinglePart, MailError> {
    let body = Body::new_with_encoding(text.to_owned(), ContentTransferEncoding::QuotedPrintable)
        .map_err(|_| MailError("could not encode the email's body".into()))?;
    Ok(SinglePart::builder().header(kind).body(body))
}
