//! An upload to S3: parts of [`PART_SIZE`] sent while the next one fills, at most
//! [`PARTS_IN_FLIGHT`] at once; the commit never overwrites an existing object. Each part fills
//! an unnamed file of the staging folder and is streamed from it, [`READ_CHUNK`] at a time, once
//! whole (or at the commit, for the last one): an upload in flight holds a few small buffers
//! however many there are, and a slow one makes nobody else wait.

use std::collections::VecDeque;
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::{Method, StatusCode};
use tokio::task::JoinHandle;

use super::client::{unexpected, Client, Payload};
use super::{xml, PARTS_IN_FLIGHT, PART_SIZE};
use crate::backend::BlobUpload;
use crate::error::{Result, StorageError};

type PartTask = JoinHandle<Result<(u32, String)>>;

/// Bytes read from a staged part per piece of its request body.
const READ_CHUNK: usize = 32 * 1024;

/// A part filling or waiting to be sent: an unnamed file (it goes with its last handle) and its
/// length, counted in the client's staging figures while it lives.
struct Staged {
    file: Arc<std::fs::File>,
    len: usize,
    stats: Arc<super::S3Stats>,
}

impl Staged {
    async fn new(client: &Client) -> Result<Staged> {
        let dir = client.staging.clone();
        let file = blocking("staging a part", move || tempfile::tempfile_in(&dir)).await?;
        Ok(Staged {
            file: Arc::new(file),
            len: 0,
            stats: Arc::clone(&client.stats),
        })
    }

    /// Appends `buf[from..to]` (off the runtime's threads) and gives `buf` back.
    async fn append<B>(&mut self, buf: B, from: usize, to: usize) -> Result<B>
    where
        B: AsRef<[u8]> + Send + 'static,
    {
        let file = Arc::clone(&self.file);
        let n = to - from;
        let buf = blocking("staging a part", move || {
            (&*file).write_all(&buf.as_ref()[from..to]).map(|()| buf)
        })
        .await?;
        self.len += n;
        let now = self.stats.staged_now.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        self.stats.staged_peak.fetch_max(now, Ordering::Relaxed);
        Ok(buf)
    }

    /// The part as a request body, read from its file a piece at a time.
    fn payload(&self) -> Payload {
        let len = self.len;
        let file = Arc::clone(&self.file);
        let pieces = futures::stream::try_unfold(0usize, move |at| {
            let file = Arc::clone(&file);
            async move {
                if at >= len {
                    return Ok(None);
                }
                let n = (len - at).min(READ_CHUNK);
                // Allocated here, on the runtime's thread that will also free it once sent: a
                // blocking-pool thread that allocated would grow a malloc arena of its own.
                let mut buf = vec![0u8; n];
                let piece = tokio::task::spawn_blocking(move || {
                    file.read_exact_at(&mut buf, at as u64).map(|()| buf)
                })
                .await
                .map_err(std::io::Error::other)??;
                Ok::<_, std::io::Error>(Some((Bytes::from(piece), at + n)))
            }
        });
        Payload::Stream(reqwest::Body::wrap_stream(pieces), len as u64)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        self.stats
            .staged_now
            .fetch_sub(self.len as u64, Ordering::Relaxed);
    }
}

/// Runs blocking file work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::io(what, std::io::Error::other(e)))?
        .map_err(|e| StorageError::io(what, e))
}

pub(crate) struct S3Upload {
    client: Arc<Client>,
    key: String,
    mission: String,
    blob: String,
    /// The part filling.
    part: Option<Staged>,
    upload_id: Option<String>,
    /// The request starting the multipart upload, while it runs: a task of its own, so that a
    /// cancelled write cannot lose an upload the server did start (the drop aborts it).
    starting: Option<JoinHandle<Result<String>>>,
    next_part: u32,
    done: Vec<(u32, String)>,
    inflight: VecDeque<PartTask>,
    finished: bool,
}

impl S3Upload {
    pub(crate) fn new(client: Arc<Client>, key: String, mission: &str, blob: &str) -> Self {
        S3Upload {
            client,
            key,
            mission: mission.to_owned(),
            blob: blob.to_owned(),
            part: None,
            upload_id: None,
            starting: None,
            next_part: 1,
            done: Vec::new(),
            inflight: VecDeque::new(),
            finished: false,
        }
    }

