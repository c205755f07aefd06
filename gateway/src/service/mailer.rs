//! Outgoing e-mail through lettre: an SMTP relay when configured, otherwise `.eml` files in the
//! outbox folder under the data directory (nothing leaves the machine unless an operator says so).
//!
//! Every message is first queued in the database (`outgoing_mail`), then sent by whichever
//! instance holds the mail lock: this one at once, else another, else the next sweep. A message
//! is marked sent as soon as the relay (or the outbox) took it, so none is sent twice by two
//! instances; a failure is retried with a growing delay.

use crate::clock::{to_millis, SharedClock};
use crate::config::{Config, ConfigError};
use crate::db::outgoing_mail::{self as queue, OutgoingMail};
use crate::db::{Db, Engine};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor,
};
use std::path::PathBuf;
use std::sync::Arc;

/// Key of the PostgreSQL advisory lock held while draining the queue. Do not change.
const MAIL_LOCK: i64 = 7_273_656_376;
/// How long sent messages stay in the queue (their bodies blanked) before being purged.
const SENT_RETENTION_MS: i64 = 7 * 24 * 3600 * 1000;

/// The `X-Passerelle-Notification` header: the stable name of a notification's kind.
#[derive(Debug, Clone)]
struct KindHeader(String);

impl Header for KindHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Passerelle-Notification")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// `.eml` files in a folder.
    Outbox(PathBuf),
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// The mailer: a queue in the database in front of a [`Transport`].
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    db: Db,
    clock: SharedClock,
    /// Serialises this instance's drains (PostgreSQL adds an advisory lock across instances).
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.transport {
            Transport::Outbox(dir) => write!(f, "Mailer::Outbox({})", dir.display()),
            Transport::Smtp(..) => f.write_str("Mailer::Smtp"),
        }
    }
}

impl Mailer {
    /// The mailer the configuration asks for, queueing in `db`.
    pub fn from_config(config: &Config, db: Db, clock: SharedClock) -> Result<Self, ConfigError> {
        let from: Mailbox = config
            .mail
            .from
            .parse()
            .map_err(|e| ConfigError(format!("mail.from is not a valid address: {e}")))?;
        let transport = Self::transport(config)?;
        Ok(Mailer {
            transport,
            from,
            db,
            clock,
            lock: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    fn transport(config: &Config) -> Result<Transport, ConfigError> {
        let Some(host) = &config.mail.smtp_host else {
            let dir = config.data_dir.join("outbox");
            std::fs::create_dir_all(&dir).map_err(|e| {
                ConfigError(format!(
                    "data_dir: the outbox {} cannot be created: {e}",
                    dir.display()
                ))
            })?;
            return Ok(Transport::Outbox(dir));
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .map_err(|e| ConfigError(format!("mail.smtp_host {host}: {e}")))?
            .port(config.mail.smtp_port);
        if let (Some(user), Some(file)) =
            (&config.mail.smtp_username, &config.mail.smtp_password_file)
        {
            crate::secret_files::check_private(file, "mail.smtp_password_file")?;
            let password = std::fs::read_to_string(file).map_err(|e| {
                ConfigError(format!("mail.smtp_password_file {}: {e}", file.display()))
            })?;
            builder =
                builder.credentials(Credentials::new(user.clone(), password.trim().to_owned()));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    /// Sends a plain-text message.
    pub async fn send(
        &self,
        to_name: &str,
        to_address: &str,
        subject: &str,
        body: String,
    ) -> Result<(), anyhow::Error> {
        self.send_tagged(to_name, to_address, subject, body, None)
            .await
    }

    /// Queues a plain-text message, tagged with the `X-Passerelle-Notification` header naming
    /// its kind when given (mail filters sort on it), then drains the queue. `Ok` once queued:
    /// a relay that fails is tried again later.
    pub async fn send_tagged(
        &self,
        to_name: &str,
        to_address: &str,
        subject: &str,
        body: String,
        kind: Option<&str>,
    ) -> Result<(), anyhow::Error> {
        // A message that could never be built is refused now, not retried forever.
        let row = OutgoingMail {
            id: super::new_id(),
            recipient_name: to_name.to_owned(),
            recipient: to_address.to_owned(),
            subject: subject.to_owned(),
            body,
            kind: kind.map(str::to_owned),
            created_at: to_millis(self.clock.now()),
            attempts: 0,
            next_attempt_at: to_millis(self.clock.now()),
            sent_at: None,
        };
        self.message(&row)?;
        queue::enqueue(&self.db, &row).await?;
        if let Err(e) = self.drain().await {
            tracing::warn!(error = %e, "the mail queue could not be drained now; the sweeper will");
        }
        Ok(())
    }

    fn message(&self, m: &OutgoingMail) -> Result<Message, anyhow::Error> {
        let to = Mailbox::new(Some(m.recipient_name.clone()), m.recipient.parse()?);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .header(ContentType::TEXT_PLAIN);
        if let Some(kind) = &m.kind {
            builder = builder.header(KindHeader(kind.clone()));
        }
        Ok(builder.body(m.body.clone())?)
    }

    async fn deliver(&self, m: &OutgoingMail) -> Result<(), anyhow::Error> {
        let message = self.message(m)?;
        match &self.transport {
            Transport::Outbox(dir) => {
                AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await?;
            }
            Transport::Smtp(transport) => {
                transport.send(message).await?;
            }
        }
        Ok(())
    }

    /// Sends every message due, if this instance gets the mail lock (another instance holding
    /// it sends them instead), and purges the messages sent more than a week ago. Returns how
    /// many messages this call sent.
    pub async fn drain(&self) -> Result<usize, anyhow::Error> {
        let _local = self.lock.lock().await;
        if self.db.engine != Engine::Postgres {
            return self.drain_locked().await;
        }
        let mut conn = self.db.pool.acquire().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(MAIL_LOCK)
            .fetch_one(&mut *conn)
            .await?;
        if !got {
            return Ok(0);
        }
        let result = self.drain_locked().await;
        if sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MAIL_LOCK)
            .execute(&mut *conn)
            .await
            .is_err()
        {
            drop(conn.detach());
        }
        result
    }

    async fn drain_locked(&self) -> Result<usize, anyhow::Error> {
        const BATCH: i64 = 50;
        let mut sent = 0;
        loop {
            let now = to_millis(self.clock.now());
            let due = queue::due(&self.db, now, BATCH).await?;
            for m in &due {
                match self.deliver(m).await {
                    Ok(()) => {
                        queue::mark_sent(&self.db, &m.id, now).await?;
                        sent += 1;
                    }
                    Err(e) => {
                        // 1, 2, 4, … minutes, at most an hour between attempts.
                        let delay = 60_000_i64 << m.attempts.clamp(0, 6);
                        let next = now + delay.min(3_600_000);
                        tracing::warn!(error = %e, attempts = m.attempts + 1, "a message could not be sent; it will be tried again");
                        queue::mark_failed(&self.db, &m.id, next, &e.to_string()).await?;
                    }
                }
            }
            if due.len() < usize::try_from(BATCH).unwrap_or(usize::MAX) {
                break;
            }
        }
        queue::purge(&self.db, to_millis(self.clock.now()) - SENT_RETENTION_MS).await?;
        Ok(sent)
    }
}
