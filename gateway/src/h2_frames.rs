//! HTTP/2 response bodies cut so that each DATA frame fills exactly one TLS record.
//!
//! The h2 crate cuts what a body yields into DATA frames of the client's largest frame size
//! (16,384 bytes for curl and the browsers) and writes each frame, 9-byte header included, with
//! its own write. A TLS record carries at most 16,384 bytes, so a 16,393-byte frame became two
//! records: a full one and one of 9 bytes, each with its own header, tag and decryption on the
//! client, which then read twice as many records as from nginx (whose 16 KiB `ssl_buffer_size`
//! packs frames into full records). Handing h2 pieces of [`PIECE`] bytes (16,384 − 9) makes
//! every frame 16,384 bytes: one full record per frame, as many records as nginx sends. The
//! pieces are slices of the body's own buffers (no copy).

use axum::body::{Body, Bytes};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Largest payload handed to h2 at once: a TLS record (16,384 bytes) minus an HTTP/2 frame header.
pub(crate) const PIECE: usize = 16_384 - 9;

/// A response body whose data frames are at most [`PIECE`] bytes.
pub(crate) struct RecordSized {
    inner: Body,
    /// What is left of the last data frame the inner body gave.
    rest: Bytes,
}

impl RecordSized {
    /// Wraps a body.
    pub(crate) fn new(inner: Body) -> Self {
        Self {
            inner,
            rest: Bytes::new(),
        }
    }

    fn piece(&mut self) -> Frame<Bytes> {
        let n = self.rest.len().min(PIECE);
        Frame::data(self.rest.split_to(n))
    }
}

impl HttpBody for RecordSized {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if !this.rest.is_empty() {
            return Poll::Ready(Some(Ok(this.piece())));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) if data.len() > PIECE => {
                    this.rest = data;
                    Poll::Ready(Some(Ok(this.piece())))
                }
                Ok(data) => Poll::Ready(Some(Ok(Frame::data(data)))),
                Err(other) => Poll::Ready(Some(Ok(other))),
            },
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let inner = self.inner.size_hint();
        let rest = self.rest.len() as u64;
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower().saturating_add(rest));
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper.saturating_add(rest));
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use http_body_util::BodyExt as _;

    #[tokio::test]
    async fn pieces_are_record_sized_and_keep_every_byte_in_order() {
        let chunks: Vec<Vec<u8>> = [0usize, 1, PIECE, PIECE + 1, 256 * 1024, 3 * PIECE - 1]
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| (i * 31 + j) as u8).collect())
            .collect();
        let expected: Vec<u8> = chunks.concat();
        let stream = futures::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, std::io::Error>(Bytes::from(c))),
        );
        let mut body = RecordSized::new(Body::from_stream(stream));
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            sizes.push(data.len());
            got.extend_from_slice(&data);
        }
        assert_eq!(got, expected);
        assert!(sizes.iter().all(|&n| n <= PIECE), "{sizes:?}");
        // A 256 KiB chunk is cut into full pieces and one remainder.
        assert_eq!(sizes.iter().filter(|&&n| n == PIECE).count(), 1 + 1 + 16 + 2);
        assert!(body.is_end_stream());
    }

    #[tokio::test]
    async fn the_size_hint_counts_what_is_left() {
        let body = RecordSized::new(Body::from(vec![7u8; 100_000]));
        assert_eq!(body.size_hint().exact(), Some(100_000));
        let mut body = body;
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first.len(), PIECE);
        assert_eq!(body.size_hint().exact(), Some(100_000 - PIECE as u64));
    }
}
