//! The lockdown (issue 17): one action ends every session and token on every instance sharing
//! the database, refuses every login but platform administrators' with a bilingual 503, stops
//! uploads and downloads for everyone, lets the sweeper destroy what is due, and is recorded.

use chrono::Duration;
use passerelle_tests::pages::{csrf_of, get, post_form, post_form_with, web_sign_in};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

/// A second gateway on the same PostgreSQL database (SQLite: none), its clock on the first's.
async fn second_instance(app: &TestApp, b: &Backend) -> Option<TestApp> {
    let Backend::Postgres(_) = b else { return None };
    let url = app.config.database_url();
    let master = app.config.master_key.file.clone();
    let second = TestApp::spawn_with(b.clone(), move |c| {
        c.database_url = Some(url);
        c.master_key.file = master;
    })
    .await;
    second.clock.set(gateway::clock::Clock::now(&app.clock));
    Some(second)
}

/// The (actor, outcome, detail) of every audit event of `action`, oldest first.
async fn audit_of(app: &TestApp, action: &str) -> Vec<(Option<String>, String, Value)> {
    let rows: Vec<(Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT actor, outcome, detail FROM audit_events WHERE action = $1 ORDER BY seq",
    )
    .bind(action)
    .fetch_all(&app.core.db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(a, o, d)| {
            let detail = d.map_or(Value::Null, |d| serde_json::from_str(&d).unwrap());
            (a, o, detail)
        })
        .collect()
}

