//! The SES mailer against the emulator: the email arrives with its
//! recipients, subject and body. (emulator)

use crate::emulator;
use ferry::mail::ses::SesMailer;
use ferry::mail::{Email, Mailer};
use mail_parser::MessageParser;
use std::borrow::Cow;

/// The emails the emulator has accepted (moto keeps them, it sends nothing),
/// read back from their raw MIME: sender, recipients, subject, and the text
/// and HTML parts (`text`, `body`).
pub async fn sent_messages() -> Vec<serde_json::Value> {
    let url = format!("{}/moto-api/data.json", emulator::endpoint());
    let data: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let raw = data["ses"]["RawMessage"].as_array().cloned();
    raw.unwrap_or_default().iter().map(read_back).collect()
}

fn read_back(sent: &serde_json::Value) -> serde_json::Value {
    let raw = sent["raw_data"].as_str().unwrap();
    let message = MessageParser::default().parse(raw).unwrap();
    // The message has CRLF line ends; Ferry's email has plain line feeds.
    let lf = |body: Option<Cow<'_, str>>| body.map(|body| body.replace("\r\n", "\n"));
    serde_json::json!({
        "source": sent["source"],
        "destinations": { "ToAddresses": sent["destinations"] },
        "subject": message.subject(),
        "text": lf(message.body_text(0)),
        "body": lf(message.body_html(0)),
    })
}

fn email(from: &str, subject: &str) -> Email {
    Email {
        from: from.into(),
        to: vec!["anna@shop.example".into(), "ops@shop.example".into()],
        subject: subject.into(),
        text: "2 transfers failed. Open the dashboard to retry them.".into(),
        html: "<p>2 transfers failed. <a href=\"https://ferry.example/transfers\">Retry</a></p>"
            .into(),
    }
}

#[tokio::test]
async fn ses_an_email_from_a_verified_sender_is_accepted_as_written() {
    let client = aws_sdk_ses::Client::new(&emulator::aws_config().await);
    let from = format!("{}@ferry.example", emulator::unique_name("alerts"));
    client
        .verify_email_identity()
        .email_address(&from)
        .send()
        .await
        .unwrap();
    let subject = format!("Transfers failing — {}", emulator::unique_name("run"));
    let email = email(&from, &subject);

    SesMailer::new(client).send(&email).await.unwrap();

    let sent = sent_messages().await;
    let message = sent
        .iter()
        .find(|m| m["subject"] == subject.as_str())
        .unwrap_or_else(|| panic!("no email with subject {subject} in {sent:?}"));
    assert_eq!(message["source"], from.as_str());
    assert_eq!(
        message["destinations"]["ToAddresses"],
        serde_json::json!(["anna@shop.example", "ops@shop.example"])
    );
    assert_eq!(message["text"], email.text.as_str());
    assert_eq!(message["body"], email.html.as_str());
}

#[tokio::test]
async fn ses_an_unverified_sender_is_a_plain_error() {
    let client = aws_sdk_ses::Client::new(&emulator::aws_config().await);
    let from = format!("{}@ferry.example", emulator::unique_name("unverified"));
    let subject = emulator::unique_name("never-sent");

    let error = SesMailer::new(client)
        .send(&email(&from, &subject))
        .await
        .unwrap_err();

    assert!(
        error
            .to_string()
            .contains("check that this sender is verified"),
        "{error}"
    );
    assert!(sent_messages()
        .await
        .iter()
        .all(|m| m["subject"] != subject.as_str()));
}
