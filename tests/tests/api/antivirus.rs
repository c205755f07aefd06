//! Antivirus (issue 11, point 5): every upload is scanned by a real clamd before anyone else sees
//! it; a virus is refused and removed, an unscanned file is held (`pending_scan`) until a scan
//! succeeds.

use crate::clamd::{eicar, Clamd, EICAR_NAME, MAX_FILE_SIZE, STREAM_MAX_LENGTH};
use passerelle_tests::prelude::*;
use serde_json::{json, Value};
use std::io::Write as _;
use std::time::Duration;

passerelle_tests::on_every_backend!(
    infected_uploads_are_refused_and_nothing_is_kept,
    unscanned_files_are_held_until_clamd_answers_again,
    files_over_clamd_limits_are_held_not_deleted,
);

/// A gateway scanning with `clamd` (on its Unix socket, or its TCP address when `tcp`), its
/// housekeeping every second.
async fn app_with(b: Backend, clamd: &Clamd, tcp: bool) -> TestApp {
    let (socket, address) = if tcp {
        (None, Some(clamd.tcp.clone()))
    } else {
        (Some(clamd.socket.clone()), None)
    };
    TestApp::spawn_with(b, move |c| {
        c.antivirus.clamd_socket = socket;
        c.antivirus.clamd_address = address;
        c.antivirus.connect_timeout_secs = 2;
        c.antivirus.timeout_secs = 10;
        c.sweep_interval_secs = 1;
    })
    .await
}

/// An OPS-like CSV of about `size` bytes.
fn csv_of(size: usize) -> Vec<u8> {
    let mut v = b"code_commune;nb_logements\n".to_vec();
    let mut i = 0u64;
    while v.len() < size {
        v.extend_from_slice(format!("{:05};{}\n", 62000 + i % 1000, 11 + i % 89).as_bytes());
        i += 1;
    }
    v
}

/// A zip of `(name, content)` entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in entries {
        w.start_file(
            *name,
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(content).unwrap();
    }
    w.finish().unwrap().into_inner()
}

async fn rows_of(app: &TestApp, mission: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM files WHERE mission_id = $1")
        .bind(mission)
        .fetch_one(&app.core.db.pool)
        .await
        .unwrap()
}

async fn events(app: &TestApp, mission: &str) -> Vec<gateway::db::audit::AuditRow> {
    gateway::db::audit::list(&app.core.db, Some(mission), 0, 10_000)
        .await
        .unwrap()
}

