//! The encrypted write pipeline: the async side gathers the incoming stream into 256 KiB blocks
//! (a copy into a recycled buffer, whatever the size of the frames the network hands over), a
//! `blob-hash` thread computes the SHA-256 of the plaintext, and a `blob-seal` thread encrypts
//! each block in place and writes it to the backend (or hands it back to the async side for
//! backends without blocking writes).
//!
//! Each write has its own two threads (not the tokio blocking pool: they never wait for
//! anything but their own write, so any number of concurrent writes make progress). At most
//! [`POOL_BLOCKS`] block buffers exist per write, which bounds its memory (768 KiB) whatever
//! the size of the blob; the channels need no other bound.
//!
//! Ending: the final block (short last segment) travels like the others; `blob-seal` answers
//! with [`Back::Done`] once it is written. If the input fails or the future is dropped, the
//! channels close and both threads stop at their next block; the caller aborts the upload.

use std::sync::mpsc;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc as amsc, oneshot};

use crate::backend::{BlobUpload, BlockWriter};
use crate::error::{Result, StorageError};
use crate::format::FileCipher;
use crate::writer::{block_capacity, Accumulator, Block, Sealer, WriteReceipt, BLOCK_SEGMENTS};

/// Block buffers per write: one filling, one hashing, one sealing or being written. A fourth, spare
/// one made no measurable difference to the CPU per byte, and cost 4 MiB for 16 uploads at once.
pub(crate) const POOL_BLOCKS: usize = 3;

/// Stack of the pipeline threads (they keep nothing large on the stack).
const THREAD_STACK: usize = 256 * 1024;

/// From `blob-seal` back to the async side.
enum Back {
    /// A buffer that may be reused.
    Free(Vec<u8>),
    /// A sealed block for the async side to write (backends without a [`BlockWriter`]).
    Sealed(Vec<u8>),
    /// Everything was written (`Ok`), or the write failed.
    Done(Result<()>),
}

fn lost(what: &str) -> StorageError {
    StorageError::io(
        "writing a blob",
        std::io::Error::other(format!("the {what} thread stopped unexpectedly")),
    )
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(THREAD_STACK)
        .spawn(f)
        .map(drop)
        .map_err(|e| StorageError::io("starting a blob write thread", e))
}

/// Something that reads the plaintext of a blob as it is written, on the pipeline's own
/// `blob-hash` thread, right after each block is hashed (while it is still in the processor's
/// cache), before it is sealed: a content check reading an upload as it arrives, with no copy
/// and no hop through the async side.
///
/// The pipeline waits while [`PlainTap::block`] runs, so a tap that blocks slows the write down
/// to its pace (that is the back-pressure); one that has stopped reading should return `false`
/// at once, and is then dropped without being called again.
pub trait PlainTap: Send {
    /// The next plaintext of the blob, in order, as the segments of one block (at most
    /// 256 KiB in all). Returns `false` to be called no more.
    fn block(&mut self, segments: &[&[u8]]) -> bool;
    /// All of the plaintext has been handed over (not called when the input failed: the tap is
    /// then dropped without it).
    fn end(&mut self);
}

/// Hashes blocks in order, shows them to the tap, passes them on, and sends the digest after the
/// final block.
fn hash_stage(
    blocks: mpsc::Receiver<Block>,
    next: mpsc::Sender<Block>,
    digest: oneshot::Sender<[u8; 32]>,
    mut tap: Option<Box<dyn PlainTap>>,
) {
    let mut hasher = Sha256::new();
    while let Ok(block) = blocks.recv() {
        block.hash_into(&mut hasher);
        let is_final = block.is_final();
        if let Some(t) = tap.as_mut() {
            // A block holds at most BLOCK_SEGMENTS full segments and the last one.
            let mut segments: [&[u8]; BLOCK_SEGMENTS + 1] = [&[]; BLOCK_SEGMENTS + 1];
            let mut used = 0;
            for (slot, seg) in segments.iter_mut().zip(block.plaintext()) {
                *slot = seg;
                used += 1;
            }
            if !t.block(&segments[..used]) {
                tap = None;
            } else if is_final {
                t.end();
                tap = None;
            }
        }
        if next.send(block).is_err() {
            return;
        }
        if is_final {
            let _ = digest.send(hasher.finalize().into());
            return;
        }
    }
}

