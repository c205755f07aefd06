//! Incident report benchmark (issue 17): seeds 1,000,000 audit events (a year of a busy
//! platform: 200 accounts, 20 organisations, 100 missions, 5,000 files) into a fresh SQLite
//! database by bulk SQL (not through HTTP), then times `incident_report` for typical requests
//! and for the whole year unfiltered. The goal: under 10 s each.
//!
//! Run with `cargo bench -p gateway --bench incident`; `PASSERELLE_BENCH_EVENTS` changes the count.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use gateway::clock::ManualClock;
use gateway::service::incident::IncidentRequest;

/// Seeds organisations, accounts, missions, files and `events` audit events over one year from
/// `start_ms`. The hash columns hold placeholders: the report reads no hash.
async fn seed(pool: &sqlx::AnyPool, start_ms: i64, events: i64) -> Result<(), sqlx::Error> {
    let year_ms: i64 = 365 * 24 * 3600 * 1000;
    let step = year_ms / events;
    let statements = [
        format!(
            "INSERT INTO organisations (id, name, kind, created_at) \
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19) \
             SELECT 'o' || i, 'Organisme ' || i, CASE i % 3 WHEN 0 THEN 'bailleur' WHEN 1 THEN 'consultancy' ELSE 'epci' END, {start_ms} FROM n"
        ),
        format!(
            "INSERT INTO users (id, username, display_name, email, organisation_id, platform_admin, disabled, \
             password_hash, must_change_password, password_changed_at, created_at) \
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199) \
             SELECT 'u' || i, 'compte' || i, 'Personne ' || i, 'p' || i || '@example.org', 'o' || (i % 20), 0, 0, 'x', 0, {start_ms}, {start_ms} FROM n"
        ),
        format!(
            "INSERT INTO missions (id, name, purpose, controller_organisation_id, ends_at, status, created_at, initial_ends_at) \
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99) \
             SELECT 'm' || i, 'Mission ' || i, 'Enquête OPS', 'o' || ((i * 3) % 20), {end}, 'active', {start_ms}, {end} FROM n",
            end = start_ms + year_ms
        ),
        format!(
            "INSERT INTO files (id, mission_id, folder, organisation_id, name, size, sha256, uploaded_by, uploaded_at, released, state) \
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999) \
             SELECT 'f' || i, 'm' || (i % 100), CASE WHEN i % 4 = 0 THEN 'results' ELSE 'deposits' END, 'o' || (i % 20), \
             'fichier-' || i || '.csv', 1000 + i, printf('%064d', i), 'u' || (i % 200), {start_ms}, 0, 'stored' FROM n"
        ),
        format!(
            "INSERT INTO audit_events (seq, at, actor, organisation_id, ip, action, mission_id, file_id, target, outcome, detail, prev_hash, hash) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {events}) \
             SELECT i, {start_ms} + i * {step}, 'u' || (i % 200), 'o' || ((i % 200) % 20), \
             '10.' || (i % 7) || '.' || (i % 13) || '.' || (i % 11), \
             CASE i % 6 WHEN 0 THEN 'auth.login' WHEN 1 THEN 'file.download' WHEN 2 THEN 'file.list' \
               WHEN 3 THEN 'mission.view' WHEN 4 THEN 'file.inspect' ELSE 'auth.logout' END, \
             CASE WHEN i % 6 IN (1, 2, 3, 4) THEN 'm' || (i % 100) END, \
             CASE WHEN i % 6 IN (1, 4) THEN 'f' || ((i % 100) + 100 * ((i / 100) % 50)) END, \
             NULL, CASE WHEN i % 50 = 0 THEN 'denied' ELSE 'success' END, NULL, 'p', 'h' || i FROM n"
        ),
    ];
    for sql in statements {
        sqlx::query(&sql).execute(pool).await?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let events: i64 = std::env::var("PASSERELLE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let dir = tempfile::tempdir()?;
        let mut config = gateway::Config::load_from(None, &[]).map_err(|e| e.0)?;
        config.data_dir = dir.path().to_path_buf();
        let start = Utc
            .with_ymd_and_hms(2027, 1, 1, 0, 0, 0)
            .single()
            .ok_or("no such date")?;
        let clock = ManualClock::new(start + Duration::days(400));
        let core = gateway::app::open(config, Arc::new(clock))
            .await
            .map_err(|e| e.0)?;
        let t = Instant::now();
        seed(&core.db.pool, start.timestamp_millis(), events)
            .await?;
        println!("seeded {events} audit events in {:.1} s", t.elapsed().as_secs_f64());
        let month = IncidentRequest {
            from: start + Duration::days(150),
            to: start + Duration::days(180),
            ..Default::default()
        };
        let cases = [
            ("one account, 30 days", IncidentRequest { accounts: vec!["compte7".into()], ..month.clone() }),
            ("one address, 30 days", IncidentRequest { addresses: vec!["10.3.5.7".into()], ..month.clone() }),
            ("one mission, 30 days", IncidentRequest { missions: vec!["m42".into()], ..month.clone() }),
            ("two accounts and an address, whole year", IncidentRequest {
                from: start,
                to: start + Duration::days(366),
                accounts: vec!["compte7".into(), "compte8".into()],
                addresses: vec!["10.1.1.1".into()],
                ..Default::default()
            }),
            ("everything, 7 days", IncidentRequest { to: month.from + Duration::days(7), ..month.clone() }),
            ("everything, 30 days", month.clone()),
            ("everything, whole year (every event)", IncidentRequest {
                from: start,
                to: start + Duration::days(366),
                ..Default::default()
            }),
        ];
        let cases: Vec<_> = cases
            .into_iter()
            .filter(|(label, _)| std::env::var_os("PASSERELLE_BENCH_QUICK").is_none() || !label.contains("whole year (every"))
            .collect();
        // Where the time goes, on the 30-day window: the query alone, then the facts alone.
        let scope = gateway::db::incident::IncidentScope {
            from_ms: month.from.timestamp_millis(),
            before_ms: month.to.timestamp_millis(),
            ..Default::default()
        };
        let t = Instant::now();
        let rows = gateway::db::incident::events(&core.db, &scope).await?;
        println!("query alone, everything, 30 days: {:.2} s ({} events)", t.elapsed().as_secs_f64(), rows.len());
        let year = gateway::db::incident::IncidentScope {
            from_ms: start.timestamp_millis(),
            before_ms: (start + Duration::days(366)).timestamp_millis(),
            ..Default::default()
        };
        let t = Instant::now();
        let rows = gateway::db::incident::events(&core.db, &year).await?;
        println!("query alone, everything, whole year: {:.2} s ({} events)", t.elapsed().as_secs_f64(), rows.len());
        drop(rows);
        let whole = IncidentRequest {
            from: start,
            to: start + Duration::days(366),
            ..Default::default()
        };
        let t = Instant::now();
        let facts = core.incident_facts(None, &whole).await?;
        println!("facts alone, everything, whole year: {:.2} s ({} events)", t.elapsed().as_secs_f64(), facts.events);
        drop(facts);
        let t = Instant::now();
        let facts = core.incident_facts(None, &month).await?;
        println!("facts alone, everything, 30 days: {:.2} s ({} events)", t.elapsed().as_secs_f64(), facts.events);
        let mut worst = 0.0f64;
        for (label, req) in cases {
            let t = Instant::now();
            let bundle = core.incident_report(None, &req).await?;
            let secs = t.elapsed().as_secs_f64();
            worst = worst.max(secs);
            let bytes: usize = bundle.files.iter().map(|(_, b)| b.len()).sum();
            println!(
                "{label:<42} {secs:>7.2} s  {:>8} events  {:>5} files  {:>4} accounts  {:>4} sign-in lines  {:>6.1} MB written",
                bundle.facts.events,
                bundle.facts.files.len(),
                bundle.facts.accounts.len(),
                bundle.facts.logins.len(),
                bytes as f64 / 1e6
            );
        }
        println!("slowest report: {worst:.2} s (goal: under 10 s)");
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
