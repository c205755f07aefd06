//! Content checks: identifier quarantine of deposits, disclosure control of results (issue 7).

use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    count_patterns_are_configurable,
    deposits_with_identifiers_are_quarantined_until_confirmed,
    plain_ops_files_go_straight_through,
    results_are_checked_before_release_and_overrides_are_recorded,
);

struct Exchange {
    app: TestApp,
    admin: Account,
    depositor: Account,
    colleague: Account,
    other_bailleur: Account,
    processor: Account,
    recipient: Account,
    controller_manager: Account,
    mission: String,
}

async fn exchange(b: Backend) -> Exchange {
    exchange_with(b, |_| {}).await
}

async fn exchange_with(b: Backend, tweak: impl FnOnce(&mut gateway::Config)) -> Exchange {
    let app = TestApp::spawn_with(b, tweak).await;
    let admin = app.admin("operateur").await;
    let henin = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let carvin = app.organisation(&admin, "Logis Carvin", "bailleur").await;
    let cabinet = app
        .organisation(&admin, "Cabinet Études", "consultancy")
        .await;
    let epci = app.organisation(&admin, "CA Hénin-Carvin", "epci").await;
    let depositor = app.user(&admin, "depositaire", &henin).await;
    let colleague = app.user(&admin, "collegue", &henin).await;
    let other_bailleur = app.user(&admin, "carvin", &carvin).await;
    let processor = app.user(&admin, "analyste", &cabinet).await;
    let recipient = app.user(&admin, "agent.epci", &epci).await;
    let controller_manager = app.user(&admin, "responsable", &henin).await;
    let ends = gateway::clock::Clock::now(&app.clock) + chrono::Duration::days(60);
    let r = app
        .post_as(&admin.token, "/api/v1/missions", json!({"name": "Étude OPS", "purpose": "Diagnostic", "controller_organisation_id": henin, "ends_at": gateway::clock::rfc3339(ends)}))
        .await;
    let mission = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (who, role) in [
        (&depositor, "depositor"),
        (&colleague, "depositor"),
        (&other_bailleur, "depositor"),
        (&processor, "processor"),
        (&recipient, "recipient"),
        (&controller_manager, "manager"),
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
    Exchange {
        app,
        admin,
        depositor,
        colleague,
        other_bailleur,
        processor,
        recipient,
        controller_manager,
        mission,
    }
}

async fn file_ids(x: &Exchange, token: &str) -> Vec<String> {
    let r = x
        .app
        .get_as(token, &format!("/api/v1/missions/{}/files", x.mission))
        .await;
    let v: Value = r.json().await.unwrap();
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn deposits_with_identifiers_are_quarantined_until_confirmed(b: Backend) {
    let x = exchange(b).await;
    let app = &x.app;
    let f = x
        .app
        .upload_deposit(
            &x.depositor.token,
            &x.mission,
            "ops_with_identifiers.csv",
            fixture("ops_with_identifiers.csv"),
        )
        .await;
    let id = f["id"].as_str().unwrap().to_owned();
    assert_eq!(f["checks"]["status"], "quarantined", "{f}");
    let findings = f["checks"]["findings"].as_array().unwrap();
    let kinds: Vec<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    for kind in ["name_column", "first_name_column", "nir"] {
        assert!(kinds.contains(&kind), "{kind} missing from {findings:?}");
    }
    let nir = findings.iter().find(|f| f["kind"] == "nir").unwrap();
    assert!(
        !nir["message"]["fr"].as_str().unwrap().is_empty()
            && !nir["message"]["en"].as_str().unwrap().is_empty()
    );
    assert_eq!(nir["column"], "nir");
    assert_eq!(nir["count"], 50, "one NIR per dwelling row");
    let example = nir["example"].as_str().unwrap();
    assert!(
        example.contains('*') && !example.contains("255016219061202"),
        "masked: {example}"
    );

    // Held: only the uploader's organisation sees it.
    for token in [
        &x.processor.token,
        &x.other_bailleur.token,
        &x.admin.token,
        &x.recipient.token,
    ] {
        assert!(!file_ids(&x, token).await.contains(&id));
        assert_eq!(
            app.get_as(token, &format!("/api/v1/files/{id}"))
                .await
                .status(),
            404
        );
    }
    assert!(file_ids(&x, &x.colleague.token).await.contains(&id));
    assert_eq!(
        app.get_as(&x.processor.token, &format!("/api/v1/files/{id}/content"))
            .await
            .status(),
        404
    );

    // Confirmation: by a depositor of that organisation, with a justification.
    let path = format!("/api/v1/files/{id}/confirm");
    assert_eq!(
        app.post_as(&x.processor.token, &path, json!({"justification": "x"}))
            .await
            .status(),
        404
    );
    let r = app
        .post_as(&x.colleague.token, &path, json!({"justification": "   "}))
        .await;
    assert_eq!(r.status(), 422);
    let r = app.post_as(&x.colleague.token, &path, json!({})).await;
    assert_eq!(r.status(), 400);
    let r = app
        .post_as(&x.colleague.token, &path, json!({"justification": "Noms requis par la convention pour l'appariement, validé par le DPO"}))
        .await;
    assert_eq!(r.status(), 200);
    let confirmed: Value = r.json().await.unwrap();
    assert_eq!(confirmed["checks"]["status"], "confirmed");
    assert_eq!(
        confirmed["checks"]["confirmation"]["by"],
        x.colleague.id.as_str()
    );
    assert_eq!(
        app.post_as(
            &x.colleague.token,
            &path,
            json!({"justification": "encore"})
        )
        .await
        .status(),
        409
    );
    // Now the processor receives it, byte for byte.
    let r = app
        .get_as(&x.processor.token, &format!("/api/v1/files/{id}/content"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        fixture("ops_with_identifiers.csv").as_slice()
    );

    let events = gateway::db::audit::list(&app.core.db, Some(&x.mission), 0, 10_000)
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.action == "file.quarantine"
        && e.outcome == "denied"
        && e.file_id.as_deref() == Some(&id)));
    assert!(
        events
            .iter()
            .any(|e| e.action == "file.confirm" && e.outcome == "denied"),
        "the refused attempt is recorded"
    );
    let confirm = events
        .iter()
        .find(|e| e.action == "file.confirm" && e.outcome == "success")
        .unwrap();
    assert!(confirm.detail.as_deref().unwrap().contains("appariement"));
    // The masked example only: no NIR lands in the trail.
    for e in &events {
        assert!(!e
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("255016219061202"));
    }
}

async fn plain_ops_files_go_straight_through(b: Backend) {
    let x = exchange(b).await;
    for name in [
        "ops_habitat_henin.csv",
        "ops_habitat_henin.xlsx",
        "ops_habitat_henin.ods",
        "ops_logis_carvin_cp1252.csv",
    ] {
        let f = x
            .app
            .upload_deposit(&x.depositor.token, &x.mission, name, fixture(name))
            .await;
        assert_eq!(f["checks"]["status"], "clean", "{name}: {f}");
        assert_eq!(f["checks"]["findings"], json!([]));
        assert!(
            file_ids(&x, &x.processor.token)
                .await
                .contains(&f["id"].as_str().unwrap().to_owned()),
            "{name}"
        );
    }
}

async fn results_are_checked_before_release_and_overrides_are_recorded(b: Backend) {
    let x = exchange(b).await;
    let app = &x.app;
    let ok = x
        .app
        .upload_result(
            &x.processor.token,
            &x.mission,
            "results_ok.csv",
            fixture("results_ok.csv"),
        )
        .await;
    let r = app
        .post_as(
            &x.processor.token,
            &format!("/api/v1/files/{}/release", ok["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let released: Value = r.json().await.unwrap();
    assert_eq!(released["released"], true);
    assert_eq!(released["checks"]["status"], "passed");

    let small = x
        .app
        .upload_result(
            &x.processor.token,
            &x.mission,
            "results_small_cells.csv",
            fixture("results_small_cells.csv"),
        )
        .await;
    let id = small["id"].as_str().unwrap().to_owned();
    let release = format!("/api/v1/files/{id}/release");
    // A release without a body at all is fine for the contract's processor call.
    let r = app
        .client
        .post(app.url(&release))
        .bearer_auth(&x.processor.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "disclosure_check_failed");
    let violations = v["violations"].as_array().unwrap();
    let has = |row: u64, column: &str, value: &str, rule: &str| {
        violations.iter().any(|w| {
            w["row"] == row
                && w["column"] == column
                && w["value"] == value
                && w["rule"] == rule
                && w["sheet"].is_null()
        })
    };
    // Row 2 of the file: Carvin;Centre;3;1;50.0;0;0.0;0.0
    assert!(has(2, "nb_logements", "3", "min_count"), "{violations:?}");
    assert!(
        has(2, "nb_menages_repondants", "1", "min_count"),
        "{violations:?}"
    );
    assert!(
        has(2, "taux_reponse", "50.0", "low_response_rate"),
        "{violations:?}"
    );
    assert!(
        has(2, "part_familles_monoparentales", "0.0", "extreme_share"),
        "{violations:?}"
    );
    assert!(
        has(3, "part_beneficiaires_apl", "100.0", "extreme_share"),
        "{violations:?}"
    );
    assert!(
        !violations
            .iter()
            .any(|w| w["row"] == 2 && w["column"] == "nb_familles_monoparentales"),
        "a count of 0 is not a small cell"
    );
    // In English on request.
    let r = app
        .client
        .post(app.url(&release))
        .bearer_auth(&x.processor.token)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert!(r.json::<Value>().await.unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("disclosure check failed"));
    // Not released, not visible to the recipient; the processor sees why.
    assert!(!file_ids(&x, &x.recipient.token).await.contains(&id));
    let f: Value = app
        .get_as(&x.processor.token, &format!("/api/v1/files/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f["checks"]["status"], "failed");
    assert_eq!(f["released"], false);

    // Only the controller organisation's manager may override, with a justification.
    let justification = json!({"override_justification": "Diffusion restreinte au comité de pilotage, validée par le DPO"});
    assert_eq!(
        app.post_as(&x.processor.token, &release, justification.clone())
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_as(&x.recipient.token, &release, justification.clone())
            .await
            .status(),
        404
    );
    let r = app
        .post_as(
            &x.controller_manager.token,
            &release,
            json!({"override_justification": ""}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post_as(&x.controller_manager.token, &release, justification)
        .await;
    assert_eq!(r.status(), 200);
    let f: Value = r.json().await.unwrap();
    assert_eq!(f["released"], true);
    assert_eq!(f["checks"]["status"], "overridden");
    assert_eq!(
        f["checks"]["override"]["by"],
        x.controller_manager.id.as_str()
    );
    assert!(
        f["checks"]["violations"].as_array().unwrap().len() >= 5,
        "the violations stay visible on the file"
    );
    assert!(file_ids(&x, &x.recipient.token).await.contains(&id));
    let events = gateway::db::audit::list(&app.core.db, Some(&x.mission), 0, 10_000)
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.action == "file.release"
        && e.outcome == "denied"
        && e.file_id.as_deref() == Some(&id)));
    assert!(events.iter().any(|e| e.action == "file.release"
        && e.outcome == "success"
        && e.detail
            .as_deref()
            .unwrap_or_default()
            .contains("comité de pilotage")));

    // A corrupt workbook is refused as unreadable (never released unchecked), not a crash.
    let mut corrupt = b"PK\x03\x04".to_vec();
    corrupt.extend((0..4000u32).map(|i| (i * 7919 % 251) as u8));
    let bad = x
        .app
        .upload_result(&x.processor.token, &x.mission, "tableaux.xlsx", corrupt)
        .await;
    let r = app
        .post_as(
            &x.processor.token,
            &format!("/api/v1/files/{}/release", bad["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "disclosure_check_failed");
    assert_eq!(v["violations"][0]["rule"], "unreadable");
    assert_eq!(v["violations"][0]["row"], Value::Null);
    assert!(!v["violations"][0]["message"]["fr"]
        .as_str()
        .unwrap()
        .is_empty());
}

async fn count_patterns_are_configurable(b: Backend) {
    // "menages" is no count under the default patterns; a deployment may declare it one.
    let table = b"commune;menages\nCarvin;3\n".to_vec();
    let x = exchange(b.clone()).await;
    let f = x
        .app
        .upload_result(&x.processor.token, &x.mission, "t.csv", table.clone())
        .await;
    let r = x
        .app
        .post_as(
            &x.processor.token,
            &format!("/api/v1/files/{}/release", f["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let x = exchange_with(b, |c| {
        c.checks.count_patterns = Some(vec!["menages*".to_owned()])
    })
    .await;
    let f = x
        .app
        .upload_result(&x.processor.token, &x.mission, "t.csv", table)
        .await;
    let r = x
        .app
        .post_as(
            &x.processor.token,
            &format!("/api/v1/files/{}/release", f["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["violations"][0]["column"], "menages");
    assert_eq!(v["violations"][0]["rule"], "min_count");
}
