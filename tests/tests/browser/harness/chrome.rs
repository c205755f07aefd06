//! Debian's chromium driven through chromedriver: one chromedriver per browser session, in its own
//! process group so that the whole tree (chromedriver, chromium and its helpers) goes at once.

use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Debian's chromium (the wrapper script that reads `/etc/chromium.d`).
pub(super) const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (package `chromium-driver`).
pub(super) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// At most this many browsers at once: each chromium takes a good part of a core while it renders.
static SESSIONS: Semaphore = Semaphore::const_new(2);

/// axe-core's browser build, installed by `npm ci --prefix tests/browser`.
pub(super) fn axe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/node_modules/axe-core/axe.min.js")
}

/// Fails with one sentence naming what to install when chromium, chromedriver or axe-core is
/// missing: the browser tests never skip silently.
pub(crate) fn require_tools() {
    for (path, what) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")] {
        assert!(
            Path::new(path).exists(),
            "The browser tests need {what} at {path}: install it with \
             `apt-get install chromium chromium-driver` (as .ci/run does)."
        );
    }
    let axe = axe_path();
    assert!(
        axe.exists(),
        "The browser tests need axe-core at {}: run `npm ci --prefix tests/browser` \
         (as .ci/run does).",
        axe.display()
    );
}

/// A running chromedriver; dropping it kills its whole process group (chromium included), which
/// also covers a test that panicked before closing its session.
pub(super) struct Chromedriver {
    child: Child,
    /// The WebDriver endpoint, `http://127.0.0.1:PORT`.
    pub url: String,
    _permit: SemaphorePermit<'static>,
}

impl Chromedriver {
    /// Waits for a free browser slot, then starts chromedriver on a port it picks itself, with
    /// `home` as its (and chromium's) home directory so nothing is written under the real one.
    pub(super) async fn start(home: &Path) -> Chromedriver {
        let permit = SESSIONS.acquire().await.unwrap();
        let mut child = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMEDRIVER} did not start: {e}"));
        // chromedriver says which port it took; the rest of its output is drained so that it
        // never blocks on a full pipe.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = started_port(&line) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(port);
                    }
                }
            }
        });
        let mut driver = Chromedriver {
            child,
            url: String::new(),
            _permit: permit,
        };
        let port = tokio::time::timeout(Duration::from_secs(20), rx)
            .await
            .unwrap_or_else(|_| panic!("{CHROMEDRIVER} did not say its port within 20 s"))
            .unwrap_or_else(|_| panic!("{CHROMEDRIVER} exited before listening"));
        driver.url = format!("http://127.0.0.1:{port}");
        driver
    }
}

/// The port in chromedriver's "ChromeDriver was started successfully on port 41577." line.
fn started_port(line: &str) -> Option<u16> {
    line.split("started successfully on port ")
        .nth(1)?
        .trim_end_matches('.')
        .trim()
        .parse()
        .ok()
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group was created by `process_group(0)`: its id is chromedriver's pid.
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = self.child.wait();
    }
}

/// Chromium's command line: headless, nothing fetched from the network but our gateway, a fresh
/// profile, and trust in exactly one certificate: the gateway's, by the hash of its public key.
pub(super) fn chromium_args(profile: &Path, spki_sha256_base64: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--window-size=1280,900",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(format!(
        "--ignore-certificate-errors-spki-list={spki_sha256_base64}"
    ));
    args
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_chromedriver_port_line() {
        assert_eq!(
            super::started_port("ChromeDriver was started successfully on port 41577."),
            Some(41577)
        );
        assert_eq!(
            super::started_port("Only local connections are allowed."),
            None
        );
    }
}
