//! Encryption side: builds a blob header, lays plaintext out in blocks of 16 segments (1 MiB)
//! and seals each block in place on a blocking-pool thread while the next one fills up.

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use crate::error::{Result, StorageError};
use crate::format::{
    derive_file_key, FileCipher, Header, KEY_ID_LEN, NONCE_PREFIX_LEN, SALT_LEN, SEGMENT_CIPHER,
    SEGMENT_PLAIN, TAG_LEN,
};

/// Segments per block handed to the backend (16 × 64 KiB = 1 MiB of plaintext).
pub(crate) const BLOCK_SEGMENTS: usize = 16;

/// What a successful write reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteReceipt {
    /// Number of plaintext bytes stored.
    pub plaintext_len: u64,
    /// SHA-256 of the plaintext, computed on the way.
    pub sha256: [u8; 32],
}

/// Builds the header of a new blob and the cipher sealing its segments.
pub(crate) fn new_blob(
    mission_key: &[u8; 32],
    key_id: [u8; KEY_ID_LEN],
    mission: &str,
    blob: &str,
    salt: [u8; SALT_LEN],
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
) -> Result<(Vec<u8>, FileCipher)> {
    let mut header = Header {
        key_id,
        salt,
        nonce_prefix,
        mission: mission.to_owned(),
        blob: blob.to_owned(),
        commitment: [0; 32],
    };
    let uncommitted = header.encode_uncommitted();
    let (file_key, commitment) = derive_file_key(mission_key, &salt, &uncommitted)
        .map_err(|()| StorageError::io("deriving a file key", std::io::Error::other("HKDF")))?;
    header.commitment = commitment;
    let bytes = header.encode();
    let cipher = FileCipher::new(&file_key, nonce_prefix, bytes.clone()).map_err(|()| {
        StorageError::io("initializing AES-256-GCM", std::io::Error::other("bad key"))
    })?;
    Ok((bytes, cipher))
}

/// Lays plaintext out in blocks on the async side (a copy, nothing more): the header (first
/// block only), then up to 16 segments, each followed by a 16-byte gap for its tag.
///
/// A segment that fills up is full, hence not the last; `finish` closes the block with what
/// remains (0 to 64 KiB − 1 bytes) as the last segment. The last segment is thus always short,
/// and no look-ahead is needed.
pub(crate) struct Accumulator {
    block: BytesMut,
    body_start: usize,
    seg_start: usize,
    full_segs: usize,
}

/// A block ready to be sealed by [`SealCtx::seal`].
pub(crate) struct SealJob {
    block: BytesMut,
    body_start: usize,
    full_segs: usize,
    /// Plaintext length of the last segment, in the final block only.
    last: Option<usize>,
}

const TAG_GAP: [u8; TAG_LEN] = [0; TAG_LEN];

impl Accumulator {
    /// An accumulator whose first block starts with `header`.
    pub fn new(header: &[u8]) -> Accumulator {
        let mut block = BytesMut::with_capacity(header.len() + BLOCK_SEGMENTS * SEGMENT_CIPHER);
        block.extend_from_slice(header);
        Accumulator {
            body_start: block.len(),
            seg_start: block.len(),
            block,
            full_segs: 0,
        }
    }

    /// Consumes bytes from `data` until it is empty or a block is complete; returns the block.
    pub fn push(&mut self, data: &mut &[u8]) -> Option<SealJob> {
        while !data.is_empty() {
            let filled = self.block.len() - self.seg_start;
            let take = (SEGMENT_PLAIN - filled).min(data.len());
            let (now, rest) = data.split_at(take);
            self.block.extend_from_slice(now);
            *data = rest;
            if filled + take == SEGMENT_PLAIN {
                self.block.extend_from_slice(&TAG_GAP);
                self.full_segs += 1;
                self.seg_start = self.block.len();
                if self.full_segs == BLOCK_SEGMENTS {
                    let job = SealJob {
                        block: self.block.split(),
                        body_start: self.body_start,
                        full_segs: self.full_segs,
                        last: None,
                    };
                    self.block.reserve(BLOCK_SEGMENTS * SEGMENT_CIPHER);
                    self.body_start = 0;
                    self.seg_start = 0;
                    self.full_segs = 0;
                    return Some(job);
                }
            }
        }
        None
    }

    /// The final block, ending with the (short, possibly empty) last segment.
    pub fn finish(mut self) -> SealJob {
        let last = self.block.len() - self.seg_start;
        self.block.extend_from_slice(&TAG_GAP);
        SealJob {
            block: self.block,
            body_start: self.body_start,
            full_segs: self.full_segs,
            last: Some(last),
        }
    }
}

/// The sequential state of a write: cipher, segment counter and plaintext hash. Blocks are
/// sealed in order, each on a blocking-pool thread, while the next one is being accumulated.
pub(crate) struct SealCtx {
    cipher: FileCipher,
    hasher: Sha256,
    index: u64,
    total: u64,
}

impl SealCtx {
    /// A context for a blob sealed with `cipher`.
    pub fn new(cipher: FileCipher) -> SealCtx {
        SealCtx {
            cipher,
            hasher: Sha256::new(),
            index: 0,
            total: 0,
        }
    }

    /// Hashes and encrypts the segments of `job` in place, filling their tag gaps.
    pub fn seal(&mut self, job: SealJob) -> Result<Bytes> {
        let SealJob {
            mut block,
            body_start,
            full_segs,
            last,
        } = job;
        let mut pos = body_start;
        let lengths = std::iter::repeat_n(SEGMENT_PLAIN, full_segs)
            .map(|n| (n, false))
            .chain(last.map(|n| (n, true)));
        for (plain_len, is_last) in lengths {
            let index = u32::try_from(self.index).map_err(|_| StorageError::TooLarge)?;
            let seg = block
                .get_mut(pos..pos + plain_len)
                .ok_or(StorageError::TooLarge)?;
            self.hasher.update(&*seg);
            let tag = self
                .cipher
                .seal(index, is_last, seg)
                .map_err(|()| StorageError::TooLarge)?;
            block
                .get_mut(pos + plain_len..pos + plain_len + TAG_LEN)
                .ok_or(StorageError::TooLarge)?
                .copy_from_slice(&tag);
            pos += plain_len + TAG_LEN;
            self.index += 1;
            self.total += plain_len as u64;
        }
        Ok(block.freeze())
    }

    /// Length and SHA-256 of all the plaintext sealed.
    pub fn receipt(self) -> WriteReceipt {
        WriteReceipt {
            plaintext_len: self.total,
            sha256: self.hasher.finalize().into(),
        }
    }
}

/// Encrypts a whole plaintext in memory with fixed salt and prefix (golden vectors, tests).
#[cfg(test)]
pub(crate) fn encrypt_to_vec(
    mission_key: &[u8; 32],
    mission: &str,
    blob: &str,
    salt: [u8; SALT_LEN],
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let key_id = crate::format::mission_key_id(mission_key);
    let (header, cipher) =
        new_blob(mission_key, key_id, mission, blob, salt, nonce_prefix).unwrap();
    let mut acc = Accumulator::new(&header);
    let mut ctx = SealCtx::new(cipher);
    let mut out = Vec::new();
    let mut data = plaintext;
    while !data.is_empty() {
        if let Some(job) = acc.push(&mut data) {
            out.extend_from_slice(&ctx.seal(job).unwrap());
        }
    }
    out.extend_from_slice(&ctx.seal(acc.finish()).unwrap());
    let receipt = ctx.receipt();
    assert_eq!(receipt.plaintext_len, plaintext.len() as u64);
    out
}
