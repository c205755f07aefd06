//! Scheduled backups (issue 17): once a day after `backups.schedule`, once across instances,
//! older folders pruned by the key-export retention, the off-site hook run; a failure shows on
//! the administration home page, is e-mailed to platform administrators and audited.

use chrono::Duration;
use passerelle_tests::pages::{get, web_sign_in};
use passerelle_tests::prelude::*;

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn a_scheduled_backup_runs_once_prunes_and_reports_its_failure(b: Backend) {
    let postgres = matches!(b, Backend::Postgres(_));
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("sauvegardes");
    let offsite = work.path().join("hors-site");
    let fail_flag = work.path().join("copie-impossible");
    std::fs::create_dir_all(&offsite).unwrap();
    // Folders of earlier days: one older than the 30-day key-export retention, one within it,
    // and a folder that is not one of ours.
    for old in [
        "passerelle-backup-2026-12-01",
        "passerelle-backup-2027-01-01",
        "a-garder",
    ] {
        std::fs::create_dir_all(root.join(old)).unwrap();
    }
    let hook = format!(
        "if [ -e '{}' ]; then echo 'copie hors site impossible' >&2; exit 3; fi; cp -r \"$1\" '{}'",
        fail_flag.display(),
        offsite.display()
    );
    let (root_c, hook_c) = (root.clone(), hook.clone());
    let app = TestApp::spawn_with(b, move |c| {
        // The clock starts at 09:00 in Paris: not due before 10:00.
        c.backups.schedule = Some("10:00".into());
        c.backups.dir = Some(root_c);
        c.backups.command = Some(vec!["/bin/sh".into(), "-c".into(), hook_c, "hook".into()]);
        c.sweep_interval_secs = 3600;
    })
    .await;
    let admin = app.admin("operateur").await;
    // A second instance on the same PostgreSQL database (SQLite: the same one twice).
    let second_dir = tempfile::tempdir().unwrap();
    let second = if postgres {
        let mut config = app.config.clone();
        config.data_dir = second_dir.path().to_path_buf();
        let clock: gateway::clock::SharedClock = std::sync::Arc::new(app.clock.clone());
        gateway::app::open(config, clock).await.unwrap()
    } else {
        app.core.clone()
    };

    // 09:00: not yet.
    assert_eq!(app.core.scheduled_backup().await.unwrap(), None);
    assert!(!root.join("passerelle-backup-2027-01-15").exists());

    // 10:30: both instances try at once; one runs it.
    app.clock.advance(Duration::minutes(90));
    let (x, y) = tokio::join!(app.core.scheduled_backup(), second.scheduled_backup());
    let runs: Vec<_> = [x.unwrap(), y.unwrap()].into_iter().flatten().collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(run.error, None, "{run:?}");
    assert_eq!(run.pruned, 1);
    assert_eq!(
        names(&root),
        [
            "a-garder",
            "passerelle-backup-2027-01-01",
            "passerelle-backup-2027-01-15"
        ]
    );
    let today = root.join("passerelle-backup-2027-01-15");
    let manifest = std::fs::read_to_string(today.join("manifest.json")).unwrap();
    assert!(manifest.contains("passerelle-backup"), "{manifest}");
    // The manifest names the backend the blobs came from (S3 under PASSERELLE_TEST_BLOBS=s3).
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(
        manifest["storage"]["backend"],
        app.core.blobs.backend().kind()
    );
    assert!(today.join("blobs").is_dir());
    assert!(today.join("database.json").exists());
    // The hook copied it off-site.
    assert!(offsite
        .join("passerelle-backup-2027-01-15")
        .join("manifest.json")
        .exists());
    // Later the same day: nothing more.
    app.clock.advance(Duration::hours(5));
    assert_eq!(app.core.scheduled_backup().await.unwrap(), None);
    assert_eq!(second.scheduled_backup().await.unwrap(), None);

    // The next day the off-site copy fails: recorded, shown, e-mailed, audited.
    std::fs::write(&fail_flag, b"").unwrap();
    app.clock.advance(Duration::hours(19));
    let run = app.core.scheduled_backup().await.unwrap().unwrap();
    let error = run.error.unwrap();
    assert!(error.contains("copie hors site impossible"), "{error}");
    assert!(root.join("passerelle-backup-2027-01-16").exists());
    web_sign_in(&app, &admin).await;
    let p = get(&app, "/admin").await;
    assert_eq!(p.status, 200, "{}", p.html);
    p.assert_contains("La dernière sauvegarde programmée a échoué");
    p.assert_contains("copie hors site impossible");
    let subjects: Vec<String> =
        sqlx::query_scalar("SELECT subject FROM outgoing_mail WHERE recipient = $1")
            .bind("operateur@operateur.fr")
            .fetch_all(&app.core.db.pool)
            .await
            .unwrap();
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("Échec de la sauvegarde du 2027-01-16")),
        "{subjects:?}"
    );
    let outcomes: Vec<String> = sqlx::query_scalar(
        "SELECT outcome FROM audit_events WHERE action = 'backup.scheduled' ORDER BY seq",
    )
    .fetch_all(&app.core.db.pool)
    .await
    .unwrap();
    assert_eq!(outcomes, ["success", "failed"]);
}

passerelle_tests::on_every_backend!(a_scheduled_backup_runs_once_prunes_and_reports_its_failure);
