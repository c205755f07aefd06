//! What every visited page gets: full-page screenshots at a desktop and a mobile width, a
//! sideways-scrolling check, axe-core and the browser console. Problems are recorded and fail the
//! test in `Browser::close`.

use super::cdp::{ConsoleLog, Viewport};
use super::{axe, Browser};
use base64::Engine as _;
use serde_json::json;
use std::path::PathBuf;

/// The elements sticking out of `arguments[0]` pixels (the emulated screen's width: a mobile
/// layout viewport widens to fit overflowing content), outside any element that clips or scrolls
/// sideways (a wide table inside a scrolling wrapper is fine).
const OVERFLOWING: &str = "
    const width = arguments[0];
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
        // Text too long to wrap overflows its box without widening it: scrollWidth counts it.
        // A scroll container's own content is meant to scroll: only its box counts.
        const box = el.getBoundingClientRect();
        const scrolls = getComputedStyle(el).overflowX !== 'visible';
        const right = box.left + (scrolls ? box.width : Math.max(box.width, el.scrollWidth));
        if (right <= width + 1) continue;
        // An absolutely positioned element escapes the clipping of the ancestors below its
        // containing block (the nearest positioned ancestor).
        const position = getComputedStyle(el).position;
        if (position === 'fixed') continue;
        let escaping = position === 'absolute';
        let clipped = false;
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            const style = getComputedStyle(a);
            if (escaping && style.position === 'static') continue;
            escaping = false;
            if (style.overflowX !== 'visible') { clipped = true; break; }
        }
        if (clipped) continue;
        const classes = typeof el.className === 'string' && el.className.trim()
            ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
        // Only the innermost culprits: an ancestor holding one is no news.
        for (const a of out) if (a.el.contains(el)) a.inner = true;
        out.push({el, inner: false, name: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes
            + ' (right edge at ' + Math.round(right) + ' px)'});
    }
    return out.filter(c => !c.inner).map(c => c.name).slice(0, 6).join(', ');
";

impl Browser {
    /// Saves a full-page PNG of the current page at both widths, as
    /// `target/screenshots/<test>-<page>-<desktop|mobile>.png`.
    pub(crate) async fn screenshot(&self, page: &str) {
        for viewport in [Viewport::Desktop, Viewport::Mobile] {
            self.set_viewport(viewport).await;
            self.save_screenshot(page, viewport).await;
        }
        self.set_viewport(Viewport::Desktop).await;
    }

    async fn save_screenshot(&self, page: &str, viewport: Viewport) {
        // The whole page: the viewport grows to the document's height, keeping its width (a
        // capture "beyond the viewport" would widen it to any overflowing content instead).
        let size = self
            .client
            .execute(
                "const e = document.documentElement; return [e.scrollWidth, e.scrollHeight];",
                vec![],
            )
            .await
            .unwrap();
        let mut metrics = viewport.metrics();
        let (width, height) = (metrics["width"].as_u64(), metrics["height"].as_u64());
        let (page_width, page_height) = (size[0].as_u64(), size[1].as_u64());
        if page_width > width {
            let culprits = self
                .client
                .execute(OVERFLOWING, vec![json!(width)])
                .await
                .unwrap();
            self.problem(format!(
                "{page} scrolls sideways at {} px (WCAG 1.4.10): the document is {} px wide; \
                 sticking out: {culprits}",
                width.unwrap_or_default(),
                page_width.unwrap_or_default()
            ));
        }
        metrics["height"] = json!(height.max(page_height));
        self.cdp("Emulation.setDeviceMetricsOverride", metrics)
            .await;
        let shot = self
            .cdp("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .unwrap();
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!("{}-{page}-{}.png", self.test, viewport.name());
        std::fs::write(dir.join(name), png).unwrap();
    }

    /// Runs axe-core (WCAG 2.1 A/AA) on the current page at both widths, and reads the browser
    /// console; what they find is recorded under `page` and fails the test in `close()`.
    pub(crate) async fn check_accessibility(&self, page: &str) {
        for viewport in [Viewport::Desktop, Viewport::Mobile] {
            self.set_viewport(viewport).await;
            let violations = axe::run(&self.client).await;
            if !violations.is_empty() {
                self.problem(format!(
                    "axe-core on {page} ({}, {}):\n{}",
                    self.path().await,
                    viewport.name(),
                    axe::report(&violations)
                ));
            }
        }
        self.set_viewport(Viewport::Desktop).await;
        self.check_console(page).await;
    }

    /// Takes the violations recorded so far (for the harness's own test of axe).
    pub(crate) fn take_problems(&self) -> Vec<String> {
        std::mem::take(&mut *self.problems.lock().unwrap())
    }

    /// Screenshots at both widths and the accessibility check: what every visited page gets.
    pub(crate) async fn check_page(&self, page: &str) {
        self.screenshot(page).await;
        self.check_accessibility(page).await;
    }

    /// Console errors (a CSP refusal, a failed resource, a script error) since the last check.
    async fn check_console(&self, page: &str) {
        let Ok(entries) = self.client.issue_cmd(ConsoleLog).await else {
            return;
        };
        // The page's own status (a 404 page, a form answered 422) is logged too: not a problem.
        let own_status = format!(
            "{} - Failed to load resource",
            self.client.current_url().await.unwrap()
        );
        let errors: Vec<String> = entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .filter(|m| !m.starts_with(&own_status))
            .collect();
        if !errors.is_empty() {
            self.problem(format!(
                "browser console on {page}:\n- {}",
                errors.join("\n- ")
            ));
        }
    }

    fn problem(&self, text: String) {
        eprintln!("[{}] {text}", self.test);
        self.problems.lock().unwrap().push(text);
    }
}

/// `target/screenshots/`, next to the test binary's own `target/debug/deps/`.
fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .map(|target| target.join("screenshots"))
        .unwrap_or_else(|| PathBuf::from("target/screenshots"))
}
