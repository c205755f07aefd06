//! Login challenges and failed-attempt counters.

use super::{Db, DbError};

/// A pending login step.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    /// Hash of the challenge handed to the client.
    pub id_hash: String,
    /// Whose login it is.
    pub user_id: String,
    /// `change_password`, `enroll_totp` or `totp`.
    pub step: String,
    /// Wrong answers given to this challenge so far.
    pub failures: i64,
    /// When it stops being accepted (ms).
    pub expires_at: i64,
}

/// Stores a new challenge, replacing the user's earlier ones (one login in flight per account).
pub async fn insert_challenge(db: &Db, c: &ChallengeRow) -> Result<(), DbError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM auth_challenges WHERE user_id = $1")
        .bind(&c.user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO auth_challenges (id_hash, user_id, step, failures, expires_at) VALUES ($1, $2, $3, 0, $4)",
    )
    .bind(&c.id_hash)
    .bind(&c.user_id)
    .bind(&c.step)
    .bind(c.expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A challenge by hash.
pub async fn challenge(db: &Db, id_hash: &str) -> Result<Option<ChallengeRow>, DbError> {
    Ok(sqlx::query_as::<_, ChallengeRow>(
        "SELECT id_hash, user_id, step, failures, expires_at FROM auth_challenges WHERE id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(&db.pool)
    .await?)
}

/// Consumes a challenge; `false` when another request consumed it first.
pub async fn consume_challenge(db: &Db, id_hash: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM auth_challenges WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

/// Counts a wrong answer to a challenge; returns the new count.
pub async fn challenge_failed(db: &Db, id_hash: &str) -> Result<i64, DbError> {
    sqlx::query("UPDATE auth_challenges SET failures = failures + 1 WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    let n: Option<i64> =
        sqlx::query_scalar("SELECT failures FROM auth_challenges WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(&db.pool)
            .await?;
    Ok(n.unwrap_or(i64::MAX))
}

/// Removes expired challenges.
pub async fn purge_challenges(db: &Db, now_ms: i64) -> Result<(), DbError> {
    sqlx::query("DELETE FROM auth_challenges WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// A failed-attempt counter.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThrottleRow {
    /// `user:NAME` or `ip:ADDR`.
    pub key: String,
    /// Failures in the current run.
    pub failures: i64,
    /// Last failure (ms).
    pub last_failure_at: i64,
    /// No attempt is examined before this instant (ms).
    pub blocked_until: i64,
}

/// The counters for some keys.
pub async fn throttles(db: &Db, keys: &[String]) -> Result<Vec<ThrottleRow>, DbError> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(row) = sqlx::query_as::<_, ThrottleRow>(
            "SELECT key, failures, last_failure_at, blocked_until FROM login_throttle WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&db.pool)
        .await?
        {
            out.push(row);
        }
    }
    Ok(out)
}

/// Writes a counter.
pub async fn put_throttle(db: &Db, t: &ThrottleRow) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO login_throttle (key, failures, last_failure_at, blocked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET failures = $2, last_failure_at = $3, blocked_until = $4",
    )
    .bind(&t.key)
    .bind(t.failures)
    .bind(t.last_failure_at)
    .bind(t.blocked_until)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Forgets a counter (after a successful login).
pub async fn clear_throttle(db: &Db, key: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(())
}
