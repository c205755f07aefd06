//! Files that must stay private to the service user: keys, key exports, secrets.

use crate::config::ConfigError;
use std::path::Path;

/// Refuses a secret file that group or others may read.
#[cfg(unix)]
pub(crate) fn check_private(path: &Path, setting: &str) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(|e| {
        ConfigError(format!(
            "{setting}: the file {} cannot be read: {e}",
            path.display()
        ))
    })?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(ConfigError(format!(
            "{setting}: the file {} is readable by other users; restrict it with `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

/// Refuses a secret file that group or others may read (no-op where modes do not exist).
#[cfg(not(unix))]
pub fn check_private(_path: &Path, _setting: &str) -> Result<(), ConfigError> {
    Ok(())
}

/// Creates `path` (it must not exist) with mode 0600, writes `bytes` and syncs them to disk.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
