//! Passkeys (WebAuthn) through the API, without an authenticator: the `totp` step offers no
//! options to accounts without passkeys, forged or garbage answers are refused with 401 (never a
//! 5xx), a registration needs the current password and a verified answer, and another person's
//! passkey is not found. The whole ceremony, with chromium's virtual authenticator, is in the
//! browser tests (`tests/tests/browser/passkeys.rs`).

use passerelle_tests::pages::{csrf_of, get, post_form, web_sign_in};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    the_totp_step_offers_no_passkey_without_passkeys,
    forged_passkey_answers_are_refused_with_401,
    a_registration_needs_the_password_and_a_verified_answer,
    another_persons_passkey_is_not_found,
    the_passkey_forms_of_the_account_page,
    the_app_is_removed_only_where_passkeys_replace_it,
);

/// The password step of a later login.
async fn password_step(app: &TestApp, account: &Account) -> Value {
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": account.username, "password": account.password}),
        )
        .await;
    assert_eq!(r.status(), 200);
    body(r).await
}

/// The details of the audit events of `action`, oldest first.
async fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
    sqlx::query_scalar::<_, Option<String>>(
        "SELECT detail FROM audit_events WHERE action = $1 ORDER BY seq",
    )
    .bind(action)
    .fetch_all(&app.core.db.pool)
    .await
    .unwrap()
    .into_iter()
    .map(Option::unwrap_or_default)
    .collect()
}

/// A `PublicKeyCredential` of the right shape whose bytes prove nothing.
fn forged_assertion() -> Value {
    json!({
        "id": "AAAAAAAAAAAAAAAAAAAAAA",
        "rawId": "AAAAAAAAAAAAAAAAAAAAAA",
        "type": "public-key",
        "response": {
            "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
            "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiQUFBQSIsIm9yaWdpbiI6Imh0dHBzOi8vbG9jYWxob3N0In0",
            "signature": "MEUCIQCAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "userHandle": null
        },
        "extensions": {}
    })
}