async fn login_status(app: &TestApp, account: &Account, password: &str) -> (u16, Value) {
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": account.username, "password": password}),
        )
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn lockdown_holds_on_every_instance(b: Backend) {
    let app = TestApp::spawn(b.clone()).await;
    let w = app.exchange().await;
    let file = id_of(
        &app.upload_deposit(&w.depositor.token, &w.mission, "ops.csv", "a;b\n1;2\n")
            .await,
    );
    // A mission whose end is near: the sweeper must still destroy it during the lockdown.
    let ending = app
        .create_mission_ending_in(&w.admin, "OPS courte", &w.epci, 1)
        .await;
    app.add_participant(&w.admin.token, &ending, &w.depositor.id, "depositor")
        .await;
    app.upload_deposit(&w.depositor.token, &ending, "court.csv", "a;b\n1;2\n")
        .await;
    let second = second_instance(&app, &b).await;
    let apps: Vec<&TestApp> = std::iter::once(&app).chain(second.as_ref()).collect();
    let last = *apps.last().unwrap();

    // Only a platform admin may see or change it; a wrong code changes nothing.
    let r = app.get_as(&w.manager.token, "/api/v1/admin/lockdown").await;
    assert_error(r, 403, "forbidden", "a manager reads the lockdown").await;
    let r = app
        .post_as(
            &w.admin.token,
            "/api/v1/admin/lockdown",
            json!({"active": true, "reason": "Suspicion de fuite", "code": "000000"}),
        )
        .await;
    assert_error(r, 401, "invalid_code", "a wrong code").await;
    let r = app.get_as(&w.admin.token, "/api/v1/admin/lockdown").await;
    assert_eq!(body(r).await["active"], false);

    // On, from the first instance.
    for a in &apps {
        a.next_step();
    }
    let r = app
        .post_as(
            &w.admin.token,
            "/api/v1/admin/lockdown",
            json!({"active": true, "reason": "Suspicion de fuite", "code": app.code(&w.admin.totp_secret)}),
        )
        .await;
    let status = r.status();
    let v = body(r).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["active"], true);
    assert_eq!(v["reason"], "Suspicion de fuite");
    assert_eq!(v["changed_by"], w.admin.id.as_str());
    assert!(v["sessions_ended"].as_u64().unwrap() >= 5, "{v}");

    // Every token is dead on every instance, the admin's own included.
    for a in &apps {
        for token in [&w.depositor.token, &w.manager.token, &w.admin.token] {
            let r = a.get_as(token, "/api/v1/me").await;
            assert_error(r, 401, "unauthenticated", "a token after the lockdown").await;
        }
    }
    // Logins: 503 for everyone but the admin, right password or not, on the other instance too.
    for (account, password) in [
        (&w.depositor, w.depositor.password.as_str()),
        (&w.depositor, "pas le bon mot de passe"),
        (&w.admin, "pas le bon mot de passe"),
    ] {
        let (status, v) = login_status(last, account, password).await;
        assert_eq!(status, 503, "{v}");
        assert_eq!(v["error"], "service_locked_down");
        let message = v["message"].as_str().unwrap();
        assert!(
            message.starts_with("Le service est interrompu pour raison de sécurité")
                && message.contains("The service is interrupted for security reasons"),
            "{message}"
        );
    }
    // The web login answers the bilingual page.
    let p = post_form(
        last,
        "/connexion",
        &[
            ("username", &w.depositor.username),
            ("password", &w.depositor.password),
        ],
    )
    .await;
    assert_eq!(p.status, 503, "{}", p.html);
    p.assert_contains("Service interrompu — Service interrupted");

    // The admin signs in (on the other instance) and sees the state there.
    last.next_step();
    let admin_token = last.login(&w.admin).await;
    last.next_step();
    let r = last.get_as(&admin_token, "/api/v1/admin/lockdown").await;
    let v = body(r).await;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["sessions_ended"], 0);
    // Uploads and downloads stop for everyone, administrators included.
    let r = last
        .get_as(&admin_token, &format!("/api/v1/files/{file}/content"))
        .await;
    assert_error(r, 503, "service_locked_down", "a download").await;
    let r = Upload::deposit("autre.csv", "a;b\n1;2\n")
        .send(&last.client, &last.base, &admin_token, &w.mission)
        .await;
    assert_error(r, 503, "service_locked_down", "an upload").await;

    // The sweeper goes on destroying what is due.
    app.clock.advance(Duration::days(2));
    app.core.sweep().await.unwrap();
    let ended = gateway::db::missions::get(&app.core.db, &ending)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(ended.status.as_str(), "ended" | "destroyed"),
        "the mission's end was enforced: {:?}",
        ended.status
    );
    for a in &apps {
        a.clock.set(gateway::clock::Clock::now(&app.clock));
        a.next_step();
    }

    // Off from the command line's service call on the other instance: service resumes.
    let done = last
        .core
        .set_lockdown(None, false, "Fausse alerte", None)
        .await
        .unwrap();
    assert!(done.changed);
    let token = app.login(&w.depositor).await;
    let r = app.get_as(&token, "/api/v1/me").await;
    assert_eq!(r.status(), 200);

    // Both changes are in the audit trail with their reason (the refused code too).
    let events = audit_of(&app, "platform.lockdown_on").await;
    assert_eq!(events.len(), 2, "{events:?}");
    let (actor, outcome, detail) = &events[1];
    assert_eq!(actor.as_deref(), Some(w.admin.id.as_str()));
    assert_eq!(outcome, "success");
    assert_eq!(detail["reason"], "Suspicion de fuite");
    assert_eq!(events[0].1, "failed");
    let events = audit_of(&app, "platform.lockdown_off").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, None);
    assert_eq!(events[0].2["reason"], "Fausse alerte");
    assert_eq!(events[0].2["via"], "cli");
    // Refused logins are recorded as such, and so are the refused download and upload.
    let refused = audit_of(&app, "auth.login_failed").await;
    assert!(refused
        .iter()
        .any(|(_, outcome, d)| outcome == "denied" && d["reason"] == "locked_down"));
    for action in ["file.download", "file.upload"] {
        let refused = audit_of(&app, action).await;
        assert!(
            refused.iter().any(|(actor, outcome, d)| outcome == "denied"
                && d["reason"] == "locked_down"
                && actor.as_deref() == Some(w.admin.id.as_str())),
            "{action}: {refused:?}"
        );
    }
}

/// The rows of a mission's files still uploading.
async fn file_rows(app: &TestApp, mission: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM files WHERE mission_id = $1")
        .bind(mission)
        .fetch_one(&app.core.db.pool)
        .await
        .unwrap()
}

