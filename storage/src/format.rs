//! The on-disk blob format, version 1 (specified in `storage/FORMAT.md`).
//!
//! Every constant in this module is part of the stored format: DO NOT CHANGE any of them.
//! A change needs a new format version, and the golden vectors in the tests pin the bytes.

use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Magic bytes opening every blob. Do not change.
pub const MAGIC: [u8; 8] = *b"PSRLBLB1";
/// Current blob format version. Do not change the meaning of version 1.
pub const FORMAT_VERSION: u16 = 1;
/// Plaintext bytes per full segment (64 KiB). Do not change.
pub const SEGMENT_PLAIN: usize = 64 * 1024;
/// AES-GCM tag length. Do not change.
pub const TAG_LEN: usize = 16;
/// Stored bytes per full segment. Do not change.
pub const SEGMENT_CIPHER: usize = SEGMENT_PLAIN + TAG_LEN;
/// Length of the mission key id in the header. Do not change.
pub const KEY_ID_LEN: usize = 16;
/// Length of the per-file random salt. Do not change.
pub const SALT_LEN: usize = 32;
/// Length of the STREAM nonce prefix (12-byte GCM nonce minus 4 counter bytes and 1 flag byte).
/// Do not change.
pub const NONCE_PREFIX_LEN: usize = 7;
/// Length of the key commitment. Do not change.
pub const COMMIT_LEN: usize = 32;
/// HKDF info prefix for the file key and commitment. Do not change.
pub const HKDF_INFO: &[u8] = b"passerelle blob v1";
/// Label of the mission key id hash. Do not change.
pub const KEY_ID_LABEL: &[u8] = b"passerelle mission key id v1";
/// Longest mission or blob id (bytes).
pub const MAX_ID_LEN: usize = 128;
/// Fixed part of the header before the mission id.
const FIXED_LEN: usize = 8 + 2 + KEY_ID_LEN + SALT_LEN + NONCE_PREFIX_LEN;
/// Upper bound of a header's length, enough to read it in one request.
pub const MAX_HEADER_LEN: usize = FIXED_LEN + 2 + MAX_ID_LEN + 2 + MAX_ID_LEN + COMMIT_LEN;

/// The mission key id stored in blob headers: it identifies the key without revealing it and
/// does not depend on the master key (rotation leaves blobs untouched).
pub(crate) fn mission_key_id(key: &[u8; 32]) -> [u8; KEY_ID_LEN] {
    let digest = Sha256::new()
        .chain_update(KEY_ID_LABEL)
        .chain_update(key)
        .finalize();
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&digest[..KEY_ID_LEN]);
    id
}

/// The parsed header of a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub key_id: [u8; KEY_ID_LEN],
    pub salt: [u8; SALT_LEN],
    pub nonce_prefix: [u8; NONCE_PREFIX_LEN],
    pub mission: String,
    pub blob: String,
    pub commitment: [u8; COMMIT_LEN],
}

impl Header {
    /// The header bytes up to (not including) the commitment: the HKDF info suffix.
    pub(crate) fn encode_uncommitted(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_HEADER_LEN);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.nonce_prefix);
        for id in [&self.mission, &self.blob] {
            // Ids are checked to be at most MAX_ID_LEN bytes before a header is built.
            out.extend_from_slice(&(id.len() as u16).to_be_bytes());
            out.extend_from_slice(id.as_bytes());
        }
        out
    }

    /// The complete header bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = self.encode_uncommitted();
        out.extend_from_slice(&self.commitment);
        out
    }

    /// Parses a header from the first bytes of a blob; returns it and its length.
    pub(crate) fn parse(bytes: &[u8]) -> Result<(Header, usize), &'static str> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(8)? != MAGIC {
            return Err("not a Passerelle blob (bad magic)");
        }
        let version = u16::from_be_bytes(r.array()?);
        if version != FORMAT_VERSION {
            return Err("unknown blob format version");
        }
        let key_id = r.array()?;
        let salt = r.array()?;
        let nonce_prefix = r.array()?;
        let mission = r.id()?;
        let blob = r.id()?;
        let commitment = r.array()?;
        let header = Header {
            key_id,
            salt,
            nonce_prefix,
            mission,
            blob,
            commitment,
        };
        Ok((header, r.pos))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        let end = self.pos.checked_add(n).ok_or("header truncated")?;
        let s = self.bytes.get(self.pos..end).ok_or("header truncated")?;
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], &'static str> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn id(&mut self) -> Result<String, &'static str> {
        let len = u16::from_be_bytes(self.array()?) as usize;
        if len == 0 || len > MAX_ID_LEN {
            return Err("bad id length in header");
        }
        let s = self.take(len)?;
        String::from_utf8(s.to_vec()).map_err(|_| "id in header is not UTF-8")
    }
}

