//! One-pass text decoding for CSV files that may still be arriving: the encoding is found on the
//! way rather than by a first pass over the whole file, so that a deposit can be scanned while it
//! streams in.
//!
//! UTF-16 is recognised by its byte-order mark; otherwise the text is taken as UTF-8 (its BOM
//! skipped) for as long as it is valid UTF-8, and as Windows-1252 from the first byte that is not,
//! which is how French exports that are not UTF-8 are written. A file whose non-ASCII bytes
//! all formed valid UTF-8 before its first invalid one would see that prefix read as UTF-8: a
//! Windows-1252 file almost never does (its accented letters are single bytes, never valid UTF-8
//! sequences), and the checks would only misread accented letters there. A NUL byte (outside
//! UTF-16) means a binary file under a text name: refused.

use encoding_rs::{Decoder, UTF_16BE, UTF_16LE, WINDOWS_1252};
use std::io::{self, Read};

const CHUNK: usize = 64 * 1024;
/// The most read at once straight into the caller's buffer (one of the CSV scan's buffers): each
/// read from a pipe or socket is a system call, and one that finds it empty a sleep and a wake-up.
const DIRECT: usize = 256 * 1024;

/// The error inside the `io::Error` when the input holds a NUL byte.
#[derive(Debug)]
pub(crate) struct BinaryContent;

impl std::fmt::Display for BinaryContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("binary content (NUL byte) in a text file")
    }
}

impl std::error::Error for BinaryContent {}

enum Mode {
    /// Nothing read yet.
    Start,
    /// UTF-8 so far.
    Utf8,
    /// Decoding (Windows-1252 or UTF-16).
    Decoding(Decoder, bool),
}

