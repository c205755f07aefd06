//! The self-service account: password change, sessions, recovery codes, a new authenticator,
//! and the password reset by e-mail link (with and without the second factor).

use chrono::Duration;
use passerelle_tests::pages::{csrf_of, get, post_form, web_sign_in};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    a_password_change_ends_the_other_sessions,
    a_session_can_be_ended_by_its_owner_only,
    recovery_codes_are_renewed_and_the_old_ones_die,
    a_new_authenticator_needs_a_code_then_replaces_the_old_one,
    a_reset_link_needs_the_second_factor_and_works_once,
    a_reset_link_expires,
    the_answer_is_the_same_for_unknown_addresses,
    the_account_page_works_without_javascript,
);

const NEW_PASSWORD: &str = "quatre hérons pêchent dans la Deûle 2931";

/// The `.eml` files of the outbox, as text.
pub(crate) fn outbox(app: &TestApp) -> Vec<String> {
    let dir = app.data.path().join("outbox");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

/// Waits for the outbox to hold `n` messages (links are sent in the background).
pub(crate) async fn wait_for_mail(app: &TestApp, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let mails = outbox(app);
        if mails.len() >= n {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("expected {n} messages, found {}", outbox(app).len());
}

/// The text of a message's body, whatever transfer encoding the mailer chose.
pub(crate) fn mail_text(mail: &str) -> String {
    let (head, body) = mail
        .split_once("\r\n\r\n")
        .or_else(|| mail.split_once("\n\n"))
        .unwrap();
    let head = head.to_ascii_lowercase();
    if head.contains("content-transfer-encoding: base64") {
        use base64::Engine as _;
        let compact: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    } else if head.contains("content-transfer-encoding: quoted-printable") {
        let joined = body.replace("=\r\n", "").replace("=\n", "");
        let raw = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'=' && i + 2 < raw.len() {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(raw[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_owned()
    }
}

/// The reset token of a message.
pub(crate) fn token_of(mail: &str) -> String {
    let text = mail_text(mail);
    let start = text.find("jeton=").expect("a link") + "jeton=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// A login's second step, answered with a recovery code: the status.
async fn recovery_login(app: &TestApp, who: &Account, code: &str) -> u16 {
    let c = challenge(app, who).await;
    app.post(
        "/api/v1/auth/totp",
        json!({"challenge": c, "recovery_code": code}),
    )
    .await
    .status()
    .as_u16()
}

/// The challenge of a login's first step.
async fn challenge(app: &TestApp, who: &Account) -> String {
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": who.username, "password": who.password}),
        )
        .await;
    assert_eq!(r.status(), 200);
    body(r).await["challenge"].as_str().unwrap().to_owned()
}

async fn status_of(app: &TestApp, token: &str, path: &str) -> u16 {
    app.get_as(token, path).await.status().as_u16()
}

async fn a_password_change_ends_the_other_sessions(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    let second = app.login(&marie).await;
    let path = "/api/v1/me/password";

    let r = app
        .post_as(
            &second,
            path,
            json!({"current_password": "pas le bon mot de passe", "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_error(r, 401, "invalid_credentials", "a wrong current password").await;
    let r = app
        .post_as(
            &second,
            path,
            json!({"current_password": marie.password, "new_password": "court"}),
        )
        .await;
    assert_error(r, 422, "weak_password", "the policy applies").await;
    assert_eq!(status_of(&app, &marie.token, "/api/v1/me").await, 200);

    let r = app
        .post_as(
            &second,
            path,
            json!({"current_password": marie.password, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await["sessions_ended"], 1);
    assert_eq!(
        status_of(&app, &marie.token, "/api/v1/me").await,
        401,
        "the other session ended"
    );
    assert_eq!(
        status_of(&app, &second, "/api/v1/me").await,
        200,
        "this one stays"
    );

    let old = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "marie.dupont", "password": marie.password}),
        )
        .await;
    assert_error(old, 401, "invalid_credentials", "the old password").await;
    let changed = Account {
        password: NEW_PASSWORD.to_owned(),
        ..marie.clone()
    };
    app.login(&changed).await;

    let events = body(app.get_as(&admin.token, "/api/v1/audit").await).await;
    let outcomes: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "auth.password_change" && e["actor"] == marie.id.as_str())
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"success") && outcomes.contains(&"failed"),
        "{outcomes:?}"
    );
}

async fn a_session_can_be_ended_by_its_owner_only(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    let paul = app.user(&admin, "paul.martin", &org).await;
    let second = app.login(&marie).await;

    let v = body(app.get_as(&second, "/api/v1/me/sessions").await).await;
    let sessions = v["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{v}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["kind"], "bearer");
    assert_eq!(current[0]["ip"], "127.0.0.1");
    let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!other.contains(&marie.token) && other.len() == 32);

    // Someone else's session is not found, and stays alive.
    let r = app
        .delete_as(&paul.token, &format!("/api/v1/me/sessions/{other}"))
        .await;
    assert_error(r, 404, "not_found", "another person's session").await;
    assert_eq!(status_of(&app, &marie.token, "/api/v1/me").await, 200);

    let r = app
        .delete_as(&second, &format!("/api/v1/me/sessions/{other}"))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(status_of(&app, &marie.token, "/api/v1/me").await, 401);
    let r = app
        .delete_as(&second, &format!("/api/v1/me/sessions/{other}"))
        .await;
    assert_eq!(r.status(), 404, "already ended");
    let v = body(app.get_as(&second, "/api/v1/me/sessions").await).await;
    assert_eq!(v["sessions"].as_array().unwrap().len(), 1);
}

async fn recovery_codes_are_renewed_and_the_old_ones_die(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    let path = "/api/v1/me/recovery-codes";
    let left = body(app.get_as(&marie.token, path).await).await;
    assert_eq!(left["remaining"], 10);

    let r = app
        .post_as(&marie.token, path, json!({"code": "000000"}))
        .await;
    assert_error(r, 401, "invalid_code", "a wrong code").await;
    let r = app.post_as(&marie.token, path, json!({})).await;
    assert_eq!(r.status(), 400);

    // A recovery code is a proof too, and it is used up.
    let r = app
        .post_as(
            &marie.token,
            path,
            json!({"recovery_code": marie.recovery_codes[0]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let fresh: Vec<String> =
        serde_json::from_value(body(r).await["recovery_codes"].clone()).unwrap();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !marie.recovery_codes.contains(c)));
    assert_eq!(
        body(app.get_as(&marie.token, path).await).await["remaining"],
        10
    );

    // An old code no longer opens a login; a new one does.
    assert_eq!(
        recovery_login(&app, &marie, &marie.recovery_codes[1]).await,
        401
    );
    assert_eq!(recovery_login(&app, &marie, &fresh[0]).await, 200);
    assert_eq!(
        body(app.get_as(&marie.token, path).await).await["remaining"],
        9
    );

    // With the TOTP code, too.
    let r = app
        .post_as(
            &marie.token,
            path,
            json!({"code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

async fn a_new_authenticator_needs_a_code_then_replaces_the_old_one(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;

    let r = app
        .post_as(&marie.token, "/api/v1/me/totp", json!({"code": "123456"}))
        .await;
    assert_error(r, 401, "invalid_code", "no re-enrolment without a code").await;
    let r = app
        .post_as(
            &marie.token,
            "/api/v1/me/totp/confirm",
            json!({"code": "123456"}),
        )
        .await;
    assert_error(r, 409, "conflict", "nothing to confirm").await;

    let r = app
        .post_as(
            &marie.token,
            "/api/v1/me/totp",
            json!({"code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v = body(r).await;
    let new_secret = secret_from_uri(v["otpauth_uri"].as_str().unwrap());
    assert_ne!(new_secret, marie.totp_secret);
    app.next_step();

    // Until confirmed, the old app still signs in; a code of the old app does not confirm.
    let r = app
        .post_as(
            &marie.token,
            "/api/v1/me/totp/confirm",
            json!({"code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_error(r, 401, "invalid_code", "the old app's code").await;
    let r = app
        .post_as(
            &marie.token,
            "/api/v1/me/totp/confirm",
            json!({"code": app.code(&new_secret)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let codes: Vec<String> =
        serde_json::from_value(body(r).await["recovery_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    app.next_step();

    // The old app no longer works; the new one does.
    let c = challenge(&app, &marie).await;
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": c, "code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_error(r, 401, "invalid_code", "the old app").await;
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": c, "code": app.code(&new_secret)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // And an old recovery code died with the old app.
    let c = challenge(&app, &marie).await;
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": c, "recovery_code": marie.recovery_codes[0]}),
        )
        .await;
    assert_error(r, 401, "invalid_code", "an old recovery code").await;
}

async fn a_reset_link_needs_the_second_factor_and_works_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;

    let r = app
        .post(
            "/api/v1/auth/password-reset",
            json!({"email": "Marie.Dupont@example.fr"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let mails = wait_for_mail(&app, 1).await;
    assert!(mails[0].contains("marie.dupont@example.fr"));
    let token = token_of(&mails[0]);
    assert!(token.len() >= 43, "{token}");
    let confirm = "/api/v1/auth/password-reset/confirm";

    // Without the second factor, or with a wrong one, nothing changes.
    let r = app
        .post(
            confirm,
            json!({"token": token, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = app
        .post(
            confirm,
            json!({"token": token, "new_password": NEW_PASSWORD, "code": "000000"}),
        )
        .await;
    assert_error(r, 401, "invalid_code", "a wrong code").await;
    assert_eq!(status_of(&app, &marie.token, "/api/v1/me").await, 200);
    app.login(&marie).await;

    // The web page of the link shows the form while the link lives.
    let page = get(&app, &format!("/mot-de-passe-oublie/nouveau?jeton={token}")).await;
    assert_eq!(page.status, 200);
    page.assert_contains("name=\"jeton\"");

    let r = app
        .post(
            confirm,
            json!({"token": token, "new_password": NEW_PASSWORD, "code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_eq!(r.status(), 204);
    app.next_step();
    assert_eq!(
        status_of(&app, &marie.token, "/api/v1/me").await,
        401,
        "every session ended"
    );

    // Single use.
    let r = app
        .post(
            confirm,
            json!({"token": token, "new_password": "encore un autre mot de passe 11", "recovery_code": marie.recovery_codes[0]}),
        )
        .await;
    assert_error(r, 401, "invalid_challenge", "a used link").await;
    let page = get(&app, &format!("/mot-de-passe-oublie/nouveau?jeton={token}")).await;
    assert_eq!(page.status, 410);
    assert!(!page.html.contains("name=\"jeton\""));

    let changed = Account {
        password: NEW_PASSWORD.to_owned(),
        ..marie.clone()
    };
    app.login(&changed).await;

    // A disabled account gets no link.
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/users/{}/disable", marie.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post(
            "/api/v1/auth/password-reset",
            json!({"email": "marie.dupont@example.fr"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(outbox(&app).len(), 1);
}

async fn a_reset_link_expires(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    let r = app
        .post(
            "/api/v1/auth/password-reset",
            json!({"email": "marie.dupont@example.fr"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let token = token_of(&wait_for_mail(&app, 1).await[0]);
    app.clock.advance(Duration::minutes(61));
    let r = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": NEW_PASSWORD, "code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_error(r, 401, "invalid_challenge", "an expired link").await;
    app.login(&marie).await;

    // A newer link replaces an older one.
    for _ in 0..2 {
        let r = app
            .post(
                "/api/v1/auth/password-reset",
                json!({"email": "marie.dupont@example.fr"}),
            )
            .await;
        assert_eq!(r.status(), 202);
    }
    let mails = wait_for_mail(&app, 3).await;
    let tokens: Vec<String> = mails
        .iter()
        .map(|m| token_of(m))
        .filter(|t| *t != token)
        .collect();
    assert_eq!(tokens.len(), 2);
    let mut live = 0;
    for t in &tokens {
        let p = get(&app, &format!("/mot-de-passe-oublie/nouveau?jeton={t}")).await;
        if p.status == 200 {
            live += 1;
        }
    }
    assert_eq!(live, 1, "only the latest link works");
}

async fn the_answer_is_the_same_for_unknown_addresses(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    app.user(&admin, "marie.dupont", &org).await;
    let ask = |email: &'static str| {
        let app = &app;
        async move {
            let r = app
                .post("/api/v1/auth/password-reset", json!({"email": email}))
                .await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let known = ask("marie.dupont@example.fr").await;
    let unknown = ask("personne@example.fr").await;
    let malformed = ask("pas une adresse").await;
    assert_eq!(known, unknown);
    assert_eq!(known, malformed);
    assert_eq!(wait_for_mail(&app, 1).await.len(), 1);

    // The pages too: the same notice.
    let a = post_form(
        &app,
        "/mot-de-passe-oublie",
        &[("email", "marie.dupont@example.fr")],
    )
    .await;
    let b2 = post_form(
        &app,
        "/mot-de-passe-oublie",
        &[("email", "personne@example.fr")],
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.status, b2.status);
    assert_eq!(a.html, b2.html);
    a.assert_contains("Si cette adresse correspond à un compte actif");

    // Asking is throttled like logins (per address asked for).
    let mut last = 0;
    for _ in 0..6 {
        last = app
            .post(
                "/api/v1/auth/password-reset",
                json!({"email": "personne@example.fr"}),
            )
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
    let login = get(&app, "/connexion").await;
    login.assert_contains("href=\"/mot-de-passe-oublie\"");
}

async fn the_account_page_works_without_javascript(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    web_sign_in(&app, &marie).await;
    let home = get(&app, "/accueil").await;
    home.assert_contains("href=\"/compte\"");
    let account = get(&app, "/compte").await;
    assert_eq!(account.status, 200);
    account.assert_contains("Mon compte");
    account.assert_contains("href=\"/compte/notifications\"");
    account.assert_contains("(cette session)");
    account.assert_contains("Il vous reste 10 codes de secours.");
    account.assert_contains("ferme toutes vos autres sessions");
    let csrf = csrf_of(&account);

    // Without the CSRF token, nothing changes.
    let p = post_form(
        &app,
        "/compte/mot-de-passe",
        &[
            ("current_password", &marie.password),
            ("new_password", NEW_PASSWORD),
            ("confirmation", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(p.status, 403);

    let p = post_form(
        &app,
        "/compte/mot-de-passe",
        &[
            ("csrf_token", &csrf),
            ("current_password", "faux"),
            ("new_password", NEW_PASSWORD),
            ("confirmation", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("Le mot de passe actuel est incorrect.");

    let p = post_form(
        &app,
        "/compte/mot-de-passe",
        &[
            ("csrf_token", &csrf),
            ("current_password", &marie.password),
            ("new_password", NEW_PASSWORD),
            ("confirmation", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert_eq!(p.location(), "/compte?fait=mot-de-passe&fermees=1");
    assert_eq!(status_of(&app, &marie.token, "/api/v1/me").await, 401);
    let account = get(&app, "/compte?fait=mot-de-passe&fermees=1").await;
    account.assert_contains("Votre autre session a été fermée.");

    // Recovery codes through the page: shown once.
    let p = post_form(
        &app,
        "/compte/codes-de-secours",
        &[("csrf_token", &csrf), ("code", &marie.recovery_codes[3])],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Vos anciens codes de secours ne fonctionnent plus.");

    // A new authenticator: the key with its QR code, then the confirmation.
    let p = post_form(
        &app,
        "/compte/authentificateur",
        &[("csrf_token", &csrf), ("code", "999999")],
    )
    .await;
    assert_eq!(p.status, 422);
    let p = post_form(
        &app,
        "/compte/authentificateur",
        &[
            ("csrf_token", &csrf),
            ("code", &app.code(&marie.totp_secret)),
        ],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<svg");
    let uri =
        passerelle_tests::pages::between(&p.html, "href=\"otpauth://", "\"").replace("&amp;", "&");
    let secret = secret_from_uri(&format!("otpauth://{uri}"));
    let p = post_form(
        &app,
        "/compte/authentificateur/confirmation",
        &[("csrf_token", &csrf), ("code", &app.code(&secret))],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("<ol class=\"codes\">");

    // Ending this session from the page signs out.
    let account = get(&app, "/compte").await;
    let id =
        passerelle_tests::pages::between(&account.html, "action=\"/compte/sessions/", "/fin\"")
            .to_owned();
    let p = post_form(
        &app,
        &format!("/compte/sessions/{id}/fin"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/deconnecte");
    let after = get(&app, "/compte").await;
    assert_eq!(after.status, 303);
}
