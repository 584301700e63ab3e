//! `--store dynamodb`: the table named by `FERRY_TABLE` at the endpoint of
//! `AWS_ENDPOINT_URL` (the emulator) or in AWS. The table is created when
//! it does not exist yet.

use crate::runtime::StartError;
use ferry::store::dynamodb::DynamoStore;
use ferry::store::Store;
use std::sync::Arc;

pub async fn open() -> Result<Arc<dyn Store>, StartError> {
    let table = ferry::config::required("FERRY_TABLE", "name the DynamoDB table to use")?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let exists = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .is_ok();
    if !exists {
        DynamoStore::create_table(&client, &table)
            .await
            .map_err(|e| StartError::Store(e.to_string()))?;
    }
    Ok(Arc::new(DynamoStore::new(client, table)))
}
