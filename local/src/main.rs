//! `ferry-local`: see `ferry_local::cli` for the arguments.

use ferry::connectors::address::Network;
use ferry_local::cli;
use ferry_local::runtime::{self, Options};

#[tokio::main]
async fn main() {
    ferry::telemetry::init_text();
    let args = match cli::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let mut options = Options::new(args.listen, args.data_dir.clone(), args.store);
    if args.demo {
        // The demo's sandbox shop and ledger listen on loopback.
        options.network = Network::PRIVATE_ALLOWED;
    }
    if let Some(job) = args.job {
        match runtime::run_job(&options, job).await {
            Ok(report) => println!("{report}"),
            Err(e) => {
                eprintln!("ferry-local: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let running = match runtime::start(options).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("ferry-local: {e}");
            std::process::exit(1);
        }
    };
    println!("Ferry is running at {}", running.base_url());
    println!("Operator token: {}", running.operator_token);
    if args.demo {
        match ferry_local::demo::start(&running).await {
            Ok(demo) => {
                println!("Demo shop and ledger are up; orders are flowing.");
                println!("Dashboard: {}/#token={}", running.base_url(), demo.token);
                let orders = demo.keep_ordering();
                running.run_until_signal().await;
                orders.abort();
                return;
            }
            Err(e) => {
                eprintln!("ferry-local: the demo could not start: {e}");
                running.stop().await;
                std::process::exit(1);
            }
        }
    }
    running.run_until_signal().await;
}
