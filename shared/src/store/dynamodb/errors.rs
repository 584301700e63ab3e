//! SDK errors as store errors: a failed condition is the caller's answer
//! (AlreadyExists or Conflict); everything else is "unavailable" with the
//! SDK's full explanation.

use crate::store::StoreError;
use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
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

/// How a cancelled transaction went, from its cancellation reasons.
#[derive(Debug, PartialEq, Eq)]
pub enum Cancelled {
    /// The item at this position failed its condition.
    Condition(usize),
    /// Another transaction was changing one of the items at the same time.
    Contended,
}

/// The reason a TransactWriteItems call was cancelled, if it was cancelled
/// for a condition or a concurrent transaction (else `None`).
pub fn cancelled<R>(error: &SdkError<TransactWriteItemsError, R>) -> Option<Cancelled> {
    let TransactWriteItemsError::TransactionCanceledException(cancel) = error.as_service_error()?
    else {
        return None;
    };
    let codes: Vec<&str> = cancel
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or("None"))
        .collect();
    if let Some(position) = codes.iter().position(|c| *c == "ConditionalCheckFailed") {
        return Some(Cancelled::Condition(position));
    }
    codes
        .contains(&"TransactionConflict")
        .then_some(Cancelled::Contended)
}
