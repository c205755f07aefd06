//! Missions, participants, suspension and the access window.

use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    creating_a_mission_validates_its_fields,
    lists_show_my_roles,
    a_mission_shows_its_participants,
    participants_come_and_go_at_once,
    patch_moves_the_end,
);

pub(crate) fn mission_body(controller: &str) -> Value {
    json!({"name": "OPS 2027 Hénin-Carvin", "purpose": "Étude de l'occupation du parc social",
           "controller_organisation_id": controller, "ends_at": in_days(30),
           "results_retained_until": in_days(90)})
}

pub(crate) fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

pub(crate) fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

async fn creating_a_mission_validates_its_fields(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let epci = app.organisation(&admin, "CA Hénin-Carvin", "epci").await;
    let user = app.user(&admin, "agent", &epci).await;
    let good = mission_body(&epci);

    let r = app
        .post_as(&user.token, "/api/v1/missions", good.clone())
        .await;
    assert_error(r, 403, "forbidden", "only platform admins create missions").await;

    let r = app
        .post_as(&admin.token, "/api/v1/missions", good.clone())
        .await;
    assert_eq!(r.status(), 201);
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    let m = body(
        app.get_as(&admin.token, &format!("/api/v1/missions/{id}"))
            .await,
    )
    .await;
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["name"], "OPS 2027 Hénin-Carvin");
    assert_eq!(m["purpose"], "Étude de l'occupation du parc social");
    assert_eq!(m["status"], "active");
    assert_eq!(m["controller_organisation_id"], epci.as_str());
    assert_eq!(parse_time(&m["ends_at"]), parse_time(&json!(in_days(30))));
    assert_eq!(
        parse_time(&m["results_retained_until"]),
        parse_time(&json!(in_days(90)))
    );
    assert_eq!(m["participants"], json!([]));
    assert_eq!(m["my_roles"], json!([]));

    // 400: malformed requests.
    for (what, v) in [
        ("no name", without(good.clone(), "name")),
        ("no purpose", without(good.clone(), "purpose")),
        (
            "no controller",
            without(good.clone(), "controller_organisation_id"),
        ),
        ("no end", without(good.clone(), "ends_at")),
        ("name not a string", with(good.clone(), "name", json!(12))),
        (
            "end not a string",
            with(good.clone(), "ends_at", json!(true)),
        ),
    ] {
        let r = app.post_as(&admin.token, "/api/v1/missions", v).await;
        assert_error(r, 400, "invalid_request", what).await;
    }
    for (what, ct, raw) in [
        ("malformed JSON", "application/json", "{\"name\": "),
        ("not an object", "application/json", "[]"),
    ] {
        let r = app
            .client
            .post(app.url("/api/v1/missions"))
            .bearer_auth(&admin.token)
            .header("content-type", ct)
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_error(r, 400, "invalid_request", what).await;
    }
    let r = app
        .client
        .post(app.url("/api/v1/missions"))
        .bearer_auth(&admin.token)
        .header("content-type", "text/plain")
        .body(good.to_string())
        .send()
        .await
        .unwrap();
    let (status, code) = status_and_code(r).await;
    assert!(
        matches!(status, 400 | 415) && code == "invalid_request",
        "wrong content type: {status} {code}"
    );
    // 422: well-formed but invalid.
    for (what, v) in [
        ("empty name", with(good.clone(), "name", json!(""))),
        (
            "name of 201 characters",
            with(good.clone(), "name", json!("n".repeat(201))),
        ),
        ("empty purpose", with(good.clone(), "purpose", json!(""))),
        (
            "purpose of 2001 characters",
            with(good.clone(), "purpose", json!("p".repeat(2001))),
        ),
        (
            "unknown controller",
            with(
                good.clone(),
                "controller_organisation_id",
                json!("00000000-0000-0000-0000-000000000000"),
            ),
        ),
        (
            "malformed controller",
            with(
                good.clone(),
                "controller_organisation_id",
                json!("pas-un-id"),
            ),
        ),
        (
            "end in the past",
            with(good.clone(), "ends_at", json!("2027-01-14T08:00:00Z")),
        ),
        (
            "retention before the end",
            with(good.clone(), "results_retained_until", json!(in_days(29))),
        ),
    ] {
        let r = app.post_as(&admin.token, "/api/v1/missions", v).await;
        assert_error(r, 422, "invalid_request", what).await;
    }
    // Limits and nulls that are fine.
    for (what, v) in [
        (
            "name of 200 characters",
            with(good.clone(), "name", json!("é".repeat(200))),
        ),
        (
            "purpose of 2000 characters",
            with(good.clone(), "purpose", json!("p".repeat(2000))),
        ),
        (
            "no retention",
            with(good.clone(), "results_retained_until", Value::Null),
        ),
        (
            "retention at the end",
            with(good.clone(), "results_retained_until", json!(in_days(30))),
        ),
    ] {
        let r = app.post_as(&admin.token, "/api/v1/missions", v).await;
        assert_eq!(r.status(), 201, "{what}: {}", r.text().await.unwrap());
    }
    // The additive access window.
    let window = json!({"days": [1, 2, 3, 4, 5], "from": "08:00", "to": "19:00"});
    let r = app
        .post_as(
            &admin.token,
            "/api/v1/missions",
            with(good.clone(), "access_window", window.clone()),
        )
        .await;
    assert_eq!(r.status(), 201);
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    let m = body(
        app.get_as(&admin.token, &format!("/api/v1/missions/{id}"))
            .await,
    )
    .await;
    assert_eq!(m["access_window"], window);
    for bad in [
        json!({"days": [0], "from": "08:00", "to": "19:00"}),
        json!({"days": [8], "from": "08:00", "to": "19:00"}),
        json!({"days": [1], "from": "25:00", "to": "19:00"}),
        json!({"days": [1], "from": "huit heures", "to": "19:00"}),
    ] {
        let r = app
            .post_as(
                &admin.token,
                "/api/v1/missions",
                with(good.clone(), "access_window", bad.clone()),
            )
            .await;
        let (status, code) = status_and_code(r).await;
        assert!(
            matches!(status, 400 | 422) && code == "invalid_request",
            "{bad}: {status} {code}"
        );
    }
    let all = body(app.get_as(&admin.token, "/api/v1/missions").await).await;
    assert_eq!(all["missions"].as_array().unwrap().len(), 6, "{all}");
}

