//! Cost per million orders at AWS list prices (issue 9, item 5).
//!
//! ```sh
//! CARGO_TARGET_DIR=target/bench cargo bench -p ferry-local --bench cold_start   # first: measures the functions
//! CARGO_TARGET_DIR=target/bench cargo bench -p ferry-local --bench cost
//! ```
//!
//! The model and the prices are `ferry_testkit::cost` (unit tests: `cargo test
//! -p ferry-testkit --lib cost`). The Lambda milliseconds and log bytes per
//! order come from the `cold_start` bench's run of 100 orders through the
//! release binaries (`<target>/release/ferry-bench/functions.json`); the
//! DynamoDB units per order from the `dynamo_writes` bench's latest run
//! (`<target>/release/ferry-bench/dynamo.json`; without it, its run of
//! 2026-11-23 in docs/BENCHMARKS.md; `FERRY_BENCH_WRITE_UNITS` /
//! `FERRY_BENCH_READ_UNITS` override either). The memory, the batch size and one webhook per order
//! are the template's and the benches' settings.

mod support;

use ferry_testkit::cost::{per_million_orders, total, Footprint, LIST_PRICES};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The `dynamo_writes` bench, 2026-11-23: per order with its webhook sent once
/// (when its latest run left no file).
const WRITE_UNITS: f64 = 13.0;
const READ_UNITS: f64 = 11.0;
/// `MemorySize` and the worker's SQS `BatchSize` in infra/template.yaml.
const MEMORY_MB: f64 = 128.0;
const BATCH: f64 = 10.0;
const GOAL_DOLLARS: f64 = 10.0;

fn main() {
    if !support::benching() {
        return;
    }
    let file = bin_dir().join("ferry-bench/functions.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run the cold_start bench first (see the top of local/benches/cost.rs)",
            file.display()
        )
    });
    let measured: Value = serde_json::from_str(&text).expect("functions.json is JSON");
    let figure = |name: &str| {
        measured[name]
            .as_f64()
            .unwrap_or_else(|| panic!("functions.json has no {name}"))
    };
    let units = dynamo_units(&bin_dir().join("ferry-bench/dynamo.json"));
    let order = Footprint {
        memory_mb: MEMORY_MB,
        webhooks: 1.0,
        intake_ms: figure("intake_ms_per_order"),
        worker_ms: figure("worker_ms_per_order"),
        batch: BATCH,
        write_units: env_or("FERRY_BENCH_WRITE_UNITS", units.0),
        read_units: env_or("FERRY_BENCH_READ_UNITS", units.1),
        log_bytes: figure("intake_log_bytes_per_order") + figure("worker_log_bytes_per_order"),
    };
    let lines = per_million_orders(&order, &LIST_PRICES);
    println!("| per million orders | usage per order | US$ |");
    println!("| --- | --- | --- |");
    for line in &lines {
        println!("| {} | {} | {:.2} |", line.item, line.usage, line.dollars);
    }
    let sum = total(&lines);
    println!("| **total** | | **{sum:.2}** |");
    println!(
        "goal ≤ ${GOAL_DOLLARS:.0} per million orders: {}",
        if sum <= GOAL_DOLLARS {
            "met"
        } else {
            "not met"
        }
    );
}

/// Write and read units per order: the `dynamo_writes` bench's file, else
/// its figures of 2026-11-23.
fn dynamo_units(file: &Path) -> (f64, f64) {
    let saved: Option<Value> = std::fs::read_to_string(file)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    match saved {
        Some(v) => {
            eprintln!("DynamoDB units from {}", file.display());
            (
                v["write_units_per_order"].as_f64().unwrap_or(WRITE_UNITS),
                v["read_units_per_order"].as_f64().unwrap_or(READ_UNITS),
            )
        }
        None => {
            eprintln!(
                "{} is missing: DynamoDB units of 2026-11-23",
                file.display()
            );
            (WRITE_UNITS, READ_UNITS)
        }
    }
}

fn env_or(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `<target>/release`: this bench runs from `<target>/release/deps`.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FERRY_BENCH_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("the bench runs from <target>/release/deps")
}
