//! `arca admin policy …`: customer managed policies, their versions, and attaching them to
//! users and groups. Policies are named here by name; the CLI finds their ARN.

use clap::{Args, Subcommand};

use super::decoded_document;
use crate::commands::lifecycle::read_document;
use crate::error::ClientError;
use crate::signed::{SignedEndpoint, xml_text, xml_texts};

/// `arca admin policy …`.
#[derive(Debug, Subcommand)]
pub enum ManagedPolicyCommand {
    /// Create a managed policy from a JSON file (`-` for standard input).
    Create {
        /// The policy's name.
        name: String,
        /// The policy document.
        file: String,
        /// What the policy is for.
        #[arg(long)]
        description: Option<String>,
    },
    /// List the managed policies, with their default version and attachment count.
    Ls,
    /// Print a policy's default document (or the version given).
    Get {
        /// The policy's name.
        name: String,
        /// A version (`v2`) rather than the default one.
        #[arg(long)]
        version: Option<String>,
    },
    /// Replace a policy's document: a new version, made the default (IAM keeps five; delete
    /// old ones with `arca admin policy prune`).
    Update {
        /// The policy's name.
        name: String,
        /// The new document.
        file: String,
    },
    /// Delete every version of a policy but the default one.
    Prune {
        /// The policy's name.
        name: String,
    },
    /// Delete a policy (detached from everything, with only its default version left).
    Rm {
        /// The policy's name.
        name: String,
    },
    /// The decision for a made-up request, explained statement by statement.
    Simulate {
        /// Who asks: a user's ARN (`arn:aws:iam::000000000000:user/alice`), the root's
        /// (`…:root`), or `anonymous`.
        #[arg(long)]
        principal: String,
        /// The action, e.g. `s3:GetObject`.
        #[arg(long)]
        action: String,
        /// The resource's ARN, e.g. `arn:aws:s3:::photos/cat.jpg`.
        #[arg(long)]
        resource: String,
        /// A request key the conditions see, `key=value` (repeatable), e.g.
        /// `aws:SourceIp=203.0.113.9`.
        #[arg(long)]
        context: Vec<String>,
        /// Print the server's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Attach a policy to a user or a group.
    Attach {
        /// The policy's name.
        name: String,
        #[command(flatten)]
        holder: Holder,
    },
    /// Detach a policy from a user or a group.
    Detach {
        /// The policy's name.
        name: String,
        #[command(flatten)]
        holder: Holder,
    },
}

/// The user or group a policy is attached to.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Holder {
    /// A user's name.
    #[arg(long)]
    user: Option<String>,
    /// A group's name.
    #[arg(long)]
    group: Option<String>,
}

/// The ARN of the managed policy named `name`.
async fn arn_of(e: &SignedEndpoint, name: &str) -> Result<String, ClientError> {
    let answer = e.iam("ListPolicies", &[("Scope", "Local")]).await?;
    xml_texts(&answer, "PolicyName")
        .into_iter()
        .zip(xml_texts(&answer, "Arn"))
        .find(|(n, _)| n == name)
        .map(|(_, arn)| arn)
        .ok_or_else(|| ClientError::Usage(format!("no managed policy is named {name}")))
}

pub(super) async fn run(e: &SignedEndpoint, cmd: &ManagedPolicyCommand) -> Result<(), ClientError> {
    match cmd {
        ManagedPolicyCommand::Create {
            name,
            file,
            description,
        } => {
            let text = read_document(file)?;
            let mut params = vec![("PolicyName", name.as_str()), ("PolicyDocument", text.as_str())];
            if let Some(d) = description {
                params.push(("Description", d));
            }
            let answer = e.iam("CreatePolicy", &params).await?;
            println!("created policy {}", xml_text(&answer, "Arn").unwrap_or_default());
        }
        ManagedPolicyCommand::Ls => {
            let answer = e.iam("ListPolicies", &[("Scope", "Local")]).await?;
            let names = xml_texts(&answer, "PolicyName");
            let versions = xml_texts(&answer, "DefaultVersionId");
            let counts = xml_texts(&answer, "AttachmentCount");
            for ((name, version), count) in names.iter().zip(&versions).zip(&counts) {
                println!("{name}\t{version}\tattached {count}");
            }
        }
        ManagedPolicyCommand::Get { name, version } => {
            let arn = arn_of(e, name).await?;
            let version = match version {
                Some(v) => v.clone(),
                None => {
                    let policy = e.iam("GetPolicy", &[("PolicyArn", &arn)]).await?;
                    xml_text(&policy, "DefaultVersionId").unwrap_or_default()
                }
            };
            let answer = e
                .iam("GetPolicyVersion", &[("PolicyArn", &arn), ("VersionId", &version)])
                .await?;
            println!(
                "{}",
                decoded_document(&xml_text(&answer, "Document").unwrap_or_default())
            );
        }
        ManagedPolicyCommand::Update { name, file } => {
            let text = read_document(file)?;
            let arn = arn_of(e, name).await?;
            let answer = e
                .iam(
                    "CreatePolicyVersion",
                    &[("PolicyArn", &arn), ("PolicyDocument", &text), ("SetAsDefault", "true")],
                )
                .await?;
            println!(
                "{name} is now at {}",
                xml_text(&answer, "VersionId").unwrap_or_default()
            );
        }
        ManagedPolicyCommand::Prune { name } => {
            let arn = arn_of(e, name).await?;
            let answer = e.iam("ListPolicyVersions", &[("PolicyArn", &arn)]).await?;
            let ids = xml_texts(&answer, "VersionId");
            let defaults = xml_texts(&answer, "IsDefaultVersion");
            for (id, default) in ids.iter().zip(&defaults) {
                if default != "true" {
                    e.iam("DeletePolicyVersion", &[("PolicyArn", &arn), ("VersionId", id)])
                        .await?;
                    println!("deleted {name} {id}");
                }
            }
        }
        ManagedPolicyCommand::Simulate {
            principal,
            action,
            resource,
            context,
            json,
        } => super::explain::simulate(e, principal, action, resource, context, *json).await?,
        ManagedPolicyCommand::Rm { name } => {
            let arn = arn_of(e, name).await?;
            e.iam("DeletePolicy", &[("PolicyArn", &arn)]).await?;
        }
        ManagedPolicyCommand::Attach { name, holder } | ManagedPolicyCommand::Detach { name, holder } => {
            let arn = arn_of(e, name).await?;
            let attach = matches!(cmd, ManagedPolicyCommand::Attach { .. });
            let (action, param, holder) = match (&holder.user, &holder.group, attach) {
                (Some(u), _, true) => ("AttachUserPolicy", "UserName", u),
                (Some(u), _, false) => ("DetachUserPolicy", "UserName", u),
                (None, Some(g), true) => ("AttachGroupPolicy", "GroupName", g),
                (None, Some(g), false) => ("DetachGroupPolicy", "GroupName", g),
                (None, None, _) => return Err(ClientError::Usage("name --user or --group".into())),
            };
            e.iam(action, &[(param, holder), ("PolicyArn", &arn)]).await?;
        }
    }
    Ok(())
}
