//! The queries of an incident report: the audit events of a time window (optionally of some
//! accounts, addresses or missions), the sign-ins from some addresses, and the files touched,
//! whether still stored or destroyed since.
//!
//! Each query goes through an index of `audit_events` (`at`, `actor, at`, `ip, at`,
//! `mission_id, at`); lists of values are bound in chunks, never written into the SQL.

use super::{Db, DbError};
use crate::domain::AuditAction;

/// Values bound per `IN (...)` list: well under SQLite's and PostgreSQL's limits.
const CHUNK: usize = 500;

/// What an incident report reads: a window, and optional lists (a list left empty matches
/// everything; the lists given are ANDed, the values within a list ORed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentScope {
    /// Events at or after this instant (ms).
    pub from_ms: i64,
    /// Events strictly before this instant (ms).
    pub before_ms: i64,
    /// Acting user ids.
    pub actors: Vec<String>,
    /// Source addresses.
    pub ips: Vec<String>,
    /// Mission ids.
    pub missions: Vec<String>,
}

/// An audit event as the report reads it (without the chain's hashes).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentEvent {
    /// Position in the chain.
    pub seq: i64,
    /// When (ms).
    pub at: i64,
    /// Acting user id; `None` for the gateway itself.
    pub actor: Option<String>,
    /// Source address.
    pub ip: Option<String>,
    /// Action code.
    pub action: String,
    /// Mission concerned.
    pub mission_id: Option<String>,
    /// File concerned.
    pub file_id: Option<String>,
    /// Outcome word.
    pub outcome: String,
    /// Extra facts as JSON, for a file's event only (its name when the file is gone).
    pub detail: Option<String>,
}

/// Only what a report reads: every column decoded costs, over a million events.
const EVENT_COLUMNS: &str = "seq, at, actor, ip, action, mission_id, file_id, outcome, \
     CASE WHEN file_id IS NULL THEN NULL ELSE detail END AS detail";

/// `column IN ($n, $n+1, …)` for `count` values, numbered after `bound` placeholders.
fn in_list(column: &str, bound: usize, count: usize) -> String {
    let marks: Vec<String> = (1..=count).map(|i| format!("${}", bound + i)).collect();
    format!("{column} IN ({})", marks.join(", "))
}

/// The `WHERE` clause of the scope's events and the text values to bind after the window's two.
/// The list read through its index (the smallest given) is chunked by the caller: `driving`.
fn clause(scope: &IncidentScope, driving: Option<(&str, &[String])>) -> (String, Vec<String>) {
    let mut sql = String::from(" WHERE at >= $1 AND at < $2");
    let mut values: Vec<String> = Vec::new();
    let lists: [(&str, &[String]); 3] = [
        ("actor", &scope.actors),
        ("ip", &scope.ips),
        ("mission_id", &scope.missions),
    ];
    for (column, list) in lists {
        let list = match driving {
            Some((c, chunk)) if c == column => chunk,
            _ => list,
        };
        if list.is_empty() {
            continue;
        }
        sql.push_str(" AND ");
        sql.push_str(&in_list(column, 2 + values.len(), list.len()));
        values.extend(list.iter().cloned());
    }
    (sql, values)
}

/// The events of the scope, oldest first.
pub async fn events(db: &Db, scope: &IncidentScope) -> Result<Vec<IncidentEvent>, DbError> {
    // The shortest non-empty list drives the query (its index); it is read in chunks.
    let driving = [
        ("actor", &scope.actors),
        ("ip", &scope.ips),
        ("mission_id", &scope.missions),
    ]
    .into_iter()
    .filter(|(_, l)| !l.is_empty())
    .min_by_key(|(_, l)| l.len());
    let chunks: Vec<Option<(&str, &[String])>> = match driving {
        None => vec![None],
        Some((column, list)) => list.chunks(CHUNK).map(|c| Some((column, c))).collect(),
    };
    let mut out = Vec::new();
    for chunk in chunks {
        let (where_sql, values) = clause(scope, chunk);
        out.extend(fetch(db, &where_sql, scope.from_ms, scope.before_ms, values).await?);
    }
    out.sort_by_key(|e| e.seq);
    out.dedup_by_key(|e| e.seq);
    Ok(out)
}

/// The events matching `where_sql` (whose `$1` and `$2` are `from_ms` and `before_ms`, the
/// `texts` bound after them). They come packed, [`BATCH`] to a row: the driver hands rows over
/// one at a time, at a cost per row that dominated a report over a million events.
async fn fetch(
    db: &Db,
    where_sql: &str,
    from_ms: i64,
    before_ms: i64,
    texts: Vec<String>,
) -> Result<Vec<IncidentEvent>, DbError> {
    let sql = packed_sql(db.engine, where_sql);
    let mut q = sqlx::query_scalar::<_, String>(&sql)
        .bind(from_ms)
        .bind(before_ms);
    for v in &texts {
        q = q.bind(v.clone());
    }
    let mut out = Vec::new();
    let mut well_formed = true;
    for packed in q.fetch_all(&db.pool).await? {
        if !unpack(&packed, &mut out) {
            well_formed = false;
            break;
        }
    }
    if well_formed {
        return Ok(out);
    }
    // A value holding a separator (none should): these events row by row.
    let sql = format!("SELECT {EVENT_COLUMNS} FROM audit_events{where_sql}");
    let mut q = sqlx::query_as::<_, IncidentEvent>(&sql)
        .bind(from_ms)
        .bind(before_ms);
    for v in texts {
        q = q.bind(v);
    }
    Ok(q.fetch_all(&db.pool).await?)
}

