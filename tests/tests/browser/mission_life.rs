//! A mission's end in the browser: the manager closes it from its page after reading what will
//! be destroyed; the ended mission's page and its certificate as the manager and as the
//! recipient; an administrator enables a disabled account again.

use crate::harness::Browser;
use crate::missions::{setup, MISSION};
use passerelle_tests::prelude::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_closes_the_mission_and_it_keeps_its_page_and_certificate() {
    let s = setup().await;
    id_of(
        &s.app
            .upload_deposit(
                &s.x.depositor.token,
                &s.x.mission,
                "ops_habitat_henin.csv",
                fixture("ops_habitat_henin.csv"),
            )
            .await,
    );
    let released = id_of(
        &s.app
            .upload_result(
                &s.x.processor.token,
                &s.x.mission,
                "resultats_definitifs.csv",
                fixture("results_ok.csv"),
            )
            .await,
    );
    s.app.release(&s.x.processor.token, &released).await;
    let r = s
        .app
        .patch_as(
            &s.x.admin.token,
            &format!("/api/v1/missions/{}", s.x.mission),
            json!({"results_retained_until": "2027-09-30T21:59:59Z"}),
        )
        .await;
    assert_eq!(r.status(), 200);

    // The manager reads what closing destroys and keeps, then closes.
    let b = Browser::launch(&s.app, "mission_life").await;
    b.login_as(&s.x.manager).await;
    b.follow(MISSION).await;
    b.expect_h1(MISSION).await;
    b.check_page("mission-manager").await;
    // The dates page: the end date with its reason, the retention as an explicit choice.
    b.press(&format!("a[href='/missions/{}/dates']", s.x.mission))
        .await;
    b.expect_h1("Dates de la mission").await;
    b.fill("ends_at", "28/02/2027").await;
    b.press("#changer-fin button[type=submit]").await;
    b.wait_for("#reason-erreur").await;
    b.check_page("dates-error").await;
    b.fill("reason", "Relances des bailleurs en février").await;
    b.press("#changer-fin button[type=submit]").await;
    b.expect_h1(MISSION).await;
    assert!(b.visible_text().await.contains("28/02/2027"));
    // A participant's roles, one box each.
    b.press(&format!(
        "a[href='/missions/{}/participants/{}/roles']",
        s.x.mission, s.x.recipient.id
    ))
    .await;
    b.expect_h1("Modifier les rôles").await;
    b.check_page("roles").await;
    b.follow("Retour à la mission").await;
    b.expect_h1(MISSION).await;
    b.press(&format!("a[href='/missions/{}/cloture']", s.x.mission))
        .await;
    b.expect_h1("Clôturer la mission").await;
    let page = b.visible_text().await;
    assert!(page.contains("Tous les dépôts : 1 dépôt"), "{page}");
    assert!(page.contains("30/09/2027"), "{page}");
    b.check_page("close-confirm").await;
    b.press("#cloturer button[type=submit]").await;
    b.expect_h1(MISSION).await;
    let page = b.visible_text().await;
    assert!(page.contains("Mission terminée"), "{page}");
    assert!(page.contains("Clôturée le"), "{page}");
    assert!(!page.contains("Clôturer la mission"), "{page}");
    b.check_page("mission-ended-manager").await;
    b.goto("/accueil").await;
    assert!(b.visible_text().await.contains("Missions terminées"));
    b.check_page("home-ended").await;
    b.logout().await;

    // The recipient finds it among the ended missions and downloads the retained result.
    b.login_as(&s.x.recipient).await;
    b.follow(MISSION).await;
    b.expect_h1(MISSION).await;
    let page = b.visible_text().await;
    assert!(page.contains("Mission terminée"), "{page}");
    assert!(page.contains("resultats_definitifs.csv"), "{page}");
    b.check_page("mission-ended-recipient").await;
    b.press(&format!("a[href='/fichiers/{released}/contenu']"))
        .await;
    assert_eq!(
        b.downloaded("resultats_definitifs.csv").await,
        fixture("results_ok.csv")
    );
    b.goto("/accueil").await;
    b.logout().await;

    // After the retention date: destroyed; the certificate says who closed the mission.
    s.app.clock.advance(chrono::Duration::days(365));
    s.app.core.sweep().await.unwrap();
    b.login_as(&s.x.manager).await;
    b.follow(MISSION).await;
    b.expect_h1(MISSION).await;
    assert!(b.visible_text().await.contains("Mission détruite"));
    b.check_page("mission-destroyed-manager").await;
    b.follow("Voir le certificat de destruction").await;
    b.expect_h1("Certificat de destruction").await;
    let page = b.visible_text().await;
    assert!(page.contains("Clôture par"), "{page}");
    assert!(page.contains("resultats_definitifs.csv"), "{page}");
    b.check_page("certificate-manager").await;
    b.follow("Retour à la mission").await;
    b.expect_h1(MISSION).await;
    b.logout().await;

    // The recipient belongs to the controller organisation (the EPCI): it reads the
    // certificate from its home page.
    b.login_as(&s.x.recipient).await;
    b.press(&format!("a[href='/missions/{}/certificat']", s.x.mission))
        .await;
    b.expect_h1("Certificat de destruction").await;
    b.check_page("certificate-recipient").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_enables_an_account_again() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/users/{}/disable", marie.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);

    let b = Browser::launch(&app, "enable").await;
    b.login_as(&admin).await;
    b.goto("/admin/utilisateurs").await;
    b.expect_h1("Comptes").await;
    b.press(&format!(
        "a[href='/admin/utilisateurs/{}/reactiver']",
        marie.id
    ))
    .await;
    b.expect_h1("Réactiver un compte").await;
    b.check_page("enable-confirm").await;
    b.press("#confirmer button[type=submit]").await;
    b.wait_for("p.avis[role=status]").await;
    assert!(b.visible_text().await.contains("est réactivé"));
    b.check_page("users-after-enable").await;
    // Her account and her organisation can be edited too.
    b.press(&format!("a[href='/admin/utilisateurs/{}']", marie.id))
        .await;
    b.expect_h1("Modifier un compte").await;
    b.fill("display_name", "Marie Dupont").await;
    b.press("#modifier-compte button[type=submit]").await;
    b.wait_for("p.avis[role=status]").await;
    assert!(b.visible_text().await.contains("Marie Dupont"));
    b.goto(&format!("/admin/organisations/{org}")).await;
    b.expect_h1("Modifier un organisme").await;
    b.check_page("organisation-edit").await;
    b.goto(&format!("/admin/utilisateurs/{}", marie.id)).await;
    b.check_page("user-edit").await;
    b.logout().await;
    // Marie signs in again with her password and authenticator.
    b.login_as(&marie).await;
    b.expect_path("/accueil").await;
    b.close().await;
}
