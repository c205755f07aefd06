//! Helpers shared by the missions, files, permissions and register tests (and the browser
//! tests).

use crate::helpers::*;
use chrono::{DateTime, Duration, Utc};
use reqwest::Response;
use serde_json::{json, Value};
use sha2::Digest as _;

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The boundary used by every hand-built multipart body.
pub const BOUNDARY: &str = "----passerelle-test-boundary-7f3a9c";

/// The bytes before a file's content in a one-part `multipart/form-data` body.
pub fn multipart_head(part_name: &str, filename: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
    v.extend_from_slice(
        format!("Content-Disposition: form-data; name=\"{part_name}\"; filename=\"").as_bytes(),
    );
    v.extend_from_slice(filename);
    v.extend_from_slice(b"\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    v
}

/// The bytes after a file's content.
pub fn multipart_tail() -> Vec<u8> {
    format!("\r\n--{BOUNDARY}--\r\n").into_bytes()
}

/// A whole one-part body.
pub fn multipart_body(part_name: &str, filename: &[u8], content: &[u8]) -> Vec<u8> {
    let mut v = multipart_head(part_name, filename);
    v.extend_from_slice(content);
    v.extend_from_slice(&multipart_tail());
    v
}

/// The request's `Content-Type`.
pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// POSTs a raw multipart body to `/api/v1/missions/{mission}/{folder}`.
pub async fn upload_raw(
    app: &TestApp,
    token: &str,
    mission: &str,
    folder: &str,
    body: Vec<u8>,
) -> Response {
    app.client
        .post(app.url(&format!("/api/v1/missions/{mission}/{folder}")))
        .bearer_auth(token)
        .header("content-type", multipart_type())
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Uploads `content` as `filename` into `folder` (`deposits` or `results`).
pub async fn upload(
    app: &TestApp,
    token: &str,
    mission: &str,
    folder: &str,
    filename: &str,
    content: &[u8],
) -> Response {
    upload_raw(
        app,
        token,
        mission,
        folder,
        multipart_body("file", filename.as_bytes(), content),
    )
    .await
}

/// Uploads and expects 201; returns the file object.
pub async fn upload_ok(
    app: &TestApp,
    token: &str,
    mission: &str,
    folder: &str,
    filename: &str,
    content: &[u8],
) -> Value {
    let r = upload(app, token, mission, folder, filename, content).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 201, "upload of {filename:?} to {folder}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// PATCH JSON with a bearer token.
pub async fn patch_as(app: &TestApp, token: &str, path: &str, body: Value) -> Response {
    app.client
        .patch(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// DELETE with a bearer token.
pub async fn delete_as(app: &TestApp, token: &str, path: &str) -> Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The JSON body of a response (panics with the text when it is not JSON).
pub async fn body(r: Response) -> Value {
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// RFC 3339 of the test start plus `days`.
pub fn in_days(days: i64) -> String {
    (start_time() + Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Parses an RFC 3339 time.
pub fn parse_time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("not RFC 3339 ({e}): {v}"))
        .with_timezone(&Utc)
}

/// Creates a mission ending in 30 days, as `admin`; returns its id.
pub async fn new_mission(app: &TestApp, admin: &Account, name: &str, controller: &str) -> String {
    let r = app
        .post_as(
            &admin.token,
            "/api/v1/missions",
            json!({"name": name, "purpose": "Étude de l'occupation du parc social",
                   "controller_organisation_id": controller, "ends_at": in_days(30),
                   "results_retained_until": in_days(90)}),
        )
        .await;
    let status = r.status();
    let v = body(r).await;
    assert_eq!(status, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

/// Adds `user` with `role` to `mission` and expects 201.
pub async fn add_participant(app: &TestApp, token: &str, mission: &str, user: &str, role: &str) {
    let (status, body) = grant_role(app, token, mission, user, role).await;
    assert_eq!(status, 201, "adding {user} as {role}: {body}");
}

/// Asks to add `user` with `role` to `mission`: the status and the body (null if not JSON).
pub async fn grant_role(
    app: &TestApp,
    token: &str,
    mission: &str,
    user: &str,
    role: &str,
) -> (u16, Value) {
    let r = app
        .post_as(
            token,
            &format!("/api/v1/missions/{mission}/participants"),
            json!({"user_id": user, "role": role}),
        )
        .await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The files listed for `token` in `mission` (expects 200).
pub async fn list_files(app: &TestApp, token: &str, mission: &str) -> Vec<Value> {
    let r = app
        .get_as(token, &format!("/api/v1/missions/{mission}/files"))
        .await;
    let status = r.status();
    let v = body(r).await;
    assert_eq!(status, 200, "{v}");
    v["files"].as_array().unwrap().clone()
}

/// The ids of a file list.
pub fn ids(files: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = files
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

/// Downloads a file's content (expects 200).
pub async fn download(app: &TestApp, token: &str, file: &str) -> Vec<u8> {
    let r = app
        .get_as(token, &format!("/api/v1/files/{file}/content"))
        .await;
    let status = r.status();
    let bytes = r.bytes().await.unwrap().to_vec();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    bytes
}

/// A status and the error code of its body.
pub async fn status_and_code(r: Response) -> (u16, String) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    let code = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (status, code)
}

/// Asserts a status and an error code.
pub async fn assert_error(r: Response, status: u16, code: &str, what: &str) {
    let (s, c) = status_and_code(r).await;
    assert_eq!((s, c.as_str()), (status, code), "{what}");
}

/// A user created with a chosen display name, logged in.
pub async fn user_named(
    app: &TestApp,
    admin: &Account,
    username: &str,
    display_name: &str,
    org: &str,
) -> Account {
    let r = app
        .post_as(
            &admin.token,
            "/api/v1/users",
            json!({"username": username, "display_name": display_name,
                   "email": format!("{username}@example.fr"), "organisation_id": org}),
        )
        .await;
    let status = r.status();
    let v = body(r).await;
    assert_eq!(status, 201, "{v}");
    app.first_login(
        v["id"].as_str().unwrap(),
        username,
        v["initial_password"].as_str().unwrap(),
    )
    .await
}

/// A bailleur depositor, a consultancy processor and an EPCI recipient and manager in one
/// mission.
pub struct Exchange {
    /// Platform admin.
    pub admin: Account,
    /// Bailleur organisation.
    pub bailleur: String,
    /// Consultancy organisation.
    pub consultancy: String,
    /// EPCI organisation (controller).
    pub epci: String,
    /// Depositor of the bailleur.
    pub depositor: Account,
    /// Processor of the consultancy.
    pub processor: Account,
    /// Recipient of the EPCI.
    pub recipient: Account,
    /// Manager of the EPCI.
    pub manager: Account,
    /// Mission id.
    pub mission: String,
}

/// Builds an [`Exchange`].
pub async fn exchange(app: &TestApp) -> Exchange {
    let admin = app.admin("operateur").await;
    let bailleur = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let consultancy = app
        .organisation(&admin, "Cabinet Études Urbaines", "consultancy")
        .await;
    let epci = app
        .organisation(&admin, "Communauté d'agglomération Hénin-Carvin", "epci")
        .await;
    let depositor = app.user(&admin, "depot.henin", &bailleur).await;
    let processor = app.user(&admin, "analyste", &consultancy).await;
    let recipient = app.user(&admin, "destinataire", &epci).await;
    let manager = app.user(&admin, "chef.projet", &epci).await;
    let mission = new_mission(app, &admin, "OPS 2027", &epci).await;
    add_participant(app, &admin.token, &mission, &depositor.id, "depositor").await;
    add_participant(app, &admin.token, &mission, &processor.id, "processor").await;
    add_participant(app, &admin.token, &mission, &recipient.id, "recipient").await;
    add_participant(app, &admin.token, &mission, &manager.id, "manager").await;
    Exchange {
        admin,
        bailleur,
        consultancy,
        epci,
        depositor,
        processor,
        recipient,
        manager,
        mission,
    }
}

/// An HTTP/1.1 TLS connection straight to the gateway, for requests reqwest cannot send.
pub async fn tls_stream(app: &TestApp) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut app.cert_pem.as_slice()) {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    connector
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap()
}

/// Sizes of the files under `dir`, except the SQLite database and its journals.
pub fn stored_files(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, u64> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().to_lowercase();
            if name.contains("sqlite")
                || name.ends_with(".db")
                || name.ends_with("-wal")
                || name.ends_with("-shm")
                || name.ends_with("-journal")
            {
                continue;
            }
            out.insert(path, meta.len());
        }
    }
    out
}

/// Asserts that no file under the data directory appeared or grew by `threshold` bytes or more.
pub fn assert_nothing_stored(
    before: &std::collections::BTreeMap<std::path::PathBuf, u64>,
    after: &std::collections::BTreeMap<std::path::PathBuf, u64>,
    threshold: u64,
    what: &str,
) {
    for (path, size) in after {
        let old = before.get(path).copied().unwrap_or(0);
        assert!(
            size.saturating_sub(old) < threshold,
            "{what}: {} holds {size} bytes (was {old})",
            path.display()
        );
    }
}

/// Splits a CSV text (`;`-separated, `"` quoting, CRLF or LF) into records of fields.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ';' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                any = false;
            }
            _ => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted field in CSV");
    if any {
        record.push(field);
        records.push(record);
    }
    records
}
