//! Files going round: the whole exchange with the fixtures, a hundred mebibytes, a name used twice,
//! deletion, colleagues sharing deposits, roles adding up.

use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    the_whole_exchange_with_the_fixtures,
    a_hundred_mebibytes_round_trip,
    same_name_twice_and_delete,
    colleagues_share_their_organisation_deposits,
    roles_add_up,
);

async fn the_whole_exchange_with_the_fixtures(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let carvin = app.organisation(&x.admin, "Logis Carvin", "bailleur").await;
    let depositor_b = app.user(&x.admin, "depot.carvin", &carvin).await;
    app.add_participant(&x.admin.token, &x.mission, &depositor_b.id, "depositor")
        .await;

    let mut deposits = Vec::new();
    for (who, name) in [
        (&x.depositor, "ops_habitat_henin.csv"),
        (&x.depositor, "ops_habitat_henin.xlsx"),
        (&x.depositor, "ops_habitat_henin.ods"),
        (&depositor_b, "ops_logis_carvin_cp1252.csv"),
    ] {
        let bytes = fixture(name);
        let f = app
            .upload_deposit(&who.token, &x.mission, name, &bytes)
            .await;
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
    let listed = app.list_files(&x.processor.token, &x.mission).await;
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
        let got = app.download(&x.processor.token, id).await;
        assert_eq!(got.len(), bytes.len(), "{name}");
        assert_eq!(sha256_hex(&got), sha256_hex(bytes), "{name}");
        assert!(got == *bytes, "{name} differs after the round trip");
    }

    // Results: one released, one not.
    let ok = fixture("results_ok.csv");
    let result = app
        .upload_result(&x.processor.token, &x.mission, "results_ok.csv", &ok)
        .await;
    assert_eq!(result["folder"], "results");
    assert_eq!(result["released"], false);
    assert_eq!(result["sha256"], sha256_hex(&ok));
    assert_eq!(result["organisation_id"], x.consultancy.as_str());
    let result_id = result["id"].as_str().unwrap().to_owned();
    let draft = app
        .upload_result(&x.processor.token, &x.mission, "brouillon.csv", &ok)
        .await;
    let draft_id = draft["id"].as_str().unwrap().to_owned();

    // Nothing released yet: the recipient sees nothing.
    assert!(app
        .list_files(&x.recipient.token, &x.mission)
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
    let seen = app.list_files(&x.recipient.token, &x.mission).await;
    assert_eq!(ids(&seen), vec![result_id.clone()], "{seen:?}");
    assert_eq!(seen[0]["released"], true);
    assert_eq!(app.download(&x.recipient.token, &result_id).await, ok);
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
    let a = app.list_files(&x.depositor.token, &x.mission).await;
    let mut want: Vec<String> = deposits[..3]
        .iter()
        .map(|d| d.2["id"].as_str().unwrap().to_owned())
        .chain([result_id.clone()])
        .collect();
    want.sort();
    assert_eq!(ids(&a), want);
    let b_list = app.list_files(&depositor_b.token, &x.mission).await;
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
    assert_eq!(app.download(&depositor_b.token, &result_id).await, ok);

    // The processor still sees everything.
    assert_eq!(
        app.list_files(&x.processor.token, &x.mission).await.len(),
        6
    );
}

/// A deterministic CSV-like megabyte of text, different for every `i`.
pub(crate) fn big_chunk(i: u64) -> Vec<u8> {
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
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
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

async fn same_name_twice_and_delete(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let one = app
        .upload_deposit(&x.depositor.token, &x.mission, "ops.csv", b"a;b\n1;2\n")
        .await;
    let two = app
        .upload_deposit(&x.depositor.token, &x.mission, "ops.csv", b"a;b\n3;4\n")
        .await;
    assert_ne!(one["id"], two["id"]);
    let listed = app.list_files(&x.processor.token, &x.mission).await;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|f| f["name"] == "ops.csv"));

    let id = one["id"].as_str().unwrap();
    let r = app
        .delete_as(&x.depositor.token, &format!("/api/v1/files/{id}"))
        .await;
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
    let r = app
        .delete_as(&x.depositor.token, &format!("/api/v1/files/{id}"))
        .await;
    assert_error(r, 404, "not_found", "deleting twice").await;
    let listed = app.list_files(&x.processor.token, &x.mission).await;
    assert_eq!(ids(&listed), vec![two["id"].as_str().unwrap().to_owned()]);
    assert_eq!(
        app.download(&x.processor.token, two["id"].as_str().unwrap())
            .await,
        b"a;b\n3;4\n"
    );

    // A processor deletes results, not deposits.
    let two_id = two["id"].as_str().unwrap();
    let r = app
        .delete_as(&x.processor.token, &format!("/api/v1/files/{two_id}"))
        .await;
    assert_error(r, 403, "forbidden", "a processor deleting a deposit").await;
    let res = app
        .upload_result(&x.processor.token, &x.mission, "r.csv", b"a;b\n1;2\n")
        .await;
    let res_id = res["id"].as_str().unwrap();
    let r = app
        .delete_as(&x.processor.token, &format!("/api/v1/files/{res_id}"))
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .get_as(&x.processor.token, &format!("/api/v1/files/{res_id}"))
        .await;
    assert_error(r, 404, "not_found", "a deleted result").await;
    let _ = (&x.epci, &x.recipient, &x.manager);
}