    fn exists(&self) -> StorageError {
        StorageError::AlreadyExists {
            mission: self.mission.clone(),
            blob: self.blob.clone(),
        }
    }

    async fn upload_id(&mut self) -> Result<String> {
        if let Some(id) = &self.upload_id {
            return Ok(id.clone());
        }
        let starting = self.starting.get_or_insert_with(|| {
            let client = Arc::clone(&self.client);
            let key = self.key.clone();
            tokio::spawn(async move {
                let a = client
                    .send(Method::POST, &key, &[("uploads", "")], &[], Bytes::new())
                    .await?;
                xml::first_text(&a.body, "UploadId")
                    .filter(|_| a.status.is_success())
                    .ok_or_else(|| unexpected("starting a multipart upload", &a))
            })
        });
        let started = starting.await;
        self.starting = None;
        let id = started.map_err(|e| {
            StorageError::io("starting a multipart upload", std::io::Error::other(e))
        })??;
        self.upload_id = Some(id.clone());
        Ok(id)
    }

    async fn join_oldest(&mut self) -> Result<()> {
        if let Some(task) = self.inflight.pop_front() {
            let part = task
                .await
                .map_err(|e| StorageError::io("sending a part", std::io::Error::other(e)))??;
            self.done.push(part);
        }
        Ok(())
    }

    /// Sends the part filling as the next part, waiting first if too many are in flight.
    async fn send_part(&mut self) -> Result<()> {
        let id = self.upload_id().await?;
        while self.inflight.len() >= PARTS_IN_FLIGHT {
            self.join_oldest().await?;
        }
        let Some(part) = self.part.take() else {
            return Ok(());
        };
        let number = self.next_part;
        self.next_part += 1;
        let client = Arc::clone(&self.client);
        let key = self.key.clone();
        self.inflight.push_back(tokio::spawn(async move {
            let n = number.to_string();
            // Sent again from its staged file if the store fails it for a moment.
            let a = client
                .send_with(
                    Method::PUT,
                    &key,
                    &[("partNumber", &n), ("uploadId", &id)],
                    &[],
                    || part.payload(),
                )
                .await?;
            // The staged file goes once its part is stored.
            drop(part);
            let etag = a
                .headers
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .filter(|_| a.status.is_success())
                .ok_or_else(|| unexpected("sending a part", &a))?;
            Ok((number, etag))
        }));
        Ok(())
    }

    async fn finish_multipart(&mut self, id: String) -> Result<()> {
        if self.part.as_ref().is_some_and(|p| p.len > 0) {
            self.send_part().await?;
        }
        while !self.inflight.is_empty() {
            self.join_oldest().await?;
        }
        self.done.sort_by_key(|(n, _)| *n);
        let mut body = String::from("<CompleteMultipartUpload>");
        for (n, etag) in &self.done {
            body.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
                xml::escape(etag)
            ));
        }
        body.push_str("</CompleteMultipartUpload>");
        let a = self
            .client
            .send(
                Method::POST,
                &self.key,
                &[("uploadId", &id)],
                &[("if-none-match", "*".to_owned())],
                Bytes::from(body),
            )
            .await?;
        // S3 may answer 200 and report the error in the body.
        if a.status == StatusCode::PRECONDITION_FAILED
            || a.code().as_deref() == Some("PreconditionFailed")
        {
            return Err(self.exists());
        }
        if !a.status.is_success() || a.code().is_some() {
            return Err(unexpected("completing a multipart upload", &a));
        }
        Ok(())
    }

    /// Appends `buf` to the part filling, sending each part once whole; gives `buf` back.
    async fn stage<B>(&mut self, mut buf: B) -> Result<B>
    where
        B: AsRef<[u8]> + Send + 'static,
    {
        let mut at = 0;
        while at < buf.as_ref().len() {
            let mut part = match self.part.take() {
                Some(part) => part,
                None => Staged::new(&self.client).await?,
            };
            let take = (buf.as_ref().len() - at).min(PART_SIZE - part.len);
            let appended = part.append(buf, at, at + take).await;
            let full = part.len == PART_SIZE;
            self.part = Some(part);
            buf = appended?;
            at += take;
            if full {
                self.send_part().await?;
            }
        }
        Ok(buf)
    }

    async fn cleanup(&mut self) -> Result<()> {
        let parts: Vec<PartTask> = self.inflight.drain(..).collect();
        abandon(
            &self.client,
            &self.key,
            self.upload_id.take(),
            self.starting.take(),
            parts,
        )
        .await
    }
}