async fn the_totp_step_offers_no_passkey_without_passkeys(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    let step = password_step(&app, &marie).await;
    assert_eq!(step["step"], "totp");
    assert!(step.get("webauthn").is_none(), "{step}");
    let list = body(app.get_as(&marie.token, "/api/v1/me/passkeys").await).await;
    assert_eq!(list, json!({"passkeys": []}));
    // A passkey answer to a challenge that offered none is a wrong answer; the code still works.
    let r = app
        .post(
            "/api/v1/auth/webauthn",
            json!({"challenge": step["challenge"], "credential": forged_assertion()}),
        )
        .await;
    assert_error(r, 401, "invalid_code", "no passkey offered").await;
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": step["challenge"], "code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

async fn forged_passkey_answers_are_refused_with_401(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    let step = password_step(&app, &marie).await;
    for credential in [
        json!({}),
        json!("garbage"),
        json!(null),
        json!({"id": 3, "response": []}),
        forged_assertion(),
    ] {
        let r = app
            .post(
                "/api/v1/auth/webauthn",
                json!({"challenge": step["challenge"], "credential": credential}),
            )
            .await;
        assert_eq!(r.status(), 401, "{credential}");
    }
    // Five wrong answers withdrew the challenge, as for codes.
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": step["challenge"], "code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_error(r, 401, "invalid_challenge", "a withdrawn challenge").await;
    let r = app
        .post(
            "/api/v1/auth/webauthn",
            json!({"challenge": "nope", "credential": forged_assertion()}),
        )
        .await;
    assert_error(r, 401, "invalid_challenge", "an unknown challenge").await;
    let r = app
        .post("/api/v1/auth/webauthn", json!({"challenge": "nope"}))
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    // Each refusal is a failed login in the trail.
    let details = audit_details(&app, "auth.login_failed").await;
    assert_eq!(
        details
            .iter()
            .filter(|d| d.contains("wrong_passkey"))
            .count(),
        5,
        "{details:?}"
    );
}

async fn a_registration_needs_the_password_and_a_verified_answer(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    let paul = app.user(&admin, "paul.martin", &org).await;
    let start = "/api/v1/me/passkeys/registrations";
    let r = app
        .post_as(
            &marie.token,
            start,
            json!({"current_password": "pas le bon", "name": "Clé bleue"}),
        )
        .await;
    assert_error(r, 401, "invalid_credentials", "a wrong password").await;
    let r = app
        .post_as(
            &marie.token,
            start,
            json!({"current_password": marie.password, "name": "  "}),
        )
        .await;
    assert_error(r, 422, "invalid_request", "an empty name").await;
    let r = app
        .post_as(
            &marie.token,
            start,
            json!({"current_password": marie.password, "name": "x".repeat(61)}),
        )
        .await;
    assert_error(r, 422, "invalid_request", "a long name").await;
    let r = app
        .post_as(
            &marie.token,
            start,
            json!({"current_password": marie.password, "name": "Clé bleue"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let started = body(r).await;
    let pk = &started["options"]["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost", "{started}");
    assert!(pk["challenge"].as_str().unwrap().len() >= 32);
    assert_eq!(pk["user"]["name"], "marie.dupont");
    let ceremony = started["ceremony"].as_str().unwrap();

    // Another person cannot answer it.
    let r = app
        .post_as(
            &paul.token,
            "/api/v1/me/passkeys",
            json!({"ceremony": ceremony, "credential": {}}),
        )
        .await;
    assert_error(r, 409, "conflict", "someone else's registration").await;
    // A garbage answer is refused, and the registration is used up.
    let r = app
        .post_as(
            &marie.token,
            "/api/v1/me/passkeys",
            json!({"ceremony": ceremony, "credential": {"id": "x", "response": {}}}),
        )
        .await;
    assert_error(r, 422, "invalid_request", "a garbage answer").await;
    let r = app
        .post_as(
            &marie.token,
            "/api/v1/me/passkeys",
            json!({"ceremony": ceremony, "credential": {}}),
        )
        .await;
    assert_error(r, 409, "conflict", "a used registration").await;
    let list = body(app.get_as(&marie.token, "/api/v1/me/passkeys").await).await;
    assert_eq!(list, json!({"passkeys": []}));
}

async fn another_persons_passkey_is_not_found(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    let paul = app.user(&admin, "paul.martin", &org).await;
    // A stored passkey of Marie's (its content is not read by listing or removal).
    let inserted = gateway::db::passkeys::insert(
        &app.core.db,
        &gateway::db::passkeys::PasskeyRow {
            id: "cle-de-marie".into(),
            user_id: marie.id.clone(),
            credential_id: "AAAA".into(),
            passkey: "{}".into(),
            name: "Clé bleue".into(),
            created_at: 0,
            last_used_at: None,
        },
    )
    .await
    .unwrap();
    assert!(inserted);
    let r = app
        .delete_as(&paul.token, "/api/v1/me/passkeys/cle-de-marie")
        .await;
    assert_error(r, 404, "not_found", "someone else's passkey").await;
    let r = app
        .delete_as(&marie.token, "/api/v1/me/passkeys/inconnue")
        .await;
    assert_error(r, 404, "not_found", "an unknown passkey").await;
    let list = body(app.get_as(&marie.token, "/api/v1/me/passkeys").await).await;
    assert_eq!(list["passkeys"][0]["name"], "Clé bleue", "{list}");
    assert_eq!(list["passkeys"][0]["last_used_at"], Value::Null);
    let r = app
        .delete_as(&marie.token, "/api/v1/me/passkeys/cle-de-marie")
        .await;
    assert_eq!(r.status(), 204);
    let list = body(app.get_as(&marie.token, "/api/v1/me/passkeys").await).await;
    assert_eq!(list, json!({"passkeys": []}));
    let details = audit_details(&app, "account.passkey_remove").await;
    assert_eq!(details.len(), 1);
    assert!(details[0].contains("cle-de-marie"), "{details:?}");
}

async fn the_passkey_forms_of_the_account_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    web_sign_in(&app, &marie).await;
    let account = get(&app, "/compte").await;
    account.assert_contains("enregistré aucune clé d");
    let csrf = csrf_of(&account);
    let fields = [("name", "Clé bleue"), ("current_password", &marie.password)];
    // Without the CSRF token, nothing starts.
    let p = post_form(&app, "/compte/cles", &fields).await;
    assert_eq!(p.status, 403);
    let p = post_form(
        &app,
        "/compte/cles",
        &[
            ("csrf_token", &csrf),
            ("name", ""),
            ("current_password", "faux"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("id=\"cle-nom-erreur\"");
    let p = post_form(
        &app,
        "/compte/cles",
        &[
            ("csrf_token", &csrf),
            ("name", "Clé bleue"),
            ("current_password", "faux"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    p.assert_contains("id=\"cle-mot-de-passe-erreur\"");
    let p = post_form(
        &app,
        "/compte/cles",
        &[("csrf_token", &csrf), fields[0], fields[1]],
    )
    .await;
    assert_eq!(p.status, 200);
    p.assert_contains("Enregistrer la clé");
    p.assert_contains("src=\"/static/cles-acces.js\"");
    p.assert_contains("data-cle-acces=\"creer\"");
    p.assert_contains("publicKey");
    let ceremony = p
        .html
        .split("name=\"ceremony\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    // An answer that does not verify, then the used registration.
    let answer = [
        ("csrf_token", csrf.as_str()),
        ("ceremony", ceremony.as_str()),
        ("credential", "{\"id\": \"x\"}"),
    ];
    let p = post_form(&app, "/compte/cles/enregistrement", &answer).await;
    assert_eq!(p.status, 422);
    p.assert_contains("pas pu être vérifiée");
    let p = post_form(&app, "/compte/cles/enregistrement", &answer).await;
    assert_eq!(p.status, 409);
    // Someone else's (or no) passkey: not found.
    let p = post_form(
        &app,
        "/compte/cles/inconnue/retrait",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(p.status, 404);
    // The script is served from our own origin.
    let js = get(&app, "/static/cles-acces.js").await;
    assert_eq!(js.status, 200);
    js.assert_contains("navigator.credentials");
}

/// Stores a passkey of `account` directly (listing and removal never read its content).
async fn stored_passkey(app: &TestApp, account: &Account, id: &str) {
    let inserted = gateway::db::passkeys::insert(
        &app.core.db,
        &gateway::db::passkeys::PasskeyRow {
            id: id.into(),
            user_id: account.id.clone(),
            credential_id: format!("cred-{id}"),
            passkey: "{}".into(),
            name: id.into(),
            created_at: 0,
            last_used_at: None,
        },
    )
    .await
    .unwrap();
    assert!(inserted);
}

async fn the_app_is_removed_only_where_passkeys_replace_it(b: Backend) {
    let removal = "/api/v1/me/totp/removal";
    // By default the app is mandatory.
    let app = TestApp::spawn(b.clone()).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    stored_passkey(&app, &marie, "cle-1").await;
    let r = app
        .post_as(
            &marie.token,
            removal,
            json!({"code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_error(r, 403, "forbidden", "the app is mandatory").await;
    drop(app);

    let app = TestApp::spawn_with(b, |c| c.auth.passkeys_replace_totp = true).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let marie = app.user(&admin, "marie.dupont", &org).await;
    let r = app
        .post_as(
            &marie.token,
            removal,
            json!({"code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_error(r, 409, "conflict", "no passkey yet").await;
    stored_passkey(&app, &marie, "cle-1").await;
    stored_passkey(&app, &marie, "cle-2").await;
    let r = app
        .post_as(&marie.token, removal, json!({"code": "000000"}))
        .await;
    assert_error(r, 401, "invalid_code", "a wrong code").await;
    let r = app
        .post_as(
            &marie.token,
            removal,
            json!({"code": app.code(&marie.totp_secret)}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post_as(
            &marie.token,
            removal,
            json!({"recovery_code": marie.recovery_codes[0]}),
        )
        .await;
    assert_error(r, 409, "conflict", "no app any more").await;
    // One passkey may go; the last one stays while there is no app.
    let r = app
        .delete_as(&marie.token, "/api/v1/me/passkeys/cle-1")
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .delete_as(&marie.token, "/api/v1/me/passkeys/cle-2")
        .await;
    assert_error(r, 409, "conflict", "the last passkey").await;
    assert_eq!(audit_details(&app, "account.totp_remove").await.len(), 2);
    // An app comes back with a recovery code; then the last passkey may go.
    let r = app
        .post_as(
            &marie.token,
            "/api/v1/me/totp",
            json!({"recovery_code": marie.recovery_codes[1]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let secret = secret_from_uri(body(r).await["otpauth_uri"].as_str().unwrap());
    let r = app
        .post_as(
            &marie.token,
            "/api/v1/me/totp/confirm",
            json!({"code": app.code(&secret)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .delete_as(&marie.token, "/api/v1/me/passkeys/cle-2")
        .await;
    assert_eq!(r.status(), 204);
}
