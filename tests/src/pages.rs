//! The pages, driven as a browser would: forms posted as `application/x-www-form-urlencoded`,
//! cookies kept by the client's store, redirects looked at one by one, the HTML read with plain
//! string searches. Every HTML page read is checked for the CSP header, the absence of inline
//! scripts and styles, one `<h1>` and the skip link.

use crate::accounts::Account;
use crate::app::TestApp;
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Client, Response, StatusCode};

/// A page as the tests see it.
pub struct Page {
    /// The response status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body (HTML for pages).
    pub html: String,
}

impl Page {
    /// The `Location` header, empty when absent.
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Every `Set-Cookie` line.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The `Set-Cookie` line that sets `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// A response header, empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts that the body holds `needle`.
    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.html.contains(needle),
            "{needle:?} not found in:\n{}",
            self.html
        );
    }
}

/// Reads a response; an HTML page must carry the CSP and hold no inline script or style.
pub async fn read(r: Response) -> Page {
    let status = r.status();
    let headers = r.headers().clone();
    let html = r.text().await.unwrap();
    let is_html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        let csp = headers
            .get("content-security-policy")
            .expect("every HTML page has a CSP")
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        // Our own files only, each at most once (`passerelle.js` on signed-in pages, the
        // passkeys' `cles-acces.js` where one is offered); never inline code.
        let scripts = html.matches("<script").count();
        let ours = ["passerelle.js", "cles-acces.js"].map(|f| {
            html.matches(&format!("<script src=\"/static/{f}\" defer></script>"))
                .count()
        });
        assert!(
            ours.iter().all(|n| *n <= 1) && scripts == ours.iter().sum::<usize>(),
            "inline or foreign script in:\n{html}"
        );
        assert!(!html.contains("style="), "inline style in:\n{html}");
        assert!(!html.contains("<style"), "style element in:\n{html}");
        assert_eq!(html.matches("<h1").count(), 1, "one h1 per page:\n{html}");
        assert!(html.contains("<main id=\"contenu\""), "{html}");
        assert!(html.contains("href=\"#contenu\""), "skip link:\n{html}");
    }
    Page {
        status,
        headers,
        html,
    }
}

/// GETs a page with the app's own client (its cookies).
pub async fn get(app: &TestApp, path: &str) -> Page {
    get_with(app, &app.client, path).await
}

/// Posts a form with the app's own client (its cookies).
pub async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
    post_form_with(app, &app.client, path, fields).await
}

/// [`get`] with another browser's cookies.
pub async fn get_with(app: &TestApp, c: &Client, path: &str) -> Page {
    read(c.get(app.url(path)).send().await.unwrap()).await
}

/// [`post_form`] with another browser's cookies.
pub async fn post_form_with(
    app: &TestApp,
    c: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> Page {
    read(c.post(app.url(path)).form(fields).send().await.unwrap()).await
}

/// The text between `start` and the next `end`.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in:\n{html}"))
        + start.len();
    let len = html[from..].find(end).unwrap();
    &html[from..from + len]
}

/// The CSRF token of a signed-in page.
pub fn csrf_of(page: &Page) -> String {
    between(&page.html, "<meta name=\"csrf-token\" content=\"", "\"").to_owned()
}

/// The value of the cookie set by a `Set-Cookie` line.
pub fn cookie_value(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
}

/// A later login through the pages: password, then the TOTP code. Returns the last answer (303).
pub async fn web_sign_in(app: &TestApp, account: &Account) -> Page {
    web_sign_in_with(app, &app.client, account).await
}

/// [`web_sign_in`] with another browser's cookies.
pub async fn web_sign_in_with(app: &TestApp, c: &Client, account: &Account) -> Page {
    let p = post_form_with(
        app,
        c,
        "/connexion",
        &[
            ("username", &account.username),
            ("password", &account.password),
        ],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<h1>Vérification en deux étapes</h1>");
    let code = app.code(&account.totp_secret);
    let p = post_form_with(
        app,
        c,
        "/connexion/code",
        &[("etape", "code"), ("code", &code)],
    )
    .await;
    app.next_step();
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), "/accueil");
    accept_charter_with(app, c).await;
    p
}

/// Accepts the usage charter when it is pending (the first sign-in of an account).
pub async fn accept_charter(app: &TestApp) {
    accept_charter_with(app, &app.client).await;
}

/// [`accept_charter`] with another browser's cookies.
pub async fn accept_charter_with(app: &TestApp, c: &Client) {
    let p = get_with(app, c, "/charte").await;
    if p.status == 303 {
        assert_eq!(p.location(), "/accueil");
        return;
    }
    assert_eq!(p.status, 200, "{}", p.html);
    let version = between(&p.html, "name=\"version\" value=\"", "\"").to_owned();
    let p = post_form_with(
        app,
        c,
        "/charte",
        &[
            ("csrf_token", &csrf_of(&p)),
            ("version", &version),
            ("accepte", "1"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), "/accueil");
}
