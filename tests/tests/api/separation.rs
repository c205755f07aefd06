//! Separation of duties (issue 12): nobody grants itself a role, the EPCI never holds a role
//! that reads raw data, processor grants are notified and shown, and the certificate and the
//! retention dates stay within bounds.

use passerelle_tests::pages::{get, web_sign_in};
use passerelle_tests::prelude::*;
use serde_json::json;

passerelle_tests::on_every_backend!(
    nobody_grants_itself_a_role_and_the_epci_never_reads_raw_data,
    processor_grants_are_mailed_and_shown_with_who_and_when,
    the_certificate_is_for_admins_managers_and_controller_participants,
    retention_and_extensions_are_bounded,
);

async fn nobody_grants_itself_a_role_and_the_epci_never_reads_raw_data(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let bailleur = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let epci = app.organisation(&admin, "CA Hénin-Carvin", "epci").await;
    let depositor = app.user(&admin, "depositaire", &bailleur).await;
    let epci_manager = app.user(&admin, "chef.epci", &epci).await;
    let epci_colleague = app.user(&admin, "agent.epci", &epci).await;
    let mission = app.create_mission(&admin, "Étude OPS", &bailleur).await;
    app.add_participant(&admin.token, &mission, &depositor.id, "depositor")
        .await;
    app.add_participant(&admin.token, &mission, &epci_manager.id, "manager")
        .await;
    app.upload_deposit(
        &depositor.token,
        &mission,
        "menages.csv",
        b"id;loyer\n1;420\n",
    )
    .await;

    // The attack of the issue: the EPCI's manager makes itself a processor (was 201, then 200
    // on the raw deposits).
    let (status, v) = app
        .grant_role(&epci_manager.token, &mission, &epci_manager.id, "processor")
        .await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["error"], "forbidden");
    let message = v["message"].as_str().unwrap().to_lowercase();
    assert!(
        message.contains("vous ne pouvez pas vous attribuer un rôle"),
        "{message}"
    );
    // Or a colleague: the rule on the organisation kind is named.
    for role in ["processor", "depositor"] {
        let (status, v) = app
            .grant_role(&epci_manager.token, &mission, &epci_colleague.id, role)
            .await;
        assert_eq!(status, 403, "{v}");
        assert_eq!(v["error"], "forbidden");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("roles.raw_data_excluded_kinds"),
            "{v}"
        );
    }
    // Platform admins too: neither themselves nor an EPCI member.
    let (status, v) = app
        .grant_role(&admin.token, &mission, &admin.id, "processor")
        .await;
    assert_eq!(status, 403, "{v}");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("vous ne pouvez pas vous attribuer un rôle"));
    let (status, _) = app
        .grant_role(&admin.token, &mission, &epci_colleague.id, "processor")
        .await;
    assert_eq!(status, 403);
    // Nor changes its own roles (removal included).
    let r = app
        .delete_as(
            &epci_manager.token,
            &format!(
                "/api/v1/missions/{mission}/participants/{}",
                epci_manager.id
            ),
        )
        .await;
    assert_eq!(r.status(), 403);
    // What the conventions allow still passes.
    let (status, _) = app
        .grant_role(
            &epci_manager.token,
            &mission,
            &epci_colleague.id,
            "recipient",
        )
        .await;
    assert_eq!(status, 201);
    // The raw deposits stay out of the EPCI's reach.
    assert!(app
        .list_files(&epci_manager.token, &mission)
        .await
        .is_empty());
    let r = app
        .get_as(&epci_manager.token, &format!("/api/v1/missions/{mission}"))
        .await;
    let v = body(r).await;
    let mine: Vec<&serde_json::Value> = v["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["user_id"] == epci_manager.id.as_str())
        .collect();
    assert_eq!(mine[0]["roles"], json!(["manager"]));
    // Refusals are in the audit trail with the rule.
    let r = app
        .get_as(&admin.token, &format!("/api/v1/audit?mission_id={mission}"))
        .await;
    let events = body(r).await;
    let denied = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "mission.participant_add" && e["outcome"] == "denied")
        .count();
    assert_eq!(denied, 5);

    // The excluded kinds are a setting: without it, the EPCI colleague may be a processor.
    drop(app);
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.roles.raw_data_excluded_kinds = Vec::new()
    })
    .await;
    let admin = app.admin("operateur").await;
    let bailleur = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let epci = app.organisation(&admin, "CA Hénin-Carvin", "epci").await;
    let (colleague, _) = app.create_user(&admin, "agent.epci", &epci).await;
    let mission = app.create_mission(&admin, "Étude OPS", &bailleur).await;
    let (status, _) = app
        .grant_role(&admin.token, &mission, &colleague, "processor")
        .await;
    assert_eq!(status, 201);
}

/// The processor-grant notices of the outbox (the person given a role is told too, by a
/// notice of another kind).
async fn outbox(app: &TestApp) -> Vec<String> {
    app.core.notifications_settled().await;
    let dir = app.data.path().join("outbox");
    let mut mails: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    mails.retain(|m| m.contains("X-Passerelle-Notification: processor_granted"));
    mails.sort();
    mails
}

