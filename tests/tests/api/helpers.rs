//! Spawns the real gateway (real TLS, real database) on an ephemeral port with an injected clock,
//! and gives tests an HTTPS client that trusts only that gateway's certificate.

use chrono::{DateTime, TimeZone, Utc};
use gateway::clock::ManualClock;
use gateway::service::Core;
use gateway::Config;
use reqwest::{Client, Response};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

/// Which database a test runs against.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A fresh SQLite file in the test's data directory.
    Sqlite,
    /// A fresh database on the server named by `PASSERELLE_TEST_POSTGRES_URL`.
    Postgres(String),
}

impl Backend {
    /// The PostgreSQL backend, when `PASSERELLE_TEST_POSTGRES_URL` is set.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("PASSERELLE_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                eprintln!("PASSERELLE_TEST_POSTGRES_URL is not set: PostgreSQL variant skipped");
                None
            }
        }
    }
}

/// Runs an async test body once on SQLite and once on PostgreSQL (when configured).
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(b) = $crate::helpers::Backend::postgres() {
                    super::$name(b).await
                }
            }
        }
    )*};
}

/// The instant every test clock starts at.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 15, 8, 0, 0).single().unwrap()
}

/// A running gateway.
pub struct TestApp {
    /// Bound address.
    pub addr: SocketAddr,
    /// `https://localhost:PORT`.
    pub base: String,
    /// A client trusting the gateway's certificate, with a cookie store.
    pub client: Client,
    /// The injected clock.
    pub clock: ManualClock,
    /// The services (to seed data).
    pub core: Core,
    /// PEM of the gateway's certificate.
    pub cert_pem: Vec<u8>,
    /// Data directory (kept alive as long as the app).
    #[allow(dead_code)]
    pub data: tempfile::TempDir,
    /// The configuration it runs with.
    #[allow(dead_code)]
    pub config: Config,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pg_drop: Option<(String, String)>,
}

async fn fresh_postgres(url: &str) -> (String, String) {
    use sqlx::Executor as _;
    sqlx::any::install_default_drivers();
    let name = format!("passerelle_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let (prefix, _) = url.rsplit_once('/').unwrap();
    (format!("{prefix}/{name}"), name)
}

/// Starts a gateway with default settings.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts a gateway after `tweak` adjusts its configuration.
pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_at(backend, start_time(), tweak).await
}

/// Starts a gateway whose clock starts at `start`.
pub async fn spawn_app_at(
    backend: Backend,
    start: DateTime<Utc>,
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::load_from(None, &[]).unwrap();
    config.data_dir = data.path().to_path_buf();
    config.listen = "127.0.0.1:0".parse().unwrap();
    // The gateway runs inside the test process: its check workers are the real binary's.
    config.checks.worker_program = Some(env!("CARGO_BIN_EXE_passerelle-under-test").into());
    let mut pg_drop = None;
    if let Backend::Postgres(url) = &backend {
        let (db_url, name) = fresh_postgres(url).await;
        config.database_url = Some(db_url);
        pg_drop = Some((url.clone(), name));
    }
    tweak(&mut config);
    let clock = ManualClock::new(start);
    let app = gateway::Application::build(config.clone(), Arc::new(clock.clone()))
        .await
        .unwrap_or_else(|e| panic!("gateway did not start: {e}"));
    let addr = app.local_addr();
    let core = app.core().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let cert_pem = std::fs::read(
        config
            .tls
            .cert_file
            .clone()
            .unwrap_or_else(|| data.path().join("tls/cert.pem")),
    )
    .unwrap();
    let client = client_for(&cert_pem, addr);
    TestApp {
        addr,
        base: format!("https://localhost:{}", addr.port()),
        client,
        clock,
        core,
        cert_pem,
        data,
        config,
        shutdown: Some(tx),
        pg_drop,
    }
}

/// An HTTPS client that trusts exactly `cert_pem` and resolves `localhost` to `addr`.
pub fn client_for(cert_pem: &[u8], addr: SocketAddr) -> Client {
    Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem).unwrap())
        .tls_built_in_root_certs(false)
        .https_only(true)
        .resolve("localhost", addr)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// What a stopped [`TestApp`] leaves: its data directory and database, for the real binary to
/// serve (the PostgreSQL database is dropped when this is).
#[allow(dead_code)] // used by the isolation tests, which share this file
pub struct Detached {
    /// The data directory.
    pub data: tempfile::TempDir,
    /// The configuration the in-process gateway ran with.
    pub config: Config,
    pg_drop: Option<(String, String)>,
}

impl TestApp {
    /// Stops the in-process gateway and keeps its data and database.
    #[allow(dead_code)] // used by the isolation tests, which share this file
    pub fn detach(mut self) -> Detached {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let data = std::mem::replace(&mut self.data, tempfile::tempdir().unwrap());
        Detached {
            data,
            config: self.config.clone(),
            pg_drop: self.pg_drop.take(),
        }
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        drop_postgres(self.pg_drop.take());
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        drop_postgres(self.pg_drop.take());
    }
}

