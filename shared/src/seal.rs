//! Credentials sealed at rest with AES-256-GCM.
//!
//! The key comes from `FERRY_SEAL_KEY` (32 bytes, base64) on AWS; ferry-local
//! makes one and keeps it in its data folder. Sealed values carry a version
//! prefix so that the key or algorithm can be rotated later.
//!
//! Each sealed value is bound to the tenant and system it belongs to (they
//! are the cipher's associated data): a sealed value copied to another
//! system, or another tenant's, does not open there. Values sealed before
//! that binding (`v1:`) are not opened at all; their owner enters them again.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Plain credentials, in memory only. Debug output never shows the values.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Credentials(pub BTreeMap<String, String>);

impl Credentials {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&String> = self.0.keys().collect();
        write!(f, "Credentials({keys:?}, values hidden)")
    }
}

/// Credentials as stored: `v2:<nonce b64>:<ciphertext b64>`; empty when none are set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SealedCredentials(pub String);

impl SealedCredentials {
    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("FERRY_SEAL_KEY must be 32 bytes encoded in base64")]
    BadKey,
    #[error(
        "sealed credentials are damaged, were sealed with another key or belong to another system"
    )]
    Unreadable,
}

/// Whose credentials a sealed value holds (the tenant's and system's ids):
/// it opens only for them. `System::owner` gives a system's.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub tenant: &'a str,
    pub system: &'a str,
}

impl Owner<'_> {
    /// The associated data: the version, the tenant and the system, apart.
    fn associated_data(&self) -> Vec<u8> {
        format!(
            "ferry/credentials/{VERSION}\0{}\0{}",
            self.tenant, self.system
        )
        .into_bytes()
    }
}

const VERSION: &str = "v2";

/// Seals and opens credentials with one key.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(key hidden)")
    }
}

impl Sealer {
    pub fn from_base64(key: &str) -> Result<Self, SealError> {
        let bytes = B64.decode(key.trim()).map_err(|_| SealError::BadKey)?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(key: &[u8]) -> Result<Self, SealError> {
        if key.len() != 32 {
            return Err(SealError::BadKey);
        }
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SealError::BadKey)?;
        Ok(Self { cipher })
    }

    /// A fresh random key, base64-encoded (for ferry-local's data folder).
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        B64.encode(key)
    }

    /// Seals `credentials` for `owner`: they open only for the same owner.
    pub fn seal(&self, credentials: &Credentials, owner: Owner<'_>) -> SealedCredentials {
        if credentials.is_empty() {
            return SealedCredentials::default();
        }
        let plain = serde_json::to_vec(credentials).unwrap_or_default();
        let aad = owner.associated_data();
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and a 12-byte nonce cannot fail.
        let cipher = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        SealedCredentials(format!(
            "{VERSION}:{}:{}",
            B64.encode(nonce),
            B64.encode(cipher)
        ))
    }

    /// Opens credentials sealed for `owner`; anything else is unreadable.
    pub fn open(
        &self,
        sealed: &SealedCredentials,
        owner: Owner<'_>,
    ) -> Result<Credentials, SealError> {
        if !sealed.is_set() {
            return Ok(Credentials::default());
        }
        let mut parts = sealed.0.splitn(3, ':');
        let (Some(VERSION), Some(nonce), Some(cipher)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Unreadable);
        };
        let nonce = B64.decode(nonce).map_err(|_| SealError::Unreadable)?;
        let cipher = B64.decode(cipher).map_err(|_| SealError::Unreadable)?;
        if nonce.len() != 12 {
            return Err(SealError::Unreadable);
        }
        let aad = owner.associated_data();
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &cipher,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Unreadable)?;
        serde_json::from_slice(&plain).map_err(|_| SealError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        let mut map = BTreeMap::new();
        map.insert("access_token".into(), "shpat_supersecret".into());
        Credentials(map)
    }

    fn ids(tenant: &'static str, system: &'static str) -> (&'static str, &'static str) {
        (tenant, system)
    }

    fn owner((tenant, system): &(&'static str, &'static str)) -> Owner<'static> {
        Owner { tenant, system }
    }

    #[test]
    fn seals_and_opens() {
        let sealer = Sealer::from_base64(&Sealer::generate_key()).unwrap();
        let shop = ids("t_a", "sys_shop");
        let sealed = sealer.seal(&creds(), owner(&shop));
        assert!(sealed.0.starts_with("v2:"));
        assert!(!sealed.0.contains("supersecret"));
        assert_eq!(sealer.open(&sealed, owner(&shop)).unwrap(), creds());
    }

    #[test]
    fn another_key_cannot_open() {
        let a = Sealer::from_base64(&Sealer::generate_key()).unwrap();
        let b = Sealer::from_base64(&Sealer::generate_key()).unwrap();
        let shop = ids("t_a", "sys_shop");
        assert!(matches!(
            b.open(&a.seal(&creds(), owner(&shop)), owner(&shop)),
            Err(SealError::Unreadable)
        ));
    }

    #[test]
    fn a_sealed_value_copied_to_another_system_or_tenant_does_not_open() {
        let sealer = Sealer::from_base64(&Sealer::generate_key()).unwrap();
        let shop = ids("t_a", "sys_shop");
        let sealed = sealer.seal(&creds(), owner(&shop));
        for other in [ids("t_a", "sys_ledger"), ids("t_b", "sys_shop")] {
            assert!(matches!(
                sealer.open(&sealed, owner(&other)),
                Err(SealError::Unreadable)
            ));
        }
        // The separator keeps "t_a" + "sys_x" apart from "t_as" + "ys_x".
        let joined = ids("t_as", "ys_shop");
        assert!(sealer.open(&sealed, owner(&joined)).is_err());
    }

    #[test]
    fn values_sealed_without_an_owner_do_not_open() {
        let sealer = Sealer::from_base64(&Sealer::generate_key()).unwrap();
        let shop = ids("t_a", "sys_shop");
        let v2 = sealer.seal(&creds(), owner(&shop));
        let v1 = SealedCredentials(v2.0.replacen("v2:", "v1:", 1));
        assert!(matches!(
            sealer.open(&v1, owner(&shop)),
            Err(SealError::Unreadable)
        ));
    }

    #[test]
    fn refuses_short_keys_and_hides_values_in_debug() {
        assert!(Sealer::from_base64("c2hvcnQ=").is_err());
        assert!(!format!("{:?}", creds()).contains("supersecret"));
    }
}
