//! Signing in through the pages: first login with TOTP enrollment, a later login, the language,
//! the idle timeout.

use crate::harness::Browser;
use passerelle_tests::prelude::*;

/// An admin and one organisation, over the API.
async fn admin_and_org(app: &TestApp) -> (Account, String) {
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Habitat Sud", "bailleur").await;
    (admin, org)
}

/// The TOTP code at `unix_time` for a base32 secret as the enrollment page shows it, computed
/// with totp-rs the way an authenticator app does (SHA-1, 6 digits, 30-second steps).
fn authenticator_code(shown_secret: &str, unix_time: i64) -> String {
    let compact: String = shown_secret.split_whitespace().collect();
    let bytes = totp_rs::Secret::Encoded(compact).to_bytes().unwrap();
    let app = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some("Passerelle".to_owned()),
        "marie".to_owned(),
    );
    app.unwrap().generate(u64::try_from(unix_time).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_login_with_totp() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (admin, org) = admin_and_org(&app).await;
    let (_, initial) = app.create_user(&admin, "marie", &org).await;
    let b = Browser::launch(&app, "first_login").await;

    b.goto("/").await;
    b.expect_path("/connexion").await;
    b.expect_h1("Connexion").await;
    assert_eq!(b.lang().await, "fr");
    b.check_page("login").await;

    // A wrong password: the form again, the message tied to its field.
    b.fill("username", "marie").await;
    b.fill("password", "pas le bon mot de passe").await;
    b.press("form[action='/connexion'] button[type=submit]")
        .await;
    b.expect_h1("Connexion").await;
    assert!(b.text("#password-erreur").await.contains("incorrect"));
    assert_eq!(
        b.attr("#password", "aria-describedby").await.as_deref(),
        Some("password-erreur")
    );
    b.check_page("login-error").await;

    b.fill("password", &initial).await;
    b.press("form[action='/connexion'] button[type=submit]")
        .await;
    b.expect_h1("Choisissez votre mot de passe").await;
    b.check_page("password-change").await;

    // Two different passwords: refused, the error on the confirmation.
    b.fill("new_password", "trois girafes traversent la rue 4812")
        .await;
    b.fill("confirmation", "trois girafes traversent la rue")
        .await;
    b.press("form[action='/connexion/mot-de-passe'] button[type=submit]")
        .await;
    b.wait_for("#confirmation-erreur").await;
    assert_eq!(
        b.attr("#confirmation", "aria-invalid").await.as_deref(),
        Some("true")
    );
    b.check_page("password-change-error").await;

    b.fill("new_password", "trois girafes traversent la rue 4812")
        .await;
    b.fill("confirmation", "trois girafes traversent la rue 4812")
        .await;
    b.press("form[action='/connexion/mot-de-passe'] button[type=submit]")
        .await;
    b.expect_h1("Activez la double authentification").await;
    b.check_page("enrolment").await;

    // The secret as text, typed into an "authenticator app" running on the gateway's clock.
    let shown = b.text("code.cle").await;
    let code = authenticator_code(&shown, app.clock.now_ts());
    b.fill("code", &code).await;
    b.press("form:has(#code) button[type=submit]").await;
    b.expect_h1("Vos codes de secours").await;
    assert_eq!(b.texts("ol.codes li").await.len(), 10);
    b.check_page("recovery-codes").await;
    app.next_step();

    // The usage charter, before anything else; the box must be ticked.
    b.follow("Continuer").await;
    b.expect_path("/charte").await;
    b.expect_h1("Charte d'utilisation").await;
    b.check_page("charter").await;
    b.press("form[action='/charte'] button[type=submit]").await;
    b.wait_for("#accepte-erreur").await;
    assert_eq!(
        b.attr("#accepte", "aria-describedby").await.as_deref(),
        Some("accepte-erreur")
    );
    b.check_page("charter-error").await;
    b.accept_charter().await;
    b.expect_h1("Bonjour marie Test").await;
    b.check_page("home").await;

    b.logout().await;
    b.expect_h1("Vous avez été déconnecté.").await;
    b.check_page("signed-out").await;
    // Signed out for real: the home page sends back to the login page.
    b.goto("/accueil").await;
    b.expect_path("/connexion").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_login_asks_for_the_totp_code() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (admin, org) = admin_and_org(&app).await;
    let marie = app.user(&admin, "marie", &org).await;
    let b = Browser::launch(&app, "later_login").await;

    b.goto("/connexion").await;
    b.fill("username", &marie.username).await;
    b.fill("password", &marie.password).await;
    b.press("form[action='/connexion'] button[type=submit]")
        .await;
    b.expect_h1("Vérification en deux étapes").await;
    b.check_page("totp").await;

    // A wrong code: the page again with the error tied to the field.
    b.fill("code", "000000").await;
    b.press("form:has(#code) button[type=submit]").await;
    b.wait_for("#code-erreur").await;
    assert_eq!(
        b.attr("#code", "aria-invalid").await.as_deref(),
        Some("true")
    );
    b.check_page("totp-error").await;

    b.fill("code", &b.totp_code(&marie.totp_secret)).await;
    b.press("form:has(#code) button[type=submit]").await;
    // Her first sign-in through the pages: the charter first.
    b.accept_charter().await;
    b.expect_h1("Bonjour marie Test").await;

    // Once more with a recovery code instead of the authenticator.
    b.logout().await;
    b.goto("/connexion").await;
    b.fill("username", &marie.username).await;
    b.fill("password", &marie.password).await;
    b.press("form[action='/connexion'] button[type=submit]")
        .await;
    b.expect_h1("Vérification en deux étapes").await;
    b.fill("recovery_code", &marie.recovery_codes[0]).await;
    b.press("form:has(#recovery_code) button[type=submit]")
        .await;
    b.expect_path("/accueil").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_and_accept_language() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (admin, org) = admin_and_org(&app).await;
    let marie = app.user(&admin, "marie", &org).await;

    let b = Browser::launch(&app, "language").await;
    b.goto("/connexion").await;
    assert_eq!(b.lang().await, "fr");
    b.switch_language().await;
    assert_eq!(b.lang().await, "en");
    b.expect_path("/connexion").await;
    b.expect_h1("Sign in").await;
    b.check_page("login-en").await;

    // The choice sticks: other pages, and after signing in.
    b.goto("/deconnecte").await;
    assert_eq!(b.lang().await, "en");
    b.expect_h1("You have been signed out.").await;
    b.login_as(&marie).await;
    assert_eq!(b.lang().await, "en");
    b.expect_h1("Hello marie Test").await;
    b.check_page("home-en").await;

    // And back to French.
    b.switch_language().await;
    assert_eq!(b.lang().await, "fr");
    b.expect_path("/accueil").await;
    b.expect_h1("Bonjour marie Test").await;
    b.close().await;

    // Without a choice, the browser's languages decide; French when neither is offered.
    for (languages, expected) in [("en-GB,en", "en"), ("de-DE,de", "fr")] {
        let b = Browser::launch_with(&app, "language-accept", languages).await;
        b.goto("/connexion").await;
        assert_eq!(b.lang().await, expected, "Accept-Language: {languages}");
        b.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_session_ends_on_the_login_page() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (admin, org) = admin_and_org(&app).await;
    let marie = app.user(&admin, "marie", &org).await;
    let b = Browser::launch(&app, "idle_timeout").await;
    b.login_as(&marie).await;
    b.expect_h1("Bonjour marie Test").await;

    // Thirty minutes without a request (the default idle timeout), and one second more.
    app.clock.advance(chrono::Duration::seconds(
        app.config.sessions.idle_timeout_secs as i64 + 1,
    ));
    b.reload().await;
    b.expect_path("/connexion").await;
    assert_eq!(b.path().await, "/connexion?expire=1");
    assert_eq!(
        b.text("p.avis[role=status]").await,
        "Votre session a expiré : reconnectez-vous."
    );
    b.check_page("login-expired").await;
    b.close().await;
}
