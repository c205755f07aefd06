//! Crypto-shredding and master key rotation.

use std::fs;

use storage::{KeyStore, MasterKey, StorageError};

use crate::*;

fn files_containing(dir: &std::path::Path, needle: &[u8]) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            let b = fs::read(e.as_ref().unwrap().path()).unwrap();
            b.windows(needle.len()).any(|w| w == needle)
        })
        .count()
}

#[tokio::test]
async fn destroyed_key_makes_every_file_unreadable() {
    let env = Env::new();
    for i in 0..3 {
        env.store
            .write("m1", &format!("f{i}"), chunks(&data(100_000, i), 10_000))
            .await
            .unwrap();
    }
    env.store
        .write("m2", "f0", chunks(b"other mission", 4))
        .await
        .unwrap();
    let key_file = env.key_dir().join("m1.key");
    let wrapped = fs::read(&key_file).unwrap();
    // Long enough to be the wrapped key and its tag, not just the header.
    let secret_part = &wrapped[wrapped.len() - 48..];

    env.store.keys().destroy_mission_key("m1").await.unwrap();

    for i in 0..3 {
        let id = format!("f{i}");
        assert!(matches!(
            env.store.read("m1", &id).await,
            Err(StorageError::KeyDestroyed { ref mission }) if mission == "m1"
        ));
        assert!(matches!(
            env.store.read_range("m1", &id, 0, 10).await,
            Err(StorageError::KeyDestroyed { .. })
        ));
        assert!(matches!(
            env.store.plaintext_len("m1", &id).await,
            Err(StorageError::KeyDestroyed { .. })
        ));
    }
    assert!(matches!(
        env.store.write("m1", "new", chunks(b"x", 1)).await,
        Err(StorageError::KeyDestroyed { .. })
    ));
    let msg = env.store.read("m1", "f0").await.unwrap_err().to_string();
    assert!(msg.contains("destroyed"), "{msg}");
    assert!(!key_file.exists());
    assert_eq!(files_containing(&env.key_dir(), secret_part), 0);
    assert!(env.store.keys().is_destroyed("m1").await.unwrap());
    // A fresh process (new handles on the same directories) sees the same.
    let again = open_store(&env.dir, MasterKey::from_bytes([1; 32]));
    assert!(matches!(
        again.read("m1", "f1").await,
        Err(StorageError::KeyDestroyed { .. })
    ));
    // Other missions are untouched.
    assert_eq!(
        read_blob(&again, "m2", "f0").await.unwrap(),
        b"other mission"
    );
    // The blobs themselves can then be removed.
    assert_eq!(again.purge_mission("m1").await.unwrap(), 3);
}

#[tokio::test]
async fn master_rotation_keeps_blobs_readable() {
    crate::local_files_only!();
    let env = Env::new();
    let plain = data(200_000, 9);
    env.store
        .write("m1", "f", chunks(&plain, 65_536))
        .await
        .unwrap();
    let blob_before = fs::read(env.blob_path("m1", "f")).unwrap();
    let old_id = env.store.keys().master_key_id();

    let new = MasterKey::from_bytes([2; 32]);
    let n = env.store.keys().rotate_master(new.clone()).await.unwrap();
    assert_eq!(n, 2);
    assert_eq!(env.store.keys().master_key_id(), new.id());
    assert_ne!(new.id(), old_id);
    assert_eq!(read_blob(&env.store, "m1", "f").await.unwrap(), plain);
    // Blobs were not touched.
    assert_eq!(fs::read(env.blob_path("m1", "f")).unwrap(), blob_before);
    // The old master no longer opens the key files; the new one does, from a fresh start.
    let old = open_store(&env.dir, MasterKey::from_bytes([1; 32]));
    assert!(matches!(
        old.read("m1", "f").await,
        Err(StorageError::MasterKey(_))
    ));
    let fresh = open_store(&env.dir, new);
    assert_eq!(read_blob(&fresh, "m1", "f").await.unwrap(), plain);
}

#[tokio::test]
async fn master_key_file_with_open_mode_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let m = MasterKey::load_or_generate(&path).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(MasterKey::from_file(&path).unwrap().id(), m.id());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let err = MasterKey::load_or_generate(&path).unwrap_err();
    assert!(matches!(err, StorageError::MasterKey(_)));
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("chmod 600"), "{msg}");
    // Key store files are private too.
    let ks = KeyStore::open(dir.path().join("keys"), m).unwrap();
    ks.create_mission_key("m").await.unwrap();
    let mode = fs::metadata(dir.path().join("keys/m.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        fs::metadata(dir.path().join("keys"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
}
