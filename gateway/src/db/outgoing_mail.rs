//! The queue of outgoing e-mail (`outgoing_mail`), drained by the instance holding the mail lock.

use super::{Db, DbError};

/// A queued message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutgoingMail {
    /// Random id.
    pub id: String,
    /// The recipient's name.
    pub recipient_name: String,
    /// The recipient's address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (blanked once sent).
    pub body: String,
    /// Stable name of the notification's kind, for the `X-Passerelle-Notification` header.
    pub kind: Option<String>,
    /// Queued (ms).
    pub created_at: i64,
    /// Failed attempts so far.
    pub attempts: i64,
    /// Not to be tried before (ms).
    pub next_attempt_at: i64,
    /// Sent (ms), once sent.
    pub sent_at: Option<i64>,
}

/// After this many failed attempts a message is no longer tried (it stays for the operator).
pub const MAX_ATTEMPTS: i64 = 12;

/// Queues a message.
pub async fn enqueue(db: &Db, m: &OutgoingMail) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO outgoing_mail (id, recipient_name, recipient, subject, body, kind, created_at, \
         attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8)",
    )
    .bind(&m.id)
    .bind(&m.recipient_name)
    .bind(&m.recipient)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(&m.kind)
    .bind(m.created_at)
    .bind(m.next_attempt_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Up to `limit` messages due at `now_ms`, oldest first.
pub async fn due(db: &Db, now_ms: i64, limit: i64) -> Result<Vec<OutgoingMail>, DbError> {
    Ok(sqlx::query_as::<_, OutgoingMail>(
        "SELECT id, recipient_name, recipient, subject, body, kind, created_at, attempts, \
         next_attempt_at, sent_at FROM outgoing_mail \
         WHERE sent_at IS NULL AND next_attempt_at <= $1 AND attempts < $2 \
         ORDER BY created_at, id LIMIT $3",
    )
    .bind(now_ms)
    .bind(MAX_ATTEMPTS)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Marks a message sent and blanks its body (a link it held is no one's business any more).
pub async fn mark_sent(db: &Db, id: &str, now_ms: i64) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE outgoing_mail SET sent_at = $1, body = '', last_error = NULL \
         WHERE id = $2 AND sent_at IS NULL",
    )
    .bind(now_ms)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(super::changed(&r))
}

/// Records a failed attempt; the message is tried again from `next_ms`.
pub async fn mark_failed(db: &Db, id: &str, next_ms: i64, error: &str) -> Result<(), DbError> {
    // A message given up keeps its row (what failed, and when) but not its body, which may hold
    // an invitation or reset link that nobody will receive.
    sqlx::query(
        "UPDATE outgoing_mail SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, \
         body = CASE WHEN attempts + 1 >= $4 THEN '' ELSE body END \
         WHERE id = $3 AND sent_at IS NULL",
    )
    .bind(next_ms)
    .bind(error)
    .bind(id)
    .bind(MAX_ATTEMPTS)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Removes messages sent before `before_ms`, and those given up and queued before it.
pub async fn purge(db: &Db, before_ms: i64) -> Result<u64, DbError> {
    let r = sqlx::query(
        "DELETE FROM outgoing_mail WHERE (sent_at IS NOT NULL AND sent_at < $1) \
         OR (sent_at IS NULL AND attempts >= $2 AND created_at < $1)",
    )
    .bind(before_ms)
    .bind(MAX_ATTEMPTS)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected())
}

/// Messages not sent yet (waiting or given up).
pub async fn unsent(db: &Db) -> Result<i64, DbError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM outgoing_mail WHERE sent_at IS NULL")
            .fetch_one(&db.pool)
            .await?,
    )
}
