//! Saved endpoints: `arca alias set NAME URL KEY SECRET`, kept in `~/.arca/aliases.toml`
//! (mode 0600; `ARCA_CONFIG_DIR` moves the folder).

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::ClientError;

/// A saved endpoint and its keys.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Alias {
    /// The endpoint URL.
    pub url: String,
    /// Access key id.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
}

/// Every saved alias (`~/.config/arca/aliases.toml`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Aliases {
    #[serde(default)]
    aliases: BTreeMap<String, Alias>,
}

fn file() -> PathBuf {
    let dir = std::env::var_os("ARCA_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".arca")))
        .unwrap_or_else(|| PathBuf::from(".arca"));
    dir.join("aliases.toml")
}

impl Aliases {
    /// The saved aliases; none if the file does not exist yet.
    pub fn load() -> Result<Aliases, ClientError> {
        let path = file();
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ClientError::Usage(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Aliases::default()),
            Err(e) => Err(ClientError::io(path.display(), e)),
        }
    }

    /// Writes the aliases back (mode 0600: they hold secrets).
    pub fn save(&self) -> Result<(), ClientError> {
        let path = file();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ClientError::io(dir.display(), e))?;
        }
        let text = toml::to_string(self).map_err(|e| ClientError::Usage(e.to_string()))?;
        let tmp = path.with_extension("toml.tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| ClientError::io(tmp.display(), e))?;
        f.write_all(text.as_bytes())
            .map_err(|e| ClientError::io(tmp.display(), e))?;
        std::fs::rename(&tmp, &path).map_err(|e| ClientError::io(path.display(), e))
    }

    /// The alias named `name`.
    pub fn get(&self, name: &str) -> Option<&Alias> {
        self.aliases.get(name)
    }

    /// Saves (or replaces) an alias.
    pub fn set(&mut self, name: &str, alias: Alias) {
        self.aliases.insert(name.to_string(), alias);
    }

    /// Removes an alias; whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        self.aliases.remove(name).is_some()
    }

    /// Every alias, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Alias)> {
        self.aliases.iter()
    }
}
