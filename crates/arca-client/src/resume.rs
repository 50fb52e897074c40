//! Resumable uploads: the state of each multipart upload in progress, kept per destination in
//! `~/.arca/uploads/` (or under `ARCA_CONFIG_DIR`), so that running the same `cp` again after
//! an interruption continues from the parts already stored.
//!
//! A state file is trusted only if the source file still has the size and modification time it
//! had, and every part the server lists for the upload is checked against the local bytes
//! (MD5 = part ETag) before it is reused.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ClientError;

/// What an interrupted multipart upload needs to resume.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UploadState {
    /// Endpoint uploaded to.
    pub endpoint: String,
    /// Destination bucket.
    pub bucket: String,
    /// Destination key.
    pub key: String,
    /// The multipart upload id.
    pub upload_id: String,
    /// The local file.
    pub source: PathBuf,
    /// Its size when the upload started.
    pub size: u64,
    /// Its modification time (ns) when the upload started: a changed file starts over.
    pub modified_ns: i128,
    /// Part size used.
    pub part_size: u64,
    /// Checksum algorithm asked for.
    pub checksum: String,
}

fn dir() -> PathBuf {
    std::env::var_os("ARCA_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".arca")))
        .unwrap_or_else(|| PathBuf::from(".arca"))
        .join("uploads")
}

/// One file per destination: a stable hash of endpoint, bucket and key.
fn file_for(endpoint: &str, bucket: &str, key: &str) -> PathBuf {
    // FNV-1a: stable across runs and Rust versions (DefaultHasher is not).
    let mut h: u64 = 0xcbf29ce484222325;
    for b in endpoint
        .bytes()
        .chain([0])
        .chain(bucket.bytes())
        .chain([0])
        .chain(key.bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    dir().join(format!("{h:016x}.toml"))
}

/// A file's modification time in nanoseconds since the epoch.
pub fn modified_ns(path: &Path) -> Result<i128, ClientError> {
    let m = std::fs::metadata(path).map_err(|e| ClientError::io(path.display(), e))?;
    let t = m.modified().map_err(|e| ClientError::io(path.display(), e))?;
    Ok(t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0))
}

/// The saved state of an upload of `bucket`/`key` to `endpoint`, if any.
pub fn load(endpoint: &str, bucket: &str, key: &str) -> Option<UploadState> {
    let text = std::fs::read_to_string(file_for(endpoint, bucket, key)).ok()?;
    toml::from_str(&text).ok()
}

/// Saves an upload's state (before its first part is sent).
pub fn save(state: &UploadState) -> Result<(), ClientError> {
    let path = file_for(&state.endpoint, &state.bucket, &state.key);
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| ClientError::io(d.display(), e))?;
    }
    let text = toml::to_string(state).map_err(|e| ClientError::Usage(e.to_string()))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| ClientError::io(tmp.display(), e))?;
    std::fs::rename(&tmp, &path).map_err(|e| ClientError::io(path.display(), e))
}

/// Forgets an upload's state (completed or given up).
pub fn forget(endpoint: &str, bucket: &str, key: &str) {
    let _ = std::fs::remove_file(file_for(endpoint, bucket, key));
}
