//! Uploads: the one way every test sends a file to `POST /api/v1/missions/{id}/{folder}`.
//!
//! An [`Upload`] says what to send (folder, part name, file name, content, or a whole hand-built
//! body); [`Upload::send`] sends it to any gateway (the in-process [`TestApp`] or a real
//! process), [`Upload::send_ok`] also expects 201. The [`TestApp`] methods `upload`,
//! `upload_ok`, `upload_deposit` and `upload_result` are these, named for the request. The body
//! is built by hand (one boundary, [`BOUNDARY`]) so that the tests that stream or cut a body use
//! the very same bytes ([`multipart_head`], [`multipart_tail`]); `upload_through_page` posts the
//! same body through the mission page's form, as a browser without script does.

use crate::app::TestApp;
use reqwest::{Client, Response};
use serde_json::Value;

/// The boundary used by every multipart body the tests build.
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

/// One upload: where it goes and what its body holds.
#[derive(Debug, Clone)]
pub struct Upload {
    folder: String,
    body: Vec<u8>,
    what: String,
}

impl Upload {
    /// `content` as `name` into the deposits.
    pub fn deposit(name: &str, content: impl AsRef<[u8]>) -> Upload {
        Upload::to("deposits", name, content)
    }

    /// `content` as `name` into the results.
    pub fn result(name: &str, content: impl AsRef<[u8]>) -> Upload {
        Upload::to("results", name, content)
    }

    /// `content` as `name` into `folder` (`deposits`, `results`, or anything a test wants to try),
    /// in the part named `file`.
    pub fn to(folder: &str, name: &str, content: impl AsRef<[u8]>) -> Upload {
        Upload {
            folder: folder.to_owned(),
            body: multipart_body("file", name.as_bytes(), content.as_ref()),
            what: format!("{name:?} to {folder}"),
        }
    }

    /// A hand-built multipart `body` (boundary [`BOUNDARY`]) into `folder`, sent as it is.
    pub fn raw(folder: &str, body: Vec<u8>) -> Upload {
        Upload {
            folder: folder.to_owned(),
            body,
            what: format!("a hand-built body to {folder}"),
        }
    }

    /// Sends it as `token`'s owner to `mission` on the gateway at `base`, through `client`.
    pub async fn send(self, client: &Client, base: &str, token: &str, mission: &str) -> Response {
        client
            .post(format!("{base}/api/v1/missions/{mission}/{}", self.folder))
            .bearer_auth(token)
            .header("content-type", multipart_type())
            .body(self.body)
            .send()
            .await
            .unwrap()
    }

    /// [`Upload::send`], expecting 201; returns the file object.
    pub async fn send_ok(self, client: &Client, base: &str, token: &str, mission: &str) -> Value {
        let what = self.what.clone();
        let r = self.send(client, base, token, mission).await;
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, 201, "upload of {what}: {text}");
        serde_json::from_str(&text).unwrap()
    }
}

impl TestApp {
    /// Posts `upload` through the mission page's form (`POST /missions/{id}/{folder}`), with the
    /// app's own cookies: the CSRF token part first when there is one, then the file.
    pub async fn upload_through_page(
        &self,
        mission: &str,
        csrf: Option<&str>,
        upload: Upload,
    ) -> Response {
        let mut body = Vec::new();
        if let Some(token) = csrf {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(&upload.body);
        self.client
            .post(self.url(&format!("/missions/{mission}/{}", upload.folder)))
            .header("content-type", multipart_type())
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Sends `upload` to `mission` as `token`'s owner; the response, whatever it is.
    pub async fn upload(&self, token: &str, mission: &str, upload: Upload) -> Response {
        upload.send(&self.client, &self.base, token, mission).await
    }

    /// Sends `upload` and expects 201; returns the file object.
    pub async fn upload_ok(&self, token: &str, mission: &str, upload: Upload) -> Value {
        upload
            .send_ok(&self.client, &self.base, token, mission)
            .await
    }

    /// Deposits `content` as `name` and expects 201; returns the file object.
    pub async fn upload_deposit(
        &self,
        token: &str,
        mission: &str,
        name: &str,
        content: impl AsRef<[u8]>,
    ) -> Value {
        self.upload_ok(token, mission, Upload::deposit(name, content))
            .await
    }

    /// Adds `content` as `name` to the results and expects 201; returns the file object.
    pub async fn upload_result(
        &self,
        token: &str,
        mission: &str,
        name: &str,
        content: impl AsRef<[u8]>,
    ) -> Value {
        self.upload_ok(token, mission, Upload::result(name, content))
            .await
    }
}
