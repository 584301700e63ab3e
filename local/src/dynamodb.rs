//! `--store dynamodb`: the table named by `FERRY_TABLE` at the endpoint of
//! `AWS_ENDPOINT_URL` (the emulator) or in AWS. The table is created when
//! it does not exist yet. Its errors are its own ([`OpenError`]); the
//! runtime, which uses this module, words them as start errors.

use ferry::store::dynamodb::DynamoStore;
use ferry::store::Store;
use std::sync::Arc;

/// A DynamoDB client and the name of the table to keep Ferry's data in.
#[derive(Debug, Clone)]
pub struct Table {
    pub client: aws_sdk_dynamodb::Client,
    pub name: String,
}

/// Why the table could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Config(#[from] ferry::config::ConfigError),
    #[error("cannot create the table: {0}")]
    Create(String),
}

pub async fn open() -> Result<Arc<dyn Store>, OpenError> {
    let name = ferry::config::required("FERRY_TABLE", "name the DynamoDB table to use")?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    open_table(Table { client, name }).await
}

/// The store on a given client and table (e.g. a client carrying an
/// interceptor, as the `dynamo_writes` benchmark uses).
pub async fn open_table(table: Table) -> Result<Arc<dyn Store>, OpenError> {
    let Table { client, name } = table;
    let exists = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .is_ok();
    if !exists {
        DynamoStore::create_table(&client, &name)
            .await
            .map_err(|e| OpenError::Create(e.to_string()))?;
    }
    Ok(Arc::new(DynamoStore::new(client, name)))
}
