//! The key store: one file per mission holding its data key wrapped by the master key,
//! kept in a directory apart from the blobs (the gateway uses `<data>/keys/`).
//!
//! Methods are synchronous and fast (a small file read or an fsync'd small write); from async
//! code, call the mutating ones (`create_mission_key`, `destroy_mission_key`, `rotate_master`)
//! inside `tokio::task::spawn_blocking`. [`crate::BlobStore`] does so for its own lookups.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce, Tag};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::error::{check_id, Result, StorageError};
use crate::format::{mission_key_id, KEY_ID_LEN};
use crate::fsutil;
use crate::master::MasterKey;

/// Magic of a key file. Do not change.
const KEY_MAGIC: [u8; 8] = *b"PSRLKEY1";
/// Key file format version. Do not change.
const KEY_VERSION: u16 = 1;
/// magic ‖ version ‖ master key id ‖ mission key id: the part of a key file that is also AAD.
const PREFIX_LEN: usize = 8 + 2 + 16 + KEY_ID_LEN;
/// Total key file length: prefix ‖ nonce ‖ wrapped key ‖ tag.
const KEY_FILE_LEN: usize = PREFIX_LEN + 12 + 32 + 16;
/// Suffix of key files.
const KEY_SUFFIX: &str = ".key";
/// Suffix of tombstones left by destruction.
const TOMBSTONE_SUFFIX: &str = ".destroyed";
/// Suffix of service key files.
const SERVICE_SUFFIX: &str = ".service";
/// Prefix of the id bound into a service key's associated data (':' never occurs in a mission
/// id, so a service key file can never pass for a mission's). Do not change.
const SERVICE_AAD_PREFIX: &str = "service:";

/// A mission's data key, unwrapped; zeroized on drop.
pub(crate) struct MissionKey {
    pub key: Zeroizing<[u8; 32]>,
    pub id: [u8; KEY_ID_LEN],
}

/// The store of wrapped mission keys. Cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct KeyStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    master: RwLock<MasterKey>,
    /// The new master key while a rotation runs: key files already rewrapped stay readable.
    next: RwLock<Option<MasterKey>>,
    /// Serializes creation, destruction and rotation.
    write_lock: Mutex<()>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("dir", &self.inner.dir)
            .field("master_key_id", &self.master_key_id())
            .finish()
    }
}

impl KeyStore {
    /// Opens (creating it with mode 0700 if needed) the key directory `dir`, whose keys are
    /// wrapped by `master`. Leftover temporary files of an interrupted write are removed.
    pub fn open(dir: PathBuf, master: MasterKey) -> Result<KeyStore> {
        fsutil::ensure_dir(&dir, true)?;
        fsutil::sweep_tmp(&dir)?;
        Ok(KeyStore {
            inner: Arc::new(Inner {
                dir,
                master: RwLock::new(master),
                next: RwLock::new(None),
                write_lock: Mutex::new(()),
            }),
        })
    }

    /// The directory of the key files.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Id of the master key currently wrapping the keys.
    pub fn master_key_id(&self) -> String {
        self.master().id().to_owned()
    }

    fn master(&self) -> MasterKey {
        self.inner
            .master
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.inner
            .write_lock
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn key_path(&self, mission: &str) -> PathBuf {
        self.inner.dir.join(format!("{mission}{KEY_SUFFIX}"))
    }

    fn tombstone_path(&self, mission: &str) -> PathBuf {
        self.inner.dir.join(format!("{mission}{TOMBSTONE_SUFFIX}"))
    }

    /// Creates a random 256-bit data key for `mission_id`. Does nothing if it already exists;
    /// fails with [`StorageError::KeyDestroyed`] if the mission's key was destroyed.
    pub fn create_mission_key(&self, mission_id: &str) -> Result<()> {
        check_id("mission", mission_id)?;
        let _guard = self.lock();
        if self.tombstone_path(mission_id).exists() {
            return Err(StorageError::KeyDestroyed {
                mission: mission_id.to_owned(),
            });
        }
        if self.key_path(mission_id).exists() {
            return Ok(());
        }
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut key[..]);
        let file = wrap(&self.master(), mission_id, &key)?;
        fsutil::write_atomic(
            &self.inner.dir,
            &format!("{mission_id}{KEY_SUFFIX}"),
            &file,
            0o600,
        )?;
        tracing::info!(mission = mission_id, "created mission key");
        Ok(())
    }

