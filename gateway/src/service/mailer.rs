//! Outgoing e-mail through lettre: an SMTP relay when configured, otherwise `.eml` files in the
//! outbox folder under the data directory (nothing leaves the machine unless an operator says so).

use crate::config::{Config, ConfigError};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor,
};
use std::path::PathBuf;

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
pub enum Mailer {
    /// `.eml` files in a folder.
    Outbox(PathBuf, Mailbox),
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Mailbox),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Outbox(dir, _) => write!(f, "Mailer::Outbox({})", dir.display()),
            Mailer::Smtp(..) => f.write_str("Mailer::Smtp"),
        }
    }
}

impl Mailer {
    /// The mailer the configuration asks for.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let from: Mailbox = config
            .mail
            .from
            .parse()
            .map_err(|e| ConfigError(format!("mail.from is not a valid address: {e}")))?;
        let Some(host) = &config.mail.smtp_host else {
            let dir = config.data_dir.join("outbox");
            std::fs::create_dir_all(&dir).map_err(|e| {
                ConfigError(format!(
                    "data_dir: the outbox {} cannot be created: {e}",
                    dir.display()
                ))
            })?;
            return Ok(Mailer::Outbox(dir, from));
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
        Ok(Mailer::Smtp(builder.build(), from))
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

    /// Sends a plain-text message, tagged with the `X-Passerelle-Notification` header naming
    /// its kind when given (mail filters sort on it).
    pub async fn send_tagged(
        &self,
        to_name: &str,
        to_address: &str,
        subject: &str,
        body: String,
        kind: Option<&str>,
    ) -> Result<(), anyhow::Error> {
        let from = match self {
            Mailer::Outbox(_, f) | Mailer::Smtp(_, f) => f.clone(),
        };
        let to = Mailbox::new(Some(to_name.to_owned()), to_address.parse()?);
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN);
        if let Some(kind) = kind {
            builder = builder.header(KindHeader(kind.to_owned()));
        }
        let message = builder.body(body)?;
        match self {
            Mailer::Outbox(dir, _) => {
                AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await?;
            }
            Mailer::Smtp(transport, _) => {
                transport.send(message).await?;
            }
        }
        Ok(())
    }
}
