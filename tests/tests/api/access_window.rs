//! What a mission's state allows on its files: suspension stops every file operation, and the
//! access window follows Paris time.

use chrono::{Duration, TimeZone as _, Utc};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    suspension_stops_every_file_operation,
    the_access_window_follows_paris_time,
);

/// A seeded deposit and result.
struct Ops {
    deposit: String,
    result: String,
}

async fn seed_files(app: &TestApp, x: &Exchange) -> Ops {
    let d = app
        .upload_deposit(&x.depositor.token, &x.mission, "ops.csv", b"a;b\n1;2\n")
        .await;
    let r = app
        .upload_result(
            &x.processor.token,
            &x.mission,
            "res.csv",
            &fixture("results_ok.csv"),
        )
        .await;
    Ops {
        deposit: d["id"].as_str().unwrap().to_owned(),
        result: r["id"].as_str().unwrap().to_owned(),
    }
}

/// Runs every file operation, each as an actor allowed to do it, and returns (what, status, code).
/// The deletes go to the files this run uploaded (when it could), so that a successful run leaves
/// the seeded files in place.
async fn every_file_operation(
    app: &TestApp,
    x: &Exchange,
    ops: &Ops,
) -> Vec<(String, u16, String)> {
    let mut out = Vec::new();
    let mission = &x.mission;
    let p = &x.processor.token;
    let d = &x.depositor.token;
    async fn run(r: reqwest::Response) -> (u16, String, Option<String>) {
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let code = v["error"].as_str().unwrap_or_default().to_owned();
        let id = v["id"].as_str().map(str::to_owned);
        (status, code, id)
    }
    let mut push =
        |what: &str, (s, c, _): (u16, String, Option<String>)| out.push((what.to_owned(), s, c));
    push(
        "list (processor)",
        run(app
            .get_as(p, &format!("/api/v1/missions/{mission}/files"))
            .await)
        .await,
    );
    push(
        "list (depositor)",
        run(app
            .get_as(d, &format!("/api/v1/missions/{mission}/files"))
            .await)
        .await,
    );
    let up_d = run(app
        .upload(d, mission, Upload::deposit("neuf.csv", b"a;b\n"))
        .await)
    .await;
    let new_deposit = up_d.2.clone().unwrap_or_else(|| ops.deposit.clone());
    push("upload deposit", up_d);
    let ok = fixture("results_ok.csv");
    let up_r = run(app
        .upload(p, mission, Upload::result("neuf.csv", &ok))
        .await)
    .await;
    let new_result = up_r.2.clone().unwrap_or_else(|| ops.result.clone());
    push("upload result", up_r);
    push(
        "GET file",
        run(app
            .get_as(p, &format!("/api/v1/files/{}", ops.deposit))
            .await)
        .await,
    );
    push(
        "download deposit",
        run(app
            .get_as(p, &format!("/api/v1/files/{}/content", ops.deposit))
            .await)
        .await,
    );
    push(
        "download result",
        run(app
            .get_as(p, &format!("/api/v1/files/{}/content", ops.result))
            .await)
        .await,
    );
    push(
        "release",
        run(app
            .post_as(
                p,
                &format!("/api/v1/files/{}/release", ops.result),
                json!({}),
            )
            .await)
        .await,
    );
    push(
        "delete deposit",
        run(app
            .delete_as(d, &format!("/api/v1/files/{new_deposit}"))
            .await)
        .await,
    );
    push(
        "delete result",
        run(app
            .delete_as(p, &format!("/api/v1/files/{new_result}"))
            .await)
        .await,
    );
    out
}