    /// Unwraps the data key of `mission_id`.
    pub(crate) fn mission_key(&self, mission_id: &str) -> Result<MissionKey> {
        check_id("mission", mission_id)?;
        let destroyed = || StorageError::KeyDestroyed {
            mission: mission_id.to_owned(),
        };
        if self.tombstone_path(mission_id).exists() {
            return Err(destroyed());
        }
        match self.load(&format!("{mission_id}{KEY_SUFFIX}"), mission_id)? {
            Some(key) => Ok(key),
            // A destruction may have completed between the two checks.
            None if self.tombstone_path(mission_id).exists() => Err(destroyed()),
            None => Err(StorageError::KeyNotFound {
                mission: mission_id.to_owned(),
            }),
        }
    }

    /// Reads and unwraps `dir/file_name` (`None` if absent), with the master key that wraps it:
    /// the current one, or the new one while a rotation runs.
    fn load(&self, file_name: &str, aad_id: &str) -> Result<Option<MissionKey>> {
        let path = self.inner.dir.join(file_name);
        let bytes = match fs::read(&path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StorageError::io(format!("reading {}", path.display()), e)),
        };
        let mut master = self.master();
        let file_master = file_master_id(&path, &bytes)?;
        if file_master != master.id() {
            let next = self
                .inner
                .next
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            if let Some(next) = next.filter(|n| n.id() == file_master) {
                master = next;
            }
        }
        if file_master != master.id() {
            return Err(StorageError::MasterKey(format!(
                "key file {} is wrapped by master key {file_master}, but the configured master key is {}; \
                 if a master key rotation was interrupted, run `passerelle keys rotate-master` again \
                 with both keys in place",
                path.display(),
                master.id()
            )));
        }
        unwrap(&master, aad_id, &path, &bytes).map(Some)
    }

    /// A random 256-bit key for an internal purpose of the application (e.g. `"totp"` for the
    /// `SecretBox` of TOTP secrets, `"audit"` for the audit chain), created on first use and
    /// kept wrapped like a mission key in `<purpose>.service`.
    ///
    /// Unlike [`MasterKey::derive_subkey`], such a key survives a master key rotation (it is
    /// rewrapped with the mission keys), so whatever it protects stays readable. It is never
    /// destroyed by [`KeyStore::destroy_mission_key`]. `purpose` follows the id rules.
    pub fn service_key(&self, purpose: &str) -> Result<Zeroizing<[u8; 32]>> {
        check_id("service key", purpose)?;
        let file_name = format!("{purpose}{SERVICE_SUFFIX}");
        let aad_id = format!("{SERVICE_AAD_PREFIX}{purpose}");
        if let Some(k) = self.load(&file_name, &aad_id)? {
            return Ok(k.key);
        }
        let _guard = self.lock();
        if let Some(k) = self.load(&file_name, &aad_id)? {
            return Ok(k.key);
        }
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut key[..]);
        let file = wrap(&self.master(), &aad_id, &key)?;
        fsutil::write_atomic(&self.inner.dir, &file_name, &file, 0o600)?;
        tracing::info!(purpose, "created service key");
        Ok(key)
    }

    /// True if the key of `mission_id` was destroyed.
    pub fn is_destroyed(&self, mission_id: &str) -> Result<bool> {
        check_id("mission", mission_id)?;
        Ok(self.tombstone_path(mission_id).exists())
    }

    /// Destroys the data key of `mission_id` (crypto-shredding): leaves a tombstone so that
    /// later reads answer [`StorageError::KeyDestroyed`], overwrites the key file with zeros,
    /// fsyncs it, removes it and fsyncs the directory. Idempotent.
    pub fn destroy_mission_key(&self, mission_id: &str) -> Result<()> {
        check_id("mission", mission_id)?;
        let _guard = self.lock();
        let dir = &self.inner.dir;
        // Tombstone first: if we crash after it, the key is already unusable and a second call
        // finishes the job.
        if !self.tombstone_path(mission_id).exists() {
            fsutil::write_atomic(
                dir,
                &format!("{mission_id}{TOMBSTONE_SUFFIX}"),
                b"destroyed\n",
                0o600,
            )?;
        }
        let path = self.key_path(mission_id);
        match fs::metadata(&path) {
            Ok(meta) => {
                let zeros = vec![0u8; usize::try_from(meta.len()).unwrap_or(KEY_FILE_LEN)];
                let overwrite = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|mut f| {
                        f.write_all(&zeros)?;
                        f.sync_all()
                    });
                overwrite
                    .map_err(|e| StorageError::io(format!("overwriting {}", path.display()), e))?;
                fs::remove_file(&path)
                    .map_err(|e| StorageError::io(format!("removing {}", path.display()), e))?;
                fsutil::fsync_dir(dir)?;
                tracing::info!(mission = mission_id, "destroyed mission key");
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StorageError::io(
                    format!("inspecting {}", path.display()),
                    e,
                ))
            }
        }
        Ok(())
    }

    /// Missions that have a live (not destroyed) key, sorted.
    pub fn mission_ids(&self) -> Result<Vec<String>> {
        let mut ids = self.list_suffix(KEY_SUFFIX)?;
        ids.retain(|m| !self.tombstone_path(m).exists());
        Ok(ids)
    }

    /// Missions whose key was destroyed, sorted.
    pub fn destroyed_mission_ids(&self) -> Result<Vec<String>> {
        self.list_suffix(TOMBSTONE_SUFFIX)
    }

    fn list_suffix(&self, suffix: &str) -> Result<Vec<String>> {
        let dir = &self.inner.dir;
        let mut ids = Vec::new();
        let entries = fs::read_dir(dir)
            .map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if let Some(m) = name.strip_suffix(suffix) {
                if check_id("mission", m).is_ok() {
                    ids.push(m.to_owned());
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Rewraps every mission key (and service key) under `new` and makes it the current master
    /// key; blobs are not touched. Returns how many key files were rewritten.
    ///
    /// Crash-safe: each key file records which master key wraps it and is replaced atomically,
    /// so after an interruption, running this again on a store opened with the old master key
    /// and the same `new` key skips the files already rewrapped and finishes the rest.
    pub fn rotate_master(&self, new: MasterKey) -> Result<usize> {
        let _guard = self.lock();
        let old = self.master();
        *self.inner.next.write().unwrap_or_else(|p| p.into_inner()) = Some(new.clone());
        let result = self.rewrap_all(&old, &new);
        if result.is_ok() {
            *self.inner.master.write().unwrap_or_else(|p| p.into_inner()) = new.clone();
        }
        *self.inner.next.write().unwrap_or_else(|p| p.into_inner()) = None;
        let rewrapped = result?;
        tracing::info!(
            old = old.id(),
            new = new.id(),
            rewrapped,
            "rotated master key"
        );
        Ok(rewrapped)
    }

    fn rewrap_all(&self, old: &MasterKey, new: &MasterKey) -> Result<usize> {
        let mut files = Vec::new();
        for mission in self.list_suffix(KEY_SUFFIX)? {
            files.push((format!("{mission}{KEY_SUFFIX}"), mission));
        }
        for purpose in self.list_suffix(SERVICE_SUFFIX)? {
            files.push((
                format!("{purpose}{SERVICE_SUFFIX}"),
                format!("{SERVICE_AAD_PREFIX}{purpose}"),
            ));
        }
        let mut rewrapped = 0;
        for (file_name, aad_id) in files {
            let path = self.inner.dir.join(&file_name);
            let bytes = match fs::read(&path) {
                Ok(b) => Zeroizing::new(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StorageError::io(format!("reading {}", path.display()), e)),
            };
            let file_master = file_master_id(&path, &bytes)?;
            if file_master == new.id() {
                continue;
            }
            if file_master != old.id() {
                return Err(StorageError::MasterKey(format!(
                    "key file {} is wrapped by master key {file_master}, which is neither the current \
                     master key {} nor the new one {}",
                    path.display(),
                    old.id(),
                    new.id()
                )));
            }
            let key = unwrap(old, &aad_id, &path, &bytes)?;
            let file = wrap(new, &aad_id, &key.key)?;
            fsutil::write_atomic(&self.inner.dir, &file_name, &file, 0o600)?;
            rewrapped += 1;
        }
        Ok(rewrapped)
    }

    /// Unwraps every live mission key with the current master key and returns how many there
    /// are: call it at start to refuse a wrong master key, or an unfinished rotation, with a
    /// clear message before serving anything.
    pub fn verify(&self) -> Result<usize> {
        let missions = self.mission_ids()?;
        for m in &missions {
            self.mission_key(m)?;
        }
        for purpose in self.list_suffix(SERVICE_SUFFIX)? {
            self.load(
                &format!("{purpose}{SERVICE_SUFFIX}"),
                &format!("{SERVICE_AAD_PREFIX}{purpose}"),
            )?;
        }
        Ok(missions.len())
    }

    /// The whole `passerelle keys rotate-master` procedure for a master key kept in a file:
    /// 1. load `<master_path>.next`, or generate it (mode 0600) if absent;
    /// 2. [`KeyStore::rotate_master`] to it;
    /// 3. rename `<master_path>.next` over `master_path` and fsync the directory.
    ///
    /// If interrupted anywhere, running it again finishes the rotation: the old key is still in
    /// `master_path` until step 3, and step 1 reuses the existing `.next` file.
    pub fn rotate_master_file(&self, master_path: &Path) -> Result<usize> {
        let current = MasterKey::from_file(master_path)?;
        if current.id() != self.master_key_id() {
            return Err(StorageError::MasterKey(format!(
                "master key file {} holds key {}, but this key store is opened with key {}",
                master_path.display(),
                current.id(),
                self.master_key_id()
            )));
        }
        let mut next_name = master_path.as_os_str().to_owned();
        next_name.push(".next");
        let next_path = PathBuf::from(next_name);
        let new = MasterKey::load_or_generate(&next_path)?;
        let n = self.rotate_master(new)?;
        fs::rename(&next_path, master_path).map_err(|e| {
            StorageError::io(
                format!(
                    "renaming {} to {}",
                    next_path.display(),
                    master_path.display()
                ),
                e,
            )
        })?;
        match master_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => fsutil::fsync_dir(p)?,
            _ => fsutil::fsync_dir(Path::new("."))?,
        }
        Ok(n)
    }
}

fn aad(prefix: &[u8], mission: &str) -> Vec<u8> {
    let mut a = Vec::with_capacity(prefix.len() + 2 + mission.len());
    a.extend_from_slice(prefix);
    a.extend_from_slice(&(mission.len() as u16).to_be_bytes());
    a.extend_from_slice(mission.as_bytes());
    a
}

/// Builds a key file: prefix ‖ nonce ‖ AES-256-GCM(master, key, aad = prefix ‖ mission id) ‖ tag.
fn wrap(master: &MasterKey, mission: &str, key: &[u8; 32]) -> Result<Vec<u8>> {
    let mut master_id = [0u8; 16];
    hex::decode_to_slice(master.id(), &mut master_id)
        .map_err(|_| StorageError::MasterKey("master key id is not hex".into()))?;
    let mut out = Vec::with_capacity(KEY_FILE_LEN);
    out.extend_from_slice(&KEY_MAGIC);
    out.extend_from_slice(&KEY_VERSION.to_be_bytes());
    out.extend_from_slice(&master_id);
    out.extend_from_slice(&mission_key_id(key));
    let aad = aad(&out, mission);
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    out.extend_from_slice(&nonce);
    let ct_start = out.len();
    out.extend_from_slice(key);
    let aead = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(master.bytes()));
    let tag = aead
        .encrypt_in_place_detached(Nonce::from_slice(&nonce), &aad, &mut out[ct_start..])
        .map_err(|_| StorageError::TooLarge)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

fn file_master_id(path: &Path, bytes: &[u8]) -> Result<String> {
    if bytes.len() != KEY_FILE_LEN || bytes[..8] != KEY_MAGIC {
        return Err(StorageError::KeyStoreCorrupt {
            path: path.to_owned(),
            reason: "not a key file",
        });
    }
    if bytes[8..10] != KEY_VERSION.to_be_bytes() {
        return Err(StorageError::KeyStoreCorrupt {
            path: path.to_owned(),
            reason: "unknown key file version",
        });
    }
    Ok(hex::encode(&bytes[10..26]))
}

fn unwrap(master: &MasterKey, mission: &str, path: &Path, bytes: &[u8]) -> Result<MissionKey> {
    let corrupt = |reason| StorageError::KeyStoreCorrupt {
        path: path.to_owned(),
        reason,
    };
    if bytes.len() != KEY_FILE_LEN {
        return Err(corrupt("not a key file"));
    }
    let prefix = &bytes[..PREFIX_LEN];
    let nonce = &bytes[PREFIX_LEN..PREFIX_LEN + 12];
    let ct = &bytes[PREFIX_LEN + 12..PREFIX_LEN + 44];
    let tag = &bytes[PREFIX_LEN + 44..];
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(ct);
    let aead = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(master.bytes()));
    aead.decrypt_in_place_detached(
        Nonce::from_slice(nonce),
        &aad(prefix, mission),
        &mut key[..],
        Tag::from_slice(tag),
    )
    .map_err(|_| corrupt("authentication failed (wrong master key, wrong mission, or tampered)"))?;
    let id = mission_key_id(&key);
    if id[..] != prefix[26..PREFIX_LEN] {
        return Err(corrupt("key id does not match the key"));
    }
    Ok(MissionKey { key, id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, KeyStore) {
        let dir = tempfile::tempdir().unwrap();
        let ks = KeyStore::open(dir.path().join("keys"), MasterKey::from_bytes([1; 32])).unwrap();
        (dir, ks)
    }

    fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let b = fs::read(p).unwrap();
                b.windows(needle.len()).any(|w| w == needle)
            })
            .collect()
    }

    #[test]
    fn create_is_idempotent_and_stable() {
        let (_d, ks) = store();
        ks.create_mission_key("m1").unwrap();
        let k1 = ks.mission_key("m1").unwrap();
        ks.create_mission_key("m1").unwrap();
        let k2 = ks.mission_key("m1").unwrap();
        assert_eq!(*k1.key, *k2.key);
        assert_eq!(ks.mission_ids().unwrap(), vec!["m1".to_string()]);
        assert!(matches!(
            ks.mission_key("m2"),
            Err(StorageError::KeyNotFound { .. })
        ));
        // The raw key is never on disk.
        assert!(files_containing(ks.dir(), &k1.key[..]).is_empty());
    }

    #[test]
    fn destroy_leaves_tombstone_and_no_key_material() {
        let (_d, ks) = store();
        ks.create_mission_key("m1").unwrap();
        let wrapped = fs::read(ks.key_path("m1")).unwrap();
        ks.destroy_mission_key("m1").unwrap();
        ks.destroy_mission_key("m1").unwrap();
        assert!(matches!(
            ks.mission_key("m1"),
            Err(StorageError::KeyDestroyed { .. })
        ));
        assert!(ks.is_destroyed("m1").unwrap());
        assert!(!ks.key_path("m1").exists());
        assert!(files_containing(ks.dir(), &wrapped[PREFIX_LEN..]).is_empty());
        assert!(matches!(
            ks.create_mission_key("m1"),
            Err(StorageError::KeyDestroyed { .. })
        ));
        assert!(ks.mission_ids().unwrap().is_empty());
        assert_eq!(ks.destroyed_mission_ids().unwrap(), vec!["m1".to_string()]);
    }

    #[test]
    fn key_file_bound_to_mission_and_master() {
        let (_d, ks) = store();
        ks.create_mission_key("m1").unwrap();
        ks.create_mission_key("m2").unwrap();
        // Swap key files between missions: authentication fails.
        fs::copy(ks.key_path("m1"), ks.key_path("m2")).unwrap();
        assert!(matches!(
            ks.mission_key("m2"),
            Err(StorageError::KeyStoreCorrupt { .. })
        ));
        // Another master key cannot open them.
        let other = KeyStore::open(ks.dir().to_owned(), MasterKey::from_bytes([2; 32])).unwrap();
        assert!(matches!(
            other.mission_key("m1"),
            Err(StorageError::MasterKey(_))
        ));
    }

    #[test]
    fn rotation_resumes_after_interruption() {
        let (_d, ks) = store();
        for m in ["a", "b", "c"] {
            ks.create_mission_key(m).unwrap();
        }
        let before = ks.mission_key("b").unwrap();
        let new = MasterKey::from_bytes([9; 32]);
        // Simulate an interruption: only "a" was rewrapped.
        let file = wrap(&new, "a", &ks.mission_key("a").unwrap().key).unwrap();
        fsutil::write_atomic(ks.dir(), "a.key", &file, 0o600).unwrap();
        assert_eq!(ks.rotate_master(new.clone()).unwrap(), 2);
        assert_eq!(ks.master_key_id(), new.id());
        assert_eq!(*ks.mission_key("b").unwrap().key, *before.key);
        let old = KeyStore::open(ks.dir().to_owned(), MasterKey::from_bytes([1; 32])).unwrap();
        assert!(old.mission_key("b").is_err());
        assert!(matches!(old.verify(), Err(StorageError::MasterKey(_))));
        assert_eq!(ks.verify().unwrap(), 3);
        assert_eq!(ks.rotate_master(new).unwrap(), 0);
    }

    #[test]
    fn service_keys_survive_rotation() {
        let (_d, ks) = store();
        let totp = ks.service_key("totp").unwrap();
        assert_eq!(*ks.service_key("totp").unwrap(), *totp);
        assert_ne!(*ks.service_key("audit").unwrap(), *totp);
        assert!(
            ks.mission_ids().unwrap().is_empty(),
            "service keys are not missions"
        );
        assert!(files_containing(ks.dir(), &totp[..]).is_empty());
        ks.create_mission_key("m").unwrap();
        assert_eq!(ks.rotate_master(MasterKey::from_bytes([5; 32])).unwrap(), 3);
        let reopened = KeyStore::open(ks.dir().to_owned(), MasterKey::from_bytes([5; 32])).unwrap();
        assert_eq!(*reopened.service_key("totp").unwrap(), *totp);
        assert_eq!(reopened.verify().unwrap(), 1);
        // A service key file renamed as a mission key does not authenticate.
        fs::copy(ks.dir().join("totp.service"), ks.dir().join("totp.key")).unwrap();
        assert!(matches!(
            reopened.mission_key("totp"),
            Err(StorageError::KeyStoreCorrupt { .. })
        ));
    }

    #[test]
    fn keys_stay_readable_during_rotation() {
        let (_d, ks) = store();
        ks.create_mission_key("a").unwrap();
        let before = ks.mission_key("a").unwrap();
        let new = MasterKey::from_bytes([9; 32]);
        // Mid-rotation state: "a" already rewrapped, the store still on the old key.
        let file = wrap(&new, "a", &before.key).unwrap();
        fsutil::write_atomic(ks.dir(), "a.key", &file, 0o600).unwrap();
        assert!(ks.mission_key("a").is_err());
        *ks.inner.next.write().unwrap() = Some(new);
        assert_eq!(*ks.mission_key("a").unwrap().key, *before.key);
    }

    #[test]
    fn rotate_master_file_procedure() {
        let dir = tempfile::tempdir().unwrap();
        let mpath = dir.path().join("master.key");
        let m = MasterKey::load_or_generate(&mpath).unwrap();
        let ks = KeyStore::open(dir.path().join("keys"), m.clone()).unwrap();
        ks.create_mission_key("m").unwrap();
        let k = ks.mission_key("m").unwrap();
        assert_eq!(ks.rotate_master_file(&mpath).unwrap(), 1);
        let m2 = MasterKey::from_file(&mpath).unwrap();
        assert_ne!(m.id(), m2.id());
        let reopened = KeyStore::open(dir.path().join("keys"), m2).unwrap();
        assert_eq!(*reopened.mission_key("m").unwrap().key, *k.key);
        assert!(!dir.path().join("master.key.next").exists());
    }
}
