//! A gateway killed in the middle of an upload leaves nothing behind once it starts again.

use crate::process::RealGateway;
use bytes::Bytes;
use futures::StreamExt as _;
use passerelle_tests::prelude::*;
use std::time::Duration;

passerelle_tests::on_every_backend!(an_upload_cut_by_a_crash_is_removed_at_start_up);

async fn unfinished_rows(url: &str) -> i64 {
    use sqlx::Row as _;
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    sqlx::query("SELECT COUNT(*) AS n FROM files WHERE state = 'uploading'")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get::<i64, _>("n")
}

async fn an_upload_cut_by_a_crash_is_removed_at_start_up(b: Backend) {
    let _alone = crate::hostile::ONE_AT_A_TIME.lock().await;
    let is_sqlite = matches!(b, Backend::Sqlite);
    let app = TestApp::spawn_at(b, chrono::Utc::now(), |_| {}).await;
    let x = app.exchange().await;
    let gw = RealGateway::start(app.detach()).await;
    let db_url = gw
        .database_url()
        .unwrap_or_else(|| format!("sqlite://{}", gw.data_dir().join("passerelle.db").display()));
    // 4 MiB of a deposit, then silence: the upload is in flight when the gateway dies.
    let mut head = multipart_head("file", b"enquete.csv");
    head.extend(std::iter::repeat_n(b"Carvin;12\n".as_slice(), 400_000).flatten());
    let chunks = futures::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from(head))])
        .chain(futures::stream::pending());
    let request = gw
        .client
        .post(gw.url(&format!("/api/v1/missions/{}/deposits", x.mission)))
        .bearer_auth(&x.depositor.token)
        .header("content-type", multipart_type())
        .body(reqwest::Body::wrap_stream(chunks))
        .send();
    let in_flight = tokio::spawn(request);
    let mut seen = 0;
    for _ in 0..100 {
        seen = unfinished_rows(&db_url).await;
        if seen == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen, 1, "the upload never started");
    let blobs = gw.data_dir().join("blobs");
    let data = gw.crash();
    in_flight.abort();
    let gw = RealGateway::start(data).await;
    if is_sqlite {
        assert_eq!(unfinished_rows(&db_url).await, 0);
        assert!(
            stored_files(&blobs).is_empty(),
            "blobs left: {:?}",
            stored_files(&blobs)
        );
    } else {
        // Several instances may share PostgreSQL: the sweeper's one-day rule removes it instead.
        assert_eq!(unfinished_rows(&db_url).await, 1);
    }
    let r = gw
        .client
        .get(gw.url(&format!("/api/v1/missions/{}/files", x.mission)))
        .bearer_auth(&x.depositor.token)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["files"], serde_json::json!([]));
}