async fn suspension_stops_every_file_operation(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let path = format!("/api/v1/missions/{}", x.mission);
    let ops = seed_files(&app, &x).await;

    for who in [&x.depositor, &x.processor, &x.recipient] {
        let r = app
            .post_as(&who.token, &format!("{path}/suspend"), json!({}))
            .await;
        assert_error(r, 403, "forbidden", &who.username).await;
    }
    let outsider = app.user(&x.admin, "curieux", &x.bailleur).await;
    let r = app
        .post_as(&outsider.token, &format!("{path}/suspend"), json!({}))
        .await;
    assert_error(r, 404, "not_found", "a non-participant suspending").await;

    let r = app
        .post_as(&x.manager.token, &format!("{path}/suspend"), json!({}))
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post_as(&x.admin.token, &format!("{path}/suspend"), json!({}))
        .await;
    assert_eq!(r.status(), 204, "suspending twice");
    let m = body(app.get_as(&x.depositor.token, &path).await).await;
    assert_eq!(
        m["status"], "suspended",
        "the mission stays visible while suspended"
    );
    let v = body(app.get_as(&x.processor.token, "/api/v1/missions").await).await;
    assert_eq!(v["missions"][0]["status"], "suspended");

    for (what, status, code) in every_file_operation(&app, &x, &ops).await {
        assert_eq!(
            (status, code.as_str()),
            (423, "mission_suspended"),
            "{what} while suspended"
        );
    }
    // Suspension stops file operations only: the mission is still administered and accounted for.
    let audit = app
        .get_as(
            &x.manager.token,
            &format!("/api/v1/audit?mission_id={}", x.mission),
        )
        .await;
    assert_eq!(audit.status(), 200, "the audit while suspended");
    let register = app
        .get_as(&x.manager.token, &format!("{path}/register.csv"))
        .await;
    assert_eq!(register.status(), 200, "the register while suspended");
    app.add_participant(&x.manager.token, &x.mission, &outsider.id, "recipient")
        .await;
    let r = app
        .patch_as(&x.manager.token, &path, json!({"ends_at": in_days(29)}))
        .await;
    assert_eq!(r.status(), 200, "PATCH (shortening) while suspended");
    let r = app
        .delete_as(
            &x.manager.token,
            &format!("{path}/participants/{}", outsider.id),
        )
        .await;
    assert_eq!(r.status(), 204, "removing a participant while suspended");
    // Nothing happened while suspended.
    let r = app
        .post_as(&x.admin.token, &format!("{path}/resume"), json!({}))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        body(app.get_as(&x.depositor.token, &path).await).await["status"],
        "active"
    );
    let files = app.list_files(&x.processor.token, &x.mission).await;
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| f["released"] == false));

    // Resumed: everything works again.
    let got = every_file_operation(&app, &x, &ops).await;
    let expect = [200, 200, 201, 201, 200, 200, 200, 200, 204, 204];
    for ((what, status, code), want) in got.iter().zip(expect) {
        assert_eq!(*status, want, "{what} after resume ({code})");
    }

    // The manager resumes too.
    let r = app
        .post_as(&x.manager.token, &format!("{path}/suspend"), json!({}))
        .await;
    assert_eq!(r.status(), 204);
    for who in [&x.depositor, &x.processor] {
        let r = app
            .post_as(&who.token, &format!("{path}/resume"), json!({}))
            .await;
        assert_error(r, 403, "forbidden", &who.username).await;
    }
    let r = app
        .post_as(&x.manager.token, &format!("{path}/resume"), json!({}))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.list_files(&x.processor.token, &x.mission).await.len(),
        2
    );
}

