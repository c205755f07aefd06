//! Accounts as the conventions require (issue 17): `accounts.disable_after_inactive_days` warns
//! by e-mail 14 days before, then disables (never the last platform administrator); the access
//! review records a yearly "review done" per organisation, exported with the review.

use chrono::Duration;
use passerelle_tests::pages::{csrf_of, get, post_form, web_sign_in};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

/// The subjects of the e-mails queued for `address`.
async fn mails_to(app: &TestApp, address: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT subject FROM outgoing_mail WHERE recipient = $1 ORDER BY created_at")
        .bind(address)
        .fetch_all(&app.core.db.pool)
        .await
        .unwrap()
}

/// The (target, actor, detail) of every audit event of `action`, oldest first.
async fn audit_of(app: &TestApp, action: &str) -> Vec<(Option<String>, Option<String>, Value)> {
    let rows: Vec<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT target, actor, detail FROM audit_events WHERE action = $1 ORDER BY seq",
    )
    .bind(action)
    .fetch_all(&app.core.db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(t, a, d)| {
            (
                t,
                a,
                d.map_or(Value::Null, |d| serde_json::from_str(&d).unwrap()),
            )
        })
        .collect()
}

async fn inactive_accounts_are_warned_then_disabled(b: Backend) {
    let app = TestApp::spawn_with(b, |c| {
        c.accounts.disable_after_inactive_days = Some(365);
        // The test drives the sweeper itself.
        c.sweep_interval_secs = 3600;
    })
    .await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let paul = app.user(&admin, "paul", &org).await;

    // Paul signs in again on day 300: his year starts again.
    app.clock.advance(Duration::days(300));
    app.next_step();
    app.login(&paul).await;
    app.next_step();

    // Day 350: nobody is within 14 days of the limit yet.
    app.clock.advance(Duration::days(50));
    let report = app.core.sweep().await.unwrap();
    assert_eq!(report.inactivity_warnings, 0, "{report:?}");

    // Day 352: Marie and the administrator are warned (once, though two sweepers run at the
    // same moment, as on two instances), Paul is not.
    app.clock.advance(Duration::days(2));
    let (one, two) = tokio::join!(
        app.core.sweep_inactive_accounts(),
        app.core.sweep_inactive_accounts()
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.warned + two.warned, 2, "{one:?} {two:?}");
    assert_eq!(one.disabled + two.disabled, 0);
    let report = app.core.sweep().await.unwrap();
    assert_eq!(report.inactivity_warnings, 0, "a warning is sent once");
    let subjects = mails_to(&app, "marie@example.fr").await;
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(subjects[0].contains("sera désactivé"), "{subjects:?}");
    assert!(mails_to(&app, "paul@example.fr").await.is_empty());
    let warned: Vec<_> = audit_of(&app, "user.inactivity_warning")
        .await
        .into_iter()
        .map(|(target, _, _)| target.unwrap())
        .collect();
    assert!(
        warned.contains(&marie.id) && warned.contains(&admin.id),
        "{warned:?}"
    );

    // Day 365: the year has passed, but the warning is only 13 days old.
    app.clock.advance(Duration::days(13));
    let report = app.core.sweep().await.unwrap();
    assert_eq!(report.accounts_disabled, 0, "{report:?}");

    // Day 366: Marie is disabled; the only platform administrator never is.
    app.clock.advance(Duration::days(1));
    let report = app.core.sweep().await.unwrap();
    assert_eq!(report.accounts_disabled, 1, "{report:?}");
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "marie", "password": marie.password}),
        )
        .await;
    assert_error(r, 401, "invalid_credentials", "a disabled account").await;
    app.next_step();
    let token = app.login(&admin).await;
    app.next_step();
    let disabled = audit_of(&app, "user.disable").await;
    assert_eq!(disabled.len(), 1, "{disabled:?}");
    let (target, actor, detail) = &disabled[0];
    assert_eq!(target.as_deref(), Some(marie.id.as_str()));
    assert_eq!(actor, &None, "the sweeper did it");
    assert_eq!(detail["reason"], "inactive");
    assert_eq!(detail["setting_days"], 365);

    // Enabled again by an administrator: her inactivity starts afresh.
    let r = app
        .post_as(
            &token,
            &format!("/api/v1/users/{}/enable", marie.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    app.clock.advance(Duration::days(1));
    let report = app.core.sweep().await.unwrap();
    assert_eq!(report.accounts_disabled, 0, "{report:?}");
    assert_eq!(report.inactivity_warnings, 0, "{report:?}");
}

async fn the_review_done_is_recorded_and_exported(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    web_sign_in(&app, &admin).await;
    let p = get(&app, "/admin/revue-des-acces").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("Aucune revue consignée.");
    let csrf = csrf_of(&p);
    // Nothing said: refused, nothing recorded.
    let p = post_form(
        &app,
        "/admin/revue-des-acces/faite",
        &[
            ("csrf_token", &csrf),
            ("organisation_id", &org),
            ("changes", " "),
        ],
    )
    .await;
    assert_eq!(p.status, 422, "{}", p.html);
    let p = post_form(
        &app,
        "/admin/revue-des-acces/faite",
        &[
            ("csrf_token", &csrf),
            ("organisation_id", &org),
            ("changes", "=Deux comptes désactivés"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.html);
    let p = get(&app, "/admin/revue-des-acces?revue=faite").await;
    p.assert_contains("Habitat Sud : revue faite le 15/01/2027");
    p.assert_contains("par Admin Test");

    let p = get(&app, "/admin/revue-des-acces.csv").await;
    assert_eq!(p.status, 200);
    let rows = parse_csv(p.html.trim_start_matches('\u{feff}'));
    let at = rows
        .iter()
        .position(|r| r.first().map(String::as_str) == Some("revue_faite_organisme"))
        .unwrap_or_else(|| panic!("{rows:?}"));
    let done = &rows[at + 1];
    assert_eq!(done[0], "Habitat Sud");
    assert!(done[1].starts_with("15/01/2027 09:"), "{done:?}");
    assert_eq!(done[2], "Admin Test");
    // What a spreadsheet would read as a formula is neutralised, as in every export.
    assert_ne!(done[3], "=Deux comptes désactivés");
    assert!(done[3].ends_with("=Deux comptes désactivés"), "{done:?}");
    let recorded: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE action = 'review.done'")
            .fetch_all(&app.core.db.pool)
            .await
            .unwrap();
    assert_eq!(recorded.len(), 1);
}

passerelle_tests::on_every_backend!(
    inactive_accounts_are_warned_then_disabled,
    the_review_done_is_recorded_and_exported
);
