//! Reading an object: ranged GETs, streamed when the reads are sequential.
//!
//! A read at an offset the previous read did not end at is one GET of exactly the bytes asked
//! for (a `Range` request fetches only the segments it needs). When reads follow each other, as
//! a whole download's do, the next GET asks for a window ahead of the read, doubling from
//! [`FIRST_WINDOW`] to [`MAX_WINDOW`], and the following reads take their bytes from that
//! response's body as it arrives: one request per window instead of one per read block. Nothing
//! is buffered beyond the block being read (the rest waits in the socket, the server is held back
//! by TCP), and a body read to its end returns its connection to the pool.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::{Buf, Bytes, BytesMut};
use reqwest::Method;
use tokio::sync::Mutex;

use super::client::{transport, unexpected, Answer, Client};
use crate::backend::BlobSource;
use crate::error::{Result, StorageError};

/// The first window streamed once reads are seen to be sequential.
const FIRST_WINDOW: u64 = 1 << 20;

/// The largest window one GET asks for.
const MAX_WINDOW: u64 = 64 << 20;

/// An object read by ranged GETs.
pub(crate) struct S3Source {
    client: Arc<Client>,
    key: String,
    len: u64,
    seq: Mutex<Sequence>,
}

/// What the reads of one source have been so far.
#[derive(Default)]
struct Sequence {
    /// Where the last read ended, if one succeeded.
    last_end: Option<u64>,
    /// The window of the last streamed GET (0: none yet).
    window: u64,
    /// The body of the streamed GET being read, if any.
    stream: Option<Window>,
}

/// A streamed GET: the bytes `pos..end` of the object are still to come.
struct Window {
    resp: reqwest::Response,
    what: String,
    /// Received and not yet handed out (starts at `pos`).
    rest: Bytes,
    pos: u64,
    end: u64,
}

impl S3Source {
    pub(crate) fn new(client: Arc<Client>, key: String, len: u64) -> S3Source {
        S3Source {
            client,
            key,
            len,
            seq: Mutex::new(Sequence::default()),
        }
    }

    /// One GET of exactly `offset..offset + len`.
    async fn exact(&self, offset: u64, len: usize) -> Result<BytesMut> {
        let range = format!("bytes={offset}-{}", offset + len as u64 - 1);
        let a = self
            .client
            .send(
                Method::GET,
                &self.key,
                &[],
                &[("range", range)],
                Bytes::new(),
            )
            .await?;
        if !a.status.is_success() {
            return Err(unexpected("reading an object", &a));
        }
        if a.body.len() != len {
            return Err(short());
        }
        Ok(BytesMut::from(a.body))
    }

    /// Starts a streamed GET of `offset..end`.
    async fn open(&self, offset: u64, end: u64) -> Result<Window> {
        let range = format!("bytes={offset}-{}", end - 1);
        let (resp, what) = self
            .client
            .request(
                Method::GET,
                &self.key,
                &[],
                &[("range", range)],
                Bytes::new(),
            )
            .await?;
        let status = resp.status();
        if !status.is_success() {
            let headers = resp.headers().clone();
            let body = resp.bytes().await.map_err(|e| transport(&what, e))?;
            let a = Answer {
                status,
                headers,
                body,
            };
            return Err(unexpected("reading an object", &a));
        }
        // A server that ignores the Range would send the whole object from its start.
        if resp.content_length() != Some(end - offset) {
            return Err(StorageError::io(
                "reading a blob",
                std::io::Error::other(format!(
                    "the object store answered {:?} bytes to a range of {}",
                    resp.content_length(),
                    end - offset
                )),
            ));
        }
        self.client.stats.gets.fetch_add(1, Ordering::Relaxed);
        Ok(Window {
            resp,
            what,
            rest: Bytes::new(),
            pos: offset,
            end,
        })
    }
}

fn short() -> StorageError {
    StorageError::io("reading a blob", std::io::ErrorKind::UnexpectedEof.into())
}

impl Window {
    /// The next `len` bytes of the body (`pos + len <= end`).
    async fn take(&mut self, client: &Client, len: usize) -> Result<BytesMut> {
        let mut out = BytesMut::with_capacity(len);
        while out.len() < len {
            if self.rest.is_empty() {
                self.rest = self
                    .resp
                    .chunk()
                    .await
                    .map_err(|e| transport(&self.what, e))?
                    .ok_or_else(short)?;
                client
                    .stats
                    .bytes_fetched
                    .fetch_add(self.rest.len() as u64, Ordering::Relaxed);
            }
            let n = self.rest.len().min(len - out.len());
            out.extend_from_slice(&self.rest[..n]);
            self.rest.advance(n);
        }
        self.pos += len as u64;
        Ok(out)
    }
}

#[async_trait]
impl BlobSource for S3Source {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<BytesMut> {
        if len == 0 {
            return Ok(BytesMut::new());
        }
        let want_end = offset + len as u64;
        if want_end > self.len {
            return Err(short());
        }
        let mut seq = self.seq.lock().await;
        // The streamed window goes on where this read starts: read on (and if its connection
        // failed meanwhile, say after a long pause of the consumer, fetch again below).
        if let Some(w) = seq.stream.as_mut() {
            if w.pos == offset && want_end <= w.end {
                if let Ok(buf) = w.take(&self.client, len).await {
                    if w.pos == w.end {
                        // Read to its end: the connection went back to the pool.
                        seq.stream = None;
                    }
                    seq.last_end = Some(want_end);
                    return Ok(buf);
                }
            }
        }
        seq.stream = None;
        let buf = if seq.last_end == Some(offset) {
            // Sequential: stream a window ahead, twice the last one.
            let window = (seq.window * 2).clamp(FIRST_WINDOW, MAX_WINDOW);
            seq.window = window;
            // A whole number of reads of this size: the reader asks for equal blocks, so the
            // next reads fit the window exactly instead of one straddling its end, which would
            // drop the stream and fetch again what it had already received.
            let step = len as u64;
            let end = offset
                .saturating_add(window.div_ceil(step).max(1).saturating_mul(step))
                .min(self.len);
            let mut w = self.open(offset, end).await?;
            let buf = w.take(&self.client, len).await?;
            if w.pos < w.end {
                seq.stream = Some(w);
            }
            buf
        } else {
            seq.window = 0;
            self.exact(offset, len).await?
        };
        seq.last_end = Some(want_end);
        Ok(buf)
    }
}
