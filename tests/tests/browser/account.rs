//! The account page and the forgotten password in a real browser: reached from the header,
//! checked with axe-core, forms refused with their errors tied to their fields.

use crate::harness::Browser;
use passerelle_tests::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_pages() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let b = Browser::launch(&app, "account").await;

    // « Mot de passe oublié » from the login page.
    b.goto("/connexion").await;
    b.follow("Mot de passe oublié ?").await;
    b.expect_path("/mot-de-passe-oublie").await;
    b.expect_h1("Mot de passe oublié").await;
    b.check_page("forgot-password").await;
    b.fill("email", "marie@example.fr").await;
    b.press("form[action='/mot-de-passe-oublie'] button[type=submit]")
        .await;
    b.wait_for("p.avis-succes").await;
    b.check_page("forgot-password-sent").await;

    b.login_as(&marie).await;
    b.follow("Mon compte").await;
    b.expect_path("/compte").await;
    b.expect_h1("Mon compte").await;
    assert!(b.text("table.sessions").await.contains("(cette session)"));
    b.check_page("account").await;

    // A wrong current password: the page again, the error tied to its field.
    b.fill("current_password", "pas le bon").await;
    b.fill("new_password", "quatre hérons pêchent dans la Deûle 2931")
        .await;
    b.fill("confirmation", "quatre hérons pêchent dans la Deûle 2931")
        .await;
    b.press("form[action='/compte/mot-de-passe'] button[type=submit]")
        .await;
    b.wait_for("#current_password-erreur").await;
    assert_eq!(
        b.attr("#current_password", "aria-invalid").await.as_deref(),
        Some("true")
    );
    b.check_page("account-error").await;

    // A new authenticator: the key and its QR code.
    b.fill("totp-code", &b.totp_code(&marie.totp_secret)).await;
    b.press("form[action='/compte/authentificateur'] button[type=submit]")
        .await;
    b.expect_h1("Enregistrer une nouvelle application d'authentification")
        .await;
    b.check_page("account-new-authenticator").await;
    b.close().await;
}
