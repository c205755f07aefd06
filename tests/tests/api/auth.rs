//! The three-step login, MFA, throttling and sessions.

use chrono::Duration;
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    first_login_enrolls_totp_and_opens_a_session,
    weak_and_reused_passwords_are_refused,
    challenges_are_single_use_and_expire,
    a_totp_code_is_accepted_once,
    recovery_codes_work_once,
    failures_are_throttled_per_account,
    failures_are_throttled_per_source_address,
    refusals_look_alike,
    sessions_end_when_idle_or_too_old,
    logout_ends_the_session,
    password_age_limit_forces_a_change,
);

async fn first_login_enrolls_totp_and_opens_a_session(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let (_, initial) = app.create_user(&admin, "marie.dupont", &org).await;

    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "Marie.Dupont", "password": initial}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["step"], "change_password");
    assert!(v.get("otpauth_uri").is_none());

    let new_password = "le chat dort sur le radiateur 7";
    let r = app
        .post(
            "/api/v1/auth/password",
            json!({"challenge": v["challenge"], "new_password": new_password}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["step"], "enroll_totp");
    let uri = v["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains("issuer=Passerelle"), "{uri}");
    let secret = secret_from_uri(uri);
    assert_eq!(secret.len(), 20, "160-bit secret");

    // A wrong code is refused and the challenge survives it.
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": v["challenge"], "code": "000000"}),
        )
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r).await, "invalid_code");

    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": v["challenge"], "code": app.code(&secret)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let token = v["token"].as_str().unwrap();
    let expected =
        gateway::clock::rfc3339(gateway::clock::Clock::now(&app.clock) + Duration::hours(12));
    assert_eq!(
        v["expires_at"],
        expected.as_str(),
        "absolute lifetime of 12 hours"
    );
    let codes = v["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);

    let r = app.get_as(token, "/api/v1/me").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["username"], "marie.dupont");
    assert_eq!(me["organisation"]["kind"], "bailleur");
    assert_eq!(me["organisation"]["name"], "Habitat Hénin");
    assert_eq!(me["platform_admin"], false);

    // The next login goes straight to the TOTP step, without recovery codes.
    app.next_step();
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "marie.dupont", "password": new_password}),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["step"], "totp");
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": v["challenge"], "code": app.code(&secret)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v.get("recovery_codes").is_none());

    // The old initial password no longer works.
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "marie.dupont", "password": initial}),
        )
        .await;
    assert_eq!(r.status(), 401);
}

async fn weak_and_reused_passwords_are_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Logis Carvin", "bailleur").await;
    let (_, initial) = app.create_user(&admin, "jean.martin", &org).await;
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "jean.martin", "password": initial}),
        )
        .await;
    let challenge = r.json::<Value>().await.unwrap()["challenge"].clone();
    for weak in [
        "court",
        "azerty123456",
        "motdepasse2026",
        "soleilsoleil",
        "jean.martin-2027!",
        "aaaaaaaaaaaaaaaa",
        &initial,
    ] {
        let r = app
            .post(
                "/api/v1/auth/password",
                json!({"challenge": challenge, "new_password": weak}),
            )
            .await;
        assert_eq!(r.status(), 422, "{weak}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "weak_password", "{weak}");
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
    let r = app
        .client
        .post(app.url("/api/v1/auth/password"))
        .header("accept-language", "en")
        .json(&json!({"challenge": challenge, "new_password": "court"}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(
        v["message"].as_str().unwrap().contains("12 characters"),
        "{v}"
    );
    // The challenge is still usable after refusals.
    let r = app
        .post(
            "/api/v1/auth/password",
            json!({"challenge": challenge, "new_password": "trois pommes vertes dans un panier"}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

async fn challenges_are_single_use_and_expire(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    let challenge = r.json::<Value>().await.unwrap()["challenge"].clone();
    let code = app.code(&admin.totp_secret);
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.next_step();
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": challenge, "code": app.code(&admin.totp_secret)}),
        )
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r).await, "invalid_challenge");

    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    let challenge = r.json::<Value>().await.unwrap()["challenge"].clone();
    app.clock
        .advance(Duration::minutes(5) + Duration::seconds(1));
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": challenge, "code": app.code(&admin.totp_secret)}),
        )
        .await;
    assert_eq!(error_code(r).await, "invalid_challenge");
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": "nimportequoi", "code": "123456"}),
        )
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r).await, "invalid_challenge");
}