async fn colleagues_share_their_organisation_deposits(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    // Same bailleur, another person: "its own organisation's deposits".
    let colleague = app.user(&x.admin, "depot.henin.2", &x.bailleur).await;
    app.add_participant(&x.admin.token, &x.mission, &colleague.id, "depositor")
        .await;
    let csv = fixture("ops_habitat_henin.csv");
    let f = app
        .upload_deposit(&x.depositor.token, &x.mission, "ops.csv", &csv)
        .await;
    let id = f["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&app.list_files(&colleague.token, &x.mission).await),
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
    assert_eq!(app.download(&colleague.token, &id).await, csv);
    let r = app
        .delete_as(&colleague.token, &format!("/api/v1/files/{id}"))
        .await;
    assert_eq!(
        r.status(),
        204,
        "a colleague deletes the organisation's deposit"
    );
    assert!(app
        .list_files(&x.depositor.token, &x.mission)
        .await
        .is_empty());
}

async fn roles_add_up(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let ok = fixture("results_ok.csv");
    let deposit = app
        .upload_deposit(&x.depositor.token, &x.mission, "ops.csv", b"a;b\n1;2\n")
        .await;
    let deposit = deposit["id"].as_str().unwrap().to_owned();
    let released = app
        .upload_result(&x.processor.token, &x.mission, "final.csv", &ok)
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
    let draft = app
        .upload_result(&x.processor.token, &x.mission, "brouillon.csv", &ok)
        .await;
    let draft = draft["id"].as_str().unwrap().to_owned();

    // Manager alone: nothing.
    assert!(app
        .list_files(&x.manager.token, &x.mission)
        .await
        .is_empty());
    let r = app
        .get_as(&x.manager.token, &format!("/api/v1/files/{released}"))
        .await;
    assert_error(r, 404, "not_found", "a manager alone").await;
    // Manager and recipient: the released results.
    app.add_participant(&x.admin.token, &x.mission, &x.manager.id, "recipient")
        .await;
    assert_eq!(
        ids(&app.list_files(&x.manager.token, &x.mission).await),
        vec![released.clone()]
    );
    assert_eq!(app.download(&x.manager.token, &released).await, ok);
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
    app.add_participant(&x.admin.token, &x.mission, &x.depositor.id, "processor")
        .await;
    let mut all = vec![deposit.clone(), released.clone(), draft.clone()];
    all.sort();
    assert_eq!(
        ids(&app.list_files(&x.depositor.token, &x.mission).await),
        all
    );
    app.upload_result(&x.depositor.token, &x.mission, "mien.csv", &ok)
        .await;
    app.upload_deposit(&x.depositor.token, &x.mission, "mien.csv", b"a;b\n1;2\n")
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
    app.add_participant(&x.admin.token, &x.mission, &admin2.id, "processor")
        .await;
    assert_eq!(app.download(&admin2.token, &deposit).await, b"a;b\n1;2\n");
    let v = body(
        app.get_as(&admin2.token, &format!("/api/v1/missions/{}", x.mission))
            .await,
    )
    .await;
    assert_eq!(v["my_roles"], json!(["processor"]));
}
