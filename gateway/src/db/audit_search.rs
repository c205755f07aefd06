//! Searching the audit trail for the administrators' journal: filters, counts, pages.
//!
//! The filters are ANDed; each one absent matches everything. The SQL is built from fixed pieces
//! with numbered placeholders, never from the values themselves.

use super::audit::{self, AuditRow};
use super::{Db, DbError};
use crate::domain::AuditEntry;

const COLUMNS: &str =
    "seq, at, actor, organisation_id, ip, action, mission_id, file_id, target, outcome, detail, prev_hash, hash";

/// Who acted, as a filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ActorFilter {
    /// Anyone, the gateway included.
    #[default]
    Any,
    /// The gateway itself (events without an acting user, such as a destruction at expiry).
    Gateway,
    /// One user.
    User(String),
}

/// What the journal is filtered on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSearch {
    /// Events of this mission.
    pub mission_id: Option<String>,
    /// Events of this actor.
    pub actor: ActorFilter,
    /// Events of this action (`auth.login`, …).
    pub action: Option<String>,
    /// Events of this outcome (`success`, `denied`, `failed`).
    pub outcome: Option<String>,
    /// Events at or after this instant (ms).
    pub from_ms: Option<i64>,
    /// Events strictly before this instant (ms).
    pub before_ms: Option<i64>,
}

/// A value bound to a placeholder.
enum Bound {
    Text(String),
    Int(i64),
}

impl AuditSearch {
    /// The `WHERE` clause (possibly empty, else starting with ` WHERE `) and its values, the
    /// placeholders numbered from `$1`.
    fn clause(&self) -> (String, Vec<Bound>) {
        let mut parts: Vec<String> = Vec::new();
        let mut values: Vec<Bound> = Vec::new();
        let mut push = |sql: &str, value: Bound, parts: &mut Vec<String>| {
            values.push(value);
            parts.push(sql.replace('?', &format!("${}", values.len())));
        };
        if let Some(m) = &self.mission_id {
            push("mission_id = ?", Bound::Text(m.clone()), &mut parts);
        }
        match &self.actor {
            ActorFilter::Any => {}
            ActorFilter::Gateway => parts.push("actor IS NULL".to_owned()),
            ActorFilter::User(u) => push("actor = ?", Bound::Text(u.clone()), &mut parts),
        }
        if let Some(a) = &self.action {
            push("action = ?", Bound::Text(a.clone()), &mut parts);
        }
        if let Some(o) = &self.outcome {
            push("outcome = ?", Bound::Text(o.clone()), &mut parts);
        }
        if let Some(t) = self.from_ms {
            push("at >= ?", Bound::Int(t), &mut parts);
        }
        if let Some(t) = self.before_ms {
            push("at < ?", Bound::Int(t), &mut parts);
        }
        let clause = if parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", parts.join(" AND "))
        };
        (clause, values)
    }
}

fn bind_all<'q, O>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    values: Vec<Bound>,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    for v in values {
        q = match v {
            Bound::Text(s) => q.bind(s),
            Bound::Int(i) => q.bind(i),
        };
    }
    q
}

/// How many events match.
pub async fn count(db: &Db, search: &AuditSearch) -> Result<i64, DbError> {
    let (clause, values) = search.clause();
    let sql = format!("SELECT COUNT(*) FROM audit_events{clause}");
    let (n,): (i64,) = bind_all(sqlx::query_as(&sql), values)
        .fetch_one(&db.pool)
        .await?;
    Ok(n)
}

/// One page of the matching events, newest first.
pub async fn newest(
    db: &Db,
    search: &AuditSearch,
    offset: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, DbError> {
    let (clause, values) = search.clause();
    let n = values.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events{clause} ORDER BY seq DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let rows = bind_all(sqlx::query_as::<_, AuditRow>(&sql), values)
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.pool)
        .await?;
    audit::entries(rows)
}

/// The matching events with `seq > after`, oldest first, at most `limit` (for exports).
pub async fn oldest_after(
    db: &Db,
    search: &AuditSearch,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, DbError> {
    let (clause, values) = search.clause();
    let n = values.len();
    let joiner = if clause.is_empty() { " WHERE" } else { " AND" };
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events{clause}{joiner} seq > ${} ORDER BY seq LIMIT ${}",
        n + 1,
        n + 2
    );
    let rows = bind_all(sqlx::query_as::<_, AuditRow>(&sql), values)
        .bind(after)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    audit::entries(rows)
}

