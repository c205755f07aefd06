//! Configuration: embedded defaults, then `passerelle.toml`, then `PASSERELLE_*` environment variables.
//!
//! Every problem found here is reported as one sentence naming the setting at fault, so an operator
//! can fix it without reading a backtrace.

mod ops;

pub use ops::{AccountsConfig, BackupsConfig};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A configuration problem, worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The gateway's whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory holding the database (SQLite), the encrypted blobs, the keys and generated TLS material.
    pub data_dir: PathBuf,
    /// Address and port the HTTPS listener binds.
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://...`; defaults to a SQLite file under `data_dir`.
    pub database_url: Option<String>,
    /// TLS certificate and key.
    pub tls: TlsConfig,
    /// Session lifetimes.
    pub sessions: SessionConfig,
    /// Password rules that deployments may tighten.
    pub passwords: PasswordConfig,
    /// Where the master key-encryption key comes from.
    pub master_key: MasterKeyConfig,
    /// Where encrypted blobs are kept.
    pub storage: StorageConfig,
    /// HTTP limits and time-outs.
    pub http: HttpConfig,
    /// How often, in seconds, expiry is enforced.
    pub sweep_interval_secs: u64,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
    /// Name shown as the issuer in authenticator apps.
    pub totp_issuer: String,
    /// Accepted upload types.
    pub uploads: UploadConfig,
    /// Audit entries older than this many days are purged (the chain stays verifiable).
    pub audit_retention_days: u32,
    /// Key exports older than this many days are refused by `passerelle restore`; destruction
    /// certificates state that destroyed content is unreadable from any key export after this delay.
    pub key_export_retention_days: u32,
    /// A mission may be extended to at most this many days after its initial end date.
    pub max_extension_days: u32,
    /// `results_retained_until` may lie at most this many days after now.
    pub max_results_retention_days: u32,
    /// Separation of duties in role grants.
    pub roles: RolesConfig,
    /// Online-guessing thresholds per client address.
    pub throttle: ThrottleConfig,
    /// This instance's name in destruction certificates.
    pub instance_name: String,
    /// Outgoing e-mail (end-of-mission warnings).
    pub mail: MailConfig,
    /// Statistical disclosure control of results.
    pub checks: ChecksConfig,
    /// Virus scanning of every upload by ClamAV's clamd (off unless a socket or address is set).
    pub antivirus: AntivirusConfig,
    /// The usage charter every user accepts before using the service.
    pub charter: CharterConfig,
    /// The data-protection notice shown on the login page.
    pub privacy_notice: PrivacyNoticeConfig,
    /// Second factors.
    pub auth: AuthConfig,
    /// Inactive accounts.
    pub accounts: AccountsConfig,
    /// Scheduled backups.
    pub backups: BackupsConfig,
}

/// Second factors beyond the mandatory TOTP.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// When true, a person with at least one passkey may remove their authenticator app from
    /// their account: their login's second step then takes a passkey (or a recovery code), and
    /// their last passkey cannot be removed while they have no app. Default false: TOTP stays
    /// mandatory, passkeys only add another way to answer it.
    pub passkeys_replace_totp: bool,
}

/// The usage charter. Each user accepts it at first login, and again whenever its version
/// changes; the acceptance and the version are recorded (and audited).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CharterConfig {
    /// The version recorded with each acceptance; change it to have everyone accept again. When
    /// unset it is derived from the texts, so that any change of a text asks again.
    pub version: Option<String>,
    /// The charter, paragraphs separated by blank lines; the built-in charter when unset.
    pub text: Option<String>,
    /// Its English version; when unset, `text` (or the built-in English charter).
    pub text_en: Option<String>,
    /// [`CharterConfig::version`], worked out once (every signed-in page asks for it).
    #[serde(skip)]
    resolved_version: std::sync::OnceLock<String>,
}

