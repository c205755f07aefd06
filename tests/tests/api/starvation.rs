//! No single address can starve the service (issue 12): a cap on connections per address under
//! the global one, a deadline and a minimum body rate on the unauthenticated routes, idle
//! connections closed, and argon2 work queued fairly between addresses.
//!
//! Linux routes all of 127.0.0.0/8 to the loopback interface: clients bound to 127.0.0.2 and
//! 127.0.0.3 reach the gateway listening on 127.0.0.1 as distinct addresses.

use crate::helpers::*;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

crate::on_every_backend!(one_address_cannot_starve_the_service);

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

fn connector(app: &TestApp) -> tokio_rustls::TlsConnector {
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
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
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
    let app = spawn_app_with(b, |c| {
        // Below the 300 slow connections: without the per-address cap they would take it all.
        c.http.max_connections = 256;
        // Let the login flood reach argon2 (the address throttle would otherwise stop it).
        c.throttle.address_delay_after = 1000;
        c.throttle.address_lock_after = 2000;
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
    let opened_at = Instant::now();
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

    // The slow bodies are cut by the minimum body rate (long before the 10 s deadline).
    let mut cut = 0;
    for mut s in held {
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        if read.is_ok() || String::from_utf8_lossy(&out).starts_with("HTTP/1.1 4") {
            cut += 1;
        }
    }
    assert!(opened_at.elapsed() < Duration::from_secs(10));
    assert!(cut > 0);
    let statuses: Vec<u16> = futures::future::join_all(flood)
        .await
        .into_iter()
        .map(|s| s.unwrap())
        .collect();
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.http.idle_timeout_secs = 1).await;
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
