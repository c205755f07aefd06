//! The mission pages in the browser: a download, what a recipient sees, a destroyed mission and
//! its certificate, the not-found page.

use crate::harness::Browser;
use passerelle_tests::prelude::*;
use serde_json::json;

/// The API tests' exchange (a bailleur depositor, a consultancy processor, an EPCI recipient and
/// manager; the EPCI is the controller organisation) on a fresh gateway.
pub(crate) struct Setup {
    pub(crate) app: TestApp,
    pub(crate) x: Exchange,
}

/// The mission page's download links.
const DOWNLOAD_LINKS: &str = "a[href^='/fichiers/'][href$='/contenu']";

/// The exchange's mission, as the pages name it.
pub(crate) const MISSION: &str = "OPS 2027";

pub(crate) async fn setup() -> Setup {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let x = app.exchange().await;
    Setup { app, x }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processor_downloads_a_deposit() {
    let s = setup().await;
    let id = id_of(
        &s.app
            .upload_deposit(
                &s.x.depositor.token,
                &s.x.mission,
                "ops_habitat_henin.csv",
                fixture("ops_habitat_henin.csv"),
            )
            .await,
    );
    let b = Browser::launch(&s.app, "download").await;
    b.login_as(&s.x.processor).await;
    b.check_page("home-with-mission").await;
    b.follow(MISSION).await;
    b.expect_h1(MISSION).await;
    b.check_page("mission").await;

    b.press(&format!("a[href='/fichiers/{id}/contenu']")).await;
    let bytes = b.downloaded("ops_habitat_henin.csv").await;
    assert!(
        bytes == fixture("ops_habitat_henin.csv"),
        "the downloaded file differs from the uploaded one"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipient_sees_only_released_results() {
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
    id_of(
        &s.app
            .upload_result(
                &s.x.processor.token,
                &s.x.mission,
                "resultats_provisoires.csv",
                fixture("results_ok.csv"),
            )
            .await,
    );
    s.app.release(&s.x.processor.token, &released).await;

    let b = Browser::launch(&s.app, "recipient").await;
    b.login_as(&s.x.recipient).await;
    b.follow(MISSION).await;
    b.expect_h1(MISSION).await;
    // Whatever the markup of the file list: one download link, for the released result only.
    let page = b.visible_text().await;
    assert!(page.contains("resultats_definitifs.csv"), "{page}");
    assert!(!page.contains("ops_habitat_henin"), "{page}");
    assert!(!page.contains("resultats_provisoires"), "{page}");
    assert_eq!(b.texts(DOWNLOAD_LINKS).await.len(), 1, "{page}");
    b.check_page("mission-recipient").await;
    b.close().await;

    // The processor, for comparison, sees all three files.
    let b = Browser::launch(&s.app, "processor").await;
    b.login_as(&s.x.processor).await;
    b.goto(&format!("/missions/{}", s.x.mission)).await;
    b.expect_h1(MISSION).await;
    assert_eq!(b.texts(DOWNLOAD_LINKS).await.len(), 3);
    b.check_page("mission-processor").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroyed_mission_and_its_certificate() {
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
    let r = s
        .app
        .post_as(
            &s.x.admin.token,
            &format!("/api/v1/missions/{}/close", s.x.mission),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());

    // The controller organisation's people (the EPCI's manager) read its certificate; the home
    // page lists the mission among the ended ones, and its API rendering stays at its address.
    let b = Browser::launch(&s.app, "destroyed").await;
    b.login_as(&s.x.manager).await;
    assert!(b.visible_text().await.contains("Missions terminées"));
    b.goto(&format!(
        "/api/v1/missions/{}/certificate.html",
        s.x.mission
    ))
    .await;
    b.expect_h1("Certificat de destruction").await;
    let page = b.visible_text().await;
    assert!(page.contains("ops_habitat_henin.csv"), "{page}");
    assert!(
        page.contains("Communauté d'agglomération Hénin-Carvin"),
        "{page}"
    );
    b.check_page("certificate").await;

    // The mission page stays visible to its managers and platform admins. (The API's rendering
    // of the certificate has no sign-out button: back home first.)
    b.goto("/accueil").await;
    b.logout().await;
    b.login_as(&s.x.admin).await;
    b.goto(&format!("/missions/{}", s.x.mission)).await;
    b.expect_h1(MISSION).await;
    let page = b.visible_text().await;
    assert!(page.contains("Mission détruite"), "{page}");
    assert!(!page.contains("Participants"), "{page}");
    b.check_page("mission-destroyed").await;
    b.follow("Voir le certificat de destruction").await;
    b.expect_h1("Certificat de destruction").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_say_not_found() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let b = Browser::launch(&app, "not_found").await;
    b.login_as(&marie).await;
    b.goto("/missions/inconnue").await;
    b.expect_h1("Page introuvable").await;
    b.check_page("mission-not-found").await;
    b.follow("Retour à l'accueil").await;
    b.expect_path("/accueil").await;

    // A mistyped address outside the API: the same page, not the API's JSON error.
    b.goto("/page-inexistante").await;
    b.expect_h1("Page introuvable").await;
    b.close().await;
}