impl CharterConfig {
    /// The version in force.
    pub fn version(&self) -> &str {
        self.resolved_version.get_or_init(|| self.resolve_version())
    }

    fn resolve_version(&self) -> String {
        use sha2::Digest as _;
        if let Some(v) = self
            .version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            return v.to_owned();
        }
        if self.text.is_none() && self.text_en.is_none() {
            return BUILT_IN_CHARTER_VERSION.to_owned();
        }
        let mut hash = sha2::Sha256::new();
        hash.update(self.text.as_deref().unwrap_or_default());
        hash.update([0]);
        hash.update(self.text_en.as_deref().unwrap_or_default());
        let digest = hex::encode(hash.finalize());
        format!("texte-{}", &digest[..12])
    }
}

/// The version of the built-in charter (bump it when admin-ui's default text changes).
pub const BUILT_IN_CHARTER_VERSION: &str = "passerelle-2026-12";

/// The data-protection notice of the login page (GDPR article 13): who processes the data, why,
/// for how long, whom to contact, and the user's rights. Each unset item shows a built-in text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyNoticeConfig {
    /// The controller: the organisation responsible for the processing.
    pub controller: Option<String>,
    /// Why the data are processed.
    pub purpose: Option<String>,
    /// How long they are kept.
    pub retention: Option<String>,
    /// How to reach the data protection officer.
    pub dpo_contact: Option<String>,
    /// The user's rights and how to exercise them.
    pub rights: Option<String>,
}

/// Thresholds of the disclosure check (INSEE rules of the OPS conventions).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChecksConfig {
    /// Smallest count that may be published: counts from 1 to this minus one fail.
    pub min_count: u32,
    /// Lowest response rate that may be published, in percent.
    pub min_response_rate: f64,
    /// Headers of count columns (globs on the lowercased, accent-stripped header); none: the defaults
    /// `nb_*`, `nombre*`, `effectif*`, `n`, `count*`.
    pub count_patterns: Option<Vec<String>>,
    /// Headers of share columns; none: `part_*`, `pct*`, `taux*`, `*%*`.
    pub share_patterns: Option<Vec<String>>,
    /// Headers of response-rate columns; none: `taux_reponse*`, `taux_de_reponse*`.
    pub response_rate_patterns: Option<Vec<String>>,
    /// Address space of the isolated check worker, in MiB (a file needing more is unreadable).
    pub worker_memory_mib: u64,
    /// Deadline of one check, wall clock and CPU seconds alike.
    pub timeout_secs: u64,
    /// Most checks running at once (none: the number of cores); the others wait in order.
    pub max_parallel: Option<usize>,
    /// The program started as `PROGRAM check-worker` (none: this very binary, `/proc/self/exe`).
    pub worker_program: Option<PathBuf>,
}

impl ChecksConfig {
    /// The disclosure thresholds, as the rules' wording names them.
    pub fn thresholds(&self) -> crate::domain::Thresholds {
        crate::domain::Thresholds {
            min_count: self.min_count,
            min_response_rate: self.min_response_rate,
        }
    }
}

impl Default for ChecksConfig {
    fn default() -> Self {
        Self {
            min_count: 11,
            min_response_rate: 60.0,
            count_patterns: None,
            share_patterns: None,
            response_rate_patterns: None,
            worker_memory_mib: 256,
            timeout_secs: 60,
            max_parallel: None,
            worker_program: None,
        }
    }
}

/// Virus scanning by ClamAV's clamd (`INSTREAM`). With neither `clamd_socket` nor
/// `clamd_address`, uploads are not scanned for viruses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AntivirusConfig {
    /// Path of clamd's Unix socket (its `LocalSocket`).
    pub clamd_socket: Option<PathBuf>,
    /// clamd's TCP address as `host:port` (its `TCPAddr` and `TCPSocket`), instead of a socket.
    pub clamd_address: Option<String>,
    /// Seconds allowed to connect to clamd.
    pub connect_timeout_secs: u64,
    /// Seconds clamd may stay silent: to take the next chunk, or to answer after the last one.
    pub timeout_secs: u64,
}

