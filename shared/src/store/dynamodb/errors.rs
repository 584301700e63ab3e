//! SDK errors as store errors: a failed condition is the caller's answer
//! (AlreadyExists or Conflict); everything else is "unavailable" with the
//! SDK's full explanation.

use crate::store::StoreError;
use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, SdkError};
use std::fmt::Debug;

pub fn unavailable<E, R>(operation: &str, error: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: Debug,
{
    StoreError::Unavailable(format!(
        "DynamoDB {operation} failed: {}",
        DisplayErrorContext(&error)
    ))
}

pub fn build_error(error: BuildError) -> StoreError {
    StoreError::Unavailable(format!("DynamoDB request could not be built: {error}"))
}

pub fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}
