//! The harness checks itself: axe-core does find a violation when there is one, and the browser
//! trusts the gateway's certificate by its public key only.

use crate::harness::Browser;
use passerelle_tests::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_reports_a_planted_violation() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let b = Browser::launch(&app, "harness").await;
    b.goto("/connexion").await;
    b.expect_h1("Connexion").await;
    // An unlabelled field and an image without a text alternative.
    b.run_script(
        "const i = document.createElement('input'); i.type = 'text'; \
         document.querySelector('form').append(i); \
         const img = document.createElement('img'); img.src = '/static/favicon.svg'; \
         document.querySelector('main').append(img);",
    )
    .await;
    b.check_accessibility("planted").await;
    let found = b.take_problems().join("\n");
    assert!(found.contains("- label (critical)"), "{found}");
    assert!(found.contains("- image-alt (critical)"), "{found}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_trusts_only_its_gateways_key() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let other = TestApp::spawn(Backend::Sqlite).await;
    let b = Browser::launch(&app, "harness").await;
    b.goto("/connexion").await;
    b.expect_h1("Connexion").await;
    // Another gateway, with its own self-signed certificate: chromium refuses it.
    let reached = b.open_url(&other.url("/connexion")).await;
    assert!(
        !reached || !b.visible_text().await.contains("Connexion"),
        "a certificate other than the pinned one was accepted"
    );
    b.close().await;
}