/// Events packed in one row.
const BATCH: i64 = 256;
/// Between two events of a packed row (ASCII record separator).
const RECORD: char = '\u{1e}';
/// Between two fields of a packed event (ASCII unit separator).
const UNIT: char = '\u{1f}';

/// The query of the scope's events, packed: each row holds up to [`BATCH`] events, each event
/// its nine fields, an absent value written empty and a present one after a `+`.
fn packed_sql(engine: super::Engine, where_sql: &str) -> String {
    let (rs, us, agg) = match engine {
        super::Engine::Sqlite => ("char(30)", "char(31)", "group_concat"),
        super::Engine::Postgres => ("chr(30)", "chr(31)", "string_agg"),
    };
    let opt = |c: &str| format!("COALESCE('+' || {c}, '')");
    let fields = [
        "CAST(seq AS TEXT)".to_owned(),
        "CAST(at AS TEXT)".to_owned(),
        opt("actor"),
        opt("ip"),
        "action".to_owned(),
        opt("mission_id"),
        opt("file_id"),
        "outcome".to_owned(),
        opt("CASE WHEN file_id IS NULL THEN NULL ELSE detail END"),
    ];
    let line = fields.join(&format!(" || {us} || "));
    format!(
        "SELECT {agg}(line, {rs}) FROM (SELECT seq / {BATCH} AS batch, {line} AS line \
         FROM audit_events{where_sql}) packed GROUP BY batch"
    )
}

/// Unpacks a row of [`packed_sql`] into `out`; `false` when it is not as written.
fn unpack(packed: &str, out: &mut Vec<IncidentEvent>) -> bool {
    let opt = |v: &str| -> Result<Option<String>, ()> {
        match v.strip_prefix('+') {
            Some(v) => Ok(Some(v.to_owned())),
            None if v.is_empty() => Ok(None),
            None => Err(()),
        }
    };
    for record in packed.split(RECORD) {
        let f: Vec<&str> = record.split(UNIT).collect();
        let [seq, at, actor, ip, action, mission_id, file_id, outcome, detail] = f.as_slice()
        else {
            return false;
        };
        let event = (|| -> Result<IncidentEvent, ()> {
            Ok(IncidentEvent {
                seq: seq.parse().map_err(|_| ())?,
                at: at.parse().map_err(|_| ())?,
                actor: opt(actor)?,
                ip: opt(ip)?,
                action: (*action).to_owned(),
                mission_id: opt(mission_id)?,
                file_id: opt(file_id)?,
                outcome: (*outcome).to_owned(),
                detail: opt(detail)?,
            })
        })();
        match event {
            Ok(e) => out.push(e),
            Err(()) => return false,
        }
    }
    true
}

/// The successful sign-ins of the window from any of `ips`, oldest first.
pub async fn logins_from(
    db: &Db,
    from_ms: i64,
    before_ms: i64,
    ips: &[String],
) -> Result<Vec<IncidentEvent>, DbError> {
    let mut out = Vec::new();
    for chunk in ips.chunks(CHUNK) {
        let where_sql = format!(
            " WHERE at >= $1 AND at < $2 AND action = $3 AND outcome = 'success' AND {}",
            in_list("ip", 3, chunk.len())
        );
        let mut texts = vec![AuditAction::Login.as_str().to_owned()];
        texts.extend(chunk.iter().cloned());
        out.extend(fetch(db, &where_sql, from_ms, before_ms, texts).await?);
    }
    out.sort_by_key(|e| e.seq);
    Ok(out)
}

/// A file touched by an incident, as stored or as its tombstone keeps it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TouchedFile {
    /// Opaque id.
    pub id: String,
    /// Its mission.
    pub mission_id: String,
    /// `deposits` or `results`.
    pub folder: String,
    /// The organisation whose folder holds it (the depositor's, for a deposit).
    pub organisation_id: String,
    /// Name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content (hex).
    pub sha256: String,
    /// The identifier scan's report (a deposit still stored), if any.
    pub check_report: Option<String>,
    /// When it was destroyed, for a tombstone.
    pub destroyed_at: Option<i64>,
}

