//! What a million orders cost on AWS at list prices (issue 9, item 5), from
//! what the benchmarks measure per order: Lambda milliseconds and
//! invocations, webhook requests, SQS requests, DynamoDB write and read units,
//! and log bytes. `cargo bench -p ferry-local --bench cost` prints the table.
//!
//! Free tiers and fixed monthly costs (the scheduler's and reminders' ticks,
//! the queue's idle long polls, storage) are left out: they do not grow with
//! orders.

/// AWS list prices in US dollars, US East (N. Virginia), read from the AWS
/// pricing pages (Lambda, API Gateway, SQS, DynamoDB, CloudWatch) for
/// 2026-11-23; first price tier, no free tier. eu-west-1, where
/// `samconfig.toml` deploys, lists the same Lambda, SQS and DynamoDB
/// request prices within about 13 %.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    /// Lambda on arm64 (Graviton), per GB-second.
    pub lambda_gb_second: f64,
    /// Lambda, per invocation.
    pub lambda_request: f64,
    /// A webhook request reaching webhook-intake: it is the function's own
    /// URL (`FunctionUrlConfig` in the template), which Lambda does not
    /// charge beyond the invocation. (An API Gateway HTTP API route would be
    /// $1.00 per million.)
    pub webhook_request: f64,
    /// SQS standard queue, per request (each 64 KB of a message counts as one).
    pub sqs_request: f64,
    /// DynamoDB on-demand, per write request unit.
    pub write_unit: f64,
    /// DynamoDB on-demand, per read request unit.
    pub read_unit: f64,
    /// CloudWatch Logs (standard class), per GB ingested.
    pub log_gb: f64,
}

pub const LIST_PRICES: Prices = Prices {
    lambda_gb_second: 0.000_013_333_4,
    lambda_request: 0.20 / 1e6,
    webhook_request: 0.0,
    sqs_request: 0.40 / 1e6,
    write_unit: 0.625 / 1e6,
    read_unit: 0.125 / 1e6,
    log_gb: 0.50,
};

/// What one order uses, as measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Footprint {
    /// The functions' memory setting (`MemorySize` in the template).
    pub memory_mb: f64,
    /// Webhooks Ferry receives per order (each a request to the function
    /// URL and a webhook-intake invocation).
    pub webhooks: f64,
    /// webhook-intake: milliseconds per invocation (billed rounded up to 1 ms).
    pub intake_ms: f64,
    /// transfer-worker: milliseconds per order within a batch.
    pub worker_ms: f64,
    /// Orders per transfer-worker invocation (the SQS batch size).
    pub batch: f64,
    /// DynamoDB units per order.
    pub write_units: f64,
    pub read_units: f64,
    /// Log bytes per order (all functions).
    pub log_bytes: f64,
}

/// One line of the bill, per million orders.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub item: &'static str,
    pub usage: String,
    pub dollars: f64,
}

const MILLION: f64 = 1e6;
/// SQS requests per message: one SendMessage, and the event source's
/// ReceiveMessage and DeleteMessageBatch shared by up to 10 messages each.
const SQS_ENTRIES_PER_CALL: f64 = 10.0;

