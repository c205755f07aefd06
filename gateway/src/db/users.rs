//! User accounts: identity, password hash, TOTP state.

use super::{Db, DbError};

/// A user row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    /// Opaque id.
    pub id: String,
    /// Login name, lowercase, unique.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Professional e-mail address.
    pub email: String,
    /// The user's organisation.
    pub organisation_id: String,
    /// 1 for a platform administrator.
    pub platform_admin: i64,
    /// 1 once disabled.
    pub disabled: i64,
    /// argon2id PHC string.
    pub password_hash: String,
    /// 1 while the initial (or reset) password must be replaced.
    pub must_change_password: i64,
    /// When the password was last set (ms).
    pub password_changed_at: i64,
    /// Sealed TOTP secret once enrolled.
    pub totp_secret: Option<String>,
    /// Sealed TOTP secret offered during enrollment.
    pub totp_pending_secret: Option<String>,
    /// Last TOTP time step accepted (each step is accepted once).
    pub totp_last_step: Option<i64>,
    /// Last completed login (ms).
    pub last_login_at: Option<i64>,
}

const COLUMNS: &str =
    "id, username, display_name, email, organisation_id, platform_admin, disabled, \
    password_hash, must_change_password, password_changed_at, totp_secret, totp_pending_secret, \
    totp_last_step, last_login_at";

/// A new account.
#[derive(Debug)]
pub struct NewUser<'a> {
    /// Opaque id.
    pub id: &'a str,
    /// Login name, lowercase.
    pub username: &'a str,
    /// Name shown to others.
    pub display_name: &'a str,
    /// E-mail address.
    pub email: &'a str,
    /// Organisation id.
    pub organisation_id: &'a str,
    /// Platform administrator or not.
    pub platform_admin: bool,
    /// argon2id hash of the initial password.
    pub password_hash: &'a str,
}

/// Inserts an account that must change its password at first login; `Ok(false)` if the username is taken.
pub async fn insert(db: &Db, u: &NewUser<'_>, now_ms: i64) -> Result<bool, DbError> {
    let r = sqlx::query(
        "INSERT INTO users (id, username, display_name, email, organisation_id, platform_admin, disabled, \
         password_hash, must_change_password, password_changed_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 1, $8, $8) ON CONFLICT (username) DO NOTHING",
    )
    .bind(u.id)
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.email)
    .bind(u.organisation_id)
    .bind(i64::from(u.platform_admin))
    .bind(u.password_hash)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// One user by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<UserRow>, DbError> {
    Ok(
        sqlx::query_as::<_, UserRow>(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// One user by login name (lowercase).
pub async fn by_username(db: &Db, username: &str) -> Result<Option<UserRow>, DbError> {
    Ok(
        sqlx::query_as::<_, UserRow>(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
            .bind(username)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Every user, by login name.
pub async fn list(db: &Db) -> Result<Vec<UserRow>, DbError> {
    Ok(
        sqlx::query_as::<_, UserRow>(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))
            .fetch_all(&db.pool)
            .await?,
    )
}

/// Sets a new password chosen by the user.
pub async fn set_password(db: &Db, id: &str, hash: &str, now_ms: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0, password_changed_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now_ms)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends a user's sessions and pending logins, inside the caller's transaction.
async fn end_sessions(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM auth_challenges WHERE user_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An administrator's reset: a new one-time password, TOTP and recovery codes cleared.
pub async fn reset(db: &Db, id: &str, hash: &str, now_ms: i64) -> Result<bool, DbError> {
    let mut tx = db.pool.begin().await?;
    let r = sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = 1, password_changed_at = $2, \
         totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = NULL WHERE id = $3",
    )
    .bind(hash)
    .bind(now_ms)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    end_sessions(&mut tx, id).await?;
    tx.commit().await?;
    Ok(super::changed(&r))
}

/// Disables an account and ends its sessions and pending logins in one transaction.
pub async fn disable(db: &Db, id: &str) -> Result<bool, DbError> {
    let mut tx = db.pool.begin().await?;
    let r = sqlx::query("UPDATE users SET disabled = 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    end_sessions(&mut tx, id).await?;
    tx.commit().await?;
    Ok(super::changed(&r))
}

/// Stores the TOTP secret offered for enrollment.
pub async fn set_pending_totp(db: &Db, id: &str, sealed: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET totp_pending_secret = $1 WHERE id = $2")
        .bind(sealed)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Records an accepted TOTP step if it is newer than the last one; `false` means a replay.
///
/// The comparison happens in the UPDATE itself, so two concurrent uses of one code cannot both win.
pub async fn accept_totp_step(db: &Db, id: &str, step: i64) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// Completes enrollment: the pending secret becomes the secret, with fresh recovery codes.
pub async fn complete_enrollment(
    db: &Db,
    id: &str,
    sealed: &str,
    step: i64,
    recovery_hashes: &[String],
) -> Result<(), DbError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_pending_secret = NULL, totp_last_step = $2 WHERE id = $3",
    )
    .bind(sealed)
    .bind(step)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for h in recovery_hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(id)
            .bind(h)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Consumes a recovery code; `false` when it does not exist (or was used).
pub async fn use_recovery_code(db: &Db, id: &str, code_hash: &str) -> Result<bool, DbError> {
    let r = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
        .bind(id)
        .bind(code_hash)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

/// Records a completed login.
pub async fn touch_login(db: &Db, id: &str, now_ms: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
