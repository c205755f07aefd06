//! Platform administration: organisations, accounts, disable and reset, the contract's errors.

use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    admins_manage_organisations_and_users,
    disabling_ends_sessions_at_once,
    reset_forces_new_password_and_enrollment,
    non_admins_cannot_administer,
    malformed_requests_answer_invalid_request,
    admin_actions_and_logins_are_audited,
);

async fn admins_manage_organisations_and_users(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let bailleur = app
        .organisation(&admin, "Pas-de-Calais Habitat", "bailleur")
        .await;
    app.organisation(&admin, "Cabinet Études Urbaines", "consultancy")
        .await;
    let r = app
        .post_as(
            &admin.token,
            "/api/v1/organisations",
            json!({"name": "Pas-de-Calais Habitat", "kind": "epci"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(error_code(r).await, "conflict");

    let r = app.get_as(&admin.token, "/api/v1/organisations").await;
    let v: Value = r.json().await.unwrap();
    let names: Vec<&str> = v["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Pas-de-Calais Habitat") && names.contains(&"Cabinet Études Urbaines"),
        "{names:?}"
    );

    let (id, initial) = app.create_user(&admin, "agent.bailleur", &bailleur).await;
    assert!(initial.chars().count() >= 16);
    let r = app
        .post_as(&admin.token, "/api/v1/users", json!({"username": "Agent.Bailleur", "display_name": "X", "email": "x@y.fr", "organisation_id": bailleur}))
        .await;
    assert_eq!(r.status(), 409, "usernames are unique regardless of case");
    let r = app
        .post_as(&admin.token, "/api/v1/users", json!({"username": "nouveau", "display_name": "X", "email": "x@y.fr", "organisation_id": "nope"}))
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post_as(&admin.token, "/api/v1/users", json!({"username": "nouveau", "display_name": "X", "email": "pas-une-adresse", "organisation_id": bailleur}))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(error_code(r).await, "invalid_request");

    let r = app.get_as(&admin.token, "/api/v1/users").await;
    let v: Value = r.json().await.unwrap();
    let user = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(user["username"], "agent.bailleur");
    assert_eq!(user["organisation_id"], bailleur.as_str());
    assert_eq!(user["disabled"], false);
    assert_eq!(user["last_login_at"], Value::Null);
    let admin_row = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == admin.id.as_str())
        .unwrap()
        .clone();
    assert!(admin_row["last_login_at"].as_str().unwrap().ends_with('Z'));
}

async fn disabling_ends_sessions_at_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let user = app.user(&admin, "agent", &org).await;
    assert_eq!(app.get_as(&user.token, "/api/v1/me").await.status(), 200);
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/users/{}/disable", user.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.get_as(&user.token, "/api/v1/me").await.status(), 401);
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": user.username, "password": user.password}),
        )
        .await;
    assert_eq!(error_code(r).await, "invalid_credentials");
    let r = app
        .post_as(
            &admin.token,
            "/api/v1/users/00000000-0000-0000-0000-000000000000/disable",
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 404);
}

async fn reset_forces_new_password_and_enrollment(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let user = app.user(&admin, "agent", &org).await;
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/users/{}/reset", user.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let initial = r.json::<Value>().await.unwrap()["initial_password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get_as(&user.token, "/api/v1/me").await.status(),
        401,
        "sessions end"
    );
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": user.username, "password": user.password}),
        )
        .await;
    assert_eq!(r.status(), 401, "the old password is gone");
    let again = app.first_login(&user.id, &user.username, &initial).await;
    assert_ne!(again.totp_secret, user.totp_secret, "a new TOTP enrollment");
    // The old recovery codes died with the reset.
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": again.username, "password": again.password}),
        )
        .await;
    let c = r.json::<Value>().await.unwrap()["challenge"].clone();
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": c, "recovery_code": user.recovery_codes[0]}),
        )
        .await;
    assert_eq!(error_code(r).await, "invalid_code");
}

async fn non_admins_cannot_administer(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let user = app.user(&admin, "agent", &org).await;
    for (path, body) in [
        (
            "/api/v1/organisations",
            json!({"name": "X", "kind": "other"}),
        ),
        (
            "/api/v1/users",
            json!({"username": "xyz", "display_name": "X", "email": "x@y.fr", "organisation_id": org}),
        ),
    ] {
        let r = app.post_as(&user.token, path, body).await;
        assert_eq!(r.status(), 403, "{path}");
        assert_eq!(error_code(r).await, "forbidden");
    }
    assert_eq!(app.get_as(&user.token, "/api/v1/users").await.status(), 403);
    assert_eq!(
        app.get_as(&user.token, "/api/v1/organisations")
            .await
            .status(),
        403
    );
    let r = app
        .post_as(
            &user.token,
            &format!("/api/v1/users/{}/reset", admin.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 403);
    // Without any token: 401.
    assert_eq!(
        app.client
            .get(app.url("/api/v1/users"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

async fn malformed_requests_answer_invalid_request(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let cases = [
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
        app.client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "x"}))
            .send()
            .await
            .unwrap(),
        app.client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": 3, "password": "x"}))
            .send()
            .await
            .unwrap(),
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap(),
        app.client
            .post(app.url("/api/v1/organisations"))
            .bearer_auth(&admin.token)
            .json(&json!({"name": "X", "kind": "banque"}))
            .send()
            .await
            .unwrap(),
    ];
    for r in cases {
        assert!(r.status() == 400 || r.status() == 415, "{}", r.status());
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "invalid_request");
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
    let r = app.get_as(&admin.token, "/api/v1/nothing-here").await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "not_found");
}

async fn admin_actions_and_logins_are_audited(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let user = app.user(&admin, "agent", &org).await;
    app.post(
        "/api/v1/auth/login",
        json!({"username": "agent", "password": "faux mot de passe !"}),
    )
    .await;
    app.post_as(
        &admin.token,
        &format!("/api/v1/users/{}/reset", user.id),
        json!({}),
    )
    .await;
    app.post_as(
        &admin.token,
        &format!("/api/v1/users/{}/disable", user.id),
        json!({}),
    )
    .await;
    app.post_as(&admin.token, "/api/v1/auth/logout", json!({}))
        .await;

    let events = gateway::db::audit::page(&app.core.db, 0, 1000)
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    for expected in [
        ("user.create", "success"),
        ("auth.password_change", "success"),
        ("auth.login", "success"),
        ("organisation.create", "success"),
        ("auth.login_failed", "failed"),
        ("user.reset", "success"),
        ("user.disable", "success"),
        ("auth.logout", "success"),
    ] {
        assert!(
            actions.contains(&expected),
            "{expected:?} missing from {actions:?}"
        );
    }
    let failed = events
        .iter()
        .find(|e| e.action == "auth.login_failed")
        .unwrap();
    assert_eq!(failed.actor.as_deref(), Some(user.id.as_str()));
    assert_eq!(failed.ip.as_deref(), Some("127.0.0.1"));
    let disable = events.iter().find(|e| e.action == "user.disable").unwrap();
    assert_eq!(disable.actor.as_deref(), Some(admin.id.as_str()));
    assert_eq!(disable.target.as_deref(), Some(user.id.as_str()));
    // Nothing secret in the trail.
    for e in &events {
        let text = serde_json::to_string(e).unwrap();
        assert!(
            !text.contains(&user.password) && !text.contains(&admin.token),
            "{text}"
        );
    }
    let verified = app.core.audit.verify().await.unwrap().unwrap();
    assert_eq!(verified.entries as usize, events.len());
}
