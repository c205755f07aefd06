//! Password hashing with argon2id, off the async threads and bounded in concurrency.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng as _;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// argon2id cost: 19 MiB, 2 passes, 1 lane (OWASP minimum).
const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
/// At most this many hashes run at once: each takes 19 MiB, and a flood of logins must not take
/// the memory (the gateway stays under 64 MiB whatever the load).
const CONCURRENT_HASHES: usize = 2;
/// Verifications one client address may have queued or running at once: a flood from one
/// address then holds at most this many places in the shared queue, ahead of everyone else.
const PER_SOURCE: usize = 2;

/// Hashes and verifies passwords.
#[derive(Clone, Debug)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    per_source: Arc<std::sync::Mutex<HashMap<String, Arc<Semaphore>>>>,
    dummy: Arc<String>,
}

fn argon2() -> Result<Argon2<'static>, anyhow::Error> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> Result<String, anyhow::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2 hashing: {e}"))?
        .to_string())
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon2()
        .map(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

impl Hasher {
    /// A hasher, with a dummy hash computed now for verifications of unknown users.
    pub async fn new() -> Result<Self, anyhow::Error> {
        let dummy = tokio::task::spawn_blocking(|| hash_blocking(&generate_password())).await??;
        Ok(Self {
            permits: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
            per_source: Arc::default(),
            dummy: Arc::new(dummy),
        })
    }

    /// Hashes a password.
    pub async fn hash(&self, password: &str) -> Result<String, anyhow::Error> {
        let _permit = self.permits.acquire().await?;
        let password = zeroize::Zeroizing::new(password.to_owned());
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
    }

    /// [`Hasher::verify`] for a request from `source` (a client address): each address waits
    /// in its own line of [`PER_SOURCE`] places before joining the shared one, so that a login
    /// flood from one address cannot starve the others.
    pub async fn verify_from(
        &self,
        source: &str,
        password: &str,
        hash: Option<&str>,
    ) -> Result<bool, anyhow::Error> {
        let line = {
            let mut lines = self.per_source.lock().unwrap_or_else(|p| p.into_inner());
            // Forget the lines nobody waits in (their only holder is the map).
            lines.retain(|_, s| Arc::strong_count(s) > 1);
            lines
                .entry(source.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(PER_SOURCE)))
                .clone()
        };
        let _place = line.acquire().await?;
        self.verify(password, hash).await
    }

    /// Verifies a password against a hash, or against the dummy hash when `hash` is `None`, so
    /// that unknown accounts cost the same time as known ones.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, anyhow::Error> {
        let _permit = self.permits.acquire().await?;
        let known = hash.is_some();
        let hash = hash
            .map(str::to_owned)
            .unwrap_or_else(|| (*self.dummy).clone());
        let password = zeroize::Zeroizing::new(password.to_owned());
        let ok = tokio::task::spawn_blocking(move || verify_blocking(&password, &hash)).await?;
        Ok(ok && known)
    }
}

/// A random one-time password: 20 characters from an alphabet without look-alikes (about 114 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_required_cost() {
        let h = Hasher::new().await.unwrap();
        let hash = h.hash("une phrase de passe assez longue").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(h
            .verify("une phrase de passe assez longue", Some(&hash))
            .await
            .unwrap());
        assert!(!h
            .verify("une autre phrase de passe", Some(&hash))
            .await
            .unwrap());
        assert!(!h
            .verify("une phrase de passe assez longue", None)
            .await
            .unwrap());
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, generate_password());
    }
}
