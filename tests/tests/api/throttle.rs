//! Throttling that stops attackers, not offices (issue 12): per-account and per-address
//! thresholds, atomic counters shared by several instances, purge, and trusted proxies.

use chrono::Duration;
use passerelle_tests::prelude::*;
use serde_json::{json, Value};

passerelle_tests::on_every_backend!(
    another_accounts_login_passes_after_one_is_throttled,
    concurrent_wrong_passwords_cannot_outrun_the_rule,
    finished_counters_are_purged,
    trusted_proxies_give_the_client_address,
);

async fn login(app: &TestApp, username: &str, password: &str) -> u16 {
    app.post(
        "/api/v1/auth/login",
        json!({"username": username, "password": password}),
    )
    .await
    .status()
    .as_u16()
}

async fn another_accounts_login_passes_after_one_is_throttled(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    let org = app.organisation(&admin, "Habitat Hénin", "bailleur").await;
    let typist = app.user(&admin, "marie", &org).await;
    let colleague = app.user(&admin, "paul", &org).await;
    for _ in 0..5 {
        assert_eq!(
            login(&app, &typist.username, "pas le bon mot de passe").await,
            401
        );
    }
    assert_eq!(login(&app, &typist.username, &typist.password).await, 429);
    // The attack of the issue: the colleague behind the same address (was 429).
    assert_eq!(
        login(&app, &colleague.username, &colleague.password).await,
        200
    );
    // The address has its own, higher thresholds: 20 failures from it, and it waits.
    for i in 0..14 {
        assert_eq!(
            login(&app, &format!("inconnu{i}"), "devinette devinette").await,
            401
        );
    }
    assert_eq!(
        login(&app, &colleague.username, &colleague.password).await,
        200
    );
    assert_eq!(
        login(&app, "inconnu-final", "devinette devinette").await,
        401
    );
    let r = app
        .post(
            "/api/v1/auth/login",
            json!({"username": colleague.username, "password": colleague.password}),
        )
        .await;
    assert_eq!(r.status(), 429, "20 failures from one address");
    assert_eq!(r.headers()["retry-after"], "60");
    app.clock.advance(Duration::seconds(61));
    assert_eq!(
        login(&app, &colleague.username, &colleague.password).await,
        200
    );
}

/// Fires `n` wrong passwords for `username` at once, spread over `apps`; returns (examined, throttled).
async fn flood(apps: &[&TestApp], n: usize, username: impl Fn(usize) -> String) -> (usize, usize) {
    let mut tasks = Vec::new();
    for i in 0..n {
        let app = apps[i % apps.len()];
        let (client, url) = (app.client.clone(), app.url("/api/v1/auth/login"));
        let body = json!({"username": username(i), "password": "pas le bon mot de passe"});
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut examined = 0;
    let mut throttled = 0;
    for t in tasks {
        match t.await.unwrap() {
            401 => examined += 1,
            429 => throttled += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    (examined, throttled)
}

async fn concurrent_wrong_passwords_cannot_outrun_the_rule(b: Backend) {
    let app = TestApp::spawn(b.clone()).await;
    let admin = app.admin("operateur").await;
    // On PostgreSQL, a second gateway on the same database shares the counters.
    let second = match &b {
        Backend::Postgres(_) => {
            let url = app.config.database_url();
            // Instances sharing a database share its master key too.
            let master = app.config.master_key.file.clone();
            Some(
                TestApp::spawn_with(b.clone(), move |c| {
                    c.database_url = Some(url);
                    c.master_key.file = master;
                })
                .await,
            )
        }
        Backend::Sqlite => None,
    };
    if let Some(s) = &second {
        // One time for both instances, as NTP gives real ones.
        s.clock.set(gateway::clock::Clock::now(&app.clock));
    }
    let apps: Vec<&TestApp> = std::iter::once(&app).chain(second.as_ref()).collect();
    // The attack of the issue: 40 concurrent wrong passwords for one account (35 were examined).
    let (examined, throttled) = flood(&apps, 40, |_| admin.username.clone()).await;
    assert!(examined <= 10, "{examined} examined");
    assert_eq!(
        examined, 5,
        "the delay starts at the 5th failure, whatever the concurrency"
    );
    assert_eq!(throttled, 35);
    // 30 concurrent from one address over as many accounts (all were examined): at most 20.
    for a in &apps {
        a.clock.advance(Duration::hours(2));
    }
    let (examined, throttled) = flood(&apps, 30, |i| format!("inconnu{i}")).await;
    assert_eq!(
        examined, 20,
        "the address's delay starts at its 20th failure"
    );
    assert_eq!(throttled, 10);
    // The audit trail agrees: one wrong-password examination per 401.
    for a in &apps {
        a.clock.advance(Duration::hours(2));
    }
    let token = app.login(&admin).await;
    let events: Value = app
        .get_as(&token, "/api/v1/audit")
        .await
        .json()
        .await
        .unwrap();
    let failed = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "auth.login_failed" && e["outcome"] == "failed")
        .count();
    assert_eq!(failed, 25);
}

async fn finished_counters_are_purged(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin("operateur").await;
    for _ in 0..3 {
        assert_eq!(
            login(&app, &admin.username, "pas le bon mot de passe").await,
            401
        );
    }
    let count = || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_throttle")
            .fetch_one(&app.core.db.pool)
            .await
            .unwrap();
        n
    };
    assert_eq!(count().await, 2, "the account's and the address's counters");
    app.core.purge_sessions().await.unwrap();
    assert_eq!(count().await, 2, "a run under an hour old is kept");
    app.clock.advance(Duration::minutes(61));
    app.core.purge_sessions().await.unwrap();
    assert_eq!(
        count().await,
        0,
        "the sweeper's housekeeping purges finished runs"
    );
}

async fn forwarded(app: &TestApp, xff: &str, username: &str) -> u16 {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", xff)
        .json(&json!({"username": username, "password": "devinette devinette"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn last_failure_ip(app: &TestApp, token: &str) -> Value {
    let events: Value = app
        .get_as(token, "/api/v1/audit")
        .await
        .json()
        .await
        .unwrap();
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["action"] == "auth.login_failed")
        .unwrap()["ip"]
        .clone()
}

async fn trusted_proxies_give_the_client_address(b: Backend) {
    // Not trusted (the default): the header is ignored.
    let app = TestApp::spawn(b.clone()).await;
    let admin = app.admin("operateur").await;
    assert_eq!(forwarded(&app, "203.0.113.5", "personne").await, 401);
    assert_eq!(last_failure_ip(&app, &admin.token).await, "127.0.0.1");
    drop(app);

    // Behind a trusted proxy: the rightmost untrusted hop (hops to its left may be forged).
    let app = TestApp::spawn_with(b, |c| {
        c.http.trusted_proxies = vec!["127.0.0.0/8".to_owned(), "10.0.0.0/8".to_owned()];
    })
    .await;
    let admin = app.admin("operateur").await;
    assert_eq!(
        forwarded(&app, "6.6.6.6, 203.0.113.5, 10.1.2.3", "personne").await,
        401
    );
    assert_eq!(last_failure_ip(&app, &admin.token).await, "203.0.113.5");
    // Each client behind the proxy has its own address counter: one client's failures do not
    // throttle another's.
    for i in 0..19 {
        assert_eq!(
            forwarded(&app, "203.0.113.5", &format!("personne{i}")).await,
            401
        );
    }
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "198.51.100.7")
        .json(&json!({"username": admin.username, "password": admin.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "203.0.113.5")
        .json(&json!({"username": admin.username, "password": admin.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        429,
        "the address 203.0.113.5 reached 20 failures"
    );
}
