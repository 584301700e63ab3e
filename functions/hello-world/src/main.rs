//! hello-world: the floor of the cold-start benchmark
//! (`local/benches/cold_start.rs`). A `lambda_runtime` function that answers
//! every event with a fixed JSON object, built with the same profile as the
//! real functions. Not part of the SAM template: it is never deployed.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<_, Error>(json!({"hello": "world"}))
    }))
    .await
}
