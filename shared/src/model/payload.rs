//! Payloads kept with transfers: gzip-compressed so that items stay small.

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

    pub fn from_compressed(gzip: Vec<u8>) -> Self {
        Self { gzip }
    }

    pub fn compressed(&self) -> &[u8] {
        &self.gzip
    }

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
    }
}