/// Gives up an upload: stops its parts and, if the server started the multipart upload (`known`,
/// or once `starting` says so), aborts it.
async fn abandon(
    client: &Client,
    key: &str,
    known: Option<String>,
    starting: Option<JoinHandle<Result<String>>>,
    parts: Vec<PartTask>,
) -> Result<()> {
    let id = match (known, starting) {
        (Some(id), _) => Some(id),
        (None, Some(starting)) => starting.await.ok().and_then(Result::ok),
        (None, None) => None,
    };
    match id {
        Some(id) => abort_all(client, key, &id, parts).await,
        None => {
            stop_parts(parts).await;
            Ok(())
        }
    }
}

/// Stops the parts being sent and waits until they have stopped.
async fn stop_parts(parts: Vec<PartTask>) {
    for task in &parts {
        task.abort();
    }
    for task in parts {
        let _ = task.await;
    }
}

/// Aborts a multipart upload whose parts may still be arriving at the server: the parts are
/// stopped first, and the abort is made twice, a moment apart, since a part the server was
/// still storing can bring the upload back after a first abort (S3's documentation advises
/// aborting again for that reason).
async fn abort_all(client: &Client, key: &str, id: &str, parts: Vec<PartTask>) -> Result<()> {
    stop_parts(parts).await;
    abort_multipart(client, key, id).await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    abort_multipart(client, key, id).await
}

/// Aborts a multipart upload (its parts are deleted); an unknown upload is not an error.
pub(crate) async fn abort_multipart(client: &Client, key: &str, id: &str) -> Result<()> {
    let a = client
        .send(Method::DELETE, key, &[("uploadId", id)], &[], Bytes::new())
        .await?;
    if a.status.is_success() || a.status == StatusCode::NOT_FOUND {
        Ok(())
    } else {
        Err(unexpected("aborting a multipart upload", &a))
    }
}

#[async_trait]
impl BlobUpload for S3Upload {
    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        self.stage(chunk).await.map(drop)
    }

    async fn write_buf(&mut self, buf: Vec<u8>) -> Result<Option<Vec<u8>>> {
        self.stage(buf).await.map(Some)
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        let result = match self.upload_id.clone() {
            None => {
                let part = self.part.take();
                // A conditional create: never sent twice (see `client::repeatable`).
                let a = self
                    .client
                    .send_with(
                        Method::PUT,
                        &self.key,
                        &[],
                        &[("if-none-match", "*".to_owned())],
                        || match &part {
                            Some(part) => part.payload(),
                            None => Payload::Bytes(Bytes::new()),
                        },
                    )
                    .await;
                match a {
                    Ok(a) if a.status.is_success() => Ok(()),
                    Ok(a) if a.status == StatusCode::PRECONDITION_FAILED => Err(self.exists()),
                    Ok(a) => Err(unexpected("storing an object", &a)),
                    Err(e) => Err(e),
                }
            }
            Some(id) => self.finish_multipart(id).await,
        };
        match result {
            Ok(()) => {
                self.upload_id = None;
                self.finished = true;
                Ok(())
            }
            Err(e) => {
                if let Err(abort) = self.cleanup().await {
                    tracing::warn!(error = %abort, "could not abort a failed multipart upload");
                }
                self.finished = true;
                Err(e)
            }
        }
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        self.finished = true;
        self.cleanup().await
    }
}

impl Drop for S3Upload {
    fn drop(&mut self) {
        let parts: Vec<PartTask> = self.inflight.drain(..).collect();
        for task in &parts {
            task.abort();
        }
        if self.finished {
            return;
        }
        // Dropped mid-upload (the request was cancelled): abort in the background, once the
        // upload has started if it was starting; anything missed is aborted by the next sweep.
        let (known, starting) = (self.upload_id.take(), self.starting.take());
        if known.is_none() && starting.is_none() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let client = Arc::clone(&self.client);
            let key = self.key.clone();
            rt.spawn(async move {
                if let Err(e) = abandon(&client, &key, known, starting, parts).await {
                    tracing::warn!(error = %e, "could not abort a cancelled multipart upload");
                }
            });
        }
    }
}
