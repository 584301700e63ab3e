//! The AWS emulator (moto_server) the test command starts on a free loopback
//! port and names in `FERRY_TEST_AWS_ENDPOINT`. Emulator tests fail, rather
//! than skip, when it is not there: a green run must have used it.

use aws_config::{BehaviorVersion, Region, SdkConfig};

pub fn endpoint() -> String {
    match std::env::var("FERRY_TEST_AWS_ENDPOINT") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "FERRY_TEST_AWS_ENDPOINT is not set: run the tests with scripts/test.sh, \
             which starts the AWS emulator (moto_server) and sets it"
        ),
    }
}

/// SDK configuration pointed at the emulator, with dummy credentials.
pub async fn aws_config() -> SdkConfig {
    let credentials =
        aws_credential_types::Credentials::new("test", "test", None, None, "ferry-tests");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint())
        .credentials_provider(credentials)
        .load()
        .await
}

/// A name no other test uses (tables, queues).
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}