async fn file_as(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    let r = app.get_as(token, &format!("/api/v1/files/{id}")).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn infected_uploads_are_refused_and_nothing_is_kept(b: Backend) {
    let clamd = Clamd::start().await;
    // Over TCP (`antivirus.clamd_address`); the other tests use the Unix socket.
    let app = app_with(b, &clamd, true).await;
    let x = app.exchange().await;

    // A clean deposit and a clean result go through as without an antivirus.
    let clean = csv_of(4000);
    let f = app
        .upload_deposit(&x.depositor.token, &x.mission, "ops.csv", &clean)
        .await;
    assert_eq!(f["checks"]["status"], "clean", "{f}");
    let id = f["id"].as_str().unwrap();
    assert_eq!(app.download(&x.processor.token, id).await, clean);
    let r = app
        .upload_result(
            &x.processor.token,
            &x.mission,
            "results_ok.csv",
            &fixture("results_ok.csv"),
        )
        .await;
    assert!(r["checks"].is_null(), "no check before release: {r}");
    app.release(&x.processor.token, r["id"].as_str().unwrap())
        .await;

    let rows = rows_of(&app, &x.mission).await;
    let stored = stored_files(app.data.path());
    let attempts: [(&Account, &str, &str, Vec<u8>); 3] = [
        (&x.depositor, "deposits", "eicar.csv", eicar()),
        (
            &x.depositor,
            "deposits",
            "archive.zip",
            zip_of(&[("ops.csv", &clean), ("notes/readme.txt", &eicar())]),
        ),
        (&x.processor, "results", "resultats.csv", eicar()),
    ];
    for (who, folder, name, content) in attempts {
        let r = app
            .upload(&who.token, &x.mission, Upload::to(folder, name, &content))
            .await;
        let status = r.status();
        let v = body(r).await;
        assert_eq!(status, 422, "{name}: {v}");
        assert_eq!(v["error"], "invalid_request", "{v}");
        assert!(
            v["message"].as_str().unwrap().contains(EICAR_NAME),
            "the message names the signature: {v}"
        );
    }
    assert_eq!(rows_of(&app, &x.mission).await, rows, "no row is kept");
    assert_nothing_stored(
        &stored,
        &stored_files(app.data.path()),
        1,
        "infected uploads",
    );
    assert_eq!(
        app.list_files(&x.depositor.token, &x.mission).await.len(),
        2
    );

    let trail = events(&app, &x.mission).await;
    let viruses: Vec<_> = trail.iter().filter(|e| e.action == "file.virus").collect();
    assert_eq!(viruses.len(), 3, "one file.virus per infected upload");
    for e in &viruses {
        assert_eq!(e.outcome, "denied");
        assert!(e.detail.as_deref().unwrap().contains(EICAR_NAME), "{e:?}");
    }
    assert_eq!(viruses[0].actor.as_deref(), Some(x.depositor.id.as_str()));
    assert!(app.core.audit.verify().await.unwrap().is_ok());
}

async fn unscanned_files_are_held_until_clamd_answers_again(b: Backend) {
    let mut clamd = Clamd::start().await;
    let app = app_with(b, &clamd, false).await;
    let x = app.exchange().await;
    let colleague = app.user(&x.admin, "collegue.henin", &x.bailleur).await;
    let other_bailleur_org = app.organisation(&x.admin, "Logis Carvin", "bailleur").await;
    let other_bailleur = app.user(&x.admin, "carvin", &other_bailleur_org).await;
    let other_cabinet = app
        .organisation(&x.admin, "Autre Cabinet", "consultancy")
        .await;
    let other_processor = app.user(&x.admin, "analyste2", &other_cabinet).await;
    app.add_participant(&x.admin.token, &x.mission, &colleague.id, "depositor")
        .await;
    app.add_participant(&x.admin.token, &x.mission, &other_bailleur.id, "depositor")
        .await;
    app.add_participant(&x.admin.token, &x.mission, &other_processor.id, "processor")
        .await;

    clamd.stop().await;
    let content = csv_of(5000);
    let f = app
        .upload_deposit(&x.depositor.token, &x.mission, "ops.csv", &content)
        .await;
    assert_eq!(f["checks"]["status"], "pending_scan", "{f}");
    let deposit = f["id"].as_str().unwrap().to_owned();
    let r = app
        .upload_result(
            &x.processor.token,
            &x.mission,
            "results_ok.csv",
            &fixture("results_ok.csv"),
        )
        .await;
    assert_eq!(r["checks"]["status"], "pending_scan", "{r}");
    let result = r["id"].as_str().unwrap().to_owned();
    let v = app
        .upload_deposit(&x.depositor.token, &x.mission, "x.csv", &eicar())
        .await;
    assert_eq!(v["checks"]["status"], "pending_scan", "{v}");
    let infected = v["id"].as_str().unwrap().to_owned();

    // Held: only the uploader's organisation sees them, and nobody receives them.
    for outsider in [
        &x.processor,
        &other_processor,
        &other_bailleur,
        &x.admin,
        &x.recipient,
    ] {
        let listed = ids(&app.list_files(&outsider.token, &x.mission).await);
        assert!(!listed.contains(&deposit) && !listed.contains(&infected));
        assert_eq!(file_as(&app, &outsider.token, &deposit).await.0, 404);
        let r = app
            .get_as(&outsider.token, &format!("/api/v1/files/{deposit}/content"))
            .await;
        assert_eq!(r.status(), 404);
    }
    assert!(!ids(&app.list_files(&other_processor.token, &x.mission).await).contains(&result));
    assert!(ids(&app.list_files(&colleague.token, &x.mission).await).contains(&deposit));
    for (who, id) in [
        (&colleague, &deposit),
        (&x.depositor, &deposit),
        (&x.processor, &result),
    ] {
        let r = app
            .get_as(&who.token, &format!("/api/v1/files/{id}/content"))
            .await;
        assert_error(r, 409, "conflict", "not downloadable before its scan").await;
    }
    let r = app
        .post_as(
            &x.processor.token,
            &format!("/api/v1/files/{result}/release"),
            json!({}),
        )
        .await;
    assert_error(r, 409, "conflict", "not releasable before its scan").await;
    let r = app
        .post_as(
            &colleague.token,
            &format!("/api/v1/files/{deposit}/confirm"),
            json!({"justification": "x"}),
        )
        .await;
    assert_error(r, 409, "conflict", "nothing to confirm before its scan").await;
    // Housekeeping runs meanwhile without changing anything.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        file_as(&app, &x.depositor.token, &deposit).await.1["checks"]["status"],
        "pending_scan"
    );
    let held: Vec<_> = events(&app, &x.mission)
        .await
        .into_iter()
        .filter(|e| e.action == "file.scan_held")
        .collect();
    assert_eq!(held.len(), 3);
    assert!(held.iter().all(|e| e.outcome == "failed"
        && e.detail
            .as_deref()
            .unwrap()
            .contains("clamd cannot be reached")));

    // clamd is back: the housekeeping loop finishes the scans.
    clamd.resume().await;
    let mut seen = false;
    for _ in 0..150 {
        if ids(&app.list_files(&x.processor.token, &x.mission).await).contains(&deposit) {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the deposit proceeds once clamd answers");
    let (_, f) = file_as(&app, &x.processor.token, &deposit).await;
    assert_eq!(
        f["checks"]["status"], "clean",
        "the identifier scan ran: {f}"
    );
    assert_eq!(app.download(&x.processor.token, &deposit).await, content);
    let mut finished = false;
    for _ in 0..50 {
        let (_, r) = file_as(&app, &x.processor.token, &result).await;
        if r["checks"].is_null() {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(finished, "the result is back to no check status");
    app.release(&x.processor.token, &result).await;
    // The housekeeping loop scans the held files in no set order: the infected one may come last.
    let mut removed = false;
    for _ in 0..150 {
        if file_as(&app, &x.depositor.token, &infected).await.0 == 404 {
            removed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(removed, "the virus is removed");
    let trail = events(&app, &x.mission).await;
    assert_eq!(
        trail
            .iter()
            .filter(|e| e.action == "file.scan" && e.outcome == "success")
            .count(),
        2
    );
    let virus = trail.iter().find(|e| e.action == "file.virus").unwrap();
    assert_eq!(virus.outcome, "denied");
    assert_eq!(virus.file_id.as_deref(), Some(infected.as_str()));
    assert!(virus.detail.as_deref().unwrap().contains(EICAR_NAME));
    assert!(app.core.audit.verify().await.unwrap().is_ok());
}

async fn files_over_clamd_limits_are_held_not_deleted(b: Backend) {
    let clamd = Clamd::start().await;
    let app = app_with(b, &clamd, false).await;
    let x = app.exchange().await;
    // Past MaxFileSize clamd says `Heuristics.Limits.Exceeded.MaxFileSize FOUND` (AlertExceedsMax);
    // past StreamMaxLength, `INSTREAM size limit exceeded. ERROR`. A zip entry past the limits,
    // a virus at its end, is not passed as clean either (with MaxFileSize below MaxScanSize,
    // clamd 1.4 would scan its first MaxFileSize bytes only and answer OK).
    let big = MAX_FILE_SIZE + MAX_FILE_SIZE / 2;
    let mut tail_virus = csv_of(big);
    tail_virus.extend_from_slice(&eicar());
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "over_max_file_size.csv",
            csv_of(big),
            "Heuristics.Limits.Exceeded.MaxFileSize",
        ),
        (
            "over_stream_max_length.csv",
            csv_of(STREAM_MAX_LENGTH + MAX_FILE_SIZE),
            "INSTREAM size limit exceeded",
        ),
        (
            "large_entry.zip",
            zip_of(&[("ops.csv", &tail_virus)]),
            "Heuristics.Limits.Exceeded",
        ),
    ];
    let mut held = Vec::new();
    for (name, content, _) in &cases {
        let f = app
            .upload_deposit(&x.depositor.token, &x.mission, name, content)
            .await;
        assert_eq!(f["checks"]["status"], "pending_scan", "{name}: {f}");
        held.push(f["id"].as_str().unwrap().to_owned());
    }
    // Retried at every pass, still over the limits: held, never deleted, never delivered.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    for id in &held {
        let (status, f) = file_as(&app, &x.depositor.token, id).await;
        assert_eq!(
            (status, f["checks"]["status"].as_str()),
            (200, Some("pending_scan"))
        );
        assert_eq!(file_as(&app, &x.processor.token, id).await.0, 404);
    }
    let trail = events(&app, &x.mission).await;
    for ((name, _, reason), id) in cases.iter().zip(&held) {
        let e = trail
            .iter()
            .find(|e| e.action == "file.scan_held" && e.file_id.as_deref() == Some(id.as_str()))
            .unwrap_or_else(|| panic!("{name}: no file.scan_held"));
        let detail = e.detail.as_deref().unwrap_or_default();
        assert!(detail.contains(reason), "{name}: {detail}");
    }
    assert!(trail.iter().all(|e| e.action != "file.virus"));
    // Its uploader may still delete it.
    let r = app
        .delete_as(&x.depositor.token, &format!("/api/v1/files/{}", held[0]))
        .await;
    assert_eq!(r.status(), 204);
}