/// Drops a test database (from a plain thread: the test's runtime may be shutting down).
fn drop_postgres(pg_drop: Option<(String, String)>) {
    if let Some((url, name)) = pg_drop {
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                use sqlx::Executor as _;
                if let Ok(mut c) = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await {
                    let _ = c
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                }
            });
        })
        .join();
    }
}

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct Account {
    /// User id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Current password.
    pub password: String,
    /// Raw TOTP secret.
    pub totp_secret: Vec<u8>,
    /// Bearer token.
    pub token: String,
    /// Recovery codes from enrollment.
    pub recovery_codes: Vec<String>,
}

/// The raw secret inside an `otpauth://` URI.
pub fn secret_from_uri(uri: &str) -> Vec<u8> {
    let secret = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap()
}

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

    /// The TOTP code at the clock's current time.
    pub fn code(&self, secret: &[u8]) -> String {
        gateway::service::totp::code_at(secret, self.clock.now_ts()).unwrap()
    }

    /// Moves the clock past the current TOTP step (each step is accepted once).
    pub fn next_step(&self) {
        self.clock.advance(chrono::Duration::seconds(30));
    }

    /// Creates a platform admin (as the CLI does) and completes its first login.
    pub async fn admin(&self, username: &str) -> Account {
        let created = self
            .core
            .bootstrap_admin(username, "Admin Test", &format!("{username}@operateur.fr"))
            .await
            .unwrap();
        self.first_login(&created.id, username, &created.initial_password)
            .await
    }

    /// Creates an organisation through the API.
    pub async fn organisation(&self, admin: &Account, name: &str, kind: &str) -> String {
        let r = self
            .post_as(
                &admin.token,
                "/api/v1/organisations",
                json!({"name": name, "kind": kind}),
            )
            .await;
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a user through the API and returns `(id, initial_password)`.
    pub async fn create_user(
        &self,
        admin: &Account,
        username: &str,
        org: &str,
    ) -> (String, String) {
        let r = self
            .post_as(
                &admin.token,
                "/api/v1/users",
                json!({"username": username, "display_name": format!("{username} Test"),
                       "email": format!("{username}@example.fr"), "organisation_id": org}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        (
            v["id"].as_str().unwrap().to_owned(),
            v["initial_password"].as_str().unwrap().to_owned(),
        )
    }

    /// Creates a user and completes its first login.
    pub async fn user(&self, admin: &Account, username: &str, org: &str) -> Account {
        let (id, pw) = self.create_user(admin, username, org).await;
        self.first_login(&id, username, &pw).await
    }

    /// Password, password change, TOTP enrollment: the whole first login.
    pub async fn first_login(&self, id: &str, username: &str, initial: &str) -> Account {
        let r = self
            .post(
                "/api/v1/auth/login",
                json!({"username": username, "password": initial}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["step"], "change_password");
        let password = "trois girafes traversent la rue 4812".to_owned();
        let r = self
            .post(
                "/api/v1/auth/password",
                json!({"challenge": v["challenge"], "new_password": password}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["step"], "enroll_totp");
        let secret = secret_from_uri(v["otpauth_uri"].as_str().unwrap());
        let r = self
            .post(
                "/api/v1/auth/totp",
                json!({"challenge": v["challenge"], "code": self.code(&secret)}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        self.next_step();
        Account {
            id: id.to_owned(),
            username: username.to_owned(),
            password,
            totp_secret: secret,
            token: v["token"].as_str().unwrap().to_owned(),
            recovery_codes: serde_json::from_value(v["recovery_codes"].clone()).unwrap(),
        }
    }

    /// A later login: password then TOTP; returns the new bearer token.
    pub async fn login(&self, account: &Account) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                json!({"username": account.username, "password": account.password}),
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["step"], "totp");
        let r = self
            .post(
                "/api/v1/auth/totp",
                json!({"challenge": v["challenge"], "code": self.code(&account.totp_secret)}),
            )
            .await;
        assert_eq!(r.status(), 200);
        self.next_step();
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Seconds since the epoch of a manual clock.
pub trait NowTs {
    /// The clock's Unix time in seconds.
    fn now_ts(&self) -> i64;
}

impl NowTs for ManualClock {
    fn now_ts(&self) -> i64 {
        use gateway::clock::Clock as _;
        self.now().timestamp()
    }
}

/// The error code of a response body.
pub async fn error_code(r: Response) -> String {
    let v: Value = r.json().await.unwrap();
    v["error"].as_str().unwrap_or_default().to_owned()
}

/// Uploads `bytes` as `name` into a mission's folder (`deposits` or `results`) as a multipart
/// form, expects 201 and returns the file object.
pub async fn upload_file(
    app: &TestApp,
    token: &str,
    mission: &str,
    folder: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    upload_to(&app.client, &app.base, token, mission, folder, name, bytes).await
}

/// [`upload_file`] to the gateway at `base` through `client`.
pub async fn upload_to(
    client: &Client,
    base: &str,
    token: &str,
    mission: &str,
    folder: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let r = client
        .post(format!("{base}/api/v1/missions/{mission}/{folder}"))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 201, "upload of {name:?} to {folder}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Releases a result to the mission's recipients, as `token`'s owner; expects 200.
pub async fn release(app: &TestApp, token: &str, file: &str) {
    let r = app
        .post_as(token, &format!("/api/v1/files/{file}/release"), json!({}))
        .await;
    assert_eq!(r.status(), 200);
}

/// The bytes of a file of the shared fixtures (`../shared/fixtures/` beside the repository).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/").to_owned() + name;
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}
