//! Command-line arguments (CONTRACT.md):
//!
//! ```text
//! ferry-local [--listen 127.0.0.1:8080] [--data-dir .ferry] [--store embedded|dynamodb] [--demo]
//! ferry-local job scheduler|reminders [--data-dir DIR] [--store embedded|dynamodb]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Embedded,
    Dynamodb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Scheduler,
    Reminders,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub store: StoreKind,
    pub demo: bool,
    /// `Some` for `ferry-local job ...`: run one pass and exit.
    pub job: Option<Job>,
}

pub const USAGE: &str = "usage: ferry-local [--listen 127.0.0.1:8080] [--data-dir .ferry] [--store embedded|dynamodb] [--demo]
       ferry-local job scheduler|reminders [--data-dir DIR] [--store embedded|dynamodb]";

impl Default for Args {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from(".ferry"),
            store: StoreKind::Embedded,
            demo: false,
            job: None,
        }
    }
}

/// Parses the arguments after the program name; the error says what is wrong.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => {
                let raw = value("--listen")?;
                parsed.listen = raw.parse().map_err(|_| {
                    format!("--listen: '{raw}' is not an address like 127.0.0.1:8080")
                })?;
            }
            "--data-dir" => parsed.data_dir = PathBuf::from(value("--data-dir")?),
            "--store" => {
                parsed.store = match value("--store")?.as_str() {
                    "embedded" => StoreKind::Embedded,
                    "dynamodb" => StoreKind::Dynamodb,
                    other => return Err(format!("--store: '{other}' is not embedded or dynamodb")),
                }
            }
            "--demo" => parsed.demo = true,
            "job" if parsed.job.is_none() => {
                parsed.job = Some(match value("job")?.as_str() {
                    "scheduler" => Job::Scheduler,
                    "reminders" => Job::Reminders,
                    other => return Err(format!("job: '{other}' is not scheduler or reminders")),
                })
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_flags() {
        assert_eq!(args(&[]).unwrap(), Args::default());
        let a = args(&[
            "--listen",
            "127.0.0.1:9000",
            "--data-dir",
            "/tmp/x",
            "--demo",
        ])
        .unwrap();
        assert_eq!(a.listen.port(), 9000);
        assert!(a.demo);
        assert_eq!(a.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn jobs_and_errors() {
        assert_eq!(
            args(&["job", "reminders"]).unwrap().job,
            Some(Job::Reminders)
        );
        assert!(args(&["job", "nope"]).is_err());
        assert!(args(&["--store", "postgres"])
            .unwrap_err()
            .contains("postgres"));
        assert!(args(&["--listen"]).unwrap_err().contains("needs a value"));
    }
}
