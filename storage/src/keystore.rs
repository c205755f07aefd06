//! The key store: each mission's data key, wrapped by the master key, kept as a [`KeyRecord`] in
//! a [`KeyRecords`] place (a directory with [`KeyStore::open`]; the gateway's database).
//!
//! Methods are async; a record is small, so each call is one short read or write.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce, Tag};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::error::{check_id, Result, StorageError};
use crate::format::{mission_key_id, KEY_ID_LEN};
use crate::fsutil;
use crate::keyrecords::{DirRecords, KeyKind, KeyRecord, KeyRecords};
use crate::master::MasterKey;

/// Magic of a key record. Do not change.
const KEY_MAGIC: [u8; 8] = *b"PSRLKEY1";
/// Key record format version. Do not change.
const KEY_VERSION: u16 = 1;
/// magic ‖ version ‖ master key id ‖ mission key id: the part of a key record that is also AAD.
const PREFIX_LEN: usize = 8 + 2 + 16 + KEY_ID_LEN;
/// Total key record length: prefix ‖ nonce ‖ wrapped key ‖ tag.
const KEY_FILE_LEN: usize = PREFIX_LEN + 12 + 32 + 16;
/// Prefix of the id bound into a service key's associated data (':' never occurs in a mission
/// id, so a service key record can never pass for a mission's). Do not change.
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
    records: Arc<dyn KeyRecords>,
    master: RwLock<MasterKey>,
    /// The new master key while a rotation runs: records already rewrapped stay readable.
    next: RwLock<Option<MasterKey>>,
    /// Serializes creation, destruction and rotation within this process.
    write_lock: tokio::sync::Mutex<()>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("records", &self.inner.records)
            .field("master_key_id", &self.master_key_id())
            .finish()
    }
}

fn aad_id(kind: KeyKind, name: &str) -> String {
    match kind {
        KeyKind::Mission => name.to_owned(),
        KeyKind::Service => format!("{SERVICE_AAD_PREFIX}{name}"),
    }
}

impl KeyStore {
    /// Opens (creating it with mode 0700 if needed) the key directory `dir`, whose keys are
    /// wrapped by `master`. Leftover temporary files of an interrupted write are removed.
    pub fn open(dir: PathBuf, master: MasterKey) -> Result<KeyStore> {
        Ok(KeyStore::with_records(
            Arc::new(DirRecords::open(dir)?),
            master,
        ))
    }

    /// A key store over `records`, whose keys are wrapped by `master`.
    pub fn with_records(records: Arc<dyn KeyRecords>, master: MasterKey) -> KeyStore {
        KeyStore {
            inner: Arc::new(Inner {
                records,
                master: RwLock::new(master),
                next: RwLock::new(None),
                write_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Where the records live.
    pub fn records(&self) -> &Arc<dyn KeyRecords> {
        &self.inner.records
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

    /// Creates a random 256-bit data key for `mission_id`. Does nothing if it already exists;
    /// fails with [`StorageError::KeyDestroyed`] if the mission's key was destroyed.
    pub async fn create_mission_key(&self, mission_id: &str) -> Result<()> {
        check_id("mission", mission_id)?;
        let _guard = self.inner.write_lock.lock().await;
        let records = &self.inner.records;
        if records.is_destroyed(mission_id).await? {
            return Err(StorageError::KeyDestroyed {
                mission: mission_id.to_owned(),
            });
        }
        if records.load(KeyKind::Mission, mission_id).await?.is_some() {
            return Ok(());
        }
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut key[..]);
        let record = KeyRecord {
            kind: KeyKind::Mission,
            name: mission_id.to_owned(),
            wrapped: wrap(&self.master(), mission_id, &key)?,
        };
        if !records.insert(&record).await? && records.is_destroyed(mission_id).await? {
            return Err(StorageError::KeyDestroyed {
                mission: mission_id.to_owned(),
            });
        }
        tracing::info!(mission = mission_id, "created mission key");
        Ok(())
    }

    /// Unwraps the data key of `mission_id`.
    pub(crate) async fn mission_key(&self, mission_id: &str) -> Result<MissionKey> {
        check_id("mission", mission_id)?;
        let destroyed = || StorageError::KeyDestroyed {
            mission: mission_id.to_owned(),
        };
        let records = &self.inner.records;
        if records.is_destroyed(mission_id).await? {
            return Err(destroyed());
        }
        match self.load(KeyKind::Mission, mission_id).await? {
            Some(key) => Ok(key),
            // A destruction may have completed between the two checks.
            None if records.is_destroyed(mission_id).await? => Err(destroyed()),
            None => Err(StorageError::KeyNotFound {
                mission: mission_id.to_owned(),
            }),
        }
    }

    /// Reads and unwraps a record (`None` if absent), with the master key that wraps it: the
    /// current one, or the new one while a rotation runs.
    async fn load(&self, kind: KeyKind, name: &str) -> Result<Option<MissionKey>> {
        let Some(bytes) = self.inner.records.load(kind, name).await? else {
            return Ok(None);
        };
        let bytes = Zeroizing::new(bytes);
        let path = self.inner.records.location(kind, name);
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
                "key record {} is wrapped by master key {file_master}, but the configured master key is {}; \
                 if a master key rotation was interrupted, run `passerelle keys rotate-master` again \
                 with both keys in place",
                path.display(),
                master.id()
            )));
        }
        unwrap(&master, &aad_id(kind, name), &path, &bytes).map(Some)
    }

