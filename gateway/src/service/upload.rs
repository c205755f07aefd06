//! Upload hygiene: safe display names, accepted extensions, content that matches its extension,
//! and the size limit enforced while the bytes stream in.

use bytes::Bytes;
use futures::Stream;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use unicode_normalization::UnicodeNormalization as _;

/// Longest stored name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Why an upload stream was stopped by the gateway (carried inside the `io::Error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadAbort {
    /// More bytes than the configured limit.
    #[error("the file exceeds the size limit of {0} bytes")]
    TooLarge(u64),
    /// The first bytes do not match the extension.
    #[error("the content does not match the .{0} extension")]
    ContentMismatch(String),
    /// The service was locked down while the file was streaming.
    #[error("the service was locked down during the transfer")]
    LockedDown,
}

/// Reduces a client-supplied file name to a safe display name: the base name only, Unicode NFC,
/// no control or bidirectional-override characters, trimmed, at most 200 characters with the
/// extension kept. `None` when nothing usable is left.
pub fn safe_name(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .nfc()
        .filter(|c| !c.is_control() && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'))
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| c.is_whitespace() || c == '.');
    if trimmed.is_empty() {
        return None;
    }
    let count = trimmed.chars().count();
    if count <= MAX_NAME_CHARS {
        return Some(trimmed.to_owned());
    }
    match trimmed.rsplit_once('.') {
        Some((stem, ext)) if !ext.is_empty() && ext.chars().count() <= 10 => {
            let keep = MAX_NAME_CHARS - ext.chars().count() - 1;
            let stem: String = stem.chars().take(keep).collect();
            Some(format!("{}.{ext}", stem.trim_end()))
        }
        _ => Some(trimmed.chars().take(MAX_NAME_CHARS).collect()),
    }
}

/// The lowercase extension of a name, if any.
pub fn extension(name: &str) -> Option<String> {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .filter(|e| !e.is_empty())
}

/// What the first bytes of a file with this extension must look like.
fn check_head(ext: &str, head: &[u8], complete: bool) -> Result<bool, UploadAbort> {
    let mismatch = || UploadAbort::ContentMismatch(ext.to_owned());
    let magic: &[u8] = match ext {
        "xlsx" | "ods" | "zip" => b"PK\x03\x04",
        "xls" => &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
        "pdf" => b"%PDF",
        "csv" => {
            // Text: a NUL byte in the first kilobytes means a binary file under a .csv name.
            if head.contains(&0) {
                return Err(mismatch());
            }
            return Ok(head.len() >= 4096 || complete);
        }
        _ => return Ok(true),
    };
    if head.len() < magic.len() {
        if complete {
            return Err(mismatch());
        }
        return Ok(false);
    }
    if head.starts_with(magic) {
        Ok(true)
    } else {
        Err(mismatch())
    }
}

/// The stream returned by [`guard`]: a plain state machine, so that a frame costs a few
/// comparisons and no allocation.
struct Guard<S> {
    input: S,
    limit: u64,
    ext: String,
    seen: u64,
    /// The first bytes, kept until the magic number check has decided.
    head: Vec<u8>,
    checked: bool,
    done: bool,
}

fn abort(reason: UploadAbort) -> io::Error {
    io::Error::other(reason)
}

impl<S> Guard<S> {
    /// Checks a frame; `Err` stops the stream.
    fn check(&mut self, chunk: &[u8]) -> Result<(), UploadAbort> {
        self.seen += chunk.len() as u64;
        if self.seen > self.limit {
            return Err(UploadAbort::TooLarge(self.limit));
        }
        if !self.checked {
            let room = 4096usize.saturating_sub(self.head.len());
            self.head.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if check_head(&self.ext, &self.head, false)? {
                self.checked = true;
                self.head = Vec::new();
            }
        }
        Ok(())
    }
}

impl<S> Stream for Guard<S>
where
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let item = match Pin::new(&mut this.input).poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        let out = match item {
            None => {
                this.done = true;
                if this.checked {
                    None
                } else {
                    check_head(&this.ext, &this.head, true)
                        .err()
                        .map(|reason| Err(abort(reason)))
                }
            }
            Some(Err(e)) => {
                this.done = true;
                Some(Err(e))
            }
            Some(Ok(chunk)) => match this.check(&chunk) {
                Ok(()) => Some(Ok(chunk)),
                Err(reason) => {
                    this.done = true;
                    Some(Err(abort(reason)))
                }
            },
        };
        Poll::Ready(out)
    }
}