// Transfers already under way when the lockdown comes (on the other instance, with PostgreSQL)
// stop within about a second: the download's connection is cut before the end, the upload keeps
// nothing; both cuts are in the trail.
async fn transfers_in_flight_stop(b: Backend) {
    use futures::{SinkExt as _, StreamExt as _};
    let app = TestApp::spawn(b.clone()).await;
    let w = app.exchange().await;
    const MIB: usize = 1024 * 1024;
    let big = b"id;loyer;revenu\n".repeat(2 * MIB);
    let file = id_of(
        &app.upload_deposit(&w.depositor.token, &w.mission, "grand.csv", &big)
            .await,
    );
    let second = second_instance(&app, &b).await;
    let switch = second.as_ref().unwrap_or(&app);

    // A download read slowly: a first chunk, then the lockdown.
    let r = app
        .get_as(&w.processor.token, &format!("/api/v1/files/{file}/content"))
        .await;
    assert_eq!(r.status(), 200);
    let mut download = r.bytes_stream();
    let mut received = download.next().await.unwrap().unwrap().len();

    // An upload whose body comes in pieces: the head and 1 MiB now.
    let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let request = app
        .client
        .post(app.url(&format!("/api/v1/missions/{}/deposits", w.mission)))
        .bearer_auth(&w.depositor.token)
        .header("content-type", multipart_type())
        .body(reqwest::Body::wrap_stream(rx));
    let upload = tokio::spawn(async move { request.send().await });
    tx.send(Ok(multipart_head("file", b"en_cours.csv")))
        .await
        .unwrap();
    let row = b"id;loyer;revenu\n".repeat(64 * 1024);
    tx.send(Ok(row.clone())).await.unwrap();
    let mut waited = 0;
    while file_rows(&app, &w.mission).await < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
        assert!(waited < 200, "the upload never started");
    }

    switch.next_step();
    switch
        .core
        .set_lockdown(None, true, "Poste compromis", None)
        .await
        .unwrap();
    // More than the watch's second: the instance serving both transfers has seen it.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;

    // The upload's next bytes find it stopped: refused, nothing kept.
    for _ in 0..8 {
        if tx.send(Ok(row.clone())).await.is_err() {
            break;
        }
    }
    let _ = tx.send(Ok(multipart_tail())).await;
    drop(tx);
    match upload.await.unwrap() {
        Ok(r) => assert_error(r, 503, "service_locked_down", "an upload in flight").await,
        // The gateway may close the connection before the client has read its answer.
        Err(e) => assert!(!e.is_timeout(), "{e}"),
    }
    assert_eq!(file_rows(&app, &w.mission).await, 1, "only the first file");
    assert_eq!(app.core.blobs.list(&w.mission).await.unwrap().len(), 1);

    // The download ends in an error before the whole file arrived.
    let mut cut = false;
    while let Some(chunk) = download.next().await {
        match chunk {
            Ok(c) => received += c.len(),
            Err(_) => {
                cut = true;
                break;
            }
        }
    }
    assert!(cut, "the download went on to the end ({received} bytes)");
    assert!(received < big.len(), "{received} of {}", big.len());

    // Both cuts are recorded, with the account that was transferring (the download's once its
    // body is dropped, a moment after the cut).
    let cut_recorded = |downloads: &[(Option<String>, String, Value)]| {
        downloads.iter().any(|(actor, outcome, d)| {
            outcome == "denied"
                && d["reason"] == "locked_down"
                && d["cut_after_bytes"].as_u64().is_some()
                && actor.as_deref() == Some(w.processor.id.as_str())
        })
    };
    let mut downloads = audit_of(&app, "file.download").await;
    for _ in 0..50 {
        if cut_recorded(&downloads) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        downloads = audit_of(&app, "file.download").await;
    }
    assert!(cut_recorded(&downloads), "{downloads:?}");
    let uploads = audit_of(&app, "file.upload").await;
    assert!(
        uploads.iter().any(|(actor, outcome, d)| outcome == "denied"
            && d["reason"] == "locked_down"
            && actor.as_deref() == Some(w.depositor.id.as_str())),
        "{uploads:?}"
    );
}