async fn the_access_window_follows_paris_time(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut x = app.exchange().await;
    // A mission running all year (so that summer time can be checked too), with a window.
    let r = app
        .post_as(
            &x.admin.token,
            "/api/v1/missions",
            json!({"name": "OPS 2027 (heures ouvrées)", "purpose": "Étude de l'occupation du parc social",
                   "controller_organisation_id": x.epci, "ends_at": "2027-12-31T12:00:00Z",
                   "results_retained_until": null,
                   "access_window": {"days": [1, 2, 3, 4, 5], "from": "08:00", "to": "19:00"}}),
        )
        .await;
    let status = r.status();
    let v = body(r).await;
    assert_eq!(status, 201, "{v}");
    x.mission = v["id"].as_str().unwrap().to_owned();
    for (who, role) in [
        (&x.depositor, "depositor"),
        (&x.processor, "processor"),
        (&x.recipient, "recipient"),
        (&x.manager, "manager"),
    ] {
        app.add_participant(&x.admin.token, &x.mission, &who.id, role)
            .await;
    }
    let path = format!("/api/v1/missions/{}", x.mission);
    let ops = seed_files(&app, &x).await;

    // Sessions do not survive days of clock jumps: log in again at each instant.
    // Each login moves the clock by a TOTP step: log in a few minutes before, then set the instant.
    async fn at(app: &TestApp, x: &mut Exchange, utc: chrono::DateTime<Utc>) {
        app.clock.set(utc - Duration::minutes(3));
        x.depositor.token = app.login(&x.depositor).await;
        x.processor.token = app.login(&x.processor).await;
        x.manager.token = app.login(&x.manager).await;
        x.admin.token = app.login(&x.admin).await;
        app.clock.set(utc);
    }
    let utc = |y, mo, d, h, mi| Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap();

    // (instant, inside?, what)
    let instants = [
        (utc(2027, 1, 15, 8, 10), true, "Friday 09:10 Paris"),
        (
            utc(2027, 1, 15, 17, 50),
            true,
            "Friday 18:50 Paris (17:50 UTC)",
        ),
        (utc(2027, 1, 15, 19, 0), false, "Friday 20:00 Paris"),
        (utc(2027, 1, 16, 9, 0), false, "Saturday 10:00 Paris"),
        (utc(2027, 1, 17, 13, 0), false, "Sunday 14:00 Paris"),
        (
            utc(2027, 1, 18, 6, 59),
            false,
            "Monday 07:59 Paris (06:59 UTC)",
        ),
        (
            utc(2027, 1, 18, 7, 0),
            true,
            "Monday 08:00 Paris (07:00 UTC)",
        ),
        // Summer time: Paris is UTC+2.
        (
            utc(2027, 7, 15, 6, 30),
            true,
            "Thursday 15 July 08:30 Paris (06:30 UTC)",
        ),
        (
            utc(2027, 7, 15, 17, 30),
            false,
            "Thursday 15 July 19:30 Paris (17:30 UTC)",
        ),
    ];
    for (instant, inside, what) in instants {
        at(&app, &mut x, instant).await;
        for (op, status, code) in every_file_operation(&app, &x, &ops).await {
            if inside {
                assert!(
                    (200..300).contains(&status),
                    "{what}: {op} inside the window answered {status} {code}"
                );
            } else {
                assert_eq!(
                    (status, code.as_str()),
                    (403, "outside_access_hours"),
                    "{what}: {op}"
                );
            }
        }
        // The mission itself stays readable outside the window.
        assert_eq!(
            app.get_as(&x.depositor.token, &path).await.status(),
            200,
            "{what}"
        );
    }

    // Saturday again. What the caller cannot see is still 404, a forbidden action still
    // `forbidden`, and a suspended mission answers 423 before the window is considered.
    at(&app, &mut x, utc(2027, 7, 17, 10, 0)).await;
    x.recipient.token = app.login(&x.recipient).await;
    let r = app
        .get_as(
            &x.recipient.token,
            &format!("/api/v1/files/{}", ops.deposit),
        )
        .await;
    assert_error(r, 404, "not_found", "an invisible file outside the window").await;
    let r = app
        .get_as(
            &x.recipient.token,
            &format!("/api/v1/files/{}/content", ops.deposit),
        )
        .await;
    assert_error(
        r,
        404,
        "not_found",
        "an invisible file's content outside the window",
    )
    .await;
    let r = app
        .delete_as(
            &x.processor.token,
            &format!("/api/v1/files/{}", ops.deposit),
        )
        .await;
    assert_error(
        r,
        403,
        "forbidden",
        "a processor deleting a deposit outside the window",
    )
    .await;
    let outsider = app.user(&x.admin, "curieux", &x.bailleur).await;
    let r = app.get_as(&outsider.token, &format!("{path}/files")).await;
    assert_error(r, 404, "not_found", "a non-participant outside the window").await;
    let r = app
        .post_as(&x.manager.token, &format!("{path}/suspend"), json!({}))
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .get_as(&x.processor.token, &format!("{path}/files"))
        .await;
    assert_error(
        r,
        423,
        "mission_suspended",
        "suspended and outside the window",
    )
    .await;
    let r = app
        .post_as(&x.manager.token, &format!("{path}/resume"), json!({}))
        .await;
    assert_eq!(r.status(), 204);

    // The manager lifts the window: files open at once.
    let r = app
        .get_as(&x.processor.token, &format!("{path}/files"))
        .await;
    assert_error(r, 403, "outside_access_hours", "Saturday in July").await;
    let r = app
        .patch_as(&x.manager.token, &path, json!({"access_window": null}))
        .await;
    assert_eq!(
        r.status(),
        200,
        "changing the window is not a file operation"
    );
    assert_eq!(
        app.get_as(&x.processor.token, &format!("{path}/files"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.download(&x.processor.token, &ops.deposit).await,
        b"a;b\n1;2\n"
    );
}