/// Every action present in the trail, in alphabetical order (for the journal's filter list).
pub async fn actions(db: &Db) -> Result<Vec<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT DISTINCT action FROM audit_events ORDER BY action")
            .fetch_all(&db.pool)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::audit;

    #[test]
    fn clauses_number_their_placeholders() {
        let (c, v) = AuditSearch::default().clause();
        assert_eq!(c, "");
        assert!(v.is_empty());
        let (c, v) = AuditSearch {
            mission_id: Some("m".into()),
            actor: ActorFilter::Gateway,
            outcome: Some("denied".into()),
            from_ms: Some(1),
            before_ms: Some(2),
            ..Default::default()
        }
        .clause();
        assert_eq!(
            c,
            " WHERE mission_id = $1 AND actor IS NULL AND outcome = $2 AND at >= $3 AND at < $4"
        );
        assert_eq!(v.len(), 4);
    }

    async fn event(
        db: &Db,
        at: i64,
        actor: Option<&str>,
        action: &str,
        mission: Option<&str>,
        outcome: &str,
    ) {
        let (actor, action, mission, outcome) = (
            actor.map(str::to_owned),
            action.to_owned(),
            mission.map(str::to_owned),
            outcome.to_owned(),
        );
        audit::append(db, move |seq, prev| AuditRow {
            seq,
            at,
            actor,
            organisation_id: None,
            ip: None,
            action,
            mission_id: mission,
            file_id: None,
            target: None,
            outcome,
            detail: None,
            prev_hash: prev.to_owned(),
            hash: format!("h{seq}"),
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn filters_pages_and_exports() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = Db::connect(&url).await.unwrap();
        event(&db, 1_000, Some("u1"), "auth.login", None, "success").await;
        event(&db, 2_000, Some("u2"), "auth.login_failed", None, "failed").await;
        event(
            &db,
            3_000,
            Some("u1"),
            "file.download",
            Some("m1"),
            "denied",
        )
        .await;
        event(&db, 4_000, None, "mission.destroy", Some("m1"), "success").await;
        event(&db, 5_000, Some("u1"), "file.upload", Some("m2"), "success").await;

        let all = AuditSearch::default();
        assert_eq!(count(&db, &all).await.unwrap(), 5);
        let seqs = |rows: Vec<AuditEntry>| rows.iter().map(|r| r.seq).collect::<Vec<_>>();
        assert_eq!(seqs(newest(&db, &all, 0, 2).await.unwrap()), [5, 4]);
        assert_eq!(seqs(newest(&db, &all, 4, 2).await.unwrap()), [1]);

        let u1 = AuditSearch {
            actor: ActorFilter::User("u1".into()),
            ..Default::default()
        };
        assert_eq!(count(&db, &u1).await.unwrap(), 3);
        let gateway = AuditSearch {
            actor: ActorFilter::Gateway,
            ..Default::default()
        };
        assert_eq!(seqs(newest(&db, &gateway, 0, 10).await.unwrap()), [4]);
        let m1_success = AuditSearch {
            mission_id: Some("m1".into()),
            outcome: Some("success".into()),
            ..Default::default()
        };
        assert_eq!(seqs(newest(&db, &m1_success, 0, 10).await.unwrap()), [4]);
        let window = AuditSearch {
            from_ms: Some(2_000),
            before_ms: Some(4_000),
            ..Default::default()
        };
        assert_eq!(seqs(newest(&db, &window, 0, 10).await.unwrap()), [3, 2]);
        let action = AuditSearch {
            action: Some("auth.login".into()),
            ..Default::default()
        };
        assert_eq!(count(&db, &action).await.unwrap(), 1);

        assert_eq!(seqs(oldest_after(&db, &u1, 0, 2).await.unwrap()), [1, 3]);
        assert_eq!(seqs(oldest_after(&db, &u1, 3, 2).await.unwrap()), [5]);
        assert_eq!(seqs(oldest_after(&db, &all, 4, 10).await.unwrap()), [5]);

        assert_eq!(
            actions(&db).await.unwrap(),
            [
                "auth.login",
                "auth.login_failed",
                "file.download",
                "file.upload",
                "mission.destroy"
            ]
        );
    }
}