impl Default for AntivirusConfig {
    fn default() -> Self {
        Self {
            clamd_socket: None,
            clamd_address: None,
            connect_timeout_secs: 5,
            timeout_secs: 120,
        }
    }
}

impl AntivirusConfig {
    /// The clamd to ask, when one is configured.
    pub fn clamd(&self) -> Option<crate::antivirus::Clamd> {
        let target = match (&self.clamd_socket, &self.clamd_address) {
            (Some(path), _) => crate::antivirus::Target::Unix(path.clone()),
            (None, Some(addr)) => crate::antivirus::Target::Tcp(addr.clone()),
            (None, None) => return None,
        };
        Some(crate::antivirus::Clamd::new(
            target,
            std::time::Duration::from_secs(self.connect_timeout_secs),
            std::time::Duration::from_secs(self.timeout_secs),
        ))
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.clamd_socket.is_some() && self.clamd_address.is_some() {
            return Err(ConfigError(
                "antivirus.clamd_socket and antivirus.clamd_address are exclusive: set one".into(),
            ));
        }
        if self.connect_timeout_secs == 0 || self.timeout_secs == 0 {
            return Err(ConfigError(
                "antivirus.connect_timeout_secs and antivirus.timeout_secs must be at least 1"
                    .into(),
            ));
        }
        if let Some(addr) = &self.clamd_address {
            let port = addr.rsplit_once(':').map(|(_, p)| p.parse::<u16>());
            if !matches!(port, Some(Ok(p)) if p > 0) {
                return Err(ConfigError(format!(
                    "antivirus.clamd_address must be host:port (clamd's TCPAddr and TCPSocket), not {addr:?}"
                )));
            }
        }
        Ok(())
    }
}

/// Outgoing e-mail. Without `smtp_host`, messages are written as `.eml` files to `<data_dir>/outbox`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Sender address, e.g. `Passerelle <passerelle@example.fr>`.
    pub from: String,
    /// SMTP relay host (STARTTLS on `smtp_port`); none means the outbox folder.
    pub smtp_host: Option<String>,
    /// SMTP port.
    pub smtp_port: u16,
    /// SMTP user name, if the relay requires authentication.
    pub smtp_username: Option<String>,
    /// File holding the SMTP password (mode 0600).
    pub smtp_password_file: Option<PathBuf>,
    /// The address people reach Passerelle at, e.g. `https://passerelle.example.fr`: links sent
    /// by e-mail start with it (never with the `Host` a request claims). Without it, a link is
    /// written as `https://` and the listening address.
    pub public_url: Option<String>,
    /// How long a password reset link sent by e-mail stays valid, in seconds (default one hour).
    pub reset_link_secs: u64,
    /// How long an invitation link (set a password, accept the charter, enrol an authenticator)
    /// stays valid, in seconds (default 72 hours; from one hour to 30 days).
    pub invitation_link_secs: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            from: "Passerelle <passerelle@localhost>".to_owned(),
            smtp_host: None,
            smtp_port: 587,
            smtp_username: None,
            smtp_password_file: None,
            public_url: None,
            reset_link_secs: 3600,
            invitation_link_secs: 72 * 3600,
        }
    }
}

/// Accepted file types per folder (extensions, case-insensitive).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadConfig {
    /// Extensions accepted in deposits folders.
    pub deposit_extensions: Vec<String>,
    /// Extensions accepted in results folders.
    pub result_extensions: Vec<String>,
}