async fn a_totp_code_is_accepted_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let code = app.code(&admin.totp_secret);
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    let c1 = r.json::<Value>().await.unwrap()["challenge"].clone();
    let r = app
        .post("/api/v1/auth/totp", json!({"challenge": c1, "code": code}))
        .await;
    assert_eq!(r.status(), 200);
    // Same code, within its validity window, on a fresh challenge: a replay.
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    let c2 = r.json::<Value>().await.unwrap()["challenge"].clone();
    let r = app
        .post("/api/v1/auth/totp", json!({"challenge": c2, "code": code}))
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r).await, "invalid_code");
    // The code of the previous step (±1 tolerance) is older than the one used: refused too.
    let previous =
        gateway::service::totp::code_at(&admin.totp_secret, app.clock.now_ts() - 30).unwrap();
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": c2, "code": previous}),
        )
        .await;
    assert_eq!(error_code(r).await, "invalid_code");
    // The next step's code works (clock skew of one step tolerated).
    let next =
        gateway::service::totp::code_at(&admin.totp_secret, app.clock.now_ts() + 30).unwrap();
    let r = app
        .post("/api/v1/auth/totp", json!({"challenge": c2, "code": next}))
        .await;
    assert_eq!(r.status(), 200);
    // Two steps ahead is outside the window.
    app.clock.advance(Duration::seconds(90));
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    let c3 = r.json::<Value>().await.unwrap()["challenge"].clone();
    let far = gateway::service::totp::code_at(&admin.totp_secret, app.clock.now_ts() + 60).unwrap();
    let r = app
        .post("/api/v1/auth/totp", json!({"challenge": c3, "code": far}))
        .await;
    assert_eq!(error_code(r).await, "invalid_code");
}

async fn recovery_codes_work_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let code = admin.recovery_codes[3].clone();
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    let c = r.json::<Value>().await.unwrap()["challenge"].clone();
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": c, "recovery_code": code.to_uppercase()}),
        )
        .await;
    assert_eq!(r.status(), 200, "recovery codes are case-insensitive");
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    let c = r.json::<Value>().await.unwrap()["challenge"].clone();
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": c, "recovery_code": code}),
        )
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r).await, "invalid_code");
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": c, "recovery_code": admin.recovery_codes[4]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Both a code and a recovery code, or neither: malformed.
    let r = app.post("/api/v1/auth/totp", json!({"challenge": c})).await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "invalid_request");
}

async fn failures_are_throttled_per_account(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let wrong = json!({"username": admin.username, "password": "pas le bon mot de passe"});
    let right = json!({"username": admin.username, "password": admin.password});
    for _ in 0..5 {
        let r = app.post("/api/v1/auth/login", wrong.clone()).await;
        assert_eq!(r.status(), 401);
    }
    // From the 5th failure: a delay, during which even the right password is not examined.
    let r = app.post("/api/v1/auth/login", right.clone()).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "60");
    assert_eq!(error_code(r).await, "too_many_attempts");
    app.clock.advance(Duration::seconds(61));
    // The delay grows: 6th failure → 2 minutes.
    assert_eq!(
        app.post("/api/v1/auth/login", wrong.clone()).await.status(),
        401
    );
    let r = app.post("/api/v1/auth/login", right.clone()).await;
    assert_eq!(r.headers()["retry-after"], "120");
    for _ in 6..10 {
        app.clock.advance(Duration::minutes(17));
        assert_eq!(
            app.post("/api/v1/auth/login", wrong.clone()).await.status(),
            401
        );
    }
    // 10 failures: locked for 30 minutes.
    app.clock.advance(Duration::minutes(29));
    let r = app.post("/api/v1/auth/login", right.clone()).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry <= 60, "{retry}");
    app.clock.advance(Duration::minutes(2));
    let r = app.post("/api/v1/auth/login", right.clone()).await;
    assert_eq!(r.status(), 200);
    // A full login clears the account's counter.
    let c = r.json::<Value>().await.unwrap()["challenge"].clone();
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": c, "code": app.code(&admin.totp_secret)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.next_step();
    assert_eq!(
        app.post("/api/v1/auth/login", wrong.clone()).await.status(),
        401
    );
    assert_eq!(
        app.post("/api/v1/auth/login", right.clone()).await.status(),
        200
    );
    // Wrong TOTP codes count as failures too.
    let mut last = 0;
    for _ in 0..6 {
        let r = app.post("/api/v1/auth/login", right.clone()).await;
        last = r.status().as_u16();
        if last == 429 {
            break;
        }
        let c = r.json::<Value>().await.unwrap()["challenge"].clone();
        let r = app
            .post(
                "/api/v1/auth/totp",
                json!({"challenge": c, "code": "999999"}),
            )
            .await;
        assert_eq!(r.status(), 401);
    }
    assert_eq!(last, 429, "wrong TOTP codes throttle the account");
}

