//! The Mailer port: SES on AWS ([`ses::SesMailer`]), an outbox folder of
//! `.eml` files in ferry-local ([`outbox::OutboxMailer`]).

pub mod outbox;
pub mod ses;

use async_trait::async_trait;

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
