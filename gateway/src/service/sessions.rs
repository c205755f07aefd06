//! Server-side sessions: bearer tokens for scripts, cookies for the web interface.

use super::audit::{Event, Outcome};
use super::{random_token, token_hash, Actor, Core, Error, Result};
use crate::clock::{from_millis, to_millis};
use crate::db::sessions as store;
use crate::domain::AuditAction;
use chrono::{DateTime, Utc};

/// How the session's token travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// `Authorization: Bearer` (scripts).
    Bearer,
    /// The `__Host-` cookie of the web interface (CSRF-protected).
    Cookie,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Bearer => "bearer",
            SessionKind::Cookie => "cookie",
        }
    }
}

/// A session just opened.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The secret token (shown once; only its hash is stored).
    pub token: String,
    /// The CSRF token bound to the session.
    pub csrf_token: String,
    /// The absolute end of the session.
    pub expires_at: DateTime<Utc>,
}

/// A request's authenticated session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub actor: Actor,
    /// How the token travelled.
    pub kind: SessionKind,
    /// The CSRF token bound to it.
    pub csrf_token: String,
    /// Hash of the token (to end it).
    pub id_hash: String,
    /// The absolute end.
    pub expires_at: DateTime<Utc>,
    /// When, without activity, it ends.
    pub idle_deadline: DateTime<Utc>,
}

/// A `User-Agent` is kept up to this many characters.
const USER_AGENT_MAX: usize = 256;

/// Sessions are touched at most this often, so that each request does not write.
const TOUCH_EVERY_MS: i64 = 15_000;

impl Core {
    pub(crate) fn idle_ms(&self) -> i64 {
        (self.config.sessions.idle_timeout_secs as i64).saturating_mul(1000)
    }

    /// Opens a session for a user who completed the login, from `ip` with the client `user_agent`
    /// (kept, shortened, to show the person where their sessions are).
    pub async fn open_session(
        &self,
        user_id: &str,
        kind: SessionKind,
        ip: &str,
        user_agent: &str,
    ) -> Result<NewSession> {
        let now = self.clock.now();
        let token = random_token();
        let csrf_token = random_token();
        let expires_at =
            now + chrono::Duration::seconds(self.config.sessions.absolute_lifetime_secs as i64);
        let user_agent: String = user_agent.chars().take(USER_AGENT_MAX).collect();
        store::insert(
            &self.db,
            &store::NewSessionRow {
                id_hash: &token_hash(&token),
                user_id,
                kind: kind.as_str(),
                csrf_token: &csrf_token,
                now_ms: to_millis(now),
                expires_at: to_millis(expires_at),
                ip,
                user_agent: &user_agent,
            },
        )
        .await?;
        Ok(NewSession {
            token,
            csrf_token,
            expires_at,
        })
    }

    /// The session a token names, if it is alive; records the use.
    pub async fn authenticate(&self, token: &str, ip: &str) -> Result<Session> {
        self.check_session(token, ip, true).await
    }

    /// The session a token opens, without counting this as activity: the idle deadline stays
    /// where the person's last action put it (for the interface's expiry warning).
    pub async fn peek_session(&self, token: &str, ip: &str) -> Result<Session> {
        self.check_session(token, ip, false).await
    }

    async fn check_session(&self, token: &str, ip: &str, activity: bool) -> Result<Session> {
        let id_hash = token_hash(token);
        let row = store::get(&self.db, &id_hash)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let now = to_millis(self.clock.now());
        let idle = self.idle_ms();
        // During a lockdown only platform administrators' sessions opened since it began live
        // (the others were deleted when it began; this also ends one a login finishing at that
        // very moment opened). The state is read here on every request: no cache to go stale.
        let lockdown = crate::db::lockdown::get(&self.db).await?;
        let locked_out =
            lockdown.active && (!row.platform_admin || row.created_at < lockdown.changed_at);
        if row.disabled || locked_out || now >= row.expires_at || now - row.last_seen_at >= idle {
            store::delete(&self.db, &id_hash).await?;
            return Err(Error::Unauthenticated);
        }
        let last_seen = if activity && now - row.last_seen_at >= TOUCH_EVERY_MS {
            store::touch(&self.db, &id_hash, now).await?;
            now
        } else {
            row.last_seen_at
        };
        Ok(Session {
            actor: Actor {
                user_id: row.user_id,
                username: row.username,
                organisation_id: row.organisation_id,
                platform_admin: row.platform_admin,
                ip: ip.to_owned(),
            },
            kind: if row.kind == "cookie" {
                SessionKind::Cookie
            } else {
                SessionKind::Bearer
            },
            csrf_token: row.csrf_token,
            id_hash,
            expires_at: from_millis(row.expires_at),
            idle_deadline: from_millis(last_seen + idle).min(from_millis(row.expires_at)),
        })
    }

    /// Ends a session (logout).
    pub async fn logout(&self, session: &Session) -> Result<()> {
        store::delete(&self.db, &session.id_hash).await?;
        self.audit
            .record(
                Event::new(AuditAction::Logout, Some(&session.actor)),
                Outcome::Success,
            )
            .await?;
        Ok(())
    }

    /// Removes dead sessions, challenges and finished throttle counters (housekeeping).
    pub async fn purge_sessions(&self) -> Result<u64> {
        let now = to_millis(self.clock.now());
        crate::db::auth::purge_challenges(&self.db, now).await?;
        crate::db::mail_tokens::purge(&self.db, now).await?;
        crate::db::passkeys::purge_registrations(&self.db, now).await?;
        super::throttle::purge(&self.db, self.clock.now()).await?;
        Ok(store::purge(&self.db, now, self.idle_ms()).await?)
    }
}
