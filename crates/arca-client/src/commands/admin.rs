//! `arca admin …`: the server's admin API (root user only), answered in JSON.

use clap::Subcommand;

use crate::alias::Aliases;
use crate::error::ClientError;
use crate::flags::ClientArgs;
use crate::signed::SignedEndpoint;

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
}

/// Runs one admin command and prints the server's JSON answer.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, cmd: AdminCommand) -> Result<(), ClientError> {
    let (method, action, alias) = match &cmd {
        AdminCommand::Jobs { alias } => ("GET", "jobs", alias),
        AdminCommand::RunLifecycle { alias } => ("POST", "run-lifecycle", alias),
    };
    let endpoint = SignedEndpoint::new(&args.connect, aliases, alias.as_deref()).await?;
    let answer = endpoint
        .send(method, &format!("/?arca-admin={action}"), Vec::new())
        .await?;
    println!("{}", answer.trim_end());
    Ok(())
}