async fn lists_show_my_roles(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let other = app.create_mission(&x.admin, "Autre étude", &x.epci).await;
    app.add_participant(&x.admin.token, &other, &x.processor.id, "processor")
        .await;
    app.add_participant(&x.admin.token, &other, &x.processor.id, "recipient")
        .await;
    let loner = app.user(&x.admin, "sans.mission", &x.bailleur).await;

    let v = body(app.get_as(&x.admin.token, "/api/v1/missions").await).await;
    let missions = v["missions"].as_array().unwrap();
    assert_eq!(missions.len(), 2, "{v}");
    for m in missions {
        assert_eq!(m["my_roles"], json!([]), "{m}");
        assert_eq!(m["status"], "active");
        assert!(m["name"].is_string() && m["purpose"].is_string(), "{m}");
        parse_time(&m["ends_at"]);
    }

    let v = body(app.get_as(&x.depositor.token, "/api/v1/missions").await).await;
    let missions = v["missions"].as_array().unwrap();
    assert_eq!(missions.len(), 1, "{v}");
    assert_eq!(missions[0]["id"], x.mission.as_str());
    assert_eq!(missions[0]["name"], "OPS 2027");
    assert_eq!(missions[0]["my_roles"], json!(["depositor"]));
    assert_eq!(
        parse_time(&missions[0]["ends_at"]),
        parse_time(&json!(in_days(30)))
    );

    let v = body(app.get_as(&x.processor.token, "/api/v1/missions").await).await;
    let missions = v["missions"].as_array().unwrap();
    assert_eq!(missions.len(), 2, "{v}");
    let roles = |id: &str| -> Vec<String> {
        let m = missions.iter().find(|m| m["id"] == id).unwrap();
        let mut r: Vec<String> = serde_json::from_value(m["my_roles"].clone()).unwrap();
        r.sort();
        r
    };
    assert_eq!(roles(&x.mission), vec!["processor"]);
    assert_eq!(roles(&other), vec!["processor", "recipient"]);

    let v = body(app.get_as(&loner.token, "/api/v1/missions").await).await;
    assert_eq!(v["missions"], json!([]));
}

