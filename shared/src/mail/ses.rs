//! The mailer on AWS: SES `SendEmail` with a plain-text and an HTML body.
//! The sender (`FERRY_MAIL_FROM`) must be a verified SES identity.

use super::{Email, MailError, Mailer};
use async_trait::async_trait;
use aws_sdk_ses::error::DisplayErrorContext;
use aws_sdk_ses::types::{Body, Content, Destination, Message};

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_ses::Client,
}

impl SesMailer {
    pub fn new(client: aws_sdk_ses::Client) -> Self {
        Self { client }
    }
}

fn utf8(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError(format!("could not build the email: {e}")))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        if email.to.is_empty() {
            return Err(MailError("the email has no recipients".into()));
        }
        let destination = Destination::builder()
            .set_to_addresses(Some(email.to.clone()))
            .build();
        let body = Body::builder()
            .text(utf8(&email.text)?)
            .html(utf8(&email.html)?)
            .build();
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(body)
            .build();
        self.client
            .send_email()
            .source(&email.from)
            .destination(destination)
            .message(message)
            .send()
            .await
            .map_err(|e| {
                let rejected = e
                    .as_service_error()
                    .is_some_and(|e| e.is_message_rejected() || e.is_mail_from_domain_not_verified_exception());
                let hint = if rejected {
                    "check that this sender is verified in SES (and, in the SES sandbox, the recipients too)"
                } else {
                    "a later attempt may succeed"
                };
                MailError(format!(
                    "SES did not send the email from {}: {}; {hint}",
                    email.from,
                    DisplayErrorContext(&e)
                ))
            })?;
        Ok(())
    }
}
