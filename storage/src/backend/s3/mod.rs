//! The S3-compatible object-store backend: object `<prefix><mission>/<blob>` in one bucket.
//!
//! Writes are multipart uploads of [`PART_SIZE`] parts, at most [`PARTS_IN_FLIGHT`] being sent
//! at once per upload; a blob smaller than a part is one `PutObject`. A part fills in an unnamed
//! file of the staging folder ([`S3Config::staging_dir`]; encrypted bytes only, gone with the
//! file's last handle, so a crash leaves nothing) and is streamed from it once whole: memory
//! stays flat whatever the number of uploads at once, and a client that trickles its upload
//! holds a few megabytes of disk, never a share of a memory budget that others would wait for.
//! The commit is conditional (`If-None-Match: *`): an existing object
//! is never overwritten. An interrupted upload is aborted, and [`Backend::sweep`] aborts the
//! incomplete multipart uploads left by a crash. Reads are ranged GETs of just the segments
//! the reader asks for, streamed a window ahead when the reads are sequential (`source`).
//!
//! Crypto-shredding needs a delete to leave nothing behind: [`S3Backend::connect`] refuses a
//! bucket whose versioning was ever enabled, or with object lock or replication configured.
//! Residency: the endpoint must be one the operator attests is in the configured country.

mod checks;
mod client;
mod sign;
mod source;
mod upload;
mod xml;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::{Method, StatusCode};

use checks::check_endpoint;
pub use checks::enable_versioning_for_tests;
pub use client::S3Stats;
use client::{config_err, unexpected, Client};
use source::S3Source;

use super::{Backend, BlobSource, BlobUpload};
use crate::error::{check_id, Result, StorageError};

/// Size of a multipart upload part (S3 requires at least 5 MiB but for the last one).
pub const PART_SIZE: usize = 8 << 20;

/// Most parts of one multipart upload (the S3 limit).
pub const MAX_PARTS: u64 = 10_000;

/// Largest plaintext a blob on S3 may hold: [`MAX_PARTS`] parts of [`PART_SIZE`], less the
/// encryption's overhead (16 bytes per 64 KiB segment, 1/4,096, and a header of a few hundred
/// bytes), for which 1/1,024 leaves room. A larger upload would fail at its 10,001st part.
pub const MAX_BLOB_PLAINTEXT: u64 = MAX_PARTS * PART_SIZE as u64 / 1024 * 1023;

/// Parts of one upload being sent at once (the next one fills in its own staged file meanwhile;
/// a second part in flight made no difference to the MB/s against SeaweedFS, and cost memory).
pub const PARTS_IN_FLIGHT: usize = 1;

/// Connection settings of an S3-compatible bucket.
#[derive(Clone)]
pub struct S3Config {
    /// `https://host[:port]` (plain `http://` only to a loopback address, for tests).
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The signing region (`fr-par`, `eu-west-3`, `garage`…).
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Path-style addressing (`endpoint/bucket/key`) instead of `bucket.endpoint/key`.
    pub path_style: bool,
    /// Prefix of every object key (empty, or ending with `/`).
    pub prefix: String,
    /// ISO 3166-1 alpha-2 country where the bucket's data is stored.
    pub country: String,
    /// The endpoints the operator attests are in `country`; `endpoint` must be one of them.
    pub allowed_endpoints: Vec<String>,
    /// PEM certificates to trust instead of the Mozilla root set (a private CA).
    pub ca_pem: Option<Vec<u8>>,
    /// Incomplete multipart uploads older than this are aborted by [`Backend::sweep`].
    pub sweep_older_than: Duration,
    /// Where parts are staged before they are sent (encrypted, in unnamed files): a folder on
    /// disk (not a `tmpfs`, which would be memory again). `None`: the system's temporary folder.
    pub staging_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

/// Blobs in an S3-compatible bucket.
#[derive(Debug)]
pub struct S3Backend {
    client: Arc<Client>,
    endpoint: String,
    bucket: String,
    prefix: String,
    country: String,
    sweep_older_than: Duration,
}

impl S3Backend {
    /// Connects to the bucket and checks that it keeps crypto-shredding true (no versioning
    /// ever enabled, no object lock, no replication) and that the endpoint is attested to be in
    /// the configured country. Does not sweep (call [`Backend::sweep`]).
    pub async fn connect(config: S3Config) -> Result<S3Backend> {
        let url = check_endpoint(&config)?;
        if !config.prefix.is_empty() && !config.prefix.ends_with('/') {
            return Err(config_err(
                "storage.s3.prefix must be empty or end with '/'".into(),
            ));
        }
        let client = Arc::new(Client::new(&config, url)?);
        let backend = S3Backend {
            client,
            endpoint: config.endpoint.trim().trim_end_matches('/').to_owned(),
            bucket: config.bucket.clone(),
            prefix: config.prefix.clone(),
            country: config.country.trim().to_ascii_uppercase(),
            sweep_older_than: config.sweep_older_than,
        };
        backend.check_bucket().await?;
        Ok(backend)
    }

    /// Request counters (GETs and bytes fetched), for tests and logs.
    pub fn stats(&self) -> &S3Stats {
        &self.client.stats
    }

    /// The object key of a blob.
    fn key(&self, mission: &str, blob: &str) -> Result<String> {
        check_id("mission", mission)?;
        check_id("blob", blob)?;
        Ok(format!("{}{mission}/{blob}", self.prefix))
    }

