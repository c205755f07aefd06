//! Each hostile file alone and eight at once, as a deposit and as a result.

use crate::process::RealGateway;
use passerelle_tests::hostile;
use passerelle_tests::prelude::*;
use serde_json::{json, Value};
use std::io::Read as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

passerelle_tests::on_every_backend!(
    hostile_deposits_are_held_and_the_gateway_stays_up,
    hostile_results_are_refused_until_a_manager_overrides,
);

/// One gateway at a time in this process, so that its memory is measured alone.
pub(crate) static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The gateway's resident memory must stay under this (the bound).
const GATEWAY_RSS_LIMIT_KIB: u64 = 128 * 1024;

/// Every small hostile file of issue 11, named with the extension it is uploaded under; each one
/// must end `unreadable`, never clean and never an error.
fn hostile_files() -> Vec<(String, Vec<u8>)> {
    let mut sheets = std::io::Cursor::new(Vec::new());
    hostile::write_xlsx_many_sheets(&mut sheets, 1000, 4096).unwrap();
    let mut long_line = Vec::new();
    hostile::LongLineCsv::new(8 << 20)
        .read_to_end(&mut long_line)
        .unwrap();
    vec![
        ("sst.xlsx".into(), hostile::xlsx_huge_shared_string_count()),
        ("dimensions.xls".into(), hostile::xls_huge_dimensions()),
        ("repeated.ods".into(), hostile::ods_repeated_cells()),
        ("sheets.xlsx".into(), sheets.into_inner()),
        ("line.csv".into(), long_line),
        ("pdf.zip".into(), hostile::zip_with_pdf()),
        ("nested.zip".into(), hostile::zip_nested()),
        ("bomb.zip".into(), hostile::zip_small_bomb_entry()),
    ]
}

/// Files that were hostile before issue 11 only through what a reader made of them (7 MB of
/// shared strings took the gateway to 3.1 GiB): now read within bounds, whatever they conclude.
fn heavy_files() -> Vec<(String, Vec<u8>)> {
    vec![(
        "strings.xlsx".into(),
        hostile::xlsx_big_shared_strings(256, 32_000),
    )]
}

