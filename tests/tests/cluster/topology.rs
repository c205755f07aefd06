//! The topology of `deploy/cluster.sh`, started by that very script: one PostgreSQL database (a
//! fresh one per run, on the server of `PASSERELLE_TEST_POSTGRES_URL`), one SeaweedFS, two
//! `passerelle serve` processes (the binary under test) and haproxy in front.

use passerelle_tests::prelude::client_for;
use reqwest::{Client, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// One HTTPS address of the cluster: haproxy, or one instance's own port.
pub(crate) struct Node {
    /// A client trusting the cluster's CA, `localhost` resolved to this address.
    pub client: Client,
    /// `https://localhost:PORT`.
    pub base: String,
    /// `haproxy`, `gw1` or `gw2`, for messages.
    pub name: &'static str,
}

impl Node {
    fn new(ca: &[u8], port: u16, name: &'static str) -> Node {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        Node {
            client: client_for(ca, addr),
            base: format!("https://localhost:{port}"),
            name,
        }
    }

    /// `GET path` with an optional bearer token.
    pub(crate) async fn get(&self, token: Option<&str>, path: &str) -> Response {
        let mut r = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    /// A JSON request with an optional bearer token.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: &Value,
    ) -> Response {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    /// `POST path` with a JSON body.
    pub(crate) async fn post(&self, token: Option<&str>, path: &str, body: Value) -> Response {
        self.send(reqwest::Method::POST, token, path, &body).await
    }
}

/// The running cluster; stopped (and its database dropped) when dropped.
pub(crate) struct Cluster {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
    pg_admin: String,
    db_name: String,
    /// Through haproxy.
    pub lb: Node,
    /// Instance 1's own port.
    pub gw1: Node,
    /// Instance 2's own port.
    pub gw2: Node,
    /// The cluster's database.
    pub db: sqlx::PgPool,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/cluster.sh")
}

/// Whether `program` is on the PATH.
pub(crate) fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

impl Cluster {
    /// Runs `deploy/cluster.sh start` on a fresh state directory and database.
    pub(crate) async fn start(pg_admin: &str) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let db_name = format!("passerelle_cluster_{}", uuid::Uuid::new_v4().simple());
        let c = Cluster::script_in(dir.path(), pg_admin, &db_name, &["start"]);
        if !c.status.success() {
            let _ = Cluster::script_in(dir.path(), pg_admin, &db_name, &["stop"]);
            panic!(
                "deploy/cluster.sh start failed: {}\n{}",
                String::from_utf8_lossy(&c.stderr),
                logs_in(dir.path())
            );
        }
        let env = read_env(&dir.path().join("cluster.env"));
        let ca = std::fs::read(dir.path().join("tls/ca.pem")).unwrap();
        let port = |k: &str| env[k].parse::<u16>().unwrap();
        let db = sqlx::PgPool::connect(&env["DATABASE_URL"]).await.unwrap();
        Cluster {
            lb: Node::new(&ca, port("PORT"), "haproxy"),
            gw1: Node::new(&ca, port("GW1_PORT"), "gw1"),
            gw2: Node::new(&ca, port("GW2_PORT"), "gw2"),
            db,
            env,
            pg_admin: pg_admin.to_owned(),
            db_name,
            dir,
        }
    }

    fn script_in(dir: &Path, pg_admin: &str, db: &str, args: &[&str]) -> std::process::Output {
        let mut command = Command::new("bash");
        if let Some(weed) = std::env::var_os("PASSERELLE_WEED") {
            command.env("WEED", weed);
        }
        command
            .arg(script())
            .args(args)
            .env("CLUSTER_DIR", dir)
            .env("CLUSTER_PORT", "0")
            .env("CLUSTER_GATEWAY_PORTS", "0 0")
            .env("CLUSTER_PG_URL", pg_admin)
            .env("CLUSTER_DB", db)
            .env("CLUSTER_SWEEP_SECS", "1")
            .env("CLUSTER_WATCH_PID", std::process::id().to_string())
            .env("CLUSTER_ADMIN_JSON", "1")
            .env(
                "PASSERELLE_BIN",
                env!("CARGO_BIN_EXE_passerelle-under-test"),
            )
            .env("RUST_LOG", "info")
            .output()
            .unwrap()
    }

    /// `deploy/cluster.sh ARGS` on this cluster; panics with its output and the logs on failure.
    pub(crate) fn script(&self, args: &[&str]) -> String {
        let out = Cluster::script_in(self.dir.path(), &self.pg_admin, &self.db_name, args);
        assert!(
            out.status.success(),
            "deploy/cluster.sh {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The tails of every log of the cluster (for failure messages).
    pub(crate) fn logs(&self) -> String {
        logs_in(self.dir.path())
    }

    /// A setting of `cluster.env`.
    pub(crate) fn setting(&self, key: &str) -> &str {
        &self.env[key]
    }

    /// The configuration file of instance `n`.
    pub(crate) fn config_of(&self, n: u8) -> PathBuf {
        self.dir.path().join(format!("gw{n}/passerelle.toml"))
    }

    /// Kills instance `n` with SIGKILL, as a crash would, and waits until it is gone.
    pub(crate) async fn kill(&self, n: u8) {
        let pid = std::fs::read_to_string(self.dir.path().join(format!("pids/gw{n}.pid")))
            .unwrap()
            .trim()
            .to_owned();
        let status = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(status.success());
        // Gone, or a zombie nobody reaps (a container's init may not): either way it is dead.
        for _ in 0..200 {
            match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                Err(_) => return,
                Ok(s)
                    if s.rsplit(')')
                        .next()
                        .is_some_and(|r| r.trim_start().starts_with('Z')) =>
                {
                    return
                }
                Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        panic!("gw{n} survived SIGKILL");
    }

    /// The S3 object keys under `prefix` in the cluster's bucket, read through SeaweedFS's filer
    /// (a folder per `/`); multipart parts still in progress are not objects and are not listed.
    pub(crate) async fn objects_under(&self, prefix: &str) -> Vec<String> {
        let filer = format!(
            "http://127.0.0.1:{}/buckets/{}/",
            self.setting("FILER_PORT"),
            self.setting("BUCKET")
        );
        let client = Client::new();
        let mut found = Vec::new();
        let mut folders = vec![prefix.trim_end_matches('/').to_owned()];
        while let Some(folder) = folders.pop() {
            let r = client
                .get(format!("{filer}{folder}/?limit=10000"))
                .header("accept", "application/json")
                .send()
                .await
                .unwrap();
            if r.status() == 404 {
                continue;
            }
            let v: Value = r.json().await.unwrap();
            for e in v["Entries"].as_array().into_iter().flatten() {
                let path = e["FullPath"].as_str().unwrap();
                let key = path
                    .strip_prefix(&format!("/buckets/{}/", self.setting("BUCKET")))
                    .unwrap()
                    .to_owned();
                // A folder has a mode with the directory bit (0o20000000000 in Go's FileMode).
                let is_dir = e["Mode"].as_u64().is_some_and(|m| m & (1 << 31) != 0);
                if is_dir {
                    folders.push(key);
                } else {
                    found.push(key);
                }
            }
        }
        found.sort();
        found
    }

    /// `passerelle --config <instance n> ARGS`: (success, stdout + stderr).
    pub(crate) fn passerelle(&self, n: u8, args: &[&str]) -> (bool, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_passerelle-under-test"))
            .arg("--config")
            .arg(self.config_of(n))
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Cluster::script_in(self.dir.path(), &self.pg_admin, &self.db_name, &["stop"]);
        let url = self.pg_admin.clone();
        let name = self.db_name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                use sqlx::Executor as _;
                if let Ok(mut c) = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await {
                    let _ = c
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                }
            });
        })
        .join();
    }
}

/// The tails of every log under a cluster's state directory.
fn logs_in(dir: &Path) -> String {
    let mut out = String::new();
    for log in [
        "gw1/passerelle.log",
        "gw2/passerelle.log",
        "haproxy.log",
        "s3/weed.log",
    ] {
        let text = std::fs::read_to_string(dir.join(log)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        out.push_str(&format!("--- {log}\n{tail}\n"));
    }
    out
}

fn read_env(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
        .collect()
}
