//! Uploads (multipart, streamed straight into the encrypted store), downloads with ranges,
//! release and deletion.

use super::error::{ApiResult, AppError};
use super::extract::{same_token, Authed};
use super::views::{DownloadList, ErrorBody, FileList, FileView};
use super::AppState;
use crate::domain::File as FileRow;
use crate::service::files::RangeSpec;
use crate::service::permissions::Folder;
use crate::service::{Actor, Core};
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::TryStreamExt as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use utoipa::ToSchema;

/// RFC 5987 `attr-char`: everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `Content-Disposition: attachment` with an ASCII fallback and the exact UTF-8 name (RFC 6266, RFC 5987).
pub(crate) fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR_CHAR)
    )
}

fn bad_multipart() -> AppError {
    AppError::bad_request(
        "Envoyez le fichier en multipart/form-data, dans une partie nommée « file ».",
        "Send the file as multipart/form-data, in a part named \"file\".",
    )
}

/// Where an upload's anti-forgery token comes from.
pub(crate) enum UploadCsrf<'a> {
    /// Already checked (bearer token, or the API's `X-CSRF-Token` header).
    Checked,
    /// Expected in a `csrf_token` part placed before the file (the web form without script).
    InForm(&'a str),
}

/// Streams the `file` part of a multipart body into a mission's folder, for the API and for the
/// web form alike. The file part is bounded while it streams (by the service); every other part,
/// and the body as a whole, are bounded here, so that no request can keep the server reading forever.
pub(crate) async fn receive_upload(
    core: &Core,
    actor: &Actor,
    mission_id: &str,
    folder: Folder,
    request: Request,
    csrf: UploadCsrf<'_>,
) -> ApiResult<FileRow> {
    let boundary = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(bad_multipart)?;
    let limit = core.config.max_upload_bytes;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limit.saturating_add(1024 * 1024))
            .per_field(64 * 1024)
            .for_field("file", u64::MAX),
    );
    let body =
        Paced::new(first_boundary_whole(request.into_body().into_data_stream(), &boundary).await);
    let mut multipart = multer::Multipart::with_constraints(body, boundary, constraints);
    let mut token_ok = matches!(csrf, UploadCsrf::Checked);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                if !token_ok {
                    // The token part does not match, or is missing before the file part.
                    return Err(AppError::csrf());
                }
                let name = field.file_name().unwrap_or_default().to_owned();
                // multer's own bounds can trip inside the file part before the service's count
                // does (it reads ahead of what the service has taken): that is the same refusal.
                let stream = Box::pin(field.map_err(move |e| match e {
                    multer::Error::StreamSizeExceeded { .. }
                    | multer::Error::FieldSizeExceeded { .. } => {
                        std::io::Error::other(crate::service::upload::UploadAbort::TooLarge(limit))
                    }
                    e => std::io::Error::other(e),
                }));
                return Ok(core
                    .upload(actor, mission_id, folder, &name, stream)
                    .await?);
            }
            Ok(Some(field)) if field.name() == Some("csrf_token") => {
                if let UploadCsrf::InForm(expected) = csrf {
                    let sent = field.text().await.unwrap_or_default();
                    token_ok = same_token(sent.trim(), expected);
                }
            }
            // Other parts are skipped (multer drains them).
            Ok(Some(_)) => continue,
            Ok(None) => {
                return Err(
                    crate::service::Error::InvalidRequest(crate::service::Text::new(
                        "Aucun fichier reçu : choisissez un fichier à envoyer.",
                        "No file received: choose a file to send.",
                    ))
                    .into(),
                )
            }
            Err(
                multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. },
            ) => {
                return Err(crate::service::Error::TooLarge(limit).into());
            }
            Err(e) => {
                tracing::info!(error = %e, "multipart body refused");
                return Err(AppError::bad_request(
                    format!("Le corps multipart/form-data est invalide ({e}) : envoyez le fichier dans une partie nommée « file »."),
                    format!("The multipart/form-data body is invalid ({e}): send the file in a part named \"file\"."),
                ));
            }
        }
    }
}

/// How far into a body the first boundary is looked for before multer takes over (clients send
/// it first; a long preamble only loses the protection below).
const FIRST_BOUNDARY_WINDOW: usize = 8 * 1024;