async fn the_admin_page_locks_down_with_a_fresh_code(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    web_sign_in(&app, &admin).await;
    let p = get(&app, "/admin/interruption").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("en service");
    let csrf = csrf_of(&p);
    // Without the session's CSRF token: refused.
    let p = post_form(
        &app,
        "/admin/interruption",
        &[("action", "on"), ("reason", "Test"), ("code", "123456")],
    )
    .await;
    assert_eq!(p.status, 403);
    // A wrong code: the form again, nothing changed.
    let p = post_form(
        &app,
        "/admin/interruption",
        &[
            ("csrf_token", &csrf),
            ("action", "on"),
            ("reason", "Poste compromis"),
            ("code", "000000"),
        ],
    )
    .await;
    assert_eq!(p.status, 422, "{}", p.html);
    p.assert_contains("Code incorrect");
    assert!(!app.core.locked_down().await.unwrap());
    // The right code: locked down, the admin's own session ended.
    let code = app.code(&admin.totp_secret);
    let p = post_form(
        &app,
        "/admin/interruption",
        &[
            ("csrf_token", &csrf),
            ("action", "on"),
            ("reason", "Poste compromis"),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert!(app.core.locked_down().await.unwrap());
    let p = get(&app, "/admin").await;
    assert_eq!(p.status, 303, "the session ended");
    // Signed in again, the banner is on the administration home.
    app.next_step();
    let client = client_for(&app.cert_pem, app.addr);
    let p = post_form_with(
        &app,
        &client,
        "/connexion",
        &[("username", &admin.username), ("password", &admin.password)],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.html);
    let code = app.code(&admin.totp_secret);
    let p = post_form_with(
        &app,
        &client,
        "/connexion/code",
        &[("etape", "code"), ("code", &code)],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    app.next_step();
    let p = passerelle_tests::pages::get_with(&app, &client, "/admin").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Service interrompu pour raison de sécurité depuis le");
    p.assert_contains("Poste compromis");
    // On every administration page, not only the home.
    let users = passerelle_tests::pages::get_with(&app, &client, "/admin/utilisateurs").await;
    assert_eq!(users.status, 200);
    users.assert_contains("<p class=\"bandeau-alerte\" role=\"alert\">Service interrompu");
    // The state survives a restart: a gateway opened afresh on the same database is locked down.
    let clock: gateway::clock::SharedClock = std::sync::Arc::new(app.clock.clone());
    let restarted = gateway::app::open(app.config.clone(), clock).await.unwrap();
    assert!(restarted.locked_down().await.unwrap());
    // Off, with a fresh code.
    let csrf = csrf_of(&p);
    let code = app.code(&admin.totp_secret);
    let p = post_form_with(
        &app,
        &client,
        "/admin/interruption",
        &[
            ("csrf_token", &csrf),
            ("action", "off"),
            ("reason", ""),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    assert!(!app.core.locked_down().await.unwrap());
    let p = passerelle_tests::pages::get_with(&app, &client, "/admin").await;
    assert!(
        !p.html.contains("bandeau-alerte"),
        "no banner once restored"
    );
}

passerelle_tests::on_every_backend!(
    lockdown_holds_on_every_instance,
    transfers_in_flight_stop,
    the_admin_page_locks_down_with_a_fresh_code
);

// `passerelle lockdown on|status|off`, parsed as the binary parses it, on the test gateway's
// database (the command line has no session: the trail names no actor).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_turns_it_on_and_off() {
    use clap::Parser as _;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("operateur").await;
    let file = app.data.path().join("passerelle-cli.toml");
    std::fs::write(
        &file,
        format!(
            "data_dir = {:?}\ndatabase_url = {:?}\n",
            app.config.data_dir.display().to_string(),
            app.config.database_url()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut argv = vec!["passerelle", "--config", file.to_str().unwrap()];
        argv.extend_from_slice(args);
        gateway::cli::run(gateway::cli::Cli::parse_from(argv))
    };
    // A lockdown needs a reason.
    let refused = run(&["lockdown", "on", "--reason", "  "])
        .await
        .unwrap_err();
    assert_eq!(refused.code, 1);
    assert!(refused.message.contains("reason"), "{}", refused.message);
    assert!(!app.core.locked_down().await.unwrap());
    run(&["lockdown", "on", "--reason", "Alerte de l'hébergeur"])
        .await
        .unwrap();
    assert!(app.core.locked_down().await.unwrap());
    let r = app.get_as(&admin.token, "/api/v1/me").await;
    assert_error(
        r,
        401,
        "unauthenticated",
        "the admin's token after the lockdown",
    )
    .await;
    run(&["lockdown", "status"]).await.unwrap();
    run(&["lockdown", "off"]).await.unwrap();
    assert!(!app.core.locked_down().await.unwrap());
    let on = audit_of(&app, "platform.lockdown_on").await;
    assert_eq!(on.len(), 1);
    assert_eq!(on[0].0, None);
    assert_eq!(on[0].2["reason"], "Alerte de l'hébergeur");
    assert_eq!(on[0].2["via"], "cli");
}
