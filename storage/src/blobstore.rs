//! `BlobStore`: the encrypted blob API the gateway uses.

use std::sync::Arc;

use bytes::Bytes;
use futures::Stream;
use rand::RngCore;

use crate::backend::Backend;
use crate::error::{check_id, Result, StorageError};
use crate::format::{
    commitment_matches, derive_file_key, FileCipher, Header, Layout, COMMIT_LEN, MAX_HEADER_LEN,
    NONCE_PREFIX_LEN, SALT_LEN,
};
use crate::keystore::{KeyStore, MissionKey};
use crate::pipeline::PlainTap;
use crate::reader::{BlobReader, Opened};
use crate::residency::ensure_eea;
use crate::writer::{new_blob, WriteReceipt};

/// Encrypted blobs on a backend, keyed per mission. Cheap to clone; `Send + Sync`.
#[derive(Clone, Debug)]
pub struct BlobStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: Arc<dyn Backend>,
    keys: KeyStore,
}

impl BlobStore {
    /// A store over `backend` with keys from `keys`. Refuses a backend located outside the EEA
    /// ([`StorageError::Residency`]).
    pub fn new(backend: Arc<dyn Backend>, keys: KeyStore) -> Result<Self> {
        ensure_eea(backend.country()).map_err(|e| match e {
            StorageError::Residency(msg) => {
                StorageError::Residency(format!("{}: {msg}", backend.describe()))
            }
            other => other,
        })?;
        Ok(BlobStore {
            inner: Arc::new(Inner { backend, keys }),
        })
    }