/// Hands multer a body whose first item already holds the first boundary.
///
/// multer 3.1 can refuse a complete body as an "incomplete multipart stream": while looking for
/// the first boundary it reads what has arrived, and if the boundary is not whole yet it reads
/// again and, when that second read also reaches the end of the body, gives up without looking
/// at the bytes it just read. A small body split into several frames (HTTP/2 DATA frames, say)
/// then fails now and then, depending on timing. Reading up to the first boundary (at most
/// [`FIRST_BOUNDARY_WINDOW`] bytes) before multer starts closes that window; the rest of the body
/// streams untouched.
async fn first_boundary_whole<S, E>(
    body: S,
    boundary: &str,
) -> impl futures::Stream<Item = Result<bytes::Bytes, E>> + Send + Unpin
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>> + Send + Unpin,
    E: Send,
{
    use futures::StreamExt as _;
    let needle = format!("--{boundary}");
    let mut body = body.fuse();
    let mut head = bytes::BytesMut::new();
    let mut failed = None;
    while head.len() < FIRST_BOUNDARY_WINDOW
        && !head.windows(needle.len()).any(|w| w == needle.as_bytes())
    {
        match body.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => {
                failed = Some(e);
                break;
            }
            None => break,
        }
    }
    let mut first = vec![Ok(head.freeze())];
    first.extend(failed.map(Err));
    futures::stream::iter(first).chain(body)
}

/// Most bytes of a body multer is handed in one poll.
const PACE: usize = 128 * 1024;

/// A body that hands over at most [`PACE`] bytes per poll, then lets the task be polled again.
///
/// multer copies whatever the body has ready into its own buffer before it hands out a byte of the
/// part. A fast client keeps the socket full, and that buffer then grew to the size of the
/// kernel's receive window (megabytes per upload, copied and moved again as it grew) before the
/// store saw any of it. Paced, the buffer stays at a few hundred KiB, which the next copies find
/// still in the processor's cache.
struct Paced<S> {
    inner: S,
    /// Bytes handed over since the body last had nothing ready (or since the last pause).
    run: usize,
}

impl<S> Paced<S> {
    fn new(inner: S) -> Self {
        Self { inner, run: 0 }
    }
}

impl<S, E> futures::Stream for Paced<S>
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
{
    type Item = Result<bytes::Bytes, E>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if self.run >= PACE {
            // A pause: multer hands out what it holds, and the task is polled again at once.
            self.run = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let polled = std::pin::Pin::new(&mut self.inner).poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => self.run += chunk.len(),
            Poll::Pending => self.run = 0,
            Poll::Ready(_) => {}
        }
        polled
    }
}

async fn upload(
    s: AppState,
    a: Authed,
    mission_id: String,
    folder: Folder,
    request: Request,
) -> ApiResult<Response> {
    let row = receive_upload(
        &s.core,
        &a.0.actor,
        &mission_id,
        folder,
        request,
        UploadCsrf::Checked,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(FileView::from(&row))).into_response())
}

/// `multipart/form-data` with one part named `file`.
/// It describes the request body in the OpenAPI document; [`receive_upload`] streams it.
// Never built: it only describes the request in the OpenAPI document.
#[allow(dead_code)]
#[derive(ToSchema)]
pub(crate) struct UploadForm {
    /// The file.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// What both uploads answer, for the OpenAPI document (each upload adds its own `403`, naming
/// the role it takes). Like [`UploadForm`], it describes; the handlers answer through
/// [`FileView`] and [`AppError`].
// Never built: it only describes the answers in the OpenAPI document.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub(crate) enum UploadAnswers {
    /// The file is stored.
    #[response(status = 201, description = "Stored")]
    Stored(Box<FileView>),
    /// The file exceeds the configured limit.
    #[response(status = 413, description = "`too_large`")]
    TooLarge(ErrorBody),
    /// The body is not an acceptable upload.
    #[response(
        status = 422,
        description = "`invalid_request`: no `file` part, a rejected name, a virus"
    )]
    Invalid(ErrorBody),
    /// The mission is suspended.
    #[response(status = 423, description = "`mission_suspended`")]
    Suspended(ErrorBody),
}

/// Uploads a deposit.
#[utoipa::path(post, path = "/missions/{id}/deposits", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "The mission id")),
    request_body(content = UploadForm, content_type = "multipart/form-data"), responses(
    UploadAnswers,
    (status = 403, description = "`forbidden` (depositors only), `outside_access_hours`", body = ErrorBody),
))]
pub(crate) async fn upload_deposit(
    State(s): State<AppState>,
    a: Authed,
    Path(id): Path<String>,
    request: Request,
) -> ApiResult<Response> {
    upload(s, a, id, Folder::Deposits, request).await
}

