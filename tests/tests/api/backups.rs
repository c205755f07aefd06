//! Backups hold no key; key exports older than the retention are refused; a mission destroyed
//! before a backup stays destroyed after a restore.

use crate::destruction::*;
use chrono::Duration;
use gateway::blob_backend::BackendKind;
use passerelle_tests::app::ScratchPostgres;
use passerelle_tests::prelude::*;
use passerelle_tests::s3;
use serde_json::{json, Value};
use std::path::Path;

/// Makes a restore target (whose `data_dir` is set) keep its blobs apart from the source's:
/// a fresh prefix of the test bucket when the source is on S3, `<data_dir>/blobs` otherwise.
fn fresh_blobs(config: &mut gateway::Config) {
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.storage.dir = None;
    if config.storage.backend == BackendKind::S3 {
        std::fs::create_dir_all(&config.data_dir).unwrap();
        assert!(s3::use_s3(config, s3::BUCKET));
    }
}

/// A restore target in `data_dir`: the source's settings and master key, fresh blobs.
fn restore_config(app: &TestApp, data_dir: std::path::PathBuf) -> gateway::Config {
    let mut config = app.config.clone();
    config.data_dir = data_dir;
    config.master_key.file = Some(app.data.path().join("master.key"));
    fresh_blobs(&mut config);
    config
}

/// Starts a gateway on `config` (a restored one) and downloads `file` there as `who`.
async fn download_from(
    config: gateway::Config,
    app: &TestApp,
    who: &Account,
    file: &str,
) -> Vec<u8> {
    // A new TOTP step: a restored trail may hold the last code used at the source.
    app.clock.advance(Duration::seconds(61));
    let clock: gateway::clock::SharedClock = std::sync::Arc::new(app.clock.clone());
    let cert_file = config.data_dir.join("tls/cert.pem");
    let gw = gateway::Application::build(config, clock).await.unwrap();
    let addr = gw.local_addr();
    tokio::spawn(gw.run_until(std::future::pending()));
    let client = client_for(&std::fs::read(cert_file).unwrap(), addr);
    let base = format!("https://localhost:{}", addr.port());
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": who.username, "password": who.password}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let r = client
        .post(format!("{base}/api/v1/auth/totp"))
        .json(&json!({"challenge": v["challenge"], "code": app.code(&who.totp_secret)}))
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
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

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

    // Every file of the backup is whole: no temporary file is left, and the manifest, written
    // last, is there. A copy without its manifest (a backup interrupted before its end) is refused.
    let names: Vec<String> = files_under(&backup)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with(".tmp-")), "{names:?}");
    assert!(names.iter().any(|n| n == "manifest.json"), "{names:?}");
    let unfinished = work.path().join("inachevee");
    std::fs::create_dir_all(&unfinished).unwrap();
    std::fs::copy(
        backup.join("database.json"),
        unfinished.join("database.json"),
    )
    .unwrap();
    let target = restore_config(app, work.path().join("jamais"));
    let err = gateway::backup::restore(target, clock.clone(), &unfinished, &export)
        .await
        .unwrap_err();
    assert!(
        matches!(err, gateway::backup::BackupError::Invalid(_))
            && err.to_string().contains("not a finished Passerelle backup"),
        "{err}"
    );

    // A restore with a recent export: logins (sealed TOTP secrets) and content come back.
    app.clock.advance(Duration::days(1));
    let restored_dir = work.path().join("restauree");
    let restored = restore_config(app, restored_dir.clone());
    let summary = gateway::backup::restore(restored.clone(), clock.clone(), &backup, &export)
        .await
        .unwrap();
    assert!(summary.contains("restored"), "{summary}");
    let got = download_from(restored.clone(), app, &s.depositor, &file).await;
    assert_eq!(got, content.as_bytes());
    assert!(
        gateway::backup::restore(restored, clock.clone(), &backup, &export)
            .await
            .is_err(),
        "never over live data"
    );

    // An export older than the retention is refused.
    app.clock.advance(Duration::days(30));
    let late = restore_config(app, work.path().join("trop-tard"));
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
    assert!(
        !after.join("blobs").join(&s.mission).exists(),
        "a destroyed mission's blobs are not in the backup"
    );
    let again = restore_config(app, work.path().join("restauree-2"));
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

passerelle_tests::on_every_backend!(a_backup_on_s3_restores_onto_s3_and_onto_local_disk);

/// A restore target in `dir`: blobs on a fresh S3 prefix or on local disk, and a new database
/// (a fresh PostgreSQL one when the source is on PostgreSQL).
async fn target(
    app: &TestApp,
    dir: &Path,
    postgres: Option<&str>,
    on_s3: bool,
) -> (gateway::Config, Option<ScratchPostgres>) {
    let mut config = app.config.clone();
    config.data_dir = dir.to_path_buf();
    config.master_key.file = Some(app.data.path().join("master.key"));
    config.storage.backend = BackendKind::Local;
    config.storage.s3 = None;
    if on_s3 {
        config.storage.backend = BackendKind::S3;
    }
    fresh_blobs(&mut config);
    let scratch = match postgres {
        Some(url) => Some(ScratchPostgres::new(url).await),
        None => None,
    };
    config.database_url = scratch.as_ref().map(|p| p.url.clone());
    (config, scratch)
}

