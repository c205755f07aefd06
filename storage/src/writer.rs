//! Encryption side: builds a blob header, lays plaintext out in blocks of 4 segments (256 KiB),
//! hashes and seals each block in place. [`crate::pipeline`] runs these steps on their own threads.

use sha2::{Digest, Sha256};

use crate::error::{Result, StorageError};
use crate::format::{
    derive_file_key, FileCipher, Header, KEY_ID_LEN, NONCE_PREFIX_LEN, SALT_LEN, SEGMENT_CIPHER,
    SEGMENT_PLAIN, TAG_LEN,
};

/// Segments per block handed to the backend (4 × 64 KiB = 256 KiB of plaintext). A write holds
/// [`crate::pipeline::POOL_BLOCKS`] such buffers, so this sets the memory of an upload in flight
/// (768 KiB): 16 concurrent uploads took 64 MiB in blocks alone with 1 MiB blocks, for no
/// measurable gain in CPU per byte (the per-block cost is a few channel hops).
pub(crate) const BLOCK_SEGMENTS: usize = 4;

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

/// Lays plaintext out in blocks (a copy, nothing more): the header (first block only), then up
/// to 16 segments, each followed by a 16-byte gap for its tag. Blocks live in caller-supplied
/// buffers, so a write can recycle a few of them instead of allocating one per block.
///
/// A segment that fills up is full, hence not the last; `finish` closes the block with what
/// remains (0 to 64 KiB − 1 bytes) as the last segment. The last segment is thus always short,
/// and no look-ahead is needed.
pub(crate) struct Accumulator {
    block: Block,
    seg_start: usize,
}

/// A block of plaintext laid out for sealing in place (see [`Accumulator`]), then sealed.
#[derive(Debug)]
pub(crate) struct Block {
    /// Header (first block only), then segments each followed by its tag (a gap until sealed).
    pub buf: Vec<u8>,
    body_start: usize,
    full_segs: usize,
    /// Plaintext length of the last segment, in the final block only.
    last: Option<usize>,
}

/// Capacity a block buffer needs (header of the first block included).
pub(crate) fn block_capacity(header_len: usize) -> usize {
    header_len + BLOCK_SEGMENTS * SEGMENT_CIPHER
}

const TAG_GAP: [u8; TAG_LEN] = [0; TAG_LEN];

impl Block {
    fn start(mut buf: Vec<u8>, header: &[u8]) -> Block {
        buf.clear();
        buf.extend_from_slice(header);
        Block {
            body_start: buf.len(),
            buf,
            full_segs: 0,
            last: None,
        }
    }

    /// True for the final block of a blob.
    pub(crate) fn is_final(&self) -> bool {
        self.last.is_some()
    }

    /// `(offset of the plaintext in buf, plaintext length, is the last segment)` of each segment.
    fn segments(&self) -> impl Iterator<Item = (usize, usize, bool)> {
        let full = std::iter::repeat_n((SEGMENT_PLAIN, false), self.full_segs);
        let mut pos = self.body_start;
        full.chain(self.last.map(|n| (n, true)))
            .map(move |(len, is_last)| {
                let at = pos;
                pos += len + TAG_LEN;
                (at, len, is_last)
            })
    }

    /// Plaintext bytes in this block.
    #[cfg(test)]
    pub(crate) fn plaintext_len(&self) -> u64 {
        (self.full_segs * SEGMENT_PLAIN + self.last.unwrap_or(0)) as u64
    }

    /// The plaintext of this (not yet sealed) block, segment by segment.
    pub(crate) fn plaintext(&self) -> impl Iterator<Item = &[u8]> {
        self.segments()
            .filter_map(|(at, len, _)| self.buf.get(at..at + len))
    }

    /// Feeds the plaintext of this (not yet sealed) block to `hasher`.
    pub(crate) fn hash_into(&self, hasher: &mut Sha256) {
        for seg in self.plaintext() {
            hasher.update(seg);
        }
    }
}

