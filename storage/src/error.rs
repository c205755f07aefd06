//! The one error type of the storage crate.

use std::path::PathBuf;

/// Everything that can go wrong in the storage crate.
///
/// Messages are plain sentences meant for an operator's log; none of them ever contains key
/// material or file content. The gateway maps variants to HTTP statuses (for instance
/// [`StorageError::Integrity`] aborts a download, [`StorageError::KeyDestroyed`] answers 410).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The stored bytes failed authentication: a flipped bit, a truncated or extended blob,
    /// reordered or swapped segments, or a blob moved to another mission or blob id.
    /// Data that fails this check is never returned.
    #[error("integrity check failed for blob {blob} of mission {mission}: {reason}")]
    Integrity {
        /// Mission the blob was read for.
        mission: String,
        /// Blob id the blob was read for.
        blob: String,
        /// Which check failed (no secret in it).
        reason: &'static str,
    },

    /// The mission's data key was destroyed (crypto-shredding): its files can never be decrypted again.
    #[error(
        "the key of mission {mission} has been destroyed; its files can no longer be decrypted"
    )]
    KeyDestroyed {
        /// The mission whose key was destroyed.
        mission: String,
    },

    /// No data key exists for the mission (it was never created).
    #[error("no data key exists for mission {mission}")]
    KeyNotFound {
        /// The mission that has no key.
        mission: String,
    },

    /// No blob is stored under this mission and blob id.
    #[error("no blob {blob} in mission {mission}")]
    NotFound {
        /// Mission asked for.
        mission: String,
        /// Blob id asked for.
        blob: String,
    },

    /// A mission or blob id is not acceptable (allowed: 1 to 128 characters among
    /// `A-Z a-z 0-9 - _ .`, not starting with a dot).
    #[error("invalid {kind} id {id:?}: use 1 to 128 characters among A-Z a-z 0-9 - _ . (not starting with a dot)")]
    InvalidId {
        /// "mission", "blob" or "service key".
        kind: &'static str,
        /// The rejected id.
        id: String,
    },

    /// A range outside the blob's plaintext was asked for.
    #[error("range {start}-{end} is outside the file's {len} bytes")]
    RangeNotSatisfiable {
        /// First byte asked for.
        start: u64,
        /// Last byte asked for (inclusive).
        end: u64,
        /// Plaintext length of the blob.
        len: u64,
    },

    /// A blob already exists under this id; the object-store backend never overwrites one.
    #[error("blob {blob} of mission {mission} already exists and is never overwritten")]
    AlreadyExists {
        /// Mission written to.
        mission: String,
        /// Blob id written.
        blob: String,
    },

    /// The storage backend is misconfigured or unsafe for crypto-shredding (a sentence naming
    /// the setting).
    #[error("{0}")]
    Backend(String),

    /// The storage location lies outside the European Economic Area and is refused.
    #[error("{0}")]
    Residency(String),

    /// The input stream returned an error while a blob was being written; nothing was stored.
    #[error("the upload stream failed; nothing was stored: {0}")]
    InputAborted(#[source] std::io::Error),

    /// The master key could not be loaded or used (missing, unreadable, wrong length,
    /// permissions too open, or the key files are wrapped by another master key).
    #[error("{0}")]
    MasterKey(String),

    /// A key store file is malformed or fails authentication under the master key.
    #[error("key store file {path} is damaged or not wrapped by this master key: {reason}")]
    KeyStoreCorrupt {
        /// The key file.
        path: PathBuf,
        /// Which check failed.
        reason: &'static str,
    },

    /// A value sealed with [`crate::SecretBox`] failed authentication (wrong key, wrong
    /// associated data, or tampered bytes).
    #[error("a sealed secret failed authentication (wrong key or tampered data)")]
    SealedSecret,

    /// The blob is too large for the format (over 2^32 segments, about 256 TiB).
    #[error("the file is too large for the storage format")]
    TooLarge,

    /// An operating-system input/output error.
    #[error("storage I/O error while {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Result type of the storage crate.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

impl StorageError {
    /// Wraps an I/O error with a short description of what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StorageError::Io {
            context: context.into(),
            source,
        }
    }

    /// True for [`StorageError::Integrity`].
    pub fn is_integrity(&self) -> bool {
        matches!(self, StorageError::Integrity { .. })
    }
}

/// Validates a mission or blob id: it becomes part of file names and of the blob header.
pub(crate) fn check_id(kind: &'static str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(StorageError::InvalidId {
            kind,
            id: id.chars().take(200).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(check_id("mission", "m-1_2.x").is_ok());
        assert!(check_id("mission", "3f1c2a9e-0b6d-4d57-9e3a-1b2c3d4e5f60").is_ok());
        for bad in ["", ".hidden", "a/b", "..", "a b", "é", &"x".repeat(129)] {
            assert!(check_id("blob", bad).is_err(), "{bad}");
        }
    }
}
