//! Expiry-driven destruction, certificates, warnings and extensions (issue 5).

use chrono::Duration;
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    expiry_destroys_exactly_what_it_should,
    results_without_retention_go_at_once,
    a_file_can_have_its_own_expiry,
    closing_destroys_now_and_certifies,
    an_interrupted_destruction_is_finished_after_restart,
    warnings_are_sent_once_each,
    extensions_are_recorded_with_their_reason_and_bounded,
);

/// A mission with a bailleur depositor, a consultancy processor and an EPCI recipient.
pub(crate) struct Setup {
    pub(crate) app: TestApp,
    pub(crate) admin: Account,
    pub(crate) bailleur: String,
    pub(crate) depositor: Account,
    pub(crate) processor: Account,
    pub(crate) recipient: Account,
    pub(crate) mission: String,
}

pub(crate) const MARKER: &str = "MARQUEUR-EN-CLAIR-7f3a9c";

pub(crate) async fn setup(b: Backend, retained_days: Option<i64>) -> Setup {
    setup_with(b, retained_days, |_| {}).await
}

/// [`setup`] on a gateway whose configuration `tweak` adjusts.
pub(crate) async fn setup_with(
    b: Backend,
    retained_days: Option<i64>,
    tweak: impl FnOnce(&mut gateway::Config),
) -> Setup {
    let app = TestApp::spawn_with(b, tweak).await;
    let admin = app.admin("operateur").await;
    let bailleur = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let cabinet = app
        .organisation(&admin, "Cabinet Études", "consultancy")
        .await;
    let epci = app.organisation(&admin, "CA Hénin-Carvin", "epci").await;
    let depositor = app.user(&admin, "depositaire", &bailleur).await;
    let processor = app.user(&admin, "analyste", &cabinet).await;
    let recipient = app.user(&admin, "agent.epci", &epci).await;
    let now = gateway::clock::Clock::now(&app.clock);
    let ends = now + Duration::days(10);
    let body = json!({
        "name": "Étude OPS 2027", "purpose": "Diagnostic de l'occupation du parc social",
        "controller_organisation_id": bailleur, "ends_at": gateway::clock::rfc3339(ends),
        "results_retained_until": retained_days.map(|d| gateway::clock::rfc3339(ends + Duration::days(d))),
    });
    let r = app.post_as(&admin.token, "/api/v1/missions", body).await;
    assert_eq!(r.status(), 201);
    let mission = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (who, role) in [
        (&depositor, "depositor"),
        (&processor, "processor"),
        (&recipient, "recipient"),
    ] {
        let r = app
            .post_as(
                &admin.token,
                &format!("/api/v1/missions/{mission}/participants"),
                json!({"user_id": who.id, "role": role}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    Setup {
        app,
        admin,
        bailleur,
        depositor,
        processor,
        recipient,
        mission,
    }
}

/// Fresh bearer tokens, after the clock jumped past the sessions' idle timeout.
pub(crate) struct Tokens {
    pub(crate) admin: String,
    pub(crate) depositor: String,
    pub(crate) processor: String,
    pub(crate) recipient: String,
}

pub(crate) async fn tokens(app: &TestApp, s: &Setup) -> Tokens {
    Tokens {
        admin: app.login(&s.admin).await,
        depositor: app.login(&s.depositor).await,
        processor: app.login(&s.processor).await,
        recipient: app.login(&s.recipient).await,
    }
}

pub(crate) async fn status(app: &TestApp, admin_token: &str, mission: &str) -> String {
    let r = app
        .get_as(admin_token, &format!("/api/v1/missions/{mission}"))
        .await;
    r.json::<Value>().await.unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Nothing of the mission can be read under the data directory: no plaintext marker anywhere,
/// no blob and no key file of the mission.
pub(crate) fn assert_nothing_readable_left(app: &TestApp, mission: &str) {
    for path in files_under(app.data.path()) {
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
            "plaintext left in {}",
            path.display()
        );
        let name = path.to_string_lossy();
        if name.contains("/blobs/") {
            assert!(!name.contains(mission), "blob left: {name}");
        }
        if name.contains("/keys/") {
            assert!(
                !name.ends_with(&format!("{mission}.key")),
                "key left: {name}"
            );
        }
    }
}

pub(crate) async fn audit_actions(app: &TestApp, mission: &str) -> Vec<(String, Option<String>)> {
    gateway::db::audit::list(&app.core.db, Some(mission), 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.file_id))
        .collect()
}

async fn expiry_destroys_exactly_what_it_should(b: Backend) {
    let s = setup(b, Some(30)).await;
    let app = &s.app;
    let deposit = id_of(
        &app.upload_deposit(
            &s.depositor.token,
            &s.mission,
            "ops.csv",
            &format!("logement;{MARKER}\n1;2\n"),
        )
        .await,
    );
    let draft = id_of(
        &app.upload_result(
            &s.processor.token,
            &s.mission,
            "brouillon.csv",
            &format!("commune;{MARKER}\nA;12\n"),
        )
        .await,
    );
    let released = id_of(
        &app.upload_result(
            &s.processor.token,
            &s.mission,
            "resultats.csv",
            "commune;nb_menages\nA;120\n",
        )
        .await,
    );
    app.release(&s.processor.token, &released).await;

    // Before the end nothing moves.
    app.clock.advance(Duration::days(9));
    let report = app.core.sweep().await.unwrap();
    assert_eq!((report.ended, report.files_destroyed), (0, 0));

    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    let t = tokens(app, &s).await;
    let report = app.core.sweep().await.unwrap();
    assert_eq!(
        (
            report.ended,
            report.files_destroyed,
            report.missions_destroyed
        ),
        (1, 2, 0)
    );
    assert_eq!(status(app, &t.admin, &s.mission).await, "ended");
    // The processor loses all access; the recipient and the controller organisation's depositor
    // keep read access to the released result only.
    assert_eq!(
        app.get_as(&t.processor, &format!("/api/v1/missions/{}", s.mission))
            .await
            .status(),
        404
    );
    let list: Value = app
        .get_as(&t.processor, "/api/v1/missions")
        .await
        .json()
        .await
        .unwrap();
    assert!(list["missions"].as_array().unwrap().is_empty(), "{list}");
    for token in [&t.recipient, &t.depositor] {
        let list: Value = app
            .get_as(token, "/api/v1/missions")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["missions"][0]["status"], "ended", "{list}");
        assert_eq!(
            list["missions"][0]["my_roles"],
            json!(["recipient"]),
            "read access only"
        );
        let r = app
            .get_as(token, &format!("/api/v1/missions/{}/files", s.mission))
            .await;
        let files: Value = r.json().await.unwrap();
        let ids: Vec<&str> = files["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![released.as_str()]);
    }
    // Nobody uploads into an ended mission.
    let part = reqwest::multipart::Part::bytes(b"a;b\n".to_vec()).file_name("tard.csv");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/missions/{}/deposits", s.mission)))
        .bearer_auth(&t.depositor)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .get_as(&t.recipient, &format!("/api/v1/files/{released}/content"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "commune;nb_menages\nA;120\n");
    for gone in [&deposit, &draft] {
        assert_eq!(
            app.get_as(&t.admin, &format!("/api/v1/files/{gone}"))
                .await
                .status(),
            404
        );
    }
    // No certificate before the mission is destroyed.
    assert_eq!(
        app.get_as(
            &t.admin,
            &format!("/api/v1/missions/{}/certificate", s.mission)
        )
        .await
        .status(),
        404
    );

    // At the retention date the released result goes and the mission is destroyed.
    app.clock.advance(Duration::days(30));
    let t = tokens(app, &s).await;
    let report = app.core.sweep().await.unwrap();
    assert_eq!((report.files_destroyed, report.missions_destroyed), (1, 1));
    assert_eq!(status(app, &t.admin, &s.mission).await, "destroyed");
    assert_eq!(
        app.get_as(&t.recipient, &format!("/api/v1/missions/{}", s.mission))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_as(&t.recipient, &format!("/api/v1/files/{released}"))
            .await
            .status(),
        404
    );
    assert_nothing_readable_left(app, &s.mission);

    // The certificate: admin and the controller organisation's members; nobody else.
    let depositor_cert = app
        .get_as(
            &t.depositor,
            &format!("/api/v1/missions/{}/certificate", s.mission),
        )
        .await;
    assert_eq!(
        depositor_cert.status(),
        200,
        "the depositor belongs to the controller organisation"
    );
    assert_eq!(
        app.get_as(
            &t.processor,
            &format!("/api/v1/missions/{}/certificate", s.mission)
        )
        .await
        .status(),
        404
    );
    let cert: Value = app
        .get_as(
            &t.admin,
            &format!("/api/v1/missions/{}/certificate", s.mission),
        )
        .await
        .json()
        .await
        .unwrap();
    let key_id = gateway::service::certificate::verify(&cert, None).unwrap();
    let published: Value = app
        .client
        .get(app.url("/.well-known/passerelle-signing-key"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(published["key_id"], key_id.as_str());
    assert_eq!(published["algorithm"], "Ed25519");
    assert_eq!(
        cert["payload"]["instance"]["public_key"],
        published["public_key"]
    );
    let payload = &cert["payload"];
    assert_eq!(
        payload["method"],
        "cryptographic erase (NIST SP 800-88) followed by deletion"
    );
    assert_eq!(
        payload["mission"]["controller_organisation"]["id"],
        s.bailleur.as_str()
    );
    assert_eq!(
        payload["mission"]["controller_organisation"]["name"],
        "Habitat Hénin"
    );
    let names: Vec<&str> = payload["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    for n in ["ops.csv", "brouillon.csv", "resultats.csv"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let file = payload["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "ops.csv")
        .unwrap();
    assert_eq!(file["folder"], "deposits");
    assert_eq!(file["uploaded_by"]["display_name"], "depositaire Test");
    assert_eq!(file["sha256"].as_str().unwrap().len(), 64);
    // Both instants of the rule: live gateway at once, key exports after their retention.
    let live = chrono::DateTime::parse_from_rfc3339(
        payload["unreadable_in_live_gateway_from"].as_str().unwrap(),
    )
    .unwrap();
    let exports = chrono::DateTime::parse_from_rfc3339(
        payload["unreadable_from_key_exports_from"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(exports - live, Duration::days(30));

    // Any change breaks the signature.
    for pointer in [
        "/payload/files/0/name",
        "/payload/mission/name",
        "/payload/key_destroyed_at",
    ] {
        let mut altered = cert.clone();
        let v = altered.pointer_mut(pointer).unwrap();
        *v = json!(format!("{}x", v.as_str().unwrap()));
        assert!(
            gateway::service::certificate::verify(&altered, None).is_err(),
            "{pointer}"
        );
    }
    let mut altered = cert.clone();
    altered["payload"]["files"][0]["size"] =
        json!(cert["payload"]["files"][0]["size"].as_i64().unwrap() + 1);
    assert!(gateway::service::certificate::verify(&altered, None).is_err());

    let actions = audit_actions(app, &s.mission).await;
    let destroyed: Vec<_> = actions
        .iter()
        .filter(|(a, _)| a == "file.destroy")
        .collect();
    assert_eq!(destroyed.len(), 3);
    assert_eq!(
        actions
            .iter()
            .filter(|(a, _)| a == "mission.destroy")
            .count(),
        1
    );
    assert_eq!(
        actions.iter().filter(|(a, _)| a == "mission.end").count(),
        1
    );
    // Later sweeps find nothing to do.
    assert_eq!(
        app.core.sweep().await.unwrap(),
        gateway::service::retention::SweepReport::default()
    );
    assert!(app.core.audit.verify().await.unwrap().is_ok());
}

async fn results_without_retention_go_at_once(b: Backend) {
    let s = setup(b, None).await;
    let app = &s.app;
    let released = id_of(
        &app.upload_result(
            &s.processor.token,
            &s.mission,
            "resultats.csv",
            "commune;nb\nA;120\n",
        )
        .await,
    );
    app.release(&s.processor.token, &released).await;
    app.clock.advance(Duration::days(11));
    let t = tokens(app, &s).await;
    let report = app.core.sweep().await.unwrap();
    assert_eq!(
        (
            report.ended,
            report.files_destroyed,
            report.missions_destroyed
        ),
        (1, 1, 1)
    );
    assert_eq!(status(app, &t.admin, &s.mission).await, "destroyed");
    assert_eq!(
        app.get_as(&t.recipient, &format!("/api/v1/files/{released}"))
            .await
            .status(),
        404
    );
    assert_nothing_readable_left(app, &s.mission);
}

async fn a_file_can_have_its_own_expiry(b: Backend) {
    let s = setup(b, Some(30)).await;
    let app = &s.app;
    let short = id_of(
        &app.upload_deposit(
            &s.depositor.token,
            &s.mission,
            "avant-cal.csv",
            "a;b\n1;2\n",
        )
        .await,
    );
    let long = id_of(
        &app.upload_deposit(&s.depositor.token, &s.mission, "ops.csv", "a;b\n1;2\n")
            .await,
    );
    let when = gateway::clock::rfc3339(gateway::clock::Clock::now(&app.clock) + Duration::days(2));
    // Only who may delete the file may schedule its destruction.
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/files/{short}")))
        .bearer_auth(&s.processor.token)
        .json(&json!({"expires_at": when}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/files/{short}")))
        .bearer_auth(&s.depositor.token)
        .json(&json!({"expires_at": when}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["expires_at"],
        when.as_str()
    );
    app.clock.advance(Duration::days(2) + Duration::seconds(1));
    let t = tokens(app, &s).await;
    let report = app.core.sweep().await.unwrap();
    assert_eq!(report.files_destroyed, 1);
    assert_eq!(
        app.get_as(&t.processor, &format!("/api/v1/files/{short}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_as(&t.processor, &format!("/api/v1/files/{long}"))
            .await
            .status(),
        200
    );
    assert_eq!(status(app, &t.admin, &s.mission).await, "active");
}

async fn closing_destroys_now_and_certifies(b: Backend) {
    let s = setup(b, None).await;
    let app = &s.app;
    id_of(
        &app.upload_deposit(
            &s.depositor.token,
            &s.mission,
            "ops.csv",
            &format!("x;{MARKER}\n"),
        )
        .await,
    );
    let r = app
        .post_as(
            &s.processor.token,
            &format!("/api/v1/missions/{}/close", s.mission),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 403, "only managers and admins close");
    let r = app
        .post_as(
            &s.admin.token,
            &format!("/api/v1/missions/{}/close", s.mission),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(status(app, &s.admin.token, &s.mission).await, "destroyed");
    let cert: Value = app
        .get_as(
            &s.admin.token,
            &format!("/api/v1/missions/{}/certificate", s.mission),
        )
        .await
        .json()
        .await
        .unwrap();
    gateway::service::certificate::verify(&cert, None).unwrap();
    assert!(cert["payload"]["mission"]["closed_at"].is_string());
    // The certificate states where the files were kept.
    let kind = match app.config.storage.backend {
        gateway::blob_backend::BackendKind::S3 => "s3",
        gateway::blob_backend::BackendKind::Local => "local",
    };
    assert_eq!(
        cert["payload"]["storage"],
        json!({"backend": kind, "country": "FR"})
    );
    // The printable French rendering, for the same people.
    let r = app
        .get_as(
            &s.admin.token,
            &format!("/api/v1/missions/{}/certificate.html", s.mission),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"fr\"") && html.contains("Certificat de destruction"),
        "{html}"
    );
    assert!(
        html.contains("ops.csv")
            && html.contains("Étude OPS 2027")
            && html.contains("Habitat Hénin")
    );
    assert!(!html.contains("<script") && !html.contains("style="));
    assert_eq!(
        app.get_as(
            &s.processor.token,
            &format!("/api/v1/missions/{}/certificate.html", s.mission)
        )
        .await
        .status(),
        404
    );
    assert_nothing_readable_left(app, &s.mission);
    let r = app
        .post_as(
            &s.admin.token,
            &format!("/api/v1/missions/{}/close", s.mission),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let actions = audit_actions(app, &s.mission).await;
    assert!(actions.iter().any(|(a, _)| a == "mission.close"));
}

async fn an_interrupted_destruction_is_finished_after_restart(b: Backend) {
    let s = setup(b, None).await;
    let app = &s.app;
    let a = id_of(
        &app.upload_deposit(
            &s.depositor.token,
            &s.mission,
            "a.csv",
            &format!("x;{MARKER}\n"),
        )
        .await,
    );
    id_of(
        &app.upload_deposit(
            &s.depositor.token,
            &s.mission,
            "b.csv",
            &format!("y;{MARKER}\n"),
        )
        .await,
    );
    // A crash after the key was shredded and one blob deleted, before anything else was recorded.
    app.core
        .blobs
        .keys()
        .destroy_mission_key(&s.mission)
        .await
        .unwrap();
    app.core.blobs.delete(&s.mission, &a).await.unwrap();
    // The content is already unreadable.
    let r = app
        .get_as(&s.depositor.token, &format!("/api/v1/files/{a}/content"))
        .await;
    assert_ne!(r.status(), 200);
    // A gateway restarted on the same data finishes the work at its first sweep.
    app.clock.advance(Duration::days(11));
    let t = tokens(app, &s).await;
    let restarted =
        gateway::Application::build(app.config.clone(), std::sync::Arc::new(app.clock.clone()))
            .await
            .unwrap();
    let report = restarted.core().sweep().await.unwrap();
    assert_eq!((report.ended, report.missions_destroyed), (1, 1));
    assert_eq!(status(app, &t.admin, &s.mission).await, "destroyed");
    let cert: Value = app
        .get_as(
            &t.admin,
            &format!("/api/v1/missions/{}/certificate", s.mission),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cert["payload"]["files"].as_array().unwrap().len(), 2);
    assert_nothing_readable_left(app, &s.mission);
}

async fn warnings_are_sent_once_each(b: Backend) {
    let s = setup(b, None).await;
    let app = &s.app;
    let outbox = app.data.path().join("outbox");
    // The warnings only (the participants were told of their roles when added).
    let warnings = || {
        std::fs::read_dir(&outbox)
            .map(|d| {
                d.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                    .filter(|m| m.contains("X-Passerelle-Notification: mission_ending"))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let count = || warnings().len();
    app.core.notifications_settled().await;
    app.core.sweep().await.unwrap();
    assert_eq!(count(), 0, "ten days left: no warning yet");
    app.clock.advance(Duration::days(3) + Duration::hours(1));
    assert_eq!(app.core.sweep().await.unwrap().warnings_sent, 3);
    assert_eq!(count(), 3);
    assert_eq!(app.core.sweep().await.unwrap().warnings_sent, 0);
    app.clock.advance(Duration::days(6));
    assert_eq!(app.core.sweep().await.unwrap().warnings_sent, 3);
    assert_eq!(app.core.sweep().await.unwrap().warnings_sent, 0);
    assert_eq!(count(), 6);
    let mail = warnings().join("\n");
    assert!(mail.contains("agent.epci@example.fr") && mail.contains("depositaire@example.fr"));
    assert!(mail.contains("Subject:"));
}

async fn extensions_are_recorded_with_their_reason_and_bounded(b: Backend) {
    let s = setup(b, None).await;
    let app = &s.app;
    let now = gateway::clock::Clock::now(&app.clock);
    let path = format!("/api/v1/missions/{}", s.mission);
    let later = gateway::clock::rfc3339(now + Duration::days(40));
    // The contract's PATCH {"ends_at"} works as it is; a reason, when given, is recorded.
    let r = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&s.admin.token)
        .json(&json!({"ends_at": later}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let later = gateway::clock::rfc3339(now + Duration::days(45));
    let r = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&s.admin.token)
        .json(&json!({"ends_at": later, "reason": "Commission d'attribution reportée"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["ends_at"], later.as_str());
    let too_far = gateway::clock::rfc3339(now + Duration::days(10 + 366));
    let r = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&s.admin.token)
        .json(&json!({"ends_at": too_far, "reason": "encore"}))
        .send()
        .await
        .unwrap();
    // Beyond max_extension_days: 400 invalid_request (the contract).
    assert_eq!(r.status(), 400);
    let events = gateway::db::audit::list(&app.core.db, Some(&s.mission), 0, 1000)
        .await
        .unwrap();
    let update = events
        .iter()
        .rev()
        .find(|e| e.action == "mission.update" && e.outcome == "success")
        .unwrap();
    assert!(update
        .detail
        .as_deref()
        .unwrap()
        .contains("Commission d'attribution reportée"));
}

// Two instances on one PostgreSQL database race to destroy the same mission: exactly one does it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_on_postgres_destroy_once() {
    let Some(b) = Backend::postgres() else { return };
    let s = setup(b, None).await;
    let app = &s.app;
    for i in 0..4 {
        id_of(
            &app.upload_deposit(
                &s.depositor.token,
                &s.mission,
                &format!("f{i}.csv"),
                "a;b\n",
            )
            .await,
        );
    }
    app.clock.advance(Duration::days(11));
    let t = tokens(app, &s).await;
    // A second instance on the same database and storage.
    let mut config = app.config.clone();
    config.listen = "127.0.0.1:0".parse().unwrap();
    let second = gateway::Application::build(config, std::sync::Arc::new(app.clock.clone()))
        .await
        .unwrap();
    let (a, b) = tokio::join!(app.core.sweep(), second.core().sweep());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.missions_destroyed + b.missions_destroyed,
        1,
        "{a:?} {b:?}"
    );
    let actions = audit_actions(app, &s.mission).await;
    assert_eq!(
        actions
            .iter()
            .filter(|(x, _)| x == "mission.destroy")
            .count(),
        1
    );
    assert_eq!(
        actions.iter().filter(|(x, _)| x == "file.destroy").count(),
        4
    );
    assert_eq!(
        actions.iter().filter(|(x, _)| x == "mission.end").count(),
        1
    );
    assert_eq!(status(app, &t.admin, &s.mission).await, "destroyed");
}
