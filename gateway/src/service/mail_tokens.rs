//! Single-use tokens sent by e-mail: 256 bits from the OS RNG, only their SHA-256 stored, a
//! lifetime, dead at first use. One module for every such link (password reset, invitation); the
//! link is built from the configured public address, never from a request's `Host`.

use super::{random_token, token_hash, Core, Result};
use crate::clock::to_millis;
use crate::db::mail_tokens::{self as store, MailTokenRow};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Set a new password (with the second factor) after « mot de passe oublié ».
    PasswordReset,
    /// Set the first password, accept the charter and enrol, for an account an admin created.
    Invitation,
}

impl Purpose {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "reset",
            Purpose::Invitation => "invitation",
        }
    }
}

/// A live token, found by its secret.
#[derive(Debug, Clone)]
pub struct LiveToken {
    /// Whose account it acts on.
    pub user_id: String,
    id_hash: String,
}

impl Core {
    /// Issues a token for `user_id`, valid `lifetime_secs`; older tokens of the same purpose for
    /// this account die (only the latest link works). Answers the secret, for the link only.
    pub(crate) async fn issue_mail_token(
        &self,
        user_id: &str,
        purpose: Purpose,
        lifetime_secs: u64,
    ) -> Result<String> {
        let token = random_token();
        let now = to_millis(self.clock.now());
        store::revoke(&self.db, user_id, purpose.as_str()).await?;
        store::insert(
            &self.db,
            &MailTokenRow {
                id_hash: token_hash(&token),
                purpose: purpose.as_str().to_owned(),
                user_id: user_id.to_owned(),
                created_at: now,
                expires_at: now.saturating_add(
                    i64::try_from(lifetime_secs)
                        .unwrap_or(i64::MAX / 2)
                        .saturating_mul(1000),
                ),
            },
        )
        .await?;
        Ok(token)
    }

    /// The live token a secret names, if any (not used, not expired, of this purpose).
    pub(crate) async fn live_mail_token(
        &self,
        token: &str,
        purpose: Purpose,
    ) -> Result<Option<LiveToken>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let row = store::live(
            &self.db,
            &token_hash(token),
            purpose.as_str(),
            to_millis(self.clock.now()),
        )
        .await?;
        Ok(row.map(|r| LiveToken {
            user_id: r.user_id,
            id_hash: r.id_hash,
        }))
    }

    /// Uses a token up; `false` when a concurrent request used it first.
    pub(crate) async fn consume_mail_token(&self, token: &LiveToken) -> Result<bool> {
        Ok(store::consume(&self.db, &token.id_hash).await?)
    }

    /// The full address of a page of this instance, for a link sent by e-mail.
    pub fn public_link(&self, path_and_query: &str) -> String {
        let base = match &self.config.mail.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("https://{}", self.config.listen),
        };
        format!("{base}{path_and_query}")
    }
}
