//! The faults a sandbox can answer with (500, 503, 429 with `Retry-After`,
//! slow answers, dropped connections, cut bodies), switched on one by one
//! ([`super::harness::Faults`]) or drawn by chaos mode ([`super::chaos`]).

use std::time::Duration;

/// Something going wrong with an answer, switched on by a test or demo.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// `503 Service Unavailable`; nothing is done.
    Unavailable,
    /// `500 Internal Server Error`; nothing is done.
    ServerError,
    /// `429 Too Many Requests` with `Retry-After`; nothing is done.
    TooManyRequests { retry_after_secs: u64 },
    /// The request is carried out, and answered after this delay.
    Slow(Duration),
    /// The request is read, then the connection is closed without an answer.
    DropConnection,
    /// The request is carried out, and only the first half of its body is sent.
    CutBody,
}

impl Fault {
    /// A short name for counting faults by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Unavailable => "503",
            Fault::ServerError => "500",
            Fault::TooManyRequests { .. } => "429",
            Fault::Slow(_) => "slow answer",
            Fault::DropConnection => "connection dropped",
            Fault::CutBody => "answer cut",
        }
    }
}