/// Polls `/healthz` until stopped; returns the slowest answer, or panics on a failure.
fn watch_health(gw: &RealGateway) -> (Arc<AtomicBool>, tokio::task::JoinHandle<Duration>) {
    let stop = Arc::new(AtomicBool::new(false));
    let (client, url, flag) = (gw.client.clone(), gw.url("/healthz"), stop.clone());
    let handle = tokio::spawn(async move {
        let mut slowest = Duration::ZERO;
        while !flag.load(Ordering::Relaxed) {
            let started = Instant::now();
            let r = tokio::time::timeout(Duration::from_secs(5), client.get(&url).send())
                .await
                .expect("/healthz did not answer within 5 s")
                .expect("/healthz failed");
            assert_eq!(r.status(), 200);
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        slowest
    });
    (stop, handle)
}

/// Stops the watch; checks `/healthz` never took a second, and the memory of the gateway and of
/// its workers.
async fn finish(
    gw: &RealGateway,
    stop: Arc<AtomicBool>,
    handle: tokio::task::JoinHandle<Duration>,
) {
    stop.store(true, Ordering::Relaxed);
    let slowest = handle.await.unwrap();
    assert!(
        slowest < Duration::from_secs(1),
        "/healthz took {slowest:?} while hostile files were checked"
    );
    let peak = gw.status_kib("VmHWM:");
    eprintln!("gateway peak resident memory: {peak} KiB");
    assert!(
        peak < GATEWAY_RSS_LIMIT_KIB,
        "the gateway peaked at {peak} KiB"
    );
    for worker in gw.worker_peaks_kib() {
        assert!(worker < 256 * 1024, "a worker peaked at {worker} KiB");
    }
}

/// A seeded exchange served by the real binary.
async fn real_exchange(b: Backend) -> (RealGateway, Exchange) {
    let app = TestApp::spawn_at(b, chrono::Utc::now(), |_| {}).await;
    let x = app.exchange().await;
    // Bearer sessions live in the database: the seeded tokens work against the real process.
    let gw = RealGateway::start(app.detach()).await;
    (gw, x)
}

async fn post(gw: &RealGateway, token: &str, path: &str, body: Value) -> reqwest::Response {
    gw.client
        .post(gw.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn assert_unreadable_deposit(name: &str, file: &Value) {
    assert_eq!(file["checks"]["status"], "quarantined", "{name}: {file}");
    let findings = file["checks"]["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["kind"] == "unreadable"),
        "{name}: {file}"
    );
}

async fn hostile_deposits_are_held_and_the_gateway_stays_up(b: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (gw, x) = real_exchange(b).await;
    let (stop, watch) = watch_health(&gw);
    // One at a time.
    for (name, bytes) in hostile_files() {
        let file = Upload::deposit(&name, bytes)
            .send_ok(&gw.client, &gw.base, &x.depositor.token, &x.mission)
            .await;
        assert_unreadable_deposit(&name, &file);
        // Held: the processor does not see it.
        let r = gw
            .client
            .get(gw.url(&format!("/api/v1/missions/{}/files", x.mission)))
            .bearer_auth(&x.processor.token)
            .send()
            .await
            .unwrap();
        let seen: Value = r.json().await.unwrap();
        assert!(
            !seen["files"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["id"] == file["id"]),
            "{name}"
        );
    }
    for (name, bytes) in heavy_files() {
        let file = Upload::deposit(&name, bytes)
            .send_ok(&gw.client, &gw.base, &x.depositor.token, &x.mission)
            .await;
        let status = file["checks"]["status"].as_str().unwrap_or_default();
        assert!(["clean", "quarantined"].contains(&status), "{name}: {file}");
    }
    // Eight at once.
    let files = hostile_files();
    let uploads = (0..8).map(|i| {
        let (name, bytes) = files[i % files.len()].clone();
        let (gw, token, mission) = (&gw, x.depositor.token.clone(), x.mission.clone());
        async move {
            let file = Upload::deposit(&name, bytes)
                .send_ok(&gw.client, &gw.base, &token, &mission)
                .await;
            assert_unreadable_deposit(&name, &file);
        }
    });
    futures::future::join_all(uploads).await;
    finish(&gw, stop, watch).await;
}

async fn hostile_results_are_refused_until_a_manager_overrides(b: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (gw, x) = real_exchange(b).await;
    let (stop, watch) = watch_health(&gw);
    // Results are csv, xlsx, ods, pdf or zip.
    let mut files: Vec<_> = hostile_files()
        .into_iter()
        .filter(|(name, _)| !name.ends_with(".xls"))
        .collect();
    files.push((
        "tableau.pdf".into(),
        b"%PDF-1.4\nnb_menages 3\n%%EOF\n".to_vec(),
    ));
    for (name, bytes) in files {
        let file = Upload::result(&name, bytes)
            .send_ok(&gw.client, &gw.base, &x.processor.token, &x.mission)
            .await;
        let id = file["id"].as_str().unwrap();
        let r = post(
            &gw,
            &x.processor.token,
            &format!("/api/v1/files/{id}/release"),
            json!({}),
        )
        .await;
        assert_eq!(r.status(), 409, "{name}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "disclosure_check_failed", "{name}: {v}");
        assert_eq!(
            v["violations"],
            json!([{"sheet": null, "row": null, "column": null, "value": null, "rule": "unreadable",
                    "message": v["violations"][0]["message"]}]),
            "{name}: {v}"
        );
        // The manager of the controller organisation may override, with a justification.
        let r = post(
            &gw,
            &x.manager.token,
            &format!("/api/v1/files/{id}/release"),
            json!({"override_justification": "Tableau relu à la main : aucun effectif sous 11."}),
        )
        .await;
        assert_eq!(r.status(), 200, "{name}");
    }
    finish(&gw, stop, watch).await;
}
