//! Where the encrypted blobs live: the `[storage]` backend settings (`local` or `s3`) and the
//! opening of the backend at start-up.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::config::{Config, ConfigError};

/// Which backend holds the encrypted blobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The directory `storage.dir` (default `<data_dir>/blobs`).
    #[default]
    Local,
    /// An S3-compatible bucket (`[storage.s3]`).
    S3,
}

/// An S3-compatible bucket for the encrypted blobs (`storage.backend = "s3"`).
///
/// Crypto-shredding requires that a deleted object leaves no copy: the gateway refuses to start
/// on a bucket whose versioning was ever enabled, or with object lock or replication.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// `https://host[:port]` of the S3 API (plain `http://` only on a loopback address).
    pub endpoint: String,
    /// The bucket (create it beforehand, versioning never enabled).
    pub bucket: String,
    /// The signing region (`fr-par`, `eu-west-3`, `garage`…).
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// File holding the secret access key (mode 0600, like every secret).
    pub secret_access_key_file: PathBuf,
    /// Path-style addressing (`endpoint/bucket/key`, what Garage and most local servers want)
    /// instead of virtual-hosted (`bucket.endpoint/key`).
    #[serde(default)]
    pub path_style: bool,
    /// Prefix of every object key: empty, or ending with `/` (to share a bucket).
    #[serde(default)]
    pub prefix: String,
    /// The endpoints you attest store data in `storage.country`; `endpoint` must be one of them.
    pub allowed_endpoints: Vec<String>,
    /// PEM file of the certificates to trust for the endpoint (a private CA) instead of the
    /// Mozilla root set.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Incomplete multipart uploads older than this many hours are aborted at start-up (an
    /// upload interrupted by a crash; younger ones may belong to another running instance).
    #[serde(default = "default_abandoned_hours")]
    pub abandoned_upload_hours: u32,
}

fn default_abandoned_hours() -> u32 {
    24
}

/// Checks the backend settings (called with the rest of the configuration).
pub(crate) fn check(config: &Config) -> Result<(), ConfigError> {
    match (config.storage.backend, &config.storage.s3) {
        (BackendKind::S3, None) => Err(ConfigError(
            "storage.backend = \"s3\" needs a [storage.s3] section (endpoint, bucket, region, access_key_id, secret_access_key_file, allowed_endpoints)".into(),
        )),
        (BackendKind::S3, Some(s3)) => {
            if s3.allowed_endpoints.is_empty() {
                return Err(ConfigError(
                    "storage.s3.allowed_endpoints is required: list the endpoints you attest store data in storage.country".into(),
                ));
            }
            if s3.bucket.trim().is_empty() || s3.region.trim().is_empty() || s3.access_key_id.trim().is_empty() {
                return Err(ConfigError(
                    "storage.s3.bucket, storage.s3.region and storage.s3.access_key_id must not be empty".into(),
                ));
            }
            let most = storage::backend::s3::MAX_BLOB_PLAINTEXT;
            if config.max_upload_bytes > most {
                return Err(ConfigError(format!(
                    "max_upload_bytes is {} but a file on S3 holds at most {most} bytes (10,000 parts of {} MiB): lower max_upload_bytes",
                    config.max_upload_bytes,
                    storage::backend::s3::PART_SIZE >> 20
                )));
            }
            if s3.abandoned_upload_hours == 0 {
                return Err(ConfigError(
                    "storage.s3.abandoned_upload_hours must be at least 1".into(),
                ));
            }
            Ok(())
        }
        (BackendKind::Local, Some(_)) => Err(ConfigError(
            "[storage.s3] is set but storage.backend is \"local\": set storage.backend = \"s3\" or remove the section".into(),
        )),
        (BackendKind::Local, None) => Ok(()),
    }
}