    async fn head(&self, mission: &str, blob: &str) -> Result<Option<u64>> {
        let key = self.key(mission, blob)?;
        let a = self
            .client
            .send(Method::HEAD, &key, &[], &[], Bytes::new())
            .await?;
        match a.status {
            s if s.is_success() => {
                let len = a
                    .headers
                    .get(reqwest::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| unexpected("reading an object's length", &a))?;
                Ok(Some(len))
            }
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(unexpected("inspecting an object", &a)),
        }
    }

    /// Lists keys under `prefix` (all pages).
    async fn list_keys(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = vec![("list-type", "2"), ("prefix", prefix)];
            if let Some(t) = token.as_deref() {
                q.push(("continuation-token", t));
            }
            let a = self
                .client
                .send(Method::GET, "", &q, &[], Bytes::new())
                .await?;
            if !a.status.is_success() {
                return Err(unexpected("listing objects", &a));
            }
            keys.extend(xml::texts(&a.body, "Key"));
            token = xml::first_text(&a.body, "NextContinuationToken");
            if xml::first_text(&a.body, "IsTruncated").as_deref() != Some("true") || token.is_none()
            {
                return Ok(keys);
            }
        }
    }

    /// Incomplete multipart uploads under the prefix: (key, upload id, initiated, Unix time).
    pub async fn incomplete_uploads(&self) -> Result<Vec<(String, String, Option<u64>)>> {
        let mut out = Vec::new();
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut q = vec![("uploads", ""), ("prefix", self.prefix.as_str())];
            if let Some((k, u)) = markers.as_ref() {
                q.push(("key-marker", k));
                q.push(("upload-id-marker", u));
            }
            let a = self
                .client
                .send(Method::GET, "", &q, &[], Bytes::new())
                .await?;
            if !a.status.is_success() {
                return Err(unexpected("listing incomplete uploads", &a));
            }
            let keys = xml::texts(&a.body, "Key");
            let ids = xml::texts(&a.body, "UploadId");
            let dates = xml::texts(&a.body, "Initiated");
            for (i, (k, id)) in keys.into_iter().zip(ids).enumerate() {
                let when = dates.get(i).and_then(|d| sign::parse_iso8601(d));
                out.push((k, id, when));
            }
            let next = (
                xml::first_text(&a.body, "NextKeyMarker"),
                xml::first_text(&a.body, "NextUploadIdMarker"),
            );
            match (xml::first_text(&a.body, "IsTruncated").as_deref(), next) {
                (Some("true"), (Some(k), Some(u))) if !k.is_empty() => markers = Some((k, u)),
                _ => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl Backend for S3Backend {
    fn country(&self) -> &str {
        &self.country
    }

    fn kind(&self) -> &'static str {
        "s3"
    }

    fn describe(&self) -> String {
        format!(
            "S3 bucket {} at {} ({})",
            self.bucket, self.endpoint, self.country
        )
    }

    async fn begin_put(&self, mission: &str, blob: &str) -> Result<Box<dyn BlobUpload>> {
        let key = self.key(mission, blob)?;
        Ok(Box::new(upload::S3Upload::new(
            Arc::clone(&self.client),
            key,
            mission,
            blob,
        )))
    }

    async fn open(&self, mission: &str, blob: &str) -> Result<Arc<dyn BlobSource>> {
        let key = self.key(mission, blob)?;
        let len = self
            .head(mission, blob)
            .await?
            .ok_or_else(|| StorageError::NotFound {
                mission: mission.to_owned(),
                blob: blob.to_owned(),
            })?;
        Ok(Arc::new(S3Source::new(Arc::clone(&self.client), key, len)))
    }

    async fn len(&self, mission: &str, blob: &str) -> Result<u64> {
        self.head(mission, blob)
            .await?
            .ok_or_else(|| StorageError::NotFound {
                mission: mission.to_owned(),
                blob: blob.to_owned(),
            })
    }

    async fn delete(&self, mission: &str, blob: &str) -> Result<bool> {
        if self.head(mission, blob).await?.is_none() {
            return Ok(false);
        }
        let key = self.key(mission, blob)?;
        let a = self
            .client
            .send(Method::DELETE, &key, &[], &[], Bytes::new())
            .await?;
        if a.status.is_success() || a.status == StatusCode::NOT_FOUND {
            Ok(true)
        } else {
            Err(unexpected("deleting an object", &a))
        }
    }

    async fn list(&self, mission: &str) -> Result<Vec<String>> {
        check_id("mission", mission)?;
        let prefix = format!("{}{mission}/", self.prefix);
        let mut ids: Vec<String> = self
            .list_keys(&prefix)
            .await?
            .into_iter()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_owned))
            .filter(|b| check_id("blob", b).is_ok())
            .collect();
        ids.sort();
        Ok(ids)
    }

    async fn sweep(&self) -> Result<usize> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let cutoff = now.saturating_sub(self.sweep_older_than.as_secs());
        let mut removed = 0;
        for (key, id, when) in self.incomplete_uploads().await? {
            // An upload of unknown age is left alone unless everything is to be swept.
            let old = match when {
                Some(t) => t <= cutoff,
                None => self.sweep_older_than.is_zero(),
            };
            if old {
                upload::abort_multipart(&self.client, &key, &id).await?;
                removed += 1;
            }
        }
        if removed > 0 {
            tracing::warn!(removed, bucket = %self.bucket, "aborted incomplete multipart uploads");
        }
        Ok(removed)
    }
}