impl Accumulator {
    /// An accumulator whose first block, in `buf`, starts with `header`.
    pub(crate) fn new(header: &[u8], buf: Vec<u8>) -> Accumulator {
        let block = Block::start(buf, header);
        Accumulator {
            seg_start: block.buf.len(),
            block,
        }
    }

    /// Copies bytes from `data` until it is empty or the current block is full; returns true
    /// when the block is full (then [`Accumulator::take`] it before pushing more).
    pub(crate) fn push(&mut self, data: &mut &[u8]) -> bool {
        while !data.is_empty() && self.block.full_segs < BLOCK_SEGMENTS {
            let filled = self.block.buf.len() - self.seg_start;
            let take = (SEGMENT_PLAIN - filled).min(data.len());
            let (now, rest) = data.split_at(take);
            self.block.buf.extend_from_slice(now);
            *data = rest;
            if filled + take == SEGMENT_PLAIN {
                self.block.buf.extend_from_slice(&TAG_GAP);
                self.block.full_segs += 1;
                self.seg_start = self.block.buf.len();
            }
        }
        self.block.full_segs == BLOCK_SEGMENTS
    }

    /// The full current block; the next one is laid out in `next` (emptied first).
    pub(crate) fn take(&mut self, next: Vec<u8>) -> Block {
        let block = std::mem::replace(&mut self.block, Block::start(next, &[]));
        self.seg_start = 0;
        block
    }

    /// The final block, ending with the (short, possibly empty) last segment.
    pub(crate) fn finish(self) -> Block {
        let mut block = self.block;
        block.last = Some(block.buf.len() - self.seg_start);
        block.buf.extend_from_slice(&TAG_GAP);
        block
    }
}

/// The sequential encryption state of a write: cipher and segment counter. Blocks must be
/// sealed in order.
pub(crate) struct Sealer {
    cipher: FileCipher,
    index: u64,
}

impl Sealer {
    /// A sealer for a blob encrypted with `cipher`.
    pub(crate) fn new(cipher: FileCipher) -> Sealer {
        Sealer { cipher, index: 0 }
    }

    /// Encrypts the segments of `block` in place, filling their tag gaps.
    pub(crate) fn seal(&mut self, block: &mut Block) -> Result<()> {
        let segments: Vec<_> = block.segments().collect();
        for (at, plain_len, is_last) in segments {
            let index = u32::try_from(self.index).map_err(|_| StorageError::TooLarge)?;
            let seg = block
                .buf
                .get_mut(at..at + plain_len)
                .ok_or(StorageError::TooLarge)?;
            let tag = self
                .cipher
                .seal(index, is_last, seg)
                .map_err(|()| StorageError::TooLarge)?;
            block
                .buf
                .get_mut(at + plain_len..at + plain_len + TAG_LEN)
                .ok_or(StorageError::TooLarge)?
                .copy_from_slice(&tag);
            self.index += 1;
        }
        Ok(())
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
    let cap = block_capacity(header.len());
    let mut acc = Accumulator::new(&header, Vec::with_capacity(cap));
    let mut sealer = Sealer::new(cipher);
    let mut hasher = Sha256::new();
    let mut out = Vec::new();
    let mut total = 0;
    let mut data = plaintext;
    let mut emit = |mut block: Block| {
        block.hash_into(&mut hasher);
        total += block.plaintext_len();
        sealer.seal(&mut block).unwrap();
        out.extend_from_slice(&block.buf);
    };
    while !data.is_empty() {
        if acc.push(&mut data) {
            emit(acc.take(Vec::with_capacity(cap)));
        }
    }
    emit(acc.finish());
    assert_eq!(total, plaintext.len() as u64);
    assert_eq!(
        <[u8; 32]>::from(hasher.finalize()),
        <[u8; 32]>::from(Sha256::digest(plaintext))
    );
    out
}
