//! The audit API and the register of processing operations.

use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    the_audit_follows_roles_and_order,
    the_register_is_a_safe_csv
);

async fn audit_events(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = app.get_as(token, &format!("/api/v1/audit{query}")).await;
    let status = r.status();
    let v = body(r).await;
    assert_eq!(status, 200, "{query}: {v}");
    v["events"].as_array().unwrap().clone()
}

/// Checks the fields and the order of a list of events.
fn check_shape_and_order(events: &[Value]) {
    let mut last_seq = i64::MIN;
    let mut last_at = None;
    for e in events {
        for k in [
            "seq",
            "at",
            "actor",
            "organisation_id",
            "ip",
            "action",
            "mission_id",
            "file_id",
            "outcome",
        ] {
            assert!(e.get(k).is_some(), "field {k} missing: {e}");
        }
        let seq = e["seq"].as_i64().unwrap_or_else(|| panic!("seq: {e}"));
        assert!(seq > last_seq, "oldest first: seq {seq} after {last_seq}");
        last_seq = seq;
        let at = parse_time(&e["at"]);
        if let Some(prev) = last_at {
            assert!(at >= prev, "oldest first: {e}");
        }
        last_at = Some(at);
        assert!(
            matches!(e["outcome"].as_str(), Some("success" | "denied" | "failed")),
            "{e}"
        );
    }
}

/// Finds `wanted` in order (other events may come between); returns the matched events.
fn find_in_order(events: &[Value], wanted: &[(&str, &str, Option<&str>, &str)]) -> Vec<Value> {
    let mut found = Vec::new();
    let mut it = events.iter();
    for (action, actor, file, outcome) in wanted {
        let hit = it.find(|e| {
            e["action"] == *action
                && e["actor"] == *actor
                && e["outcome"] == *outcome
                && file.is_none_or(|f| e["file_id"] == f)
        });
        match hit {
            Some(e) => found.push(e.clone()),
            None => {
                let listing: Vec<String> = events
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {} actor={} file={} {}",
                            e["seq"], e["action"], e["actor"], e["file_id"], e["outcome"]
                        )
                    })
                    .collect();
                panic!(
                    "no {action} by {actor} on {file:?} with outcome {outcome} in order; events:\n{}",
                    listing.join("\n")
                );
            }
        }
    }
    found
}

