//! User accounts: identity, password hash, TOTP state.

use super::{Db, DbError};
use crate::domain::User;

/// A user row as stored, turned into a [`User`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct UserRow {
    id: String,
    username: String,
    display_name: String,
    email: String,
    organisation_id: String,
    platform_admin: i64,
    disabled: i64,
    password_hash: String,
    must_change_password: i64,
    password_changed_at: i64,
    totp_secret: Option<String>,
    totp_pending_secret: Option<String>,
    totp_last_step: Option<i64>,
    last_login_at: Option<i64>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            email: r.email,
            organisation_id: r.organisation_id,
            platform_admin: r.platform_admin != 0,
            disabled: r.disabled != 0,
            password_hash: r.password_hash,
            must_change_password: r.must_change_password != 0,
            password_changed_at: r.password_changed_at,
            totp_secret: r.totp_secret,
            totp_pending_secret: r.totp_pending_secret,
            totp_last_step: r.totp_last_step,
            last_login_at: r.last_login_at,
        }
    }
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
pub async fn get(db: &Db, id: &str) -> Result<Option<User>, DbError> {
    Ok(
        sqlx::query_as::<_, UserRow>(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
            .map(User::from),
    )
}

/// One user by login name (lowercase).
pub async fn by_username(db: &Db, username: &str) -> Result<Option<User>, DbError> {
    Ok(
        sqlx::query_as::<_, UserRow>(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
            .bind(username)
            .fetch_optional(&db.pool)
            .await?
            .map(User::from),
    )
}

/// Every user, by login name.
pub async fn list(db: &Db) -> Result<Vec<User>, DbError> {
    Ok(
        sqlx::query_as::<_, UserRow>(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))
            .fetch_all(&db.pool)
            .await?
            .into_iter()
            .map(User::from)
            .collect(),
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

/// A new password chosen by its owner: every session but `keep` (the one that asked; none after
/// a reset link) and every pending login end in the same transaction.
pub async fn change_password(
    db: &Db,
    id: &str,
    hash: &str,
    now_ms: i64,
    keep: Option<&str>,
) -> Result<u64, DbError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0, password_changed_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now_ms)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(id)
        .bind(keep.unwrap_or(""))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM auth_challenges WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ended)
}

/// Accounts with this e-mail address (lowercase; several accounts may share one).
pub async fn by_email(db: &Db, email: &str) -> Result<Vec<User>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {COLUMNS} FROM users WHERE LOWER(email) = $1 ORDER BY username"
    ))
    .bind(email)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(User::from)
    .collect())
}

/// How many unused recovery codes the user has.
pub async fn recovery_codes_left(db: &Db, id: &str) -> Result<i64, DbError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await?,
    )
}

/// Replaces the user's recovery codes (the old ones die).
pub async fn replace_recovery_codes(
    db: &Db,
    id: &str,
    recovery_hashes: &[String],
) -> Result<(), DbError> {
    let mut tx = db.pool.begin().await?;
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

/// Ends a user's sessions and pending logins, inside the caller's transaction.
pub(crate) async fn end_sessions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
) -> Result<(), DbError> {
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
    // The passkeys go with the other second factors.
    sqlx::query("DELETE FROM passkey_registrations WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
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

/// Enables a disabled account again; `false` when no account has this id.
pub async fn enable(db: &Db, id: &str) -> Result<bool, DbError> {
    let r = sqlx::query("UPDATE users SET disabled = 0 WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(super::changed(&r))
}

/// Changes an account's name, e-mail and organisation; `false` when no account has this id.
pub async fn update_profile(
    db: &Db,
    id: &str,
    display_name: &str,
    email: &str,
    organisation_id: &str,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE users SET display_name = $1, email = $2, organisation_id = $3 WHERE id = $4",
    )
    .bind(display_name)
    .bind(email)
    .bind(organisation_id)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// How many roles the user holds in missions not yet destroyed (an ended mission still gives the
/// controller organisation's participants its retained results: moving someone into that
/// organisation would open them).
pub async fn running_roles(db: &Db, id: &str) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM participants p JOIN missions m ON m.id = p.mission_id \
         WHERE p.user_id = $1 AND m.status <> 'destroyed'",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await?)
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
