//! Invitations: an account created with an e-mailed link instead of a dictated password. The
//! link works once and dies at its first step, expires (the injectable clock), is replaced by a
//! newer one and can be withdrawn; its page needs no script; only platform admins send them,
//! and managers create no accounts.

use crate::account::{mail_text, outbox};
use chrono::Duration;
use passerelle_tests::pages::{between, csrf_of, get, post_form, web_sign_in};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    an_invitation_works_once_then_the_login_finishes_the_enrolment,
    an_invitation_expires_and_can_be_sent_again_or_withdrawn,
    only_platform_admins_invite_and_managers_create_no_accounts,
    the_accounts_page_sends_again_and_withdraws,
);

const PASSWORD: &str = "cinq mouettes survolent le port de Boulogne 7716";

/// The invitation links sent to `email` so far, oldest first (waits for `n` of them).
async fn invitations_to(app: &TestApp, email: &str, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let mut found: Vec<(String, String)> = outbox(app)
            .iter()
            .filter(|m| m.contains(email))
            .map(|m| mail_text(m))
            .filter(|t| t.contains("/invitation?jeton="))
            .map(|t| {
                let start = t.find("jeton=").unwrap() + "jeton=".len();
                let token: String = t[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                (t, token)
            })
            .collect();
        if found.len() >= n {
            // The outbox's order is the file names'; tell the messages apart by their token only.
            found.sort();
            return found.into_iter().map(|(_, t)| t).collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("expected {n} invitations to {email}");
}

/// Creates an account with an invitation; its id, its one-time password and the answer.
async fn invite(app: &TestApp, admin: &Account, username: &str, org: &str) -> (String, Value) {
    let r = app
        .post_as(
            &admin.token,
            "/api/v1/users",
            json!({"username": username, "display_name": format!("{username} Invitée"),
                   "email": format!("{username}@example.fr"), "organisation_id": org,
                   "send_invitation": true}),
        )
        .await;
    let status = r.status();
    let v = body(r).await;
    assert_eq!(status, 201, "{v}");
    (v["id"].as_str().unwrap().to_owned(), v)
}

fn page_path(token: &str) -> String {
    format!("/invitation?jeton={token}")
}

/// The invitation form's fields, as a browser sends them.
async fn accept(app: &TestApp, token: &str, version: &str) -> passerelle_tests::pages::Page {
    post_form(
        app,
        "/invitation",
        &[
            ("jeton", token),
            ("version", version),
            ("new_password", PASSWORD),
            ("confirmation", PASSWORD),
            ("accepte", "1"),
        ],
    )
    .await
}

async fn pending(app: &TestApp, admin: &Account) -> Vec<Value> {
    let r = app.get_as(&admin.token, "/api/v1/invitations").await;
    assert_eq!(r.status(), 200);
    body(r).await["invitations"].as_array().unwrap().clone()
}

async fn an_invitation_works_once_then_the_login_finishes_the_enrolment(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let (id, created) = invite(&app, &admin, "marie", &org).await;
    // The answer keeps the one-time password for scripts, and says the invitation left.
    let initial = created["initial_password"].as_str().unwrap().to_owned();
    assert!(!initial.is_empty());
    assert_eq!(created["invitation_sent"], true);
    let expires = parse_time(&created["invitation_expires_at"]);

    // The message: to the person, in French then English, the link and no password.
    let tokens = invitations_to(&app, "marie@example.fr", 1).await;
    let token = tokens[0].clone();
    assert!(token.len() >= 43, "256 bits: {token}");
    let mail = outbox(&app)
        .into_iter()
        .find(|m| m.contains("marie@example.fr"))
        .unwrap();
    let text = mail_text(&mail);
    assert!(text.contains("Bonjour marie Invitée"), "{text}");
    assert!(text.contains("Hello marie Invitée"), "{text}");
    assert!(text.find("Bonjour") < text.find("Hello"));
    assert!(text.contains("https://"), "an absolute link: {text}");
    assert!(!text.contains(&initial), "no password in the message");

    let list = pending(&app, &admin).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["user_id"], id.as_str());
    assert_eq!(list[0]["username"], "marie");
    assert_eq!(list[0]["email"], "marie@example.fr");
    assert_eq!(parse_time(&list[0]["expires_at"]), expires);
    let sent = parse_time(&list[0]["sent_at"]);
    assert_eq!(
        expires - sent,
        Duration::hours(72),
        "valid 72 hours by default"
    );

    // The page: a plain form (no script needed) with the charter.
    let page = get(&app, &page_path(&token)).await;
    assert_eq!(page.status, 200);
    page.assert_contains("<form method=\"post\" action=\"/invitation\"");
    page.assert_contains("name=\"jeton\"");
    page.assert_contains("name=\"accepte\"");
    assert_eq!(page.header("cache-control"), "no-store");
    let version = between(&page.html, "name=\"version\" value=\"", "\"").to_owned();

    // A weak password, an unticked charter: the form again, the link still alive.
    let weak = post_form(
        &app,
        "/invitation",
        &[
            ("jeton", &token),
            ("version", &version),
            ("new_password", "marie"),
            ("confirmation", "marie"),
            ("accepte", "1"),
        ],
    )
    .await;
    assert_eq!(weak.status, 422);
    weak.assert_contains("new_password-erreur");
    let unticked = post_form(
        &app,
        "/invitation",
        &[
            ("jeton", &token),
            ("version", &version),
            ("new_password", PASSWORD),
            ("confirmation", PASSWORD),
        ],
    )
    .await;
    assert_eq!(unticked.status, 422);
    unticked.assert_contains("accepte-erreur");
    assert_eq!(get(&app, &page_path(&token)).await.status, 200);

    // The first step done: the enrolment of the login follows, with its key.
    let step = accept(&app, &token, &version).await;
    assert_eq!(step.status, 200, "{}", step.html);
    assert!(step.cookie("__Host-passerelle-login").is_some());
    step.assert_contains("name=\"etape\" value=\"enrolement\"");

    // Single use: the link died at its first step.
    let again = accept(&app, &token, &version).await;
    assert_eq!(again.status, 410);
    assert!(!again.html.contains("name=\"jeton\""));
    assert_eq!(get(&app, &page_path(&token)).await.status, 410);
    assert!(pending(&app, &admin).await.is_empty());
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "marie", "password": initial}),
        )
        .await;
    assert_eq!(
        r.status(),
        401,
        "the one-time password died with the first step"
    );

    // The enrolment left unfinished is finished by signing in with the chosen password.
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": "marie", "password": PASSWORD}),
        )
        .await;
    let v = body(r).await;
    assert_eq!(v["step"], "enroll_totp", "{v}");
    let secret = secret_from_uri(v["otpauth_uri"].as_str().unwrap());
    let r = app
        .post(
            "/api/v1/auth/totp",
            json!({"challenge": v["challenge"], "code": app.code(&secret)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v = body(r).await;
    assert_eq!(v["recovery_codes"].as_array().unwrap().len(), 10);

    // The trail: sent, accepted, the charter accepted through the invitation.
    let events = crate::web_admin::audit(&app, &admin.token).await;
    let of = |action: &str| {
        events
            .iter()
            .filter(|e| e["action"] == action)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(of("user.invitation_send").len(), 1);
    let accepted = of("user.invitation_accept");
    assert!(accepted
        .iter()
        .any(|e| e["outcome"] == "success" && e["actor"] == id.as_str()));
    assert!(of("charter.accept")
        .iter()
        .any(|e| e["actor"] == id.as_str()));

    // Enrolled: no invitation any more (409), and the account is a normal one.
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/users/{id}/invitation"),
            json!({}),
        )
        .await;
    assert_error(r, 409, "conflict", "an enrolled account").await;
}

async fn an_invitation_expires_and_can_be_sent_again_or_withdrawn(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let (id, _) = invite(&app, &admin, "paul", &org).await;
    let first = invitations_to(&app, "paul@example.fr", 1).await.remove(0);
    let page = get(&app, &page_path(&first)).await;
    let version = between(&page.html, "name=\"version\" value=\"", "\"").to_owned();

    // 72 hours later the link is dead, and no longer pending.
    app.clock
        .advance(Duration::hours(72) + Duration::seconds(1));
    // The admin's session did not live that long.
    let admin = Account {
        token: app.login(&admin).await,
        ..admin
    };
    assert_eq!(get(&app, &page_path(&first)).await.status, 410);
    assert_eq!(accept(&app, &first, &version).await.status, 410);
    assert!(pending(&app, &admin).await.is_empty());

    // Sent again: a new link; sent once more, the previous one dies.
    let send = format!("/api/v1/users/{id}/invitation");
    let r = app.post_as(&admin.token, &send, json!({})).await;
    assert_eq!(r.status(), 200);
    let v = body(r).await;
    assert_eq!(v["user_id"], id.as_str());
    let second: Vec<String> = invitations_to(&app, "paul@example.fr", 2)
        .await
        .into_iter()
        .filter(|t| *t != first)
        .collect();
    assert_eq!(second.len(), 1);
    assert_eq!(get(&app, &page_path(&second[0])).await.status, 200);
    let r = app.post_as(&admin.token, &send, json!({})).await;
    assert_eq!(r.status(), 200);
    let third: Vec<String> = invitations_to(&app, "paul@example.fr", 3)
        .await
        .into_iter()
        .filter(|t| *t != first && *t != second[0])
        .collect();
    assert_eq!(third.len(), 1);
    assert_eq!(get(&app, &page_path(&second[0])).await.status, 410);
    assert_eq!(get(&app, &page_path(&third[0])).await.status, 200);
    assert_eq!(pending(&app, &admin).await.len(), 1);

    // Withdrawn: the link is dead; withdrawing again finds nothing.
    let r = app
        .client
        .delete(app.url(&send))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(get(&app, &page_path(&third[0])).await.status, 410);
    assert!(pending(&app, &admin).await.is_empty());
    let r = app
        .client
        .delete(app.url(&send))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_error(r, 404, "not_found", "nothing pending").await;

    let events = crate::web_admin::audit(&app, &admin.token).await;
    let count = |action: &str| events.iter().filter(|e| e["action"] == action).count();
    assert_eq!(count("user.invitation_send"), 3);
    assert_eq!(count("user.invitation_revoke"), 1);

    // A disabled account cannot be invited, an unknown one is not found.
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/users/{id}/disable"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app.post_as(&admin.token, &send, json!({})).await;
    assert_error(r, 409, "conflict", "a disabled account").await;
    let r = app
        .post_as(&admin.token, "/api/v1/users/inconnu/invitation", json!({}))
        .await;
    assert_error(r, 404, "not_found", "an unknown account").await;

    // A client sending dead links is slowed down like a login.
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(accept(&app, "pas-un-jeton", &version).await.status.as_u16());
    }
    assert_eq!(statuses[0], 410);
    assert!(statuses.contains(&429), "{statuses:?}");
}

async fn only_platform_admins_invite_and_managers_create_no_accounts(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let (id, _) = invite(&app, &x.admin, "lea", &x.epci).await;
    for who in [&x.manager, &x.depositor] {
        let r = app.get_as(&who.token, "/api/v1/invitations").await;
        assert_error(r, 403, "forbidden", "the pending list").await;
        let path = format!("/api/v1/users/{id}/invitation");
        let r = app.post_as(&who.token, &path, json!({})).await;
        assert_error(r, 403, "forbidden", "sending").await;
        let r = app
            .client
            .delete(app.url(&path))
            .bearer_auth(&who.token)
            .send()
            .await
            .unwrap();
        assert_error(r, 403, "forbidden", "withdrawing").await;
    }
    // A manager adds existing, named accounts to its mission; it creates none, invited or not.
    let r = app
        .post_as(
            &x.manager.token,
            "/api/v1/users",
            json!({"username": "nouvelle", "display_name": "Nouvelle", "email": "nouvelle@example.fr",
                   "organisation_id": x.epci, "send_invitation": true}),
        )
        .await;
    assert_error(r, 403, "forbidden", "a manager creating an account").await;
    let r = app.get_as(&x.admin.token, "/api/v1/users").await;
    let users = body(r).await;
    assert!(!users["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["username"] == "nouvelle"));
    assert_eq!(pending(&app, &x.admin).await.len(), 1);
}

async fn the_accounts_page_sends_again_and_withdraws(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    web_sign_in(&app, &admin).await;

    // The creation form: the box ticked by default; unticked, no invitation leaves.
    let form = get(&app, "/admin/utilisateurs/nouveau").await;
    form.assert_contains("name=\"send_invitation\" type=\"checkbox\" value=\"oui\" checked");
    let csrf = csrf_of(&form);
    let fields = |username: &'static str, invite: bool| {
        let mut f = vec![
            ("csrf_token", csrf.clone()),
            ("username", username.to_owned()),
            ("display_name", format!("{username} Test")),
            ("email", format!("{username}@example.fr")),
            ("organisation_id", org.clone()),
            ("platform_admin", "non".to_owned()),
        ];
        if invite {
            f.push(("send_invitation", "oui".to_owned()));
        }
        f
    };
    let send = |f: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, "/admin/utilisateurs", &f).await
        }
    };
    let created = send(fields("sans", false)).await;
    assert_eq!(created.status, 200);
    assert!(!created.html.contains("invitation-envoyee"));
    let created = send(fields("avec", true)).await;
    assert_eq!(created.status, 200);
    created.assert_contains("id=\"invitation-envoyee\"");
    created.assert_contains("avec@example.fr");
    let first = invitations_to(&app, "avec@example.fr", 1).await.remove(0);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(outbox(&app).iter().all(|m| !m.contains("sans@example.fr")));

    // The accounts page: the pending invitation, sent again, then withdrawn.
    let list = pending(&app, &admin).await;
    assert_eq!(list.len(), 1);
    let id = list[0]["user_id"].as_str().unwrap().to_owned();
    let page = get(&app, "/admin/utilisateurs").await;
    page.assert_contains(&format!("id=\"invitation-{id}\""));
    let again = format!("/admin/utilisateurs/{id}/invitation");
    let r = post_form(&app, &again, &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location(),
        format!("/admin/utilisateurs?invite={id}#invitations")
    );
    let page = get(&app, &format!("/admin/utilisateurs?invite={id}")).await;
    page.assert_contains("Une invitation a été envoyée à avec Test");
    let tokens = invitations_to(&app, "avec@example.fr", 2).await;
    assert_eq!(get(&app, &page_path(&first)).await.status, 410);
    let second = tokens.into_iter().find(|t| *t != first).unwrap();
    assert_eq!(get(&app, &page_path(&second)).await.status, 200);

    // Without the CSRF token nothing happens.
    let r = post_form(&app, &format!("{again}/retrait"), &[]).await;
    assert_ne!(r.status, 303);
    assert_eq!(get(&app, &page_path(&second)).await.status, 200);
    let r = post_form(&app, &format!("{again}/retrait"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303);
    let page = get(
        &app,
        &format!("/admin/utilisateurs?invitation_retiree={id}"),
    )
    .await;
    page.assert_contains("de avec Test a été retirée");
    assert_eq!(get(&app, &page_path(&second)).await.status, 410);
    assert!(pending(&app, &admin).await.is_empty());
}
