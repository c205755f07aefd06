//! The `passerelle` command line.

use crate::app::{open, Application};
use crate::clock::{SharedClock, SystemClock};
use crate::config::{Config, ConfigError};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

/// What the exit codes mean, shown at the end of `--help` (and in the README).
const EXIT_CODES: &str = "Exit codes: 0 done; 1 the command failed (a broken audit chain, a certificate \
that does not verify, ...); 2 the configuration is refused; 3 a backup, key export or restore failed.";

/// Passerelle: secure exchange of OPS survey files.
#[derive(Debug, Parser)]
#[command(name = "passerelle", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Configuration file (default: `passerelle.toml` in the working directory, if present).
    #[arg(long, global = true, env = "PASSERELLE_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTPS gateway.
    Serve,
    /// Administer accounts.
    Admin {
        /// What to do.
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Check the audit trail.
    Audit {
        /// What to do.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a backup (database and encrypted blobs, never a key) into a new folder.
    Backup {
        /// The folder to create.
        dir: PathBuf,
    },
    /// Restore a backup and a key export into a new data directory and database.
    Restore {
        /// The backup folder.
        #[arg(long)]
        backup: PathBuf,
        /// The key export file (refused when older than key_export_retention_days).
        #[arg(long)]
        keys: PathBuf,
    },
    /// Check destruction certificates.
    Certificate {
        /// What to do.
        #[command(subcommand)]
        command: CertificateCommand,
    },
    /// Manage encryption keys.
    Keys {
        /// What to do.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Interrupt the service on a suspected breach, restore it, or say where it stands.
    Lockdown {
        /// What to do.
        #[command(subcommand)]
        command: LockdownCommand,
    },
    /// Respond to an incident: a signed report of what a period of the audit trail touched.
    Incident {
        /// What to do.
        #[command(subcommand)]
        command: IncidentCommand,
    },
    /// Write the platform register of processing (GDPR art. 30) as CSV (`;`, UTF-8 with BOM).
    Register {
        /// The file to create.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `passerelle incident ...`
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Write an incident report into a new folder: rapport.json (signed), rapport.html, CSVs.
    Report {
        /// Start of the period: RFC 3339, or AAAA-MM-JJ[ HH:MM] / JJ/MM/AAAA[ HH:MM] in Paris time.
        #[arg(long)]
        from: String,
        /// End of the period (excluded), written as --from.
        #[arg(long)]
        to: String,
        /// Only the events of this account (login or id); repeatable.
        #[arg(long)]
        account: Vec<String>,
        /// Only the events from this IP address; repeatable.
        #[arg(long)]
        address: Vec<String>,
        /// Only the events of this mission (id or exact name); repeatable.
        #[arg(long)]
        mission: Vec<String>,
        /// The folder to create (or an empty one).
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a report's signature, offline, and the CSVs found beside it.
    Verify {
        /// The signed report (rapport.json).
        file: PathBuf,
        /// The expected public key, as for `certificate verify`.
        #[arg(long)]
        public_key: Option<String>,
    },
}

/// `passerelle lockdown ...`
#[derive(Debug, Subcommand)]
pub enum LockdownCommand {
    /// Lock down: every session and API token ends, only platform administrators may sign in,
    /// uploads and downloads stop for everyone; every instance sharing the database obeys.
    On {
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Restore the service.
    Off {
        /// Why (recorded in the audit trail).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Print the state: `locked down since ...: reason` or `service running`.
    Status,
}

/// `passerelle admin ...`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a platform administrator and print its one-time password.
    Create {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Name shown to others.
        #[arg(long)]
        display_name: String,
        /// E-mail address.
        #[arg(long)]
        email: String,
        /// Print `{"username", "initial_password"}` as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `passerelle audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain; exits non-zero naming the first broken link.
    Verify,
}

/// `passerelle certificate ...`
#[derive(Debug, Subcommand)]
pub enum CertificateCommand {
    /// Verify a destruction certificate's signature, offline.
    Verify {
        /// The certificate (JSON, as served by GET /api/v1/missions/{id}/certificate).
        file: PathBuf,
        /// The expected public key: base64 of the 32 raw bytes, or a file holding the JSON served at
        /// /.well-known/passerelle-signing-key. Without it, the key named inside the certificate is used.
        #[arg(long)]
        public_key: Option<String>,
    },
}

/// `passerelle keys ...`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Rewrap every mission key under a new master key (blobs are not touched).
    RotateMaster,
    /// Write the key store, sealed under the master key and dated, to FILE.
    Export {
        /// The file to create (mode 0600).
        file: PathBuf,
    },
}

/// A command's failure: the sentence to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, for the operator.
    pub message: String,
    /// Process exit code.
    pub code: i32,
}

impl From<crate::backup::BackupError> for Failure {
    fn from(e: crate::backup::BackupError) -> Self {
        match e {
            crate::backup::BackupError::Config(e) => e.into(),
            other => Failure {
                message: other.to_string(),
                code: crate::backup::BackupError::EXIT_CODE,
            },
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure {
            message: e.0,
            code: 2,
        }
    }
}

fn fail(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 1,
    }
}

/// `passerelle lockdown on|off|status`.
async fn lockdown(
    config: Config,
    clock: SharedClock,
    command: LockdownCommand,
) -> Result<(), Failure> {
    let core = open(config, clock).await?;
    let set = |on: bool, reason: String| {
        let core = core.clone();
        async move {
            core.set_lockdown(None, on, &reason, None)
                .await
                .map_err(|e| match e {
                    crate::service::Error::InvalidRequest(t) => fail(t.en),
                    other => fail(other.to_string()),
                })
        }
    };
    match command {
        LockdownCommand::On { reason } => {
            let done = set(true, reason).await?;
            if done.changed {
                println!(
                    "service locked down: {} session(s) ended; only platform administrators may sign in",
                    done.sessions_ended
                );
            } else {
                println!("the service was already locked down: nothing changed");
            }
        }
        LockdownCommand::Off { reason } => {
            let done = set(false, reason).await?;
            if done.changed {
                println!("service restored");
            } else {
                println!("the service was not locked down: nothing changed");
            }
        }
        LockdownCommand::Status => {
            let state = core.lockdown().await.map_err(|e| fail(e.to_string()))?;
            if state.active {
                println!(
                    "locked down since {}: {}",
                    crate::clock::rfc3339(crate::clock::from_millis(state.changed_at)),
                    state.reason
                );
            } else {
                println!("service running (not locked down)");
            }
        }
    }
    Ok(())
}

/// A signed JSON document read from `file`.
fn read_json(file: &std::path::Path) -> Result<serde_json::Value, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| fail(format!("{} cannot be read: {e}", file.display())))?;
    serde_json::from_str(&text).map_err(|e| fail(format!("{} is not JSON: {e}", file.display())))
}

/// The `--public-key` argument: base64 of the key, or a file holding the well-known document.
fn public_key_arg(
    public_key: Option<&str>,
) -> Result<Option<ed25519_dalek::VerifyingKey>, Failure> {
    use base64::Engine as _;
    Ok(match public_key {
        None => None,
        Some(given) => {
            let b64 = match std::fs::read_to_string(given) {
                Ok(json) => serde_json::from_str::<serde_json::Value>(&json)
                    .ok()
                    .and_then(|v| {
                        v.get("public_key")
                            .and_then(|k| k.as_str())
                            .map(str::to_owned)
                    })
                    .ok_or_else(|| fail(format!("{given} holds no \"public_key\"")))?,
                Err(_) => given.to_owned(),
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                .ok_or_else(|| fail("--public-key is not the base64 of a 32-byte Ed25519 key"))?;
            Some(
                ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map_err(|_| fail("--public-key is not a valid Ed25519 key"))?,
            )
        }
    })
}

/// `passerelle certificate verify`.
fn verify_certificate(file: &std::path::Path, public_key: Option<&str>) -> Result<(), Failure> {
    let document = read_json(file)?;
    let key = public_key_arg(public_key)?;
    match crate::service::certificate::verify(&document, key.as_ref()) {
        Ok(key_id) => {
            let mission = document
                .pointer("/payload/mission/name")
                .and_then(|v| v.as_str())
                .unwrap_or("?");
            let files = document
                .pointer("/payload/files")
                .and_then(|v| v.as_array())
                .map_or(0, Vec::len);
            println!("certificate valid: mission \"{mission}\", {files} file(s) destroyed, signed by key {key_id}");
            Ok(())
        }
        Err(e) => Err(fail(format!("certificate NOT valid: {e}"))),
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::Certificate {
        command: CertificateCommand::Verify { file, public_key },
    } = &cli.command
    {
        // Offline: needs neither the configuration nor the data directory.
        return verify_certificate(file, public_key.as_deref());
    }
    if let Command::Incident {
        command: IncidentCommand::Verify { file, public_key },
    } = &cli.command
    {
        let key = public_key_arg(public_key.as_deref())?;
        return crate::cli_incident::verify(&read_json(file)?, file, key.as_ref())
            .map(|said| println!("{said}"))
            .map_err(fail);
    }
    let config = Config::load(cli.config.as_deref())?;
    let clock: SharedClock = Arc::new(SystemClock);
    match cli.command {
        Command::Serve => {
            let app = Application::build(config, clock).await?;
            tracing::info!(addr = %app.local_addr(), "passerelle listening (HTTPS)");
            eprintln!("passerelle: listening on https://{}", app.local_addr());
            app.run_until(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    username,
                    display_name,
                    email,
                    json,
                },
        } => {
            let opened = open(config, clock).await?;
            let created = opened
                .bootstrap_admin(&username, &display_name, &email)
                .await
                .map_err(|e| match e {
                    crate::service::Error::InvalidRequest(t)
                    | crate::service::Error::Conflict(t) => fail(t.en),
                    other => fail(other.to_string()),
                })?;
            let username = username.trim().to_lowercase();
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "username": username, "initial_password": created.initial_password })
                );
            } else {
                println!("Platform administrator {username} created.");
                println!(
                    "One-time password (to be changed at first login): {}",
                    created.initial_password
                );
            }
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let opened = open(config, clock).await?;
            match opened
                .audit
                .verify()
                .await
                .map_err(|e| fail(e.to_string()))?
            {
                Ok(v) => {
                    println!(
                        "audit trail intact: {} entries checked, up to entry {}",
                        v.entries, v.last_seq
                    );
                    Ok(())
                }
                Err(broken) => Err(fail(format!("audit trail broken: {broken}"))),
            }
        }
        Command::Backup { dir } => {
            println!("{}", crate::backup::backup(config, clock, &dir).await?);
            Ok(())
        }
        Command::Restore { backup, keys } => {
            println!(
                "{}",
                crate::backup::restore(config, clock, &backup, &keys).await?
            );
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Export { file },
        } => {
            println!(
                "{}",
                crate::backup::export_keys(config, clock, &file).await?
            );
            Ok(())
        }
        Command::Certificate { .. }
        | Command::Incident {
            command: IncidentCommand::Verify { .. },
        } => Ok(()),
        Command::Incident {
            command:
                IncidentCommand::Report {
                    from,
                    to,
                    account,
                    address,
                    mission,
                    out,
                },
        } => {
            let opened = open(config, clock).await?;
            let said =
                crate::cli_incident::report(&opened, &from, &to, account, address, mission, &out)
                    .await
                    .map_err(fail)?;
            println!("{said}");
            Ok(())
        }
        Command::Register { out } => {
            let opened = open(config, clock).await?;
            let said = crate::cli_incident::register(&opened, &out)
                .await
                .map_err(fail)?;
            println!("{said}");
            Ok(())
        }
        Command::Lockdown { command } => lockdown(config, clock, command).await,
        Command::Keys {
            command: KeysCommand::RotateMaster,
        } => {
            if config.master_key.env.is_some() {
                return Err(fail(
                    "master_key.env: the master key comes from an environment variable; rotate it by \
                     providing the new key in a file (master_key.file) and running this command again",
                ));
            }
            let path = config
                .master_key
                .file
                .clone()
                .unwrap_or_else(|| config.data_dir.join("master.key"));
            let opened = open(config, clock).await?;
            let n = opened
                .blobs
                .keys()
                .rotate_master_file(&path)
                .await
                .map_err(|e| fail(format!("master key rotation: {e}")))?;
            println!("master key rotated: {n} mission key(s) rewrapped; blobs untouched");
            Ok(())
        }
    }
}
