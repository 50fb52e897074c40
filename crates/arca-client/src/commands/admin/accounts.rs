//! `arca admin account …`: the accounts of a server, for its operator (the first account's
//! root user). An account owns its buckets and its IAM users; its root user's key pair is
//! printed once, when the account is added.

use clap::Subcommand;
use serde_json::Value;

use crate::error::ClientError;
use crate::signed::SignedEndpoint;

/// `arca admin account …`.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Add an account; prints its id and its root user's key pair (the secret only now).
    Add {
        /// The account's name (its buckets' owner display name).
        name: String,
    },
    /// List the accounts: id, name, canonical user id.
    Ls,
    /// Delete an account that owns no bucket and has no users, groups or policies left.
    Rm {
        /// The account's 12-digit id.
        id: String,
    },
}

pub(super) async fn run(e: &SignedEndpoint, cmd: &AccountCommand) -> Result<(), ClientError> {
    match cmd {
        AccountCommand::Add { name } => {
            let asked = serde_json::json!({ "name": name }).to_string().into_bytes();
            let answer = parse(&e.send("POST", "/?arca-admin=create-account", asked).await?)?;
            let text = |v: &Value| v.as_str().unwrap_or("").to_string();
            println!(
                "created account {} ({})",
                text(&answer["account"]["id"]),
                text(&answer["account"]["name"])
            );
            println!("root access key id:     {}", text(&answer["access_key_id"]));
            println!(
                "root secret access key: {} (shown once: keep it now)",
                text(&answer["secret_access_key"])
            );
        }
        AccountCommand::Ls => {
            let answer = parse(&e.send("GET", "/?arca-admin=accounts", Vec::new()).await?)?;
            for a in answer.as_array().into_iter().flatten() {
                let text = |k: &str| a[k].as_str().unwrap_or("").to_string();
                println!("{}\t{}\t{}", text("id"), text("name"), text("canonical_id"));
            }
        }
        AccountCommand::Rm { id } => {
            let id: String = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string();
            e.send("POST", &format!("/?arca-admin=delete-account&id={id}"), Vec::new())
                .await?;
            println!("deleted account {id}");
        }
    }
    Ok(())
}

fn parse(answer: &str) -> Result<Value, ClientError> {
    serde_json::from_str(answer).map_err(|e| ClientError::Usage(format!("the server's answer is not JSON: {e}")))
}