/// Derives the file key and the key commitment:
/// `OKM = HKDF-SHA256(ikm = mission key, salt = salt, info = HKDF_INFO ‖ uncommitted header, L = 64)`,
/// file key = `OKM[0..32]`, commitment = `OKM[32..64]`.
pub(crate) fn derive_file_key(
    mission_key: &[u8; 32],
    salt: &[u8; SALT_LEN],
    uncommitted_header: &[u8],
) -> Result<(Zeroizing<[u8; 32]>, [u8; COMMIT_LEN]), ()> {
    let hk = Hkdf::<Sha256>::new(Some(salt), mission_key);
    let mut okm = Zeroizing::new([0u8; 64]);
    hk.expand_multi_info(&[HKDF_INFO, uncommitted_header], &mut okm[..])
        .map_err(|_| ())?;
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&okm[..32]);
    let mut commit = [0u8; COMMIT_LEN];
    commit.copy_from_slice(&okm[32..]);
    Ok((key, commit))
}

/// The nonce of segment `index`: the STREAM-BE32 construction of `aead::stream`
/// (`prefix ‖ index as u32 big-endian ‖ last-flag byte`), computed directly so that any
/// segment can be decrypted without the ones before it.
pub(crate) fn segment_nonce(prefix: &[u8; NONCE_PREFIX_LEN], index: u32, last: bool) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..NONCE_PREFIX_LEN].copy_from_slice(prefix);
    n[NONCE_PREFIX_LEN..NONCE_PREFIX_LEN + 4].copy_from_slice(&index.to_be_bytes());
    n[11] = u8::from(last);
    n
}

/// The per-file AEAD state: file key, nonce prefix and associated data (the full header).
///
/// Segments are sealed with AES-256-GCM as implemented by `ring` (AES-NI/VAES and CLMUL
/// assembly, several times faster than the portable intrinsics of `aes-gcm` 0.10); the bytes
/// are those of `aes_gcm::Aes256Gcm` driven by `aead::stream::EncryptorBE32`, as the
/// `nonce_is_aead_stream_be32` test checks.
pub(crate) struct FileCipher {
    key: ring::aead::LessSafeKey,
    prefix: [u8; NONCE_PREFIX_LEN],
    aad: Vec<u8>,
}

impl FileCipher {
    /// Builds the cipher for a blob whose complete header bytes are `header_bytes`.
    pub(crate) fn new(
        file_key: &[u8; 32],
        prefix: [u8; NONCE_PREFIX_LEN],
        header_bytes: Vec<u8>,
    ) -> Result<Self, ()> {
        let unbound =
            ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, file_key).map_err(|_| ())?;
        Ok(FileCipher {
            key: ring::aead::LessSafeKey::new(unbound),
            prefix,
            aad: header_bytes,
        })
    }

    /// Encrypts one segment in place and returns its tag.
    pub(crate) fn seal(&self, index: u32, last: bool, buf: &mut [u8]) -> Result<[u8; TAG_LEN], ()> {
        let nonce =
            ring::aead::Nonce::assume_unique_for_key(segment_nonce(&self.prefix, index, last));
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, ring::aead::Aad::from(&self.aad), buf)
            .map_err(|_| ())?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts the stored segment at `buf[src..src + stored_len]` (ciphertext ‖ tag) and
    /// writes its plaintext to `buf[dst..]` (`dst <= src`), in one pass.
    pub(crate) fn open_within(
        &self,
        index: u32,
        last: bool,
        buf: &mut [u8],
        dst: usize,
        src: usize,
        stored_len: usize,
    ) -> Result<(), ()> {
        let plain_len = stored_len.checked_sub(TAG_LEN).ok_or(())?;
        let tag_bytes = buf.get(src + plain_len..src + stored_len).ok_or(())?;
        let tag = ring::aead::Tag::try_from(tag_bytes).map_err(|_| ())?;
        let in_out = buf.get_mut(dst..src + plain_len).ok_or(())?;
        let shift = src.checked_sub(dst).ok_or(())?;
        let nonce =
            ring::aead::Nonce::assume_unique_for_key(segment_nonce(&self.prefix, index, last));
        self.key
            .open_in_place_separate_tag(
                nonce,
                ring::aead::Aad::from(&self.aad),
                tag,
                in_out,
                shift..,
            )
            .map(|_| ())
            .map_err(|_| ())
    }
}

