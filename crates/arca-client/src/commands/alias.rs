//! `arca alias set|ls|rm`: saved endpoints and their keys.

use clap::Subcommand;

use crate::alias::{Alias, Aliases};
use crate::error::ClientError;

/// `arca alias …`.
#[derive(Debug, Subcommand)]
pub enum AliasCommand {
    /// Save an endpoint and its keys under a name.
    Set {
        /// The alias name (`s3://NAME/…` won't clash with buckets: aliases are written `NAME/`).
        name: String,
        /// The endpoint URL.
        url: String,
        /// Access key id.
        access_key: String,
        /// Secret key.
        secret_key: String,
    },
    /// List saved aliases (secrets hidden).
    Ls,
    /// Forget an alias.
    Rm {
        /// The alias name.
        name: String,
    },
}

/// Runs one `alias` verb.
pub(crate) fn run(aliases: &mut Aliases, cmd: AliasCommand) -> Result<(), ClientError> {
    match cmd {
        AliasCommand::Set {
            name,
            url,
            access_key,
            secret_key,
        } => {
            if name.contains('/') || name.contains(':') || name.is_empty() {
                return Err(ClientError::Usage(format!(
                    "alias names cannot contain / or :, got {name}"
                )));
            }
            aliases.set(
                &name,
                Alias {
                    url,
                    access_key,
                    secret_key,
                },
            );
            aliases.save()
        }
        AliasCommand::Ls => {
            for (name, a) in aliases.iter() {
                println!("{name}\t{}\t{}", a.url, a.access_key);
            }
            Ok(())
        }
        AliasCommand::Rm { name } => {
            if !aliases.remove(&name) {
                return Err(ClientError::Usage(format!("no alias named {name}")));
            }
            aliases.save()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_read_as_paths_are_refused_and_nothing_is_saved() {
        let mut aliases = Aliases::default();
        for name in ["", "a/b", "s3:x"] {
            let set = AliasCommand::Set {
                name: name.into(),
                url: "http://127.0.0.1:9000".into(),
                access_key: "k".into(),
                secret_key: "s".into(),
            };
            assert!(matches!(run(&mut aliases, set), Err(ClientError::Usage(_))), "{name:?}");
        }
        assert_eq!(aliases.iter().count(), 0);
    }
}
