//! No single address can starve the service (issue 12): a cap on connections per address under
//! the global one, a deadline and a minimum body rate on the unauthenticated routes, idle
//! connections closed, and argon2 work queued fairly between addresses.
//!
//! Linux routes all of 127.0.0.0/8 to the loopback interface: clients bound to 127.0.0.2 and
//! 127.0.0.3 reach the gateway listening on 127.0.0.1 as distinct addresses.

use passerelle_tests::prelude::*;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

passerelle_tests::on_every_backend!(
    one_address_cannot_starve_the_service,
    slow_logins_are_cut_by_the_body_rate_and_the_deadline,
);

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

fn connector(app: &TestApp) -> tokio_rustls::TlsConnector {
    connector_for(app, b"http/1.1")
}

fn connector_for(app: &TestApp, alpn: &[u8]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut app.cert_pem.as_slice()) {
        roots.add(c.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// A client whose connections leave from `source`.
fn client_from(app: &TestApp, source: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&app.cert_pem).unwrap())
        .tls_built_in_root_certs(false)
        .https_only(true)
        .resolve("localhost", app.addr)
        .local_address(IpAddr::from(source))
        .build()
        .unwrap()
}

/// A login whose body trickles: the head and one byte of a 64-byte body, then nothing.
async fn slow_login(connector: tokio_rustls::TlsConnector, addr: SocketAddr) -> Option<Tls> {
    let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    let mut tls = tokio::time::timeout(
        Duration::from_secs(5),
        connector.connect("localhost".try_into().unwrap(), tcp),
    )
    .await
    .ok()?
    .ok()?;
    let head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{";
    tls.write_all(head.as_bytes()).await.ok()?;
    tls.flush().await.ok()?;
    // Refused connections are closed at once: the server's answer tells.
    let mut probe = [0u8; 1];
    match tokio::time::timeout(Duration::from_millis(200), tls.read(&mut probe)).await {
        Ok(_) => None,
        Err(_) => Some(tls),
    }
}

async fn one_address_cannot_starve_the_service(b: Backend) {
    let app = TestApp::spawn_with(b, |c| {
        // Below the 300 slow connections: without the per-address cap they would take it all.
        c.http.max_connections = 256;
        // Let the login flood reach argon2 (the address throttle would otherwise stop it).
        c.throttle.address_delay_after = 1000;
        c.throttle.address_lock_after = 2000;
        // Hold the slow connections for the whole test (their cut is tested apart).
        c.http.unauthenticated_min_body_rate = 0;
        c.http.unauthenticated_deadline_secs = 60;
    })
    .await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let paul = app.user(&admin, "paul", &org).await;

    // The attack of the issue: 300 slow-body logins from one address (127.0.0.1).
    let tls = connector(&app);
    let attempts: Vec<_> = (0..300)
        .map(|_| tokio::spawn(slow_login(tls.clone(), app.addr)))
        .collect();
    let mut held = Vec::new();
    for a in attempts {
        if let Some(s) = a.await.unwrap() {
            held.push(s);
        }
    }
    assert!(
        held.len() <= 128,
        "{} connections held from one address",
        held.len()
    );
    assert!(
        held.len() >= 100,
        "only {} slow connections held",
        held.len()
    );

    // Meanwhile a login flood from 127.0.0.3 fills the argon2 queue.
    let flooder = client_from(&app, [127, 0, 0, 3]);
    let flood: Vec<_> = (0..60)
        .map(|i| {
            let (c, url) = (flooder.clone(), app.url("/api/v1/auth/login"));
            tokio::spawn(async move {
                c.post(url)
                    .json(&json!({"username": format!("inconnu{i}"), "password": "devinette devinette"}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // A normal login from 127.0.0.2 still succeeds, within 2 s.
    let office = client_from(&app, [127, 0, 0, 2]);
    let started = Instant::now();
    let r = office
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": paul.username, "password": paul.password}))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), 200);
    assert!(took < Duration::from_secs(2), "the login took {took:?}");
    assert_eq!(
        office
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    drop(held);
    let statuses: Vec<u16> = futures::future::join_all(flood)
        .await
        .into_iter()
        .map(|s| s.unwrap())
        .collect();
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
}

/// Reads what the server answers a slow login, within `within`; `None` if it holds on.
async fn answer(mut s: Tls, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    // A reset connection counts as cut too.
    let _ = tokio::time::timeout(within, s.read_to_end(&mut out))
        .await
        .ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

async fn slow_logins_are_cut_by_the_body_rate_and_the_deadline(b: Backend) {
    // The body rate: one byte, then silence, is cut after the one-second grace.
    let app = TestApp::spawn(b.clone()).await;
    let started = Instant::now();
    let slow = slow_login(connector(&app), app.addr).await.unwrap();
    let text = answer(slow, Duration::from_secs(5))
        .await
        .expect("held open");
    assert!(text.starts_with("HTTP/1.1 4"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(4));
    // The whole-request deadline, with the rate check off: 408 once it passes.
    let app = TestApp::spawn_with(b, |c| {
        c.http.unauthenticated_min_body_rate = 0;
        c.http.unauthenticated_deadline_secs = 2;
    })
    .await;
    let started = Instant::now();
    let slow = slow_login(connector(&app), app.addr).await.unwrap();
    let text = answer(slow, Duration::from_secs(6))
        .await
        .expect("held open");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(1900));
    // Routes behind a session are not concerned: /healthz is, and answers at once.
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.http.idle_timeout_secs = 1).await;
    let tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut tls = connector(&app)
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tls.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Kept alive, then closed once idle.
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(6), tls.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "an idle connection stayed open");
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn idle_http2_connections_are_closed() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.http.idle_timeout_secs = 1).await;
    let tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut tls = connector_for(&app, b"h2")
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(b"h2".as_slice()));
    // The client preface and an empty SETTINGS frame; then nothing but answers to the server.
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    // A well-behaved client: it acknowledges SETTINGS and answers PINGs (so keep-alive alone
    // would keep the connection open for ever), and sends no request.
    let started = Instant::now();
    let mut goaway = false;
    let closed = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            let mut head = [0u8; 9];
            if tls.read_exact(&mut head).await.is_err() {
                return;
            }
            let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
            let mut payload = vec![0u8; len];
            if tls.read_exact(&mut payload).await.is_err() {
                return;
            }
            let (kind, ack) = (head[3], head[4] & 1 == 1);
            let reply: Option<Vec<u8>> = match (kind, ack) {
                (4, false) => Some(vec![0, 0, 0, 4, 1, 0, 0, 0, 0]),
                (6, false) => Some([&[0u8, 0, 8, 6, 1, 0, 0, 0, 0][..], &payload[..]].concat()),
                (7, _) => {
                    goaway = true;
                    None
                }
                _ => None,
            };
            if let Some(r) = reply {
                if tls.write_all(&r).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "an idle HTTP/2 connection stayed open");
    assert!(goaway, "closed with a GOAWAY");
    assert!(started.elapsed() >= Duration::from_millis(900));
}
