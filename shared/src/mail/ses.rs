//! The mailer on AWS: SES `SendRawEmail` with the message [`super::render`]
//! writes (plain text and HTML), the same bytes the outbox keeps locally.
//! The request names the sender as well (for the IAM condition on it); a
//! sender with non-ASCII characters is left to the From header, where it is
//! encoded. SES reads the recipients from the To header.
//! The sender (`FERRY_MAIL_FROM`) must be a verified SES identity.

use super::{render, Email, MailError, Mailer};
use async_trait::async_trait;
use aws_sdk_ses::error::DisplayErrorContext;
use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::RawMessage;
use ulid::Ulid;

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_ses::Client,
}

impl SesMailer {
    pub fn new(client: aws_sdk_ses::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = RawMessage::builder()
            .data(Blob::new(render(email, Ulid::new())?))
            .build()
            .map_err(|e| MailError(format!("could not build the email: {e}")))?;
        // The sender as Source too, not only in the From header: the IAM
        // policy's `ses:FromAddress` condition (infra/template.yaml) is
        // checked against the sender named in the request. Recipients come
        // from the To header.
        let source = email.from.is_ascii().then(|| email.from.clone());
        self.client
            .send_raw_email()
            .set_source(source)
            .raw_message(message)
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
