//! Blobs on a real S3 server (SeaweedFS, started once per test binary; see
//! `storage/tests/support/seaweed.rs`).
//!
//! [`use_s3`] points a test gateway's configuration at a fresh prefix of the test bucket. Every
//! gateway the tests spawn stores its blobs on S3 when `PASSERELLE_TEST_BLOBS=s3` is set (CI runs
//! the file, upload, download and destruction tests a second time that way).

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use gateway::blob_backend::{BackendKind, S3Settings};
use gateway::Config;

#[path = "../../storage/tests/support/seaweed.rs"]
mod seaweed;

pub use seaweed::{Seaweed, BUCKET, VERSIONED_BUCKET};

/// True when `PASSERELLE_TEST_BLOBS=s3`: every spawned gateway keeps its blobs on S3.
pub fn blobs_on_s3_by_default() -> bool {
    std::env::var("PASSERELLE_TEST_BLOBS").is_ok_and(|v| v == "s3")
}

/// The shared SeaweedFS; `None` (after a loud message) if `weed` is absent and not required.
pub fn server() -> Option<&'static Seaweed> {
    seaweed::shared()
}

/// Configures `config` (whose `data_dir` is set) to keep its blobs in `bucket` of the test
/// server under a fresh prefix. False if the server is unavailable (the test should end).
pub fn use_s3(config: &mut Config, bucket: &str) -> bool {
    let Some(sw) = server() else { return false };
    let secret_file = config.data_dir.join("s3-secret");
    write_secret(&secret_file);
    config.storage.backend = BackendKind::S3;
    config.storage.s3 = Some(S3Settings {
        endpoint: sw.endpoint.clone(),
        bucket: bucket.to_owned(),
        region: seaweed::REGION.to_owned(),
        access_key_id: seaweed::ACCESS_KEY.to_owned(),
        secret_access_key_file: secret_file,
        path_style: true,
        prefix: format!("gw-{}/", uuid::Uuid::new_v4().simple()),
        allowed_endpoints: vec![sw.endpoint.clone()],
        ca_file: None,
        abandoned_upload_hours: 24,
    });
    true
}

fn write_secret(path: &Path) {
    if path.exists() {
        return;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(seaweed::SECRET_KEY.as_bytes()).unwrap();
}
