//! A real ClamAV clamd for the tests: Debian's `clamav-daemon`, started with its own
//! configuration, a signature database made of the EICAR test signature only (no download, no
//! network), and a socket in a temporary directory.
//!
//! Its limits are small so that the size tests stay small: `MaxFileSize` and `MaxScanSize` 1 MiB,
//! `StreamMaxLength` 2 MiB, with `AlertExceedsMax yes` — what the README asks of operators:
//! `MaxFileSize` no lower than `MaxScanSize`, since clamd 1.4 scans only the first `MaxFileSize`
//! bytes of a compressed zip entry without any alert.

use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The size limits of the test clamd, in bytes.
pub(crate) const MAX_FILE_SIZE: usize = 1024 * 1024;
/// Past this, clamd answers `INSTREAM size limit exceeded. ERROR`.
pub(crate) const STREAM_MAX_LENGTH: usize = 2 * 1024 * 1024;

/// The 68-byte EICAR test file, built here so that no source file carries it whole (some
/// scanners flag a repository that does).
pub(crate) fn eicar() -> Vec<u8> {
    let head = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$";
    let tail = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    format!("{head}{tail}").into_bytes()
}

/// The name clamd reports for [`eicar`] from the test database (clamd marks signatures of
/// unofficial databases so).
pub(crate) const EICAR_NAME: &str = "Eicar-Test-Signature.UNOFFICIAL";

fn clamd_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join("clamd"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "FAILING: clamd is not installed, so the antivirus cannot be tested: \
                 apt-get install clamav-daemon (.ci/run does it)"
            )
        })
}

/// A running (or stopped) clamd of a test.
pub(crate) struct Clamd {
    dir: tempfile::TempDir,
    /// Kept apart so that it can live on a memory file system.
    _spool: tempfile::TempDir,
    config: PathBuf,
    child: Option<std::process::Child>,
    /// Its Unix socket.
    pub socket: PathBuf,
    /// Its TCP address (it listens on both).
    pub tcp: String,
}

impl Clamd {
    /// Writes the database and configuration, starts clamd and waits for its `PONG`.
    pub(crate) async fn start() -> Clamd {
        // Fails here, with the reason, when clamd is not installed.
        clamd_binary();
        let dir = tempfile::tempdir().unwrap();
        // clamd spools each stream to its TemporaryDirectory: a memory file system when there is one.
        let spool = tempfile::Builder::new()
            .prefix("clamd-spool")
            .tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir_in(dir.path()))
            .unwrap();
        let db = dir.path().join("db");
        std::fs::create_dir(&db).unwrap();
        // An .ndb body signature: target type 0 (any file), any offset, the EICAR bytes in hex.
        std::fs::write(
            db.join("eicar.ndb"),
            format!("Eicar-Test-Signature:0:*:{}\n", hex::encode(eicar())),
        )
        .unwrap();
        let socket = dir.path().join("clamd.sock");
        let config = dir.path().join("clamd.conf");
        // A free port, asked of the system (released just before clamd takes it).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            &config,
            format!(
                "DatabaseDirectory {db}\nLocalSocket {socket}\nForeground yes\n\
                 TemporaryDirectory {spool}\nLogFile {log}\nBytecode no\n\
                 StreamMaxLength {stream}\nMaxFileSize {file}\nMaxScanSize {scan}\n\
                 AlertExceedsMax yes\nTCPAddr 127.0.0.1\nTCPSocket {port}\n",
                db = db.display(),
                socket = socket.display(),
                spool = spool.path().display(),
                log = dir.path().join("clamd.log").display(),
                stream = STREAM_MAX_LENGTH,
                file = MAX_FILE_SIZE,
                scan = MAX_FILE_SIZE,
            ),
        )
        .unwrap();
        let mut clamd = Clamd {
            dir,
            _spool: spool,
            config,
            child: None,
            socket,
            tcp: format!("127.0.0.1:{port}"),
        };
        clamd.resume().await;
        clamd
    }

    /// Starts clamd again (after [`Clamd::stop`]) and waits for its `PONG`.
    pub(crate) async fn resume(&mut self) {
        assert!(self.child.is_none(), "clamd already runs");
        let log = std::fs::File::create(self.dir.path().join("clamd.out")).unwrap();
        let child = std::process::Command::new(clamd_binary())
            .arg("--config-file")
            .arg(&self.config)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("FAILING: clamd does not start: {e}"));
        self.child = Some(child);
        for _ in 0..300 {
            if ping(&self.socket).await {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("FAILING: clamd exited ({status}): {}", self.output());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "FAILING: clamd did not answer PING in 30 s: {}",
            self.output()
        );
    }

    /// Stops clamd (SIGTERM, so that it removes its socket) and waits for it to exit.
    pub(crate) async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        for _ in 0..100 {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_file(&self.socket);
    }

    fn output(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!("{}{}", read("clamd.out"), read("clamd.log"))
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Whether a clamd answers `PONG` on `socket`.
pub(crate) async fn ping(socket: &Path) -> bool {
    let attempt = async {
        let mut conn = tokio::net::UnixStream::connect(socket).await.ok()?;
        conn.write_all(b"zPING\0").await.ok()?;
        let mut reply = Vec::new();
        conn.read_to_end(&mut reply).await.ok()?;
        Some(reply == b"PONG\0")
    };
    tokio::time::timeout(Duration::from_secs(2), attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}
