//! The root principal's credentials: from the environment when set, otherwise generated on
//! first start and kept in the data folder (`root-credentials.toml`, mode 0600).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The root user's key pair and identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RootCredentials {
    /// The access key id clients sign with.
    pub access_key: String,
    /// The secret they sign with (never logged; printed only to a terminal).
    pub secret_key: String,
    /// Canonical user id (64 hex digits, like AWS's), stable across key rotation.
    pub owner_id: String,
}

/// Where the credentials came from; the server prints generated ones once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// `ARCA_ROOT_ACCESS_KEY` / `ARCA_ROOT_SECRET_KEY`.
    Environment,
    /// `root-credentials.toml` in the data folder.
    Stored,
    /// Made now (first start) and stored.
    Generated,
}

const FILE: &str = "root-credentials.toml";

/// Loads, or creates, the root credentials for `data_dir`. `env` holds explicit keys.
pub fn load_or_create(
    data_dir: &Path,
    env: Option<(String, String)>,
) -> std::io::Result<(RootCredentials, CredentialSource)> {
    let path = data_dir.join(FILE);
    let stored: Option<RootCredentials> = match std::fs::read_to_string(&path) {
        Ok(s) => Some(toml::from_str(&s).map_err(std::io::Error::other)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let owner_id = stored
        .as_ref()
        .map(|c| c.owner_id.clone())
        .unwrap_or_else(crate::ids::canonical_id);
    let (creds, source) = match (env, stored) {
        (Some((access_key, secret_key)), _) => (
            RootCredentials {
                access_key,
                secret_key,
                owner_id,
            },
            CredentialSource::Environment,
        ),
        (None, Some(c)) => return Ok((c, CredentialSource::Stored)),
        (None, None) => (
            RootCredentials {
                access_key: crate::ids::random("AK", 18, crate::ids::UPPER_DIGITS),
                secret_key: crate::ids::secret_key(),
                owner_id,
            },
            CredentialSource::Generated,
        ),
    };
    if source == CredentialSource::Generated {
        let body = toml::to_string(&creds).map_err(std::io::Error::other)?;
        write_secret_file(data_dir, FILE, body.as_bytes())?;
    }
    Ok((creds, source))
}

/// The 256-bit key kept (in hex) in file `name` of `data_dir`, made at random and written
/// (mode 0600, durably) the first time it is asked for.
pub(crate) fn load_or_create_key(data_dir: &Path, name: &str) -> std::io::Result<Vec<u8>> {
    match std::fs::read_to_string(data_dir.join(name)) {
        Ok(text) => {
            let key = hex::decode(text.trim()).map_err(std::io::Error::other)?;
            if key.len() != 32 {
                return Err(std::io::Error::other(format!("{name} does not hold a 256-bit key")));
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let fresh: [u8; 32] = rand::random();
            write_secret_file(data_dir, name, hex::encode(fresh).as_bytes())?;
            Ok(fresh.to_vec())
        }
        Err(e) => Err(e),
    }
}

/// Writes a file only its owner may read (mode 0600) into `data_dir`, durably and atomically:
/// a crash leaves the old file or the new one, never half of one.
pub(crate) fn write_secret_file(data_dir: &Path, name: &str, body: &[u8]) -> std::io::Result<()> {
    let tmp = data_dir.join(format!("{name}.tmp"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(body)?;
    f.sync_all()?;
    std::fs::rename(&tmp, data_dir.join(name))?;
    std::fs::File::open(data_dir)?.sync_all()
}
