//! `arca policy get|set|rm|status`: a bucket's policy, the JSON document `aws s3api
//! put-bucket-policy` takes, sent and shown as written.

use clap::Subcommand;

use super::lifecycle::read_document;
use super::{remote, say};
use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::flags::ClientArgs;
use crate::signed::SignedEndpoint;

/// `arca policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the bucket's policy.
    Get {
        /// `s3://bucket`.
        target: String,
    },
    /// Replace the bucket's policy with a JSON file (`-` for standard input). A public policy
    /// is refused while the bucket's Block Public Access blocks public policies.
    Set {
        /// `s3://bucket`.
        target: String,
        /// The policy document.
        file: String,
    },
    /// Remove the bucket's policy.
    Rm {
        /// `s3://bucket`.
        target: String,
    },
    /// Whether the policy makes the bucket public, as Block Public Access defines it.
    Status {
        /// `s3://bucket`.
        target: String,
    },
}

impl PolicyCommand {
    /// The bucket the command acts on.
    pub(crate) fn target(&self) -> &str {
        match self {
            PolicyCommand::Get { target }
            | PolicyCommand::Set { target, .. }
            | PolicyCommand::Rm { target }
            | PolicyCommand::Status { target } => target,
        }
    }
}

/// Runs one `arca policy` command.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, cmd: PolicyCommand) -> Result<(), ClientError> {
    let (client, r) = remote(args, aliases, cmd.target()).await?;
    match cmd {
        PolicyCommand::Get { .. } => {
            let out = client.get_bucket_policy().bucket(&r.bucket).send().await.map_err(sdk)?;
            println!("{}", out.policy().unwrap_or_default().trim_end());
        }
        PolicyCommand::Set { file, .. } => {
            let text = read_document(&file)?;
            let endpoint = SignedEndpoint::new(&args.connect, aliases, r.alias.as_deref()).await?;
            endpoint
                .send("PUT", &format!("/{}?policy", r.bucket), text.into_bytes())
                .await?;
            say(args, "set_policy", None, &r.bucket);
        }
        PolicyCommand::Rm { .. } => {
            client
                .delete_bucket_policy()
                .bucket(&r.bucket)
                .send()
                .await
                .map_err(sdk)?;
            say(args, "remove_policy", None, &r.bucket);
        }
        PolicyCommand::Status { .. } => {
            let out = client
                .get_bucket_policy_status()
                .bucket(&r.bucket)
                .send()
                .await
                .map_err(sdk)?;
            let public = out.policy_status().and_then(|s| s.is_public()).unwrap_or(false);
            println!("{}", if public { "public" } else { "not public" });
        }
    }
    Ok(())
}
