//! Where the root key of encryption at rest comes from, and how it is rotated.
//!
//! The root key is the data folder's `root.key` (made, mode 0600, on first start), or a file
//! the operator names (`--root-key-file`), which is then the only copy the server reads: kept
//! apart from the data folder, a stolen disk opens nothing. Either holds the key's 64 hex
//! digits.
//!
//! Rotation (`POST /?arca-admin=rotate-root-key`) makes a new root key and rewraps the
//! key-encryption keys under it in one commit; no object is touched. The new key is written
//! before that commit and put in place after it, so a crash at any point leaves a key that
//! opens the store:
//! - the data folder's key: the new one goes to `root.key.next` first, then replaces
//!   `root.key`. A start that finds `root.key.next` finishes the rotation if its commit was
//!   made (the stored keys name the new key), and drops the file otherwise;
//! - an operator's key file: the new key goes to the file the operator names (it must not
//!   exist), and the operator starts the server with it from then on. The old file opens
//!   nothing after the commit; the server's refusal names both fingerprints.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arca_kms::{KeyError, Keyring, RootKey};
use arca_store::Store;

use crate::ServerError;
use crate::credentials::write_secret_file;

/// The data folder's own root key file.
pub(crate) const FILE: &str = "root.key";

/// A rotation of the data folder's key, under way: the new key, written before its commit.
const NEXT_FILE: &str = "root.key.next";

/// Where the root key lives and which it is now: what a rotation needs.
pub(crate) struct RootKeys {
    data_dir: PathBuf,
    /// The operator's key file, if the key is not the data folder's.
    file: Option<PathBuf>,
    /// The key now; rotations take turns.
    current: tokio::sync::Mutex<RootKey>,
}

/// What a rotation did.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Rotated {
    /// The new key's fingerprint.
    pub(crate) fingerprint: String,
    /// The old key's.
    pub(crate) previous_fingerprint: String,
    /// Key-encryption keys rewrapped.
    pub(crate) key_encryption_keys: usize,
    /// Where the new key is.
    pub(crate) key_file: String,
}

/// Why a rotation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RotationError {
    /// The key is the operator's and no file was named for the new one.
    #[error("the root key is kept in {0}: name a new file for the new key (new-key-file=PATH)")]
    NeedsNewFile(String),
    /// The file named for the new key exists (it may be a key still needed).
    #[error("{0} exists: the new key is written to a new file only")]
    FileExists(String),
    /// The data folder keeps its own key: a file for the new one is not asked for.
    #[error("the root key is the data folder's: it is rotated in place (no new-key-file)")]
    NotAsked,
    /// Writing the key or the commit failed.
    #[error("{0}")]
    Failed(String),
}

impl RootKeys {
    /// Opens `store`'s keyring with the root key (from `file` if given, else the data
    /// folder's, finishing or dropping an interrupted rotation of it).
    pub(crate) async fn open(
        store: &Arc<Store>,
        data_dir: &Path,
        file: Option<&Path>,
    ) -> Result<(Keyring, RootKeys), ServerError> {
        let keys_error = |e: KeyError| ServerError::Keys(e.to_string());
        let root = load(data_dir, file)?;
        let next = data_dir.join(NEXT_FILE);
        let (keyring, root) = match Keyring::open(store, &root).await {
            Ok(keyring) => {
                if file.is_none() && next.exists() {
                    // A rotation whose commit was never made: its key opens nothing.
                    std::fs::remove_file(&next).map_err(ServerError::Credentials)?;
                }
                (keyring, root)
            }
            Err(KeyError::WrongRootKey { .. }) if file.is_none() && next.exists() => {
                // A rotation committed but not put in place: finish it.
                let new = RootKey::from_bytes(&read(&next)?).map_err(keys_error)?;
                let keyring = Keyring::open(store, &new).await.map_err(keys_error)?;
                std::fs::rename(&next, data_dir.join(FILE)).map_err(ServerError::Credentials)?;
                sync_dir(data_dir).map_err(ServerError::Credentials)?;
                tracing::info!(fingerprint = new.fingerprint(), "finished a root key rotation");
                (keyring, new)
            }
            Err(e) => return Err(keys_error(e)),
        };
        Ok((
            keyring,
            RootKeys {
                data_dir: data_dir.to_path_buf(),
                file: file.map(Path::to_path_buf),
                current: tokio::sync::Mutex::new(root),
            },
        ))
    }

    /// Rotates the root key (see the module docs); `new_file` names the file for the new key
    /// when the key is the operator's.
    pub(crate) async fn rotate(&self, store: &Arc<Store>, new_file: Option<&Path>) -> Result<Rotated, RotationError> {
        let failed = |e: &dyn std::fmt::Display| RotationError::Failed(e.to_string());
        let mut current = self.current.lock().await;
        let (staging, dir, name) = match (&self.file, new_file) {
            (Some(old), None) => return Err(RotationError::NeedsNewFile(old.display().to_string())),
            (None, Some(_)) => return Err(RotationError::NotAsked),
            (Some(_), Some(path)) => {
                if path.exists() {
                    return Err(RotationError::FileExists(path.display().to_string()));
                }
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let name = path.file_name().ok_or_else(|| failed(&"new-key-file names no file"))?;
                (
                    path.to_path_buf(),
                    dir.to_path_buf(),
                    name.to_string_lossy().into_owned(),
                )
            }
            (None, None) => (
                self.data_dir.join(NEXT_FILE),
                self.data_dir.clone(),
                NEXT_FILE.to_string(),
            ),
        };
        let bytes = RootKey::generate();
        let new = RootKey::from_bytes(&bytes[..]).map_err(|e| failed(&e))?;
        write_secret_file(&dir, &name, hex::encode(&bytes[..]).as_bytes()).map_err(|e| failed(&e))?;
        let rewrapped = Keyring::rewrap(store, &current, &new).await.map_err(|e| failed(&e))?;
        let key_file = match &self.file {
            Some(_) => staging,
            None => {
                let path = self.data_dir.join(FILE);
                std::fs::rename(&staging, &path).map_err(|e| failed(&e))?;
                sync_dir(&self.data_dir).map_err(|e| failed(&e))?;
                path
            }
        };
        let rotated = Rotated {
            fingerprint: new.fingerprint().to_string(),
            previous_fingerprint: current.fingerprint().to_string(),
            key_encryption_keys: rewrapped,
            key_file: key_file.display().to_string(),
        };
        tracing::info!(
            fingerprint = rotated.fingerprint,
            previous = rotated.previous_fingerprint,
            "root key rotated"
        );
        *current = new;
        Ok(rotated)
    }
}

/// The root key: from `file` if given (it must exist), else the data folder's.
fn load(data_dir: &Path, file: Option<&Path>) -> Result<RootKey, ServerError> {
    let bytes = match file {
        Some(path) => read(path)?,
        None => crate::credentials::load_or_create_key(data_dir, FILE).map_err(ServerError::Credentials)?,
    };
    RootKey::from_bytes(&bytes).map_err(|e| ServerError::Keys(e.to_string()))
}

/// The key in `path` (64 hex digits).
fn read(path: &Path) -> Result<Vec<u8>, ServerError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ServerError::Keys(format!("root key file {}: {e}", path.display())))?;
    hex::decode(text.trim())
        .map_err(|_| ServerError::Keys(format!("root key file {} does not hold 64 hex digits", path.display())))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
