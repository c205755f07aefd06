//! TLS, HTTP limits, security headers and the audit chain's tamper evidence.

use passerelle_tests::prelude::*;
use serde_json::json;
use sqlx::Executor as _;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

passerelle_tests::on_every_backend!(
    security_headers_on_every_response,
    audit_chain_detects_tampering
);

async fn security_headers_on_every_response(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let responses = [
        app.client.get(app.url("/healthz")).send().await.unwrap(),
        app.client
            .get(app.url("/api/v1/nowhere"))
            .send()
            .await
            .unwrap(),
        app.get_as(&admin.token, "/api/v1/me").await,
        app.post(
            "/api/v1/auth/login",
            json!({"username": "x", "password": "y"}),
        )
        .await,
    ];
    for r in responses {
        let h = r.headers();
        let hsts = h["strict-transport-security"].to_str().unwrap();
        let max_age: u64 = hsts
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("max-age=")
            .parse()
            .unwrap();
        assert!(max_age >= 31_536_000, "{hsts}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(h.get("server").is_none(), "no version banner");
        assert_eq!(h["cache-control"], "no-store");
    }
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
}

async fn audit_chain_detects_tampering(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    for i in 0..4 {
        app.post_as(
            &admin.token,
            "/api/v1/organisations",
            json!({"name": format!("Organisme {i}"), "kind": "other"}),
        )
        .await;
    }
    let audit = &app.core.audit;
    let ok = audit.verify().await.unwrap().unwrap();
    assert!(ok.entries >= 7);
    let pool = &app.core.db.pool;

    // Edit a field: the row's hash no longer matches.
    pool.execute("UPDATE audit_events SET outcome = 'failed' WHERE seq = 3")
        .await
        .unwrap();
    assert_eq!(
        audit.verify().await.unwrap().unwrap_err(),
        gateway::service::audit::Broken::Edited(3)
    );
    pool.execute("UPDATE audit_events SET outcome = 'success' WHERE seq = 3")
        .await
        .unwrap();
    assert!(audit.verify().await.unwrap().is_ok());

    // Recompute a plain SHA-256 over an edit: without the key, the chain still breaks.
    pool.execute("UPDATE audit_events SET hash = '00' || substr(hash, 3) WHERE seq = 4")
        .await
        .unwrap();
    let broken = audit.verify().await.unwrap().unwrap_err();
    assert_eq!(broken, gateway::service::audit::Broken::Edited(4));
    assert!(broken.to_string().contains("entry 4"), "{broken}");
}

// Purging for retention keeps the remaining chain verifiable; deleting from the middle does not.
#[tokio::test]
async fn purge_keeps_verification_and_deletion_is_detected() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("operateur").await;
    app.clock.advance(chrono::Duration::days(400));
    let token = app.login(&admin).await;
    for i in 0..3 {
        app.post_as(
            &token,
            "/api/v1/organisations",
            json!({"name": format!("Org {i}"), "kind": "other"}),
        )
        .await;
    }
    let before = app.core.audit.verify().await.unwrap().unwrap();
    let purged = app
        .core
        .audit
        .purge_before(start_time() + chrono::Duration::days(365))
        .await
        .unwrap();
    assert!(purged >= 3, "{purged}");
    let after = app.core.audit.verify().await.unwrap().unwrap();
    assert_eq!(after.entries, before.entries - purged);
    assert_eq!(after.last_seq, before.last_seq);
    // New entries keep chaining after a purge.
    app.post_as(
        &token,
        "/api/v1/organisations",
        json!({"name": "Org après purge", "kind": "other"}),
    )
    .await;
    assert!(app.core.audit.verify().await.unwrap().is_ok());
    let seq = after.last_seq - 1;
    app.core
        .db
        .pool
        .execute(format!("DELETE FROM audit_events WHERE seq = {seq}").as_str())
        .await
        .unwrap();
    let broken = app.core.audit.verify().await.unwrap().unwrap_err();
    assert!(
        matches!(broken, gateway::service::audit::Broken::Gap { expected, .. } if expected == seq),
        "{broken}"
    );
}

/// A TLS ClientHello offering at most `version` (no supported_versions extension) and `suites`.
fn client_hello(version: [u8; 2], suites: &[u16]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(version);
    body.extend([0x42; 32]);
    body.push(0);
    body.extend(((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend(s.to_be_bytes());
    }
    body.extend([1, 0]);
    let mut ext = Vec::new();
    ext.extend([0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]); // groups: x25519, P-256
    ext.extend([0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]); // point formats
    ext.extend([
        0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,
    ]); // signature algorithms
    body.extend((ext.len() as u16).to_be_bytes());
    body.extend(ext);
    let mut hs = vec![1];
    hs.extend(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend(body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend((hs.len() as u16).to_be_bytes());
    record.extend(hs);
    record
}

/// The first TLS record type the server answers with (0x16 handshake, 0x15 alert), if any.
async fn first_record(addr: std::net::SocketAddr, hello: &[u8]) -> Option<u8> {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(hello).await.unwrap();
    let mut buf = [0u8; 7];
    match tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => Some(buf[0]),
        _ => None,
    }
}

const AEAD_ECDHE: &[u16] = &[0xc02b, 0xc02c, 0xc02f, 0xc030];
const CBC_ONLY: &[u16] = &[0xc009, 0xc013, 0x002f, 0x0035];

#[tokio::test]
async fn only_tls12_and_13_with_aead_suites() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Control: the same hand-made hello at TLS 1.2 with AEAD suites gets a ServerHello.
    assert_eq!(
        first_record(app.addr, &client_hello([3, 3], AEAD_ECDHE)).await,
        Some(0x16)
    );
    // TLS 1.1 and 1.0: refused with an alert, never a ServerHello.
    assert_eq!(
        first_record(app.addr, &client_hello([3, 2], AEAD_ECDHE)).await,
        Some(0x15)
    );
    assert_eq!(
        first_record(app.addr, &client_hello([3, 1], CBC_ONLY)).await,
        Some(0x15)
    );
    // TLS 1.2 with CBC suites only: no common suite.
    assert_eq!(
        first_record(app.addr, &client_hello([3, 3], CBC_ONLY)).await,
        Some(0x15)
    );
    // A real client limited to TLS 1.2 connects.
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&app.cert_pem).unwrap())
        .tls_built_in_root_certs(false)
        .max_tls_version(reqwest::tls::Version::TLS_1_2)
        .resolve("localhost", app.addr)
        .build()
        .unwrap();
    assert_eq!(
        client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.http.handshake_timeout_secs = 1;
        c.http.header_read_timeout_secs = 1;
    })
    .await;
    // A client that never starts the handshake.
    let mut tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("connection held open");
    assert!(matches!(n, Ok(0) | Err(_)));
    // A client that sends half a request head and stops.
    let mut tls = app.tls_stream().await;
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "connection held open by a slow client");
    assert!(!String::from_utf8_lossy(&out).contains("200 OK"));
}

