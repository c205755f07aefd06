//! The platform administration pages, walked through by an administrator.

use crate::harness::Browser;
use passerelle_tests::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_walks_through_the_administration() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    app.user(&admin, "marie", &org).await;
    let b = Browser::launch(&app, "admin").await;
    b.login_as(&admin).await;
    b.press("a[href='/admin']").await;
    b.expect_h1("Administration").await;
    b.check_page("index").await;

    // An organisation created through the form.
    b.press("a[href='/admin/organisations']").await;
    b.expect_h1("Organismes").await;
    b.fill("name", "Logis Nord").await;
    b.select("kind", "bailleur").await;
    b.press("#creer-organisme button[type=submit]").await;
    b.wait_for("p.avis[role=status]").await;
    assert!(b.visible_text().await.contains("Logis Nord"));
    b.check_page("organisations").await;

    // An account created through the form: its temporary password is shown once.
    b.goto("/admin/utilisateurs/nouveau").await;
    b.expect_h1("Créer un compte").await;
    b.check_page("new-user").await;
    b.fill("username", "paul").await;
    b.fill("display_name", "Paul Martin").await;
    b.fill("email", "paul@logis-nord.fr").await;
    b.select("organisation_id", &org).await;
    b.press("#creer-compte button[type=submit]").await;
    b.expect_h1("Compte créé").await;
    b.check_page("user-created").await;

    b.goto("/admin/utilisateurs").await;
    b.expect_h1("Comptes").await;
    b.check_page("users").await;
    b.press("a[href$='/desactiver']").await;
    b.expect_h1("Désactiver un compte").await;
    b.check_page("disable-confirm").await;

    for (path, h1, name) in [
        ("/admin/missions", "Missions", "missions"),
        (
            "/admin/missions/nouvelle",
            "Créer une mission",
            "new-mission",
        ),
        ("/admin/revue-des-acces", "Revue des accès", "access-review"),
        ("/admin/journal", "Journal d'audit", "journal"),
        (
            "/admin/certificats",
            "Certificats de destruction",
            "certificates",
        ),
    ] {
        b.goto(path).await;
        b.expect_h1(h1).await;
        b.check_page(name).await;
    }
    b.close().await;
}
