//! Creating the table exactly as `infra/template.yaml` declares it (tests,
//! ferry-local on the emulator, first deployments by hand).

use super::errors::{build_error, unavailable};
use super::keys::*;
use crate::store::{StoreError, StoreResult};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use std::time::Duration;

/// The attribute `by_status` projects besides the keys: lets the log filter
/// by connection inside the index.
pub const STATUS_INDEX_EXTRA: &str = "connection";

fn key(name: &str, kind: KeyType) -> StoreResult<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(build_error)
}

fn index(
    name: &str,
    hash: &str,
    range: &str,
    projection: Projection,
) -> StoreResult<GlobalSecondaryIndex> {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(hash, KeyType::Hash)?)
        .key_schema(key(range, KeyType::Range)?)
        .projection(projection)
        .build()
        .map_err(build_error)
}

fn keys_only() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::KeysOnly)
        .build()
}

/// Creates the table (on-demand, keys `PK`/`SK`, the four GSIs), waits
/// until it is active, and turns on TTL for `expires_at`.
/// [`StoreError::AlreadyExists`] if a table of that name exists.
pub async fn create_table(client: &Client, table: &str) -> StoreResult<()> {
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?);
    for name in [PK, SK, ST, RT, SREF, TREF, DUE, DUE_AT] {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build_error)?,
        );
    }
    let with_connection = Projection::builder()
        .projection_type(ProjectionType::Include)
        .non_key_attributes(STATUS_INDEX_EXTRA)
        .build();
    request = request
        .global_secondary_indexes(index(BY_STATUS, ST, RT, with_connection)?)
        .global_secondary_indexes(index(BY_SOURCE_REF, SREF, RT, keys_only())?)
        .global_secondary_indexes(index(BY_TARGET_REF, TREF, RT, keys_only())?)
        .global_secondary_indexes(index(BY_DUE, DUE, DUE_AT, keys_only())?);
    if let Err(error) = request.send().await {
        let in_use = error
            .as_service_error()
            .is_some_and(|e| e.is_resource_in_use_exception());
        return Err(if in_use {
            StoreError::AlreadyExists
        } else {
            unavailable("CreateTable", error)
        });
    }

    wait_until_active(client, table).await?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(EXPIRES_AT)
                .enabled(true)
                .build()
                .map_err(build_error)?,
        )
        .send()
        .await
        .map_err(|e| unavailable("UpdateTimeToLive", e))?;
    Ok(())
}

/// AWS creates tables in the background (seconds to a minute or two).
async fn wait_until_active(client: &Client, table: &str) -> StoreResult<()> {
    for _ in 0..300 {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| unavailable("DescribeTable", e))?;
        let status = out.table.and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(StoreError::Unavailable(format!(
        "the DynamoDB table {table} did not become active within 5 minutes"
    )))
}
