//! Each hostile file alone and eight at once, as a deposit and as a result.

use crate::helpers::*;
use crate::process::RealGateway;
use crate::support::*;
use serde_json::{json, Value};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

crate::on_every_backend!(
    hostile_deposits_are_held_and_the_gateway_stays_up,
    hostile_results_are_refused_until_a_manager_overrides,
);

/// One gateway at a time in this process, so that its memory is measured alone.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The gateway's resident memory must stay under this (the issue's bound).
const GATEWAY_RSS_LIMIT_KIB: u64 = 128 * 1024;

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in entries {
        let options =
            zip::write::SimpleFileOptions::default().compression_method(if *name == "mimetype" {
                zip::CompressionMethod::Stored
            } else {
                zip::CompressionMethod::Deflated
            });
        out.start_file(*name, options).unwrap();
        out.write_all(body).unwrap();
    }
    out.finish().unwrap().into_inner()
}

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const DOC_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A 2 KB xlsx whose shared-string table claims a trillion entries.
fn xlsx_with_huge_unique_count() -> Vec<u8> {
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
    let rels = format!(
        r#"<Relationships xmlns="{REL_NS}"><Relationship Id="rId1" Type="{DOC_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<workbook xmlns="{MAIN_NS}" xmlns:r="{DOC_REL}"><sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let wb_rels = format!(
        r#"<Relationships xmlns="{REL_NS}"><Relationship Id="rId1" Type="{DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{DOC_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
    );
    let sst = format!(
        r#"<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1000000000000"><si><t>commune</t></si></sst>"#
    );
    let sheet = format!(
        r#"<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#
    );
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", wb_rels.as_bytes()),
        ("xl/sharedStrings.xml", sst.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}

/// A 3 KB ods whose one repeated cell stands for sixteen billion.
fn ods_of_repeated_cells() -> Vec<u8> {
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let content = r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Feuille1"><table:table-row><table:table-cell office:value-type="string"><text:p>nb_menages</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16000" office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    zip_of(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet".as_slice(),
        ),
        ("META-INF/manifest.xml", manifest.as_bytes()),
        ("content.xml", content.as_bytes()),
    ])
}

/// Every hostile file, named with the extension it is uploaded under.
fn hostile_files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("sst.xlsx".into(), xlsx_with_huge_unique_count()),
        ("repeated.ods".into(), ods_of_repeated_cells()),
    ]
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
    let app = spawn_app_at(b, chrono::Utc::now(), |_| {}).await;
    let x = exchange(&app).await;
    // Bearer sessions live in the database: the seeded tokens work against the real process.
    let gw = RealGateway::start(app.detach()).await;
    (gw, x)
}

async fn upload(
    gw: &RealGateway,
    token: &str,
    mission: &str,
    folder: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let r = gw
        .client
        .post(gw.url(&format!("/api/v1/missions/{mission}/{folder}")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 201, "upload of {name:?} to {folder}: {text}");
    serde_json::from_str(&text).unwrap()
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
        let file = upload(
            &gw,
            &x.depositor.token,
            &x.mission,
            "deposits",
            &name,
            bytes,
        )
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
    // Eight at once.
    let files = hostile_files();
    let uploads = (0..8).map(|i| {
        let (name, bytes) = files[i % files.len()].clone();
        let (gw, token, mission) = (&gw, x.depositor.token.clone(), x.mission.clone());
        async move {
            let file = upload(gw, &token, &mission, "deposits", &name, bytes).await;
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
    let mut files = hostile_files();
    files.push((
        "tableau.pdf".into(),
        b"%PDF-1.4\nnb_menages 3\n%%EOF\n".to_vec(),
    ));
    for (name, bytes) in files {
        let file = upload(&gw, &x.processor.token, &x.mission, "results", &name, bytes).await;
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
