//! An invitation in the browser: the admin creates the account with the box ticked (its
//! default), sees the pending invitation; the person opens the e-mailed link, sets the
//! password and accepts the charter on one page, enrols the authenticator, keeps the recovery
//! codes and lands signed in; the link then answers that it is no longer valid.

use crate::harness::Browser;
use passerelle_tests::prelude::*;

/// A message's text, whatever transfer encoding the mailer chose (quoted-printable or base64).
fn mail_text(mail: &str) -> String {
    let (head, body) = mail
        .split_once("\r\n\r\n")
        .or_else(|| mail.split_once("\n\n"))
        .unwrap();
    if head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: base64")
    {
        use base64::Engine as _;
        let compact: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        // The link is ASCII: soft line breaks and `=3D` are all quoted-printable does to it.
        body.replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=")
    }
}

/// The token of the invitation sent to `email` (waits for it: mail leaves in the background).
async fn invitation_token(app: &TestApp, email: &str) -> String {
    let dir = app.data.path().join("outbox");
    for _ in 0..100 {
        for entry in std::fs::read_dir(&dir).into_iter().flatten() {
            let mail = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let text = mail_text(&mail);
            if mail.contains(email) {
                if let Some(at) = text.find("/invitation?jeton=") {
                    return text[at + "/invitation?jeton=".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                        .collect();
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no invitation to {email}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_from_the_admin_page_to_the_home_page() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("admin").await;
    let org = app.organisation(&admin, "Logis du Nord", "bailleur").await;

    let b = Browser::launch(&app, "invitation_admin").await;
    b.login_as(&admin).await;
    b.goto("/admin/utilisateurs/nouveau").await;
    b.expect_h1("Créer un compte").await;
    assert_eq!(
        b.attr("#send_invitation", "checked").await.as_deref(),
        Some("true"),
        "the invitation is ticked by default"
    );
    b.fill("username", "lea").await;
    b.fill("display_name", "Léa Martin").await;
    b.fill("email", "lea@logis-nord.fr").await;
    b.select("organisation_id", &org).await;
    b.press("#creer-compte button[type=submit]").await;
    b.expect_h1("Compte créé").await;
    assert!(b
        .text("#invitation-envoyee")
        .await
        .contains("lea@logis-nord.fr"));
    b.goto("/admin/utilisateurs").await;
    b.expect_h1("Comptes").await;
    assert!(b
        .text("table.invitations")
        .await
        .contains("lea@logis-nord.fr"));
    b.check_page("invitations-pending").await;
    b.close().await;

    // The person, in another browser, from the link of the message.
    let token = invitation_token(&app, "lea@logis-nord.fr").await;
    let b = Browser::launch(&app, "invitation_person").await;
    b.goto(&format!("/invitation?jeton={token}")).await;
    b.expect_h1("Activer votre compte").await;
    assert!(b.visible_text().await.contains("Léa Martin"));
    b.check_page("invitation").await;

    // The charter left unticked: the error by its box, the passwords to type again.
    b.fill("new_password", "sept cigognes nichent sur la mairie 3390")
        .await;
    b.fill("confirmation", "sept cigognes nichent sur la mairie 3390")
        .await;
    b.press("#invitation button[type=submit]").await;
    b.wait_for("#accepte-erreur").await;
    b.check_page("invitation-error").await;

    b.fill("new_password", "sept cigognes nichent sur la mairie 3390")
        .await;
    b.fill("confirmation", "sept cigognes nichent sur la mairie 3390")
        .await;
    b.press("#accepte").await;
    b.press("#invitation button[type=submit]").await;
    b.expect_h1("Activez la double authentification").await;
    let key = b.text("code.cle").await;
    let compact: String = key.split_whitespace().collect();
    let secret = totp_rs::Secret::Encoded(compact).to_bytes().unwrap();
    b.fill("code", &b.totp_code(&secret)).await;
    b.press("form:has(#code) button[type=submit]").await;
    b.expect_h1("Vos codes de secours").await;
    b.follow("Continuer").await;
    // The charter was accepted on the invitation page: straight to the home page.
    b.expect_path("/accueil").await;
    assert!(b.text("h1").await.contains("Léa Martin"));

    // The link served once.
    b.goto(&format!("/invitation?jeton={token}")).await;
    b.expect_h1("Activer votre compte").await;
    assert!(b.visible_text().await.contains("n'est plus valable"));
    b.check_page("invitation-used").await;
    b.close().await;
}
