//! A page-object style driver of one headless chromium against one test gateway.
//!
//! `Browser::launch(&app, "test_name")` starts chromedriver and chromium trusting exactly the
//! gateway's certificate; the methods read like the steps a person takes (`goto`, `fill`,
//! `press`, `follow`, `login_as`) and `check_page("name")` (in `checks.rs`) keeps a full-page
//! screenshot at a desktop and a mobile width and runs axe-core at both. Accessibility
//! violations, sideways scrolling and console errors are collected page by page and fail the test
//! in `close()`, all of them listed.

mod axe;
mod cdp;
mod checks;
mod chrome;
mod spki;

use cdp::{AddVirtualAuthenticator, Cdp, Viewport};
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use gateway::clock::ManualClock;
use passerelle_tests::prelude::{Account, NowTs as _, TestApp};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) use chrome::require_tools;

/// How long a step may take before the test gives up (pages answer in milliseconds; chromium on
/// a busy two-core machine sometimes needs a few seconds).
const PATIENCE: Duration = Duration::from_secs(20);

/// One headless chromium, signed in or not, against one gateway.
pub(crate) struct Browser {
    client: Client,
    base: String,
    test: String,
    clock: ManualClock,
    downloads: PathBuf,
    problems: Mutex<Vec<String>>,
    // Dropped in this order: the processes go, then their profile and home directory.
    _driver: chrome::Chromedriver,
    _home: tempfile::TempDir,
}

impl Browser {
    /// A browser of a French-speaking person (`Accept-Language: fr-FR,fr`).
    pub(crate) async fn launch(app: &TestApp, test: &str) -> Browser {
        Browser::launch_with(app, test, "fr-FR,fr").await
    }

