//! Bad configuration at start: one clear line naming the variable, exit
//! code 1, no panic backtrace. Runs the real function binaries (built by
//! scripts/test.sh before the tests).

use std::path::PathBuf;
use std::process::Command;

pub fn function_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is missing: build the functions first (`cargo build --workspace`; scripts/test.sh does)",
        path.display()
    );
    path
}

fn start_with(name: &str, vars: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(function_binary(name));
    command.env_clear().env("PATH", "/usr/bin:/bin");
    for (key, value) in vars {
        command.env(key, value);
    }
    let output = command.output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), stderr)
}

#[test]
fn a_function_without_its_table_names_the_variable() {
    for function in [
        "webhook-intake",
        "scheduler",
        "transfer-worker",
        "dashboard-api",
        "reminders",
    ] {
        let (code, stderr) = start_with(function, &[]);
        assert_eq!(code, 1, "{function}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{function}: {stderr}");
        assert!(
            stderr.contains("FERRY_TABLE is not set"),
            "{function}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{function}: {stderr}");
    }
}

#[test]
fn a_function_without_its_seal_key_names_the_variable() {
    let (code, stderr) = start_with(
        "transfer-worker",
        &[
            ("FERRY_TABLE", "t"),
            ("FERRY_QUEUE_URL", "http://127.0.0.1:1/q"),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("FERRY_SEAL_KEY is not set"), "{stderr}");

    let (code, stderr) = start_with(
        "transfer-worker",
        &[
            ("FERRY_TABLE", "t"),
            ("FERRY_QUEUE_URL", "http://127.0.0.1:1/q"),
            ("FERRY_SEAL_KEY", "c2hvcnQ="),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("FERRY_SEAL_KEY is not valid"), "{stderr}");
}

#[test]
fn a_function_with_a_short_operator_token_refuses_to_start() {
    let (code, stderr) = start_with(
        "dashboard-api",
        &[
            ("FERRY_TABLE", "t"),
            ("FERRY_QUEUE_URL", "http://127.0.0.1:1/q"),
            (
                "FERRY_SEAL_KEY",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ),
            (
                "FERRY_JWT_KEY",
                "a-jwt-key-of-at-least-thirty-two-characters",
            ),
            ("FERRY_OPERATOR_TOKEN", "letmein"),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("FERRY_OPERATOR_TOKEN is not valid"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("letmein"),
        "the token is not echoed: {stderr}"
    );
}

#[test]
fn the_scheduler_without_its_dead_letter_queue_names_the_variable() {
    let (code, stderr) = start_with(
        "scheduler",
        &[
            ("FERRY_TABLE", "t"),
            ("FERRY_QUEUE_URL", "http://127.0.0.1:1/q"),
            (
                "FERRY_SEAL_KEY",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ),
            (
                "FERRY_JWT_KEY",
                "a-jwt-key-of-at-least-thirty-two-characters",
            ),
            // Nothing listens there: the warm-up gives up at once.
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("FERRY_DEAD_LETTER_QUEUE_URL is not set"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
