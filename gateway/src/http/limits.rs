//! Limits of the routes anyone may call without a session (the login steps and `/healthz`): a
//! whole-request deadline and a minimum body rate, so that slow clients cannot hold them.

use super::error::AppError;
use super::AppState;
use crate::service::Text;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use futures::Stream;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// Paths reachable without a session that read a body or answer anyone.
const UNAUTHENTICATED: &[&str] = &[
    "/healthz",
    "/api/v1/auth/login",
    "/api/v1/auth/password",
    "/api/v1/auth/totp",
    "/api/v1/auth/webauthn",
    "/connexion",
    "/connexion/mot-de-passe",
    "/connexion/code",
    "/connexion/cle",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
    "/mot-de-passe-oublie",
    "/mot-de-passe-oublie/nouveau",
    "/invitation",
];

/// Grace before the body rate is enforced.
const GRACE: Duration = Duration::from_secs(1);

/// Whether `path` is one of the unauthenticated routes.
pub(crate) fn is_unauthenticated(path: &str) -> bool {
    UNAUTHENTICATED.contains(&path)
}

/// Applies the deadline and the minimum body rate to the unauthenticated routes.
pub(crate) async fn unauthenticated_limits(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if !is_unauthenticated(req.uri().path()) {
        return next.run(req).await;
    }
    let http = &state.core.config.http;
    let deadline = Duration::from_secs(http.unauthenticated_deadline_secs);
    let rate = http.unauthenticated_min_body_rate;
    let req = req.map(|body| {
        if rate == 0 {
            body
        } else {
            Body::from_stream(MinRate::new(body, rate))
        }
    });
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::new(
            StatusCode::REQUEST_TIMEOUT,
            "invalid_request",
            Text::new(
                "La requête a pris trop de temps : recommencez.",
                "The request took too long: try again.",
            ),
        )
        .into_response(),
    }
}

/// A body that fails once it has delivered less than `rate` bytes per second (after [`GRACE`]).
struct MinRate {
    inner: axum::body::BodyDataStream,
    rate: u64,
    start: Instant,
    received: u64,
    due: Pin<Box<Sleep>>,
}

impl MinRate {
    fn new(body: Body, rate: u64) -> Self {
        let start = Instant::now();
        Self {
            inner: body.into_data_stream(),
            rate,
            start,
            received: 0,
            due: Box::pin(tokio::time::sleep_until(start + GRACE)),
        }
    }

    /// The instant by which more bytes must have come.
    fn next_due(&self) -> Instant {
        let earned = Duration::from_millis(self.received.saturating_mul(1000) / self.rate);
        self.start + GRACE + earned
    }
}

impl Stream for MinRate {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                self.received += bytes.len() as u64;
                let due = self.next_due();
                self.due.as_mut().reset(due);
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(std::io::Error::other(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.due.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "request body too slow",
                )))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;

    #[tokio::test]
    async fn a_trickling_body_is_cut() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
        let body = Body::from_stream(tokio_stream_from(rx));
        let mut slow = MinRate::new(body, 100);
        tx.send(Ok(Bytes::from_static(b"x"))).await.unwrap();
        assert!(slow.next().await.unwrap().is_ok());
        // 1 byte earns 10 ms after the one-second grace: silence beyond that fails.
        let started = Instant::now();
        assert!(slow.next().await.unwrap().is_err());
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(tx);
    }

    fn tokio_stream_from(
        mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }

    #[test]
    fn only_the_login_steps_and_healthz() {
        assert!(is_unauthenticated("/api/v1/auth/login"));
        assert!(is_unauthenticated("/healthz"));
        assert!(!is_unauthenticated("/api/v1/missions"));
    }
}
