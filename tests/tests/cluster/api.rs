//! The requests the cluster scenarios make, on whichever node they are given, with the real clock
//! (the instances run the real binary: TOTP codes are those of the current time).

use crate::topology::Node;
use passerelle_tests::prelude::{multipart_body, multipart_type, secret_from_uri};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use std::time::Duration;

/// The password every person chooses at first login.
pub(crate) const PASSWORD: &str = "trois girafes traversent la rue 4812";

/// A person with a session.
pub(crate) struct Person {
    /// User id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Raw TOTP secret.
    pub secret: Vec<u8>,
    /// Bearer token.
    pub token: String,
}

/// The TOTP code of `secret` for the step `steps_ahead` steps after the current one.
pub(crate) fn code(secret: &[u8], steps_ahead: i64) -> String {
    let now = chrono::Utc::now().timestamp() + steps_ahead * 30;
    gateway::service::totp::code_at(secret, now).unwrap()
}

/// The JSON of a response whose status must be `expected`.
pub(crate) async fn expect(r: Response, expected: u16, what: &str) -> Value {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, expected, "{what}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The first login, its three steps on three nodes (a challenge made on one is answered on another).
pub(crate) async fn first_login(
    steps: [&Node; 3],
    id: &str,
    username: &str,
    initial: &str,
) -> Person {
    let r = steps[0]
        .post(
            None,
            "/api/v1/auth/login",
            json!({"username": username, "password": initial}),
        )
        .await;
    let v = expect(r, 200, "login").await;
    assert_eq!(v["step"], "change_password");
    let r = steps[1]
        .post(
            None,
            "/api/v1/auth/password",
            json!({"challenge": v["challenge"], "new_password": PASSWORD}),
        )
        .await;
    let v = expect(r, 200, "new password").await;
    assert_eq!(v["step"], "enroll_totp");
    let secret = secret_from_uri(v["otpauth_uri"].as_str().unwrap());
    let r = steps[2]
        .post(
            None,
            "/api/v1/auth/totp",
            json!({"challenge": v["challenge"], "code": code(&secret, 0)}),
        )
        .await;
    let v = expect(r, 200, "TOTP enrolment").await;
    Person {
        id: id.to_owned(),
        username: username.to_owned(),
        secret,
        token: v["token"].as_str().unwrap().to_owned(),
    }
}

/// The password step of a later login on `node`: its challenge.
pub(crate) async fn password_step(node: &Node, who: &Person) -> String {
    let r = node
        .post(
            None,
            "/api/v1/auth/login",
            json!({"username": who.username, "password": PASSWORD}),
        )
        .await;
    let v = expect(r, 200, "password step").await;
    assert_eq!(v["step"], "totp");
    v["challenge"].as_str().unwrap().to_owned()
}

/// The TOTP step on `node`.
pub(crate) async fn totp_step(node: &Node, challenge: &str, code: &str) -> Response {
    node.post(
        None,
        "/api/v1/auth/totp",
        json!({"challenge": challenge, "code": code}),
    )
    .await
}

/// Creates an organisation; its id.
pub(crate) async fn organisation(node: &Node, token: &str, name: &str, kind: &str) -> String {
    let r = node
        .post(
            Some(token),
            "/api/v1/organisations",
            json!({"name": name, "kind": kind}),
        )
        .await;
    expect(r, 201, "organisation").await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Creates a user; `(id, initial password)`.
pub(crate) async fn user(node: &Node, token: &str, username: &str, org: &str) -> (String, String) {
    let r = node
        .post(
            Some(token),
            "/api/v1/users",
            json!({"username": username, "display_name": format!("{username} Essai"),
                   "email": format!("{username}@example.fr"), "organisation_id": org}),
        )
        .await;
    let v = expect(r, 201, "user").await;
    (
        v["id"].as_str().unwrap().to_owned(),
        v["initial_password"].as_str().unwrap().to_owned(),
    )
}

/// Creates a mission ending in 30 days, results not retained; its id.
pub(crate) async fn mission(node: &Node, token: &str, name: &str, controller: &str) -> String {
    let ends = chrono::Utc::now() + chrono::Duration::days(30);
    let r = node
        .post(
            Some(token),
            "/api/v1/missions",
            json!({"name": name, "purpose": "Étude de l'occupation du parc social",
                   "controller_organisation_id": controller, "ends_at": ends.to_rfc3339(),
                   "results_retained_until": null}),
        )
        .await;
    expect(r, 201, "mission").await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Gives `user` `role` in `mission`.
pub(crate) async fn add(node: &Node, token: &str, mission: &str, user: &str, role: &str) {
    let r = node
        .post(
            Some(token),
            &format!("/api/v1/missions/{mission}/participants"),
            json!({"user_id": user, "role": role}),
        )
        .await;
    expect(r, 201, &format!("{role} role")).await;
}

/// Uploads `content` as `name` into `folder` (`deposits` or `results`).
pub(crate) async fn upload(
    node: &Node,
    token: &str,
    mission: &str,
    folder: &str,
    name: &str,
    content: &[u8],
) -> Response {
    node.client
        .post(format!("{}/api/v1/missions/{mission}/{folder}", node.base))
        .bearer_auth(token)
        .header("content-type", multipart_type())
        .body(multipart_body("file", name.as_bytes(), content))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", node.name))
}

/// The files of a mission the caller sees.
pub(crate) async fn files(node: &Node, token: &str, mission: &str) -> Vec<Value> {
    let r = node
        .get(Some(token), &format!("/api/v1/missions/{mission}/files"))
        .await;
    expect(r, 200, "file list").await["files"]
        .as_array()
        .unwrap()
        .clone()
}

/// A file's content.
pub(crate) async fn download(node: &Node, token: &str, file: &str) -> Vec<u8> {
    let r = node
        .get(Some(token), &format!("/api/v1/files/{file}/content"))
        .await;
    assert_eq!(r.status(), 200, "download from {}", node.name);
    r.bytes().await.unwrap().to_vec()
}

/// A mission's status.
pub(crate) async fn status(node: &Node, token: &str, mission: &str) -> String {
    let r = node
        .get(Some(token), &format!("/api/v1/missions/{mission}"))
        .await;
    expect(r, 200, "mission").await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `PATCH path`.
pub(crate) async fn patch(node: &Node, token: &str, path: &str, body: Value) -> Response {
    node.send(Method::PATCH, Some(token), path, &body).await
}

/// How many audit events of `mission` have `action`, counted in the shared database.
pub(crate) async fn audited(db: &sqlx::PgPool, mission: &str, action: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE mission_id = $1 AND action = $2 AND outcome = 'success'",
    )
    .bind(mission)
    .bind(action)
    .fetch_one(db)
    .await
    .unwrap()
}

/// One number from the shared database (`$1` bound to `bind`).
pub(crate) async fn number(db: &sqlx::PgPool, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(db)
        .await
        .unwrap()
}

/// Waits until `mission` is destroyed and its destruction audited (at most `secs` seconds), then
/// lets both sweepers run twice more, so that a second destruction would show.
pub(crate) async fn until_destroyed(db: &sqlx::PgPool, mission: &str, secs: u64) {
    let destroyed = "SELECT COUNT(*) FROM missions WHERE id = $1 AND status = 'destroyed'";
    for _ in 0..secs * 10 {
        if number(db, destroyed, mission).await == 1
            && audited(db, mission, "mission.destroy").await > 0
        {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("mission {mission} not destroyed within {secs} s");
}
