//! `arca admin group …`: IAM groups and their members. Policies are attached to a group with
//! `arca admin policy attach NAME --group GROUP`.

use clap::Subcommand;

use crate::error::ClientError;
use crate::signed::{SignedEndpoint, xml_texts};

/// `arca admin group …`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Add {
        /// The group's name.
        name: String,
    },
    /// List the groups.
    Ls,
    /// A group's members and the managed policies attached to it.
    Show {
        /// The group's name.
        name: String,
    },
    /// Delete a group (its members and policies must be gone first).
    Rm {
        /// The group's name.
        name: String,
    },
    /// Put a user in a group: they get the group's permissions on their next request.
    AddUser {
        /// The group's name.
        group: String,
        /// The user's name.
        user: String,
    },
    /// Take a user out of a group.
    RmUser {
        /// The group's name.
        group: String,
        /// The user's name.
        user: String,
    },
}

pub(super) async fn run(e: &SignedEndpoint, cmd: &GroupCommand) -> Result<(), ClientError> {
    match cmd {
        GroupCommand::Add { name } => {
            let answer = e.iam("CreateGroup", &[("GroupName", name)]).await?;
            println!("created group {}", xml_texts(&answer, "Arn").concat());
        }
        GroupCommand::Ls => {
            let answer = e.iam("ListGroups", &[]).await?;
            for name in xml_texts(&answer, "GroupName") {
                println!("{name}");
            }
        }
        GroupCommand::Show { name } => {
            let group = e.iam("GetGroup", &[("GroupName", name)]).await?;
            let users = group.split_once("<Users>").map_or("", |(_, rest)| rest);
            println!("members: {}", xml_texts(users, "UserName").join(", "));
            let attached = e.iam("ListAttachedGroupPolicies", &[("GroupName", name)]).await?;
            println!("managed policies: {}", xml_texts(&attached, "PolicyName").join(", "));
            let inline = e.iam("ListGroupPolicies", &[("GroupName", name)]).await?;
            println!("inline policies: {}", xml_texts(&inline, "member").join(", "));
        }
        GroupCommand::Rm { name } => {
            e.iam("DeleteGroup", &[("GroupName", name)]).await?;
        }
        GroupCommand::AddUser { group, user } => {
            e.iam("AddUserToGroup", &[("GroupName", group), ("UserName", user)])
                .await?;
        }
        GroupCommand::RmUser { group, user } => {
            e.iam("RemoveUserFromGroup", &[("GroupName", group), ("UserName", user)])
                .await?;
        }
    }
    Ok(())
}
