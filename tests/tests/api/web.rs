//! Web sign-in tests (cookie sessions, CSRF).
//!
//! The pages are driven as a browser would: forms posted as `application/x-www-form-urlencoded`,
//! cookies kept by the client's store, redirects looked at one by one. The HTML is read with plain
//! string searches. Every HTML page is checked for the CSP header and for the absence of inline
//! scripts and styles.

// The test bodies run inside `on_every_backend!`, outside a `#[test]` function as clippy sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use passerelle_tests::pages::*;
use passerelle_tests::prelude::*;

passerelle_tests::on_every_backend!(
    first_login_through_the_pages,
    session_cookie_attributes,
    logout_requires_the_csrf_token,
    idle_session_expires,
    later_login_with_a_recovery_code,
    wrong_passwords_are_throttled,
);

/// A platform admin, an organisation, and an enrolled user of it (over the API).
pub(crate) async fn enrolled_user(app: &TestApp) -> Account {
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    app.user(&admin, "marie", &org).await
}

async fn first_login_through_the_pages(b: Backend) {
    let app = TestApp::spawn(b).await;
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

    // A wrong code: the code form again, the same key still shown next to the error.
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
    p.assert_contains("class=\"cle\"");
    assert!(
        p.html
            .replace("<span class=\"cle-ligne\">", "")
            .replace("</span>", "")
            .contains(&grouped),
        "the same key is shown again"
    );
    // The pending step shows again on its own address (where the language switch returns).
    let p = get(&app, "/connexion/etape").await;
    assert_eq!(p.status, 200);
    p.assert_contains("action=\"/langue\"");
    p.assert_contains("class=\"cle\"");

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
    let app = TestApp::spawn(b).await;
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
    let app = TestApp::spawn(b).await;
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

async fn idle_session_expires(b: Backend) {
    let app = TestApp::spawn(b).await;
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

async fn later_login_with_a_recovery_code(b: Backend) {
    let app = TestApp::spawn(b).await;
    let marie = enrolled_user(&app).await;
    let p = post_form(
        &app,
        "/connexion",
        &[("username", "marie"), ("password", &marie.password)],
    )
    .await;
    assert_eq!(p.status, 200);
    p.assert_contains("<label for=\"recovery_code\">Code de secours</label>");
    // The language switch returns to the pending step, shown again from the login cookie.
    p.assert_contains("name=\"retour\" value=\"/connexion/etape\"");
    let again = get(&app, "/connexion/etape").await;
    assert_eq!(again.status, 200);
    again.assert_contains("<label for=\"recovery_code\">Code de secours</label>");

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
    let app = TestApp::spawn(b).await;
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
