//! Shared state (several instances on one database): the key store lives in the database,
//! sealed by one master key; PostgreSQL never generates a master key; an older key directory is
//! moved in once; outgoing mail is queued in the database and sent exactly once.

use crate::destruction::*;
use passerelle_tests::prelude::*;

fn clock_of(app: &TestApp) -> gateway::clock::SharedClock {
    std::sync::Arc::new(app.clock.clone())
}

async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind.to_owned())
        .fetch_one(&app.core.db.pool)
        .await
        .unwrap()
}

async fn keys_live_in_the_database(b: Backend) {
    let s = setup(b, None).await;
    let app = &s.app;
    assert!(
        !app.data.path().join("keys").exists(),
        "no key directory any more"
    );
    let rows = "SELECT COUNT(*) FROM key_records WHERE kind = 'mission' AND name = $1";
    assert_eq!(count(app, rows, &s.mission).await, 1);
    // The row holds the wrapped key only.
    let wrapped: String = sqlx::query_scalar("SELECT wrapped FROM key_records WHERE name = $1")
        .bind(&s.mission)
        .fetch_one(&app.core.db.pool)
        .await
        .unwrap();
    assert_eq!(
        wrapped.len(),
        136,
        "base64 of a 102-byte wrapped key record"
    );

    // A restart on the same database finds its keys there.
    let restarted = gateway::app::open(app.config.clone(), clock_of(app))
        .await
        .unwrap();
    assert_eq!(
        restarted.blobs.keys().mission_ids().await.unwrap(),
        vec![s.mission.clone()]
    );
    assert_eq!(restarted.blobs.keys().verify().await.unwrap(), 1);

    // Another instance with another master key is refused, in French and in English.
    let other_dir = tempfile::tempdir().unwrap();
    let other_key = other_dir.path().join("autre.key");
    passerelle_tests::app::write_master_key(&other_key);
    let mut other = app.config.clone();
    other.data_dir = other_dir.path().join("data");
    other.database_url = Some(app.config.database_url());
    other.master_key.file = Some(other_key);
    let err = gateway::app::open(other, clock_of(app)).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("n'est pas celle qui scelle"), "{msg}");
    assert!(msg.contains("is not the one the key store"), "{msg}");

    // Shredding leaves no row, and a tombstone.
    app.core
        .blobs
        .keys()
        .destroy_mission_key(&s.mission)
        .await
        .unwrap();
    assert_eq!(count(app, rows, &s.mission).await, 0);
    let tombs = "SELECT COUNT(*) FROM key_tombstones WHERE mission_id = $1";
    assert_eq!(count(app, tombs, &s.mission).await, 1);
    assert!(restarted
        .blobs
        .keys()
        .is_destroyed(&s.mission)
        .await
        .unwrap());
}

async fn outgoing_mail_is_sent_exactly_once(b: Backend) {
    let postgres = matches!(b, Backend::Postgres(_));
    let app = TestApp::spawn(b).await;
    // A second instance on the same PostgreSQL database, with its own disk; SQLite has a single
    // instance, whose drains race each other.
    let second_dir = tempfile::tempdir().unwrap();
    let second = if postgres {
        let mut config = app.config.clone();
        config.data_dir = second_dir.path().to_path_buf();
        gateway::app::open(config, clock_of(&app)).await.unwrap()
    } else {
        app.core.clone()
    };
    let now = gateway::clock::to_millis(gateway::clock::Clock::now(&app.clock));
    for i in 0..30 {
        let m = gateway::db::outgoing_mail::OutgoingMail {
            id: format!("message-{i:02}"),
            recipient_name: "Agent".into(),
            recipient: format!("agent{i}@example.fr"),
            subject: format!("Message {i}"),
            body: "Bonjour".into(),
            kind: None,
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            sent_at: None,
        };
        gateway::db::outgoing_mail::enqueue(&app.core.db, &m)
            .await
            .unwrap();
    }
    let (a, b) = tokio::join!(app.core.mailer.drain(), second.mailer.drain());
    let (a, b) = (a.unwrap(), b.unwrap());
    // Whoever did not get the lock leaves the rest to the next drain.
    let c = app.core.mailer.drain().await.unwrap() + second.mailer.drain().await.unwrap();
    // (The gateway's own sweeper may have drained some meanwhile: the outbox is what counts.)
    assert!(a + b + c <= 30, "{a} + {b} + {c}");
    let files = |dir: &std::path::Path| {
        std::fs::read_dir(dir.join("outbox"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let written = files(app.data.path())
        + if postgres {
            files(second_dir.path())
        } else {
            0
        };
    assert_eq!(written, 30, "each message written once");
    assert_eq!(
        gateway::db::outgoing_mail::unsent(&app.core.db)
            .await
            .unwrap(),
        0
    );
    // Sent messages keep no body.
    let bodies: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outgoing_mail WHERE body <> ''")
        .fetch_one(&app.core.db.pool)
        .await
        .unwrap();
    assert_eq!(bodies, 0);
}

passerelle_tests::on_every_backend!(
    keys_live_in_the_database,
    outgoing_mail_is_sent_exactly_once
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_wants_an_explicit_master_key() {
    let Some(Backend::Postgres(url)) = Backend::postgres() else {
        return;
    };
    let app = TestApp::spawn(Backend::Postgres(url)).await;
    let mut config = app.config.clone();
    let dir = tempfile::tempdir().unwrap();
    config.data_dir = dir.path().to_path_buf();
    config.master_key.file = None;
    let msg = gateway::app::open(config, clock_of(&app))
        .await
        .unwrap_err()
        .to_string();
    assert!(msg.contains("avec PostgreSQL"), "{msg}");
    assert!(msg.contains("never generated"), "{msg}");
    assert!(!dir.path().join("master.key").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_key_directory_moves_into_the_database() {
    let data = tempfile::tempdir().unwrap();
    let master_path = data.path().join("master.key");
    let master = storage::MasterKey::load_or_generate(&master_path).unwrap();
    let legacy = storage::KeyStore::open(data.path().join("keys"), master).unwrap();
    legacy.create_mission_key("ancienne").await.unwrap();
    legacy.create_mission_key("detruite").await.unwrap();
    legacy.destroy_mission_key("detruite").await.unwrap();
    let audit = legacy.service_key("gateway-audit-chain").await.unwrap();
    drop(legacy);
    let mut config = gateway::Config::load_from(None, &[]).unwrap();
    config.data_dir = data.path().to_path_buf();
    let clock: gateway::clock::SharedClock =
        std::sync::Arc::new(gateway::clock::ManualClock::new(start_time()));
    let core = gateway::app::open(config.clone(), clock.clone())
        .await
        .unwrap();
    assert!(!data.path().join("keys").exists(), "moved, then shredded");
    let keys = core.blobs.keys();
    assert_eq!(
        keys.mission_ids().await.unwrap(),
        vec!["ancienne".to_owned()]
    );
    assert!(keys.is_destroyed("detruite").await.unwrap());
    assert_eq!(
        *keys.service_key("gateway-audit-chain").await.unwrap(),
        *audit
    );
    drop(core);
    // Once only: a second start finds everything in place.
    let again = gateway::app::open(config, clock).await.unwrap();
    assert_eq!(again.blobs.keys().verify().await.unwrap(), 1);
}
