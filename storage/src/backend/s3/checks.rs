//! Start-up checks: the endpoint is attested to be in the configured country and reached over
//! https (plain http only on loopback); the bucket keeps crypto-shredding true (no versioning
//! ever enabled, no object lock, no replication).

use std::net::IpAddr;

use bytes::Bytes;
use reqwest::{Method, StatusCode, Url};

use super::client::{self, config_err, unexpected, Client};
use super::{xml, S3Backend, S3Config};
use crate::error::{Result, StorageError};

/// `scheme://host[:port]` in lower case, without a trailing slash or path.
fn normalize(endpoint: &str) -> Option<String> {
    let url = Url::parse(endpoint.trim()).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(p) => format!("{}://{host}:{p}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(h) => h
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Checks the endpoint against the attested list and the transport rule.
pub(super) fn check_endpoint(config: &S3Config) -> Result<Url> {
    let url = Url::parse(config.endpoint.trim()).map_err(|e| {
        config_err(format!(
            "storage.s3.endpoint {:?} is not a URL: {e}",
            config.endpoint
        ))
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        _ => {
            return Err(config_err(format!(
                "storage.s3.endpoint {} must use https (plain http is accepted only on a loopback address)",
                config.endpoint
            )))
        }
    }
    let mine = normalize(&config.endpoint);
    if mine.is_none()
        || !config
            .allowed_endpoints
            .iter()
            .any(|e| normalize(e) == mine)
    {
        return Err(StorageError::Residency(format!(
            "storage.s3.endpoint {} is not in storage.s3.allowed_endpoints, the endpoints you attest \
             store data in {}; add it there only if that is true",
            config.endpoint, config.country
        )));
    }
    Ok(url)
}

impl S3Backend {
    /// Refuses a bucket where a delete would not remove the data for good.
    pub(super) async fn check_bucket(&self) -> Result<()> {
        let bucket = &self.bucket;
        let refuse = |what: &str| {
            config_err(format!(
                "bucket {bucket} at {}: {what}; crypto-shredding requires that a deleted file leaves no copy, \
                 so use a bucket without it",
                self.endpoint
            ))
        };
        let versioning = self.bucket_setting("versioning").await?;
        if !versioning.status.is_success() {
            return Err(unexpected("reading the bucket's versioning", &versioning));
        }
        match xml::first_text(&versioning.body, "Status").as_deref() {
            None | Some("") => {}
            Some(status) => {
                return Err(refuse(&format!(
                    "versioning is {status} (once enabled, deleted objects keep their old versions)"
                )))
            }
        }
        // A server that does not implement object lock or replication (HTTP 501) cannot have
        // them on; "no configuration" (404) means off.
        let lock = self.bucket_setting("object-lock").await?;
        if lock.status.is_success() {
            if xml::first_text(&lock.body, "ObjectLockEnabled").as_deref() == Some("Enabled") {
                return Err(refuse(
                    "object lock is enabled (locked objects cannot be deleted)",
                ));
            }
        } else if !matches!(
            lock.status,
            StatusCode::NOT_FOUND | StatusCode::NOT_IMPLEMENTED
        ) {
            return Err(unexpected("reading the bucket's object lock", &lock));
        }
        let replication = self.bucket_setting("replication").await?;
        if replication.status.is_success() {
            if !xml::texts(&replication.body, "Rule").is_empty() {
                return Err(refuse(
                    "replication is configured (copies in another bucket survive a delete)",
                ));
            }
        } else if !matches!(
            replication.status,
            StatusCode::NOT_FOUND | StatusCode::NOT_IMPLEMENTED
        ) {
            return Err(unexpected("reading the bucket's replication", &replication));
        }
        Ok(())
    }

    async fn bucket_setting(&self, sub: &str) -> Result<client::Answer> {
        self.client
            .send(Method::GET, "", &[(sub, "")], &[], Bytes::new())
            .await
    }
}

/// Test support: turns versioning on for a bucket (the backend itself never does this).
#[doc(hidden)]
pub async fn enable_versioning_for_tests(config: &S3Config) -> Result<()> {
    let url = check_endpoint(config)?;
    let client = Client::new(config, url)?;
    let body = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>";
    let a = client
        .send(
            Method::PUT,
            "",
            &[("versioning", "")],
            &[],
            Bytes::from(body),
        )
        .await?;
    if a.status.is_success() {
        Ok(())
    } else {
        Err(unexpected("enabling versioning", &a))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn config(endpoint: &str, allowed: &[&str]) -> S3Config {
        S3Config {
            endpoint: endpoint.into(),
            bucket: "b".into(),
            region: "fr-par".into(),
            access_key_id: "k".into(),
            secret_access_key: "s".into(),
            path_style: false,
            prefix: String::new(),
            country: "FR".into(),
            allowed_endpoints: allowed.iter().map(|s| (*s).to_owned()).collect(),
            ca_pem: None,
            sweep_older_than: std::time::Duration::ZERO,
            staging_dir: None,
        }
    }

    #[test]
    fn endpoints_are_checked_and_https_clients_build() {
        let c = config(
            "https://S3.fr-par.scw.cloud/",
            &["https://s3.fr-par.scw.cloud"],
        );
        let url = check_endpoint(&c).unwrap();
        // The rustls configuration (ring provider) is accepted by reqwest.
        let client = Client::new(&c, url).unwrap();
        let (url, host, path) = client.target("m/b").unwrap();
        assert_eq!(host, "b.s3.fr-par.scw.cloud");
        assert_eq!(path, "/m/b");
        assert_eq!(url.scheme(), "https");

        assert!(
            check_endpoint(&config("http://127.0.0.1:8333", &["http://127.0.0.1:8333"])).is_ok()
        );
        assert!(check_endpoint(&config("http://[::1]:8333", &["http://[::1]:8333"])).is_ok());
        let e =
            check_endpoint(&config("http://s3.example.fr", &["http://s3.example.fr"])).unwrap_err();
        assert!(e.to_string().contains("https"), "{e}");
        let e = check_endpoint(&config(
            "https://s3.us-east-1.amazonaws.com",
            &["https://s3.fr-par.scw.cloud"],
        ))
        .unwrap_err();
        assert!(matches!(e, StorageError::Residency(_)), "{e}");
        let mut bad_ca = config(
            "https://s3.fr-par.scw.cloud",
            &["https://s3.fr-par.scw.cloud"],
        );
        bad_ca.ca_pem = Some(b"not a certificate".to_vec());
        let url = check_endpoint(&bad_ca).unwrap();
        assert!(Client::new(&bad_ca, url).is_err());
    }
}
