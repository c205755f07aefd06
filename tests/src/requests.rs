//! Requests named for what they do: plain verbs with a bearer token, and the mission, participant
//! and file requests most tests make on the way to what they test.

use crate::accounts::Account;
use crate::app::TestApp;
use crate::responses::{body, in_days};
use reqwest::Response;
use serde_json::{json, Value};

impl TestApp {
    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POST JSON without authentication.
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// GET with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// POST JSON with a bearer token.
    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// PATCH JSON with a bearer token.
    pub async fn patch_as(&self, token: &str, path: &str, body: Value) -> Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// DELETE with a bearer token.
    pub async fn delete_as(&self, token: &str, path: &str) -> Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Creates a mission ending in 30 days, as `admin`; returns its id.
    pub async fn create_mission(&self, admin: &Account, name: &str, controller: &str) -> String {
        let r = self
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

    /// Creates a mission ending `days` after the clock (no result retention given), as `admin`;
    /// returns its id.
    pub async fn create_mission_ending_in(
        &self,
        admin: &Account,
        name: &str,
        controller: &str,
        days: i64,
    ) -> String {
        use gateway::clock::Clock as _;
        let ends = self.clock.now() + chrono::Duration::days(days);
        let r = self
            .post_as(
                &admin.token,
                "/api/v1/missions",
                json!({"name": name, "purpose": "Diagnostic de l'occupation du parc",
                       "controller_organisation_id": controller,
                       "ends_at": gateway::clock::rfc3339(ends)}),
            )
            .await;
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Adds `user` with `role` to `mission` and expects 201.
    pub async fn add_participant(&self, token: &str, mission: &str, user: &str, role: &str) {
        let (status, body) = self.grant_role(token, mission, user, role).await;
        assert_eq!(status, 201, "adding {user} as {role}: {body}");
    }

    /// Asks to add `user` with `role` to `mission`: the status and the body (null if not JSON).
    pub async fn grant_role(
        &self,
        token: &str,
        mission: &str,
        user: &str,
        role: &str,
    ) -> (u16, Value) {
        let r = self
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
    pub async fn list_files(&self, token: &str, mission: &str) -> Vec<Value> {
        let r = self
            .get_as(token, &format!("/api/v1/missions/{mission}/files"))
            .await;
        let status = r.status();
        let v = body(r).await;
        assert_eq!(status, 200, "{v}");
        v["files"].as_array().unwrap().clone()
    }

    /// Downloads a file's content (expects 200).
    pub async fn download(&self, token: &str, file: &str) -> Vec<u8> {
        let r = self
            .get_as(token, &format!("/api/v1/files/{file}/content"))
            .await;
        let status = r.status();
        let bytes = r.bytes().await.unwrap().to_vec();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        bytes
    }

    /// Releases a result to the mission's recipients, as `token`'s owner; expects 200.
    pub async fn release(&self, token: &str, file: &str) {
        let r = self
            .post_as(token, &format!("/api/v1/files/{file}/release"), json!({}))
            .await;
        assert_eq!(r.status(), 200);
    }

    /// An HTTP/1.1 TLS connection straight to the gateway, for requests reqwest cannot send.
    pub async fn tls_stream(&self) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pemfile::certs(&mut self.cert_pem.as_slice()) {
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
        let tcp = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        connector
            .connect("localhost".try_into().unwrap(), tcp)
            .await
            .unwrap()
    }
}