/// Checks a header's commitment against the one derived from the key, in constant time.
pub(crate) fn commitment_matches(expected: &[u8; COMMIT_LEN], stored: &[u8; COMMIT_LEN]) -> bool {
    bool::from(expected.ct_eq(stored))
}

/// Where the segments of a blob lie, derived from the header length and the blob length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Bytes of header.
    pub header_len: u64,
    /// Number of full (non-last) segments; the last segment has index `full_segments`.
    pub full_segments: u64,
    /// Plaintext bytes in the last segment (0 ..= SEGMENT_PLAIN - 1).
    pub last_plain: u64,
}

impl Layout {
    /// The layout of a blob of `blob_len` bytes, or `None` if no valid blob has that length.
    pub(crate) fn from_lengths(header_len: u64, blob_len: u64) -> Option<Layout> {
        let body = blob_len.checked_sub(header_len)?;
        let full_segments = body / SEGMENT_CIPHER as u64;
        let rem = body % SEGMENT_CIPHER as u64;
        let last_plain = rem.checked_sub(TAG_LEN as u64)?;
        if full_segments > u64::from(u32::MAX) {
            return None;
        }
        Some(Layout {
            header_len,
            full_segments,
            last_plain,
        })
    }

    /// The layout of a blob holding `plaintext_len` bytes.
    #[cfg(test)]
    pub(crate) fn for_plaintext(header_len: u64, plaintext_len: u64) -> Layout {
        Layout {
            header_len,
            full_segments: plaintext_len / SEGMENT_PLAIN as u64,
            last_plain: plaintext_len % SEGMENT_PLAIN as u64,
        }
    }

    /// Total plaintext bytes.
    pub(crate) fn plaintext_len(&self) -> u64 {
        self.full_segments * SEGMENT_PLAIN as u64 + self.last_plain
    }

    /// Total stored bytes.
    #[cfg(test)]
    pub(crate) fn blob_len(&self) -> u64 {
        self.segment_offset(self.full_segments) + self.last_plain + TAG_LEN as u64
    }

    /// Index of the last segment.
    pub(crate) fn last_index(&self) -> u64 {
        self.full_segments
    }

    /// Offset of segment `i` in the blob.
    pub(crate) fn segment_offset(&self, i: u64) -> u64 {
        self.header_len + i * SEGMENT_CIPHER as u64
    }

