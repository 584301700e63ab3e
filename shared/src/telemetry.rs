//! Structured logs with `tracing`: JSON lines in Lambda (CloudWatch), readable
//! lines in ferry-local. Spans carry tenant, connection and transfer ids;
//! secrets never reach a log (credentials' Debug hides values).

use tracing_subscriber::EnvFilter;

/// JSON logs, one object per line, level from `RUST_LOG` (default `info`).
pub fn init_json() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time() // CloudWatch stamps each line
        .try_init();
}

/// Human-readable logs for ferry-local.
pub fn init_text() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