/// Uploads a result.
#[utoipa::path(post, path = "/missions/{id}/results", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "The mission id")),
    request_body(content = UploadForm, content_type = "multipart/form-data"), responses(
    UploadAnswers,
    (status = 403, description = "`forbidden` (processors only), `outside_access_hours`", body = ErrorBody),
))]
pub(crate) async fn upload_result(
    State(s): State<AppState>,
    a: Authed,
    Path(id): Path<String>,
    request: Request,
) -> ApiResult<Response> {
    upload(s, a, id, Folder::Results, request).await
}

/// Lists the files of a mission the caller may see.
#[utoipa::path(get, path = "/missions/{id}/files", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "The mission id")), responses(
    (status = 200, description = "Only what the caller's role may see", body = FileList),
    (status = 403, description = "`outside_access_hours`", body = ErrorBody),
    (status = 423, description = "`mission_suspended`", body = ErrorBody),
))]
pub(crate) async fn list(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<FileList>> {
    let files = s.core.list_files(&a.actor, &id).await?;
    Ok(Json(FileList::from(files.as_slice())))
}

/// One file's metadata.
#[utoipa::path(get, path = "/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "The file id")), responses(
    (status = 200, description = "The file", body = FileView),
    (status = 403, description = "`outside_access_hours`", body = ErrorBody),
    (status = 423, description = "`mission_suspended`", body = ErrorBody),
))]
pub(crate) async fn get(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<FileView>> {
    Ok(Json(FileView::from(&s.core.file(&a.actor, &id).await?)))
}

/// The file's download receipt: who downloaded it and when, oldest first (the newest 500 at
/// most; `total` counts them all). For the uploader's organisation's participants, the
/// mission's managers and platform admins; 404 for everyone else.
#[utoipa::path(get, path = "/files/{id}/downloads", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "The file id")), responses(
    (status = 200, description = "The download receipt", body = DownloadList),
    (status = 403, description = "`outside_access_hours`", body = ErrorBody),
    (status = 423, description = "`mission_suspended`", body = ErrorBody),
))]
pub(crate) async fn downloads(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<DownloadList>> {
    let (_, receipt) = s.core.file_downloads(&a.actor, &id).await?;
    Ok(Json(DownloadList::from(&receipt)))
}

/// The single byte range a `Range` header asks for; `None` means the whole file (no header,
/// several ranges, or a syntax ignored as RFC 9110 allows).
pub(crate) fn parse_range(value: Option<&HeaderValue>) -> Option<RangeSpec> {
    let spec = value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => Some(RangeSpec::FromTo(start, end)),
        (Ok(start), Err(_)) if b.is_empty() => Some(RangeSpec::From(start)),
        (Err(_), Ok(n)) if a.is_empty() => Some(RangeSpec::Last(n)),
        _ => None,
    }
}

/// Streams a file's content (or a range of it), decrypting on the way.
#[utoipa::path(get, path = "/files/{id}/content", tag = "files", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The file id"),
        ("Range" = Option<String>, Header, description = "One byte range, `bytes=start-end`"),
    ), responses(
    (status = 200, description = "The bytes, with `Content-Disposition: attachment` and `ETag`",
        body = String, content_type = "application/octet-stream"),
    (status = 206, description = "The range asked for, with `Content-Range`",
        body = String, content_type = "application/octet-stream"),
    (status = 403, description = "`forbidden`, `outside_access_hours`", body = ErrorBody),
    (status = 416, description = "`invalid_request`: the range lies outside the file", body = ErrorBody),
    (status = 423, description = "`mission_suspended`", body = ErrorBody),
))]
pub(crate) async fn content(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let spec = parse_range(headers.get(header::RANGE));
    let (file, reader) = s.core.download(&a.actor, &id, spec).await?;
    Ok(content_response(&file, reader, spec))
}

