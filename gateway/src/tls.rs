//! TLS material: the operator's certificate, or a generated self-signed one for development.

use crate::config::{Config, ConfigError};
use crate::secret_files::{check_private, write_private};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use std::path::Path;
use std::sync::Arc;

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    const SETTING: &str = "tls.cert_file (PASSERELLE_TLS_CERT)";
    let pem = std::fs::read(path).map_err(|e| {
        ConfigError(format!(
            "{SETTING}: the certificate {} cannot be read: {e}",
            path.display()
        ))
    })?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| {
            ConfigError(format!(
                "{SETTING}: {} is not a valid PEM file: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(ConfigError(format!(
            "{SETTING}: {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, ConfigError> {
    const SETTING: &str = "tls.key_file (PASSERELLE_TLS_KEY)";
    check_private(path, SETTING)?;
    let pem = std::fs::read(path).map_err(|e| {
        ConfigError(format!(
            "{SETTING}: the key {} cannot be read: {e}",
            path.display()
        ))
    })?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|e| {
            ConfigError(format!(
                "{SETTING}: {} is not a valid PEM file: {e}",
                path.display()
            ))
        })?
        .ok_or_else(|| {
            ConfigError(format!(
                "{SETTING}: {} holds no PEM private key",
                path.display()
            ))
        })
}

/// Generates a self-signed certificate for localhost under `dir` unless one is already there.
fn ensure_dev_certificate(
    dir: &Path,
) -> Result<(std::path::PathBuf, std::path::PathBuf), ConfigError> {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    let fail = |e: &dyn std::fmt::Display| {
        ConfigError(format!(
            "data_dir (PASSERELLE_DATA_DIR): the development certificate cannot be written under {}: {e}",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    let generated = rcgen::generate_simple_self_signed(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])
    .map_err(|e| fail(&e))?;
    let _ = std::fs::remove_file(&key);
    let _ = std::fs::remove_file(&cert);
    write_private(&key, generated.key_pair.serialize_pem().as_bytes()).map_err(|e| fail(&e))?;
    std::fs::write(&cert, generated.cert.pem()).map_err(|e| fail(&e))?;
    tracing::warn!(path = %cert.display(), "generated a self-signed development certificate; configure tls.cert_file and tls.key_file in production");
    Ok((cert, key))
}

/// The rustls server configuration: TLS 1.2 and 1.3 only, ECDHE with AEAD suites only.
pub(crate) fn server_config(config: &Config) -> Result<Arc<ServerConfig>, ConfigError> {
    let (cert_path, key_path) = match (&config.tls.cert_file, &config.tls.key_file) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => ensure_dev_certificate(&config.data_dir.join("tls"))?,
    };
    let certs = read_certs(&cert_path)?;
    let key = read_key(&key_path)?;
    let provider = rustls::crypto::ring::default_provider();
    let provider = rustls::crypto::CryptoProvider {
        // ring's suites are all AEAD; keep exactly those with forward secrecy (all of them), listed explicitly.
        cipher_suites: vec![
            rustls::crypto::ring::cipher_suite::TLS13_AES_256_GCM_SHA384,
            rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
            rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        ..provider
    };
    let mut server = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ConfigError(format!("TLS configuration: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            ConfigError(format!(
                "tls.cert_file and tls.key_file: the key {} does not fit the certificate {}: {e}",
                key_path.display(),
                cert_path.display()
            ))
        })?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(server))
}
