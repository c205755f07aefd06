//! Reading answers: JSON bodies, error codes, ids and times.

use crate::app::start_time;
use chrono::{DateTime, Duration, Utc};
use reqwest::Response;
use serde_json::Value;
use sha2::Digest as _;

/// The JSON body of a response (panics with the text when it is not JSON).
pub async fn body(r: Response) -> Value {
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The error code of a response body.
pub async fn error_code(r: Response) -> String {
    let v: Value = r.json().await.unwrap();
    v["error"].as_str().unwrap_or_default().to_owned()
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

/// The `id` of an object the API answered.
pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_owned()
}

/// The ids of a file list, sorted.
pub fn ids(files: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = files
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
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