    /// The key store.
    pub fn keys(&self) -> &KeyStore {
        &self.inner.keys
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    async fn mission_key(&self, mission: &str) -> Result<MissionKey> {
        self.inner.keys.mission_key(mission).await
    }

    /// Encrypts `input` into blob `blob_id` of `mission_id` (whose key must exist). Returns the
    /// plaintext length and SHA-256. On the local backend a previous blob of that id is replaced
    /// once the new one is complete; the S3 backend never overwrites one
    /// ([`StorageError::AlreadyExists`]): blob ids are meant to be fresh.
    ///
    /// If `input` yields an error, nothing is stored (a previous blob of the same id is left
    /// as it was) and [`StorageError::InputAborted`] is returned. If the future is dropped
    /// midway, nothing is stored either.
    pub async fn write<S>(&self, mission_id: &str, blob_id: &str, input: S) -> Result<WriteReceipt>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Unpin,
    {
        self.write_tapped(mission_id, blob_id, input, None).await
    }

    /// [`BlobStore::write`], showing the plaintext to `tap` on the way (see [`PlainTap`]).
    pub async fn write_tapped<S>(
        &self,
        mission_id: &str,
        blob_id: &str,
        mut input: S,
        tap: Option<Box<dyn PlainTap>>,
    ) -> Result<WriteReceipt>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Unpin,
    {
        check_id("mission", mission_id)?;
        check_id("blob", blob_id)?;
        let key = self.mission_key(mission_id).await?;
        let mut salt = [0u8; SALT_LEN];
        let mut prefix = [0u8; NONCE_PREFIX_LEN];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        rand::rngs::OsRng.fill_bytes(&mut prefix);
        let (header, cipher) = new_blob(&key.key, key.id, mission_id, blob_id, salt, prefix)?;
        drop(key);
        let mut upload = self.inner.backend.begin_put(mission_id, blob_id).await?;
        match crate::pipeline::write(&header, cipher, upload.as_mut(), &mut input, tap).await {
            Ok(receipt) => {
                upload.commit().await?;
                Ok(receipt)
            }
            Err(e) => {
                if let Err(abort_err) = upload.abort().await {
                    tracing::warn!(error = %abort_err, "could not remove an abandoned upload");
                }
                Err(e)
            }
        }
    }

    async fn open(&self, mission_id: &str, blob_id: &str) -> Result<Opened> {
        check_id("mission", mission_id)?;
        check_id("blob", blob_id)?;
        let key = self.mission_key(mission_id).await?;
        let src = self.inner.backend.open(mission_id, blob_id).await?;
        let integrity = |reason| StorageError::Integrity {
            mission: mission_id.to_owned(),
            blob: blob_id.to_owned(),
            reason,
        };
        let blob_len = src.len();
        let head_len = blob_len.min(MAX_HEADER_LEN as u64) as usize;
        let head = src.read_at(0, head_len).await?;
        let (header, hlen) = Header::parse(&head).map_err(integrity)?;
        if header.mission != mission_id || header.blob != blob_id {
            return Err(integrity("the blob belongs to another mission or file id"));
        }
        if header.key_id != key.id {
            return Err(integrity(
                "the blob was not encrypted under this mission's key",
            ));
        }
        let (file_key, commitment) =
            derive_file_key(&key.key, &header.salt, &head[..hlen - COMMIT_LEN])
                .map_err(|()| integrity("key derivation failed"))?;
        drop(key);
        if !commitment_matches(&commitment, &header.commitment) {
            return Err(integrity("key commitment mismatch (header tampered)"));
        }
        let layout = Layout::from_lengths(hlen as u64, blob_len)
            .ok_or_else(|| integrity("invalid blob length (truncated or extended)"))?;
        let cipher = FileCipher::new(&file_key, header.nonce_prefix, head[..hlen].to_vec())
            .map_err(|()| {
                StorageError::io("initializing AES-256-GCM", std::io::Error::other("bad key"))
            })?;
        Ok(Opened {
            src,
            cipher: Arc::new(cipher),
            layout,
            mission: mission_id.to_owned(),
            blob: blob_id.to_owned(),
        })
    }

    /// Reads a whole blob as a stream of plaintext. Header, key and length problems are
    /// reported here; a bad segment is reported by the stream.
    pub async fn read(&self, mission_id: &str, blob_id: &str) -> Result<BlobReader> {
        let opened = Arc::new(self.open(mission_id, blob_id).await?);
        let len = opened.layout.plaintext_len();
        let range = (len > 0).then(|| (0, len - 1));
        Ok(opened.into_reader(range))
    }

    /// Reads plaintext bytes `start..=end_inclusive`, decrypting only the segments they touch
    /// (plus the last segment, which authenticates the length). `end_inclusive` is clamped to
    /// the last byte; [`StorageError::RangeNotSatisfiable`] if `start` is past the end or after
    /// `end_inclusive`.
    pub async fn read_range(
        &self,
        mission_id: &str,
        blob_id: &str,
        start: u64,
        end_inclusive: u64,
    ) -> Result<BlobReader> {
        let opened = Arc::new(self.open(mission_id, blob_id).await?);
        let len = opened.layout.plaintext_len();
        if start > end_inclusive || start >= len {
            return Err(StorageError::RangeNotSatisfiable {
                start,
                end: end_inclusive,
                len,
            });
        }
        let end = end_inclusive.min(len - 1);
        if end / crate::format::SEGMENT_PLAIN as u64 != opened.layout.last_index() {
            opened.verify_tail().await?;
        }
        Ok(opened.into_reader(Some((start, end))))
    }

    /// Plaintext length of a blob, after checking its header, key commitment and last segment.
    pub async fn plaintext_len(&self, mission_id: &str, blob_id: &str) -> Result<u64> {
        let opened = Arc::new(self.open(mission_id, blob_id).await?);
        opened.verify_tail().await?;
        Ok(opened.layout.plaintext_len())
    }

    /// Deletes a blob; returns false if there was none.
    pub async fn delete(&self, mission_id: &str, blob_id: &str) -> Result<bool> {
        check_id("mission", mission_id)?;
        check_id("blob", blob_id)?;
        self.inner.backend.delete(mission_id, blob_id).await
    }

    /// True if a blob is stored under this id (without decrypting anything: also true for the
    /// blobs of a mission whose key was destroyed, until they are deleted).
    pub async fn exists(&self, mission_id: &str, blob_id: &str) -> Result<bool> {
        check_id("mission", mission_id)?;
        check_id("blob", blob_id)?;
        match self.inner.backend.len(mission_id, blob_id).await {
            Ok(_) => Ok(true),
            Err(StorageError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Blob ids stored for a mission, sorted.
    pub async fn list(&self, mission_id: &str) -> Result<Vec<String>> {
        check_id("mission", mission_id)?;
        self.inner.backend.list(mission_id).await
    }

    /// Deletes every blob of a mission (typically after destroying its key); returns how many.
    pub async fn purge_mission(&self, mission_id: &str) -> Result<usize> {
        let mut n = 0;
        for blob in self.list(mission_id).await? {
            if self.inner.backend.delete(mission_id, &blob).await? {
                n += 1;
            }
        }
        Ok(n)
    }
}
