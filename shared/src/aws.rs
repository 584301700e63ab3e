//! Building Ferry on AWS adapters from the environment, once per cold start.
//! The SDK honours `AWS_ENDPOINT_URL`, so the same binary talks to the
//! emulator in tests.
//!
//! Everything is made ready during the function's init, before the runtime
//! asks for the first event: the SDK configuration, the clients, the HTTP
//! client for the connectors (its TLS roots loaded), and one read from the
//! table and one from the queue, at once, so that credentials, endpoints and
//! the connections to DynamoDB and SQS (TLS handshakes included) are settled
//! too. The first event then costs what
//! any later one does. `local/benches/cold_start.rs` measures it.

use crate::app::{Ferry, Limits};
use crate::clock::SystemClock;
use crate::config::{self, ConfigError};
use crate::connectors::http::HttpClient;
use crate::connectors::Connectors;
use crate::mail::ses::SesMailer;
use crate::queue::sqs::{SqsDeadLetters, SqsQueue};
use crate::store::dynamodb::DynamoStore;
use aws_config::BehaviorVersion;
use std::sync::Arc;
use std::time::Duration;

/// How long init may spend warming the connection to DynamoDB. A table that
/// cannot be reached is reported by the first event that needs it, in
/// words; init does not fail for it.
const WARM_UP_LIMIT: Duration = Duration::from_secs(2);

/// What a function wants of its adapters beyond the defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct Setup {
    /// Count usage in memory and write it once per batch
    /// ([`DynamoStore::counting_usage_per_batch`]): the transfer-worker,
    /// which flushes after each SQS batch (`lambda::handle_sqs_batch`).
    pub usage_per_batch: bool,
}

/// Reads the configuration and builds the clients. A missing variable is an
/// error naming it.
pub async fn ferry_from_env() -> Result<Ferry, ConfigError> {
    ferry_from_env_with(Setup::default()).await
}

/// [`ferry_from_env`] with a function's own [`Setup`].
pub async fn ferry_from_env_with(setup: Setup) -> Result<Ferry, ConfigError> {
    Ok(ferry_and_sdk(setup).await?.0)
}

/// The scheduler's services: Ferry, and the dead-letter queue it reads
/// back (`FERRY_DEAD_LETTER_QUEUE_URL`).
pub async fn scheduler_from_env() -> Result<(Ferry, SqsDeadLetters), ConfigError> {
    let (ferry, sdk) = ferry_and_sdk(Setup::default()).await?;
    let dead_letter_url = config::required(
        "FERRY_DEAD_LETTER_QUEUE_URL",
        "give the SQS dead-letter queue's URL (the SAM template sets it)",
    )?;
    let dead_letters = SqsDeadLetters::new(aws_sdk_sqs::Client::new(&sdk), dead_letter_url);
    Ok((ferry, dead_letters))
}

/// [`scheduler_from_env`], or one clear line and exit code 1.
pub async fn scheduler_or_exit() -> (Ferry, SqsDeadLetters) {
    match scheduler_from_env().await {
        Ok(services) => services,
        Err(e) => {
            eprintln!("ferry: cannot start: {e}");
            std::process::exit(1);
        }
    }
}

/// Ferry, and the SDK configuration its clients were made from (for a
/// function's own clients besides).
async fn ferry_and_sdk(setup: Setup) -> Result<(Ferry, aws_config::SdkConfig), ConfigError> {
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
    let operator_token = config::operator_token_from_env()?;
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let mut store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    if setup.usage_per_batch {
        store = store.counting_usage_per_batch();
    }
    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url);
    warm_up(&store, &queue).await;
    let ferry = Ferry {
        store: Arc::new(store),
        queue: Arc::new(queue),
        mailer: Arc::new(SesMailer::new(aws_sdk_ses::Client::new(&sdk))),
        clock: Arc::new(SystemClock),
        sealer,
        connectors: Arc::new(Connectors::new(HttpClient::default())),
        limits: Limits::default(),
        public_url: config::optional("FERRY_PUBLIC_URL").unwrap_or_default(),
        webhook_base: config::optional("FERRY_WEBHOOK_URL"),
        jwt_key: Arc::new(jwt_key),
        operator_token: operator_token.map(Arc::new),
        mail_from: config::optional("FERRY_MAIL_FROM").unwrap_or_else(|| "ferry@localhost".into()),
    };
    Ok((ferry, sdk))
}

/// One read from the table and one from the queue during init, at once
/// (see the module docs), bounded by [`WARM_UP_LIMIT`]; a failure is logged
/// and left to the first event.
async fn warm_up(store: &DynamoStore, queue: &SqsQueue) {
    let table = async {
        match tokio::time::timeout(WARM_UP_LIMIT, store.warm_up()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "DynamoDB could not be reached during init"),
            Err(_) => tracing::warn!(
                "DynamoDB did not answer during init; the first event will try again"
            ),
        }
    };
    let messages = async {
        match tokio::time::timeout(WARM_UP_LIMIT, queue.warm_up()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "SQS could not be reached during init"),
            Err(_) => {
                tracing::warn!("SQS did not answer during init; the first event will try again")
            }
        }
    };
    tokio::join!(table, messages);
}

/// For a function's `main`: the services, or one clear line and exit code 1.
pub async fn ferry_or_exit() -> Ferry {
    ferry_or_exit_with(Setup::default()).await
}

/// [`ferry_or_exit`] with a function's own [`Setup`].
pub async fn ferry_or_exit_with(setup: Setup) -> Ferry {
    match ferry_from_env_with(setup).await {
        Ok(ferry) => ferry,
        Err(e) => {
            eprintln!("ferry: cannot start: {e}");
            std::process::exit(1);
        }
    }
}
