//! `arca admin root-key rotate`: a new root key for encryption at rest, while the server runs
//! (no object is rewritten; see `docs/encryption.md`).

use clap::Subcommand;
use serde_json::Value;

use crate::error::ClientError;
use crate::signed::SignedEndpoint;

/// `arca admin root-key …`.
#[derive(Debug, Subcommand)]
pub enum RootKeyCommand {
    /// Make a new root key and rewrap the server's key-encryption keys under it.
    Rotate {
        /// Where the server writes the new key, on its own machine (it must not exist): only
        /// when the server runs with --root-key-file. Without, the data folder's root.key is
        /// replaced.
        #[arg(long)]
        new_key_file: Option<String>,
    },
}

pub(super) async fn run(e: &SignedEndpoint, cmd: &RootKeyCommand) -> Result<(), ClientError> {
    match cmd {
        RootKeyCommand::Rotate { new_key_file } => {
            let mut path = "/?arca-admin=rotate-root-key".to_string();
            if let Some(file) = new_key_file {
                let file = percent_encoding::utf8_percent_encode(file, percent_encoding::NON_ALPHANUMERIC);
                path.push_str(&format!("&new-key-file={file}"));
            }
            let answer: Value = serde_json::from_str(&e.send("POST", &path, Vec::new()).await?)
                .map_err(|e| ClientError::Usage(format!("the server's answer is not JSON: {e}")))?;
            let text = |k: &str| answer[k].as_str().unwrap_or("").to_string();
            println!(
                "rotated the root key: {} → {}",
                text("previous_fingerprint"),
                text("fingerprint")
            );
            println!(
                "rewrapped {} key-encryption key(s); the new key is in {}",
                answer["key_encryption_keys"],
                text("key_file")
            );
            if new_key_file.is_some() {
                println!(
                    "start the server with --root-key-file {} from now on, and back it up",
                    text("key_file")
                );
            }
        }
    }
    Ok(())
}