fn s3_config(config: &Config, s3: &S3Settings) -> Result<storage::S3Config, ConfigError> {
    crate::secret_files::check_private(
        &s3.secret_access_key_file,
        "storage.s3.secret_access_key_file",
    )?;
    let secret = std::fs::read_to_string(&s3.secret_access_key_file).map_err(|e| {
        ConfigError(format!(
            "storage.s3.secret_access_key_file {}: {e}",
            s3.secret_access_key_file.display()
        ))
    })?;
    let ca_pem = match &s3.ca_file {
        Some(f) => Some(
            std::fs::read(f)
                .map_err(|e| ConfigError(format!("storage.s3.ca_file {}: {e}", f.display())))?,
        ),
        None => None,
    };
    // Parts wait here before they are sent: encrypted bytes, in unnamed files. Next to the
    // database rather than in /tmp, which may be a tmpfs (memory).
    let staging = config.data_dir.join("s3-staging");
    create_private_dir(&staging)
        .map_err(|e| ConfigError(format!("S3 staging folder {}: {e}", staging.display())))?;
    Ok(storage::S3Config {
        endpoint: s3.endpoint.clone(),
        bucket: s3.bucket.clone(),
        region: s3.region.clone(),
        access_key_id: s3.access_key_id.clone(),
        secret_access_key: secret.trim().to_owned(),
        path_style: s3.path_style,
        prefix: s3.prefix.clone(),
        country: config.storage.country.clone(),
        allowed_endpoints: s3.allowed_endpoints.clone(),
        ca_pem,
        sweep_older_than: Duration::from_secs(u64::from(s3.abandoned_upload_hours) * 3600),
        staging_dir: Some(staging),
    })
}

/// Creates `dir` if needed, readable by this account only.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Opens the configured backend: checks the bucket (S3) and removes leftovers of interrupted
/// uploads.
pub(crate) async fn open(config: &Config) -> Result<Arc<dyn storage::Backend>, ConfigError> {
    storage::ensure_eea(&config.storage.country)
        .map_err(|e| ConfigError(format!("storage.country: {e}")))?;
    match (&config.storage.backend, &config.storage.s3) {
        (BackendKind::S3, Some(s3)) => {
            let backend = storage::S3Backend::connect(s3_config(config, s3)?)
                .await
                .map_err(|e| ConfigError(format!("storage.s3: {e}")))?;
            storage::Backend::sweep(&backend).await.map_err(|e| {
                ConfigError(format!("storage.s3: sweeping interrupted uploads: {e}"))
            })?;
            tracing::info!(location = %storage::Backend::describe(&backend), "encrypted blobs on S3");
            Ok(Arc::new(backend))
        }
        _ => {
            let backend = storage::LocalBackend::open(config.blob_dir(), &config.storage.country)
                .map_err(|e| ConfigError(format!("storage: {e}")))?;
            Ok(Arc::new(backend))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn load(toml: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, toml).unwrap();
        Config::load_from(Some(&path), &[])
    }

    const S3: &str = "[storage]\nbackend = \"s3\"\n[storage.s3]\nendpoint = \"https://s3.fr-par.scw.cloud\"\n\
        bucket = \"b\"\nregion = \"fr-par\"\naccess_key_id = \"k\"\nsecret_access_key_file = \"/etc/s\"\n";

    #[test]
    fn s3_settings_are_typed_and_checked() {
        let c = load(&format!(
            "{S3}allowed_endpoints = [\"https://s3.fr-par.scw.cloud\"]\n"
        ))
        .unwrap();
        assert_eq!(c.storage.backend, BackendKind::S3);
        let s3 = c.storage.s3.unwrap();
        assert!(!s3.path_style);
        assert_eq!(s3.abandoned_upload_hours, 24);

        let e = load(S3).unwrap_err();
        assert!(e.0.contains("allowed_endpoints"), "{e}");
        let e = load(&format!("{S3}allowed_endpoints = []\n")).unwrap_err();
        assert!(
            e.0.contains("storage.s3.allowed_endpoints is required"),
            "{e}"
        );
        let e = load(&format!(
            "{S3}allowed_endpoints = [\"x\"]\nsecret = \"inline\"\n"
        ))
        .unwrap_err();
        assert!(e.0.contains("secret"), "{e}");
        let e = load("[storage]\nbackend = \"s3\"\n").unwrap_err();
        assert!(e.0.contains("[storage.s3]"), "{e}");
        let e = load("[storage]\nbackend = \"ftp\"\n").unwrap_err();
        assert!(e.0.contains("ftp"), "{e}");
        // 10,000 parts of 8 MiB: about 78 GiB; 100 GiB cannot be stored, 50 GiB can.
        let e = load(&format!(
            "max_upload_bytes = 107374182400\n{S3}allowed_endpoints = [\"x\"]\n"
        ))
        .unwrap_err();
        assert!(e.0.contains("max_upload_bytes"), "{e}");
        load(&format!(
            "max_upload_bytes = 53687091200\n{S3}allowed_endpoints = [\"x\"]\n"
        ))
        .unwrap();
        let local_with_s3 = S3.replace("backend = \"s3\"\n", "");
        let e = load(&format!("{local_with_s3}allowed_endpoints = [\"x\"]\n")).unwrap_err();
        assert!(e.0.contains("storage.backend is \"local\""), "{e}");
    }
}