    /// A random 256-bit key for an internal purpose of the application (e.g. `"totp"` for the
    /// `SecretBox` of TOTP secrets, `"audit"` for the audit chain), created on first use and
    /// kept wrapped like a mission key.
    ///
    /// Unlike [`MasterKey::derive_subkey`], such a key survives a master key rotation (it is
    /// rewrapped with the mission keys), so whatever it protects stays readable. It is never
    /// destroyed by [`KeyStore::destroy_mission_key`]. `purpose` follows the id rules. When
    /// several instances create it at once, all end up with the one stored first.
    pub async fn service_key(&self, purpose: &str) -> Result<Zeroizing<[u8; 32]>> {
        check_id("service key", purpose)?;
        if let Some(k) = self.load(KeyKind::Service, purpose).await? {
            return Ok(k.key);
        }
        let _guard = self.inner.write_lock.lock().await;
        if let Some(k) = self.load(KeyKind::Service, purpose).await? {
            return Ok(k.key);
        }
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut key[..]);
        let record = KeyRecord {
            kind: KeyKind::Service,
            name: purpose.to_owned(),
            wrapped: wrap(&self.master(), &aad_id(KeyKind::Service, purpose), &key)?,
        };
        if !self.inner.records.insert(&record).await? {
            // Another instance stored it first: theirs is the key.
            return match self.load(KeyKind::Service, purpose).await? {
                Some(k) => Ok(k.key),
                None => Err(StorageError::KeyNotFound {
                    mission: purpose.to_owned(),
                }),
            };
        }
        tracing::info!(purpose, "created service key");
        Ok(key)
    }

    /// True if the key of `mission_id` was destroyed.
    pub async fn is_destroyed(&self, mission_id: &str) -> Result<bool> {
        check_id("mission", mission_id)?;
        self.inner.records.is_destroyed(mission_id).await
    }

    /// Destroys the data key of `mission_id` (crypto-shredding): marks it destroyed so that
    /// later reads answer [`StorageError::KeyDestroyed`], overwrites its record and removes it.
    /// Idempotent.
    pub async fn destroy_mission_key(&self, mission_id: &str) -> Result<()> {
        check_id("mission", mission_id)?;
        let _guard = self.inner.write_lock.lock().await;
        self.inner.records.destroy(mission_id).await?;
        tracing::info!(mission = mission_id, "destroyed mission key");
        Ok(())
    }

    /// Missions that have a live (not destroyed) key, sorted.
    pub async fn mission_ids(&self) -> Result<Vec<String>> {
        self.inner.records.list(KeyKind::Mission).await
    }

    /// Missions whose key was destroyed, sorted.
    pub async fn destroyed_mission_ids(&self) -> Result<Vec<String>> {
        self.inner.records.destroyed().await
    }

    /// Every stored record, still wrapped (service keys first), for a key export.
    pub async fn export_records(&self) -> Result<Vec<KeyRecord>> {
        let records = &self.inner.records;
        let mut out = Vec::new();
        for kind in [KeyKind::Service, KeyKind::Mission] {
            for name in records.list(kind).await? {
                if let Some(wrapped) = records.load(kind, &name).await? {
                    out.push(KeyRecord {
                        kind,
                        name,
                        wrapped,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Rewraps every mission key (and service key) under `new` and makes it the current master
    /// key; blobs are not touched. Returns how many records were rewritten.
    ///
    /// Records already wrapped by `new` (an interrupted rotation over a directory) are skipped,
    /// so running this again with the same `new` key finishes the job.
    pub async fn rotate_master(&self, new: MasterKey) -> Result<usize> {
        let _guard = self.inner.write_lock.lock().await;
        let old = self.master();
        *self.inner.next.write().unwrap_or_else(|p| p.into_inner()) = Some(new.clone());
        let result = self.rewrap_all(&old, &new).await;
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

    async fn rewrap_all(&self, old: &MasterKey, new: &MasterKey) -> Result<usize> {
        let records = &self.inner.records;
        let mut rewrapped = Vec::new();
        for kind in [KeyKind::Mission, KeyKind::Service] {
            for name in records.list(kind).await? {
                let Some(bytes) = records.load(kind, &name).await? else {
                    continue;
                };
                let bytes = Zeroizing::new(bytes);
                let path = records.location(kind, &name);
                let file_master = file_master_id(&path, &bytes)?;
                if file_master == new.id() {
                    continue;
                }
                if file_master != old.id() {
                    return Err(StorageError::MasterKey(format!(
                        "key record {} is wrapped by master key {file_master}, which is neither the current \
                         master key {} nor the new one {}",
                        path.display(),
                        old.id(),
                        new.id()
                    )));
                }
                let aad = aad_id(kind, &name);
                let key = unwrap(old, &aad, &path, &bytes)?;
                let wrapped = wrap(new, &aad, &key.key)?;
                rewrapped.push(KeyRecord {
                    kind,
                    name,
                    wrapped,
                });
            }
        }
        records.rewrap(&rewrapped, new.id()).await?;
        Ok(rewrapped.len())
    }

    /// Unwraps every live mission key with the current master key and returns how many there
    /// are: call it at start to refuse a wrong master key, or an unfinished rotation, with a
    /// clear message before serving anything.
    pub async fn verify(&self) -> Result<usize> {
        let missions = self.mission_ids().await?;
        for m in &missions {
            self.mission_key(m).await?;
        }
        for purpose in self.inner.records.list(KeyKind::Service).await? {
            self.load(KeyKind::Service, &purpose).await?;
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
    pub async fn rotate_master_file(&self, master_path: &Path) -> Result<usize> {
        let current = MasterKey::from_file(master_path)?;
        if current.id() != self.master_key_id() {
            return Err(StorageError::MasterKey(format!(
                "master key file {} holds key {}, but this key store is opened with key {}",
                master_path.display(),
                current.id(),
                self.master_key_id()
            )));
        }
        let next_path = next_master_path(master_path);
        let new = MasterKey::load_or_generate(&next_path)?;
        let n = self.rotate_master(new).await?;
        finish_master_file(master_path)?;
        Ok(n)
    }
}

/// `<master_path>.next`: where a rotation keeps the new master key until it is in place.
pub fn next_master_path(master_path: &Path) -> PathBuf {
    let mut next_name = master_path.as_os_str().to_owned();
    next_name.push(".next");
    PathBuf::from(next_name)
}

/// The last step of a master key rotation: renames `<master_path>.next` over `master_path` and
/// fsyncs the directory.
pub fn finish_master_file(master_path: &Path) -> Result<()> {
    let next_path = next_master_path(master_path);
    std::fs::rename(&next_path, master_path).map_err(|e| {
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
        Some(p) if !p.as_os_str().is_empty() => fsutil::fsync_dir(p),
        _ => fsutil::fsync_dir(Path::new(".")),
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
    use std::fs;

    fn store() -> (tempfile::TempDir, PathBuf, KeyStore) {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let ks = KeyStore::open(keys.clone(), MasterKey::from_bytes([1; 32])).unwrap();
        (dir, keys, ks)
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

    #[tokio::test]
    async fn create_is_idempotent_and_stable() {
        let (_d, dir, ks) = store();
        ks.create_mission_key("m1").await.unwrap();
        let k1 = ks.mission_key("m1").await.unwrap();
        ks.create_mission_key("m1").await.unwrap();
        let k2 = ks.mission_key("m1").await.unwrap();
        assert_eq!(*k1.key, *k2.key);
        assert_eq!(ks.mission_ids().await.unwrap(), vec!["m1".to_string()]);
        assert!(matches!(
            ks.mission_key("m2").await,
            Err(StorageError::KeyNotFound { .. })
        ));
        // The raw key is never on disk.
        assert!(files_containing(&dir, &k1.key[..]).is_empty());
    }

    #[tokio::test]
    async fn destroy_leaves_tombstone_and_no_key_material() {
        let (_d, dir, ks) = store();
        ks.create_mission_key("m1").await.unwrap();
        let wrapped = fs::read(dir.join("m1.key")).unwrap();
        ks.destroy_mission_key("m1").await.unwrap();
        ks.destroy_mission_key("m1").await.unwrap();
        assert!(matches!(
            ks.mission_key("m1").await,
            Err(StorageError::KeyDestroyed { .. })
        ));
        assert!(ks.is_destroyed("m1").await.unwrap());
        assert!(!dir.join("m1.key").exists());
        assert!(files_containing(&dir, &wrapped[PREFIX_LEN..]).is_empty());
        assert!(matches!(
            ks.create_mission_key("m1").await,
            Err(StorageError::KeyDestroyed { .. })
        ));
        assert!(ks.mission_ids().await.unwrap().is_empty());
        assert_eq!(
            ks.destroyed_mission_ids().await.unwrap(),
            vec!["m1".to_string()]
        );
    }

    #[tokio::test]
    async fn key_file_bound_to_mission_and_master() {
        let (_d, dir, ks) = store();
        ks.create_mission_key("m1").await.unwrap();
        ks.create_mission_key("m2").await.unwrap();
        // Swap key files between missions: authentication fails.
        fs::copy(dir.join("m1.key"), dir.join("m2.key")).unwrap();
        assert!(matches!(
            ks.mission_key("m2").await,
            Err(StorageError::KeyStoreCorrupt { .. })
        ));
        // Another master key cannot open them.
        let other = KeyStore::open(dir.clone(), MasterKey::from_bytes([2; 32])).unwrap();
        assert!(matches!(
            other.mission_key("m1").await,
            Err(StorageError::MasterKey(_))
        ));
    }

    #[tokio::test]
    async fn rotation_resumes_after_interruption() {
        let (_d, dir, ks) = store();
        for m in ["a", "b", "c"] {
            ks.create_mission_key(m).await.unwrap();
        }
        let before = ks.mission_key("b").await.unwrap();
        let new = MasterKey::from_bytes([9; 32]);
        // Simulate an interruption: only "a" was rewrapped.
        let file = wrap(&new, "a", &ks.mission_key("a").await.unwrap().key).unwrap();
        fsutil::write_atomic(&dir, "a.key", &file, 0o600).unwrap();
        assert_eq!(ks.rotate_master(new.clone()).await.unwrap(), 2);
        assert_eq!(ks.master_key_id(), new.id());
        assert_eq!(*ks.mission_key("b").await.unwrap().key, *before.key);
        let old = KeyStore::open(dir.clone(), MasterKey::from_bytes([1; 32])).unwrap();
        assert!(old.mission_key("b").await.is_err());
        assert!(matches!(
            old.verify().await,
            Err(StorageError::MasterKey(_))
        ));
        assert_eq!(ks.verify().await.unwrap(), 3);
        assert_eq!(ks.rotate_master(new).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn service_keys_survive_rotation() {
        let (_d, dir, ks) = store();
        let totp = ks.service_key("totp").await.unwrap();
        assert_eq!(*ks.service_key("totp").await.unwrap(), *totp);
        assert_ne!(*ks.service_key("audit").await.unwrap(), *totp);
        assert!(
            ks.mission_ids().await.unwrap().is_empty(),
            "service keys are not missions"
        );
        assert!(files_containing(&dir, &totp[..]).is_empty());
        ks.create_mission_key("m").await.unwrap();
        assert_eq!(
            ks.rotate_master(MasterKey::from_bytes([5; 32]))
                .await
                .unwrap(),
            3
        );
        let reopened = KeyStore::open(dir.clone(), MasterKey::from_bytes([5; 32])).unwrap();
        assert_eq!(*reopened.service_key("totp").await.unwrap(), *totp);
        assert_eq!(reopened.verify().await.unwrap(), 1);
        assert_eq!(reopened.export_records().await.unwrap().len(), 3);
        // A service key file renamed as a mission key does not authenticate.
        fs::copy(dir.join("totp.service"), dir.join("totp.key")).unwrap();
        assert!(matches!(
            reopened.mission_key("totp").await,
            Err(StorageError::KeyStoreCorrupt { .. })
        ));
    }

    #[tokio::test]
    async fn keys_stay_readable_during_rotation() {
        let (_d, dir, ks) = store();
        ks.create_mission_key("a").await.unwrap();
        let before = ks.mission_key("a").await.unwrap();
        let new = MasterKey::from_bytes([9; 32]);
        // Mid-rotation state: "a" already rewrapped, the store still on the old key.
        let file = wrap(&new, "a", &before.key).unwrap();
        fsutil::write_atomic(&dir, "a.key", &file, 0o600).unwrap();
        assert!(ks.mission_key("a").await.is_err());
        *ks.inner.next.write().unwrap() = Some(new);
        assert_eq!(*ks.mission_key("a").await.unwrap().key, *before.key);
    }

    #[tokio::test]
    async fn rotate_master_file_procedure() {
        let dir = tempfile::tempdir().unwrap();
        let mpath = dir.path().join("master.key");
        let m = MasterKey::load_or_generate(&mpath).unwrap();
        let ks = KeyStore::open(dir.path().join("keys"), m.clone()).unwrap();
        ks.create_mission_key("m").await.unwrap();
        let k = ks.mission_key("m").await.unwrap();
        assert_eq!(ks.rotate_master_file(&mpath).await.unwrap(), 1);
        let m2 = MasterKey::from_file(&mpath).unwrap();
        assert_ne!(m.id(), m2.id());
        let reopened = KeyStore::open(dir.path().join("keys"), m2).unwrap();
        assert_eq!(*reopened.mission_key("m").await.unwrap().key, *k.key);
        assert!(!dir.path().join("master.key.next").exists());
    }

    #[tokio::test]
    async fn a_key_directory_migrates_once_and_is_shredded() {
        let (d, dir, ks) = store();
        ks.create_mission_key("live").await.unwrap();
        ks.create_mission_key("gone").await.unwrap();
        let totp = ks.service_key("totp").await.unwrap();
        let live = ks.mission_key("live").await.unwrap();
        ks.destroy_mission_key("gone").await.unwrap();
        let target = Arc::new(DirRecords::open(d.path().join("target")).unwrap());
        assert_eq!(
            crate::keyrecords::migrate_dir(&dir, target.as_ref())
                .await
                .unwrap(),
            2
        );
        assert!(!dir.exists());
        assert_eq!(
            crate::keyrecords::migrate_dir(&dir, target.as_ref())
                .await
                .unwrap(),
            0
        );
        let moved = KeyStore::with_records(target, MasterKey::from_bytes([1; 32]));
        assert_eq!(*moved.mission_key("live").await.unwrap().key, *live.key);
        assert_eq!(*moved.service_key("totp").await.unwrap(), *totp);
        assert!(moved.is_destroyed("gone").await.unwrap());
        assert_eq!(moved.verify().await.unwrap(), 1);
    }
}
