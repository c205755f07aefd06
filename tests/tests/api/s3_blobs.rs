//! Blobs on an S3 server (issue 16): a file's life on S3 leaves nothing once destroyed, the
//! certificate states the backend, and start-up refuses an unattested endpoint or a bucket
//! where a delete would keep a copy. (`PASSERELLE_TEST_BLOBS=s3` also runs the file, upload,
//! download and destruction tests on S3.)

use std::sync::Arc;

use passerelle_tests::prelude::*;
use passerelle_tests::s3;
use serde_json::{json, Value};

use crate::destruction::{status, MARKER};

passerelle_tests::on_every_backend!(a_file_on_s3_is_served_by_ranges_and_leaves_nothing);

async fn a_file_on_s3_is_served_by_ranges_and_leaves_nothing(b: Backend) {
    if s3::server().is_none() {
        return;
    }
    let s = setup_on_s3(b).await;
    let app = &s.app;
    let body = format!("x;{MARKER}\n{}", "ligne;de;données\n".repeat(50_000));
    let file = id_of(
        &app.upload_deposit(&s.depositor.token, &s.mission, "ops.csv", &body)
            .await,
    );
    assert_eq!(
        app.download(&s.processor.token, &file).await,
        body.as_bytes()
    );
    let r = app
        .client
        .get(app.url(&format!("/api/v1/files/{file}/content")))
        .bearer_auth(&s.processor.token)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(&r.bytes().await.unwrap()[..], &body.as_bytes()[100..200]);
    assert_eq!(app.core.blobs.backend().kind(), "s3");
    assert!(!app.core.blobs.list(&s.mission).await.unwrap().is_empty());

    let r = app
        .post_as(
            &s.admin.token,
            &format!("/api/v1/missions/{}/close", s.mission),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(status(app, &s.admin.token, &s.mission).await, "destroyed");
    assert!(app.core.blobs.list(&s.mission).await.unwrap().is_empty());
    let cert: Value = app
        .get_as(
            &s.admin.token,
            &format!("/api/v1/missions/{}/certificate", s.mission),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        cert["payload"]["storage"],
        json!({"backend": "s3", "country": "FR"})
    );
}

async fn setup_on_s3(b: Backend) -> crate::destruction::Setup {
    crate::destruction::setup_with(b, None, |c| {
        assert!(s3::use_s3(c, s3::BUCKET));
    })
    .await
}

fn base_config(data: &tempfile::TempDir) -> gateway::Config {
    let mut config = gateway::Config::load_from(None, &[]).unwrap();
    config.data_dir = data.path().to_path_buf();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config
}

async fn start_error(config: gateway::Config) -> String {
    let clock = gateway::clock::ManualClock::new(start_time());
    match gateway::Application::build(config, Arc::new(clock)).await {
        Ok(_) => panic!("the gateway started"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_refuses_an_unattested_endpoint_and_a_versioned_bucket() {
    let Some(sw) = s3::server() else { return };
    let data = tempfile::tempdir().unwrap();
    let mut config = base_config(&data);
    assert!(s3::use_s3(&mut config, s3::BUCKET));
    if let Some(s) = config.storage.s3.as_mut() {
        s.allowed_endpoints = vec!["https://s3.fr-par.scw.cloud".into()];
    }
    let msg = start_error(config).await;
    assert!(msg.contains("storage.s3.allowed_endpoints"), "{msg}");

    // A readable secret file is refused like every secret.
    let data = tempfile::tempdir().unwrap();
    let mut config = base_config(&data);
    assert!(s3::use_s3(&mut config, s3::BUCKET));
    let secret = data.path().join("s3-secret");
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let msg = start_error(config).await;
    assert!(
        msg.contains("storage.s3.secret_access_key_file") && msg.contains("chmod 600"),
        "{msg}"
    );

    // A bucket whose versioning was enabled keeps old versions after a delete: refused.
    let data = tempfile::tempdir().unwrap();
    let mut config = base_config(&data);
    assert!(s3::use_s3(&mut config, s3::VERSIONED_BUCKET));
    let s = config.storage.s3.clone().unwrap();
    let mut tries = 0;
    loop {
        let r = storage::backend::s3::enable_versioning_for_tests(&storage::S3Config {
            endpoint: sw.endpoint.clone(),
            bucket: s.bucket.clone(),
            region: s.region.clone(),
            access_key_id: s.access_key_id.clone(),
            secret_access_key: std::fs::read_to_string(&s.secret_access_key_file).unwrap(),
            path_style: true,
            prefix: String::new(),
            country: "FR".into(),
            allowed_endpoints: s.allowed_endpoints.clone(),
            ca_pem: None,
            sweep_older_than: std::time::Duration::ZERO,
            staging_dir: None,
        })
        .await;
        match r {
            Ok(()) => break,
            Err(_) if tries < 100 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    let msg = start_error(config).await;
    assert!(
        msg.contains("versioning is Enabled") && msg.contains("crypto-shredding"),
        "{msg}"
    );
}
