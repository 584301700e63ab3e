//! Keys ferry-local keeps in its data folder, made on first start: the
//! sealing key, the token signing key and the operator's token. Files are
//! readable by the owner only.

use std::io::Write;
use std::path::Path;

/// The file's trimmed contents, or `make()` written to it first.
pub fn load_or_create(
    dir: &Path,
    name: &str,
    make: impl FnOnce() -> String,
) -> std::io::Result<String> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let value = make();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    file.write_all(value.as_bytes())?;
    file.sync_all()?;
    Ok(value)
}

/// 32 random bytes as URL-safe text.
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_value() {
        let dir = std::env::temp_dir().join(format!("ferry-keys-{}", random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = load_or_create(&dir, "k", || "one".into()).unwrap();
        let second = load_or_create(&dir, "k", || "two".into()).unwrap();
        assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
