//! `arca admin …`: the server's admin API (the operator only), answered in JSON — jobs,
//! explanations, [`accounts`], the [`root_key`] — and the signer's account's IAM identities through the IAM
//! query API on the same endpoint: [`users`] (with their keys and inline policies),
//! [`groups`] and managed [`policies`].

mod accounts;
mod explain;
mod groups;
mod policies;
mod root_key;
mod users;

use clap::Subcommand;

use crate::alias::Aliases;
use crate::error::ClientError;
use crate::flags::ClientArgs;
use crate::signed::SignedEndpoint;

use accounts::AccountCommand;
use groups::GroupCommand;
use policies::ManagedPolicyCommand;
use root_key::RootKeyCommand;
use users::UserCommand;

/// `arca admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Every background job's progress (GC, lifecycle): passes, items, counts by kind.
    Jobs {
        /// The server's alias (default: --endpoint-url and the AWS profile's keys).
        alias: Option<String>,
    },
    /// Run a lifecycle pass now rather than at the next scheduled one; prints what it did.
    RunLifecycle {
        /// The server's alias (default: --endpoint-url and the AWS profile's keys).
        alias: Option<String>,
    },
    /// The last KMS operations (JSON): who, what, which key, how it ended, and whether S3 asked
    /// on a requester's behalf. The whole trail is kms-audit.log in the server's data folder.
    KmsAudit {
        /// The server's alias (default: --endpoint-url and the AWS profile's keys).
        alias: Option<String>,
    },
    /// Why a request was denied: every statement of every policy asked, and the layer that
    /// decided (the server keeps its recent denials).
    Explain {
        /// The server's alias (default: --endpoint-url and the AWS profile's keys).
        alias: Option<String>,
        /// The request's id (`x-amz-request-id`, also in the server's log).
        #[arg(long)]
        request_id: String,
        /// Print the server's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Accounts (operator only): `arca admin account add team`, `account ls`.
    Account {
        /// The server's alias (default: --endpoint-url and the AWS profile's keys).
        #[arg(long)]
        alias: Option<String>,
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// The root key of encryption at rest (operator only): `arca admin root-key rotate`.
    RootKey {
        /// The server's alias (default: --endpoint-url and the AWS profile's keys).
        #[arg(long)]
        alias: Option<String>,
        #[command(subcommand)]
        command: RootKeyCommand,
    },
    /// IAM users: `arca admin user add alice`, `key add alice`, `policy set alice read read.json`.
    User {
        /// The server's alias (default: --endpoint-url and the AWS profile's keys).
        #[arg(long)]
        alias: Option<String>,
        #[command(subcommand)]
        command: UserCommand,
    },
    /// IAM groups: `arca admin group add readers`, `group add-user readers alice`.
    Group {
        /// The server's alias (default: --endpoint-url and the AWS profile's keys).
        #[arg(long)]
        alias: Option<String>,
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// Managed policies: `arca admin policy create read read.json`, `policy attach read --group readers`.
    Policy {
        /// The server's alias (default: --endpoint-url and the AWS profile's keys).
        #[arg(long)]
        alias: Option<String>,
        #[command(subcommand)]
        command: ManagedPolicyCommand,
    },
}

/// Runs one admin command and prints the server's answer.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, cmd: AdminCommand) -> Result<(), ClientError> {
    let (method, action, alias) = match &cmd {
        AdminCommand::Jobs { alias } => ("GET", "jobs", alias),
        AdminCommand::RunLifecycle { alias } => ("POST", "run-lifecycle", alias),
        AdminCommand::KmsAudit { alias } => ("GET", "kms-audit", alias),
        AdminCommand::Account { alias, command } => {
            let endpoint = SignedEndpoint::new(&args.connect, aliases, alias.as_deref()).await?;
            return accounts::run(&endpoint, command).await;
        }
        AdminCommand::RootKey { alias, command } => {
            let endpoint = SignedEndpoint::new(&args.connect, aliases, alias.as_deref()).await?;
            return root_key::run(&endpoint, command).await;
        }
        AdminCommand::User { alias, command } => {
            let endpoint = SignedEndpoint::new(&args.connect, aliases, alias.as_deref()).await?;
            return users::run(&endpoint, command).await;
        }
        AdminCommand::Group { alias, command } => {
            let endpoint = SignedEndpoint::new(&args.connect, aliases, alias.as_deref()).await?;
            return groups::run(&endpoint, command).await;
        }
        AdminCommand::Policy { alias, command } => {
            let endpoint = SignedEndpoint::new(&args.connect, aliases, alias.as_deref()).await?;
            return policies::run(&endpoint, command).await;
        }
        AdminCommand::Explain {
            alias,
            request_id,
            json,
        } => {
            let endpoint = SignedEndpoint::new(&args.connect, aliases, alias.as_deref()).await?;
            return explain::explain(&endpoint, request_id, *json).await;
        }
    };
    let endpoint = SignedEndpoint::new(&args.connect, aliases, alias.as_deref()).await?;
    let answer = endpoint
        .send(method, &format!("/?arca-admin={action}"), Vec::new())
        .await?;
    println!("{}", answer.trim_end());
    Ok(())
}

/// A policy document as IAM answers it (URL-encoded), readable.
fn decoded_document(encoded: &str) -> String {
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8_lossy()
        .into_owned()
}
