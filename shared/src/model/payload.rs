//! Payloads kept with transfers: gzip-compressed so that items stay small.
//!
//! A record's payload may carry, after the bytes as received, the record as
//! Ferry read it (the canonical order, as JSON): a second gzip member in the
//! same compressed bytes. [`Payload::bytes`] reads the first member only
//! (what the dashboard shows as received); [`Payload::canonical`] the
//! second. So the intake parses a record once and the worker reads what it
//! parsed, without the source's connector; both stores keep the payload's
//! compressed bytes as they are, and a payload kept before this has no
//! second member (the worker parses it then).

use flate2::bufread;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// A compressed copy of a payload's bytes, exactly as received or sent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    #[serde(with = "base64_bytes")]
    gzip: Vec<u8>,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Payload({} compressed bytes)", self.gzip.len())
    }
}

impl Payload {
    pub fn compress(raw: &[u8]) -> Self {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        // Writing into a Vec cannot fail.
        let _ = encoder.write_all(raw);
        let gzip = encoder.finish().unwrap_or_default();
        Self { gzip }
    }

    /// `raw` as received, and beside it `canonical`, the record as read.
    pub fn compress_with_canonical(raw: &[u8], canonical: &[u8]) -> Self {
        let mut gzip = Self::compress(raw).gzip;
        gzip.extend_from_slice(&Self::compress(canonical).gzip);
        Self { gzip }
    }

    /// The record as read at intake, when it was kept (see the module).
    pub fn canonical(&self) -> Option<Vec<u8>> {
        let mut first = bufread::GzDecoder::new(self.gzip.as_slice());
        std::io::copy(&mut first, &mut std::io::sink()).ok()?;
        let rest = first.into_inner();
        if rest.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        bufread::GzDecoder::new(rest).read_to_end(&mut out).ok()?;
        Some(out)
    }

    pub fn from_compressed(gzip: Vec<u8>) -> Self {
        Self { gzip }
    }

    pub fn compressed(&self) -> &[u8] {
        &self.gzip
    }

    /// The bytes as received (the first gzip member only).
    pub fn bytes(&self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        GzDecoder::new(self.gzip.as_slice()).read_to_end(&mut out)?;
        Ok(out)
    }

    /// The payload as JSON when it is JSON, else as a string.
    pub fn to_json(&self) -> serde_json::Value {
        match self.bytes() {
            Ok(raw) => serde_json::from_slice(&raw).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&raw).into_owned())
            }),
            Err(e) => serde_json::Value::String(format!("(payload unreadable: {e})")),
        }
    }
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_shrinks_json() {
        let raw = br#"{"a":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}"#;
        let payload = Payload::compress(raw);
        assert!(payload.compressed().len() < raw.len());
        assert_eq!(payload.bytes().unwrap(), raw.to_vec());
        assert_eq!(payload.to_json()["a"].as_str().unwrap().len(), 82);
        assert_eq!(payload.canonical(), None, "kept without the record as read");
    }

    #[test]
    fn the_record_as_read_rides_beside_the_bytes_as_received() {
        let raw = br#"{"id": 1, "total_price": "10.00"}"#;
        let read = br#"{"source_id":"1","total":"10.00"}"#;
        let payload = Payload::compress_with_canonical(raw, read);
        assert_eq!(payload.bytes().unwrap(), raw.to_vec());
        assert_eq!(payload.to_json()["total_price"], "10.00");
        assert_eq!(payload.canonical().unwrap(), read.to_vec());
    }
}
