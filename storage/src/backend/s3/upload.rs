//! An upload to S3: parts of [`PART_SIZE`] sent while the next one fills, at most
//! [`PARTS_IN_FLIGHT`] at once; the commit never overwrites an existing object. Each part buffer
//! holds a place of the client's part budget from its first byte until its part is sent (or the
//! upload ends): no deadlock, since a buffer holding a place fills and is sent without another.

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use reqwest::{Method, StatusCode};
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinHandle;

use super::client::{unexpected, Client};
use super::{xml, PARTS_IN_FLIGHT, PART_SIZE};
use crate::backend::BlobUpload;
use crate::error::{Result, StorageError};

type PartTask = JoinHandle<Result<(u32, String)>>;

pub(crate) struct S3Upload {
    client: Arc<Client>,
    key: String,
    mission: String,
    blob: String,
    buf: BytesMut,
    /// The budget place of the part filling in `buf` (taken with its first byte).
    place: Option<OwnedSemaphorePermit>,
    upload_id: Option<String>,
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
            buf: BytesMut::new(),
            place: None,
            upload_id: None,
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
        let a = self
            .client
            .send(
                Method::POST,
                &self.key,
                &[("uploads", "")],
                &[],
                Bytes::new(),
            )
            .await?;
        let id = xml::first_text(&a.body, "UploadId")
            .filter(|_| a.status.is_success())
            .ok_or_else(|| unexpected("starting a multipart upload", &a))?;
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

    /// Sends the buffered bytes as the next part, waiting first if too many are in flight.
    async fn send_part(&mut self) -> Result<()> {
        let id = self.upload_id().await?;
        while self.inflight.len() >= PARTS_IN_FLIGHT {
            self.join_oldest().await?;
        }
        let body = std::mem::take(&mut self.buf).freeze();
        // The place goes with the part and is given back once it is sent.
        let place = self.place.take();
        let number = self.next_part;
        self.next_part += 1;
        let client = Arc::clone(&self.client);
        let key = self.key.clone();
        self.inflight.push_back(tokio::spawn(async move {
            let _place = place;
            let n = number.to_string();
            let a = client
                .send(
                    Method::PUT,
                    &key,
                    &[("partNumber", &n), ("uploadId", &id)],
                    &[],
                    body,
                )
                .await?;
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
        if !self.buf.is_empty() {
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

    async fn cleanup(&mut self) -> Result<()> {
        for task in self.inflight.drain(..) {
            task.abort();
        }
        match self.upload_id.take() {
            Some(id) => abort_multipart(&self.client, &self.key, &id).await,
            None => Ok(()),
        }
    }
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

/// Makes room for `more` bytes in `buf`, growing it to at least `floor` and otherwise doubling,
/// never past [`PART_SIZE`]: a small blob's buffer stays small, a part's never exceeds a part
/// (`BytesMut`'s own growth could double a 6 MiB buffer to 12).
fn grow(buf: &mut BytesMut, more: usize, floor: usize) {
    let needed = buf.len() + more;
    if needed <= buf.capacity() {
        return;
    }
    let target = needed.max(buf.capacity() * 2).clamp(floor, PART_SIZE);
    let mut bigger = BytesMut::with_capacity(target);
    bigger.extend_from_slice(buf);
    *buf = bigger;
}

#[async_trait]
impl BlobUpload for S3Upload {
    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        let mut data: &[u8] = &chunk;
        while !data.is_empty() {
            if self.place.is_none() {
                // Waits in line while every place of the budget is taken.
                let place = Arc::clone(&self.client.parts)
                    .acquire_owned()
                    .await
                    .map_err(|e| {
                        StorageError::io("waiting for a part buffer", std::io::Error::other(e))
                    })?;
                self.place = Some(place);
                let held = super::PART_BUDGET - self.client.parts.available_permits();
                self.client
                    .stats
                    .parts_peak
                    .fetch_max(held as u64, std::sync::atomic::Ordering::Relaxed);
            }
            let take = data.len().min(PART_SIZE - self.buf.len());
            // Past the first part the upload is multipart: the next part will be whole.
            let floor = if self.next_part > 1 {
                PART_SIZE
            } else {
                64 << 10
            };
            grow(&mut self.buf, take, floor);
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == PART_SIZE {
                self.send_part().await?;
            }
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        let result = match self.upload_id.clone() {
            None => {
                let body = std::mem::take(&mut self.buf).freeze();
                let a = self
                    .client
                    .send(
                        Method::PUT,
                        &self.key,
                        &[],
                        &[("if-none-match", "*".to_owned())],
                        body,
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
        for task in self.inflight.drain(..) {
            task.abort();
        }
        if self.finished {
            return;
        }
        // Dropped mid-upload (the request was cancelled): abort in the background; anything
        // missed is aborted by the next sweep.
        if let (Some(id), Ok(rt)) = (self.upload_id.take(), tokio::runtime::Handle::try_current()) {
            let client = Arc::clone(&self.client);
            let key = self.key.clone();
            rt.spawn(async move {
                if let Err(e) = abort_multipart(&client, &key, &id).await {
                    tracing::warn!(error = %e, "could not abort a cancelled multipart upload");
                }
            });
        }
    }
}