/// Seals blocks in order and writes them (or hands them back), then reports [`Back::Done`].
fn seal_stage(
    blocks: mpsc::Receiver<Block>,
    mut sealer: Sealer,
    mut sink: Option<Box<dyn BlockWriter>>,
    back: amsc::UnboundedSender<Back>,
) {
    let direct = sink.is_some();
    let mut run = |block: &mut Block| -> Result<()> {
        sealer.seal(block)?;
        if let Some(w) = sink.as_mut() {
            w.write_block(&block.buf)?;
            if block.is_final() {
                w.finish()?;
            }
        }
        Ok(())
    };
    while let Ok(mut block) = blocks.recv() {
        if let Err(e) = run(&mut block) {
            let _ = back.send(Back::Done(Err(e)));
            return;
        }
        let is_final = block.is_final();
        let msg = if direct {
            Back::Free(block.buf)
        } else {
            Back::Sealed(block.buf)
        };
        if back.send(msg).is_err() {
            return;
        }
        if is_final {
            let _ = back.send(Back::Done(Ok(())));
            return;
        }
    }
}

/// The async side's view of the pipeline: block buffers and messages from `blob-seal`.
struct Feeder<'u> {
    upload: &'u mut dyn BlobUpload,
    back: amsc::UnboundedReceiver<Back>,
    free: Vec<Vec<u8>>,
    allocated: usize,
    capacity: usize,
    done: bool,
}

impl Feeder<'_> {
    async fn handle(&mut self, msg: Option<Back>) -> Result<()> {
        match msg {
            Some(Back::Free(buf)) => self.free.push(buf),
            Some(Back::Sealed(buf)) => match self.upload.write_buf(buf).await? {
                // Written: back in the pool.
                Some(buf) => self.free.push(buf),
                // Kept by the backend: this buffer leaves the pool.
                None => self.allocated -= 1,
            },
            Some(Back::Done(r)) => {
                r?;
                self.done = true;
            }
            None => return Err(lost("blob-seal")),
        }
        Ok(())
    }

    /// A buffer for the next block: a recycled one, a new one while the pool is not full,
    /// otherwise the next one `blob-seal` releases. Reports a failure of the pipeline early.
    async fn buffer(&mut self) -> Result<Vec<u8>> {
        while let Ok(msg) = self.back.try_recv() {
            self.handle(Some(msg)).await?;
        }
        loop {
            if let Some(buf) = self.free.pop() {
                return Ok(buf);
            }
            if self.allocated < POOL_BLOCKS {
                self.allocated += 1;
                return Ok(Vec::with_capacity(self.capacity));
            }
            let msg = self.back.recv().await;
            self.handle(msg).await?;
        }
    }

    /// Why the pipeline stopped taking blocks: the error `blob-seal` reported.
    async fn cause(&mut self) -> StorageError {
        loop {
            match self.back.recv().await {
                Some(Back::Done(Err(e))) => return e,
                Some(_) => {}
                None => return lost("blob-seal"),
            }
        }
    }

    /// Waits until `blob-seal` has written the final block.
    async fn finish(&mut self) -> Result<()> {
        while !self.done {
            let msg = self.back.recv().await;
            self.handle(msg).await?;
        }
        Ok(())
    }
}

