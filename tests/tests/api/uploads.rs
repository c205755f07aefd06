//! What an upload refuses, and what a refused or cut upload leaves behind: limits, hostile names,
//! extensions and content, missing and extra parts, interrupted bodies.

use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    other_parts_are_bounded_too,
    uploads_over_the_limit_are_refused,
    hostile_filenames_are_tamed,
    refused_extensions_and_mismatched_content,
    missing_file_part_and_extra_parts,
    interrupted_uploads_leave_nothing,
);

async fn uploads_over_the_limit_are_refused(b: Backend) {
    const MIB: usize = 1024 * 1024;
    let app = TestApp::spawn_with(b, |c| c.max_upload_bytes = MIB as u64).await;
    let x = app.exchange().await;
    let stored = stored_files(app.data.path());
    let two = vec![b'7'; 2 * MIB];
    let r = app
        .upload(
            &x.depositor.token,
            &x.mission,
            Upload::deposit("trop_gros.csv", &two),
        )
        .await;
    assert_error(r, 413, "too_large", "a 2 MiB deposit with a 1 MiB limit").await;
    let r = app
        .upload(
            &x.processor.token,
            &x.mission,
            Upload::result("trop_gros.csv", &two),
        )
        .await;
    assert_error(r, 413, "too_large", "a 2 MiB result with a 1 MiB limit").await;
    // One byte over the limit is over the limit.
    let over = vec![b'7'; MIB + 1];
    let r = app
        .upload(
            &x.depositor.token,
            &x.mission,
            Upload::deposit("juste_trop.csv", &over),
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
    // A body past the bound on the whole request (the limit + 1 MiB) while the file part streams,
    // here because of 34 other parts of 60 KiB before a small file: multer's own bound trips inside
    // the file part, and that is the same refusal (it used to answer 422 "interrupted").
    let mut body = Vec::new();
    for _ in 0..34 {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(&[b'n'; 60 * 1024]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(&multipart_head("file", b"petit.csv"));
    body.extend_from_slice(&vec![b'7'; MIB / 2]);
    body.extend_from_slice(&multipart_tail());
    let r = app
        .client
        .post(app.url(&format!("/api/v1/missions/{}/deposits", x.mission)))
        .bearer_auth(&x.depositor.token)
        .header("content-type", multipart_type())
        .body(body)
        .send()
        .await;
    if let Ok(r) = r {
        assert_error(r, 413, "too_large", "a body past the whole-request bound").await;
    }
    assert!(app
        .list_files(&x.processor.token, &x.mission)
        .await
        .is_empty());
    assert!(app
        .list_files(&x.depositor.token, &x.mission)
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
    let f = app
        .upload_deposit(&x.depositor.token, &x.mission, "pile.csv", &exact)
        .await;
    assert_eq!(f["size"], MIB as u64);
    assert_eq!(
        app.list_files(&x.processor.token, &x.mission).await.len(),
        1
    );
}

async fn hostile_filenames_are_tamed(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
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
        let f = app
            .upload_deposit(&x.depositor.token, &x.mission, sent, content)
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
        let f = app
            .upload_deposit(&x.depositor.token, &x.mission, long, content)
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
    let f = app
        .upload_deposit(&x.depositor.token, &x.mission, &exact, content)
        .await;
    assert_eq!(
        f["name"],
        exact.as_str(),
        "a 200-character name is not shortened"
    );
    let over = format!("{}.xlsx", "b".repeat(196));
    let f = app
        .upload_deposit(
            &x.depositor.token,
            &x.mission,
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
        let r = app
            .upload(
                &x.depositor.token,
                &x.mission,
                Upload::deposit(sent, content),
            )
            .await;
        assert_error(r, 422, "invalid_request", &format!("{sent:?}")).await;
    }
    // ".csv" alone: either refused, or stored without its leading dot.
    let r = app
        .upload(
            &x.depositor.token,
            &x.mission,
            Upload::deposit(".csv", content),
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
    for f in app.list_files(&x.processor.token, &x.mission).await {
        let name = f["name"].as_str().unwrap();
        assert!(
            !name.contains('/') && !name.contains('\\') && !name.chars().any(char::is_control),
            "{name:?}"
        );
    }
}

async fn refused_extensions_and_mismatched_content(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
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
        let r = app
            .upload(&who.token, &x.mission, Upload::to(folder, name, content))
            .await;
        assert_eq!(r.status(), 422, "{folder}/{name}");
        let v = body(r).await;
        assert_eq!(v["error"], "invalid_request", "{v}");
        assert!(
            v["message"].as_str().unwrap().to_lowercase().contains(ext),
            "the message names the extension {ext}: {v}"
        );
    }
    let r = app
        .upload(
            &x.depositor.token,
            &x.mission,
            Upload::deposit("sans_extension", &text),
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
        let r = app
            .upload(&who.token, &x.mission, Upload::to(folder, name, content))
            .await;
        assert_error(r, 422, "invalid_request", &format!("{folder}/{name}")).await;
    }
    assert!(app
        .list_files(&x.processor.token, &x.mission)
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
        let f = app
            .upload_ok(&who.token, &x.mission, Upload::to(folder, name, content))
            .await;
        assert_eq!(f["name"], name);
        assert_eq!(f["folder"], folder);
    }
    // The hand-made .xls holds only its magic number, and the zip holds an xlsx's parts (XML, not
    // tables): the identifier scan cannot read them, so both are held in quarantine, visible to
    // their organisation only.
    let held: Vec<Value> = app
        .list_files(&x.depositor.token, &x.mission)
        .await
        .into_iter()
        .filter(|f| f["checks"]["status"] == "quarantined")
        .collect();
    assert_eq!(held.len(), 2, "{held:?}");
    for f in &held {
        assert!(["ops.Xls", "archive.zip"].contains(&f["name"].as_str().unwrap()));
        assert_eq!(f["checks"]["findings"][0]["kind"], "unreadable");
    }
    assert_eq!(
        app.list_files(&x.processor.token, &x.mission).await.len(),
        8
    );
}

async fn missing_file_part_and_extra_parts(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let content = b"commune;logements\nHenin;12\n";
    let r = app
        .upload(
            &x.depositor.token,
            &x.mission,
            Upload::raw("deposits", multipart_body("fichier", b"ops.csv", content)),
        )
        .await;
    assert_error(r, 422, "invalid_request", "no part named file").await;
    let r = app
        .upload(
            &x.depositor.token,
            &x.mission,
            Upload::raw("deposits", format!("--{BOUNDARY}--\r\n").into_bytes()),
        )
        .await;
    assert_error(r, 422, "invalid_request", "no part at all").await;
    assert!(app
        .list_files(&x.processor.token, &x.mission)
        .await
        .is_empty());

    // Another part before the file is ignored.
    let mut two = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"commentaire\"\r\n\r\nenvoi de janvier\r\n"
    )
    .into_bytes();
    two.extend_from_slice(&multipart_body("file", b"ops.csv", content));
    let r = app
        .upload(&x.depositor.token, &x.mission, Upload::raw("deposits", two))
        .await;
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
    let r = app
        .upload(
            &x.depositor.token,
            &x.mission,
            Upload::raw("deposits", after),
        )
        .await;
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
        app.list_files(&x.processor.token, &x.mission).await.len(),
        2
    );
}

async fn interrupted_uploads_leave_nothing(b: Backend) {
    use tokio::io::AsyncWriteExt as _;
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let stored = stored_files(app.data.path());

    // A declared length larger than what is sent, then the connection drops.
    let mut tls = app.tls_stream().await;
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
        let files = app.list_files(&x.processor.token, &x.mission).await;
        assert!(files.is_empty(), "{files:?}");
        let files = app.list_files(&x.depositor.token, &x.mission).await;
        assert!(files.is_empty(), "{files:?}");
    }
    assert_nothing_stored(
        &stored,
        &stored_files(app.data.path()),
        64 * 1024,
        "cut-off uploads",
    );
    // The gateway is still fine.
    app.upload_deposit(&x.depositor.token, &x.mission, "complet.csv", b"a;b\n1;2\n")
        .await;
    assert_eq!(
        app.list_files(&x.processor.token, &x.mission).await.len(),
        1
    );
}

// Parts other than "file" are skipped, but never read without bound: a huge one answers 413.
async fn other_parts_are_bounded_too(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"notes\"\r\n\r\n")
            .as_bytes(),
    );
    body.extend(std::iter::repeat_n(b'x', 200 * 1024));
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(&multipart_body("file", b"ops.csv", b"a;b\n1;2\n"));
    let r = app
        .upload(
            &x.depositor.token,
            &x.mission,
            Upload::raw("deposits", body),
        )
        .await;
    assert_eq!(r.status(), 413);
    assert_eq!(error_code(r).await, "too_large");
    assert!(app
        .list_files(&x.processor.token, &x.mission)
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
    let r = app
        .upload(
            &x.depositor.token,
            &x.mission,
            Upload::raw("deposits", body),
        )
        .await;
    assert_eq!(r.status(), 201);
}
