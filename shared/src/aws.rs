//! Building Ferry on AWS adapters from the environment, once per cold start.
//! The SDK honours `AWS_ENDPOINT_URL`, so the same binary talks to the
//! emulator in tests.

use crate::app::{Ferry, Limits};
use crate::clock::SystemClock;
use crate::config::{self, ConfigError};
use crate::connectors::http::HttpClient;
use crate::connectors::Connectors;
use crate::mail::ses::SesMailer;
use crate::queue::sqs::SqsQueue;
use crate::store::dynamodb::DynamoStore;
use aws_config::BehaviorVersion;
use std::sync::Arc;

/// Reads the configuration and builds the clients. A missing variable is an
/// error naming it.
pub async fn ferry_from_env() -> Result<Ferry, ConfigError> {
    let table = config::required(
        "FERRY_TABLE",
        "name the DynamoDB table (the SAM template sets it)",
    )?;
    let queue_url = config::required(
        "FERRY_QUEUE_URL",
        "give the SQS queue's URL (the SAM template sets it)",
    )?;
    let sealer = config::sealer_from_env()?;
    let jwt_key = config::jwt_key_from_env()?;
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    Ok(Ferry {
        store: Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table)),
        queue: Arc::new(SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url)),
        mailer: Arc::new(SesMailer::new(aws_sdk_ses::Client::new(&sdk))),
        clock: Arc::new(SystemClock),
        sealer,
        connectors: Connectors::new(HttpClient::default()),
        limits: Limits::default(),
        public_url: config::optional("FERRY_PUBLIC_URL").unwrap_or_default(),
        jwt_key: Arc::new(jwt_key),
        operator_token: config::optional("FERRY_OPERATOR_TOKEN").map(Arc::new),
        mail_from: config::optional("FERRY_MAIL_FROM").unwrap_or_else(|| "ferry@localhost".into()),
    })
}

/// For a function's `main`: the services, or one clear line and exit code 1.
pub async fn ferry_or_exit() -> Ferry {
    match ferry_from_env().await {
        Ok(ferry) => ferry,
        Err(e) => {
            eprintln!("ferry: cannot start: {e}");
            std::process::exit(1);
        }
    }
}
