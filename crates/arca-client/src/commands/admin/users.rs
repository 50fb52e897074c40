//! `arca admin user …`: IAM users, their access keys and their inline policies.

use clap::Subcommand;

use super::decoded_document;
use crate::commands::lifecycle::read_document;
use crate::error::ClientError;
use crate::signed::{SignedEndpoint, xml_text, xml_texts};

/// `arca admin user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add {
        /// The user's name.
        name: String,
    },
    /// List the users.
    Ls,
    /// Delete a user (its keys and policies must be gone first).
    Rm {
        /// The user's name.
        name: String,
    },
    /// A user's access keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// A user's inline policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

/// `arca admin user key …`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an access key for a user; prints its id and secret (shown only this once).
    Add {
        /// The user's name.
        user: String,
    },
    /// List a user's access keys and whether each is active.
    Ls {
        /// The user's name.
        user: String,
    },
    /// Stop a key from signing (at once, presigned URLs included).
    Disable {
        /// The user's name.
        user: String,
        /// The access key id.
        key: String,
    },
    /// Let a disabled key sign again.
    Enable {
        /// The user's name.
        user: String,
        /// The access key id.
        key: String,
    },
    /// Delete a key.
    Rm {
        /// The user's name.
        user: String,
        /// The access key id.
        key: String,
    },
}

/// `arca admin user policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Set (add or replace) an inline policy from a JSON file (`-` for standard input).
    Set {
        /// The user's name.
        user: String,
        /// The policy's name.
        name: String,
        /// The policy document.
        file: String,
    },
    /// Print an inline policy.
    Get {
        /// The user's name.
        user: String,
        /// The policy's name.
        name: String,
    },
    /// List a user's inline policies.
    Ls {
        /// The user's name.
        user: String,
    },
    /// Delete an inline policy.
    Rm {
        /// The user's name.
        user: String,
        /// The policy's name.
        name: String,
    },
}

pub(super) async fn run(e: &SignedEndpoint, cmd: &UserCommand) -> Result<(), ClientError> {
    match cmd {
        UserCommand::Add { name } => {
            let answer = e.iam("CreateUser", &[("UserName", name)]).await?;
            println!("{}", xml_text(&answer, "Arn").unwrap_or_default());
        }
        UserCommand::Ls => {
            let answer = e.iam("ListUsers", &[]).await?;
            for (name, id) in xml_texts(&answer, "UserName").iter().zip(xml_texts(&answer, "UserId")) {
                println!("{name}\t{id}");
            }
        }
        UserCommand::Rm { name } => {
            e.iam("DeleteUser", &[("UserName", name)]).await?;
        }
        UserCommand::Key { command } => key(e, command).await?,
        UserCommand::Policy { command } => policy(e, command).await?,
    }
    Ok(())
}

async fn key(e: &SignedEndpoint, cmd: &KeyCommand) -> Result<(), ClientError> {
    match cmd {
        KeyCommand::Add { user } => {
            let answer = e.iam("CreateAccessKey", &[("UserName", user)]).await?;
            println!(
                "access key id:     {}",
                xml_text(&answer, "AccessKeyId").unwrap_or_default()
            );
            println!(
                "secret access key: {}",
                xml_text(&answer, "SecretAccessKey").unwrap_or_default()
            );
        }
        KeyCommand::Ls { user } => {
            let answer = e.iam("ListAccessKeys", &[("UserName", user)]).await?;
            for (id, status) in xml_texts(&answer, "AccessKeyId")
                .iter()
                .zip(xml_texts(&answer, "Status"))
            {
                println!("{id}\t{status}");
            }
        }
        KeyCommand::Disable { user, key } | KeyCommand::Enable { user, key } => {
            let status = if matches!(cmd, KeyCommand::Enable { .. }) {
                "Active"
            } else {
                "Inactive"
            };
            e.iam(
                "UpdateAccessKey",
                &[("UserName", user), ("AccessKeyId", key), ("Status", status)],
            )
            .await?;
        }
        KeyCommand::Rm { user, key } => {
            e.iam("DeleteAccessKey", &[("UserName", user), ("AccessKeyId", key)])
                .await?;
        }
    }
    Ok(())
}

async fn policy(e: &SignedEndpoint, cmd: &PolicyCommand) -> Result<(), ClientError> {
    match cmd {
        PolicyCommand::Set { user, name, file } => {
            let text = read_document(file)?;
            e.iam(
                "PutUserPolicy",
                &[("UserName", user), ("PolicyName", name), ("PolicyDocument", &text)],
            )
            .await?;
        }
        PolicyCommand::Get { user, name } => {
            let answer = e
                .iam("GetUserPolicy", &[("UserName", user), ("PolicyName", name)])
                .await?;
            let encoded = xml_text(&answer, "PolicyDocument").unwrap_or_default();
            println!("{}", decoded_document(&encoded));
        }
        PolicyCommand::Ls { user } => {
            let answer = e.iam("ListUserPolicies", &[("UserName", user)]).await?;
            for name in xml_texts(&answer, "member") {
                println!("{name}");
            }
        }
        PolicyCommand::Rm { user, name } => {
            e.iam("DeleteUserPolicy", &[("UserName", user), ("PolicyName", name)])
                .await?;
        }
    }
    Ok(())
}