/// Wraps an upload stream: stops it with an [`UploadAbort`] once it exceeds `limit` bytes or when
/// its first bytes contradict the extension `ext`. The bytes themselves pass through untouched.
pub fn guard<S>(
    input: S,
    limit: u64,
    ext: String,
) -> impl Stream<Item = io::Result<Bytes>> + Send + Unpin
where
    S: Stream<Item = io::Result<Bytes>> + Send + Unpin + 'static,
{
    Guard {
        input,
        limit,
        ext,
        seen: 0,
        head: Vec::new(),
        checked: false,
        done: false,
    }
}

/// The reason inside an `io::Error` produced by [`guard`], if it is one.
pub fn abort_reason(e: &io::Error) -> Option<&UploadAbort> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<UploadAbort>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;

    #[test]
    fn names_are_reduced_to_safe_base_names() {
        assert_eq!(
            safe_name("../../etc/passwd.csv").as_deref(),
            Some("passwd.csv")
        );
        assert_eq!(
            safe_name("C:\\Users\\x\\évaluation.csv").as_deref(),
            Some("évaluation.csv")
        );
        assert_eq!(
            safe_name("e\u{301}te\u{301}.csv").as_deref(),
            Some("été.csv")
        );
        assert_eq!(
            safe_name("a\u{0}b\u{7}\u{202E}vsc.exe").as_deref(),
            Some("abvsc.exe")
        );
        assert_eq!(
            safe_name("  ..rapport.pdf.. ").as_deref(),
            Some("rapport.pdf")
        );
        assert_eq!(safe_name("../.."), None);
        assert_eq!(safe_name(""), None);
        let long = format!("{}.xlsx", "é".repeat(300));
        let s = safe_name(&long).unwrap();
        assert_eq!(s.chars().count(), MAX_NAME_CHARS);
        assert!(s.ends_with(".xlsx"));
        assert_eq!(extension("Données.CSV").as_deref(), Some("csv"));
        assert_eq!(extension("sans-extension"), None);
    }

    async fn run(chunks: Vec<&'static [u8]>, limit: u64, ext: &str) -> Result<usize, UploadAbort> {
        let input = futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c))));
        let mut g = guard(input, limit, ext.to_owned());
        let mut n = 0;
        while let Some(item) = g.next().await {
            match item {
                Ok(b) => n += b.len(),
                Err(e) => return Err(abort_reason(&e).cloned().unwrap()),
            }
        }
        Ok(n)
    }

    #[tokio::test]
    async fn limits_and_magic_numbers_are_enforced_while_streaming() {
        assert_eq!(run(vec![b"PK\x03", b"\x04rest"], 100, "xlsx").await, Ok(8));
        assert_eq!(run(vec![b"a;b\n", b"1;2\n"], 8, "csv").await, Ok(8));
        assert_eq!(
            run(vec![b"a;b\n", b"1;2\n", b"x"], 8, "csv").await,
            Err(UploadAbort::TooLarge(8))
        );
        assert_eq!(
            run(vec![b"nom;prenom\n"], 100, "xlsx").await,
            Err(UploadAbort::ContentMismatch("xlsx".into()))
        );
        assert_eq!(
            run(vec![b"PK"], 100, "zip").await,
            Err(UploadAbort::ContentMismatch("zip".into()))
        );
        assert_eq!(
            run(vec![b"a\0b"], 100, "csv").await,
            Err(UploadAbort::ContentMismatch("csv".into()))
        );
        assert_eq!(run(vec![b"%PDF-1.7"], 100, "pdf").await, Ok(8));
        assert_eq!(run(vec![], 100, "csv").await, Ok(0));
        assert_eq!(run(vec![b"%PD", b"F", b"-1.7"], 100, "pdf").await, Ok(8));
    }

    #[tokio::test]
    async fn the_stream_ends_after_an_error() {
        let input = futures::stream::iter([
            Ok(Bytes::from_static(b"PK\x03\x04")),
            Err(io::Error::other("client went away")),
            Ok(Bytes::from_static(b"never seen")),
        ]);
        let mut g = guard(input, 100, "zip".to_owned());
        assert_eq!(g.next().await.unwrap().unwrap().len(), 4);
        assert!(g.next().await.unwrap().is_err());
        assert!(g.next().await.is_none());
        let mut g = guard(
            futures::stream::iter([Ok(Bytes::from_static(b"xx"))]),
            1,
            "zip".into(),
        );
        assert!(abort_reason(&g.next().await.unwrap().unwrap_err()).is_some());
        assert!(g.next().await.is_none());
    }
}