impl Default for UploadConfig {
    fn default() -> Self {
        Self {
            deposit_extensions: ["csv", "xlsx", "xls", "ods", "zip"]
                .map(String::from)
                .to_vec(),
            result_extensions: ["csv", "xlsx", "ods", "pdf", "zip"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// TLS material. With neither file set, a self-signed development certificate is generated.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain, leaf first.
    pub cert_file: Option<PathBuf>,
    /// PEM private key; must not be readable by group or others.
    pub key_file: Option<PathBuf>,
}

/// Session lifetimes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// A session unused for this many seconds ends.
    pub idle_timeout_secs: u64,
    /// A session ends this many seconds after login whatever its use.
    pub absolute_lifetime_secs: u64,
}

/// Password rules.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    /// When set, a password older than this many days must be changed at the next login.
    pub max_age_days: Option<u32>,
}

/// Master key-encryption key source: a generated file under the data directory by default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MasterKeyConfig {
    /// Read the master key from this file (mode 0600) instead of `<data_dir>/master.key`.
    pub file: Option<PathBuf>,
    /// Read the master key (base64 or hex of 32 bytes) from this environment variable.
    pub env: Option<String>,
}

/// Blob storage location.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Directory of the encrypted blobs; defaults to `<data_dir>/blobs`.
    pub dir: Option<PathBuf>,
    /// ISO 3166 country where the blobs physically lie (the directory, or the bucket's data
    /// centre); must be in the EEA.
    pub country: String,
    /// `local` (the directory `dir`, the default) or `s3` (the bucket of `[storage.s3]`).
    pub backend: crate::blob_backend::BackendKind,
    /// The S3-compatible bucket, required when `backend = "s3"`.
    pub s3: Option<crate::blob_backend::S3Settings>,
}

/// Separation of duties in role grants (the conventions: an EPCI sees aggregates only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RolesConfig {
    /// Organisation kinds whose members never hold `depositor` or `processor` (raw data).
    pub raw_data_excluded_kinds: Vec<String>,
}

impl Default for RolesConfig {
    fn default() -> Self {
        Self {
            raw_data_excluded_kinds: vec!["epci".to_owned()],
        }
    }
}

/// Thresholds of the per-address login counter (the per-account ones are fixed: 5 and 10).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleConfig {
    /// Failures from one client address before delays begin.
    pub address_delay_after: u32,
    /// Failures from one client address that lock it for 30 minutes.
    pub address_lock_after: u32,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            address_delay_after: 20,
            address_lock_after: 100,
        }
    }
}

/// HTTP limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Seconds allowed for a TLS handshake.
    pub handshake_timeout_secs: u64,
    /// Seconds allowed to receive a request's headers.
    pub header_read_timeout_secs: u64,
    /// Seconds a request body may stay silent before the request is dropped.
    pub body_idle_timeout_secs: u64,
    /// Largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    /// Most simultaneous connections.
    pub max_connections: usize,
    /// Most simultaneous connections from one client address (trusted proxies excepted).
    pub max_connections_per_address: usize,
    /// Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` gives the client address.
    pub trusted_proxies: Vec<String>,
    /// A connection with no request for this many seconds is closed (HTTP/1.1 and HTTP/2).
    pub idle_timeout_secs: u64,
    /// Whole-request deadline, in seconds, of the unauthenticated routes (login steps, `/healthz`).
    pub unauthenticated_deadline_secs: u64,
    /// Slowest accepted body, in bytes per second, on the unauthenticated routes (after one second).
    pub unauthenticated_min_body_rate: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            database_url: None,
            tls: TlsConfig::default(),
            sessions: SessionConfig::default(),
            passwords: PasswordConfig::default(),
            master_key: MasterKeyConfig::default(),
            storage: StorageConfig::default(),
            http: HttpConfig::default(),
            sweep_interval_secs: 60,
            max_upload_bytes: 2 * 1024 * 1024 * 1024,
            totp_issuer: "Passerelle".to_owned(),
            uploads: UploadConfig::default(),
            audit_retention_days: 365,
            key_export_retention_days: 30,
            max_extension_days: 365,
            max_results_retention_days: 3650,
            roles: RolesConfig::default(),
            throttle: ThrottleConfig::default(),
            instance_name: "passerelle".to_owned(),
            mail: MailConfig::default(),
            checks: ChecksConfig::default(),
            antivirus: AntivirusConfig::default(),
            charter: CharterConfig::default(),
            privacy_notice: PrivacyNoticeConfig::default(),
            auth: AuthConfig::default(),
            accounts: AccountsConfig::default(),
            backups: BackupsConfig::default(),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 30 * 60,
            absolute_lifetime_secs: 12 * 60 * 60,
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            dir: None,
            country: "FR".to_owned(),
            backend: crate::blob_backend::BackendKind::Local,
            s3: None,
        }
    }
}