/// A reader giving UTF-8 from text in UTF-8, UTF-16 (with BOM) or Windows-1252, in one pass.
pub(crate) struct SniffUtf8<R> {
    inner: R,
    mode: Mode,
    inbuf: Vec<u8>,
    /// Undecided bytes at the start of `inbuf` (an incomplete UTF-8 sequence, or input not yet
    /// taken by the decoder).
    pending: usize,
    outbuf: Vec<u8>,
    out_pos: usize,
    out_end: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> SniffUtf8<R> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            mode: Mode::Start,
            // A chunk read after what waits there: up to a direct read handed back by
            // `read_direct`.
            inbuf: vec![0; DIRECT + CHUNK + 4],
            pending: 0,
            outbuf: vec![0; CHUNK * 3 + 16],
            out_pos: 0,
            out_end: 0,
            eof: false,
            done: false,
        }
    }

    /// Reads more input after the `pending` bytes; returns how many bytes are now in `inbuf`.
    fn fill(&mut self) -> io::Result<usize> {
        let mut end = self.pending;
        let limit = (self.pending + CHUNK).min(self.inbuf.len());
        while end < limit {
            match self.inner.read(&mut self.inbuf[end..limit]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            // Decide on the first bytes before going on (a BOM needs at most 3).
            if matches!(self.mode, Mode::Start) && end >= 3 {
                break;
            }
        }
        Ok(end)
    }

    /// Produces the next piece of output into `outbuf`.
    fn step(&mut self) -> io::Result<()> {
        let end = self.fill()?;
        let mut start = 0;
        if matches!(self.mode, Mode::Start) {
            let head = &self.inbuf[..end];
            self.mode = if head.starts_with(&[0xFF, 0xFE]) {
                Mode::Decoding(UTF_16LE.new_decoder_with_bom_removal(), true)
            } else if head.starts_with(&[0xFE, 0xFF]) {
                Mode::Decoding(UTF_16BE.new_decoder_with_bom_removal(), true)
            } else {
                if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
                    start = 3;
                }
                Mode::Utf8
            };
        }
        let utf16 = matches!(self.mode, Mode::Decoding(_, true));
        if !utf16 && self.inbuf[start..end].contains(&0) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, BinaryContent));
        }
        self.out_pos = 0;
        self.out_end = 0;
        if let Mode::Utf8 = self.mode {
            // simdutf8: the same answer as `std::str::from_utf8`, several times faster on text.
            let valid = match simdutf8::compat::from_utf8(&self.inbuf[start..end]) {
                Ok(_) => end - start,
                Err(e) if e.error_len().is_none() && !self.eof => e.valid_up_to(),
                Err(e) if e.error_len().is_none() => {
                    // Cut short at the very end: not UTF-8 after all.
                    self.mode =
                        Mode::Decoding(WINDOWS_1252.new_decoder_without_bom_handling(), false);
                    e.valid_up_to()
                }
                Err(e) => {
                    self.mode =
                        Mode::Decoding(WINDOWS_1252.new_decoder_without_bom_handling(), false);
                    e.valid_up_to()
                }
            };
            self.outbuf[..valid].copy_from_slice(&self.inbuf[start..start + valid]);
            self.out_end = valid;
            start += valid;
            if let Mode::Utf8 = self.mode {
                // An incomplete sequence waits for the next chunk.
                self.inbuf.copy_within(start..end, 0);
                self.pending = end - start;
                if self.eof && self.pending == 0 {
                    self.done = true;
                }
                return Ok(());
            }
        }
        if let Mode::Decoding(decoder, _) = &mut self.mode {
            let (result, read, written, _) = decoder.decode_to_utf8(
                &self.inbuf[start..end],
                &mut self.outbuf[self.out_end..],
                self.eof,
            );
            self.out_end += written;
            start += read;
            self.inbuf.copy_within(start..end, 0);
            self.pending = end - start;
            if self.eof && self.pending == 0 && result == encoding_rs::CoderResult::InputEmpty {
                self.done = true;
            }
        }
        Ok(())
    }

    /// Once the text is known to be UTF-8 (so far), reads straight into the caller's buffer and
    /// checks it there: no copy through `inbuf` and `outbuf` for the text that is valid, nearly all
    /// of it. An incomplete sequence at the end waits in `inbuf` for the next read; from an invalid
    /// byte on, the rest goes back to `inbuf` and [`Self::step`] decodes it as Windows-1252.
    /// Returns `None` when nothing could be given this time (the caller goes on).
    fn read_direct(&mut self, out: &mut [u8]) -> io::Result<Option<usize>> {
        // At most `DIRECT`, so that what is not UTF-8 fits back in `inbuf`.
        let room = out.len().min(DIRECT);
        let out = &mut out[..room];
        let held = self.pending;
        out[..held].copy_from_slice(&self.inbuf[..held]);
        let mut n = held;
        while n == held && !self.eof {
            match self.inner.read(&mut out[held..]) {
                Ok(0) => self.eof = true,
                Ok(got) => n += got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Nothing is lost: the held bytes stay held.
                    return Err(e);
                }
            }
        }
        if memchr::memchr(0, &out[held..n]).is_some() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, BinaryContent));
        }
        let valid = match simdutf8::compat::from_utf8(&out[..n]) {
            Ok(_) => n,
            Err(e) => {
                if e.error_len().is_some() || self.eof {
                    // An invalid byte, or a sequence cut by the end of the file: not UTF-8 after all.
                    self.mode =
                        Mode::Decoding(WINDOWS_1252.new_decoder_without_bom_handling(), false);
                }
                e.valid_up_to()
            }
        };
        // `n - valid` is at most `DIRECT`: it fits.
        self.inbuf[..n - valid].copy_from_slice(&out[valid..n]);
        self.pending = n - valid;
        if self.eof && self.pending == 0 {
            self.done = true;
        }
        Ok((valid > 0 || self.done).then_some(valid))
    }
}

