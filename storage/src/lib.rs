//! Passerelle's encrypted blob store.
//!
//! Every file is kept encrypted at rest (format: `storage/FORMAT.md`): a master key wraps one
//! random data key per mission ([`KeyStore`]); each blob gets its own key derived from the
//! mission key, a random salt and its header, and its body is sealed in 64 KiB AES-256-GCM
//! segments under STREAM nonces. Destroying a mission key ([`KeyStore::destroy_mission_key`])
//! makes every file of the mission unreadable at once.
//!
//! [`BlobStore`] writes from and reads to async byte streams with flat memory, serves byte ranges
//! by decrypting only the segments they touch, and runs over any [`Backend`] located in the EEA.
//! The crate knows nothing of HTTP, users or the database.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use bytes::Bytes;
//! use futures::StreamExt;
//! use storage::{BlobStore, KeyStore, LocalBackend, MasterKey, StorageError};
//!
//! let data = tempfile::tempdir()?;
//! let master = MasterKey::load_or_generate(&data.path().join("master.key"))?;
//! let keys = KeyStore::open(data.path().join("keys"), master)?;
//! let backend = LocalBackend::open(data.path().join("blobs"), "FR")?;
//! let store = BlobStore::new(Arc::new(backend), keys)?;
//!
//! store.keys().create_mission_key("mission-1").await?;
//! let upload = futures::stream::iter([Ok(Bytes::from_static(b"hello, ")), Ok(Bytes::from_static(b"world"))]);
//! let receipt = store.write("mission-1", "file-1", upload).await?;
//! assert_eq!(receipt.plaintext_len, 12);
//!
//! let mut reader = store.read_range("mission-1", "file-1", 7, 11).await?;
//! assert_eq!(reader.plaintext_len(), 12);
//! let mut out = Vec::new();
//! while let Some(chunk) = reader.next().await {
//!     out.extend_from_slice(&chunk?); // an Err here means: abort the transfer
//! }
//! assert_eq!(out, b"world");
//!
//! store.keys().destroy_mission_key("mission-1").await?;
//! assert!(matches!(store.read("mission-1", "file-1").await, Err(StorageError::KeyDestroyed { .. })));
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod backend;
mod blobstore;
mod error;
pub mod format;
mod fsutil;
mod keyrecords;
mod keystore;
mod master;
mod pipeline;
mod reader;
mod residency;
mod writer;

pub use backend::local::LocalBackend;
pub use backend::s3::{S3Backend, S3Config, S3Stats};
pub use backend::{Backend, BlobSource, BlobUpload, BlockWriter};
pub use blobstore::BlobStore;
pub use error::{Result, StorageError};
pub use keyrecords::{migrate_dir, DirRecords, KeyKind, KeyRecord, KeyRecords};
pub use keystore::{finish_master_file, next_master_path, KeyStore};
pub use master::{MasterKey, SecretBox};
pub use pipeline::PlainTap;
pub use reader::BlobReader;
pub use residency::{ensure_eea, EEA_COUNTRIES};
pub use writer::WriteReceipt;