async fn failures_are_throttled_per_source_address(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    // Spraying many accounts from one address trips the address's counter (its own threshold,
    // throttle.address_delay_after, 20 by default).
    for i in 0..20 {
        let r = app
            .post(
                "/api/v1/auth/login",
                json!({"username": format!("inconnu{i}"), "password": "devinette devinette"}),
            )
            .await;
        assert_eq!(r.status(), 401);
    }
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    assert_eq!(
        r.status(),
        429,
        "the address is throttled even for another, valid account"
    );
    app.clock.advance(Duration::seconds(61));
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

async fn refusals_look_alike(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "EPCI Osartis", "epci").await;
    let disabled = app.user(&admin, "desactive", &org).await;
    assert_eq!(
        app.post_as(
            &admin.token,
            &format!("/api/v1/users/{}/disable", disabled.id),
            json!({})
        )
        .await
        .status(),
        204
    );

    let attempts = [
        json!({"username": admin.username, "password": "mauvais mot de passe"}),
        json!({"username": "personne.inconnue", "password": "mauvais mot de passe"}),
        json!({"username": disabled.username, "password": disabled.password}),
    ];
    let mut bodies = Vec::new();
    let mut times = Vec::new();
    for a in &attempts {
        let started = std::time::Instant::now();
        let r = app.post("/api/v1/auth/login", a.clone()).await;
        times.push(started.elapsed());
        assert_eq!(r.status(), 401);
        bodies.push(r.text().await.unwrap());
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0], bodies[2]);
    assert!(bodies[0].contains("invalid_credentials"));
    // Every refusal runs one argon2id verification (a dummy hash for unknown users): none of them
    // answers in a fraction of the others' time.
    let slowest = times.iter().max().unwrap().as_secs_f64();
    for t in &times {
        assert!(t.as_secs_f64() > slowest / 4.0, "{times:?}");
    }
}

async fn sessions_end_when_idle_or_too_old(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(app.get_as(&admin.token, "/api/v1/me").await.status(), 200);
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        app.get_as(&admin.token, "/api/v1/me").await.status(),
        200,
        "use resets the idle timer"
    );
    app.clock.advance(Duration::minutes(31));
    let r = app.get_as(&admin.token, "/api/v1/me").await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(error_code(r).await, "unauthenticated");

    // Absolute lifetime: used every 20 minutes, the session still ends after 12 hours.
    let token = app.login(&admin).await;
    let mut alive_until = 0;
    for i in 1..=40 {
        app.clock.advance(Duration::minutes(20));
        if app.get_as(&token, "/api/v1/me").await.status() != 200 {
            break;
        }
        alive_until = i * 20;
    }
    assert!(
        (700..720).contains(&alive_until),
        "ended after {alive_until} minutes"
    );
}

async fn logout_ends_the_session(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let r = app
        .post_as(&admin.token, "/api/v1/auth/logout", json!({}))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.get_as(&admin.token, "/api/v1/me").await.status(), 401);
    assert_eq!(
        app.post("/api/v1/auth/logout", json!({})).await.status(),
        401
    );
    assert_eq!(app.get_as("forged-token", "/api/v1/me").await.status(), 401);
}

async fn password_age_limit_forces_a_change(b: Backend) {
    let app = TestApp::spawn_with(b, |c| c.passwords.max_age_days = Some(90)).await;
    let admin = app.admin("operateur").await;
    app.clock.advance(Duration::days(89));
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["step"], "totp");
    app.clock.advance(Duration::days(2));
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["step"], "change_password");
    let r = app.post("/api/v1/auth/password", json!({"challenge": v["challenge"], "new_password": "un nouveau trimestre commence ici"})).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["step"],
        "totp",
        "already enrolled: straight to TOTP"
    );
}