/// A file's bytes (or the range asked for) as a streamed answer: `Content-Disposition:
/// attachment` with its name, `ETag`, `Accept-Ranges`, `Content-Range`. Shared by the API and
/// the pages' download link.
pub(crate) fn content_response(
    file: &crate::domain::File,
    reader: crate::service::lockdown::CutOnLockdown<storage::BlobReader>,
    spec: Option<RangeSpec>,
) -> Response {
    let size = u64::try_from(file.size).unwrap_or(0);
    let length = reader.get_ref().content_len();
    let range = reader.get_ref().range().filter(|_| spec.is_some());
    let status = if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut response = Response::new(Body::from_stream(reader));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", file.sha256)) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&file.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some((start, end)) = range {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    response
}

/// `POST /api/v1/files/{id}/release` body (optional).
#[derive(serde::Deserialize, Default, ToSchema)]
pub(crate) struct ReleaseBody {
    #[serde(default)]
    override_justification: Option<String>,
}

/// Releases a result to recipients (after its disclosure check, or by override).
#[utoipa::path(post, path = "/files/{id}/release", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "The file id")),
    request_body(content = Option<ReleaseBody>, description = "Optional: an override's justification"),
    responses(
    (status = 200, description = "The file, released", body = FileView),
    (status = 403, description = "`forbidden`, `outside_access_hours`", body = ErrorBody),
    (status = 409, description = "`disclosure_check_failed` with `violations`, or `conflict`", body = ErrorBody),
    (status = 422, description = "`invalid_request`", body = ErrorBody),
    (status = 423, description = "`mission_suspended`", body = ErrorBody),
))]
pub(crate) async fn release(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<FileView>> {
    let b: ReleaseBody = if body.iter().all(u8::is_ascii_whitespace) {
        ReleaseBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            AppError::bad_request(
                "Le corps de la requête n'est pas du JSON valide.",
                "The request body is not valid JSON.",
            )
        })?
    };
    Ok(Json(FileView::from(
        &s.core
            .release(&a.actor, &id, b.override_justification.as_deref())
            .await?,
    )))
}

/// `POST /api/v1/files/{id}/confirm`.
#[derive(serde::Deserialize, ToSchema)]
pub(crate) struct ConfirmBody {
    justification: String,
}

/// Lets a quarantined deposit through, with a justification.
#[utoipa::path(post, path = "/files/{id}/confirm", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "The file id")), request_body = ConfirmBody,
    responses(
    (status = 200, description = "The file, `confirmed`", body = FileView),
    (status = 403, description = "`forbidden`, `outside_access_hours`", body = ErrorBody),
    (status = 409, description = "`conflict`: not in quarantine", body = ErrorBody),
    (status = 422, description = "`invalid_request`: no justification", body = ErrorBody),
    (status = 423, description = "`mission_suspended`", body = ErrorBody),
))]
pub(crate) async fn confirm(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
    super::extract::ApiJson(b): super::extract::ApiJson<ConfirmBody>,
) -> ApiResult<Json<FileView>> {
    Ok(Json(FileView::from(
        &s.core
            .confirm_deposit(&a.actor, &id, &b.justification)
            .await?,
    )))
}

/// Deletes a file.
#[utoipa::path(delete, path = "/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "The file id")), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "`forbidden`, `outside_access_hours`", body = ErrorBody),
    (status = 423, description = "`mission_suspended`", body = ErrorBody),
))]
pub(crate) async fn delete(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.core.delete_file(&a.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        let h = |s: &str| HeaderValue::from_str(s).unwrap();
        let r = |s: &str, size: u64| parse_range(Some(&h(s))).map(|spec| spec.resolve(size));
        assert_eq!(parse_range(None), None);
        assert_eq!(r("bytes=0-9", 100), Some(Some((0, 9))));
        assert_eq!(r("bytes=90-", 100), Some(Some((90, 99))));
        assert_eq!(r("bytes=-10", 100), Some(Some((90, 99))));
        assert_eq!(r("bytes=-500", 100), Some(Some((0, 99))));
        assert_eq!(r("bytes=50-500", 100), Some(Some((50, 99))));
        assert_eq!(r("bytes=100-", 100), Some(None));
        assert_eq!(r("bytes=-0", 100), Some(None));
        assert_eq!(r("bytes=0-1,5-6", 100), None);
        assert_eq!(r("items=0-1", 100), None);
        assert_eq!(r("bytes=9-2", 100), None);
    }

    #[test]
    fn disposition_keeps_accents_for_modern_clients() {
        assert_eq!(
            content_disposition("évaluation été.csv"),
            "attachment; filename=\"_valuation _t_.csv\"; filename*=UTF-8''%C3%A9valuation%20%C3%A9t%C3%A9.csv"
        );
    }
}

