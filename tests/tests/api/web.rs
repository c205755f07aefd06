//! Web sign-in tests (cookie sessions, CSRF).
//!
//! The pages are driven as a browser would: forms posted as `application/x-www-form-urlencoded`,
//! cookies kept by the client's store, redirects looked at one by one. The HTML is read with plain
//! string searches. Every HTML page is checked for the CSP header and for the absence of inline
//! scripts and styles.

// The test bodies run inside `on_every_backend!`, outside a `#[test]` function as clippy sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::helpers::*;
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Client, Response, StatusCode};

crate::on_every_backend!(
    first_login_through_the_pages,
    session_cookie_attributes,
    logout_requires_the_csrf_token,
    api_accepts_the_cookie_with_the_csrf_header,
    idle_session_expires,
    language_switch,
    later_login_with_a_recovery_code,
    wrong_passwords_are_throttled,
    cross_site_posts_are_refused,
    static_assets_and_unknown_files,
    home_lists_missions_with_the_time_left,
    mission_page_lists_files_with_download_links,
);

/// A page as the tests see it.
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) html: String,
}

impl Page {
    pub(crate) fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub(crate) fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The `Set-Cookie` line that sets `name`.
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// A response header, empty when absent.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub(crate) fn assert_contains(&self, needle: &str) {
        assert!(
            self.html.contains(needle),
            "{needle:?} not found in:\n{}",
            self.html
        );
    }
}

