//! The master key-encryption key (KEK) and the small `SecretBox` built from its subkeys.

use std::fmt;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce, Tag};
use base64::Engine;
use hkdf::Hkdf;
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Result, StorageError};
use crate::fsutil;

/// Label hashed with the key to form the master key id. Do not change.
const MASTER_ID_LABEL: &[u8] = b"passerelle master key id v1";
/// HKDF salt of `derive_subkey`. Do not change.
const SUBKEY_SALT: &[u8] = b"passerelle master subkey v1";

/// The master key-encryption key: 32 bytes that wrap every mission key. Zeroized on drop;
/// `Debug` shows only its id.
#[derive(Clone)]
pub struct MasterKey {
    key: Zeroizing<[u8; 32]>,
    id: String,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// Wraps 32 key bytes (the caller's copy should be zeroized by the caller).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let key = Zeroizing::new(bytes);
        let digest = Sha256::new()
            .chain_update(MASTER_ID_LABEL)
            .chain_update(*key)
            .finalize();
        let id = hex::encode(&digest[..16]);
        MasterKey { key, id }
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut bytes[..]);
        Self::from_bytes(*bytes)
    }

    /// The key id: 32 hex digits (first 16 bytes of SHA-256 of a label and the key). It names
    /// the key in logs and key files without revealing it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The raw key, for wrapping inside this crate.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// Derives an independent 32-byte subkey for `purpose` (HKDF-SHA256, info = purpose), e.g.
    /// `"totp secrets"`. Distinct purposes give unrelated keys.
    ///
    /// A subkey changes when the master key is rotated: whatever it sealed becomes unreadable.
    /// For data that must outlive a rotation, use [`crate::KeyStore::service_key`] instead.
    pub fn derive_subkey(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let hk = Hkdf::<Sha256>::new(Some(SUBKEY_SALT), &self.key[..]);
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is within HKDF's output limit: expand cannot fail.
        let _ = hk.expand(purpose.as_bytes(), &mut out[..]);
        out
    }

    /// Loads the key from `path`, or generates it there (mode 0600, created atomically) if the
    /// file does not exist. An existing file readable by group or others is refused.
    pub fn load_or_generate(path: &Path) -> Result<Self> {
        match fs::symlink_metadata(path) {
            Ok(_) => Self::from_file(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let dir = parent_dir(path);
                fsutil::ensure_dir(dir, true)?;
                let key = Self::generate();
                let mut text = Zeroizing::new(hex::encode(*key.key));
                text.push('\n');
                let name = file_name(path)?;
                let (mut file, tmp) = fsutil::create_tmp(dir, &name, 0o600)?;
                let res = std::io::Write::write_all(&mut file, text.as_bytes())
                    .and_then(|()| file.sync_all());
                drop(file);
                if let Err(e) = res {
                    let _ = fs::remove_file(&tmp);
                    return Err(master_err(path, "could not be written", e));
                }
                // A hard link, unlike rename, never replaces a key another process created meanwhile.
                let linked = fs::hard_link(&tmp, path);
                let _ = fs::remove_file(&tmp);
                match linked {
                    Ok(()) => {
                        fsutil::fsync_dir(dir)?;
                        tracing::info!(key_id = key.id(), path = %path.display(), "generated a new master key");
                        Ok(key)
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::from_file(path)
                    }
                    Err(e) => Err(master_err(path, "could not be created", e)),
                }
            }
            Err(e) => Err(master_err(path, "could not be read", e)),
        }
    }

    /// Reads the key from `path`: 64 hex digits, base64 of 32 bytes, or 32 raw bytes. The file
    /// must be a regular file not accessible to group or others (mode 0600 or 0400).
    pub fn from_file(path: &Path) -> Result<Self> {
        let meta = fs::metadata(path).map_err(|e| master_err(path, "could not be read", e))?;
        if !meta.is_file() {
            return Err(StorageError::MasterKey(format!(
                "master key file {} is not a regular file",
                path.display()
            )));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StorageError::MasterKey(format!(
                "master key file {p} is accessible to other users (mode {mode:04o}); run chmod 600 {p}",
                p = path.display()
            )));
        }
        // Refuse a key owned by someone else than the running user (unless run as root).
        let me = fs::metadata("/proc/self").map(|m| m.uid()).ok();
        if let Some(uid) = me {
            if uid != 0 && meta.uid() != uid {
                return Err(StorageError::MasterKey(format!(
                    "master key file {} belongs to another user (uid {}); it must belong to the user running Passerelle",
                    path.display(),
                    meta.uid()
                )));
            }
        }
        let mut content = Zeroizing::new(Vec::new());
        fs::File::open(path)
            .and_then(|f| f.take(4096).read_to_end(&mut content))
            .map_err(|e| master_err(path, "could not be read", e))?;
        let bytes = parse_key_text(&content).ok_or_else(|| {
            StorageError::MasterKey(format!(
                "master key file {} does not hold a 32-byte key (expected 64 hex digits or base64)",
                path.display()
            ))
        })?;
        Ok(Self::from_bytes(*bytes))
    }

    /// Reads the key from the environment variable `var` (64 hex digits or base64 of 32 bytes).
    pub fn from_env(var: &str) -> Result<Self> {
        let value = Zeroizing::new(std::env::var(var).map_err(|_| {
            StorageError::MasterKey(format!(
                "environment variable {var} is not set or not valid UTF-8; it must hold the master key"
            ))
        })?);
        let bytes = parse_key_text(value.as_bytes()).ok_or_else(|| {
            StorageError::MasterKey(format!(
                "environment variable {var} does not hold a 32-byte key (expected 64 hex digits or base64)"
            ))
        })?;
        Ok(Self::from_bytes(*bytes))
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| StorageError::MasterKey(format!("{} is not a file path", path.display())))
}