#[tokio::test]
async fn oversized_headers_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // 20 KiB: over the 16 KiB head limit but within the HTTP/1.1 read buffer (256 KiB), which
    // must not bound the head by itself.
    for size in [20 * 1024, 100 * 1024] {
        let mut tls = app.tls_stream().await;
        let big = "a".repeat(size);
        let request = format!("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\n\r\n");
        let _ = tls.write_all(request.as_bytes()).await;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut out)).await;
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("200 OK"), "{size}: {text}");
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 431"),
            "{size}: {text}"
        );
    }
    // A head just under the limit still passes.
    let mut tls = app.tls_stream().await;
    let fits = "a".repeat(12 * 1024);
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: {fits}\r\nConnection: close\r\n\r\n"
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

// Rotating the master key rewraps the gateway's own keys too: sealed TOTP secrets and the audit
// chain stay usable by a gateway restarted with the new master key.
#[tokio::test]
async fn master_key_rotation_keeps_logins_and_the_audit_chain() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("operateur").await;
    let master = app.data.path().join("master.key");
    let before = std::fs::read(&master).unwrap();
    let clock: gateway::clock::SharedClock = std::sync::Arc::new(app.clock.clone());
    let opened = gateway::app::open(app.config.clone(), clock.clone())
        .await
        .unwrap();
    opened
        .blobs
        .keys()
        .rotate_master_file(&master)
        .await
        .unwrap();
    assert_ne!(
        std::fs::read(&master).unwrap(),
        before,
        "a new master key is in place"
    );

    // A gateway started afresh reads everything with the new master key.
    let restarted = gateway::Application::build(app.config.clone(), clock)
        .await
        .unwrap();
    let addr = restarted.local_addr();
    assert!(restarted.core().audit.verify().await.unwrap().is_ok());
    tokio::spawn(restarted.run_until(std::future::pending()));
    let client = client_for(&app.cert_pem, addr);
    let base = format!("https://localhost:{}", addr.port());
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": admin.username, "password": admin.password}))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["step"], "totp");
    let r = client
        .post(format!("{base}/api/v1/auth/totp"))
        .json(&json!({"challenge": v["challenge"], "code": app.code(&admin.totp_secret)}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "the sealed TOTP secret survived the rotation"
    );

    // The old master key no longer opens the key store.
    let old = app.data.path().join("old.key");
    std::fs::write(&old, &before).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut stale = app.config.clone();
    stale.master_key.file = Some(old);
    let err = gateway::app::open(stale, std::sync::Arc::new(app.clock.clone()))
        .await
        .unwrap_err();
    assert!(err.0.contains("key store"), "{err}");
}

// A handler that answers before reading the body (here a 404 for an unknown mission) must not
// lose its answer to a TCP reset: the gateway reads and discards a small unread body first, as
// nginx's lingering close does (schemathesis once saw "EOF occurred in violation of protocol" here).
#[tokio::test]
async fn an_early_answer_reaches_a_client_still_sending() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin("operateur").await;
    let mut body = b"--frontiere\r\nContent-Disposition: form-data; name=\"file\"; \
        filename=\"enquete.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        .to_vec();
    body.resize(256 * 1024, b'x');
    for attempt in 0..12 {
        let mut tls = app.tls_stream().await;
        let head = format!(
            "POST /api/v1/missions/{}/results HTTP/1.1\r\nHost: localhost\r\n\
             Authorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary=frontiere\r\n\
             Content-Length: {}\r\n\r\n",
            uuid::Uuid::new_v4(),
            admin.token,
            body.len()
        );
        // Like Python's requests: the whole request is sent before the answer is read; in
        // pieces, as a network delivers it, so that the rest arrives after the answer is ready.
        let sent = async {
            tls.write_all(head.as_bytes()).await?;
            for piece in body.chunks(16 * 1024) {
                tls.write_all(piece).await?;
                tls.flush().await?;
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            Ok::<_, std::io::Error>(())
        };
        let sent = tokio::time::timeout(Duration::from_secs(10), sent)
            .await
            .expect("sent in time");
        assert!(sent.is_ok(), "attempt {attempt}: {sent:?}");
        let mut first = vec![0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut first))
            .await
            .expect("an answer in time");
        let text = match n {
            Ok(n) => String::from_utf8_lossy(&first[..n]).into_owned(),
            Err(e) => format!("{e}"),
        };
        assert!(
            text.starts_with("HTTP/1.1 404"),
            "attempt {attempt}: {text:?}"
        );
    }
}