// Issue 16: backup and restore keep their guarantees with blobs on S3. A backup made on S3 holds
// every blob in the local layout and names its backend; it restores onto S3 and onto local disk,
// and a backup of the local one back onto S3, with the same bytes each time; a restore never
// overwrites an object.
async fn a_backup_on_s3_restores_onto_s3_and_onto_local_disk(b: Backend) {
    if s3::server().is_none() {
        return;
    }
    let postgres = match &b {
        Backend::Postgres(url) => Some(url.clone()),
        Backend::Sqlite => None,
    };
    let s = setup_with(b, None, |c| assert!(s3::use_s3(c, s3::BUCKET))).await;
    let app = &s.app;
    // Several read blocks (4 MiB) and several upload parts.
    let content = format!("x;{MARKER}\n{}", "ligne;de;données\n".repeat(600_000));
    let file = id_of(
        &app.upload_deposit(&s.depositor.token, &s.mission, "ops.csv", &content)
            .await,
    );
    let want = sha256_hex(content.as_bytes());
    let clock: gateway::clock::SharedClock = std::sync::Arc::new(app.clock.clone());
    let work = tempfile::tempdir().unwrap();
    let export = work.path().join("cles.json");
    let backup = work.path().join("sauvegarde-s3");
    gateway::backup::export_keys(app.config.clone(), clock.clone(), &export)
        .await
        .unwrap();
    let summary = gateway::backup::backup(app.config.clone(), clock.clone(), &backup)
        .await
        .unwrap();
    assert!(summary.contains("(from s3)"), "{summary}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["storage"],
        json!({"backend": "s3", "country": "FR"})
    );
    // Every blob of the bucket is in the backup, byte for byte, as the local layout has it.
    let backend = app.core.blobs.backend();
    let ids = backend.list(&s.mission).await.unwrap();
    assert!(!ids.is_empty());
    assert_eq!(manifest["blobs"], json!(ids.len()));
    for id in &ids {
        let copy = std::fs::read(backup.join("blobs").join(&s.mission).join(id)).unwrap();
        let source = backend.open(&s.mission, id).await.unwrap();
        let len = usize::try_from(source.len()).unwrap();
        assert_eq!(&source.read_at(0, len).await.unwrap()[..], &copy[..]);
        assert!(!copy.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()));
    }

    // Onto a fresh S3 prefix, and onto local disk.
    let mut s3_target = None;
    let mut local_target = None;
    for (name, on_s3) in [("vers-s3", true), ("vers-disque", false)] {
        let (config, scratch) =
            target(app, &work.path().join(name), postgres.as_deref(), on_s3).await;
        let summary = gateway::backup::restore(config.clone(), clock.clone(), &backup, &export)
            .await
            .unwrap();
        let kind = if on_s3 { "s3" } else { "local" };
        assert!(
            summary.contains(&format!("backed up from s3, written to {kind}")),
            "{summary}"
        );
        let got = download_from(config.clone(), app, &s.depositor, &file).await;
        assert_eq!(sha256_hex(&got), want, "restored onto {kind}");
        if on_s3 {
            s3_target = Some((config, scratch));
        } else {
            assert_eq!(
                std::fs::read_dir(config.blob_dir().join(&s.mission))
                    .unwrap()
                    .count(),
                ids.len()
            );
            local_target = Some((config, scratch));
        }
    }

    // And back: a backup of the gateway restored on local disk restores onto S3.
    let (local, _local_db) = local_target.unwrap();
    let from_local = work.path().join("sauvegarde-disque");
    gateway::backup::backup(local, clock.clone(), &from_local)
        .await
        .unwrap();
    let (config, _db) = target(
        app,
        &work.path().join("retour-s3"),
        postgres.as_deref(),
        true,
    )
    .await;
    let summary = gateway::backup::restore(config.clone(), clock.clone(), &from_local, &export)
        .await
        .unwrap();
    assert!(
        summary.contains("backed up from local, written to s3"),
        "{summary}"
    );
    let got = download_from(config, app, &s.depositor, &file).await;
    assert_eq!(sha256_hex(&got), want, "local backup restored onto S3");

    // A restore onto a prefix that already holds the mission's blobs is refused before writing
    // anything: no object is overwritten, no key or row is written.
    let (occupied, _occupied_db) = s3_target.unwrap();
    let (mut config, _db) = target(
        app,
        &work.path().join("deja-plein"),
        postgres.as_deref(),
        true,
    )
    .await;
    config.storage.s3 = occupied.storage.s3.clone();
    let err = gateway::backup::restore(config.clone(), clock.clone(), &backup, &export)
        .await
        .unwrap_err();
    assert!(
        matches!(err, gateway::backup::BackupError::NotEmpty(_))
            && err.to_string().contains("already holds"),
        "{err}"
    );
    config.storage.s3 = None;
    config.storage.backend = BackendKind::Local;
    let summary = gateway::backup::restore(config, clock.clone(), &backup, &export)
        .await
        .unwrap();
    assert!(
        summary.contains("written to local"),
        "nothing was left behind: {summary}"
    );
}
