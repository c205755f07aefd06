//! TOTP (RFC 6238: SHA-1, 6 digits, 30 s) and recovery codes.

use rand::RngCore as _;
use subtle::ConstantTimeEq as _;
use totp_rs::{Algorithm, TOTP};

/// Length of a TOTP step in seconds.
pub const STEP_SECS: i64 = 30;
/// Recovery codes handed out at enrollment.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret: &[u8], issuer: &str, account: &str) -> Result<TOTP, anyhow::Error> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS as u64,
        secret.to_vec(),
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| anyhow::anyhow!("TOTP parameters: {e}"))
}

/// A fresh 160-bit secret from the OS random generator.
pub fn new_secret() -> zeroize::Zeroizing<Vec<u8>> {
    let mut s = zeroize::Zeroizing::new(vec![0u8; 20]);
    rand::rngs::OsRng.fill_bytes(&mut s);
    s
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> Result<String, anyhow::Error> {
    Ok(totp(secret, issuer, account)?.get_url())
}

/// The secret in base32, for people who type it in.
pub fn secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::Raw(secret.to_vec())
        .to_encoded()
        .to_string()
}

/// The time step a code matches, trying the current step and one on either side.
pub fn matching_step(
    secret: &[u8],
    code: &str,
    unix_secs: i64,
) -> Result<Option<i64>, anyhow::Error> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let t = totp(secret, "x", "x")?;
    let current = unix_secs.div_euclid(STEP_SECS);
    for step in [current - 1, current, current + 1] {
        if step < 0 {
            continue;
        }
        let expected = t.generate((step * STEP_SECS) as u64);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

/// The code for a given instant (tests and tools).
pub fn code_at(secret: &[u8], unix_secs: i64) -> Result<String, anyhow::Error> {
    Ok(totp(secret, "x", "x")?.generate(unix_secs.max(0) as u64))
}

/// Ten recovery codes of 80 bits each, written `xxxx-xxxx-xxxx-xxxx` in lowercase base32.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 16];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let chars: Vec<char> = bytes
                .iter()
                .map(|b| ALPHABET[(*b & 31) as usize] as char)
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// Normalises a typed recovery code (case, spaces, dashes) and hashes it for storage.
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    super::token_hash(&normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); 6 digits keep the last six.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59).unwrap(), "287082");
        assert_eq!(matching_step(secret, "287082", 59).unwrap(), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 30).unwrap(), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 60).unwrap(), None);
        assert_eq!(matching_step(secret, "28708", 59).unwrap(), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalised() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(codes[0].len(), 19);
        let set: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(set.len(), 10);
        assert_eq!(
            recovery_code_hash(&codes[0].to_uppercase().replace('-', " ")),
            recovery_code_hash(&codes[0])
        );
    }
}