    /// Stored length of segment `i`.
    pub(crate) fn segment_cipher_len(&self, i: u64) -> u64 {
        if i < self.full_segments {
            SEGMENT_CIPHER as u64
        } else {
            self.last_plain + TAG_LEN as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::stream::EncryptorBE32;
    use aes_gcm::aead::Payload;
    use aes_gcm::{Aes256Gcm, Key};

    fn sample_header() -> Header {
        Header {
            key_id: mission_key_id(&[7u8; 32]),
            salt: [0x5a; SALT_LEN],
            nonce_prefix: [1, 2, 3, 4, 5, 6, 7],
            mission: "mission-1".into(),
            blob: "blob-1".into(),
            commitment: [0; COMMIT_LEN],
        }
    }

    #[test]
    fn header_round_trip() {
        let mut h = sample_header();
        let (_, c) = derive_file_key(&[7u8; 32], &h.salt, &h.encode_uncommitted()).unwrap();
        h.commitment = c;
        let bytes = h.encode();
        let (parsed, len) = Header::parse(&bytes).unwrap();
        assert_eq!(parsed, h);
        assert_eq!(len, bytes.len());
        for cut in 0..bytes.len() {
            assert!(Header::parse(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn nonce_is_aead_stream_be32() {
        // Our direct nonce computation must give the same bytes as aead::stream::EncryptorBE32.
        let key = [9u8; 32];
        let prefix = [1u8, 2, 3, 4, 5, 6, 7];
        let aad = b"header".to_vec();
        let mut stream = EncryptorBE32::<Aes256Gcm>::new(
            Key::<Aes256Gcm>::from_slice(&key),
            aes_gcm::aead::generic_array::GenericArray::from_slice(&prefix),
        );
        let cipher = FileCipher::new(&key, prefix, aad.clone()).unwrap();
        for i in 0..3u32 {
            let msg = vec![i as u8; 100];
            let theirs = stream
                .encrypt_next(Payload {
                    msg: &msg,
                    aad: &aad,
                })
                .unwrap();
            let mut ours = msg.clone();
            let tag = cipher.seal(i, false, &mut ours).unwrap();
            ours.extend_from_slice(&tag);
            assert_eq!(ours, theirs);
        }
        let msg = b"last".to_vec();
        let theirs = stream
            .encrypt_last(Payload {
                msg: &msg,
                aad: &aad,
            })
            .unwrap();
        let mut ours = msg.clone();
        let tag = cipher.seal(3, true, &mut ours).unwrap();
        ours.extend_from_slice(&tag);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn layout_arithmetic() {
        for len in [0u64, 1, 65535, 65536, 65537, 131072, 5 << 20] {
            let l = Layout::for_plaintext(100, len);
            assert_eq!(l.plaintext_len(), len);
            assert_eq!(Layout::from_lengths(100, l.blob_len()), Some(l));
            // Losing a whole last segment, or part of a tag, never looks valid.
            assert_ne!(
                Layout::from_lengths(100, l.blob_len() - l.segment_cipher_len(l.last_index())),
                Some(l)
            );
        }
        assert_eq!(Layout::from_lengths(100, 100 + 15), None);
        assert_eq!(Layout::from_lengths(100, 99), None);
        assert_eq!(
            Layout::from_lengths(100, 100 + SEGMENT_CIPHER as u64),
            None,
            "a body of exactly one full segment lacks its last segment"
        );
    }

    #[test]
    fn golden_key_derivation() {
        // Do not change: pins the mission key id, HKDF inputs and outputs of format v1.
        let mut h = sample_header();
        assert_eq!(hex::encode(h.key_id), GOLDEN_KEY_ID);
        let (key, commit) = derive_file_key(&[7u8; 32], &h.salt, &h.encode_uncommitted()).unwrap();
        assert_eq!(hex::encode(*key), GOLDEN_FILE_KEY);
        assert_eq!(hex::encode(commit), GOLDEN_COMMIT);
        h.commitment = commit;
        assert_eq!(hex::encode(h.encode()), GOLDEN_HEADER);
    }

    // Golden vectors of format v1, produced by the independent reference implementation
    // `storage/tests/golden/reference.py` (Python `cryptography`). Do not change.
    const GOLDEN_KEY_ID: &str = "644aa118a4ec189ac2343c3129c78da9";
    const GOLDEN_FILE_KEY: &str =
        "c9f9456eb35adec5d0b9006fe172f3c7ae45bb31fbe4c0bccddf1d3bd36c4264";
    const GOLDEN_COMMIT: &str = "fccd5409f982e32a0c061afd41b47653a5353df6aaf394b341f0f700847d0cdc";
    pub(crate) const GOLDEN_HEADER: &str = "5053524c424c42310001644aa118a4ec189ac2343c3129c78da9\
        5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a0102030405060700096d697373\
        696f6e2d310006626c6f622d31fccd5409f982e32a0c061afd41b47653a5353df6aaf394b341f0f700847d0cdc";

    #[test]
    fn golden_blobs() {
        use crate::writer::encrypt_to_vec;
        // Do not change: whole blobs of format v1, from the reference implementation.
        let key = [7u8; 32];
        let salt = [0x5a; SALT_LEN];
        let prefix = [1, 2, 3, 4, 5, 6, 7];
        let hello = encrypt_to_vec(&key, "mission-1", "blob-1", salt, prefix, b"hello");
        assert_eq!(
            hex::encode(&hello),
            format!("{GOLDEN_HEADER}0ad741f58070ad9f1ecbc7f8cb5a5bb250ab39dc2d")
        );
        let sha = |v: &[u8]| hex::encode(Sha256::digest(v));
        let big: Vec<u8> = (0..2 * SEGMENT_PLAIN + 1000)
            .map(|i| (i % 251) as u8)
            .collect();
        let blob = encrypt_to_vec(&key, "mission-1", "blob-1", salt, prefix, &big);
        assert_eq!(
            sha(&blob),
            "77c647ba5f46b26fdbba548436911dd40a229b5fdc8e9585053f6496ad50cbb9"
        );
        let exact = encrypt_to_vec(
            &key,
            "mission-1",
            "blob-1",
            salt,
            prefix,
            &big[..SEGMENT_PLAIN],
        );
        assert_eq!(
            sha(&exact),
            "86660618a0e92767d7e148a8e3b215fce3aade477b6cf6b1d0fadab0d859db57"
        );
    }
}
