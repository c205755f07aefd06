//! The HTTPS accept loop: TLS handshake under a deadline, HTTP/1.1 and HTTP/2 with bounded headers
//! and header read time-outs, and a cap on simultaneous connections.

use crate::config::HttpConfig;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

/// Largest read buffer of an HTTP/1.1 connection (the request head is limited separately, by
/// `http.max_header_bytes`). Memory: it grows to this size only while a body streams in fast.
const H1_READ_BUFFER: usize = 256 * 1024;

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    router: Router,
    http: HttpConfig,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let acceptor = TlsAcceptor::from(tls);
    let permits = Arc::new(Semaphore::new(http.max_connections));
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection refused: too many connections");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let router = router.clone();
        let http = http.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let handshake = Duration::from_secs(http.handshake_timeout_secs);
            let stream = match tokio::time::timeout(handshake, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    router.clone().oneshot(req.map(axum::body::Body::new))
                },
            );
            // The protocol is the one negotiated by ALPN (HTTP/2 over TLS requires it).
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            let io = TokioIo::new(stream);
            let served = if h2 {
                hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .timer(TokioTimer::new())
                    .max_header_list_size(u32::try_from(http.max_header_bytes).unwrap_or(u32::MAX))
                    .max_concurrent_streams(64)
                    .keep_alive_interval(Some(Duration::from_secs(30)))
                    .keep_alive_timeout(Duration::from_secs(20))
                    .serve_connection(io, service)
                    .await
            } else {
                // The request head is bounded on its own, so that the read buffer can be larger:
                // request bodies (uploads) then arrive in reads of up to H1_READ_BUFFER bytes
                // instead of one TLS record at a time.
                hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(http.header_read_timeout_secs))
                    .max_header_size(http.max_header_bytes)
                    .max_buf_size(H1_READ_BUFFER.max(http.max_header_bytes).max(8192))
                    .max_headers(100)
                    .serve_connection(io, service)
                    .with_upgrades()
                    .await
            };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}