async fn the_audit_follows_roles_and_order(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let carvin = app.organisation(&x.admin, "Logis Carvin", "bailleur").await;
    let dep_b = app.user(&x.admin, "depot.carvin", &carvin).await;
    let spare = app.user(&x.admin, "renfort", &x.epci).await;
    let outsider = app.user(&x.admin, "curieux", &x.bailleur).await;
    app.add_participant(&x.admin.token, &x.mission, &dep_b.id, "depositor")
        .await;
    let m = x.mission.clone();

    let d = app
        .upload_deposit(
            &x.depositor.token,
            &m,
            "ops.csv",
            &fixture("ops_habitat_henin.csv"),
        )
        .await;
    let d = d["id"].as_str().unwrap().to_owned();
    app.download(&x.processor.token, &d).await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/files/{d}/content")))
        .bearer_auth(&x.processor.token)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    let r = app
        .get_as(&dep_b.token, &format!("/api/v1/files/{d}/content"))
        .await;
    assert_error(r, 404, "not_found", "another bailleur's deposit").await;
    let res = app
        .upload_result(
            &x.processor.token,
            &m,
            "results_ok.csv",
            &fixture("results_ok.csv"),
        )
        .await;
    let res = res["id"].as_str().unwrap().to_owned();
    let r = app
        .post_as(
            &x.processor.token,
            &format!("/api/v1/files/{res}/release"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let gone = app
        .upload_result(&x.processor.token, &m, "brouillon.csv", b"a;b\n1;2\n")
        .await;
    let gone = gone["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.delete_as(&x.processor.token, &format!("/api/v1/files/{gone}"))
            .await
            .status(),
        204
    );
    let mp = format!("/api/v1/missions/{m}");
    assert_eq!(
        app.patch_as(&x.manager.token, &mp, json!({"ends_at": in_days(29)}))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post_as(&x.manager.token, &format!("{mp}/suspend"), json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(
        app.post_as(&x.manager.token, &format!("{mp}/resume"), json!({}))
            .await
            .status(),
        204
    );
    app.add_participant(&x.admin.token, &m, &spare.id, "recipient")
        .await;
    assert_eq!(
        app.delete_as(&x.admin.token, &format!("{mp}/participants/{}", spare.id))
            .await
            .status(),
        204
    );

    // Refusals by role, on a visible mission.
    let r = app
        .upload(
            &x.recipient.token,
            &m,
            Upload::deposit("refus.csv", b"a;b\n1;2\n"),
        )
        .await;
    assert_error(r, 403, "forbidden", "a recipient uploading").await;
    let r = app
        .delete_as(&x.processor.token, &format!("/api/v1/files/{d}"))
        .await;
    assert_error(r, 403, "forbidden", "a processor deleting a deposit").await;

    // Another mission, with its own events.
    let m2 = app.create_mission(&x.admin, "Autre étude", &x.epci).await;
    app.add_participant(&x.admin.token, &m2, &x.processor.id, "processor")
        .await;
    let other = app
        .upload_result(&x.processor.token, &m2, "autre.csv", b"a;b\n1;2\n")
        .await;
    let other = other["id"].as_str().unwrap().to_owned();

    // The admin: the mission's events, oldest first, with the right actors, files and outcomes.
    let events = audit_events(&app, &x.admin.token, &format!("?mission_id={m}")).await;
    check_shape_and_order(&events);
    for e in &events {
        assert_eq!(
            e["mission_id"],
            m.as_str(),
            "only this mission's events: {e}"
        );
        assert_ne!(e["file_id"], other.as_str(), "{e}");
    }
    let admin = x.admin.id.as_str();
    let depositor = x.depositor.id.as_str();
    let processor = x.processor.id.as_str();
    let manager = x.manager.id.as_str();
    let found = find_in_order(
        &events,
        &[
            ("mission.create", admin, None, "success"),
            ("mission.participant_add", admin, None, "success"),
            ("file.upload", depositor, Some(&d), "success"),
            ("file.download", processor, Some(&d), "success"),
            ("file.download", processor, Some(&d), "success"),
            ("file.download", dep_b.id.as_str(), Some(&d), "denied"),
            ("file.upload", processor, Some(&res), "success"),
            ("file.release", processor, Some(&res), "success"),
            ("file.upload", processor, Some(&gone), "success"),
            ("file.delete", processor, Some(&gone), "success"),
            ("mission.update", manager, None, "success"),
            ("mission.suspend", manager, None, "success"),
            ("mission.resume", manager, None, "success"),
            ("mission.participant_add", admin, None, "success"),
            ("mission.participant_remove", admin, None, "success"),
        ],
    );
    assert_eq!(found[0]["file_id"], Value::Null);
    assert_eq!(
        found[2]["organisation_id"],
        x.bailleur.as_str(),
        "{}",
        found[2]
    );
    assert_eq!(
        found[3]["organisation_id"],
        x.consultancy.as_str(),
        "{}",
        found[3]
    );
    assert_eq!(found[5]["organisation_id"], carvin.as_str(), "{}", found[5]);
    for e in &found {
        assert!(
            e["ip"].as_str().is_some_and(|ip| ip.contains("127.0.0.1")),
            "the client's address: {e}"
        );
    }
    // The upload event is at the upload's time (Paris 09:0x on the test's first day).
    let at = parse_time(&found[2]["at"]);
    assert!(
        at >= start_time() && at < start_time() + chrono::Duration::hours(1),
        "{at}"
    );

    // The manager sees the same events.
    let as_manager = audit_events(&app, &x.manager.token, &format!("?mission_id={m}")).await;
    check_shape_and_order(&as_manager);
    let seqs = |v: &[Value]| -> Vec<i64> { v.iter().map(|e| e["seq"].as_i64().unwrap()).collect() };
    let manager_seqs = seqs(&as_manager);
    for s in seqs(&events) {
        assert!(
            manager_seqs.contains(&s),
            "event {s} missing for the manager"
        );
    }
    assert!(as_manager.iter().all(|e| e["mission_id"] == m.as_str()));

    // Other participants: 403; non-participants: 404.
    for who in [&x.depositor, &x.processor, &x.recipient, &dep_b] {
        let r = app
            .get_as(&who.token, &format!("/api/v1/audit?mission_id={m}"))
            .await;
        assert_error(r, 403, "forbidden", &who.username).await;
    }
    for (who, mission) in [(&outsider, &m), (&spare, &m), (&x.manager, &m2)] {
        let r = app
            .get_as(&who.token, &format!("/api/v1/audit?mission_id={mission}"))
            .await;
        assert_error(r, 404, "not_found", &who.username).await;
    }
    let r = app
        .get_as(
            &x.processor.token,
            &format!("/api/v1/audit?mission_id={m2}"),
        )
        .await;
    assert_error(r, 403, "forbidden", "a processor of the other mission").await;
    // Without a mission: admins only.
    for who in [&x.manager, &x.depositor, &outsider] {
        let r = app.get_as(&who.token, "/api/v1/audit").await;
        assert_error(
            r,
            403,
            "forbidden",
            &format!("{} without mission_id", who.username),
        )
        .await;
    }
    let all = audit_events(&app, &x.admin.token, "").await;
    check_shape_and_order(&all);
    assert!(all
        .iter()
        .any(|e| e["mission_id"] == m2.as_str() && e["file_id"] == other.as_str()));
    assert!(all.iter().any(|e| e["mission_id"] == m.as_str()));
    assert!(all.iter().any(|e| e["action"] == "user.create"));
    let m2_events = audit_events(&app, &x.admin.token, &format!("?mission_id={m2}")).await;
    find_in_order(
        &m2_events,
        &[
            ("mission.create", admin, None, "success"),
            ("file.upload", processor, Some(&other), "success"),
        ],
    );
    // "Refusals are recorded with outcome denied": the refused upload and delete are there too.
    let events = audit_events(&app, &x.admin.token, &format!("?mission_id={m}")).await;
    let found = find_in_order(
        &events,
        &[
            ("mission.participant_remove", admin, None, "success"),
            ("file.upload", x.recipient.id.as_str(), None, "denied"),
            ("file.delete", processor, Some(&d), "denied"),
        ],
    );
    assert_eq!(found[1]["file_id"], Value::Null, "{}", found[1]);
}

async fn the_register_is_a_safe_csv(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let nord = app
        .organisation(&x.admin, "Habitat; Nord", "bailleur")
        .await;
    let formula = "=HYPERLINK(\"http://evil.example\";\"clic\")";
    let evil = app.user_named(&x.admin, "depot.nord", formula, &nord).await;
    let semicolon = "Dupont; Jean \"JJ\"";
    let jean = app
        .user_named(&x.admin, "jean.dupont", semicolon, &x.consultancy)
        .await;
    let plus = app
        .user_named(&x.admin, "plus", "+33 6 12 34 56 78", &x.bailleur)
        .await;
    let minus = app.user_named(&x.admin, "moins", "-2+3", &x.bailleur).await;
    let at = app
        .user_named(&x.admin, "arobase", "@SOMME(A1:A9)", &x.bailleur)
        .await;
    let m = x.mission.clone();
    app.add_participant(&x.admin.token, &m, &evil.id, "depositor")
        .await;
    app.add_participant(&x.admin.token, &m, &jean.id, "processor")
        .await;
    for who in [&plus, &minus, &at] {
        app.add_participant(&x.admin.token, &m, &who.id, "depositor")
            .await;
    }

    let d = app
        .upload_deposit(&evil.token, &m, "=1+1.csv", b"a;b\n1;2\n")
        .await;
    let d = d["id"].as_str().unwrap().to_owned();
    for who in [&plus, &minus, &at] {
        app.upload_deposit(&who.token, &m, "-export;v2.csv", b"a;b\n1;2\n")
            .await;
    }
    app.download(&jean.token, &d).await;
    let r = app
        .get_as(&x.depositor.token, &format!("/api/v1/files/{d}/content"))
        .await;
    assert_eq!(r.status(), 404);

    let path = format!("/api/v1/missions/{m}/register.csv");
    let before = audit_events(&app, &x.admin.token, &format!("?mission_id={m}")).await;
    let r = app.get_as(&x.manager.token, &path).await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_lowercase()
        .replace(' ', "");
    assert_eq!(ct, "text/csv;charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "no-store", "personal data");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let raw = r.bytes().await.unwrap().to_vec();
    let after = audit_events(&app, &x.admin.token, &format!("?mission_id={m}")).await;
    assert!(raw.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let text = String::from_utf8(raw[3..].to_vec()).unwrap();
    let first_line = text.lines().next().unwrap();
    assert_eq!(
        first_line,
        "date;personne;organisme;donnees;operation;resultat"
    );

    let records = parse_csv(&text);
    let rows = &records[1..];
    assert!(
        before.len() <= rows.len() && rows.len() <= after.len(),
        "one line per event: {} lines, {} then {} events\n{text}",
        rows.len(),
        before.len(),
        after.len()
    );
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 6, "line {}: {row:?}\n{text}", i + 2);
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "line {}: cell {cell:?} could run as a formula",
                i + 2
            );
        }
    }
    // The `personne` column names the person (the register may add more, such as the login);
    // a display name that looks like a formula is neutralised, one with `;` or `"` kept whole.
    let people: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    for person in [
        format!("'{formula}"),
        semicolon.to_owned(),
        "'+33 6 12 34 56 78".to_owned(),
        "'-2+3".to_owned(),
        "'@SOMME(A1:A9)".to_owned(),
    ] {
        assert!(
            people.iter().any(|p| p.starts_with(person.as_str())),
            "no personne cell starting with {person:?}: {text}"
        );
    }
    assert!(rows.iter().any(|r| r[2] == "Habitat; Nord"), "{text}");

    // Dates in Paris time: the mission was created at 08:0x UTC, 09:0x in Paris.
    let date = &rows[0][0];
    assert!(
        (date.contains("2027-01-15") || date.contains("15/01/2027")) && date.contains("09:0"),
        "first line's date in Paris time: {date:?}"
    );
    // Lines follow the events; a refusal reads differently from a success.
    if rows.len() == before.len() {
        let mut success = std::collections::BTreeSet::new();
        let mut denied = std::collections::BTreeSet::new();
        for (row, e) in rows.iter().zip(&before) {
            assert!(!row[4].is_empty(), "operation: {row:?}");
            match e["outcome"].as_str() {
                Some("success") => success.insert(row[5].clone()),
                Some("denied") => denied.insert(row[5].clone()),
                _ => false,
            };
        }
        assert!(
            !denied.is_empty(),
            "the refused download is in the register"
        );
        assert!(success.is_disjoint(&denied), "{success:?} / {denied:?}");
    }

    // Who may read it.
    assert_eq!(app.get_as(&x.admin.token, &path).await.status(), 200);
    for who in [&x.depositor, &x.processor, &x.recipient, &evil] {
        let r = app.get_as(&who.token, &path).await;
        assert_error(r, 403, "forbidden", &who.username).await;
    }
    let outsider = app.user(&x.admin, "curieux", &x.bailleur).await;
    let r = app.get_as(&outsider.token, &path).await;
    assert_error(r, 404, "not_found", "a non-participant").await;
}