/// The bill for a million orders, line by line.
pub fn per_million_orders(order: &Footprint, prices: &Prices) -> Vec<Line> {
    let gb = order.memory_mb / 1024.0;
    let batch = order.batch.max(1.0);
    let intake_ms = order.intake_ms.ceil() * order.webhooks;
    // Each batch is billed rounded up to a whole millisecond.
    let worker_ms = (order.worker_ms * batch).ceil() / batch;
    let invocations = order.webhooks + 1.0 / batch;
    let sqs = 1.0 + 2.0 / batch.min(SQS_ENTRIES_PER_CALL);
    vec![
        Line {
            item: "Lambda duration (webhook-intake)",
            usage: format!("{intake_ms:.0} ms × {gb:.3} GB"),
            dollars: MILLION * intake_ms / 1000.0 * gb * prices.lambda_gb_second,
        },
        Line {
            item: "Lambda duration (transfer-worker)",
            usage: format!("{worker_ms:.2} ms × {gb:.3} GB"),
            dollars: MILLION * worker_ms / 1000.0 * gb * prices.lambda_gb_second,
        },
        Line {
            item: "Lambda requests",
            usage: format!("{invocations:.2} invocations"),
            dollars: MILLION * invocations * prices.lambda_request,
        },
        Line {
            item: "Webhook requests (Lambda function URL)",
            usage: format!("{:.2} requests", order.webhooks),
            dollars: MILLION * order.webhooks * prices.webhook_request,
        },
        Line {
            item: "SQS",
            usage: format!("{sqs:.2} requests"),
            dollars: MILLION * sqs * prices.sqs_request,
        },
        Line {
            item: "DynamoDB writes",
            usage: format!("{:.1} write units", order.write_units),
            dollars: MILLION * order.write_units * prices.write_unit,
        },
        Line {
            item: "DynamoDB reads",
            usage: format!("{:.1} read units", order.read_units),
            dollars: MILLION * order.read_units * prices.read_unit,
        },
        Line {
            item: "CloudWatch Logs ingestion",
            usage: format!("{:.0} bytes", order.log_bytes),
            dollars: MILLION * order.log_bytes / 1e9 * prices.log_gb,
        },
    ]
}

/// The sum of the lines.
pub fn total(lines: &[Line]) -> f64 {
    lines.iter().map(|l| l.dollars).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Footprint {
        Footprint {
            memory_mb: 128.0,
            webhooks: 1.0,
            intake_ms: 9.2,
            worker_ms: 30.0,
            batch: 10.0,
            write_units: 13.0,
            read_units: 11.0,
            log_bytes: 1000.0,
        }
    }

    fn dollars(lines: &[Line], item: &str) -> f64 {
        lines
            .iter()
            .find(|l| l.item == item)
            .map(|l| l.dollars)
            .unwrap_or(f64::NAN)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn dynamodb_is_units_times_price() {
        let lines = per_million_orders(&order(), &LIST_PRICES);
        assert!(close(dollars(&lines, "DynamoDB writes"), 13.0 * 0.625));
        assert!(close(dollars(&lines, "DynamoDB reads"), 11.0 * 0.125));
    }

    #[test]
    fn an_invocation_is_billed_in_whole_milliseconds() {
        let lines = per_million_orders(&order(), &LIST_PRICES);
        // 9.2 ms is billed as 10 ms: 1e6 × 0.010 s × 0.125 GB × price.
        let expected = 1e6 * 0.010 * 0.125 * LIST_PRICES.lambda_gb_second;
        assert!(close(
            dollars(&lines, "Lambda duration (webhook-intake)"),
            expected
        ));
        // A batch of 10 × 30 ms is 300 ms, already whole.
        let worker = 1e6 * 0.030 * 0.125 * LIST_PRICES.lambda_gb_second;
        assert!(close(
            dollars(&lines, "Lambda duration (transfer-worker)"),
            worker
        ));
    }

    #[test]
    fn batches_share_invocations_and_queue_calls() {
        let lines = per_million_orders(&order(), &LIST_PRICES);
        // One intake invocation per order, one worker invocation per 10.
        assert!(close(dollars(&lines, "Lambda requests"), 1.1 * 0.20));
        // Send 1, receive and delete shared by 10: 1.2 requests.
        assert!(close(dollars(&lines, "SQS"), 1.2 * 0.40));
        let single = Footprint {
            batch: 1.0,
            ..order()
        };
        let lines = per_million_orders(&single, &LIST_PRICES);
        assert!(close(dollars(&lines, "SQS"), 3.0 * 0.40));
    }

    #[test]
    fn logs_are_billed_per_gigabyte_and_the_total_adds_up() {
        let lines = per_million_orders(&order(), &LIST_PRICES);
        // 1,000 bytes × a million orders is 1 GB.
        assert!(close(dollars(&lines, "CloudWatch Logs ingestion"), 0.50));
        let sum: f64 = lines.iter().map(|l| l.dollars).sum();
        assert!(close(total(&lines), sum));
        assert!(total(&lines) > 10.0, "13 write units alone cost $8.13");
    }
}
