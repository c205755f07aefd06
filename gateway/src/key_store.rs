//! The key store at start-up: which master key, the key store in the database (moving an older
//! installation's `<data_dir>/keys` directory into it once), and the seal check that refuses an
//! instance whose master key is not the one the database was sealed with.

use crate::clock::SharedClock;
use crate::config::{Config, ConfigError};
use crate::db::keys::{self, DbRecords, Seal};
use crate::db::Db;
use std::path::PathBuf;
use std::sync::Arc;

/// The master key the configuration names. A single machine on SQLite may let Passerelle
/// generate `<data_dir>/master.key`; with PostgreSQL (several instances sharing one database)
/// it must be given explicitly, never generated.
pub(crate) fn master_key(config: &Config) -> Result<storage::MasterKey, ConfigError> {
    let result = match (&config.master_key.env, &config.master_key.file) {
        (Some(var), _) => storage::MasterKey::from_env(var),
        (None, Some(path)) => storage::MasterKey::from_file(path),
        (None, None) if is_postgres(config) => {
            return Err(ConfigError(
                "master_key : avec PostgreSQL, la clé maîtresse doit être fournie explicitement \
                 (master_key.file ou master_key.env), jamais générée, car toutes les instances \
                 partagent la même. / master_key: with PostgreSQL the master key must be given \
                 explicitly (master_key.file or master_key.env), never generated, as every \
                 instance shares the same one."
                    .to_owned(),
            ))
        }
        (None, None) => storage::MasterKey::load_or_generate(&config.data_dir.join("master.key")),
    };
    result.map_err(|e| ConfigError(format!("master_key: {e}")))
}

fn is_postgres(config: &Config) -> bool {
    !config.database_url().starts_with("sqlite:")
}

/// The file the master key lives in, when it lives in a file.
pub(crate) fn master_key_path(config: &Config) -> Option<PathBuf> {
    match (&config.master_key.env, &config.master_key.file) {
        (Some(_), _) => None,
        (None, Some(path)) => Some(path.clone()),
        (None, None) => Some(config.data_dir.join("master.key")),
    }
}

fn differs(configured: &str, sealed: &str) -> ConfigError {
    ConfigError(format!(
        "master_key : la clé maîtresse configurée ({configured}) n'est pas celle qui scelle le \
         magasin de clés de cette base de données ({sealed}) ; donnez à cette instance la même clé \
         maîtresse que les autres (master_key.file ou master_key.env). / master_key: the \
         configured master key ({configured}) is not the one the key store of this database is \
         sealed with ({sealed}); give this instance the same master key as the others \
         (master_key.file or master_key.env)."
    ))
}

/// Opens the key store in `db`: refuses a master key other than the sealing one, moves an older
/// key directory in, unwraps every key once (a wrong key or an unfinished rotation is refused
/// here, not at first use), then seals the store if it was not sealed yet.
pub(crate) async fn open_keys(
    config: &Config,
    db: &Db,
    clock: &SharedClock,
) -> Result<storage::KeyStore, ConfigError> {
    let key_error = |e: storage::StorageError| ConfigError(format!("the key store: {e}"));
    let db_error = |e: crate::db::DbError| ConfigError(format!("the key store: {e}"));
    let mut master = master_key(config)?;
    if let Some(sealed) = keys::sealed_id(db).await.map_err(db_error)? {
        if sealed != master.id() {
            master = finish_interrupted_rotation(config, master, &sealed)?;
        }
    }
    let records = Arc::new(DbRecords::new(db.clone(), clock.clone()));
    let moved = storage::migrate_dir(&config.key_dir(), records.as_ref())
        .await
        .map_err(key_error)?;
    if moved > 0 {
        tracing::warn!(
            count = moved,
            "moved the key directory into the database and shredded its files"
        );
    }
    let store = storage::KeyStore::with_records(records, master.clone());
    store.verify().await.map_err(key_error)?;
    let now = clock.now().timestamp_millis();
    match keys::check_seal(db, master.id(), now)
        .await
        .map_err(db_error)?
    {
        Seal::Matches => Ok(store),
        Seal::Differs(sealed) => Err(differs(master.id(), &sealed)),
    }
}

/// A rotation that rewrapped the database but stopped before putting the new key file in place
/// leaves the new key in `<master file>.next`: if that is the sealing key, the rotation's last
/// step (the rename) is done now. Any other mismatch is refused.
fn finish_interrupted_rotation(
    config: &Config,
    master: storage::MasterKey,
    sealed: &str,
) -> Result<storage::MasterKey, ConfigError> {
    let Some(path) = master_key_path(config) else {
        return Err(differs(master.id(), sealed));
    };
    let next_path = storage::next_master_path(&path);
    match storage::MasterKey::from_file(&next_path) {
        Ok(next) if next.id() == sealed => {
            storage::finish_master_file(&path)
                .map_err(|e| ConfigError(format!("master_key: {e}")))?;
            tracing::warn!(
                master_key_id = sealed,
                "finished an interrupted master key rotation"
            );
            Ok(next)
        }
        _ => Err(differs(master.id(), sealed)),
    }
}
