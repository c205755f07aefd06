//! The HTTPS accept loop: TLS handshake under a deadline, HTTP/1.1 and HTTP/2 with bounded headers
//! and header read time-outs, a cap on simultaneous connections overall and per client address,
//! idle connections closed, and the client address taken from trusted proxies' `X-Forwarded-For`.

use crate::config::HttpConfig;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

/// Largest read buffer of an HTTP/1.1 connection (the request head is limited separately, by
/// `http.max_header_bytes`). Memory: it grows to this size only while a body streams in fast.
const H1_READ_BUFFER: usize = 128 * 1024;
/// Concurrent HTTP/2 streams one connection may open.
const H2_MAX_STREAMS: u32 = 64;
/// Read buffer between the socket and TLS. rustls asks the socket for at most 4 KiB at a time, so
/// without it an upload costs one `read(2)` per 4 KiB (262,144 per GiB); with it, one per 32 KiB,
/// for one copy of the ciphertext. Memory: 32 KiB per connection.
const TLS_READ_BUFFER: usize = 32 * 1024;

/// What the idle watch of a connection looks at.
#[derive(Debug, Default)]
struct Activity {
    /// Requests received so far.
    seen: AtomicU64,
    /// Requests whose response head is not sent yet.
    in_flight: AtomicUsize,
}

/// Decrements the in-flight count when a request's handling ends (or is cancelled).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves one connection, shutting it down gracefully once no request came for `idle`
/// (HTTP/2 connections answering pings would otherwise stay open for ever).
macro_rules! serve_until_idle {
    ($conn:expr, $activity:expr, $idle:expr) => {{
        let conn = $conn;
        tokio::pin!(conn);
        let mut last_seen = u64::MAX;
        loop {
            tokio::select! {
                done = conn.as_mut() => break done,
                _ = tokio::time::sleep($idle) => {
                    let seen = $activity.seen.load(Ordering::Relaxed);
                    if seen == last_seen && $activity.in_flight.load(Ordering::Relaxed) == 0 {
                        conn.as_mut().graceful_shutdown();
                        break conn.as_mut().await;
                    }
                    last_seen = seen;
                }
            }
        }
    }};
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    router: Router,
    http: HttpConfig,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let acceptor = TlsAcceptor::from(tls);
    let permits = Arc::new(Semaphore::new(http.max_connections));
    let per_address = crate::net::PerAddress::default();
    let trusted = Arc::new(http.trusted_ranges());
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
        // Behind a trusted proxy every client shares the proxy's address: those connections
        // count against the global cap only.
        let slot = if crate::net::is_trusted(&trusted, peer.ip()) {
            None
        } else {
            match per_address.try_take(peer.ip(), http.max_connections_per_address) {
                Some(slot) => Some(slot),
                None => {
                    tracing::warn!(%peer, "connection refused: too many connections from this address");
                    continue;
                }
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection refused: too many connections");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let router = router.clone();
        let http = http.clone();
        let trusted = trusted.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _slot = slot;
            let handshake = Duration::from_secs(http.handshake_timeout_secs);
            let tcp = tokio::io::BufReader::with_capacity(TLS_READ_BUFFER, tcp);
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
            let activity = Arc::new(Activity::default());
            let idle = Duration::from_secs(http.idle_timeout_secs);
            let trusted = trusted.clone();
            let seen = activity.clone();
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    seen.seen.fetch_add(1, Ordering::Relaxed);
                    seen.in_flight.fetch_add(1, Ordering::Relaxed);
                    let in_flight = InFlight(seen.clone());
                    let forwarded = req
                        .headers()
                        .get_all("x-forwarded-for")
                        .iter()
                        .filter_map(|v| v.to_str().ok());
                    let client = crate::net::client_address(&trusted, peer.ip(), forwarded);
                    req.extensions_mut()
                        .insert(ConnectInfo(SocketAddr::new(client, peer.port())));
                    let call = router.clone().oneshot(req.map(axum::body::Body::new));
                    async move {
                        let response = call.await;
                        drop(in_flight);
                        response
                    }
                },
            );
            // The protocol is the one negotiated by ALPN (HTTP/2 over TLS requires it).
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            let io = TokioIo::new(stream);
            let served = if h2 {
                let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
                builder
                    .timer(TokioTimer::new())
                    .max_header_list_size(u32::try_from(http.max_header_bytes).unwrap_or(u32::MAX))
                    .max_concurrent_streams(H2_MAX_STREAMS)
                    .max_pending_accept_reset_streams(Some(20))
                    .max_local_error_reset_streams(Some(256))
                    .keep_alive_interval(Some(Duration::from_secs(30)))
                    .keep_alive_timeout(Duration::from_secs(20));
                serve_until_idle!(builder.serve_connection(io, service), activity, idle)
            } else {
                // The request head is bounded on its own, so that the read buffer can be larger:
                // request bodies (uploads) then arrive in reads of up to H1_READ_BUFFER bytes
                // instead of one TLS record at a time.
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(http.header_read_timeout_secs))
                    .max_header_size(http.max_header_bytes)
                    .max_buf_size(H1_READ_BUFFER.max(http.max_header_bytes).max(8192))
                    .max_headers(100);
                serve_until_idle!(
                    builder.serve_connection(io, service).with_upgrades(),
                    activity,
                    idle
                )
            };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}
