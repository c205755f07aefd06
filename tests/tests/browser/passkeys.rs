//! Passkeys in a real browser, with chromium's virtual authenticator (WebDriver's WebAuthn
//! extension): one registered from the account page, the next sign-in made with it instead of
//! the code, then removed — the code step stays.

use crate::harness::Browser;
use passerelle_tests::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_is_added_used_and_removed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let b = Browser::launch(&app, "passkeys").await;
    b.add_virtual_authenticator().await;

    // Without passkeys the code step offers none.
    b.login_as(&marie).await;
    b.goto("/compte").await;
    assert!(b.text("#cles-d-acces").await.contains("aucune clé d'accès"));

    // Add one: a name and the current password, then the browser creates it.
    b.fill("cle-nom", "Clé USB bleue").await;
    b.fill("cle-mot-de-passe", &marie.password).await;
    b.press("form[action='/compte/cles'] button[type=submit]")
        .await;
    b.expect_h1("Enregistrer la clé d'accès").await;
    b.check_page("passkey-register").await;
    b.press("button[data-cle-acces=creer]").await;
    b.expect_path("/compte").await;
    b.wait_for("p.avis-succes").await;
    assert!(b.text("table.cles-acces").await.contains("Clé USB bleue"));
    assert!(b.text("table.cles-acces").await.contains("Jamais"));
    b.check_page("account-passkeys").await;

    // Sign out, then in with the password and the passkey.
    b.logout().await;
    b.goto("/connexion").await;
    b.fill("username", &marie.username).await;
    b.fill("password", &marie.password).await;
    b.press("form[action='/connexion'] button[type=submit]")
        .await;
    b.wait_for("button[data-cle-acces=obtenir]").await;
    b.check_page("login-passkey").await;
    b.press("button[data-cle-acces=obtenir]").await;
    b.expect_path("/accueil").await;

    // Its last use is shown; remove it.
    b.goto("/compte").await;
    assert!(!b.text("table.cles-acces").await.contains("Jamais"));
    b.press("form[action$='/retrait'] button[type=submit]")
        .await;
    b.wait_for("p.avis-succes").await;
    assert!(b.text("#cles-d-acces").await.contains("aucune clé d'accès"));

    // The next sign-in asks for the code only.
    b.logout().await;
    b.login_as(&marie).await;
    let events = app.core.db.pool.clone();
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE action LIKE 'account.passkey%' ORDER BY seq",
    )
    .fetch_all(&events)
    .await
    .unwrap();
    assert_eq!(actions, ["account.passkey_add", "account.passkey_remove"]);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkeys_replace_the_app_where_the_operator_allows_it() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.auth.passkeys_replace_totp = true).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    let marie = app.user(&admin, "marie", &org).await;
    let b = Browser::launch(&app, "passkeys-replace").await;
    b.add_virtual_authenticator().await;
    b.login_as(&marie).await;
    b.goto("/compte").await;
    let removal = "form[action='/compte/authentificateur/retrait']";
    let absent = format!("return document.querySelector(\"{removal}\") === null;");
    // Without a passkey, the app cannot be removed.
    assert_eq!(b.eval(&absent).await, true);
    b.fill("cle-nom", "Ordinateur du bureau").await;
    b.fill("cle-mot-de-passe", &marie.password).await;
    b.press("form[action='/compte/cles'] button[type=submit]")
        .await;
    b.press("button[data-cle-acces=creer]").await;
    b.wait_for("p.avis-succes").await;
    b.check_page("account-passkey-replaces-app").await;

    // The app removed after a current code.
    b.fill("retrait-code", &b.totp_code(&marie.totp_secret))
        .await;
    b.press(&format!("{removal} button[type=submit]")).await;
    b.wait_for("p.avis-succes").await;
    assert_eq!(b.eval(&absent).await, true);
    // The last passkey of an account without an app stays.
    b.press("table.cles-acces button[type=submit]").await;
    b.wait_for("#cles-erreur").await;
    assert!(b
        .text("table.cles-acces")
        .await
        .contains("Ordinateur du bureau"));

    // The next sign-in: the password, then the passkey (no app code any more).
    b.logout().await;
    b.goto("/connexion").await;
    b.fill("username", &marie.username).await;
    b.fill("password", &marie.password).await;
    b.press("form[action='/connexion'] button[type=submit]")
        .await;
    b.wait_for("button[data-cle-acces=obtenir]").await;
    b.fill("code", &app.code(&marie.totp_secret)).await;
    b.press("form:has(#code) button[type=submit]").await;
    b.wait_for("#code-erreur").await;
    b.press("button[data-cle-acces=obtenir]").await;
    b.expect_path("/accueil").await;
    b.close().await;
}