    /// A browser whose `Accept-Language` is `languages` (chromium's `intl.accept_languages`).
    pub(crate) async fn launch_with(app: &TestApp, test: &str, languages: &str) -> Browser {
        require_tools();
        let home = tempfile::tempdir().unwrap();
        let profile = home.path().join("profile");
        let downloads = home.path().join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let driver = chrome::Chromedriver::start(home.path()).await;
        let spki = spki::spki_sha256_base64(&app.cert_pem);
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chrome::CHROMIUM,
                "args": chrome::chromium_args(&profile, &spki),
                "prefs": {
                    "intl.accept_languages": languages,
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "credentials_enable_service": false,
                    "profile.password_manager_enabled": false,
                },
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("chromium did not start through chromedriver: {e}"));
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(60)),
                Some(PATIENCE),
                Some(Duration::ZERO),
            ))
            .await
            .unwrap();
        let browser = Browser {
            client,
            base: app.base.clone(),
            test: test.to_owned(),
            clock: app.clock.clone(),
            downloads,
            problems: Mutex::new(Vec::new()),
            _driver: driver,
            _home: home,
        };
        browser.set_viewport(Viewport::Desktop).await;
        browser
    }

    async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    async fn set_viewport(&self, viewport: Viewport) {
        self.cdp("Emulation.setDeviceMetricsOverride", viewport.metrics())
            .await;
    }

    /// Plugs a virtual passkey authenticator into the browser (WebDriver's WebAuthn extension):
    /// `navigator.credentials` then creates and uses passkeys without anyone touching anything.
    pub(crate) async fn add_virtual_authenticator(&self) {
        self.client
            .issue_cmd(AddVirtualAuthenticator)
            .await
            .unwrap_or_else(|e| panic!("adding a virtual authenticator: {e}"));
    }

    /// Opens `path` on the gateway, as typing it in the address bar.
    pub(crate) async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    }

    /// Opens an absolute URL; false when chromium could not load it (a refused certificate).
    pub(crate) async fn open_url(&self, url: &str) -> bool {
        self.client.goto(url).await.is_ok()
    }

    /// Slows what the page sends to `bytes_per_second` (uploads then take long enough to be
    /// watched and cancelled); `None` lifts the limit.
    pub(crate) async fn throttle_uploads(&self, bytes_per_second: Option<u64>) {
        self.cdp("Network.enable", json!({})).await;
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({
                "offline": false,
                "latency": 0,
                "downloadThroughput": -1,
                "uploadThroughput": bytes_per_second.map_or(-1, |b| i64::try_from(b).unwrap()),
            }),
        )
        .await;
    }

    /// The id of the element that has the focus.
    pub(crate) async fn focused_id(&self) -> String {
        self.eval("return document.activeElement ? document.activeElement.id : '';")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Reloads the current page.
    pub(crate) async fn reload(&self) {
        self.client.refresh().await.unwrap();
    }

    /// The current path and query, e.g. `/connexion?expire=1`.
    pub(crate) async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the current path (without the query) is `expected`.
    pub(crate) async fn expect_path(&self, expected: &str) {
        let started = Instant::now();
        loop {
            let url = self.client.current_url().await.unwrap();
            if url.path() == expected {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "expected to be on {expected}, still on {url}; page:\n{}",
                self.visible_text().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The `lang` attribute of the page's `<html>`.
    pub(crate) async fn lang(&self) -> String {
        // The page may be replaced between finding <html> and reading it: try again then.
        for _ in 0..50 {
            // Between two pages there may be no <html> at all for a moment.
            if let Ok(html) = self.client.find(Locator::Css("html")).await {
                if let Ok(lang) = html.attr("lang").await {
                    return lang.unwrap_or_default();
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page kept changing under <html>");
    }

    /// The text of the first element matching `css`.
    pub(crate) async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// The texts of every element matching `css`.
    pub(crate) async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await.unwrap() {
            out.push(e.text().await.unwrap());
        }
        out
    }

    /// An attribute of the first element matching `css`.
    pub(crate) async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.unwrap()
    }

    /// The page's visible text (for assertions and failure messages).
    pub(crate) async fn visible_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(e) => format!("(no page: {e})"),
        }
    }

    /// The page's `<h1>`, waiting until it reads `expected` (the step after a form may still be
    /// loading).
    pub(crate) async fn expect_h1(&self, expected: &str) {
        let started = Instant::now();
        loop {
            if let Ok(h1) = self.client.find(Locator::Css("h1")).await {
                if h1.text().await.ok().as_deref() == Some(expected) {
                    return;
                }
            }
            assert!(
                started.elapsed() < PATIENCE,
                "expected the heading {expected:?} on {}; page:\n{}",
                self.path().await,
                self.visible_text().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until an element matching `css` is on the page (the answer to a form may still be
    /// loading).
    pub(crate) async fn wait_for(&self, css: &str) {
        let started = Instant::now();
        while self.client.find(Locator::Css(css)).await.is_err() {
            assert!(
                started.elapsed() < PATIENCE,
                "no {css:?} on {}; page:\n{}",
                self.path().await,
                self.visible_text().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => panic!(
                "no {css:?} on {} ({e}); page:\n{}",
                self.path().await,
                self.visible_text().await
            ),
        }
    }

    /// Types `value` into the field `#id`, as a person would (after clearing it).
    pub(crate) async fn fill(&self, id: &str, value: &str) {
        let field = self.find(&format!("#{id}")).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Chooses the option whose value is `value` in the list `#id`.
    pub(crate) async fn select(&self, id: &str, value: &str) {
        self.find(&format!("#{id}"))
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("no option {value:?} in #{id}: {e}"));
    }

    /// Clicks the first element matching `css` (a button, a link).
    pub(crate) async fn press(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Clicks the link whose visible text is `text`.
    pub(crate) async fn follow(&self, text: &str) {
        match self.client.find(Locator::LinkText(text)).await {
            Ok(link) => link.click().await.unwrap(),
            Err(e) => panic!(
                "no link {text:?} on {} ({e}); page:\n{}",
                self.path().await,
                self.visible_text().await
            ),
        }
    }

    /// The TOTP code an authenticator app shows for `secret` at the gateway's clock; the clock
    /// then moves past that step, since each step is accepted once.
    pub(crate) fn totp_code(&self, secret: &[u8]) -> String {
        let code = gateway::service::totp::code_at(secret, self.clock.now_ts()).unwrap();
        self.clock.advance(chrono::Duration::seconds(30));
        code
    }

    /// Signs in through the pages as an enrolled `account`: password, then the TOTP code; ends
    /// on the home page.
    pub(crate) async fn login_as(&self, account: &Account) {
        self.goto("/connexion").await;
        self.fill("username", &account.username).await;
        self.fill("password", &account.password).await;
        self.press("form[action='/connexion'] button[type=submit]")
            .await;
        self.wait_for("input[name=etape][value=code]").await;
        self.fill("code", &self.totp_code(&account.totp_secret))
            .await;
        self.press("form:has(#code) button[type=submit]").await;
        // An account's first sign-in through the pages passes by the usage charter.
        if self.expect_path_in(&["/accueil", "/charte"]).await == "/charte" {
            self.accept_charter().await;
        }
    }

    /// Ticks and accepts the usage charter; ends on the home page.
    pub(crate) async fn accept_charter(&self) {
        self.expect_path("/charte").await;
        self.press("#accepte").await;
        self.press("form[action='/charte'] button[type=submit]")
            .await;
        self.expect_path("/accueil").await;
    }

    /// Waits until the current path (without the query) is one of `paths`; returns it.
    pub(crate) async fn expect_path_in(&self, paths: &[&str]) -> String {
        let started = Instant::now();
        loop {
            let url = self.client.current_url().await.unwrap();
            if paths.contains(&url.path()) {
                return url.path().to_owned();
            }
            assert!(
                started.elapsed() < PATIENCE,
                "expected to be on one of {paths:?}, still on {url}; page:\n{}",
                self.visible_text().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Presses the header's sign-out button; ends on the signed-out page.
    pub(crate) async fn logout(&self) {
        self.press("form.deconnexion button[type=submit]").await;
        self.expect_path("/deconnecte").await;
    }

    /// Presses the header's language switch; stays on the same page.
    pub(crate) async fn switch_language(&self) {
        let before = self.lang().await;
        self.press("form.langue button[type=submit]").await;
        let started = Instant::now();
        while self.lang().await == before {
            assert!(started.elapsed() < PATIENCE, "the language stayed {before}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Chooses the local file `path` in the file field matching `css`, as the file picker would.
    pub(crate) async fn choose_file(&self, css: &str, path: &Path) {
        let field = self.find(css).await;
        field
            .send_keys(path.to_str().unwrap())
            .await
            .unwrap_or_else(|e| panic!("choosing {} in {css}: {e}", path.display()));
    }

    /// Runs a script in the page and returns what it returns (as JSON).
    pub(crate) async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs a script in the page (to set up a situation no link leads to).
    pub(crate) async fn run_script(&self, script: &str) {
        self.client.execute(script, vec![]).await.unwrap();
    }

    /// Waits for chromium to finish downloading `name` into this browser's download directory and
    /// returns its bytes.
    pub(crate) async fn downloaded(&self, name: &str) -> Vec<u8> {
        let path = self.downloads.join(name);
        let started = Instant::now();
        loop {
            if path.exists() && !partial_downloads(&self.downloads) {
                return std::fs::read(&path).unwrap();
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{name} was not downloaded; the download directory holds {:?}",
                std::fs::read_dir(&self.downloads)
                    .unwrap()
                    .map(|e| e.unwrap().file_name())
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ends the browser session, then fails if any checked page had an accessibility violation
    /// or a console error.
    pub(crate) async fn close(self) {
        let problems = self.take_problems();
        let _ = self.client.clone().close().await;
        assert!(
            problems.is_empty(),
            "{} page check(s) failed in {}:\n\n{}",
            problems.len(),
            self.test,
            problems.join("\n")
        );
    }
}

/// True while chromium still writes a download (`*.crdownload`).
fn partial_downloads(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        e.unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "crdownload")
    })
}
