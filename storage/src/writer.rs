//! Encryption side: builds a blob header and seals plaintext into segments, about 1 MiB
//! (16 segments) at a time, in place.

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use crate::error::{Result, StorageError};
use crate::format::{
    derive_file_key, FileCipher, Header, KEY_ID_LEN, NONCE_PREFIX_LEN, SALT_LEN, SEGMENT_CIPHER,
    SEGMENT_PLAIN,
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

/// Turns a plaintext byte stream into blob bytes, block by block.
///
/// Full segments are sealed as soon as they fill; `finish` seals what remains (0 to 64 KiB − 1
/// bytes) as the last segment, so the last segment is always short and no look-ahead is needed.
pub(crate) struct Sealer {
    cipher: FileCipher,
    block: BytesMut,
    seg_start: usize,
    segs_in_block: usize,
    index: u64,
    hasher: Sha256,
    total: u64,
}

impl Sealer {
    /// A sealer whose first block starts with `header`.
    pub fn new(header: &[u8], cipher: FileCipher) -> Sealer {
        let mut block = BytesMut::with_capacity(header.len() + BLOCK_SEGMENTS * SEGMENT_CIPHER);
        block.extend_from_slice(header);
        Sealer {
            cipher,
            seg_start: block.len(),
            block,
            segs_in_block: 0,
            index: 0,
            hasher: Sha256::new(),
            total: 0,
        }
    }

    fn seal_current(&mut self, last: bool) -> Result<()> {
        let index = u32::try_from(self.index).map_err(|_| StorageError::TooLarge)?;
        let tag = self
            .cipher
            .seal(index, last, &mut self.block[self.seg_start..])
            .map_err(|()| StorageError::TooLarge)?;
        self.block.extend_from_slice(&tag);
        self.index += 1;
        self.seg_start = self.block.len();
        self.segs_in_block += 1;
        Ok(())
    }

    /// Consumes bytes from `data` until it is empty or a block is complete; returns the block.
    pub fn push(&mut self, data: &mut &[u8]) -> Result<Option<Bytes>> {
        while !data.is_empty() {
            let filled = self.block.len() - self.seg_start;
            let take = (SEGMENT_PLAIN - filled).min(data.len());
            let (now, rest) = data.split_at(take);
            self.block.extend_from_slice(now);
            self.hasher.update(now);
            self.total += take as u64;
            *data = rest;
            if filled + take == SEGMENT_PLAIN {
                self.seal_current(false)?;
                if self.segs_in_block == BLOCK_SEGMENTS {
                    let out = self.block.split().freeze();
                    self.block.reserve(BLOCK_SEGMENTS * SEGMENT_CIPHER);
                    self.seg_start = 0;
                    self.segs_in_block = 0;
                    return Ok(Some(out));
                }
            }
        }
        Ok(None)
    }

    /// Seals the last segment; returns the final block and the receipt.
    pub fn finish(mut self) -> Result<(Bytes, WriteReceipt)> {
        self.seal_current(true)?;
        let receipt = WriteReceipt {
            plaintext_len: self.total,
            sha256: self.hasher.finalize().into(),
        };
        Ok((self.block.freeze(), receipt))
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
    let mut sealer = Sealer::new(&header, cipher);
    let mut out = Vec::new();
    let mut data = plaintext;
    while !data.is_empty() {
        if let Some(b) = sealer.push(&mut data).unwrap() {
            out.extend_from_slice(&b);
        }
    }
    let (last, receipt) = sealer.finish().unwrap();
    out.extend_from_slice(&last);
    assert_eq!(receipt.plaintext_len, plaintext.len() as u64);
    out
}