/// Reads a response; an HTML page must carry the CSP and hold no inline script or style.
pub(crate) async fn read(r: Response) -> Page {
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
        // One script at most, our own file, on signed-in pages; never inline code.
        let scripts = html.matches("<script").count();
        let ours = html
            .matches("<script src=\"/static/passerelle.js\" defer></script>")
            .count();
        assert!(
            scripts <= 1 && scripts == ours,
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

pub(crate) async fn get(app: &TestApp, path: &str) -> Page {
    get_with(app, &app.client, path).await
}

pub(crate) async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
    post_form_with(app, &app.client, path, fields).await
}

/// [`get`] with another browser's cookies.
pub(crate) async fn get_with(app: &TestApp, c: &Client, path: &str) -> Page {
    read(c.get(app.url(path)).send().await.unwrap()).await
}

/// [`post_form`] with another browser's cookies.
pub(crate) async fn post_form_with(
    app: &TestApp,
    c: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> Page {
    read(c.post(app.url(path)).form(fields).send().await.unwrap()).await
}

/// The text between `start` and the next `end`.
pub(crate) fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in:\n{html}"))
        + start.len();
    let len = html[from..].find(end).unwrap();
    &html[from..from + len]
}

/// The CSRF token of a signed-in page.
pub(crate) fn csrf_of(page: &Page) -> String {
    between(&page.html, "<meta name=\"csrf-token\" content=\"", "\"").to_owned()
}

/// The value of the cookie set by a `Set-Cookie` line.
pub(crate) fn cookie_value(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
}

/// A platform admin, an organisation, and an enrolled user of it (over the API).
async fn enrolled_user(app: &TestApp) -> Account {
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    app.user(&admin, "marie", &org).await
}

/// A later login through the pages: password, then the TOTP code. Returns the last answer (303).
pub(crate) async fn web_sign_in(app: &TestApp, account: &Account) -> Page {
    web_sign_in_with(app, &app.client, account).await
}

/// [`web_sign_in`] with another browser's cookies.
pub(crate) async fn web_sign_in_with(app: &TestApp, c: &Client, account: &Account) -> Page {
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
pub(crate) async fn accept_charter(app: &TestApp) {
    accept_charter_with(app, &app.client).await;
}

/// [`accept_charter`] with another browser's cookies.
async fn accept_charter_with(app: &TestApp, c: &Client) {
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

async fn first_login_through_the_pages(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let (_, initial) = app.create_user(&admin, "marie", &org).await;

    let p = get(&app, "/").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/connexion");
    let p = get(&app, "/connexion").await;
    assert_eq!(p.status, 200);
    p.assert_contains("<html lang=\"fr\"");
    p.assert_contains("<h1>Connexion</h1>");
    p.assert_contains("<label for=\"username\">Identifiant</label>");
    p.assert_contains("<label for=\"password\">Mot de passe</label>");
    p.assert_contains("Passerelle");
    p.assert_contains("Échange sécurisé des fichiers d&#39;enquête OPS");

    // Empty fields and wrong credentials: the form again, the message tied to its field.
    let p = post_form(
        &app,
        "/connexion",
        &[("username", "marie"), ("password", "")],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("aria-describedby=\"password-erreur\"");
    p.assert_contains("Saisissez votre mot de passe.");
    let p = post_form(
        &app,
        "/connexion",
        &[
            ("username", "marie"),
            ("password", "pas le bon mot de passe"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("<title>Erreur : Connexion");
    p.assert_contains(
        "<p class=\"message-erreur\" id=\"password-erreur\"><span class=\"prefixe\">Erreur : </span>Identifiant ou mot de passe incorrect.</p>",
    );
    p.assert_contains("aria-invalid=\"true\" aria-describedby=\"password-erreur\"");
    p.assert_contains("value=\"marie\"");
    assert!(p.cookie("__Host-passerelle-login").is_none());

    // The password: the change-password step, its challenge in the login cookie only.
    let p = post_form(
        &app,
        "/connexion",
        &[("username", "marie"), ("password", &initial)],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<h1>Choisissez votre mot de passe</h1>");
    let login_cookie = p.cookie("__Host-passerelle-login").expect("login cookie");
    for attr in [
        "; Secure",
        "; HttpOnly",
        "; SameSite=Strict",
        "; Path=/",
        "; Max-Age=300",
    ] {
        assert!(login_cookie.contains(attr), "{login_cookie}");
    }
    assert!(
        !p.html.contains(cookie_value(&login_cookie)),
        "the challenge is not in the page"
    );

    // Mismatch: refused before the service is asked.
    let p = post_form(
        &app,
        "/connexion/mot-de-passe",
        &[
            ("new_password", "une phrase assez longue"),
            ("confirmation", "une autre phrase longue"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("Les deux mots de passe ne sont pas identiques.");
    p.assert_contains("aria-invalid=\"true\" aria-describedby=\"confirmation-erreur\"");

    // A weak password: the policy's reason, tied to the new password field.
    let reason =
        gateway::service::password_policy::check("azerty123456", "marie", "marie@example.fr")
            .unwrap_err()
            .message_fr()
            .replace('\'', "&#39;");
    let p = post_form(
        &app,
        "/connexion/mot-de-passe",
        &[
            ("new_password", "azerty123456"),
            ("confirmation", "azerty123456"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("id=\"new_password-erreur\"><span class=\"prefixe\">Erreur : </span>");
    p.assert_contains(&reason);
    p.assert_contains("aria-describedby=\"new_password-aide new_password-erreur\"");

    // A good password: the enrollment page, rendered in the same answer.
    let password = "des volets bleus sur la mer 1987";
    let p = post_form(
        &app,
        "/connexion/mot-de-passe",
        &[("new_password", password), ("confirmation", password)],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<h1>Activez la double authentification</h1>");
    p.assert_contains("href=\"otpauth://totp/");
    assert!(
        p.cookie("__Host-passerelle-login").is_some(),
        "a new challenge"
    );
    let grouped = between(
        &p.html,
        "<code class=\"cle\" aria-describedby=\"cle-legende\">",
        "</code>",
    );
    // Lines of four groups of four characters.
    let grouped = grouped
        .replace("<span class=\"cle-ligne\">", "")
        .replace("</span>", "");
    assert!(
        grouped.split(' ').all(|g| g.len() <= 4),
        "grouped by four: {grouped}"
    );
    let secret_b32: String = grouped.chars().filter(|c| !c.is_whitespace()).collect();
    let secret = totp_rs::Secret::Encoded(secret_b32).to_bytes().unwrap();

    // A wrong code: the code form again (the key is not shown twice).
    let right = app.code(&secret);
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    let p = post_form(
        &app,
        "/connexion/code",
        &[("etape", "enrolement"), ("code", &wrong)],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("Code incorrect, expiré ou déjà utilisé.");
    p.assert_contains("aria-describedby=\"code-aide code-erreur\"");
    assert!(!p.html.contains("class=\"cle\""));

    // The right code: signed in, recovery codes shown once.
    let p = post_form(
        &app,
        "/connexion/code",
        &[("etape", "enrolement"), ("code", &right)],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    app.next_step();
    p.assert_contains("<h1>Vos codes de secours</h1>");
    let codes = between(&p.html, "<ol class=\"codes\">", "</ol>");
    assert_eq!(codes.matches("<li><code>").count(), 10, "{codes}");
    p.assert_contains(
        "download=\"codes-de-secours-passerelle.txt\" href=\"data:text/plain;charset=utf-8,",
    );
    let first_code = between(codes, "<li><code>", "</code>");
    let href = between(&p.html, "href=\"data:text/plain;charset=utf-8,", "\"");
    assert!(href.contains(&first_code.replace('-', "%2D")), "{href}");
    p.assert_contains("<a class=\"bouton-principal\" href=\"/accueil\">Continuer</a>");
    let csrf = csrf_of(&p);
    assert!(csrf.len() >= 22);
    let cleared = p
        .cookie("__Host-passerelle-login")
        .expect("login cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(p.cookie("__Host-passerelle-session").is_some());

    // Signed in, the usage charter comes first: every page leads to it until it is accepted.
    for path in ["/accueil", "/", "/connexion", "/admin"] {
        let p = get(&app, path).await;
        assert_eq!(p.status, 303, "{path}");
        assert_eq!(p.location(), "/charte", "{path}");
    }
    let p = get(&app, "/charte").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<h1>Charte d&#39;utilisation</h1>");
    p.assert_contains("Votre compte est personnel");
    p.assert_contains("<label for=\"accepte\">");
    p.assert_contains("name=\"version\" value=\"passerelle-2026-12\"");
    assert_eq!(csrf_of(&p), csrf);
    // Not ticked: the error is tied to the box.
    let p = post_form(
        &app,
        "/charte",
        &[("csrf_token", &csrf), ("version", "passerelle-2026-12")],
    )
    .await;
    assert_eq!(p.status, 422, "{}", p.html);
    p.assert_contains("aria-describedby=\"accepte-erreur\"");
    p.assert_contains("Cochez la case pour accepter la charte d&#39;utilisation.");
    // An older version read: not an acceptance of the one in force.
    let p = post_form(
        &app,
        "/charte",
        &[
            ("csrf_token", &csrf),
            ("version", "ancienne"),
            ("accepte", "1"),
        ],
    )
    .await;
    assert_eq!(p.status, 409, "{}", p.html);
    // Without the token: refused.
    let p = post_form(
        &app,
        "/charte",
        &[("version", "passerelle-2026-12"), ("accepte", "1")],
    )
    .await;
    assert_eq!(p.status, 403, "{}", p.html);
    assert_eq!(get(&app, "/accueil").await.location(), "/charte");
    let p = post_form(
        &app,
        "/charte",
        &[
            ("csrf_token", &csrf),
            ("version", "passerelle-2026-12"),
            ("accepte", "1"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), "/accueil");
    let p = get(&app, "/charte").await;
    assert_eq!(p.status, 303, "accepted once is enough");
    assert_eq!(p.location(), "/accueil");

    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<h1>Bonjour marie Test</h1>");
    p.assert_contains("Habitat Sud");
    p.assert_contains("Vos missions apparaîtront ici.");
    p.assert_contains("30 minutes");
    p.assert_contains("action=\"/deconnexion\"");
    p.assert_contains(&format!("name=\"csrf_token\" value=\"{csrf}\""));
    assert_eq!(csrf_of(&p), csrf);
    let p = get(&app, "/").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/accueil");
    let p = get(&app, "/connexion").await;
    assert_eq!(p.status, 303, "a signed-in visitor goes home");
    assert_eq!(p.location(), "/accueil");

    // The login challenge was single-use: replaying the step fails and restarts the login.
    let p = post_form(
        &app,
        "/connexion/code",
        &[("etape", "code"), ("code", "123456")],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("recommencez la connexion");

    // The new password works over the API too.
    let r = app
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"username": "marie", "password": password}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

async fn session_cookie_attributes(b: Backend) {
    let app = spawn_app(b).await;
    let marie = enrolled_user(&app).await;
    let p = web_sign_in(&app, &marie).await;
    let session = p
        .cookie("__Host-passerelle-session")
        .expect("session cookie");
    let name = session.split('=').next().unwrap();
    assert!(name.starts_with("__Host-"), "{session}");
    let attrs: Vec<String> = session
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for needed in ["secure", "httponly", "samesite=strict", "path=/"] {
        assert!(
            attrs.iter().any(|a| a == needed),
            "{needed} missing: {session}"
        );
    }
    for absent in ["domain", "max-age", "expires"] {
        assert!(
            !attrs.iter().any(|a| a.starts_with(absent)),
            "{absent} present: {session}"
        );
    }
    assert!(cookie_value(&session).len() >= 22, "at least 128 bits");
    let login = p
        .cookie("__Host-passerelle-login")
        .expect("login cookie cleared");
    assert!(login.contains("Max-Age=0"));
}

async fn logout_requires_the_csrf_token(b: Backend) {
    let app = spawn_app(b).await;
    let marie = enrolled_user(&app).await;
    let signed = web_sign_in(&app, &marie).await;
    let token = cookie_value(&signed.cookie("__Host-passerelle-session").unwrap()).to_owned();
    let home = get(&app, "/accueil").await;
    assert_eq!(home.status, 200);
    let csrf = csrf_of(&home);

    // Without the token.
    let p = post_form(&app, "/deconnexion", &[]).await;
    assert_eq!(p.status, 403);
    p.assert_contains("Jeton anti-falsification invalide : rechargez la page.");
    assert_eq!(
        get(&app, "/accueil").await.status,
        200,
        "the session still works"
    );

    // With a wrong token.
    let p = post_form(&app, "/deconnexion", &[("csrf_token", "pas-le-bon-jeton")]).await;
    assert_eq!(p.status, 403);
    let p = post_form(
        &app,
        "/deconnexion",
        &[("csrf_token", &csrf[..csrf.len() - 1])],
    )
    .await;
    assert_eq!(p.status, 403);

    // The right token from another site.
    let p = read(
        app.client
            .post(app.url("/deconnexion"))
            .header("origin", "https://evil.example")
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p.status, 403);
    assert_eq!(
        get(&app, "/accueil").await.status,
        200,
        "the session still works"
    );

    // The right token from our own origin.
    let p = read(
        app.client
            .post(app.url("/deconnexion"))
            .header("origin", app.base.as_str())
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), "/deconnecte");
    let cleared = p
        .cookie("__Host-passerelle-session")
        .expect("cookie expired");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    for attr in ["; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"] {
        assert!(cleared.contains(attr), "{cleared}");
    }
    let p = get(&app, "/deconnecte").await;
    assert_eq!(p.status, 200);
    p.assert_contains("Vous avez été déconnecté.");
    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/connexion");

    // The session is over on the server too, not just forgotten by the browser.
    let other = client_for(&app.cert_pem, app.addr);
    let r = other
        .get(app.url("/accueil"))
        .header("cookie", format!("__Host-passerelle-session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/connexion?expire=1");
}

async fn api_accepts_the_cookie_with_the_csrf_header(b: Backend) {
    let app = spawn_app(b).await;
    let marie = enrolled_user(&app).await;
    web_sign_in(&app, &marie).await;
    let home = get(&app, "/accueil").await;
    let csrf = csrf_of(&home);

    let r = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 200, "a GET needs no CSRF token");
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["username"], "marie");

    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "forbidden");
    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("x-csrf-token", "faux")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        get(&app, "/accueil").await.status,
        200,
        "the session still works"
    );

    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("x-csrf-token", csrf.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 303);
    assert!(p.location().starts_with("/connexion"), "{}", p.location());
}

async fn idle_session_expires(b: Backend) {
    let app = spawn_app(b).await;
    let marie = enrolled_user(&app).await;
    web_sign_in(&app, &marie).await;

    // Activity keeps the session alive.
    app.clock.advance(chrono::Duration::minutes(29));
    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 200);
    p.assert_contains("30 minutes");
    app.clock.advance(chrono::Duration::minutes(20));
    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 200);
    // Every page view is activity: the idle deadline moved again.
    p.assert_contains("30 minutes");

    // Idle for more than 30 minutes: back to the login page, told why.
    app.clock.advance(chrono::Duration::minutes(31));
    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/connexion?expire=1");
    let p = get(&app, "/connexion?expire=1").await;
    assert_eq!(p.status, 200);
    p.assert_contains("Votre session a expiré : reconnectez-vous.");
    p.assert_contains("<h1>Connexion</h1>");
    let p = get(&app, "/connexion").await;
    assert!(
        !p.html.contains("Votre session a expiré"),
        "the cookie was cleared"
    );
}

async fn language_switch(b: Backend) {
    let app = spawn_app(b).await;
    let p = get(&app, "/connexion").await;
    p.assert_contains("<html lang=\"fr\"");
    p.assert_contains("action=\"/langue\"");
    p.assert_contains("name=\"retour\" value=\"/connexion\"");
    p.assert_contains("lang=\"en\">English</button>");

    let p = post_form(&app, "/langue", &[("lang", "en"), ("retour", "/connexion")]).await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/connexion");
    let cookie = p.cookie("lang").expect("lang cookie");
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    for attr in [
        "; Secure",
        "; SameSite=Strict",
        "; Path=/",
        "; Max-Age=31536000",
    ] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let p = get(&app, "/connexion").await;
    p.assert_contains("<html lang=\"en\"");
    p.assert_contains("<h1>Sign in</h1>");
    p.assert_contains("<label for=\"username\">Username</label>");
    p.assert_contains("Secure exchange of OPS survey files");
    p.assert_contains("lang=\"fr\">Français</button>");
    let p = post_form(&app, "/connexion", &[("username", "x"), ("password", "y")]).await;
    p.assert_contains("Error: </span>Wrong username or password.");

    // Only local return paths.
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let p = post_form(&app, "/langue", &[("lang", "fr"), ("retour", evil)]).await;
        assert_eq!(p.status, 303);
        assert_eq!(p.location(), "/", "{evil}");
    }
    let p = post_form(&app, "/langue", &[("lang", "de"), ("retour", "/")]).await;
    assert_eq!(p.status, 400);
    let p = get(&app, "/connexion").await;
    p.assert_contains("<html lang=\"fr\"");

    // Accept-Language alone, without the cookie.
    let fresh = client_for(&app.cert_pem, app.addr);
    let p = read(
        fresh
            .get(app.url("/connexion"))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap(),
    )
    .await;
    p.assert_contains("<html lang=\"en\"");
    p.assert_contains("Sign in");
    let p = read(fresh.get(app.url("/connexion")).send().await.unwrap()).await;
    p.assert_contains("<html lang=\"fr\"");
}

async fn later_login_with_a_recovery_code(b: Backend) {
    let app = spawn_app(b).await;
    let marie = enrolled_user(&app).await;
    let p = post_form(
        &app,
        "/connexion",
        &[("username", "marie"), ("password", &marie.password)],
    )
    .await;
    assert_eq!(p.status, 200);
    p.assert_contains("<label for=\"recovery_code\">Code de secours</label>");
    assert!(
        !p.html.contains("action=\"/langue\""),
        "no language switch mid-login"
    );

    let p = post_form(&app, "/connexion/code", &[("etape", "code"), ("code", "")]).await;
    assert_eq!(p.status, 422);
    p.assert_contains("Saisissez le code à 6 chiffres.");
    let p = post_form(
        &app,
        "/connexion/code",
        &[("etape", "code"), ("recovery_code", "aaaa-bbbb-cccc-dddd")],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("aria-describedby=\"recovery_code-aide recovery_code-erreur\"");
    p.assert_contains("Code incorrect, expiré ou déjà utilisé.");

    let code = marie.recovery_codes[0].to_uppercase();
    let p = post_form(
        &app,
        "/connexion/code",
        &[("etape", "code"), ("recovery_code", &code)],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), "/accueil");
    accept_charter(&app).await;
    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 200);
    p.assert_contains("Bonjour marie Test");
}

async fn wrong_passwords_are_throttled(b: Backend) {
    let app = spawn_app(b).await;
    let mut last = None;
    for _ in 0..8 {
        let p = post_form(
            &app,
            "/connexion",
            &[
                ("username", "personne"),
                ("password", "mauvais mot de passe"),
            ],
        )
        .await;
        if p.status == 429 {
            last = Some(p);
            break;
        }
        assert_eq!(p.status, 422);
    }
    let p = last.expect("throttled after a few failures");
    let retry: u64 = p.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    p.assert_contains("Erreur : </span>Trop de tentatives infructueuses : réessayez dans");
    p.assert_contains("aria-describedby=\"password-erreur\"");
}

async fn cross_site_posts_are_refused(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let (_, initial) = app.create_user(&admin, "marie", &org).await;
    for path in [
        "/connexion",
        "/connexion/mot-de-passe",
        "/connexion/code",
        "/langue",
        "/deconnexion",
    ] {
        let p = read(
            app.client
                .post(app.url(path))
                .header("origin", "https://evil.example")
                .form(&[
                    ("username", "marie"),
                    ("password", initial.as_str()),
                    ("lang", "en"),
                ])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(p.status, 403, "{path}");
        assert!(p.set_cookies().is_empty(), "{path}");
    }
    // The same login from our own origin goes through.
    let p = read(
        app.client
            .post(app.url("/connexion"))
            .header("origin", app.base.as_str())
            .form(&[("username", "marie"), ("password", initial.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    // Without the login cookie, a step restarts the login.
    let fresh = client_for(&app.cert_pem, app.addr);
    let p = read(
        fresh
            .post(app.url("/connexion/mot-de-passe"))
            .form(&[
                ("new_password", "une phrase assez longue"),
                ("confirmation", "une phrase assez longue"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains(
        "Cette étape de connexion a expiré ou a déjà servi : recommencez la connexion.",
    );
}

async fn static_assets_and_unknown_files(b: Backend) {
    let app = spawn_app(b).await;
    let r = app
        .client
        .get(app.url("/static/passerelle.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "public, max-age=3600");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.text().await.unwrap().contains(":focus-visible"));
    let p = get(&app, "/static/inconnu.css").await;
    assert_eq!(p.status, 404);
    p.assert_contains("Page introuvable");
}

/// Creates a mission ending `days` after the clock, as `admin`; returns its id.
pub(crate) async fn mission_ending_in(
    app: &TestApp,
    admin: &Account,
    name: &str,
    org: &str,
    days: i64,
) -> String {
    use gateway::clock::Clock as _;
    let ends = app.clock.now() + chrono::Duration::days(days);
    let r = app
        .post_as(
            &admin.token,
            "/api/v1/missions",
            serde_json::json!({"name": name, "purpose": "Diagnostic de l'occupation du parc",
                   "controller_organisation_id": org, "ends_at": gateway::clock::rfc3339(ends)}),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Adds `user` to `mission` with `role`, as `admin`.
pub(crate) async fn join(
    app: &TestApp,
    admin: &Account,
    mission: &str,
    user: &Account,
    role: &str,
) {
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/missions/{mission}/participants"),
            serde_json::json!({"user_id": user.id, "role": role}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn home_lists_missions_with_the_time_left(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let mission = mission_ending_in(&app, &admin, "Étude OPS 2027", &org, 10).await;
    join(&app, &admin, &mission, &marie, "depositor").await;
    join(&app, &admin, &mission, &marie, "manager").await;
    web_sign_in(&app, &marie).await;

    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains(&format!(
        "<a href=\"/missions/{mission}\">Étude OPS 2027</a>"
    ));
    p.assert_contains("se termine dans 10 jours");
    p.assert_contains("en cours");
    p.assert_contains("responsable");
    p.assert_contains("dépositaire");
    // 08:00 UTC in January is 09:00 in Paris.
    p.assert_contains("25/01/2027 à 09:0");
    assert!(!p.html.contains("Bientôt"), "{}", p.html);
    assert!(!p.html.contains("Vos missions apparaîtront ici."));

    // Four days later, the session long expired: a new sign-in, and the warning shows.
    app.clock.advance(chrono::Duration::days(4));
    web_sign_in(&app, &marie).await;
    let p = get(&app, "/accueil").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<strong class=\"bientot\">Bientôt :</strong> se termine dans 6 jours");

    // In English.
    let p = post_form(&app, "/langue", &[("lang", "en"), ("retour", "/accueil")]).await;
    assert_eq!(p.status, 303);
    let p = get(&app, "/accueil").await;
    p.assert_contains("Soon:</strong> ends in 6 days");
    p.assert_contains("in progress");

    // Signed out, the mission page sends to the login page.
    let fresh = client_for(&app.cert_pem, app.addr);
    let r = fresh
        .get(app.url(&format!("/missions/{mission}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/connexion");
}

async fn mission_page_lists_files_with_download_links(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let other_org = app.organisation(&admin, "Logis Nord", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let paul = app.user(&admin, "paul", &other_org).await;
    let mission = mission_ending_in(&app, &admin, "Étude OPS 2027", &org, 30).await;
    join(&app, &admin, &mission, &marie, "depositor").await;
    let elsewhere = mission_ending_in(&app, &admin, "Autre étude", &other_org, 30).await;
    join(&app, &admin, &elsewhere, &paul, "depositor").await;

    let part = reqwest::multipart::Part::bytes(b"logement;occupants\n1;3\n".to_vec())
        .file_name("ops_2027.csv");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/missions/{mission}/deposits")))
        .bearer_auth(&marie.token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let file = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    web_sign_in(&app, &marie).await;
    let p = get(&app, &format!("/missions/{mission}")).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<h1>Étude OPS 2027</h1>");
    p.assert_contains("Diagnostic de l&#39;occupation du parc");
    p.assert_contains("se termine dans 30 jours");
    p.assert_contains(&format!("<li class=\"fichier\" id=\"fichier-{file}\">"));
    p.assert_contains("ops_2027.csv");
    p.assert_contains(&format!("href=\"/api/v1/files/{file}/content\""));
    p.assert_contains(&format!("name=\"retour\" value=\"/missions/{mission}\""));
    // A depositor: the deposit form, no results form, no participant management.
    p.assert_contains(&format!("action=\"/missions/{mission}/depots\""));
    assert!(!p.html.contains("/resultats\""), "{}", p.html);
    assert!(!p.html.contains("ajout-participant"), "{}", p.html);

    // The link works with the session cookie.
    let r = app
        .client
        .get(app.url(&format!("/api/v1/files/{file}/content")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        b"logement;occupants\n1;3\n"
    );

    // Another organisation's mission, and a mission that does not exist: 404.
    for path in [
        format!("/missions/{elsewhere}"),
        "/missions/inconnue".to_owned(),
    ] {
        let p = get(&app, &path).await;
        assert_eq!(p.status, 404, "{path}");
        p.assert_contains("Page introuvable");
    }

    // A suspended mission: its files are out of reach, the page says why.
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/missions/{mission}/suspend"),
            serde_json::json!({"reason": "Vérification"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let p = get(&app, &format!("/missions/{mission}")).await;
    assert_eq!(p.status, 423, "{}", p.html);
    p.assert_contains("Mission suspendue");
}
