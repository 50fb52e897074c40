//! `arca kms …`: the keys of the server's key management service (the KMS API `aws kms`
//! speaks), which SSE-KMS objects are sealed under.
//!
//! Scheduling a key's deletion is the one step that cannot be undone once its window ends:
//! every object sealed under the key is then unreadable for good. The command says so and
//! asks for the key's id to be typed back; without a terminal it needs `--yes`.

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;
use serde_json::{Value, json};

use crate::alias::Aliases;
use crate::error::ClientError;
use crate::flags::ClientArgs;
use crate::signed::SignedEndpoint;

/// `arca kms …`.
#[derive(Debug, Subcommand)]
pub enum KmsCommand {
    /// Every key: id, state, aliases, description.
    Ls,
    /// Make a symmetric key (AES-256-GCM); prints its id and ARN.
    Create {
        /// What the key is for.
        #[arg(long)]
        description: Option<String>,
        /// An alias for it (`alias/NAME`, or just `NAME`).
        #[arg(long)]
        alias: Option<String>,
    },
    /// Everything about a key (an id, ARN or alias).
    Describe {
        /// The key.
        key: String,
    },
    /// Enable a key: its objects are readable again.
    Enable {
        /// The key.
        key: String,
    },
    /// Disable a key: its objects are unreadable (and nothing new is sealed under it) until
    /// it is enabled again.
    Disable {
        /// The key.
        key: String,
    },
    /// Delete a key after a waiting period of 7–30 days; until then `cancel-deletion` undoes
    /// it. Once deleted, every object sealed under it is unreadable for good.
    ScheduleDeletion {
        /// The key.
        key: String,
        /// Days before the key is deleted.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Do not ask for confirmation (needed without a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Cancel a scheduled deletion; the key stays disabled until enabled.
    CancelDeletion {
        /// The key.
        key: String,
    },
}

/// Runs one `arca kms` command against `alias`'s server (or `--endpoint-url`'s).
pub(crate) async fn run(
    args: &ClientArgs,
    aliases: &Aliases,
    alias: Option<&str>,
    cmd: KmsCommand,
) -> Result<(), ClientError> {
    let kms = SignedEndpoint::new(&args.connect, aliases, alias).await?;
    match cmd {
        KmsCommand::Ls => list(&kms).await,
        KmsCommand::Create { description, alias } => {
            let mut body = json!({});
            if let Some(d) = description {
                body["Description"] = json!(d);
            }
            let key = kms.kms("CreateKey", &body).await?["KeyMetadata"].clone();
            let id = text(&key, "KeyId");
            if let Some(alias) = alias {
                let name = if alias.starts_with("alias/") {
                    alias
                } else {
                    format!("alias/{alias}")
                };
                kms.kms("CreateAlias", &json!({ "AliasName": name, "TargetKeyId": id }))
                    .await?;
            }
            println!("{id}\t{}", text(&key, "Arn"));
            Ok(())
        }
        KmsCommand::Describe { key } => {
            let answer = kms.kms("DescribeKey", &json!({ "KeyId": key })).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&answer["KeyMetadata"]).unwrap_or_default()
            );
            Ok(())
        }
        KmsCommand::Enable { key } => {
            kms.kms("EnableKey", &json!({ "KeyId": key })).await?;
            println!("enabled {key}");
            Ok(())
        }
        KmsCommand::Disable { key } => {
            kms.kms("DisableKey", &json!({ "KeyId": key })).await?;
            println!("disabled {key}: objects sealed under it are unreadable until it is enabled");
            Ok(())
        }
        KmsCommand::ScheduleDeletion { key, days, yes } => {
            let described = kms.kms("DescribeKey", &json!({ "KeyId": key })).await?["KeyMetadata"].clone();
            let id = text(&described, "KeyId");
            eprintln!(
                "WARNING: in {days} days key {id} ({}) is deleted for good, and with it every object \
                 sealed under it (SSE-KMS): they cannot be read again by anyone. Until then \
                 `arca kms cancel-deletion {id}` undoes this; meanwhile the key is unusable.",
                text(&described, "Description")
            );
            if !yes {
                confirm(&id)?;
            }
            let answer = kms
                .kms(
                    "ScheduleKeyDeletion",
                    &json!({ "KeyId": id, "PendingWindowInDays": days }),
                )
                .await?;
            let when = answer["DeletionDate"].as_f64().map_or_else(String::new, deletion_date);
            println!("{id} is pending deletion; deleted on {when}");
            Ok(())
        }
        KmsCommand::CancelDeletion { key } => {
            kms.kms("CancelKeyDeletion", &json!({ "KeyId": key })).await?;
            println!("deletion of {key} cancelled; the key is disabled until `arca kms enable {key}`");
            Ok(())
        }
    }
}

/// The keys with their state and aliases, one per line.
async fn list(kms: &SignedEndpoint) -> Result<(), ClientError> {
    let aliases = kms.kms("ListAliases", &json!({ "Limit": 100 })).await?;
    let mut marker: Option<String> = None;
    loop {
        let mut body = json!({ "Limit": 100 });
        if let Some(m) = &marker {
            body["Marker"] = json!(m);
        }
        let page = kms.kms("ListKeys", &body).await?;
        for key in page["Keys"].as_array().into_iter().flatten() {
            let id = text(key, "KeyId");
            let meta = kms.kms("DescribeKey", &json!({ "KeyId": id })).await?["KeyMetadata"].clone();
            let names: Vec<String> = aliases["Aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| a["TargetKeyId"].as_str() == Some(id.as_str()))
                .map(|a| text(a, "AliasName"))
                .collect();
            println!(
                "{id}\t{}\t{}\t{}",
                text(&meta, "KeyState"),
                names.join(","),
                text(&meta, "Description")
            );
        }
        match page["NextMarker"].as_str() {
            Some(m) if page["Truncated"].as_bool() == Some(true) => marker = Some(m.to_string()),
            _ => return Ok(()),
        }
    }
}

/// Asks for the key's id to be typed back; refuses without a terminal.
fn confirm(id: &str) -> Result<(), ClientError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(ClientError::Usage(
            "not scheduled: confirm with --yes (there is no terminal to ask on)".into(),
        ));
    }
    eprint!("type the key id to schedule its deletion: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| ClientError::io("standard input", e))?;
    if line.trim() != id {
        return Err(ClientError::Usage(
            "not scheduled: the id typed is not the key's".into(),
        ));
    }
    Ok(())
}

fn text(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_default().to_string()
}

/// KMS's dates are seconds since the epoch; shown as UTC.
fn deletion_date(seconds: f64) -> String {
    crate::output::date(Some(&aws_smithy_types::DateTime::from_secs(seconds as i64))) + " UTC"
}
