//! The incident response commands: `passerelle incident report|verify` and `passerelle
//! register`. The report's files go into a new folder; its verification is offline.

use crate::service::incident::{
    parse_instant, parse_instant_end, IncidentRequest, REPORT_JSON, REPORT_TYPE,
};
use crate::service::Core;
use sha2::Digest as _;
use std::path::Path;

/// Writes `bytes` to a new file (never over an existing one).
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("{} cannot be created: {e}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{} cannot be written: {e}", path.display()))
}

/// `passerelle incident report`: writes the report's files into `out` (a new or empty folder)
/// and says what it found.
pub async fn report(
    core: &Core,
    from: &str,
    to: &str,
    accounts: Vec<String>,
    addresses: Vec<String>,
    missions: Vec<String>,
    out: &Path,
) -> Result<String, String> {
    type Parse = fn(&str) -> Option<chrono::DateTime<chrono::Utc>>;
    let when = |typed: &str, flag: &str, parse: Parse| {
        parse(typed).ok_or_else(|| {
            format!("{flag} {typed:?}: expected RFC 3339, AAAA-MM-JJ[ HH:MM] or JJ/MM/AAAA[ HH:MM] (Paris time)")
        })
    };
    let req = IncidentRequest {
        from: when(from, "--from", parse_instant)?,
        to: when(to, "--to", parse_instant_end)?,
        accounts,
        addresses,
        missions,
    };
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(|e| format!("{} cannot be read: {e}", out.display()))?
            .next()
            .is_some()
    {
        return Err(format!("{} is not empty: give a new folder", out.display()));
    }
    let bundle = core
        .incident_report(None, &req)
        .await
        .map_err(|e| match e {
            crate::service::Error::InvalidRequest(t) => t.en,
            other => other.to_string(),
        })?;
    std::fs::create_dir_all(out)
        .map_err(|e| format!("{} cannot be created: {e}", out.display()))?;
    for (name, bytes) in &bundle.files {
        write_new(&out.join(name), bytes)?;
    }
    let f = &bundle.facts;
    Ok(format!(
        "incident report written to {}: {} event(s), {} mission(s), {} file(s), {} organisation(s), {} account(s), {} address(es), {} sign-in line(s); verify with `passerelle incident verify {}`",
        out.display(),
        f.events,
        f.missions.len(),
        f.files.len(),
        f.organisations.len(),
        f.accounts.len(),
        f.addresses.len(),
        f.logins.len(),
        out.join(REPORT_JSON).display()
    ))
}

/// `passerelle register --out FILE`.
pub async fn register(core: &Core, out: &Path) -> Result<String, String> {
    let csv = core
        .platform_register_csv(None)
        .await
        .map_err(|e| e.to_string())?;
    write_new(out, csv.as_bytes())?;
    let lines = csv.lines().count().saturating_sub(1);
    Ok(format!(
        "platform register written to {}: {lines} mission(s)",
        out.display()
    ))
}

/// Verifies a signed incident report (`document`, read from `file`) with `public` or the key it
/// names, then the SHA-256 of each CSV found beside it. Returns what was checked.
pub fn verify(
    document: &serde_json::Value,
    file: &Path,
    public: Option<&ed25519_dalek::VerifyingKey>,
) -> Result<String, String> {
    if document.pointer("/payload/type").and_then(|t| t.as_str()) != Some(REPORT_TYPE) {
        return Err(format!(
            "{} is not an incident report (payload.type is not {REPORT_TYPE})",
            file.display()
        ));
    }
    let key_id = crate::service::certificate::verify(document, public)
        .map_err(|e| format!("incident report NOT valid: {e}"))?;
    let dir = file.parent().unwrap_or_else(|| Path::new("."));
    let mut checked = 0;
    let mut absent = Vec::new();
    if let Some(hashes) = document
        .pointer("/payload/csv_sha256")
        .and_then(|h| h.as_object())
    {
        for (name, want) in hashes {
            // Only plain file names: a report names its CSVs, never a path.
            if name.contains(['/', '\\']) || name.starts_with('.') {
                return Err(format!("incident report NOT valid: odd file name {name:?}"));
            }
            match std::fs::read(dir.join(name)) {
                Ok(bytes) => {
                    if Some(hex::encode(sha2::Sha256::digest(&bytes)).as_str()) != want.as_str() {
                        return Err(format!(
                            "incident report NOT valid: {name} was altered (its SHA-256 differs from the signed one)"
                        ));
                    }
                    checked += 1;
                }
                Err(_) => absent.push(name.clone()),
            }
        }
    }
    let mut said = format!(
        "incident report valid: signed by key {key_id}, {checked} CSV file(s) match their signed SHA-256"
    );
    if !absent.is_empty() {
        said.push_str(&format!(
            " ({} not found beside it: {})",
            absent.len(),
            absent.join(", ")
        ));
    }
    Ok(said)
}