impl<R: Read> Read for SniffUtf8<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out_end {
                let n = out.len().min(self.out_end - self.out_pos);
                out[..n].copy_from_slice(&self.outbuf[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.done || out.is_empty() {
                return Ok(0);
            }
            // A buffer too small for a sequence (4 bytes) goes the long way.
            if matches!(self.mode, Mode::Utf8) && out.len() >= 4 {
                if let Some(n) = self.read_direct(out)? {
                    return Ok(n);
                }
                continue;
            }
            self.step()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> io::Result<String> {
        let mut out = String::new();
        SniffUtf8::new(bytes).read_to_string(&mut out)?;
        Ok(out)
    }

    /// Feeds the input one byte per read, to cross every chunk and sequence boundary.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), out.is_empty()) {
                (Some((b, rest)), false) => {
                    out[0] = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn utf8_windows_1252_and_utf16_in_one_pass() {
        assert_eq!(decode(b"a;b\n1;2\n").unwrap(), "a;b\n1;2\n");
        assert_eq!(
            decode("\u{feff}nb_ménages\n".as_bytes()).unwrap(),
            "nb_ménages\n"
        );
        assert_eq!(
            decode(b"nb_m\xe9nages;Li\xe9vin\n").unwrap(),
            "nb_ménages;Liévin\n"
        );
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "é;1\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&utf16).unwrap(), "é;1\n");
        // UTF-8 for a long while, then a Windows-1252 byte far into the file.
        let mut late = "Liévin;1\n".repeat(20_000).into_bytes();
        late.extend_from_slice(b"H\xe9nin;2\n");
        let text = decode(&late).unwrap();
        assert!(text.ends_with("Hénin;2\n"));
        assert_eq!(text.len(), late.len() + 1);
    }

    #[test]
    fn sequences_cut_across_reads_stay_whole() {
        let text = "é€😀;x\n".repeat(1000);
        let mut out = String::new();
        SniffUtf8::new(Trickle(text.as_bytes()))
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
        // A sequence cut by the end of the file is Windows-1252 after all.
        assert_eq!(decode(b"ab\xc3").unwrap(), "abÃ");
    }

    /// Reads all of `input` through reads of at most `size` bytes.
    fn decode_by(input: &[u8], size: usize) -> io::Result<Vec<u8>> {
        let mut reader = SniffUtf8::new(Trickle(input));
        let mut out = Vec::new();
        let mut buf = vec![0u8; size];
        loop {
            match reader.read(&mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn every_read_size_gives_the_same_text() {
        // UTF-8 with sequences of every length, then (far in) a Windows-1252 byte, then more text.
        let mut mixed = "é€😀;Liévin;1\n".repeat(5000).into_bytes();
        mixed.extend_from_slice(b"H\xe9nin;2\n");
        mixed.extend_from_slice("é;3\n".repeat(100).as_bytes());
        let utf8_only = "é€😀;x\n".repeat(9000).into_bytes();
        for input in [
            &mixed[..],
            &utf8_only[..],
            b"ab\xc3",
            b"\xef\xbb\xbfa;b\n1;2",
        ] {
            let whole = decode(input).unwrap();
            for size in [
                1,
                3,
                4,
                5,
                7,
                64,
                1000,
                CHUNK - 1,
                CHUNK + 7,
                3 * CHUNK,
                DIRECT + 7,
            ] {
                let got = decode_by(input, size).unwrap();
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    whole,
                    "reads of {size} bytes"
                );
            }
        }
        // A NUL found on the direct path is refused too.
        let mut late_nul = "a;b\n".repeat(30_000).into_bytes();
        late_nul.push(0);
        let err = decode_by(&late_nul, 1000).unwrap_err();
        assert!(err.get_ref().is_some_and(|e| e.is::<BinaryContent>()));
    }

    #[test]
    fn binary_content_is_refused() {
        let err = decode(b"PK\x03\x04\0\0").unwrap_err();
        assert!(err.get_ref().is_some_and(|e| e.is::<BinaryContent>()));
    }
}