/// `PATCH /api/v1/files/{id}`.
#[derive(serde::Deserialize, ToSchema)]
pub(crate) struct FilePatch {
    #[schema(value_type = Option<String>, format = DateTime)]
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Sets or clears a file's own destruction date (for instance the day after the allocation committee).
#[utoipa::path(patch, path = "/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "The file id")), request_body = FilePatch,
    responses(
    (status = 200, description = "The file", body = FileView),
    (status = 403, description = "`forbidden`, `outside_access_hours`", body = ErrorBody),
    (status = 422, description = "`invalid_request`: a date in the past", body = ErrorBody),
    (status = 423, description = "`mission_suspended`", body = ErrorBody),
))]
pub(crate) async fn patch(
    State(s): State<AppState>,
    Authed(a): Authed,
    Path(id): Path<String>,
    super::extract::ApiJson(b): super::extract::ApiJson<FilePatch>,
) -> ApiResult<Json<FileView>> {
    Ok(Json(FileView::from(
        &s.core.set_file_expiry(&a.actor, &id, b.expires_at).await?,
    )))
}

#[cfg(test)]
mod first_boundary_tests {
    use super::{first_boundary_whole, Paced, PACE};
    use bytes::Bytes;
    use futures::Stream;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Yields its pieces with a `Pending` after the first one: the second piece and the end of the
    /// body then arrive within one of multer's polls, the timing that made it fail.
    struct Stutter {
        pieces: Vec<Bytes>,
        paused: bool,
    }

    impl Stream for Stutter {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            if self.pieces.is_empty() {
                return Poll::Ready(None);
            }
            if !self.paused && self.pieces.len() == 1 {
                self.paused = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(Some(Ok(self.pieces.remove(0))))
        }
    }

    fn body() -> Vec<Bytes> {
        let whole = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nlogement;occupants\n1;3\n\r\n--XyZ--\r\n";
        // The first boundary split in the middle.
        vec![Bytes::from(&whole[..3]), Bytes::from(&whole[3..])]
    }

    #[tokio::test]
    async fn a_split_first_boundary_is_read_whole() {
        let stream = first_boundary_whole(
            Stutter {
                pieces: body(),
                paused: false,
            },
            "XyZ",
        )
        .await;
        let mut multipart = multer::Multipart::new(stream, "XyZ");
        let field = multipart.next_field().await.unwrap().unwrap();
        assert_eq!(field.name(), Some("file"));
        assert_eq!(
            field.bytes().await.unwrap().as_ref(),
            b"logement;occupants\n1;3\n"
        );
        assert!(multipart.next_field().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_body_without_boundary_is_still_refused() {
        let pieces = vec![Bytes::from_static(b"no boundary here")];
        let stream = first_boundary_whole(
            Stutter {
                pieces,
                paused: true,
            },
            "XyZ",
        )
        .await;
        let mut multipart = multer::Multipart::new(stream, "XyZ");
        assert!(matches!(
            multipart.next_field().await,
            Err(multer::Error::IncompleteStream)
        ));
    }

    #[test]
    fn a_body_always_ready_is_handed_over_in_paced_runs() {
        // 4 MiB always ready, in 16 KiB chunks: never more than PACE bytes between two pauses,
        // and every byte in order.
        let chunks: Vec<Result<Bytes, std::io::Error>> = (0..256u32)
            .map(|i| Ok(Bytes::from(vec![(i % 251) as u8; 16 * 1024])))
            .collect();
        let mut paced = Paced::new(futures::stream::iter(chunks));
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let (mut run, mut longest, mut pauses, mut got) = (0usize, 0usize, 0usize, Vec::new());
        loop {
            match Pin::new(&mut paced).poll_next(&mut cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    run += chunk.len();
                    longest = longest.max(run);
                    got.push(chunk[0]);
                }
                Poll::Ready(Some(Err(e))) => panic!("{e}"),
                Poll::Ready(None) => break,
                Poll::Pending => {
                    run = 0;
                    pauses += 1;
                }
            }
        }
        assert_eq!(longest, PACE);
        assert_eq!(pauses, 4 * 1024 * 1024 / PACE);
        assert_eq!(
            got,
            (0..256u32).map(|i| (i % 251) as u8).collect::<Vec<_>>()
        );
    }
}