impl HttpConfig {
    /// The trusted proxies, parsed (malformed entries are refused at load).
    pub fn trusted_ranges(&self) -> Vec<crate::net::IpRange> {
        self.trusted_proxies
            .iter()
            .filter_map(|s| crate::net::IpRange::parse(s))
            .collect()
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            handshake_timeout_secs: 10,
            header_read_timeout_secs: 10,
            body_idle_timeout_secs: 30,
            max_header_bytes: 16 * 1024,
            max_connections: 1024,
            max_connections_per_address: 128,
            trusted_proxies: Vec::new(),
            idle_timeout_secs: 60,
            unauthenticated_deadline_secs: 10,
            unauthenticated_min_body_rate: 1024,
        }
    }
}

/// Names of the environment variables that override the file (from the HTTP contract).
const ENV_VARS: &[&str] = &[
    "PASSERELLE_DATA_DIR",
    "PASSERELLE_LISTEN",
    "PASSERELLE_DATABASE_URL",
    "PASSERELLE_TLS_CERT",
    "PASSERELLE_TLS_KEY",
    "PASSERELLE_SWEEP_INTERVAL_SECS",
    "PASSERELLE_MAX_UPLOAD_BYTES",
];

impl Config {
    /// Loads the configuration: defaults, then the file (explicit path, or `passerelle.toml` in the
    /// working directory when present), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = ENV_VARS
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
            .collect();
        let file = match file {
            Some(p) => Some(p.to_path_buf()),
            None => std::env::var_os("PASSERELLE_CONFIG")
                .map(PathBuf::from)
                .or_else(|| {
                    let p = PathBuf::from("passerelle.toml");
                    p.exists().then_some(p)
                }),
        };
        Self::load_from(file.as_deref(), &env)
    }

    /// Loads from an optional file and an explicit list of environment pairs.
    pub fn load_from(file: Option<&Path>, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let mut config = match file {
            None => Config::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!(
                        "the configuration file {} cannot be read: {e}",
                        path.display()
                    ))
                })?;
                toml::from_str(&text).map_err(|e| {
                    ConfigError(format!(
                        "the configuration file {} is not valid: {}",
                        path.display(),
                        e.message()
                    ))
                })?
            }
        };
        for (key, value) in env {
            config.apply_env(key, value)?;
        }
        config.check()?;
        Ok(config)
    }

    fn apply_env(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        let bad = |what: &str| ConfigError(format!("{key} must be {what}, not {value:?}"));
        match key {
            "PASSERELLE_DATA_DIR" => self.data_dir = PathBuf::from(value),
            "PASSERELLE_LISTEN" => {
                self.listen = value
                    .parse()
                    .map_err(|_| bad("an address and port such as 127.0.0.1:8443"))?
            }
            "PASSERELLE_DATABASE_URL" => self.database_url = Some(value.to_owned()),
            "PASSERELLE_TLS_CERT" => self.tls.cert_file = Some(PathBuf::from(value)),
            "PASSERELLE_TLS_KEY" => self.tls.key_file = Some(PathBuf::from(value)),
            "PASSERELLE_SWEEP_INTERVAL_SECS" => {
                self.sweep_interval_secs = value.parse().map_err(|_| bad("a number of seconds"))?
            }
            "PASSERELLE_MAX_UPLOAD_BYTES" => {
                self.max_upload_bytes = value.parse().map_err(|_| bad("a number of bytes"))?
            }
            _ => {}
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.tls.cert_file.is_some() != self.tls.key_file.is_some() {
            return Err(ConfigError(
                "tls.cert_file (PASSERELLE_TLS_CERT) and tls.key_file (PASSERELLE_TLS_KEY) must be set together".into(),
            ));
        }
        if self.sessions.idle_timeout_secs == 0 || self.sessions.absolute_lifetime_secs == 0 {
            return Err(ConfigError(
                "sessions.idle_timeout_secs and sessions.absolute_lifetime_secs must be greater than zero".into(),
            ));
        }
        if !(180..=3650).contains(&self.audit_retention_days) {
            return Err(ConfigError(
                "audit_retention_days must be between 180 (six months, the CNIL minimum for access logs) and 3650".into(),
            ));
        }
        if !(64..=65536).contains(&self.checks.worker_memory_mib) {
            return Err(ConfigError(
                "checks.worker_memory_mib must be between 64 and 65536 (MiB)".into(),
            ));
        }
        if !(1..=3600).contains(&self.checks.timeout_secs) {
            return Err(ConfigError(
                "checks.timeout_secs must be between 1 and 3600".into(),
            ));
        }
        if self.checks.max_parallel == Some(0) {
            return Err(ConfigError("checks.max_parallel must be at least 1".into()));
        }
        if self.throttle.address_delay_after == 0
            || self.throttle.address_lock_after <= self.throttle.address_delay_after
        {
            return Err(ConfigError(
                "throttle.address_delay_after must be at least 1 and throttle.address_lock_after greater than it".into(),
            ));
        }
        if self.http.max_connections_per_address == 0
            || self.http.idle_timeout_secs == 0
            || self.http.unauthenticated_deadline_secs == 0
        {
            return Err(ConfigError(
                "http.max_connections_per_address, http.idle_timeout_secs and http.unauthenticated_deadline_secs must be at least 1".into(),
            ));
        }
        if let Some(bad) = self
            .http
            .trusted_proxies
            .iter()
            .find(|s| crate::net::IpRange::parse(s).is_none())
        {
            return Err(ConfigError(format!(
                "http.trusted_proxies: {bad:?} is neither an address nor a CIDR range such as 10.0.0.0/8"
            )));
        }
        if self.max_results_retention_days == 0 {
            return Err(ConfigError(
                "max_results_retention_days must be at least 1".into(),
            ));
        }
        if !(60..=7 * 24 * 3600).contains(&self.mail.reset_link_secs) {
            return Err(ConfigError(
                "mail.reset_link_secs must be between 60 (one minute) and 604800 (one week)".into(),
            ));
        }
        if !(3600..=30 * 24 * 3600).contains(&self.mail.invitation_link_secs) {
            return Err(ConfigError(
                "mail.invitation_link_secs must be between 3600 (one hour) and 2592000 (30 days)"
                    .into(),
            ));
        }
        if let Some(url) = &self.mail.public_url {
            if !url.starts_with("https://") || url.trim() != url || url.len() <= "https://".len() {
                return Err(ConfigError(format!(
                    "mail.public_url must be an https:// address such as https://passerelle.example.fr, not {url:?}"
                )));
            }
        }
        if self.sweep_interval_secs == 0 {
            return Err(ConfigError(
                "sweep_interval_secs (PASSERELLE_SWEEP_INTERVAL_SECS) must be at least 1".into(),
            ));
        }
        self.antivirus.check()?;
        self.accounts.check()?;
        self.backups.check()?;
        crate::blob_backend::check(self)?;
        if let Some(url) = &self.database_url {
            let scheme = url.split(':').next().unwrap_or_default();
            if !matches!(scheme, "sqlite" | "postgres" | "postgresql") {
                return Err(ConfigError(format!(
                    "database_url (PASSERELLE_DATABASE_URL) has the unknown scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST/DB"
                )));
            }
        }
        Ok(())
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("passerelle.db").display()
            ),
        }
    }

    /// The blob directory in force.
    pub fn blob_dir(&self) -> PathBuf {
        self.storage
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("blobs"))
    }

    /// The key store directory (kept apart from the blobs).
    pub fn key_dir(&self) -> PathBuf {
        self.data_dir.join("keys")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_need_nothing() {
        let c = Config::load_from(None, &[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8443");
        assert!(c
            .database_url()
            .starts_with("sqlite://./data/passerelle.db"));
        assert_eq!(c.sessions.idle_timeout_secs, 1800);
    }

    #[test]
    fn environment_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\nsweep_interval_secs = 5\n",
        )
        .unwrap();
        let c = Config::load_from(
            Some(&path),
            &env(&[("PASSERELLE_LISTEN", "127.0.0.1:9001")]),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9001);
        assert_eq!(c.sweep_interval_secs, 5);
    }

    #[test]
    fn unknown_fields_and_schemes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        let e = Config::load_from(Some(&path), &[]).unwrap_err();
        assert!(e.0.contains("lisen"), "{e}");
        let e =
            Config::load_from(None, &env(&[("PASSERELLE_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(e.0.contains("PASSERELLE_DATABASE_URL"), "{e}");
        let e = Config::load_from(None, &env(&[("PASSERELLE_LISTEN", "nowhere")])).unwrap_err();
        assert!(e.0.contains("PASSERELLE_LISTEN"), "{e}");
        std::fs::write(
            &path,
            "[antivirus]\nclamd_socket = \"/run/clamav/clamd.ctl\"\nclamd_address = \"127.0.0.1:3310\"\n",
        )
        .unwrap();
        let e = Config::load_from(Some(&path), &[]).unwrap_err();
        assert!(e.0.contains("antivirus.clamd_socket"), "{e}");
        std::fs::write(&path, "[antivirus]\nclamd_address = \"localhost\"\n").unwrap();
        let e = Config::load_from(Some(&path), &[]).unwrap_err();
        assert!(e.0.contains("host:port"), "{e}");
        std::fs::write(&path, "[antivirus]\nclamd_address = \"localhost:3310\"\n").unwrap();
        assert!(Config::load_from(Some(&path), &[])
            .unwrap()
            .antivirus
            .clamd()
            .is_some());
        assert!(Config::load_from(None, &[])
            .unwrap()
            .antivirus
            .clamd()
            .is_none());
    }

    #[test]
    fn issue_12_settings_have_defaults_and_are_checked() {
        let c = Config::load_from(None, &[]).unwrap();
        assert_eq!(c.roles.raw_data_excluded_kinds, vec!["epci".to_owned()]);
        assert_eq!(
            (
                c.throttle.address_delay_after,
                c.throttle.address_lock_after
            ),
            (20, 100)
        );
        assert_eq!(c.http.max_connections_per_address, 128);
        assert!(c.http.trusted_proxies.is_empty());
        assert_eq!(c.max_results_retention_days, 3650);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"192.0.2.1\"]\n",
        )
        .unwrap();
        let c = Config::load_from(Some(&path), &[]).unwrap();
        assert_eq!(c.http.trusted_ranges().len(), 2);
        std::fs::write(&path, "[http]\ntrusted_proxies = [\"10.0.0.0/40\"]\n").unwrap();
        let e = Config::load_from(Some(&path), &[]).unwrap_err();
        assert!(e.0.contains("http.trusted_proxies"), "{e}");
        std::fs::write(
            &path,
            "[throttle]\naddress_delay_after = 50\naddress_lock_after = 40\n",
        )
        .unwrap();
        let e = Config::load_from(Some(&path), &[]).unwrap_err();
        assert!(e.0.contains("throttle.address_lock_after"), "{e}");
    }
}
