//! The SES mailer against the emulator: the email arrives with its
//! recipients, subject and body. (emulator)

use crate::emulator;
use ferry::mail::ses::SesMailer;
use ferry::mail::{Email, Mailer};

/// The emails the emulator has accepted (moto keeps them, it sends nothing).
async fn sent_messages() -> Vec<serde_json::Value> {
    let url = format!("{}/moto-api/data.json", emulator::endpoint());
    let data: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
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
    // moto keeps only the HTML body when both are given.
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