fn master_err(path: &Path, what: &str, e: std::io::Error) -> StorageError {
    StorageError::MasterKey(format!("master key file {} {what}: {e}", path.display()))
}

/// Parses 64 hex digits, base64 (standard or URL-safe) of 32 bytes, or 32 raw bytes.
fn parse_key_text(content: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    let trimmed = content.trim_ascii();
    if trimmed.len() == 64 && hex::decode_to_slice(trimmed, &mut out[..]).is_ok() {
        return Some(out);
    }
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ] {
        if let Ok(mut v) = engine.decode(trimmed) {
            let ok = v.len() == 32;
            if ok {
                out.copy_from_slice(&v);
            }
            v.zeroize();
            if ok {
                return Some(out);
            }
        }
    }
    if content.len() == 32 {
        out.copy_from_slice(content);
        return Some(out);
    }
    None
}

/// Authenticated encryption of small secrets (e.g. TOTP seeds kept in the database) under a
/// 32-byte key, typically `master.derive_subkey("…")`. Format: 12-byte random nonce ‖
/// AES-256-GCM ciphertext ‖ 16-byte tag.
pub struct SecretBox {
    aead: Aes256Gcm,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// A box keyed with `key`.
    pub fn new(key: &[u8; 32]) -> Self {
        SecretBox {
            aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    /// Encrypts `plaintext`, binding it to `aad` (say, the table, column and row id).
    ///
    /// Returns an error only for inputs beyond AES-GCM's limit (64 GiB), far above any secret.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(12 + plaintext.len() + 16);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .aead
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), aad, &mut out[12..])
            .map_err(|_| StorageError::TooLarge)?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Decrypts what [`SecretBox::seal`] produced with the same key and `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let bad = || StorageError::SealedSecret;
        if sealed.len() < 28 {
            return Err(bad());
        }
        let (nonce, rest) = sealed.split_at(12);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        let mut out = Zeroizing::new(ct.to_vec());
        self.aead
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                aad,
                &mut out,
                Tag::from_slice(tag),
            )
            .map_err(|_| bad())?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generate_then_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/master.key");
        let k1 = MasterKey::load_or_generate(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let k2 = MasterKey::load_or_generate(&path).unwrap();
        assert_eq!(k1.id(), k2.id());
        assert_eq!(k1.bytes(), k2.bytes());
        assert_eq!(k1.id().len(), 32);
        // No temporary file is left beside it.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        assert!(!format!("{k1:?}").contains(&hex::encode(k1.bytes())));
    }

    #[test]
    fn open_permissions_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        MasterKey::load_or_generate(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = MasterKey::from_file(&path).unwrap_err().to_string();
        let p = path.display().to_string();
        assert!(err.contains(&format!("master key file {p}")), "{err}");
        assert!(err.contains(&format!("chmod 600 {p}")), "{err}");
        assert!(MasterKey::load_or_generate(&path).is_err());
    }

    #[test]
    fn text_forms() {
        let raw = [3u8; 32];
        let want = MasterKey::from_bytes(raw);
        let hex_form = hex::encode(raw);
        let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
        for text in [format!("{hex_form}\n"), b64.clone()] {
            let got = parse_key_text(text.as_bytes()).unwrap();
            assert_eq!(*got, raw);
        }
        assert!(parse_key_text(b"short").is_none());
        std::env::set_var("PASSERELLE_TEST_MASTER_KEY_STORAGE", &b64);
        let k = MasterKey::from_env("PASSERELLE_TEST_MASTER_KEY_STORAGE").unwrap();
        assert_eq!(k.id(), want.id());
        assert!(MasterKey::from_env("PASSERELLE_TEST_UNSET_VARIABLE_X").is_err());
    }

    #[test]
    fn subkeys_and_secret_box() {
        let m = MasterKey::from_bytes([1u8; 32]);
        let a = m.derive_subkey("totp secrets");
        let b = m.derive_subkey("something else");
        assert_ne!(*a, *b);
        assert_eq!(*a, *m.derive_subkey("totp secrets"));
        let sb = SecretBox::new(&a);
        let sealed = sb.seal(b"user:42", b"JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(
            &sb.open(b"user:42", &sealed).unwrap()[..],
            b"JBSWY3DPEHPK3PXP"
        );
        assert!(sb.open(b"user:43", &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered[13] ^= 1;
        assert!(sb.open(b"user:42", &tampered).is_err());
        assert!(sb.open(b"user:42", &sealed[..20]).is_err());
        assert!(SecretBox::new(&b).open(b"user:42", &sealed).is_err());
    }
}
