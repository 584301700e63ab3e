//! ferry-local: all of Ferry in one process on embedded storage, plus
//! sandboxes of the external systems for demos and tests.

pub mod cli;
pub mod demo;
pub mod dynamodb;
pub mod keys;
pub mod runtime;
pub mod sandbox;
pub mod web;