/// Encrypts `input` into `upload` (header first), returning the plaintext length and SHA-256;
/// `tap` sees the plaintext on the way. Does not commit or abort `upload`: the caller does,
/// depending on the result.
pub(crate) async fn write<S>(
    header: &[u8],
    cipher: FileCipher,
    upload: &mut dyn BlobUpload,
    input: &mut S,
    tap: Option<Box<dyn PlainTap>>,
) -> Result<WriteReceipt>
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + Unpin,
{
    let sink = upload.block_writer()?;
    let (to_hash, hash_in) = mpsc::channel::<Block>();
    let (to_seal, seal_in) = mpsc::channel::<Block>();
    let (back_tx, back) = amsc::unbounded_channel();
    let (digest_tx, digest) = oneshot::channel();
    spawn("blob-hash", move || {
        hash_stage(hash_in, to_seal, digest_tx, tap)
    })?;
    let sealer = Sealer::new(cipher);
    spawn("blob-seal", move || {
        seal_stage(seal_in, sealer, sink, back_tx)
    })?;

    let capacity = block_capacity(header.len());
    let mut feeder = Feeder {
        upload,
        back,
        free: Vec::with_capacity(POOL_BLOCKS),
        allocated: 0,
        capacity,
        done: false,
    };
    let first = feeder.buffer().await?;
    let mut acc = Accumulator::new(header, first);
    let mut total: u64 = 0;
    while let Some(chunk) = input.next().await {
        let chunk = chunk.map_err(StorageError::InputAborted)?;
        total += chunk.len() as u64;
        let mut data: &[u8] = &chunk;
        while !data.is_empty() {
            if acc.push(&mut data) {
                let next = feeder.buffer().await?;
                if to_hash.send(acc.take(next)).is_err() {
                    return Err(feeder.cause().await);
                }
            }
        }
    }
    if to_hash.send(acc.finish()).is_err() {
        return Err(feeder.cause().await);
    }
    feeder.finish().await?;
    let sha256 = digest.await.map_err(|_| lost("blob-hash"))?;
    Ok(WriteReceipt {
        plaintext_len: total,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;

    use super::*;
    use crate::format::{mission_key_id, NONCE_PREFIX_LEN, SALT_LEN, SEGMENT_PLAIN};
    use crate::writer::{encrypt_to_vec, new_blob, BLOCK_SEGMENTS};

    const KEY: [u8; 32] = [7; 32];
    const SALT: [u8; SALT_LEN] = [0x5a; SALT_LEN];
    const PREFIX: [u8; NONCE_PREFIX_LEN] = [1, 2, 3, 4, 5, 6, 7];
    const BLOCK: usize = BLOCK_SEGMENTS * SEGMENT_PLAIN;

    /// An in-memory upload, with or without a block writer; `fail_after` blocks make it fail.
    struct MemUpload {
        out: Arc<Mutex<Vec<u8>>>,
        direct: bool,
        fail_after: Option<usize>,
    }

    struct MemWriter {
        out: Arc<Mutex<Vec<u8>>>,
        left: Option<usize>,
        finished: bool,
    }

    impl MemWriter {
        fn append(&mut self, block: &[u8]) -> Result<()> {
            if let Some(left) = self.left.as_mut() {
                if *left == 0 {
                    return Err(StorageError::io("disk", std::io::Error::other("disk full")));
                }
                *left -= 1;
            }
            self.out.lock().unwrap().extend_from_slice(block);
            Ok(())
        }
    }

    impl BlockWriter for MemWriter {
        fn write_block(&mut self, block: &[u8]) -> Result<()> {
            assert!(!self.finished);
            self.append(block)
        }

        fn finish(&mut self) -> Result<()> {
            self.finished = true;
            Ok(())
        }
    }

    #[async_trait]
    impl BlobUpload for MemUpload {
        async fn write(&mut self, chunk: Bytes) -> Result<()> {
            let mut w = MemWriter {
                out: Arc::clone(&self.out),
                left: self.fail_after,
                finished: false,
            };
            w.append(&chunk)?;
            self.fail_after = w.left;
            Ok(())
        }

        async fn commit(self: Box<Self>) -> Result<()> {
            Ok(())
        }

        async fn abort(self: Box<Self>) -> Result<()> {
            Ok(())
        }

        fn block_writer(&mut self) -> Result<Option<Box<dyn BlockWriter>>> {
            Ok(self.direct.then(|| {
                Box::new(MemWriter {
                    out: Arc::clone(&self.out),
                    left: self.fail_after,
                    finished: false,
                }) as Box<dyn BlockWriter>
            }))
        }
    }

    fn plaintext(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8 ^ (i >> 16) as u8).collect()
    }

    /// A new blob's header and cipher, and an in-memory upload with its output.
    fn test_blob(
        direct: bool,
        fail_after: Option<usize>,
    ) -> (Vec<u8>, FileCipher, Arc<Mutex<Vec<u8>>>, MemUpload) {
        let (header, cipher) = new_blob(
            &KEY,
            mission_key_id(&KEY),
            "mission-1",
            "blob-1",
            SALT,
            PREFIX,
        )
        .unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        let upload = MemUpload {
            out: Arc::clone(&out),
            direct,
            fail_after,
        };
        (header, cipher, out, upload)
    }

    async fn run(
        plain: &[u8],
        frame: usize,
        direct: bool,
        fail_after: Option<usize>,
    ) -> (Result<WriteReceipt>, Vec<u8>) {
        let (header, cipher, out, mut upload) = test_blob(direct, fail_after);
        let frames: Vec<std::io::Result<Bytes>> = plain
            .chunks(frame.max(1))
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let mut input = futures::stream::iter(frames);
        let r = write(&header, cipher, &mut upload, &mut input, None).await;
        let bytes = out.lock().unwrap().clone();
        (r, bytes)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn output_is_the_reference_encryption_at_block_boundaries() {
        let sizes = [
            0,
            1,
            SEGMENT_PLAIN - 1,
            SEGMENT_PLAIN,
            SEGMENT_PLAIN + 1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            2 * BLOCK,
            (POOL_BLOCKS + 2) * BLOCK + 17,
        ];
        for size in sizes {
            let plain = plaintext(size);
            let expected = encrypt_to_vec(&KEY, "mission-1", "blob-1", SALT, PREFIX, &plain);
            let sha: [u8; 32] = Sha256::digest(&plain).into();
            for frame in [1000, SEGMENT_PLAIN, BLOCK + 3, usize::MAX] {
                if size > 100_000 && frame == 1000 {
                    continue;
                }
                for direct in [true, false] {
                    let (r, out) = run(&plain, frame.min(size.max(1)), direct, None).await;
                    let receipt = r.unwrap();
                    assert_eq!(receipt.plaintext_len, size as u64);
                    assert_eq!(receipt.sha256, sha, "size {size} frame {frame}");
                    assert!(out == expected, "size {size} frame {frame} direct {direct}");
                }
            }
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failing_backend_fails_the_write_without_hanging() {
        let plain = plaintext((POOL_BLOCKS + 3) * BLOCK);
        for direct in [true, false] {
            for fail_after in [0, 1, POOL_BLOCKS + 1] {
                let (r, _) = run(&plain, 40_000, direct, Some(fail_after)).await;
                let err = r.unwrap_err();
                assert!(err.to_string().contains("disk full"), "{err}");
            }
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failing_input_stops_the_threads() {
        let (header, cipher, out, mut upload) = test_blob(true, None);
        let frames = (0..3 * POOL_BLOCKS)
            .map(|_| Ok(Bytes::from(vec![1u8; BLOCK])))
            .chain(std::iter::once(Err(std::io::Error::other(
                "client went away",
            ))));
        let mut input = futures::stream::iter(frames);
        let err = write(&header, cipher, &mut upload, &mut input, None)
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::InputAborted(_)), "{err:?}");
        // The threads let go of the output once they see the input is gone.
        for _ in 0..200 {
            if Arc::strong_count(&out) == 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(
            Arc::strong_count(&out),
            2,
            "a pipeline thread is still running"
        );
    }

    /// What a tap saw: the bytes, the calls, and whether `end` came.
    #[derive(Default)]
    struct Seen {
        bytes: Vec<u8>,
        calls: usize,
        ended: usize,
        dropped: bool,
    }

    struct Recorder {
        seen: Arc<Mutex<Seen>>,
        /// Stop after this many calls.
        stop_after: Option<usize>,
    }

    impl PlainTap for Recorder {
        fn block(&mut self, segments: &[&[u8]]) -> bool {
            let mut seen = self.seen.lock().unwrap();
            assert_eq!(seen.ended, 0, "a block after the end");
            seen.calls += 1;
            assert!(segments.len() <= BLOCK_SEGMENTS + 1);
            for s in segments {
                seen.bytes.extend_from_slice(s);
            }
            self.stop_after.is_none_or(|n| seen.calls < n)
        }

        fn end(&mut self) {
            self.seen.lock().unwrap().ended += 1;
        }
    }

    impl Drop for Recorder {
        fn drop(&mut self) {
            self.seen.lock().unwrap().dropped = true;
        }
    }

    async fn run_tapped(
        frames: Vec<std::io::Result<Bytes>>,
        stop_after: Option<usize>,
    ) -> (Result<WriteReceipt>, Vec<u8>, Arc<Mutex<Seen>>) {
        let (header, cipher, out, mut upload) = test_blob(true, None);
        let seen = Arc::new(Mutex::new(Seen::default()));
        let tap = Recorder {
            seen: Arc::clone(&seen),
            stop_after,
        };
        let mut input = futures::stream::iter(frames);
        let r = write(
            &header,
            cipher,
            &mut upload,
            &mut input,
            Some(Box::new(tap)),
        )
        .await;
        // The threads have ended once the write has answered, save for dropping the tap.
        for _ in 0..200 {
            if seen.lock().unwrap().dropped {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let bytes = out.lock().unwrap().clone();
        (r, bytes, seen)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_tap_sees_the_whole_plaintext_in_order_then_the_end() {
        for size in [0, 1, SEGMENT_PLAIN, BLOCK - 1, BLOCK, 3 * BLOCK + 17] {
            let plain = plaintext(size);
            let frames = plain
                .chunks(40_000)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            let (r, out, seen) = run_tapped(frames, None).await;
            let receipt = r.unwrap();
            assert_eq!(receipt.plaintext_len, size as u64);
            // What is stored does not change with a tap.
            let expected = encrypt_to_vec(&KEY, "mission-1", "blob-1", SALT, PREFIX, &plain);
            assert!(out == expected, "size {size}");
            let seen = seen.lock().unwrap();
            assert!(seen.bytes == plain, "size {size}");
            assert_eq!(
                seen.calls,
                size / BLOCK + 1,
                "one call per block, size {size}"
            );
            assert_eq!(seen.ended, 1);
            assert!(seen.dropped);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_tap_that_stops_is_not_called_again_and_the_write_goes_on() {
        let plain = plaintext(5 * BLOCK + 3);
        let frames = plain
            .chunks(70_000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let (r, out, seen) = run_tapped(frames, Some(2)).await;
        assert_eq!(r.unwrap().plaintext_len, plain.len() as u64);
        let expected = encrypt_to_vec(&KEY, "mission-1", "blob-1", SALT, PREFIX, &plain);
        assert!(out == expected);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.calls, 2);
        assert!(seen.bytes == plain[..2 * BLOCK]);
        assert_eq!(seen.ended, 0, "no end for a tap that stopped");
        assert!(seen.dropped);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failing_input_drops_the_tap_without_its_end() {
        let plain = plaintext(2 * BLOCK);
        let frames = vec![
            Ok(Bytes::copy_from_slice(&plain)),
            Err(std::io::Error::other("client went away")),
        ];
        let (r, _, seen) = run_tapped(frames, None).await;
        assert!(matches!(r, Err(StorageError::InputAborted(_))));
        let seen = seen.lock().unwrap();
        assert!(seen.dropped, "the tap is let go");
        assert_eq!(
            seen.ended, 0,
            "an input that failed never reads as complete"
        );
        assert!(seen.bytes.len() <= plain.len());
        assert!(seen.bytes == plain[..seen.bytes.len()]);
    }
}
