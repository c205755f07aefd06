//! Destruction wins every race (issue 12): an upload in flight when a mission is closed leaves
//! nothing and is not recorded as a success; blobs without their row are swept; the certificate
//! is signed once the store holds nothing of the mission.

use passerelle_tests::prelude::*;
use serde_json::{json, Value};
use std::time::Duration;

passerelle_tests::on_every_backend!(
    an_upload_in_flight_during_close_leaves_nothing,
    uploads_racing_a_close_are_either_certified_or_gone,
    blobs_without_their_row_are_swept,
);

struct Cast {
    app: TestApp,
    admin: Account,
    depositor: Account,
    mission: String,
}

async fn cast(b: Backend) -> Cast {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let bailleur = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let depositor = app.user(&admin, "depositaire", &bailleur).await;
    let r = app
        .post_as(
            &admin.token,
            "/api/v1/missions",
            json!({"name": "Étude OPS", "purpose": "Diagnostic", "controller_organisation_id": bailleur,
                   "ends_at": in_days(30)}),
        )
        .await;
    let mission = body(r).await["id"].as_str().unwrap().to_owned();
    app.add_participant(&admin.token, &mission, &depositor.id, "depositor")
        .await;
    Cast {
        app,
        admin,
        depositor,
        mission,
    }
}

async fn uploading_rows(app: &TestApp, mission: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM files WHERE mission_id = $1 AND state = 'uploading'")
        .bind(mission)
        .fetch_one(&app.core.db.pool)
        .await
        .unwrap()
}

async fn events(app: &TestApp, token: &str, mission: &str) -> Vec<Value> {
    let v: Value = app
        .get_as(token, &format!("/api/v1/audit?mission_id={mission}"))
        .await
        .json()
        .await
        .unwrap();
    v["events"].as_array().unwrap().clone()
}

async fn an_upload_in_flight_during_close_leaves_nothing(b: Backend) {
    let Cast {
        app,
        admin,
        depositor,
        mission,
    } = cast(b).await;
    // A channel-fed body: the head and 4 MiB now, the rest after the close.
    let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
    let request = app
        .client
        .post(app.url(&format!("/api/v1/missions/{mission}/deposits")))
        .bearer_auth(&depositor.token)
        .header("content-type", multipart_type())
        .body(reqwest::Body::wrap_stream(rx));
    let in_flight = tokio::spawn(async move { request.send().await.unwrap() });
    use futures::SinkExt as _;
    tx.send(Ok(multipart_head("file", b"menages.csv")))
        .await
        .unwrap();
    let row = b"id;loyer;revenu\n".repeat(64 * 1024);
    for _ in 0..4 {
        tx.send(Ok(row.clone())).await.unwrap();
    }
    // The upload is under way: its row exists.
    let mut waited = 0;
    while uploading_rows(&app, &mission).await == 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
        assert!(waited < 200, "the upload never started");
    }
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/missions/{mission}/close"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    // The rest of the upload arrives after the destruction.
    for _ in 0..4 {
        if tx.send(Ok(row.clone())).await.is_err() {
            break;
        }
    }
    let _ = tx.send(Ok(multipart_tail())).await;
    drop(tx);
    let r = in_flight.await.unwrap();
    let raced = r.status().as_u16();
    // The attack of the issue: it answered 201 and left a 40 MB blob.
    assert_ne!(raced, 201, "{}", r.text().await.unwrap_or_default());
    // As for an ended mission: the same answer as a new upload now.
    let now = app
        .upload(
            &depositor.token,
            &mission,
            Upload::deposit("apres.csv", b"a;b\n1;2\n"),
        )
        .await;
    assert_eq!(raced, now.status().as_u16());
    // Nothing left: no blob, no row.
    assert!(app.core.blobs.list(&mission).await.unwrap().is_empty());
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM files WHERE mission_id = $1")
        .bind(&mission)
        .fetch_one(&app.core.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    // Not recorded as a success, and the certificate names no file.
    let trail = events(&app, &admin.token, &mission).await;
    assert!(
        !trail
            .iter()
            .any(|e| e["action"] == "file.upload" && e["outcome"] == "success"),
        "{trail:?}"
    );
    assert!(trail.iter().any(|e| e["action"] == "mission.destroy"));
    let cert = body(
        app.get_as(
            &admin.token,
            &format!("/api/v1/missions/{mission}/certificate"),
        )
        .await,
    )
    .await;
    assert_eq!(cert["payload"]["files"], json!([]));
}

async fn uploads_racing_a_close_are_either_certified_or_gone(b: Backend) {
    let Cast {
        app,
        admin,
        depositor,
        mission,
    } = cast(b).await;
    let mut uploads = Vec::new();
    for i in 0..12 {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/missions/{mission}/deposits")),
            depositor.token.clone(),
        );
        uploads.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(15 * i)).await;
            let content = format!("id;loyer\n{i};420\n").repeat(20_000);
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", multipart_type())
                .body(multipart_body(
                    "file",
                    format!("depot{i}.csv").as_bytes(),
                    content.as_bytes(),
                ))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            (status, v["id"].as_str().map(str::to_owned))
        }));
    }
    tokio::time::sleep(Duration::from_millis(60)).await;
    let r = app
        .post_as(
            &admin.token,
            &format!("/api/v1/missions/{mission}/close"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let mut stored = Vec::new();
    for u in uploads {
        let (status, id) = u.await.unwrap();
        match status {
            201 => stored.push(id.unwrap()),
            403 | 404 => {}
            other => panic!("an upload racing the close answered {other}"),
        }
    }
    eprintln!("{} of 12 uploads finished before the close", stored.len());
    // Whatever finished before the end is destroyed and certified; nothing else is left.
    app.core.sweep().await.unwrap();
    assert!(app.core.blobs.list(&mission).await.unwrap().is_empty());
    let cert = body(
        app.get_as(
            &admin.token,
            &format!("/api/v1/missions/{mission}/certificate"),
        )
        .await,
    )
    .await;
    let mut certified: Vec<String> = cert["payload"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    certified.sort();
    stored.sort();
    assert_eq!(certified, stored);
    // No upload is recorded as a success after the mission ended.
    let trail = events(&app, &admin.token, &mission).await;
    let end = trail
        .iter()
        .position(|e| e["action"] == "mission.close")
        .unwrap();
    assert!(
        !trail[end..]
            .iter()
            .any(|e| e["action"] == "file.upload" && e["outcome"] == "success"),
        "{trail:?}"
    );
}

async fn blobs_without_their_row_are_swept(b: Backend) {
    let Cast {
        app,
        depositor,
        mission,
        ..
    } = cast(b).await;
    let kept = app
        .upload_deposit(
            &depositor.token,
            &mission,
            "menages.csv",
            b"id;loyer\n1;420\n",
        )
        .await;
    // A copy of a blob under an id no row has (as an upload cut at the wrong instant leaves).
    let dir = app.data.path().join("blobs").join(&mission);
    std::fs::copy(
        dir.join(kept["id"].as_str().unwrap()),
        dir.join(gateway::service::new_id()),
    )
    .unwrap();
    assert_eq!(app.core.blobs.list(&mission).await.unwrap().len(), 2);
    app.core.sweep().await.unwrap();
    assert_eq!(
        app.core.blobs.list(&mission).await.unwrap(),
        vec![kept["id"].as_str().unwrap().to_owned()]
    );
    app.download(&depositor.token, kept["id"].as_str().unwrap())
        .await;
}