async fn processor_grants_are_mailed_and_shown_with_who_and_when(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let bailleur = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let cabinet = app
        .organisation(&admin, "Cabinet Études", "consultancy")
        .await;
    let controller_manager = app.user(&admin, "responsable", &bailleur).await;
    let other_manager = app.user(&admin, "coordinateur", &cabinet).await;
    let analyst = app.user(&admin, "analyste", &cabinet).await;
    let mission = app.create_mission(&admin, "Étude OPS", &bailleur).await;
    app.add_participant(&admin.token, &mission, &controller_manager.id, "manager")
        .await;
    app.add_participant(&admin.token, &mission, &other_manager.id, "manager")
        .await;
    let before = outbox(&app).await.len();
    // A recipient grant is not a processor grant: no mail.
    app.add_participant(&other_manager.token, &mission, &analyst.id, "recipient")
        .await;
    assert_eq!(outbox(&app).await.len(), before);
    app.add_participant(&other_manager.token, &mission, &analyst.id, "processor")
        .await;
    let mails = outbox(&app).await;
    assert_eq!(
        mails.len(),
        before + 1,
        "one mail, to the controller organisation's manager"
    );
    let mail = mails
        .iter()
        .find(|m| m.contains("analyste Test"))
        .expect("the processor grant is mailed");
    assert!(mail.contains("responsable@example.fr"), "{mail}");
    assert!(!mail.contains("coordinateur@example.fr"), "{mail}");
    assert!(
        mail.contains("coordinateur Test"),
        "the mail names who granted: {mail}"
    );

    // The mission page's participants list shows who granted the processor role, and when.
    web_sign_in(&app, &controller_manager).await;
    let p = get(&app, &format!("/missions/{mission}")).await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("chargé d&#39;études accordé par coordinateur Test le ");
}

async fn the_certificate_is_for_admins_managers_and_controller_participants(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let bailleur = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let cabinet = app
        .organisation(&admin, "Cabinet Études", "consultancy")
        .await;
    let depositor = app.user(&admin, "depositaire", &bailleur).await;
    let bystander = app.user(&admin, "collegue", &bailleur).await;
    let outside_manager = app.user(&admin, "coordinateur", &cabinet).await;
    let analyst = app.user(&admin, "analyste", &cabinet).await;
    let mission = app.create_mission(&admin, "Étude OPS", &bailleur).await;
    app.add_participant(&admin.token, &mission, &depositor.id, "depositor")
        .await;
    app.add_participant(&admin.token, &mission, &outside_manager.id, "manager")
        .await;
    app.add_participant(&admin.token, &mission, &analyst.id, "processor")
        .await;
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/missions/{mission}/close"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    for suffix in ["certificate", "certificate.html"] {
        let path = format!("/api/v1/missions/{mission}/{suffix}");
        for (who, token, expected) in [
            ("admin", &admin.token, 200),
            (
                "a manager from another organisation",
                &outside_manager.token,
                200,
            ),
            (
                "a participant of the controller organisation",
                &depositor.token,
                200,
            ),
            // The attack of the issue: a member of the controller organisation who takes no
            // part in the mission (was 200).
            (
                "a non-participant of the controller organisation",
                &bystander.token,
                404,
            ),
            ("a processor from another organisation", &analyst.token, 404),
        ] {
            let r = app.get_as(token, &path).await;
            assert_eq!(r.status(), expected, "{who} on {suffix}");
        }
    }
}

async fn retention_and_extensions_are_bounded(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let bailleur = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let mission = app.create_mission(&admin, "Étude OPS", &bailleur).await;
    let path = format!("/api/v1/missions/{mission}");
    // The attack of the issue: year 9999 (was 200).
    let r = app
        .patch_as(
            &admin.token,
            &path,
            json!({"results_retained_until": "9999-12-31T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "invalid_request");
    let r = app
        .patch_as(
            &admin.token,
            &path,
            json!({"results_retained_until": in_days(3651)}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = app
        .patch_as(
            &admin.token,
            &path,
            json!({"results_retained_until": in_days(3649)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // At creation too.
    let r = app
        .post_as(
            &admin.token,
            "/api/v1/missions",
            json!({"name": "Autre", "purpose": "Étude", "controller_organisation_id": bailleur,
                   "ends_at": in_days(30), "results_retained_until": "9999-12-31T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    // Extensions stay within max_extension_days (365) of the initial end (30 days from now).
    let r = app
        .patch_as(
            &admin.token,
            &path,
            json!({"ends_at": "9999-12-31T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "invalid_request");
    let r = app
        .patch_as(&admin.token, &path, json!({"ends_at": in_days(30 + 366)}))
        .await;
    assert_eq!(r.status(), 400);
    let r = app
        .patch_as(&admin.token, &path, json!({"ends_at": in_days(30 + 364)}))
        .await;
    assert_eq!(r.status(), 200);
}
