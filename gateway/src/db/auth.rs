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
    /// With `totp`, for an account with passkeys: the options of a passkey authentication
    /// (JSON, as handed to the client).
    pub webauthn_options: Option<String>,
    /// Their server-side state (webauthn-rs's `PasskeyAuthentication`, JSON).
    pub webauthn_state: Option<String>,
}

/// Stores a new challenge, replacing the user's earlier ones (one login in flight per account).
pub async fn insert_challenge(db: &Db, c: &ChallengeRow) -> Result<(), DbError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM auth_challenges WHERE user_id = $1")
        .bind(&c.user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO auth_challenges (id_hash, user_id, step, failures, expires_at, webauthn_options, webauthn_state) \
         VALUES ($1, $2, $3, 0, $4, $5, $6)",
    )
    .bind(&c.id_hash)
    .bind(&c.user_id)
    .bind(&c.step)
    .bind(c.expires_at)
    .bind(&c.webauthn_options)
    .bind(&c.webauthn_state)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A challenge by hash.
pub async fn challenge(db: &Db, id_hash: &str) -> Result<Option<ChallengeRow>, DbError> {
    Ok(sqlx::query_as::<_, ChallengeRow>(
        "SELECT id_hash, user_id, step, failures, expires_at, webauthn_options, webauthn_state \
         FROM auth_challenges WHERE id_hash = $1",
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

/// The thresholds of one counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Failures before delays begin.
    pub delay_after: i64,
    /// Failures that lock.
    pub lock_after: i64,
}

/// Base delay (ms) after `delay_after` failures; it doubles with each further failure.
pub const BASE_DELAY_MS: i64 = 60_000;
/// Longest delay (ms) before the lock: 16 minutes.
pub const MAX_DELAY_MS: i64 = 16 * 60_000;
/// Length (ms) of a lock.
pub const LOCK_MS: i64 = 30 * 60_000;
/// A run of failures is forgotten this long (ms) after its last failure.
pub const FORGET_AFTER_MS: i64 = 60 * 60_000;

/// The outcome of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may be examined; it is counted as the `n`th failure until refunded.
    Taken(i64),
    /// The key is blocked until this instant (ms); nothing was counted.
    Blocked(i64),
}

/// The SQL expression of the block that follows `n` failures (`n` an SQL expression), from
/// `$2` (now, ms), `$3` (delay_after) and `$4` (lock_after).
fn block_sql(n: &str) -> String {
    format!(
        "CASE WHEN {n} >= $4 THEN $2 + {LOCK_MS} \
              WHEN {n} >= $3 THEN $2 + (CASE {n} - $3 WHEN 0 THEN {d0} WHEN 1 THEN {d1} WHEN 2 THEN {d2} \
                   WHEN 3 THEN {d3} ELSE {MAX_DELAY_MS} END) \
              ELSE 0 END",
        d0 = BASE_DELAY_MS,
        d1 = BASE_DELAY_MS * 2,
        d2 = BASE_DELAY_MS * 4,
        d3 = BASE_DELAY_MS * 8,
    )
}

/// Reserves one attempt against a counter, in one statement that increments and returns: the
/// attempt is counted as a failure before the password is examined (and refunded if it was
/// right), so concurrent attempts can never exceed the thresholds. A blocked key counts nothing.
pub async fn reserve(
    db: &Db,
    key: &str,
    now_ms: i64,
    t: Thresholds,
) -> Result<Reservation, DbError> {
    let n = format!(
        "(CASE WHEN login_throttle.last_failure_at < $2 - {FORGET_AFTER_MS} THEN 1 ELSE login_throttle.failures + 1 END)"
    );
    let sql = format!(
        "INSERT INTO login_throttle (key, failures, last_failure_at, blocked_until) VALUES ($1, 1, $2, {first}) \
         ON CONFLICT (key) DO UPDATE SET failures = {n}, last_failure_at = $2, blocked_until = {block} \
         WHERE login_throttle.blocked_until <= $2 \
         RETURNING failures",
        first = block_sql("1"),
        block = block_sql(&n),
    );
    let taken: Option<i64> = sqlx::query_scalar(&sql)
        .bind(key)
        .bind(now_ms)
        .bind(t.delay_after)
        .bind(t.lock_after)
        .fetch_optional(&db.pool)
        .await?;
    if let Some(n) = taken {
        return Ok(Reservation::Taken(n));
    }
    let until: Option<i64> =
        sqlx::query_scalar("SELECT blocked_until FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&db.pool)
            .await?;
    Ok(Reservation::Blocked(until.unwrap_or(now_ms)))
}

/// Gives back an attempt reserved at `reserved_at_ms` that turned out right: one failure less,
/// and the block it set lifted (unless a later reservation has replaced it since).
pub async fn refund(db: &Db, key: &str, reserved_at_ms: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE login_throttle SET failures = failures - 1, \
         blocked_until = CASE WHEN last_failure_at = $2 THEN 0 ELSE blocked_until END \
         WHERE key = $1 AND failures > 0",
    )
    .bind(key)
    .bind(reserved_at_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Removes the counters that no longer block and whose run is forgotten.
pub async fn purge_throttles(db: &Db, now_ms: i64) -> Result<u64, DbError> {
    let r = sqlx::query(
        "DELETE FROM login_throttle WHERE blocked_until <= $1 AND last_failure_at < $2",
    )
    .bind(now_ms)
    .bind(now_ms - FORGET_AFTER_MS)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected())
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

/// Forgets a counter (after a successful login).
pub async fn clear_throttle(db: &Db, key: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(())
}
