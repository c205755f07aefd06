//! A small S3 client: SigV4-signed requests over reqwest (rustls with the ring provider, the one
//! TLS stack of the project), path-style or virtual-hosted addressing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use zeroize::Zeroizing;

use super::sign::{self, ToSign};
use super::S3Config;
use crate::error::{Result, StorageError};

/// The largest answer read from the object store: a few read blocks or one XML page.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Bodies up to this size are hashed for the signature on the calling thread.
const SMALL_BODY: usize = 64 * 1024;

/// Attempts of a call that may be sent again (see [`repeatable`]) when the object store fails it
/// for a moment (`503 SlowDown`, a connection reset): three, as in the AWS SDKs' standard mode.
const ATTEMPTS: u32 = 3;
/// The wait before the second attempt, doubled before each later one.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Answers that mean "not now" rather than "no": throttling and server-side failures.
fn transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Whether a call may be sent again when its first attempt's outcome is unknown (the server may
/// have acted on it before the answer was lost): reads, deletions (an object or a multipart
/// upload already gone is no error) and the upload of a part (sent again, it replaces itself).
/// Never a conditional create or a POST (starting or completing a multipart upload): a second
/// attempt there could be refused where the first succeeded, or start a second upload.
fn repeatable(method: &Method, headers: &[(&'static str, String)]) -> bool {
    match *method {
        Method::GET | Method::HEAD | Method::DELETE => true,
        Method::PUT => !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("if-none-match")),
        _ => false,
    }
}

/// A failed attempt: the error, and whether another attempt may succeed.
struct Failed(StorageError, bool);

/// An answer to an attempt, which may say "not now" (see [`transient`]).
trait Attempted {
    fn status(&self) -> StatusCode;
    /// The error a transient answer makes when another attempt follows.
    fn into_error(self) -> StorageError;
}

impl Attempted for Answer {
    fn status(&self) -> StatusCode {
        self.status
    }
    fn into_error(self) -> StorageError {
        unexpected("calling", &self)
    }
}

/// A streamed answer and the name of its request.
impl Attempted for (reqwest::Response, String) {
    fn status(&self) -> StatusCode {
        self.0.status()
    }
    fn into_error(self) -> StorageError {
        let status = std::io::Error::other(format!("HTTP {}", self.0.status().as_u16()));
        StorageError::io(format!("calling the object store ({})", self.1), status)
    }
}

/// A payload as a maker of one per attempt, and whether it can be made more than once: bytes in
/// memory are sent again as they are, a stream only once.
fn remake(payload: Payload) -> (bool, impl FnMut() -> Payload) {
    let again = matches!(payload, Payload::Bytes(_));
    let mut payload = Some(payload);
    let make = move || match &payload {
        Some(Payload::Bytes(b)) => Payload::Bytes(b.clone()),
        _ => payload.take().unwrap_or(Payload::Bytes(Bytes::new())),
    };
    (again, make)
}

/// What a request carries.
pub(crate) enum Payload {
    /// Bytes in memory, signed with their SHA-256.
    Bytes(Bytes),
    /// A streamed body of a known length, sent as `UNSIGNED-PAYLOAD` (a part staged on disk:
    /// TLS protects it on the way, and every segment of a blob is authenticated by AES-GCM,
    /// so a second hash of it would cost as much CPU as the upload's own SHA-256 for nothing).
    Stream(reqwest::Body, u64),
}

impl From<Bytes> for Payload {
    fn from(body: Bytes) -> Self {
        Payload::Bytes(body)
    }
}

/// A response read whole (S3 answers here are small: XML documents or one read block).
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The S3 error code of an error answer (`NoSuchKey`, `PreconditionFailed`…), if any.
    pub(crate) fn code(&self) -> Option<String> {
        super::xml::first_text(&self.body, "Code")
    }

    /// A short sentence for logs: status, S3 code and message (never the request's secrets).
    pub(crate) fn describe(&self) -> String {
        let code = self.code().unwrap_or_default();
        let msg = super::xml::first_text(&self.body, "Message").unwrap_or_default();
        format!("HTTP {} {code} {msg}", self.status.as_u16())
            .trim()
            .to_owned()
    }
}

