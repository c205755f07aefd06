//! Start-up: turns a configuration into a listening gateway, refusing to start with one clear
//! sentence when something is wrong.

use crate::clock::SharedClock;
use crate::config::{Config, ConfigError};
use crate::db::Db;
use crate::http::{router, AppState};
use crate::service::{audit::Audit, passwords::Hasher, Core};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Names of the gateway's own keys in the key store. They are random keys wrapped by the master
/// key like mission keys, so rotating the master key leaves them (and what they protect) intact.
/// Do not change.
const TOTP_KEY: &str = "gateway-totp-secrets";
const AUDIT_KEY: &str = "gateway-audit-chain";
const SIGNING_KEY: &str = "gateway-certificate-signing";

fn ensure_data_dir(dir: &Path) -> Result<(), ConfigError> {
    let fail = |e: std::io::Error| {
        ConfigError(format!(
            "data_dir (PASSERELLE_DATA_DIR): the directory {} is not writable: {e}",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(dir) {
            if meta.permissions().mode() & 0o077 != 0 {
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
            }
        }
    }
    let probe = dir.join(".write-probe");
    std::fs::write(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

pub(crate) use crate::key_store::master_key;

/// Opens the data directory, keys, blob store and database (migrating it): everything the CLI
/// and the server need.
pub async fn open(config: Config, clock: SharedClock) -> Result<Core, ConfigError> {
    ensure_data_dir(&config.data_dir)?;
    let db = Db::connect(&config.database_url())
        .await
        .map_err(|e| ConfigError(format!("database_url (PASSERELLE_DATABASE_URL): {e}")))?;
    let keys = crate::key_store::open_keys(&config, &db, &clock).await?;
    let key_error = |e: storage::StorageError| ConfigError(format!("the key store: {e}"));
    let totp_key = keys.service_key(TOTP_KEY).await.map_err(key_error)?;
    let audit_key = keys.service_key(AUDIT_KEY).await.map_err(key_error)?;
    let signing_seed = keys.service_key(SIGNING_KEY).await.map_err(key_error)?;
    let mailer = crate::service::mailer::Mailer::from_config(&config, db.clone(), clock.clone())?;
    let backend = crate::blob_backend::open(&config).await?;
    let blobs = storage::BlobStore::new(backend, keys)
        .map_err(|e| ConfigError(format!("storage.country: {e}")))?;
    let passwords = Hasher::new()
        .await
        .map_err(|e| ConfigError(format!("password hashing: {e}")))?;
    let audit = Audit::new(db.clone(), clock.clone(), audit_key);
    let checker = Arc::new(crate::worker::Checker::new(crate::worker::PoolSettings {
        program: config
            .checks
            .worker_program
            .clone()
            .unwrap_or_else(|| std::path::PathBuf::from("/proc/self/exe")),
        memory_mib: config.checks.worker_memory_mib,
        timeout: std::time::Duration::from_secs(config.checks.timeout_secs),
        max_parallel: config.checks.max_parallel.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        }),
    }));
    let core = Core {
        db,
        clock,
        config: Arc::new(config),
        audit,
        secrets: Arc::new(storage::SecretBox::new(&totp_key)),
        passwords,
        blobs,
        signer: crate::service::certificate::Signer::from_seed(&signing_seed),
        mailer,
        checker,
        destruction_lock: Arc::new(tokio::sync::Mutex::new(())),
        upload_fence: Arc::new(tokio::sync::RwLock::new(())),
        notifications: crate::service::notify::InFlight::default(),
        lockdown_flag: crate::service::lockdown::LockdownFlag::default(),
    };
    Ok(core)
}

/// A gateway bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: AppState,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("addr", &self.local_addr())
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Checks the configuration, opens everything and binds the listener (port 0 picks a free port).
    pub async fn build(config: Config, clock: SharedClock) -> Result<Self, ConfigError> {
        let listen = config.listen;
        storage::ensure_eea(&config.storage.country)
            .map_err(|e| ConfigError(format!("storage.country: {e}")))?;
        let tls_config = {
            // The TLS check runs before anything is created, so a bad certificate stops start-up early.
            ensure_data_dir(&config.data_dir)?;
            crate::tls::server_config(&config)?
        };
        let opened = open(config, clock).await?;
        // What a crash left half done is removed before anyone can see it.
        match opened.recover_interrupted_uploads().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(count = n, "removed uploads interrupted by the last stop"),
            Err(e) => return Err(ConfigError(format!("recovering interrupted uploads: {e}"))),
        }
        let listener = TcpListener::bind(listen).await.map_err(|e| {
            ConfigError(format!(
                "listen (PASSERELLE_LISTEN): cannot listen on {listen}: {e}"
            ))
        })?;
        Ok(Self {
            listener,
            tls: tls_config,
            state: AppState { core: opened },
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The services behind the server (tests use them to seed data).
    pub fn core(&self) -> &Core {
        &self.state.core
    }

    /// Serves until `shutdown` resolves.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send) {
        let http = self.state.core.config.http.clone();
        let housekeeping = tokio::spawn(housekeeping(self.state.core.clone()));
        let lockdown = tokio::spawn(self.state.core.clone().watch_lockdown());
        crate::server::serve(self.listener, self.tls, router(self.state), http, shutdown).await;
        housekeeping.abort();
        lockdown.abort();
    }
}

/// Periodic clean-up of dead sessions and challenges, expiry, the retry of held antivirus scans,
/// inactive accounts and the scheduled backup.
async fn housekeeping(core: Core) {
    core.announce_antivirus().await;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(
        core.config.sweep_interval_secs,
    ));
    let mut backup: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        tick.tick().await;
        if let Err(e) = core.sweep().await {
            tracing::error!(error = %e, "expiry sweep failed");
        }
        if let Err(e) = core.mailer.drain().await {
            tracing::warn!(error = %e, "the mail queue could not be drained");
        }
        if let Err(e) = core.retry_pending_scans().await {
            tracing::warn!(error = %e, "antivirus retries failed");
        }
        if let Err(e) = core.purge_sessions().await {
            tracing::warn!(error = %e, "session clean-up failed");
        }
        // In a task of its own: a long backup must not hold up the destructions that are due.
        if backup
            .as_ref()
            .is_none_or(tokio::task::JoinHandle::is_finished)
        {
            let core = core.clone();
            backup = Some(tokio::spawn(async move {
                if let Err(e) = core.scheduled_backup().await {
                    tracing::error!(error = %e, "the scheduled backup could not run");
                }
            }));
        }
    }
}
