//! One instance killed (SIGKILL) in the middle of the work: during a large upload (nothing
//! half-visible, the retry through the other instance succeeds, the abandoned-upload sweep leaves
//! no object) and during a destruction (the other instance finishes it, one certificate).

use crate::api::*;
use crate::exchange::{certificate_of, World};
use crate::topology::Cluster;
use bytes::Bytes;
use futures::StreamExt as _;
use passerelle_tests::prelude::{multipart_head, multipart_tail, multipart_type, sha256_hex};
use serde_json::json;
use std::time::Duration;

const LINE: &[u8] = b"Carvin;12\n";
/// 24 MB: three of the S3 backend's 8 MiB parts.
const LINES: usize = 2_400_000;

async fn uploading(c: &Cluster, mission: &str) -> Option<String> {
    sqlx::query_scalar("SELECT id FROM files WHERE mission_id = $1 AND state = 'uploading'")
        .bind(mission)
        .fetch_optional(&c.db)
        .await
        .unwrap()
}

/// A second mission for the crash scenarios, with the depositor in it.
pub(crate) async fn second_mission(c: &Cluster, w: &World) -> String {
    let m = mission(&c.lb, &w.admin.token, "OPS 2028", &w.epci).await;
    add(&c.lb, &w.admin.token, &m, &w.depositor.id, "depositor").await;
    m
}

/// gw1 dies while it receives a large deposit.
pub(crate) async fn upload_cut_by_a_crash(c: &Cluster, w: &World, mission: &str) {
    let token = &w.depositor.token;
    let content: Vec<u8> = LINE.repeat(LINES);
    // Two thirds of the file, then silence: the upload is in flight when gw1 dies.
    let mut head = multipart_head("file", b"enquete.csv");
    head.extend_from_slice(&content[..content.len() * 2 / 3]);
    let chunks = futures::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from(head))])
        .chain(futures::stream::pending());
    let request = c
        .gw1
        .client
        .post(format!("{}/api/v1/missions/{mission}/deposits", c.gw1.base))
        .bearer_auth(token)
        .header("content-type", multipart_type())
        .body(reqwest::Body::wrap_stream(chunks))
        .send();
    let in_flight = tokio::spawn(request);
    let mut cut = None;
    for _ in 0..200 {
        cut = uploading(c, mission).await;
        if cut.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cut = cut.expect("the upload never started");
    // Parts are on their way to S3.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.kill(1).await;
    in_flight.abort();

    // Nothing of it shows, through gw2 or haproxy (which now sends everything to gw2).
    for node in [&c.gw2, &c.lb, &c.lb] {
        assert_eq!(
            files(node, token, mission).await,
            Vec::<serde_json::Value>::new()
        );
        let r = node
            .get(Some(token), &format!("/api/v1/files/{cut}/content"))
            .await;
        assert_eq!(r.status(), 404, "the cut upload read through {}", node.name);
    }

    // The person sends it again, through haproxy: gw2 takes it.
    let mut body = multipart_head("file", b"enquete.csv");
    body.extend_from_slice(&content);
    body.extend_from_slice(&multipart_tail());
    let r =
        c.lb.client
            .post(format!("{}/api/v1/missions/{mission}/deposits", c.lb.base))
            .bearer_auth(token)
            .header("content-type", multipart_type())
            .body(body)
            .send()
            .await
            .unwrap();
    assert_eq!(r.headers()["x-passerelle-instance"], "gw2");
    let v = expect(r, 201, "the upload again, through haproxy").await;
    assert_eq!(v["sha256"], sha256_hex(&content));
    let again = v["id"].as_str().unwrap().to_owned();
    assert_eq!(
        sha256_hex(&download(&c.gw2, token, &again).await),
        sha256_hex(&content)
    );

    // A day later (the row's date moved back: the instances run on the real clock), gw2's
    // sweeper removes the cut upload and whatever of it reached S3.
    sqlx::query("UPDATE files SET uploaded_at = uploaded_at - 2 * 86400000 WHERE id = $1")
        .bind(&cut)
        .execute(&c.db)
        .await
        .unwrap();
    // The row goes, then the failed upload is audited.
    let rows = "SELECT COUNT(*) FROM files WHERE id = $1";
    let failed = "SELECT COUNT(*) FROM audit_events WHERE file_id = $1 AND action = 'file.upload' AND outcome = 'failed'";
    for _ in 0..150 {
        if number(&c.db, failed, &cut).await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        number(&c.db, failed, &cut).await,
        1,
        "the abandoned upload stays"
    );
    assert_eq!(number(&c.db, rows, &cut).await, 0);
    let objects = c.objects_under(mission).await;
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(!objects[0].contains(&cut), "{objects:?}");
    let listed = files(&c.lb, token, mission).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], again.as_str());

    // gw1 comes back with `deploy/cluster.sh start`.
    c.script(&["start"]);
    assert_eq!(c.gw1.get(None, "/healthz").await.status(), 200);
}

/// gw1 dies while it destroys a closed mission: gw2's sweeper finishes, one certificate.
pub(crate) async fn destruction_cut_by_a_crash(c: &Cluster, w: &World, mission: &str) {
    let files_before = 1;
    let more = 40;
    for i in 0..more {
        let content = format!("commune;nb_logements\nCarvin;{}\n", 100 + i);
        let r = upload(
            &c.lb,
            &w.depositor.token,
            mission,
            "deposits",
            &format!("lot{i}.csv"),
            content.as_bytes(),
        )
        .await;
        expect(r, 201, "a small deposit").await;
    }
    let total = files_before + more;
    let close = c
        .gw1
        .client
        .post(format!("{}/api/v1/missions/{mission}/close", c.gw1.base))
        .bearer_auth(&w.admin.token)
        .json(&json!({}))
        .send();
    let in_flight = tokio::spawn(close);
    let tombs = "SELECT COUNT(*) FROM file_tombstones WHERE mission_id = $1";
    let mut started = false;
    for _ in 0..5000 {
        if number(&c.db, tombs, mission).await > 0 {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(started, "the destruction never started");
    c.kill(1).await;
    in_flight.abort();
    let state: (String, Option<i64>) =
        sqlx::query_as("SELECT status, key_destroyed_at FROM missions WHERE id = $1")
            .bind(mission)
            .fetch_one(&c.db)
            .await
            .unwrap();
    assert_eq!(
        state.0, "ended",
        "gw1 was killed after the destruction had finished"
    );
    assert!(state.1.is_some(), "the key is shredded first");
    let done = number(&c.db, tombs, mission).await;
    assert!(done < total as i64, "gw1 had already destroyed every file");

    until_destroyed(&c.db, mission, 60).await;
    assert_eq!(audited(&c.db, mission, "mission.close").await, 1);
    assert_eq!(audited(&c.db, mission, "mission.end").await, 0);
    assert_eq!(audited(&c.db, mission, "mission.destroy").await, 1);
    assert_eq!(number(&c.db, tombs, mission).await, total as i64);
    let certificate = certificate_of(c, &w.admin.token, mission, total).await;
    assert_eq!(
        certificate["payload"]["mission"]["closed_by"]["id"],
        w.admin.id.as_str()
    );
    assert_eq!(c.objects_under(mission).await, Vec::<String>::new());

    // The audit chain, written by two instances and cut by a crash, holds.
    let (ok, out) = c.passerelle(2, &["audit", "verify"]);
    assert!(ok, "passerelle audit verify: {out}");
}