/// The files among `ids`, stored or destroyed (a file that is both keeps its stored row).
pub async fn files(db: &Db, ids: &[String]) -> Result<Vec<TouchedFile>, DbError> {
    let mut out: Vec<TouchedFile> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        for sql in [
            "SELECT id, mission_id, folder, organisation_id, name, size, sha256, check_report, \
             CAST(NULL AS BIGINT) AS destroyed_at FROM files WHERE ",
            "SELECT id, mission_id, folder, organisation_id, name, size, sha256, \
             CAST(NULL AS TEXT) AS check_report, destroyed_at FROM file_tombstones WHERE ",
        ] {
            let sql = format!("{sql}{}", in_list("id", 0, chunk.len()));
            let mut q = sqlx::query_as::<_, TouchedFile>(&sql);
            for id in chunk {
                q = q.bind(id.clone());
            }
            for f in q.fetch_all(&db.pool).await? {
                if seen.insert(f.id.clone()) {
                    out.push(f);
                }
            }
        }
    }
    Ok(out)
}

/// What the platform register reads besides the missions, organisations and accounts.
#[derive(Debug, Clone, Default)]
pub struct RegisterSources {
    /// `(mission id, destroyed_at)`.
    pub destroyed: Vec<(String, Option<i64>)>,
    /// `(mission id, issued_at)` of each destruction certificate.
    pub certificates: Vec<(String, i64)>,
    /// `(mission id, participant's organisation id, role)`.
    pub participants: Vec<(String, String, String)>,
    /// `(mission id, check report)` of the stored deposits that have one.
    pub stored_reports: Vec<(String, Option<String>)>,
    /// `(mission id, detail)` of the quarantine events (their findings outlive the files).
    pub quarantined: Vec<(Option<String>, Option<String>)>,
}

/// Reads [`RegisterSources`].
pub async fn register_sources(db: &Db) -> Result<RegisterSources, DbError> {
    let pool = &db.pool;
    Ok(RegisterSources {
        destroyed: sqlx::query_as("SELECT id, destroyed_at FROM missions")
            .fetch_all(pool)
            .await?,
        certificates: sqlx::query_as("SELECT mission_id, issued_at FROM certificates")
            .fetch_all(pool)
            .await?,
        participants: sqlx::query_as(
            "SELECT p.mission_id, u.organisation_id, p.role FROM participants p \
             JOIN users u ON u.id = p.user_id",
        )
        .fetch_all(pool)
        .await?,
        stored_reports: sqlx::query_as(
            "SELECT mission_id, check_report FROM files \
             WHERE folder = 'deposits' AND check_report IS NOT NULL",
        )
        .fetch_all(pool)
        .await?,
        quarantined: sqlx::query_as(
            "SELECT mission_id, detail FROM audit_events WHERE action = $1",
        )
        .bind(AuditAction::FileQuarantine.as_str())
        .fetch_all(pool)
        .await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_events_unpack_or_are_refused() {
        let packed = "7\u{1f}1000\u{1f}+u1\u{1f}\u{1f}file.download\u{1f}+m1\u{1f}+f1\u{1f}success\u{1f}+{\"name\":\"a;b\"}\
                      \u{1e}8\u{1f}1001\u{1f}\u{1f}+10.0.0.1\u{1f}auth.login\u{1f}\u{1f}\u{1f}denied\u{1f}";
        let mut out = Vec::new();
        assert!(unpack(packed, &mut out));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].actor.as_deref(), Some("u1"));
        assert_eq!(out[0].ip, None);
        assert_eq!(out[0].detail.as_deref(), Some("{\"name\":\"a;b\"}"));
        assert_eq!((out[1].seq, out[1].at), (8, 1001));
        assert_eq!(out[1].actor, None);
        assert_eq!(out[1].ip.as_deref(), Some("10.0.0.1"));
        // A field too many (a separator inside a value), or a value without its mark: refused.
        assert!(!unpack(
            "7\u{1f}1\u{1f}\u{1f}\u{1f}a\u{1f}\u{1f}\u{1f}s\u{1f}\u{1f}x",
            &mut out
        ));
        assert!(!unpack(
            "7\u{1f}1\u{1f}u1\u{1f}\u{1f}a\u{1f}\u{1f}\u{1f}s\u{1f}",
            &mut out
        ));
    }

    #[test]
    fn clauses_number_their_placeholders_and_chunk_the_driving_list() {
        let scope = IncidentScope {
            from_ms: 1,
            before_ms: 2,
            actors: vec!["u1".into(), "u2".into()],
            ips: vec![],
            missions: vec!["m1".into()],
        };
        let (sql, values) = clause(&scope, None);
        assert_eq!(
            sql,
            " WHERE at >= $1 AND at < $2 AND actor IN ($3, $4) AND mission_id IN ($5)"
        );
        assert_eq!(values, ["u1", "u2", "m1"]);
        let only_u2 = ["u2".to_owned()];
        let (sql, values) = clause(&scope, Some(("actor", &only_u2)));
        assert_eq!(
            sql,
            " WHERE at >= $1 AND at < $2 AND actor IN ($3) AND mission_id IN ($4)"
        );
        assert_eq!(values, ["u2", "m1"]);
    }
}
