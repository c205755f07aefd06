//! Server-side sessions.

use super::{Db, DbError};

/// A session row joined with the state of its user.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// Hash of the token.
    pub id_hash: String,
    /// Owner.
    pub user_id: String,
    /// `bearer` (scripts) or `cookie` (web interface).
    pub kind: String,
    /// Synchroniser token for the web interface's forms.
    pub csrf_token: String,
    /// Login instant (ms).
    pub created_at: i64,
    /// Last use (ms).
    pub last_seen_at: i64,
    /// Absolute end (ms).
    pub expires_at: i64,
    /// The owner's disabled flag.
    pub disabled: bool,
    /// The owner's organisation.
    pub organisation_id: String,
    /// The owner's platform-administrator flag.
    pub platform_admin: bool,
    /// The owner's login name.
    pub username: String,
}

/// [`SessionRow`] as stored (flags as 0 or 1).
#[derive(sqlx::FromRow)]
struct Stored {
    id_hash: String,
    user_id: String,
    kind: String,
    csrf_token: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    disabled: i64,
    organisation_id: String,
    platform_admin: i64,
    username: String,
}

impl From<Stored> for SessionRow {
    fn from(r: Stored) -> Self {
        Self {
            id_hash: r.id_hash,
            user_id: r.user_id,
            kind: r.kind,
            csrf_token: r.csrf_token,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            disabled: r.disabled != 0,
            organisation_id: r.organisation_id,
            platform_admin: r.platform_admin != 0,
            username: r.username,
        }
    }
}

/// A session to store.
#[derive(Debug)]
pub struct NewSessionRow<'a> {
    /// Hash of the token.
    pub id_hash: &'a str,
    /// Owner.
    pub user_id: &'a str,
    /// `bearer` or `cookie`.
    pub kind: &'a str,
    /// Synchroniser token for the web interface's forms.
    pub csrf_token: &'a str,
    /// Login instant (ms).
    pub now_ms: i64,
    /// Absolute end (ms).
    pub expires_at: i64,
    /// Address at sign-in.
    pub ip: &'a str,
    /// The client's `User-Agent` at sign-in.
    pub user_agent: &'a str,
}

/// Stores a new session.
pub async fn insert(db: &Db, s: &NewSessionRow<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, kind, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
    )
    .bind(s.id_hash)
    .bind(s.user_id)
    .bind(s.kind)
    .bind(s.csrf_token)
    .bind(s.now_ms)
    .bind(s.expires_at)
    .bind(s.ip)
    .bind(s.user_agent)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A session by token hash.
pub async fn get(db: &Db, id_hash: &str) -> Result<Option<SessionRow>, DbError> {
    Ok(sqlx::query_as::<_, Stored>(
        "SELECT s.id_hash, s.user_id, s.kind, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, u.disabled, \
         u.organisation_id, u.platform_admin, u.username \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(&db.pool)
    .await?
    .map(SessionRow::from))
}

/// One of a person's sessions, as its owner sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnSession {
    /// Hash of the token.
    pub id_hash: String,
    /// `bearer` or `cookie`.
    pub kind: String,
    /// Login instant (ms).
    pub created_at: i64,
    /// Last use (ms).
    pub last_seen_at: i64,
    /// Absolute end (ms).
    pub expires_at: i64,
    /// Address it was opened from (none for sessions older than this column).
    pub ip: Option<String>,
    /// The browser's or client's `User-Agent` at login.
    pub user_agent: Option<String>,
}

/// A person's sessions alive at `now_ms` (not past their absolute end nor idle beyond `idle_ms`),
/// most recently used first.
pub async fn of_user(
    db: &Db,
    user_id: &str,
    now_ms: i64,
    idle_ms: i64,
) -> Result<Vec<OwnSession>, DbError> {
    Ok(sqlx::query_as::<_, OwnSession>(
        "SELECT id_hash, kind, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions \
         WHERE user_id = $1 AND expires_at > $2 AND last_seen_at > $3 \
         ORDER BY last_seen_at DESC, created_at DESC",
    )
    .bind(user_id)
    .bind(now_ms)
    .bind(now_ms - idle_ms)
    .fetch_all(&db.pool)
    .await?)
}

/// Ends one of a person's sessions; `false` when it is not theirs or already gone.
pub async fn delete_own(db: &Db, user_id: &str, id_hash: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND user_id = $2")
        .bind(id_hash)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

/// Records a use of the session.
pub async fn touch(db: &Db, id_hash: &str, now_ms: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now_ms)
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends one session.
pub async fn delete(db: &Db, id_hash: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

/// Removes sessions past their absolute end or idle for longer than `idle_ms`.
pub async fn purge(db: &Db, now_ms: i64, idle_ms: i64) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now_ms)
        .bind(now_ms - idle_ms)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected())
}

/// Ends every session, bearer tokens and cookies alike, and every login under way (the
/// lockdown); answers how many sessions ended.
pub async fn delete_all(db: &Db) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM sessions")
        .execute(&db.pool)
        .await?;
    sqlx::query("DELETE FROM auth_challenges")
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected())
}
