//! The real `passerelle serve` process on the data and database a seeded in-process gateway left,
//! so that its memory is measured alone and its logs can be read.

use passerelle_tests::prelude::{client_for, Detached};
use reqwest::Client;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running gateway process.
pub(crate) struct RealGateway {
    child: Child,
    /// An HTTPS client trusting its certificate.
    pub client: Client,
    /// `https://localhost:PORT`.
    pub base: String,
    /// Every line it wrote on stderr (its log).
    pub log: Arc<Mutex<Vec<String>>>,
    data: Option<Detached>,
}

impl RealGateway {
    /// Starts `passerelle serve` on `data` and waits until `/healthz` answers.
    pub(crate) async fn start(data: Detached) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_passerelle-under-test"));
        command
            .arg("serve")
            .env_clear()
            .env("PASSERELLE_DATA_DIR", data.data.path())
            .env("PASSERELLE_LISTEN", addr.to_string())
            .env("RUST_LOG", "info")
            .current_dir(data.data.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(url) = &data.config.database_url {
            command.env("PASSERELLE_DATABASE_URL", url);
        }
        if let Some(master) = &data.config.master_key.file {
            // PostgreSQL wants its master key named (`passerelle.toml` of the working directory).
            std::fs::write(
                data.data.path().join("passerelle.toml"),
                format!("[master_key]\nfile = {:?}\n", master.display().to_string()),
            )
            .unwrap();
        }
        let mut child = command.spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let cert = std::fs::read(data.data.path().join("tls/cert.pem")).unwrap();
        let client = client_for(&cert, addr);
        let base = format!("https://localhost:{port}");
        for _ in 0..300 {
            if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
                if r.status() == 200 {
                    return Self {
                        child,
                        client,
                        base,
                        log,
                        data: Some(data),
                    };
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "the gateway exited ({status}): {}",
                    log.lock().unwrap().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the gateway did not answer /healthz within 30 s");
    }

    /// Kills the process at once (SIGKILL, as a crash would) and keeps its data.
    pub(crate) fn crash(mut self) -> Detached {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.data.take().unwrap()
    }

    /// The PostgreSQL database it serves, if any.
    pub(crate) fn database_url(&self) -> Option<String> {
        self.data.as_ref().unwrap().config.database_url.clone()
    }

    /// The data directory.
    pub(crate) fn data_dir(&self) -> std::path::PathBuf {
        self.data.as_ref().unwrap().data.path().to_path_buf()
    }

    /// `base` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A field of `/proc/PID/status`, in KiB (`VmRSS:`, `VmHWM:`).
    pub(crate) fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap())
            .unwrap()
    }

    /// The peak memory of every check worker, from the gateway's log (`peak_rss_kib=N`).
    pub(crate) fn worker_peaks_kib(&self) -> Vec<u64> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| l.split("peak_rss_kib=").nth(1))
            .filter_map(|v| v.split_whitespace().next()?.parse().ok())
            .collect()
    }
}

impl Drop for RealGateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
