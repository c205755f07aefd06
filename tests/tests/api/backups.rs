//! Backups hold no key; key exports older than the retention are refused; a mission destroyed
//! before a backup stays destroyed after a restore.

use crate::destruction::*;
use chrono::Duration;
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

// Backups hold no key; a restore needs a recent key export; destroyed missions stay destroyed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_hold_no_key_and_old_key_exports_are_refused() {
    let s = setup(Backend::Sqlite, None).await;
    let app = &s.app;
    let content = format!("logement;{MARKER}\n1;2\n");
    let file = id_of(
        &app.upload_deposit(&s.depositor.token, &s.mission, "ops.csv", &content)
            .await,
    );
    let clock: gateway::clock::SharedClock = std::sync::Arc::new(app.clock.clone());
    let work = tempfile::tempdir().unwrap();
    let export = work.path().join("cles.json");
    let backup = work.path().join("sauvegarde");
    gateway::backup::export_keys(app.config.clone(), clock.clone(), &export)
        .await
        .unwrap();
    gateway::backup::backup(app.config.clone(), clock.clone(), &backup)
        .await
        .unwrap();

    // Nothing in the backup can decrypt anything: no key file, no master key, no plaintext.
    let master = std::fs::read(app.data.path().join("master.key")).unwrap();
    for path in files_under(&backup) {
        let name = path.to_string_lossy().to_string();
        assert!(
            !name.ends_with(".key") && !name.ends_with(".service"),
            "{name}"
        );
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
            "plaintext in {name}"
        );
        assert!(
            !bytes.windows(master.len()).any(|w| w == master.as_slice()),
            "master key in {name}"
        );
    }

    // A restore with a recent export: logins (sealed TOTP secrets) and content come back.
    app.clock.advance(Duration::days(1));
    let restored_dir = work.path().join("restauree");
    let mut restored = app.config.clone();
    restored.data_dir = restored_dir.clone();
    restored.master_key.file = Some(app.data.path().join("master.key"));
    restored.listen = "127.0.0.1:0".parse().unwrap();
    let summary = gateway::backup::restore(restored.clone(), clock.clone(), &backup, &export)
        .await
        .unwrap();
    assert!(summary.contains("restored"), "{summary}");
    let second = gateway::Application::build(restored.clone(), clock.clone())
        .await
        .unwrap();
    let addr = second.local_addr();
    tokio::spawn(second.run_until(std::future::pending()));
    let cert = std::fs::read(restored_dir.join("tls/cert.pem")).unwrap();
    let client = client_for(&cert, addr);
    let base = format!("https://localhost:{}", addr.port());
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": s.depositor.username, "password": s.depositor.password}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let r = client
        .post(format!("{base}/api/v1/auth/totp"))
        .json(&json!({"challenge": v["challenge"], "code": app.code(&s.depositor.totp_secret)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the TOTP secret is readable after restore");
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = client
        .get(format!("{base}/api/v1/files/{file}/content"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), content);
    assert!(
        gateway::backup::restore(restored, clock.clone(), &backup, &export)
            .await
            .is_err(),
        "never over live data"
    );

    // An export older than the retention is refused.
    app.clock.advance(Duration::days(30));
    let mut late = app.config.clone();
    late.data_dir = work.path().join("trop-tard");
    late.master_key.file = Some(app.data.path().join("master.key"));
    let err = gateway::backup::restore(late, clock.clone(), &backup, &export)
        .await
        .unwrap_err();
    assert!(
        matches!(err, gateway::backup::BackupError::ExportTooOld(_))
            && err
                .to_string()
                .contains("older than the key-export retention"),
        "{err}"
    );

    // A mission destroyed before the backup stays destroyed, even with an export holding its key.
    let t = tokens(app, &s).await;
    let recent_export = work.path().join("cles-recentes.json");
    gateway::backup::export_keys(app.config.clone(), clock.clone(), &recent_export)
        .await
        .unwrap();
    let r = app
        .post_as(
            &t.admin,
            &format!("/api/v1/missions/{}/close", s.mission),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let after = work.path().join("sauvegarde-apres");
    gateway::backup::backup(app.config.clone(), clock.clone(), &after)
        .await
        .unwrap();
    let mut again = app.config.clone();
    again.data_dir = work.path().join("restauree-2");
    again.master_key.file = Some(app.data.path().join("master.key"));
    gateway::backup::restore(again.clone(), clock.clone(), &after, &recent_export)
        .await
        .unwrap();
    let reopened = gateway::app::open(again, clock).await.unwrap();
    assert!(reopened
        .blobs
        .keys()
        .is_destroyed(&s.mission)
        .await
        .unwrap());
}
