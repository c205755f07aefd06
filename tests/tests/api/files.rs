//! Uploads and downloads: fixtures, limits, names, ranges.

use crate::helpers::*;
use serde_json::{json, Value};
use support::*;

/// Helpers shared by the missions, files, permissions and register tests.
#[path = "support.rs"]
pub(crate) mod support;

crate::on_every_backend!(
    other_parts_are_bounded_too,
    the_whole_exchange_with_the_fixtures,
    a_hundred_mebibytes_round_trip,
    uploads_over_the_limit_are_refused,
    hostile_filenames_are_tamed,
    refused_extensions_and_mismatched_content,
    missing_file_part_and_extra_parts,
    ranges_and_download_headers,
    interrupted_uploads_leave_nothing,
    same_name_twice_and_delete,
    colleagues_share_their_organisation_deposits,
    roles_add_up,
);

async fn the_whole_exchange_with_the_fixtures(b: Backend) {
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    let carvin = app.organisation(&x.admin, "Logis Carvin", "bailleur").await;
    let depositor_b = app.user(&x.admin, "depot.carvin", &carvin).await;
    add_participant(
        &app,
        &x.admin.token,
        &x.mission,
        &depositor_b.id,
        "depositor",
    )
    .await;

    let mut deposits = Vec::new();
    for (who, name) in [
        (&x.depositor, "ops_habitat_henin.csv"),
        (&x.depositor, "ops_habitat_henin.xlsx"),
        (&x.depositor, "ops_habitat_henin.ods"),
        (&depositor_b, "ops_logis_carvin_cp1252.csv"),
    ] {
        let bytes = fixture(name);
        let f = upload_ok(&app, &who.token, &x.mission, "deposits", name, &bytes).await;
        assert!(f["id"].as_str().is_some_and(|s| !s.is_empty()), "{f}");
        assert_eq!(f["name"], name);
        assert_eq!(f["size"], bytes.len() as u64, "{f}");
        assert_eq!(f["sha256"], sha256_hex(&bytes), "{f}");
        assert_eq!(f["folder"], "deposits");
        assert_eq!(f["released"], false);
        assert_eq!(f["uploaded_by"], who.id.as_str(), "{f}");
        assert_eq!(f["expires_at"], Value::Null, "{f}");
        assert_eq!(f["mission_id"], x.mission.as_str(), "{f}");
        parse_time(&f["uploaded_at"]);
        deposits.push((name, bytes, f));
    }
    assert_eq!(deposits[0].2["organisation_id"], x.bailleur.as_str());
    assert_eq!(deposits[3].2["organisation_id"], carvin.as_str());

    // The processor lists every deposit and downloads each byte for byte.
    let listed = list_files(&app, &x.processor.token, &x.mission).await;
    assert_eq!(listed.len(), 4, "{listed:?}");
    for (name, bytes, f) in &deposits {
        let id = f["id"].as_str().unwrap();
        let entry = listed.iter().find(|e| e["id"] == id).unwrap();
        for k in [
            "name",
            "size",
            "sha256",
            "folder",
            "organisation_id",
            "uploaded_by",
            "released",
            "expires_at",
        ] {
            assert_eq!(
                entry[k], f[k],
                "{name}: field {k} of the list differs from the upload answer"
            );
        }
        assert_eq!(
            parse_time(&entry["uploaded_at"]),
            parse_time(&f["uploaded_at"])
        );
        let r = app
            .get_as(&x.processor.token, &format!("/api/v1/files/{id}"))
            .await;
        assert_eq!(r.status(), 200);
        let meta = body(r).await;
        assert_eq!(meta["sha256"], f["sha256"]);
        assert_eq!(meta["name"], *name);
        let got = download(&app, &x.processor.token, id).await;
        assert_eq!(got.len(), bytes.len(), "{name}");
        assert_eq!(sha256_hex(&got), sha256_hex(bytes), "{name}");
        assert!(got == *bytes, "{name} differs after the round trip");
    }

    // Results: one released, one not.
    let ok = fixture("results_ok.csv");
    let result = upload_ok(
        &app,
        &x.processor.token,
        &x.mission,
        "results",
        "results_ok.csv",
        &ok,
    )
    .await;
    assert_eq!(result["folder"], "results");
    assert_eq!(result["released"], false);
    assert_eq!(result["sha256"], sha256_hex(&ok));
    assert_eq!(result["organisation_id"], x.consultancy.as_str());
    let result_id = result["id"].as_str().unwrap().to_owned();
    let draft = upload_ok(
        &app,
        &x.processor.token,
        &x.mission,
        "results",
        "brouillon.csv",
        &ok,
    )
    .await;
    let draft_id = draft["id"].as_str().unwrap().to_owned();

    // Nothing released yet: the recipient sees nothing.
    assert!(list_files(&app, &x.recipient.token, &x.mission)
        .await
        .is_empty());
    let r = app
        .get_as(
            &x.recipient.token,
            &format!("/api/v1/files/{result_id}/content"),
        )
        .await;
    assert_error(
        r,
        404,
        "not_found",
        "an unreleased result is invisible to the recipient",
    )
    .await;

    let r = app
        .post_as(
            &x.processor.token,
            &format!("/api/v1/files/{result_id}/release"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let released = body(r).await;
    assert_eq!(released["released"], true);
    assert_eq!(released["id"], result_id.as_str());
    let r = app
        .post_as(
            &x.processor.token,
            &format!("/api/v1/files/{result_id}/release"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "releasing twice is harmless");

    // The EPCI recipient sees only the released result.
    let seen = list_files(&app, &x.recipient.token, &x.mission).await;
    assert_eq!(ids(&seen), vec![result_id.clone()], "{seen:?}");
    assert_eq!(seen[0]["released"], true);
    assert_eq!(download(&app, &x.recipient.token, &result_id).await, ok);
    for id in [draft_id.as_str(), deposits[0].2["id"].as_str().unwrap()] {
        let r = app
            .get_as(&x.recipient.token, &format!("/api/v1/files/{id}"))
            .await;
        assert_error(
            r,
            404,
            "not_found",
            "recipient: unreleased result or deposit",
        )
        .await;
        let r = app
            .get_as(&x.recipient.token, &format!("/api/v1/files/{id}/content"))
            .await;
        assert_error(
            r,
            404,
            "not_found",
            "recipient: unreleased result or deposit content",
        )
        .await;
    }

    // Each bailleur sees its own deposits and the released result.
    let a = list_files(&app, &x.depositor.token, &x.mission).await;
    let mut want: Vec<String> = deposits[..3]
        .iter()
        .map(|d| d.2["id"].as_str().unwrap().to_owned())
        .chain([result_id.clone()])
        .collect();
    want.sort();
    assert_eq!(ids(&a), want);
    let b_list = list_files(&app, &depositor_b.token, &x.mission).await;
    let mut want_b = vec![
        deposits[3].2["id"].as_str().unwrap().to_owned(),
        result_id.clone(),
    ];
    want_b.sort();
    assert_eq!(ids(&b_list), want_b);
    let henin = deposits[0].2["id"].as_str().unwrap();
    let r = app
        .get_as(
            &depositor_b.token,
            &format!("/api/v1/files/{henin}/content"),
        )
        .await;
    assert_error(r, 404, "not_found", "another bailleur's deposit").await;
    assert_eq!(download(&app, &depositor_b.token, &result_id).await, ok);

    // The processor still sees everything.
    assert_eq!(
        list_files(&app, &x.processor.token, &x.mission).await.len(),
        6
    );
}

/// A deterministic CSV-like megabyte of text, different for every `i`.
fn big_chunk(i: u64) -> Vec<u8> {
    const MIB: usize = 1024 * 1024;
    let mut out = Vec::with_capacity(MIB);
    let mut state = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    while out.len() < MIB {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let line = format!("{};{};{}\n", i, state % 1_000_003, state >> 40);
        out.extend_from_slice(line.as_bytes());
    }
    out.truncate(MIB);
    out
}

async fn a_hundred_mebibytes_round_trip(b: Backend) {
    use futures::StreamExt as _;
    use sha2::Digest as _;
    const CHUNKS: u64 = 100;
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    let mut expected = sha2::Sha256::new();
    for i in 0..CHUNKS {
        expected.update(big_chunk(i));
    }
    let expected = hex::encode(expected.finalize());

    let head = multipart_head("file", b"gros_export.csv");
    let tail = multipart_tail();
    let total = head.len() as u64 + CHUNKS * 1024 * 1024 + tail.len() as u64;
    let parts = futures::stream::iter(0..CHUNKS + 2).map(move |i| {
        Ok::<Vec<u8>, std::io::Error>(if i == 0 {
            head.clone()
        } else if i == CHUNKS + 1 {
            tail.clone()
        } else {
            big_chunk(i - 1)
        })
    });
    let r = app
        .client
        .post(app.url(&format!("/api/v1/missions/{}/deposits", x.mission)))
        .bearer_auth(&x.depositor.token)
        .header("content-type", multipart_type())
        .header("content-length", total)
        .body(reqwest::Body::wrap_stream(parts))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let f = body(r).await;
    assert_eq!(status, 201, "{f}");
    assert_eq!(f["size"], CHUNKS * 1024 * 1024);
    assert_eq!(f["sha256"], expected.as_str());

    let mut r = app
        .get_as(
            &x.processor.token,
            &format!("/api/v1/files/{}/content", f["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status(), 200);
    let mut got = sha2::Sha256::new();
    let mut len = 0u64;
    while let Some(c) = r.chunk().await.unwrap() {
        len += c.len() as u64;
        got.update(&c);
    }
    assert_eq!(len, CHUNKS * 1024 * 1024);
    assert_eq!(hex::encode(got.finalize()), expected);

    // Ranges anywhere in the big file, across every plausible chunk boundary of the storage.
    const MIB: u64 = 1024 * 1024;
    let total = CHUNKS * MIB;
    let slice = |from: u64, to: u64| -> Vec<u8> {
        let mut out = Vec::new();
        let mut at = from;
        while at <= to {
            let chunk = big_chunk(at / MIB);
            let start = (at % MIB) as usize;
            let end = ((to - (at - at % MIB)).min(MIB - 1)) as usize;
            out.extend_from_slice(&chunk[start..=end]);
            at = at - at % MIB + MIB;
        }
        out
    };
    let path = format!("/api/v1/files/{}/content", f["id"].as_str().unwrap());
    let mut cases: Vec<(String, u64, u64)> = Vec::new();
    for boundary in [4096u64, 16384, 65536, 262_144, MIB, 4 * MIB, 16 * MIB] {
        cases.push((
            format!("bytes={}-{}", boundary - 5, boundary + 4),
            boundary - 5,
            boundary + 4,
        ));
        cases.push((format!("bytes={boundary}-{boundary}"), boundary, boundary));
    }
    let mid = 50 * MIB + 12_345;
    cases.push((
        format!("bytes={}-{}", mid, mid + 3 * MIB),
        mid,
        mid + 3 * MIB,
    ));
    cases.push(("bytes=-7".to_owned(), total - 7, total - 1));
    cases.push((
        format!("bytes={}-", total - MIB - 3),
        total - MIB - 3,
        total - 1,
    ));
    for (range, from, to) in cases {
        let r = app
            .client
            .get(app.url(&path))
            .bearer_auth(&x.processor.token)
            .header("range", &range)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(
            r.headers()["content-range"].to_str().unwrap(),
            format!("bytes {from}-{to}/{total}"),
            "{range}"
        );
        let got = r.bytes().await.unwrap();
        assert!(
            got.as_ref() == slice(from, to).as_slice(),
            "{range}: wrong bytes"
        );
    }
}

async fn uploads_over_the_limit_are_refused(b: Backend) {
    const MIB: usize = 1024 * 1024;
    let app = spawn_app_with(b, |c| c.max_upload_bytes = MIB as u64).await;
    let x = exchange(&app).await;
    let stored = stored_files(app.data.path());
    let two = vec![b'7'; 2 * MIB];
    let r = upload(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "trop_gros.csv",
        &two,
    )
    .await;
    assert_error(r, 413, "too_large", "a 2 MiB deposit with a 1 MiB limit").await;
    let r = upload(
        &app,
        &x.processor.token,
        &x.mission,
        "results",
        "trop_gros.csv",
        &two,
    )
    .await;
    assert_error(r, 413, "too_large", "a 2 MiB result with a 1 MiB limit").await;
    // One byte over the limit is over the limit.
    let over = vec![b'7'; MIB + 1];
    let r = upload(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "juste_trop.csv",
        &over,
    )
    .await;
    assert_error(r, 413, "too_large", "limit + 1 byte").await;
    // Without a declared length (chunked), the limit holds while streaming.
    let parts = futures::stream::iter(vec![
        Ok::<Vec<u8>, std::io::Error>(multipart_head("file", b"flux.csv")),
        Ok(vec![b'7'; MIB]),
        Ok(vec![b'7'; MIB]),
        Ok(multipart_tail()),
    ]);
    let r = app
        .client
        .post(app.url(&format!("/api/v1/missions/{}/deposits", x.mission)))
        .bearer_auth(&x.depositor.token)
        .header("content-type", multipart_type())
        .body(reqwest::Body::wrap_stream(parts))
        .send()
        .await;
    // The gateway may answer 413 before reading the whole body and close the connection.
    if let Ok(r) = r {
        assert_error(r, 413, "too_large", "a 2 MiB streamed upload").await;
    }
    assert!(list_files(&app, &x.processor.token, &x.mission)
        .await
        .is_empty());
    assert!(list_files(&app, &x.depositor.token, &x.mission)
        .await
        .is_empty());
    assert_nothing_stored(
        &stored,
        &stored_files(app.data.path()),
        64 * 1024,
        "refused uploads",
    );
    // A file of exactly the limit does not exceed it.
    let exact = vec![b'7'; MIB];
    let f = upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "pile.csv",
        &exact,
    )
    .await;
    assert_eq!(f["size"], MIB as u64);
    assert_eq!(
        list_files(&app, &x.processor.token, &x.mission).await.len(),
        1
    );
}

async fn hostile_filenames_are_tamed(b: Backend) {
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    let content = b"commune;logements\nHenin;12\n";
    let long_ascii = format!("{}.csv", "a".repeat(296));
    let long_accents = format!("{}.csv", "é".repeat(296));
    let cases: Vec<(String, &str)> = vec![
        ("../../etc/passwd.csv".into(), "passwd.csv"),
        ("C:\\Users\\x\\évaluation.csv".into(), "évaluation.csv"),
        ("/var/lib/passerelle/blobs/../x.csv".into(), "x.csv"),
        ("rapport\tfinal.csv".into(), "rapportfinal.csv"),
        ("rapport\u{85}final\u{9b}.csv".into(), "rapportfinal.csv"),
        ("e\u{301}tude.csv".into(), "\u{e9}tude.csv"),
        (" ..rapport.csv. ".into(), "rapport.csv"),
        ("RAPPORT.CSV".into(), "RAPPORT.CSV"),
    ];
    for (sent, stored) in &cases {
        let f = upload_ok(
            &app,
            &x.depositor.token,
            &x.mission,
            "deposits",
            sent,
            content,
        )
        .await;
        assert_eq!(f["name"], *stored, "sent {sent:?}");
        let id = f["id"].as_str().unwrap();
        let meta = body(
            app.get_as(&x.depositor.token, &format!("/api/v1/files/{id}"))
                .await,
        )
        .await;
        assert_eq!(meta["name"], *stored, "sent {sent:?}");
    }
    for long in [&long_ascii, &long_accents] {
        let f = upload_ok(
            &app,
            &x.depositor.token,
            &x.mission,
            "deposits",
            long,
            content,
        )
        .await;
        let name = f["name"].as_str().unwrap();
        assert!(
            name.chars().count() <= 200,
            "{} characters",
            name.chars().count()
        );
        assert!(name.chars().count() >= 100, "truncated too much: {name}");
        assert!(name.ends_with(".csv"), "extension kept: {name}");
        assert!(long.starts_with(name.trim_end_matches(".csv")), "{name}");
    }
    // Exactly 200 characters is within the limit: kept as sent; 201 is cut to 200 at most.
    let exact = format!("{}.csv", "é".repeat(196));
    let f = upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        &exact,
        content,
    )
    .await;
    assert_eq!(
        f["name"],
        exact.as_str(),
        "a 200-character name is not shortened"
    );
    let over = format!("{}.xlsx", "b".repeat(196));
    let f = upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        &over,
        &fixture("ops_habitat_henin.xlsx"),
    )
    .await;
    let name = f["name"].as_str().unwrap();
    assert!(
        name.chars().count() <= 200 && name.ends_with(".xlsx"),
        "{name}"
    );
    assert!(name.starts_with(&"b".repeat(150)), "{name}");
    // Nothing left once the path and the dots are gone.
    for sent in ["../", "..", "dossier/", "C:\\", " . "] {
        let r = upload(
            &app,
            &x.depositor.token,
            &x.mission,
            "deposits",
            sent,
            content,
        )
        .await;
        assert_error(r, 422, "invalid_request", &format!("{sent:?}")).await;
    }
    // ".csv" alone: either refused, or stored without its leading dot.
    let r = upload(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        ".csv",
        content,
    )
    .await;
    let status = r.status().as_u16();
    let v = body(r).await;
    match status {
        422 => assert_eq!(v["error"], "invalid_request"),
        201 => assert!(!v["name"].as_str().unwrap().starts_with('.'), "{v}"),
        other => panic!("\".csv\": {other} {v}"),
    }
    // Every stored name is clean.
    for f in list_files(&app, &x.processor.token, &x.mission).await {
        let name = f["name"].as_str().unwrap();
        assert!(
            !name.contains('/') && !name.contains('\\') && !name.chars().any(char::is_control),
            "{name:?}"
        );
    }
}

async fn refused_extensions_and_mismatched_content(b: Backend) {
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    let text = b"commune;logements\nHenin;12\n".to_vec();
    let xlsx = fixture("ops_habitat_henin.xlsx");
    let ods = fixture("ops_habitat_henin.ods");
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let xls = {
        let mut v = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        v.extend_from_slice(&[0u8; 504]);
        v
    };
    // Extensions refused, with the extension named in the message.
    for (folder, who, name, content, ext) in [
        ("deposits", &x.depositor, "programme.exe", &text, "exe"),
        ("deposits", &x.depositor, "ops.csv.exe", &text, "exe"),
        ("deposits", &x.depositor, "rapport.pdf", &pdf, "pdf"),
        ("deposits", &x.depositor, "notes.txt", &text, "txt"),
        ("results", &x.processor, "ancien.xls", &xls, "xls"),
        ("results", &x.processor, "script.sh", &text, "sh"),
    ] {
        let r = upload(&app, &who.token, &x.mission, folder, name, content).await;
        assert_eq!(r.status(), 422, "{folder}/{name}");
        let v = body(r).await;
        assert_eq!(v["error"], "invalid_request", "{v}");
        assert!(
            v["message"].as_str().unwrap().to_lowercase().contains(ext),
            "the message names the extension {ext}: {v}"
        );
    }
    let r = upload(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "sans_extension",
        &text,
    )
    .await;
    assert_error(r, 422, "invalid_request", "no extension").await;

    // Content that does not match the extension.
    for (folder, who, name, content) in [
        ("deposits", &x.depositor, "faux.xlsx", &text),
        ("deposits", &x.depositor, "faux.ods", &text),
        ("deposits", &x.depositor, "faux.zip", &text),
        ("deposits", &x.depositor, "faux.xls", &xlsx),
        ("results", &x.processor, "faux.pdf", &text),
        ("results", &x.processor, "faux.xlsx", &pdf),
    ] {
        let r = upload(&app, &who.token, &x.mission, folder, name, content).await;
        assert_error(r, 422, "invalid_request", &format!("{folder}/{name}")).await;
    }
    assert!(list_files(&app, &x.processor.token, &x.mission)
        .await
        .is_empty());

    // Accepted, whatever the case of the extension.
    for (folder, who, name, content) in [
        ("deposits", &x.depositor, "ops.CSV", &text),
        ("deposits", &x.depositor, "ops.XLSX", &xlsx),
        ("deposits", &x.depositor, "ops.ods", &ods),
        ("deposits", &x.depositor, "ops.Xls", &xls),
        ("deposits", &x.depositor, "archive.zip", &xlsx),
        ("results", &x.processor, "indicateurs.csv", &text),
        ("results", &x.processor, "indicateurs.xlsx", &xlsx),
        ("results", &x.processor, "indicateurs.ods", &ods),
        ("results", &x.processor, "rapport.PDF", &pdf),
        ("results", &x.processor, "annexes.zip", &ods),
    ] {
        let f = upload_ok(&app, &who.token, &x.mission, folder, name, content).await;
        assert_eq!(f["name"], name);
        assert_eq!(f["folder"], folder);
    }
    // The hand-made .xls holds only its magic number, and the "zip" is an xlsx whose parts are XML
    // files: the identifier scan cannot read either (wholly or in part), so both are held in
    // quarantine, visible to their organisation only.
    let mut held: Vec<Value> = list_files(&app, &x.depositor.token, &x.mission)
        .await
        .into_iter()
        .filter(|f| f["checks"]["status"] == "quarantined")
        .collect();
    held.sort_by_key(|f| f["name"].as_str().unwrap_or_default().to_owned());
    assert_eq!(held.len(), 2, "{held:?}");
    assert_eq!(held[0]["name"], "archive.zip");
    assert_eq!(held[1]["name"], "ops.Xls");
    for f in &held {
        let findings = f["checks"]["findings"].as_array().unwrap();
        assert!(!findings.is_empty());
        assert!(findings.iter().all(|x| x["kind"] == "unreadable"), "{f}");
    }
    // The processor sees the 10 uploads but the 2 held.
    assert_eq!(
        list_files(&app, &x.processor.token, &x.mission).await.len(),
        8
    );
}

async fn missing_file_part_and_extra_parts(b: Backend) {
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    let content = b"commune;logements\nHenin;12\n";
    let r = upload_raw(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        multipart_body("fichier", b"ops.csv", content),
    )
    .await;
    assert_error(r, 422, "invalid_request", "no part named file").await;
    let r = upload_raw(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        format!("--{BOUNDARY}--\r\n").into_bytes(),
    )
    .await;
    assert_error(r, 422, "invalid_request", "no part at all").await;
    assert!(list_files(&app, &x.processor.token, &x.mission)
        .await
        .is_empty());

    // Another part before the file is ignored.
    let mut two = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"commentaire\"\r\n\r\nenvoi de janvier\r\n"
    )
    .into_bytes();
    two.extend_from_slice(&multipart_body("file", b"ops.csv", content));
    let r = upload_raw(&app, &x.depositor.token, &x.mission, "deposits", two).await;
    assert_eq!(r.status(), 201);
    let f = body(r).await;
    assert_eq!(f["name"], "ops.csv");
    assert_eq!(f["size"], content.len());
    assert_eq!(f["sha256"], sha256_hex(content));
    // And one after it.
    let mut after = multipart_head("file", b"ops2.csv");
    after.extend_from_slice(content);
    after.extend_from_slice(
        format!(
            "\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"commentaire\"\r\n\r\nfin\r\n--{BOUNDARY}--\r\n"
        )
        .as_bytes(),
    );
    let r = upload_raw(&app, &x.depositor.token, &x.mission, "deposits", after).await;
    assert_eq!(r.status(), 201);
    let f = body(r).await;
    assert_eq!(f["name"], "ops2.csv");
    assert_eq!(f["sha256"], sha256_hex(content));

    // Not multipart at all.
    let r = app
        .post_as(
            &x.depositor.token,
            &format!("/api/v1/missions/{}/deposits", x.mission),
            json!({"file": "ops.csv"}),
        )
        .await;
    let (status, code) = status_and_code(r).await;
    assert!(
        matches!(status, 400 | 415 | 422) && code == "invalid_request",
        "{status} {code}"
    );
    assert_eq!(
        list_files(&app, &x.processor.token, &x.mission).await.len(),
        2
    );
}

/// Percent-decodes an RFC 5987 value.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Splits a `Content-Disposition` value into its type and its parameters (quoted strings unescaped).
fn disposition_params(cd: &str) -> (String, Vec<(String, String)>) {
    let mut chars = cd.chars().peekable();
    let mut kind = String::new();
    while let Some(&c) = chars.peek() {
        if c == ';' {
            break;
        }
        kind.push(c);
        chars.next();
    }
    let mut params = Vec::new();
    while chars.peek() == Some(&';') {
        chars.next();
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            name.push(c);
            chars.next();
        }
        assert_eq!(chars.next(), Some('='), "parameter without a value: {cd}");
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.push(chars.next().unwrap()),
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => panic!("unterminated quoted string: {cd}"),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ';' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        params.push((
            name.trim().to_ascii_lowercase(),
            value.trim_end().to_owned(),
        ));
    }
    assert!(chars.next().is_none(), "trailing garbage: {cd}");
    (kind.trim().to_owned(), params)
}

/// Checks an RFC 6266 `Content-Disposition: attachment` naming `name`.
fn check_disposition(cd: &str, name: &str) {
    assert!(
        !cd.contains(['\r', '\n']) && cd.is_ascii(),
        "header value must be plain ASCII: {cd:?}"
    );
    let (kind, params) = disposition_params(cd);
    assert_eq!(kind, "attachment", "{cd}");
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k}: {cd}"))
    };
    let fallback = get("filename");
    assert!(
        fallback.is_ascii() && !fallback.chars().any(char::is_control),
        "{cd}"
    );
    assert!(
        fallback.ends_with(".csv"),
        "fallback keeps the extension: {cd}"
    );
    let star = get("filename*");
    let encoded = star
        .strip_prefix("UTF-8''")
        .or_else(|| star.strip_prefix("utf-8''"))
        .unwrap_or_else(|| panic!("filename* is not UTF-8'': {cd}"));
    assert!(
        encoded
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$&+-.^_`|~%".contains(&c)),
        "only RFC 5987 attr-chars and %XX: {cd}"
    );
    assert_eq!(
        String::from_utf8(percent_decode(encoded)).unwrap(),
        name,
        "{cd}"
    );
}

async fn ranges_and_download_headers(b: Backend) {
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    let content: Vec<u8> = (0..1000u32)
        .map(|i| b"abcdefghij;\n"[(i % 12) as usize])
        .collect();
    let f = upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "évaluation été.csv",
        &content,
    )
    .await;
    assert_eq!(f["name"], "évaluation été.csv");
    let id = f["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/files/{id}/content");

    let r = app.get_as(&x.processor.token, &path).await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(
        h["etag"].to_str().unwrap(),
        format!("\"{}\"", sha256_hex(&content))
    );
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["cache-control"], "no-store");
    check_disposition(
        h["content-disposition"].to_str().unwrap(),
        "évaluation été.csv",
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), content.as_slice());

    let n = content.len();
    for (range, from, to) in [
        ("bytes=0-9", 0usize, 9usize),
        ("bytes=100-199", 100, 199),
        ("bytes=990-", 990, n - 1),
        ("bytes=-5", n - 5, n - 1),
        ("bytes=995-5000", 995, n - 1),
        ("bytes=999-999", 999, 999),
    ] {
        let r = app
            .client
            .get(app.url(&path))
            .bearer_auth(&x.processor.token)
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(
            r.headers()["content-range"].to_str().unwrap(),
            format!("bytes {from}-{to}/{n}"),
            "{range}"
        );
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            &content[from..=to],
            "{range}"
        );
    }
    // Quotes, a semicolon and accents in the name cannot break the header.
    let tricky = "rapport \"final\"; v2 été.csv";
    let f = upload_raw(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        multipart_body(
            "file",
            "rapport \\\"final\\\"; v2 été.csv".as_bytes(),
            b"a;b\n",
        ),
    )
    .await;
    assert_eq!(f.status(), 201);
    let f = body(f).await;
    assert_eq!(f["name"], tricky);
    let r = app
        .get_as(
            &x.processor.token,
            &format!("/api/v1/files/{}/content", f["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status(), 200);
    check_disposition(r.headers()["content-disposition"].to_str().unwrap(), tricky);

    for range in ["bytes=1000-", "bytes=5000-6000"] {
        let r = app
            .client
            .get(app.url(&path))
            .bearer_auth(&x.processor.token)
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 416, "{range}");
        assert_eq!(
            r.headers()["content-range"].to_str().unwrap(),
            format!("bytes */{n}"),
            "{range}"
        );
    }
}

async fn interrupted_uploads_leave_nothing(b: Backend) {
    use tokio::io::AsyncWriteExt as _;
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    let stored = stored_files(app.data.path());

    // A declared length larger than what is sent, then the connection drops.
    let mut tls = tls_stream(&app).await;
    let head = format!(
        "POST /api/v1/missions/{}/deposits HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: {}\r\nContent-Length: 4000000\r\n\r\n",
        x.mission,
        x.depositor.token,
        multipart_type()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(&multipart_head("file", b"coupe.csv"))
        .await
        .unwrap();
    tls.write_all(&vec![b'1'; 500_000]).await.unwrap();
    tls.flush().await.unwrap();
    drop(tls);

    // A body stream that fails half-way.
    let parts = futures::stream::iter(vec![
        Ok::<Vec<u8>, std::io::Error>(multipart_head("file", b"coupe2.csv")),
        Ok(vec![b'2'; 300_000]),
        Err(std::io::Error::other("the client gives up")),
    ]);
    let r = app
        .client
        .post(app.url(&format!("/api/v1/missions/{}/deposits", x.mission)))
        .bearer_auth(&x.depositor.token)
        .header("content-type", multipart_type())
        .body(reqwest::Body::wrap_stream(parts))
        .send()
        .await;
    if let Ok(r) = r {
        assert!(
            !r.status().is_success(),
            "a cut-off upload succeeded: {}",
            r.status()
        );
    }

    for _ in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let files = list_files(&app, &x.processor.token, &x.mission).await;
        assert!(files.is_empty(), "{files:?}");
        let files = list_files(&app, &x.depositor.token, &x.mission).await;
        assert!(files.is_empty(), "{files:?}");
    }
    assert_nothing_stored(
        &stored,
        &stored_files(app.data.path()),
        64 * 1024,
        "cut-off uploads",
    );
    // The gateway is still fine.
    upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "complet.csv",
        b"a;b\n1;2\n",
    )
    .await;
    assert_eq!(
        list_files(&app, &x.processor.token, &x.mission).await.len(),
        1
    );
}

async fn same_name_twice_and_delete(b: Backend) {
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    let one = upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "ops.csv",
        b"a;b\n1;2\n",
    )
    .await;
    let two = upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "ops.csv",
        b"a;b\n3;4\n",
    )
    .await;
    assert_ne!(one["id"], two["id"]);
    let listed = list_files(&app, &x.processor.token, &x.mission).await;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|f| f["name"] == "ops.csv"));

    let id = one["id"].as_str().unwrap();
    let r = delete_as(&app, &x.depositor.token, &format!("/api/v1/files/{id}")).await;
    assert_eq!(r.status(), 204);
    for path in [
        format!("/api/v1/files/{id}"),
        format!("/api/v1/files/{id}/content"),
    ] {
        for who in [&x.depositor, &x.processor] {
            let r = app.get_as(&who.token, &path).await;
            assert_error(r, 404, "not_found", &path).await;
        }
    }
    let r = delete_as(&app, &x.depositor.token, &format!("/api/v1/files/{id}")).await;
    assert_error(r, 404, "not_found", "deleting twice").await;
    let listed = list_files(&app, &x.processor.token, &x.mission).await;
    assert_eq!(ids(&listed), vec![two["id"].as_str().unwrap().to_owned()]);
    assert_eq!(
        download(&app, &x.processor.token, two["id"].as_str().unwrap()).await,
        b"a;b\n3;4\n"
    );

    // A processor deletes results, not deposits.
    let two_id = two["id"].as_str().unwrap();
    let r = delete_as(&app, &x.processor.token, &format!("/api/v1/files/{two_id}")).await;
    assert_error(r, 403, "forbidden", "a processor deleting a deposit").await;
    let res = upload_ok(
        &app,
        &x.processor.token,
        &x.mission,
        "results",
        "r.csv",
        b"a;b\n1;2\n",
    )
    .await;
    let res_id = res["id"].as_str().unwrap();
    let r = delete_as(&app, &x.processor.token, &format!("/api/v1/files/{res_id}")).await;
    assert_eq!(r.status(), 204);
    let r = app
        .get_as(&x.processor.token, &format!("/api/v1/files/{res_id}"))
        .await;
    assert_error(r, 404, "not_found", "a deleted result").await;
    let _ = (&x.epci, &x.recipient, &x.manager);
}

async fn colleagues_share_their_organisation_deposits(b: Backend) {
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    // Same bailleur, another person: "its own organisation's deposits".
    let colleague = app.user(&x.admin, "depot.henin.2", &x.bailleur).await;
    add_participant(&app, &x.admin.token, &x.mission, &colleague.id, "depositor").await;
    let csv = fixture("ops_habitat_henin.csv");
    let f = upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "ops.csv",
        &csv,
    )
    .await;
    let id = f["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&list_files(&app, &colleague.token, &x.mission).await),
        vec![id.clone()]
    );
    assert_eq!(
        body(
            app.get_as(&colleague.token, &format!("/api/v1/files/{id}"))
                .await
        )
        .await["id"],
        id.as_str()
    );
    assert_eq!(download(&app, &colleague.token, &id).await, csv);
    let r = delete_as(&app, &colleague.token, &format!("/api/v1/files/{id}")).await;
    assert_eq!(
        r.status(),
        204,
        "a colleague deletes the organisation's deposit"
    );
    assert!(list_files(&app, &x.depositor.token, &x.mission)
        .await
        .is_empty());
}

async fn roles_add_up(b: Backend) {
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    let ok = fixture("results_ok.csv");
    let deposit = upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "ops.csv",
        b"a;b\n1;2\n",
    )
    .await;
    let deposit = deposit["id"].as_str().unwrap().to_owned();
    let released = upload_ok(
        &app,
        &x.processor.token,
        &x.mission,
        "results",
        "final.csv",
        &ok,
    )
    .await;
    let released = released["id"].as_str().unwrap().to_owned();
    let r = app
        .post_as(
            &x.processor.token,
            &format!("/api/v1/files/{released}/release"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let draft = upload_ok(
        &app,
        &x.processor.token,
        &x.mission,
        "results",
        "brouillon.csv",
        &ok,
    )
    .await;
    let draft = draft["id"].as_str().unwrap().to_owned();

    // Manager alone: nothing.
    assert!(list_files(&app, &x.manager.token, &x.mission)
        .await
        .is_empty());
    let r = app
        .get_as(&x.manager.token, &format!("/api/v1/files/{released}"))
        .await;
    assert_error(r, 404, "not_found", "a manager alone").await;
    // Manager and recipient: the released results.
    add_participant(&app, &x.admin.token, &x.mission, &x.manager.id, "recipient").await;
    assert_eq!(
        ids(&list_files(&app, &x.manager.token, &x.mission).await),
        vec![released.clone()]
    );
    assert_eq!(download(&app, &x.manager.token, &released).await, ok);
    let r = app
        .get_as(&x.manager.token, &format!("/api/v1/files/{draft}"))
        .await;
    assert_error(
        r,
        404,
        "not_found",
        "manager and recipient: an unreleased result",
    )
    .await;

    // Depositor and processor: both folders, both uploads.
    add_participant(
        &app,
        &x.admin.token,
        &x.mission,
        &x.depositor.id,
        "processor",
    )
    .await;
    let mut all = vec![deposit.clone(), released.clone(), draft.clone()];
    all.sort();
    assert_eq!(
        ids(&list_files(&app, &x.depositor.token, &x.mission).await),
        all
    );
    upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "results",
        "mien.csv",
        &ok,
    )
    .await;
    upload_ok(
        &app,
        &x.depositor.token,
        &x.mission,
        "deposits",
        "mien.csv",
        b"a;b\n1;2\n",
    )
    .await;
    let r = app
        .post_as(
            &x.depositor.token,
            &format!("/api/v1/files/{draft}/release"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "the processor role releases");

    // A platform admin who takes part with a role that reads content may read it.
    let admin2 = app.admin("operateur2").await;
    let r = app
        .get_as(&admin2.token, &format!("/api/v1/files/{deposit}/content"))
        .await;
    assert_error(r, 403, "forbidden", "an admin taking no part").await;
    add_participant(&app, &x.admin.token, &x.mission, &admin2.id, "processor").await;
    assert_eq!(download(&app, &admin2.token, &deposit).await, b"a;b\n1;2\n");
    let v = body(
        app.get_as(&admin2.token, &format!("/api/v1/missions/{}", x.mission))
            .await,
    )
    .await;
    assert_eq!(v["my_roles"], json!(["processor"]));
}

// Parts other than "file" are skipped, but never read without bound: a huge one answers 413.
async fn other_parts_are_bounded_too(b: Backend) {
    let app = spawn_app(b).await;
    let x = exchange(&app).await;
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"notes\"\r\n\r\n")
            .as_bytes(),
    );
    body.extend(std::iter::repeat_n(b'x', 200 * 1024));
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(&multipart_body("file", b"ops.csv", b"a;b\n1;2\n"));
    let r = upload_raw(&app, &x.depositor.token, &x.mission, "deposits", body).await;
    assert_eq!(r.status(), 413);
    assert_eq!(error_code(r).await, "too_large");
    assert!(list_files(&app, &x.processor.token, &x.mission)
        .await
        .is_empty());
    // A small extra part is fine.
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"notes\"\r\n\r\ncommentaire\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&multipart_body("file", b"ops.csv", b"a;b\n1;2\n"));
    let r = upload_raw(&app, &x.depositor.token, &x.mission, "deposits", body).await;
    assert_eq!(r.status(), 201);
}
