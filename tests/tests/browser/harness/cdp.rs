//! What chromedriver is asked beyond the W3C WebDriver commands: Chrome DevTools Protocol
//! commands (device metrics, screenshots) and the browser console.

use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{json, Value};

/// The two widths every page is looked at.
#[derive(Debug, Clone, Copy)]
pub(super) enum Viewport {
    /// 1280 × 900, a laptop.
    Desktop,
    /// 375 × 812, a phone (mobile emulation: the viewport meta tag applies).
    Mobile,
}

impl Viewport {
    pub(super) fn name(self) -> &'static str {
        match self {
            Viewport::Desktop => "desktop",
            Viewport::Mobile => "mobile",
        }
    }

    pub(super) fn metrics(self) -> Value {
        match self {
            Viewport::Desktop => {
                json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false})
            }
            Viewport::Mobile => {
                json!({"width": 375, "height": 812, "deviceScaleFactor": 1, "mobile": true})
            }
        }
    }
}

/// A Chrome DevTools Protocol command sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
pub(super) struct Cdp {
    pub(super) cmd: &'static str,
    pub(super) params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// chromedriver's log endpoint (not in the W3C protocol): the browser console since last asked.
#[derive(Debug)]
pub(super) struct ConsoleLog;

impl WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// WebDriver's virtual authenticator (W3C WebAuthn § 11): a CTAP2 passkey authenticator built
/// into the browser, with user verification that always succeeds.
#[derive(Debug)]
pub(super) struct AddVirtualAuthenticator;

impl WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/authenticator",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        (http::Method::POST, Some(body.to_string()))
    }
}
