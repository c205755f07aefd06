//! Lingering on what a handler left of a request body, so that its answer reaches the client.
//!
//! A handler that answers before reading the body (a 404 for a mission the caller may not see, a
//! 401, a refused content type) leaves the rest of the body in the socket. Over HTTP/1.1 hyper then
//! closes the connection, and a close with unread bytes sends a TCP reset: the client's kernel
//! discards the answer it had not read yet, and the client sees "connection reset" or a TLS EOF
//! instead of the 404. The cure is nginx's `lingering_close`: read and discard what is left, within
//! a bound, before answering. Here the bound is [`LINGER_BYTES`] and [`LINGER_TIME`]; beyond either
//! the connection is closed as before, and the answer says `Connection: close`.
//!
//! How the middleware gets the body back: the handler receives it wrapped in [`Returned`], which,
//! when dropped before its end, hands the rest of the body back through a channel.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Version};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt as _;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::oneshot;

/// The most of an unread body read and discarded before answering.
pub(crate) const LINGER_BYTES: u64 = 1024 * 1024;
/// The longest spent reading it.
pub(crate) const LINGER_TIME: Duration = Duration::from_secs(2);

/// Reads and discards, within bounds, what the handler left of an HTTP/1 request body.
pub(crate) async fn linger(req: Request, next: Next) -> Response {
    // HTTP/2 ends a stream on its own (RST_STREAM) without touching the connection.
    if req.version() >= Version::HTTP_2 || !announces_body(req.headers()) {
        return next.run(req).await;
    }
    let declared = content_length(req.headers());
    let (back, mut returned) = oneshot::channel();
    let req = req.map(|inner| {
        Body::new(Returned {
            inner: Some(inner),
            back: Some(back),
            read: 0,
        })
    });
    let mut response = next.run(req).await;
    // The body comes back only when the handler dropped it unfinished; if something still holds
    // it (a task reading it), there is nothing to do.
    let Ok((rest, read)) = returned.try_recv() else {
        return response;
    };
    let left = declared.map(|n| n.saturating_sub(read));
    let drained = match left {
        Some(n) if n > LINGER_BYTES => false,
        _ => drain(rest, LINGER_BYTES).await,
    };
    if !drained {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Whether the request says a body follows.
fn announces_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || content_length(headers).is_some_and(|n| n > 0)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads `body` to its end, discarding it; false when it is longer than `budget`, fails or takes
/// longer than [`LINGER_TIME`].
async fn drain(body: Body, budget: u64) -> bool {
    let mut stream = body.into_data_stream();
    let reading = async {
        let mut left = budget;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) if (bytes.len() as u64) <= left => left -= bytes.len() as u64,
                _ => return false,
            }
        }
        true
    };
    tokio::time::timeout(LINGER_TIME, reading)
        .await
        .unwrap_or(false)
}

/// A request body that, dropped before its end, sends what is left of it back (with the count of
/// bytes already read).
struct Returned {
    inner: Option<Body>,
    back: Option<oneshot::Sender<(Body, u64)>>,
    read: u64,
}

impl HttpBody for Returned {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                let n = frame.data_ref().map_or(0, |d| d.len() as u64);
                self.read += n;
            }
            // At its end or broken, there is nothing left to give back.
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => self.back = None,
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for Returned {
    fn drop(&mut self) {
        if let (Some(inner), Some(back)) = (self.inner.take(), self.back.take()) {
            if !inner.is_end_stream() {
                // The receiver may be gone (the middleware already answered): nothing to do then.
                let _ = back.send((inner, self.read));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unfinished_body_comes_back_and_a_finished_one_does_not() {
        let (tx, rx) = oneshot::channel();
        let body = Returned {
            inner: Some(Body::from(vec![7u8; 10])),
            back: Some(tx),
            read: 0,
        };
        drop(body);
        let (rest, read) = rx.await.expect("the rest comes back");
        assert_eq!(read, 0);
        assert!(drain(rest, 10).await);

        let (tx, rx) = oneshot::channel();
        let body = Body::new(Returned {
            inner: Some(Body::from(vec![7u8; 10])),
            back: Some(tx),
            read: 0,
        });
        let all = axum::body::to_bytes(body, 100).await.expect("read");
        assert_eq!(all.len(), 10);
        assert!(
            rx.await.is_err(),
            "a body read to its end is not given back"
        );
    }

    #[tokio::test]
    async fn draining_stops_at_its_budget() {
        let body = Body::from(vec![0u8; 100]);
        assert!(!drain(body, 99).await);
    }
}