/// Request counters, for tests and logs.
#[derive(Debug, Default)]
pub struct S3Stats {
    /// Ranged or whole GETs of objects sent.
    pub gets: AtomicU64,
    /// Body bytes received by those GETs.
    pub bytes_fetched: AtomicU64,
    /// Bytes of parts staged on disk at once by all the uploads, at most.
    pub staged_peak: AtomicU64,
    /// Bytes of parts staged on disk now.
    pub staged_now: AtomicU64,
}

pub(crate) struct Client {
    http: reqwest::Client,
    endpoint: Url,
    bucket: String,
    region: String,
    key_id: String,
    secret: Zeroizing<String>,
    path_style: bool,
    pub stats: Arc<S3Stats>,
    /// Where parts wait to be sent: unnamed files, gone with their last handle.
    pub(crate) staging: std::path::PathBuf,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint.as_str())
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

pub(crate) fn config_err(msg: String) -> StorageError {
    StorageError::Backend(msg)
}

fn tls_config(ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            let mut reader = pem;
            for cert in rustls_pemfile::certs(&mut reader) {
                let cert = cert.map_err(|e| config_err(format!("storage.s3.ca_file: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| config_err(format!("storage.s3.ca_file: {e}")))?;
            }
            if roots.is_empty() {
                return Err(config_err(
                    "storage.s3.ca_file holds no PEM certificate".into(),
                ));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| config_err(format!("TLS set-up for the object store: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

impl Client {
    pub(crate) fn new(config: &S3Config, endpoint: Url) -> Result<Client> {
        let tls = tls_config(config.ca_pem.as_deref())?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(120))
            .pool_idle_timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| config_err(format!("HTTP client for the object store: {e}")))?;
        Ok(Client {
            http,
            endpoint,
            bucket: config.bucket.clone(),
            region: config.region.clone(),
            key_id: config.access_key_id.clone(),
            secret: Zeroizing::new(config.secret_access_key.clone()),
            path_style: config.path_style,
            stats: Arc::new(S3Stats::default()),
            staging: config
                .staging_dir
                .clone()
                .unwrap_or_else(std::env::temp_dir),
        })
    }

    /// URL, `host[:port]` and encoded path of an object key (`""`: the bucket itself).
    pub(crate) fn target(&self, key: &str) -> Result<(Url, String, String)> {
        let mut url = self.endpoint.clone();
        let base = self.endpoint.path().trim_end_matches('/');
        let path = if self.path_style && key.is_empty() {
            format!("{base}/{}", self.bucket)
        } else if self.path_style {
            format!("{base}/{}/{key}", self.bucket)
        } else {
            let host = format!("{}.{}", self.bucket, self.endpoint.host_str().unwrap_or(""));
            url.set_host(Some(&host))
                .map_err(|e| config_err(format!("storage.s3.bucket as a host name: {e}")))?;
            format!("{base}/{key}")
        };
        let path = sign::encode_path(&path);
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
            None => url.host_str().unwrap_or("").to_owned(),
        };
        Ok((url, host, path))
    }

    /// Sends a signed request and returns the answer as soon as its headers are in, its body
    /// still to be read (a streamed GET); `what` names the request in errors. A repeatable call
    /// (see [`repeatable`]) with a payload in memory is attempted again, up to [`ATTEMPTS`] times
    /// in all, when the connection fails or the answer is transient.
    pub(crate) async fn request(
        &self,
        method: Method,
        key: &str,
        query: &[(&str, &str)],
        headers: &[(&'static str, String)],
        payload: impl Into<Payload>,
    ) -> Result<(reqwest::Response, String)> {
        let (again, make) = remake(payload.into());
        let again = again && repeatable(&method, headers);
        self.attempts(again, make, |payload| {
            self.request_once(&method, key, query, headers, payload)
        })
        .await
    }

    /// Runs `once` with a payload from `make` until it succeeds, fails for good, or has been
    /// attempted [`ATTEMPTS`] times (once only unless `again`), waiting in between. A transient
    /// answer to any attempt but the last counts as a failure; to the last, it is returned.
    async fn attempts<T: Attempted, F>(
        &self,
        again: bool,
        mut make: impl FnMut() -> Payload,
        mut once: impl FnMut(Payload) -> F,
    ) -> Result<T>
    where
        F: std::future::Future<Output = std::result::Result<T, Failed>>,
    {
        let mut attempt = 1;
        loop {
            let last = !again || attempt >= ATTEMPTS;
            let failed = match once(make()).await {
                Ok(answer) if !last && transient(answer.status()) => {
                    Failed(answer.into_error(), true)
                }
                Ok(answer) => return Ok(answer),
                Err(failed) => failed,
            };
            attempt = self.next_attempt(again, attempt, failed).await?;
        }
    }

    /// After a failed attempt: waits and returns the next attempt's number, or gives the error
    /// when the call may not or need not be sent again.
    async fn next_attempt(
        &self,
        again: bool,
        attempt: u32,
        Failed(e, transient): Failed,
    ) -> Result<u32> {
        if !again || !transient || attempt >= ATTEMPTS {
            return Err(e);
        }
        let wait = FIRST_BACKOFF * 2u32.pow(attempt - 1);
        tracing::warn!(error = %e, attempt, ?wait, "the object store failed a call; trying again");
        tokio::time::sleep(wait).await;
        Ok(attempt + 1)
    }

    /// One attempt of [`Self::request`].
    async fn request_once(
        &self,
        method: &Method,
        key: &str,
        query: &[(&str, &str)],
        headers: &[(&'static str, String)],
        payload: Payload,
    ) -> std::result::Result<(reqwest::Response, String), Failed> {
        let fail = |e| Failed(e, false);
        let (mut url, host, path) = self.target(key).map_err(fail)?;
        let query_str = sign::canonical_query(query);
        url.set_path(&path);
        url.set_query((!query_str.is_empty()).then_some(query_str.as_str()));
        // A large document (the list of parts completing a big upload) is hashed off the runtime
        // threads; an empty or small body right here (a hop to the blocking pool would cost more
        // than the hash). Parts themselves are streamed unsigned.
        let (hash, body, length) = match payload {
            Payload::Bytes(body) if body.len() <= SMALL_BODY => {
                (sign::payload_hash(&body), reqwest::Body::from(body), None)
            }
            Payload::Bytes(body) => {
                let hashed = body.clone();
                let hash = tokio::task::spawn_blocking(move || sign::payload_hash(&hashed))
                    .await
                    .map_err(|e| {
                        fail(StorageError::io(
                            "hashing a request",
                            std::io::Error::other(e),
                        ))
                    })?;
                (hash, reqwest::Body::from(body), None)
            }
            Payload::Stream(body, len) => ("UNSIGNED-PAYLOAD".to_owned(), body, Some(len)),
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let amz_date = sign::amz_date(now);
        let auth = sign::authorization(
            &ToSign {
                method: method.as_str(),
                path: &path,
                query: &query_str,
                host: &host,
                payload_hash: &hash,
                amz_date: &amz_date,
            },
            &self.region,
            &self.key_id,
            &self.secret,
        );
        let mut map = HeaderMap::new();
        let hv = |v: &str| {
            HeaderValue::from_str(v)
                .map_err(|e| StorageError::io("building a request", std::io::Error::other(e)))
        };
        map.insert("x-amz-date", hv(&amz_date).map_err(fail)?);
        map.insert("x-amz-content-sha256", hv(&hash).map_err(fail)?);
        map.insert(reqwest::header::AUTHORIZATION, hv(&auth).map_err(fail)?);
        for (name, value) in headers {
            map.insert(HeaderName::from_static(name), hv(value).map_err(fail)?);
        }
        if let Some(len) = length {
            map.insert(
                reqwest::header::CONTENT_LENGTH,
                hv(&len.to_string()).map_err(fail)?,
            );
        }
        let what = format!("{method} {}", url.path());
        let resp = self
            .http
            .request(method.clone(), url)
            .headers(map)
            .body(body)
            .send()
            .await
            .map_err(|e| Failed(transport(&what, e), true))?;
        Ok((resp, what))
    }

    /// Sends a signed request and reads the whole answer; attempted again as [`Self::request`]
    /// is, including when the answer's body is cut short.
    pub(crate) async fn send(
        &self,
        method: Method,
        key: &str,
        query: &[(&str, &str)],
        headers: &[(&'static str, String)],
        payload: impl Into<Payload>,
    ) -> Result<Answer> {
        let (again, make) = remake(payload.into());
        let again = again && repeatable(&method, headers);
        self.attempts(again, make, |payload| {
            self.send_once(&method, key, query, headers, payload)
        })
        .await
    }

    /// [`Self::send`] with a payload made afresh for each attempt by `make` (a part staged on
    /// disk, read again from its file), so that a streamed body is attempted again too when the
    /// call is [`repeatable`].
    pub(crate) async fn send_with(
        &self,
        method: Method,
        key: &str,
        query: &[(&str, &str)],
        headers: &[(&'static str, String)],
        make: impl FnMut() -> Payload,
    ) -> Result<Answer> {
        let again = repeatable(&method, headers);
        self.attempts(again, make, |payload| {
            self.send_once(&method, key, query, headers, payload)
        })
        .await
    }

    /// One attempt of [`Self::send`] and [`Self::send_with`].
    async fn send_once(
        &self,
        method: &Method,
        key: &str,
        query: &[(&str, &str)],
        headers: &[(&'static str, String)],
        payload: Payload,
    ) -> std::result::Result<Answer, Failed> {
        let is_get = *method == Method::GET && !key.is_empty();
        let (resp, what) = self
            .request_once(method, key, query, headers, payload)
            .await?;
        let io = |e: reqwest::Error| Failed(transport(&what, e), true);
        let status = resp.status();
        let headers = resp.headers().clone();
        // An answer is a block asked for by range or an XML page: bounded before it is read, so a
        // server that ignores a Range (or a misconfigured endpoint) cannot make us hold a whole object.
        let too_big = || {
            Failed(
                StorageError::io(
                    format!("calling the object store ({what})"),
                    std::io::Error::other(format!("answer over {MAX_ANSWER_BYTES} bytes")),
                ),
                false,
            )
        };
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
        {
            return Err(too_big());
        }
        let mut resp = resp;
        // The length is bounded just above: reserve it (one allocation, no regrowth).
        let mut body = bytes::BytesMut::with_capacity(resp.content_length().unwrap_or(0) as usize);
        while let Some(chunk) = resp.chunk().await.map_err(io)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        if is_get && status.is_success() {
            self.stats.gets.fetch_add(1, Ordering::Relaxed);
            self.stats
                .bytes_fetched
                .fetch_add(body.len() as u64, Ordering::Relaxed);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// An error of the HTTP exchange itself (connection, timeout, body cut short) for `what`.
pub(crate) fn transport(what: &str, e: reqwest::Error) -> StorageError {
    StorageError::io(
        format!("calling the object store ({what})"),
        std::io::Error::other(e),
    )
}

/// An error for an unexpected answer to `what`.
pub(crate) fn unexpected(what: &str, answer: &Answer) -> StorageError {
    StorageError::io(
        format!("{what} on the object store"),
        std::io::Error::other(answer.describe()),
    )
}
