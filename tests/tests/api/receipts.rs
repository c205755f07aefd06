//! Download receipts (#15 point 2): who downloaded a file and when, for its uploader's
//! organisation and the mission's managers only, in the API and on the mission page.

use passerelle_tests::pages::{get_with, web_sign_in_with};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    receipts_name_the_downloads_in_order,
    receipts_are_hidden_from_everyone_else,
    the_page_shows_the_receipt_to_the_depositor_only,
);

const CONTENT: &[u8] = b"commune;logements\nCarvin;120\nHenin;340\n";

/// The receipt of `file` as `token`'s owner sees it: its status and body.
async fn receipt(app: &TestApp, token: &str, file: &str) -> (u16, Value) {
    let r = app
        .get_as(token, &format!("/api/v1/files/{file}/downloads"))
        .await;
    let status = r.status().as_u16();
    (status, body(r).await)
}

async fn receipts_name_the_downloads_in_order(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let f = app
        .upload_deposit(&x.depositor.token, &x.mission, "parc.csv", CONTENT)
        .await;
    let id = f["id"].as_str().unwrap().to_owned();

    let (status, r) = receipt(&app, &x.depositor.token, &id).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["downloads"], json!([]), "nobody downloaded it yet");
    assert_eq!(r["total"], 0);

    assert_eq!(app.download(&x.processor.token, &id).await, CONTENT);
    let ranged = app
        .client
        .get(app.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(&x.processor.token)
        .header("range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), &CONTENT[..10]);
    assert_eq!(app.download(&x.depositor.token, &id).await, CONTENT);
    // A refused download is no download.
    let refused = app
        .get_as(&x.recipient.token, &format!("/api/v1/files/{id}/content"))
        .await;
    assert_eq!(refused.status(), 404);

    let (status, r) = receipt(&app, &x.depositor.token, &id).await;
    assert_eq!(status, 200, "{r}");
    let d = r["downloads"].as_array().unwrap();
    assert_eq!(d.len(), 3, "{r}");
    assert_eq!(r["total"], 3);
    let who: Vec<(&str, &str, &str, bool)> = d
        .iter()
        .map(|e| {
            (
                e["user_id"].as_str().unwrap(),
                e["display_name"].as_str().unwrap(),
                e["organisation_id"].as_str().unwrap(),
                e["partial"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        who,
        [
            (
                x.processor.id.as_str(),
                "analyste Test",
                x.consultancy.as_str(),
                false
            ),
            (
                x.processor.id.as_str(),
                "analyste Test",
                x.consultancy.as_str(),
                true
            ),
            (
                x.depositor.id.as_str(),
                "depot.henin Test",
                x.bailleur.as_str(),
                false
            ),
        ],
        "oldest first, the Range download partial: {r}"
    );
    let times: Vec<&str> = d.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(times[0].ends_with('Z'), "{times:?}");

    // The mission's manager reads it too, although it sees no file.
    let (status, m) = receipt(&app, &x.manager.token, &id).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["downloads"], r["downloads"]);
    // So does a platform admin, who reads the mission's audit trail anyway.
    let (status, a) = receipt(&app, &x.admin.token, &id).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["total"], 3);
    // Reading a receipt is itself recorded.
    let events = body(
        app.get_as(
            &x.admin.token,
            &format!("/api/v1/audit?mission_id={}", x.mission),
        )
        .await,
    )
    .await;
    let reads = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "audit.read" && e["file_id"] == id.as_str())
        .count();
    assert_eq!(reads, 4, "{events}");
}

async fn receipts_are_hidden_from_everyone_else(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let other_bailleur = app
        .organisation(&x.admin, "Maisons du Bassin", "bailleur")
        .await;
    let neighbour = app.user(&x.admin, "depot.bassin", &other_bailleur).await;
    app.add_participant(&x.admin.token, &x.mission, &neighbour.id, "depositor")
        .await;
    let deposit = app
        .upload_deposit(&x.depositor.token, &x.mission, "parc.csv", CONTENT)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.download(&x.processor.token, &deposit).await;
    let result = app
        .upload_result(&x.processor.token, &x.mission, "synthese.csv", CONTENT)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.release(&x.processor.token, &result).await;
    app.download(&x.recipient.token, &result).await;

    // The processor downloads the deposit but is not its uploader's organisation; the other
    // bailleur's depositor does not see it; the recipient does not either.
    for who in [&x.processor, &neighbour, &x.recipient] {
        let (status, r) = receipt(&app, &who.token, &deposit).await;
        assert_eq!(status, 404, "{} on the deposit: {r}", who.username);
        assert_eq!(r["error"], "not_found");
    }
    // A released result: the recipient downloads it and the depositors see it, but its receipt
    // belongs to the processor's organisation.
    for who in [&x.recipient, &x.depositor, &neighbour] {
        let (status, r) = receipt(&app, &who.token, &result).await;
        assert_eq!(status, 404, "{} on the result: {r}", who.username);
    }
    let (status, r) = receipt(&app, &x.processor.token, &result).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["downloads"][0]["user_id"], x.recipient.id.as_str());
    assert_eq!(
        r["downloads"][0]["display_name"], "destinataire Test",
        "{r}"
    );
    let (status, _) = receipt(&app, &x.manager.token, &result).await;
    assert_eq!(status, 200);
    // An unknown id and a deleted file answer alike.
    let (status, _) = receipt(&app, &x.depositor.token, "0f0f0f0f").await;
    assert_eq!(status, 404);
    let r = app
        .delete_as(&x.depositor.token, &format!("/api/v1/files/{deposit}"))
        .await;
    assert_eq!(r.status(), 204);
    for who in [&x.depositor, &x.manager] {
        let (status, _) = receipt(&app, &who.token, &deposit).await;
        assert_eq!(status, 404, "{}", who.username);
    }
}

async fn the_page_shows_the_receipt_to_the_depositor_only(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let id = app
        .upload_deposit(&x.depositor.token, &x.mission, "parc.csv", CONTENT)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let result = app
        .upload_result(&x.processor.token, &x.mission, "synthese.csv", CONTENT)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.release(&x.processor.token, &result).await;
    let path = format!("/missions/{}", x.mission);

    let depositor = client_for(&app.cert_pem, app.addr);
    web_sign_in_with(&app, &depositor, &x.depositor).await;
    let p = get_with(&app, &depositor, &path).await;
    assert_eq!(p.status, 200, "{}", p.html);
    assert!(p.html.contains("Jamais téléchargé."), "{}", p.html);

    app.download(&x.processor.token, &id).await;
    let p = get_with(&app, &depositor, &path).await;
    assert!(
        p.html.contains("Téléchargé par analyste Test le "),
        "{}",
        p.html
    );
    assert!(p
        .html
        .contains("analyste Test (Cabinet Études Urbaines), le "));
    // The released result is listed for the depositor, but its receipt is not its own.
    assert!(p.html.contains("synthese.csv"));
    assert_eq!(p.html.matches("class=\"telechargements\"").count(), 1);

    let recipient = client_for(&app.cert_pem, app.addr);
    web_sign_in_with(&app, &recipient, &x.recipient).await;
    let p = get_with(&app, &recipient, &path).await;
    assert_eq!(p.status, 200, "{}", p.html);
    assert!(p.html.contains("synthese.csv"), "{}", p.html);
    assert!(!p.html.contains("éléchargé"), "{}", p.html);
    assert!(!p.html.contains("telechargements"), "{}", p.html);
}
