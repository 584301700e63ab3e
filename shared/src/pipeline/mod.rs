//! The transfer decision and state machine.
//!
//! - [`record`]: a record arrived (webhook or poll): create or refresh its
//!   transfer, idempotently, and enqueue it.
//! - [`worker`]: deliver one pending transfer to its target, exactly once.
//! - [`events`]: service events for the Logs screen.

pub mod events;
pub mod record;
pub mod worker;
