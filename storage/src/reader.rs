//! Decryption side: a stream of plaintext decrypted about 1 MiB at a time, with the next blocks
//! already being read and decrypted while the current one is handed out.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use futures::Stream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::backend::BlobSource;
use crate::error::{Result, StorageError};
use crate::format::{FileCipher, Layout, TAG_LEN};

/// Plaintext of a blob (or of a byte range of it) as a stream of `Bytes` of about 1 MiB.
///
/// Created by [`crate::BlobStore::read`] and [`crate::BlobStore::read_range`]. Every byte it
/// yields has been authenticated. If a segment fails authentication the stream yields
/// `Err(StorageError::Integrity { .. })` and ends: the consumer must treat the transfer as
/// failed (abort the HTTP connection), never as complete.
pub struct BlobReader {
    plaintext_len: u64,
    range: Option<(u64, u64)>,
    stream: Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("plaintext_len", &self.plaintext_len)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl BlobReader {
    /// Plaintext length of the whole blob.
    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    /// Number of bytes this reader yields (the range's length, or the whole blob's).
    pub fn content_len(&self) -> u64 {
        self.range.map_or(0, |(s, e)| e - s + 1)
    }

    /// The inclusive byte range this reader yields, `None` for an empty blob.
    pub fn range(&self) -> Option<(u64, u64)> {
        self.range
    }
}

impl Stream for BlobReader {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

/// A spawned read-and-decrypt of segments `first..=last`, cancelled if the reader is dropped.
struct Inflight {
    last: u64,
    handle: JoinHandle<Result<BytesMut>>,
}

impl Drop for Inflight {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl Future for Inflight {
    type Output = Result<BytesMut>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.handle).poll(cx) {
            Poll::Ready(Ok(r)) => Poll::Ready(r),
            Poll::Ready(Err(e)) => Poll::Ready(Err(StorageError::io(
                "reading a blob",
                std::io::Error::other(e),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// An opened, header-verified blob.
pub(crate) struct Opened {
    pub src: Arc<dyn BlobSource>,
    pub cipher: Arc<FileCipher>,
    pub layout: Layout,
    pub mission: String,
    pub blob: String,
}

impl Opened {
    pub(crate) fn integrity(&self, reason: &'static str) -> StorageError {
        StorageError::Integrity {
            mission: self.mission.clone(),
            blob: self.blob.clone(),
            reason,
        }
    }

    /// Decrypts segments `first..=last` held in `buf` in place, squeezing out the tags as it
    /// goes (one pass over the data).
    fn decrypt_block(&self, first: u64, last: u64, mut buf: BytesMut) -> Result<BytesMut> {
        let (mut rd, mut wr) = (0usize, 0usize);
        for i in first..=last {
            let clen = self.layout.segment_cipher_len(i) as usize;
            let index = u32::try_from(i).map_err(|_| self.integrity("segment index overflow"))?;
            let is_last = i == self.layout.last_index();
            self.cipher
                .open_within(index, is_last, &mut buf, wr, rd, clen)
                .map_err(|()| {
                    if is_last {
                        self.integrity(
                            "last segment failed authentication (truncated, extended or tampered)",
                        )
                    } else {
                        self.integrity(
                            "segment failed authentication (tampered, reordered or swapped)",
                        )
                    }
                })?;
            rd += clen;
            wr += clen - TAG_LEN;
        }
        buf.truncate(wr);
        Ok(buf)
    }

    /// Starts reading and decrypting segments `first..=min(first + READ_BLOCK_SEGMENTS - 1, last)`.
    ///
    /// `turn` orders the reads of a source without blocking reads (S3): this read is issued once
    /// the one started before it (whose end `turn` holds) has its bytes, so the source sees the
    /// offsets in sequence and can serve them from one streamed request; decryption still runs
    /// in parallel. It is replaced by this read's end.
    fn spawn_read(
        self: &Arc<Self>,
        first: u64,
        last: u64,
        turn: &mut Option<oneshot::Receiver<()>>,
    ) -> Inflight {
        let last = last.min(first + READ_BLOCK_SEGMENTS as u64 - 1);
        let offset = self.layout.segment_offset(first);
        let end = self.layout.segment_offset(last) + self.layout.segment_cipher_len(last);
        let len = (end - offset) as usize;
        let this = Arc::clone(self);
        // Allocated here, on the runtime thread, so buffers return to one allocator arena.
        let buf = Vec::with_capacity(len);
        let handle = if self.src.supports_blocking_read() {
            tokio::task::spawn_blocking(move || {
                let buf = this.src.read_at_blocking(offset, len, buf)?;
                this.decrypt_block(first, last, buf)
            })
        } else {
            drop(buf);
            let (fetched, next_turn) = oneshot::channel::<()>();
            let previous = turn.replace(next_turn);
            tokio::spawn(async move {
                if let Some(previous) = previous {
                    // Done, failed or cancelled: either way this read's turn has come.
                    let _ = previous.await;
                }
                let buf = this.src.read_at(offset, len).await;
                drop(fetched);
                this.decrypt_block(first, last, buf?)
            })
        };
        Inflight { last, handle }
    }

    /// Authenticates the last segment, which proves the blob's length (used before a range read
    /// that does not reach the end).
    pub(crate) async fn verify_tail(self: &Arc<Self>) -> Result<()> {
        let last = self.layout.last_index();
        self.spawn_read(last, last, &mut None).await.map(|_| ())
    }

    /// A reader of plaintext bytes `start..=end` (`None` for an empty blob).
    pub(crate) fn into_reader(self: Arc<Self>, range: Option<(u64, u64)>) -> BlobReader {
        let plaintext_len = self.layout.plaintext_len();
        let seg = crate::format::SEGMENT_PLAIN as u64;
        let (first, last, skip, remaining) = match range {
            Some((s, e)) => (s / seg, e / seg, (s % seg) as usize, e - s + 1),
            // Empty blob: still authenticate its (empty) last segment.
            None => (0, 0, 0, 0),
        };
        let mut state = State {
            opened: self,
            next: first,
            last,
            skip,
            remaining,
            queue: VecDeque::with_capacity(READ_AHEAD),
            turn: None,
        };
        state.fill();
        BlobReader {
            plaintext_len,
            range,
            stream: Box::pin(futures::stream::try_unfold(state, step)),
        }
    }
}

/// Segments read and decrypted per block: 256 KiB, large enough for throughput (one read and one
/// hop to the blocking pool per 256 KiB) and small enough that many concurrent downloads keep
/// memory flat.
const READ_BLOCK_SEGMENTS: usize = 4;

/// Blocks requested ahead of the one being sent (memory: about `(READ_AHEAD + 1) × 256 KiB` per reader).
const READ_AHEAD: usize = 2;

struct State {
    opened: Arc<Opened>,
    /// First segment not yet requested.
    next: u64,
    last: u64,
    skip: usize,
    remaining: u64,
    queue: VecDeque<Inflight>,
    /// Resolves when the last read requested has its bytes (see [`Opened::spawn_read`]).
    turn: Option<oneshot::Receiver<()>>,
}

impl State {
    fn fill(&mut self) {
        while self.queue.len() < READ_AHEAD && self.next <= self.last {
            let inflight = self.opened.spawn_read(self.next, self.last, &mut self.turn);
            self.next = inflight.last + 1;
            self.queue.push_back(inflight);
        }
    }
}

async fn step(mut st: State) -> Result<Option<(Bytes, State)>> {
    loop {
        let Some(inflight) = st.queue.pop_front() else {
            return Ok(None);
        };
        let mut plain = inflight.await?;
        st.fill();
        if st.skip > 0 {
            plain.advance(st.skip.min(plain.len()));
            st.skip = 0;
        }
        if plain.len() as u64 > st.remaining {
            plain.truncate(st.remaining as usize);
        }
        st.remaining -= plain.len() as u64;
        if !plain.is_empty() {
            return Ok(Some((plain.freeze(), st)));
        }
    }
}