async fn a_mission_shows_its_participants(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    // A second role for the manager: still one entry.
    app.add_participant(&x.admin.token, &x.mission, &x.manager.id, "recipient")
        .await;
    // The same role again: accepted, no duplicate.
    app.add_participant(&x.admin.token, &x.mission, &x.manager.id, "recipient")
        .await;
    app.add_participant(&x.manager.token, &x.mission, &x.depositor.id, "depositor")
        .await;

    let path = format!("/api/v1/missions/{}", x.mission);
    let r = app.get_as(&x.manager.token, &path).await;
    assert_eq!(r.status(), 200);
    let m = body(r).await;
    assert_eq!(m["id"], x.mission.as_str());
    assert_eq!(m["name"], "OPS 2027");
    assert_eq!(m["status"], "active");
    let mut my: Vec<String> = serde_json::from_value(m["my_roles"].clone()).unwrap();
    my.sort();
    assert_eq!(my, vec!["manager", "recipient"]);
    let participants = m["participants"].as_array().unwrap();
    assert_eq!(participants.len(), 4, "one entry per user: {m}");
    for (who, org, name, roles) in [
        (
            &x.depositor,
            &x.bailleur,
            "depot.henin Test",
            vec!["depositor"],
        ),
        (
            &x.processor,
            &x.consultancy,
            "analyste Test",
            vec!["processor"],
        ),
        (
            &x.recipient,
            &x.epci,
            "destinataire Test",
            vec!["recipient"],
        ),
        (
            &x.manager,
            &x.epci,
            "chef.projet Test",
            vec!["manager", "recipient"],
        ),
    ] {
        let p = participants
            .iter()
            .find(|p| p["user_id"] == who.id.as_str())
            .unwrap_or_else(|| panic!("{} missing: {m}", who.username));
        assert_eq!(p["display_name"], name);
        assert_eq!(p["organisation_id"], org.as_str());
        let mut got: Vec<String> = serde_json::from_value(p["roles"].clone()).unwrap();
        got.sort();
        assert_eq!(got, roles, "{p}");
    }
    let v = body(app.get_as(&x.depositor.token, &path).await).await;
    assert_eq!(v["my_roles"], json!(["depositor"]));
    assert_eq!(v["participants"].as_array().unwrap().len(), 4);
    let v = body(app.get_as(&x.admin.token, &path).await).await;
    assert_eq!(v["my_roles"], json!([]));

    // Outsiders and unknown ids: 404.
    let outsider = app.user(&x.admin, "curieux", &x.bailleur).await;
    let r = app.get_as(&outsider.token, &path).await;
    assert_error(r, 404, "not_found", "a non-participant").await;
    for unknown in ["00000000-0000-0000-0000-000000000000", "pas-un-id"] {
        let r = app
            .get_as(&x.admin.token, &format!("/api/v1/missions/{unknown}"))
            .await;
        assert_error(r, 404, "not_found", unknown).await;
    }

    // Adding: bad role 400, unknown or disabled user 422, unknown mission 404.
    let add = format!("/api/v1/missions/{}/participants", x.mission);
    let r = app
        .post_as(
            &x.admin.token,
            &add,
            json!({"user_id": outsider.id, "role": "owner"}),
        )
        .await;
    assert_error(r, 400, "invalid_request", "unknown role").await;
    let r = app
        .post_as(&x.admin.token, &add, json!({"user_id": outsider.id}))
        .await;
    assert_error(r, 400, "invalid_request", "no role").await;
    let r = app
        .post_as(
            &x.admin.token,
            &add,
            json!({"user_id": "00000000-0000-0000-0000-000000000000", "role": "recipient"}),
        )
        .await;
    assert_error(r, 422, "invalid_request", "unknown user").await;
    let r = app
        .post_as(
            &x.admin.token,
            &format!("/api/v1/users/{}/disable", outsider.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post_as(
            &x.admin.token,
            &add,
            json!({"user_id": outsider.id, "role": "recipient"}),
        )
        .await;
    assert_error(r, 422, "invalid_request", "disabled user").await;
    let r = app
        .post_as(
            &x.admin.token,
            "/api/v1/missions/00000000-0000-0000-0000-000000000000/participants",
            json!({"user_id": x.depositor.id, "role": "recipient"}),
        )
        .await;
    assert_error(r, 404, "not_found", "unknown mission").await;
    let v = body(app.get_as(&x.admin.token, &path).await).await;
    assert_eq!(v["participants"].as_array().unwrap().len(), 4, "{v}");
}

async fn participants_come_and_go_at_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let carvin = app.organisation(&x.admin, "Logis Carvin", "bailleur").await;
    let newcomer = app.user(&x.admin, "depot.carvin", &carvin).await;
    let path = format!("/api/v1/missions/{}", x.mission);
    let add = format!("{path}/participants");

    // Before: not a participant.
    assert_eq!(app.get_as(&newcomer.token, &path).await.status(), 404);
    let r = app
        .upload(
            &newcomer.token,
            &x.mission,
            Upload::deposit("ops.csv", b"a;b\n1;2\n"),
        )
        .await;
    assert_error(r, 404, "not_found", "upload before being added").await;

    // Only managers and admins add participants.
    for who in [&x.depositor, &x.processor, &x.recipient] {
        let r = app
            .post_as(
                &who.token,
                &add,
                json!({"user_id": newcomer.id, "role": "depositor"}),
            )
            .await;
        assert_error(r, 403, "forbidden", &who.username).await;
    }
    let r = app
        .post_as(
            &newcomer.token,
            &add,
            json!({"user_id": newcomer.id, "role": "depositor"}),
        )
        .await;
    assert_error(r, 404, "not_found", "a non-participant adding itself").await;

    app.add_participant(&x.manager.token, &x.mission, &newcomer.id, "depositor")
        .await;
    assert_eq!(app.get_as(&newcomer.token, &path).await.status(), 200);
    let f = app
        .upload_deposit(&newcomer.token, &x.mission, "ops.csv", b"a;b\n1;2\n")
        .await;
    let file = f["id"].as_str().unwrap().to_owned();
    assert_eq!(app.download(&newcomer.token, &file).await, b"a;b\n1;2\n");
    app.add_participant(&x.admin.token, &x.mission, &newcomer.id, "recipient")
        .await;

    // Only managers and admins remove participants.
    let remove = format!("{add}/{}", newcomer.id);
    for who in [&x.depositor, &x.processor, &x.recipient] {
        let r = app.delete_as(&who.token, &remove).await;
        assert_error(r, 403, "forbidden", &who.username).await;
    }
    let r = app.delete_as(&x.manager.token, &remove).await;
    assert_eq!(r.status(), 204);

    // At once: every role gone, every request on the mission 404.
    let r = app.get_as(&newcomer.token, &path).await;
    assert_error(r, 404, "not_found", "the mission after removal").await;
    let r = app.get_as(&newcomer.token, &format!("{path}/files")).await;
    assert_error(r, 404, "not_found", "the file list after removal").await;
    let r = app
        .get_as(&newcomer.token, &format!("/api/v1/files/{file}"))
        .await;
    assert_error(r, 404, "not_found", "a file after removal").await;
    let r = app
        .get_as(&newcomer.token, &format!("/api/v1/files/{file}/content"))
        .await;
    assert_error(r, 404, "not_found", "content after removal").await;
    let r = app
        .upload(
            &newcomer.token,
            &x.mission,
            Upload::deposit("ops2.csv", b"a;b\n1;2\n"),
        )
        .await;
    assert_error(r, 404, "not_found", "upload after removal").await;
    let v = body(app.get_as(&newcomer.token, "/api/v1/missions").await).await;
    assert_eq!(v["missions"], json!([]));
    let m = body(app.get_as(&x.admin.token, &path).await).await;
    assert!(
        m["participants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["user_id"] != newcomer.id.as_str()),
        "{m}"
    );
    // The file stays with the mission.
    assert_eq!(app.download(&x.processor.token, &file).await, b"a;b\n1;2\n");

    let r = app.delete_as(&x.admin.token, &remove).await;
    assert_error(r, 404, "not_found", "removing a non-participant").await;
    // An admin removes a manager: the manager loses access too.
    let r = app
        .delete_as(&x.admin.token, &format!("{add}/{}", x.manager.id))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.get_as(&x.manager.token, &path).await.status(), 404);
}

async fn patch_moves_the_end(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let path = format!("/api/v1/missions/{}", x.mission);
    let ends = |v: &Value| parse_time(&v["ends_at"]);
    let day = |n: i64| parse_time(&json!(in_days(n)));

    // Shortening, by the manager and by the admin.
    let r = app
        .patch_as(&x.manager.token, &path, json!({"ends_at": in_days(25)}))
        .await;
    let status = r.status();
    let m = body(r).await;
    assert_eq!(status, 200, "shortening by the manager: {m}");
    assert_eq!(m["id"], x.mission.as_str());
    assert_eq!(m["name"], "OPS 2027");
    assert_eq!(ends(&m), day(25));
    let r = app
        .patch_as(&x.admin.token, &path, json!({"ends_at": in_days(20)}))
        .await;
    assert_eq!(r.status(), 200, "shortening by the admin");
    assert_eq!(
        ends(&body(app.get_as(&x.depositor.token, &path).await).await),
        day(20)
    );
    let v = body(app.get_as(&x.depositor.token, "/api/v1/missions").await).await;
    assert_eq!(ends(&v["missions"][0]), day(20));

    for who in [&x.depositor, &x.processor, &x.recipient] {
        let r = app
            .patch_as(&who.token, &path, json!({"ends_at": in_days(15)}))
            .await;
        assert_error(r, 403, "forbidden", &who.username).await;
    }
    let outsider = app.user(&x.admin, "curieux", &x.bailleur).await;
    let r = app
        .patch_as(&outsider.token, &path, json!({"ends_at": in_days(15)}))
        .await;
    assert_error(r, 404, "not_found", "a non-participant").await;
    let r = app.patch_as(&x.admin.token, &path, json!({})).await;
    assert_error(r, 400, "invalid_request", "nothing to change").await;
    let r = app
        .patch_as(&x.admin.token, &path, json!({"ends_at": 5}))
        .await;
    assert_error(r, 400, "invalid_request", "ends_at of the wrong type").await;
    let r = app
        .patch_as(
            &x.manager.token,
            &path,
            json!({"ends_at": "2027-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(r, 422, "invalid_request", "an end in the past").await;
    let r = app
        .patch_as(
            &x.admin.token,
            "/api/v1/missions/00000000-0000-0000-0000-000000000000",
            json!({"ends_at": in_days(15)}),
        )
        .await;
    assert_error(r, 404, "not_found", "unknown mission").await;

    // Retention and access window.
    let r = app
        .patch_as(
            &x.admin.token,
            &path,
            json!({"results_retained_until": in_days(120)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let m = body(r).await;
    assert_eq!(parse_time(&m["results_retained_until"]), day(120));
    assert_eq!(ends(&m), day(20), "unchanged");
    let window = json!({"days": [1, 2, 3, 4, 5], "from": "08:00", "to": "19:00"});
    let r = app
        .patch_as(&x.manager.token, &path, json!({"access_window": window}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await["access_window"], window);
    let r = app
        .patch_as(&x.manager.token, &path, json!({"access_window": null}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await["access_window"], Value::Null);
    let m = body(app.get_as(&x.admin.token, &path).await).await;
    assert_eq!(ends(&m), day(20));
    assert_eq!(m["access_window"], Value::Null);

    // Extending: the contract's `PATCH {"ends_at"}` "extends or shortens the mission", with
    // nothing else in the body.
    let r = app
        .patch_as(&x.admin.token, &path, json!({"ends_at": in_days(60)}))
        .await;
    let status = r.status();
    let m = body(r).await;
    assert_eq!(
        status, 200,
        "extension by the admin with {{\"ends_at\"}} alone: {m}"
    );
    assert_eq!(ends(&m), day(60));
    let r = app
        .patch_as(&x.manager.token, &path, json!({"ends_at": in_days(75)}))
        .await;
    let status = r.status();
    let m = body(r).await;
    assert_eq!(
        status, 200,
        "extension by the manager with {{\"ends_at\"}} alone: {m}"
    );
    assert_eq!(
        ends(&body(app.get_as(&x.depositor.token, &path).await).await),
        day(75)
    );
}
