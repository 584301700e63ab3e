//! Identifiers. Each one can only hold a safe value: ASCII letters, digits,
//! `-` and `_`, 1 to 64 characters. That keeps ids out of trouble in keys,
//! paths and URLs (no traversal, no separators).

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid id: use 1 to 64 letters, digits, '-' or '_'")]
pub struct InvalidId {
    pub value: String,
}

fn check(value: &str) -> Result<(), InvalidId> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(InvalidId {
            value: value.chars().take(80).collect(),
        })
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses an id received from outside (a path, a body, a stored item).
            pub fn parse(value: &str) -> Result<Self, InvalidId> {
                check(value)?;
                Ok(Self(value.to_owned()))
            }

            /// A new random, time-ordered id.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, ulid::Ulid::new().to_string().to_lowercase()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

id_type!(
    /// A tenant: one merchant or warehouse operator.
    TenantId, "t_"
);
id_type!(
    /// An external system a tenant has added (a shop, a ledger).
    SystemId, "sys_"
);
id_type!(
    /// A data flow from a source system to a target system.
    ConnectionId, "con_"
);
id_type!(
    /// One source record moved by one connection.
    TransferId, "tr_"
);
id_type!(
    /// A user of the dashboard.
    UserId, "usr_"
);

impl TransferId {
    /// The transfer id of a source record in a connection. It is derived, not
    /// random, so the same record arriving twice (webhook and poll, or a
    /// retried delivery) lands on the same transfer.
    pub fn for_record(connection: &ConnectionId, source_id: &str) -> Self {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(connection.as_str().as_bytes());
        hash.update([0u8]);
        hash.update(source_id.as_bytes());
        let digest = hash.finalize();
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("tr_{hex}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_separators_and_traversal() {
        assert!(ConnectionId::parse("con_abc-1").is_ok());
        for bad in ["", "../etc", "a/b", "a#b", "a b", &"x".repeat(65)] {
            assert!(ConnectionId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn transfer_id_is_stable_per_record_and_connection() {
        let a = ConnectionId::parse("con_a").unwrap();
        let b = ConnectionId::parse("con_b").unwrap();
        assert_eq!(
            TransferId::for_record(&a, "1001"),
            TransferId::for_record(&a, "1001")
        );
        assert_ne!(
            TransferId::for_record(&a, "1001"),
            TransferId::for_record(&b, "1001")
        );
        assert_ne!(
            TransferId::for_record(&a, "1001"),
            TransferId::for_record(&a, "1002")
        );
    }

    #[test]
    fn deserializing_checks_the_value() {
        let bad: Result<TenantId, _> = serde_json::from_str("\"../x\"");
        assert!(bad.is_err());
    }
}
