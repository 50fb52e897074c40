//! IAM groups: their members, inline policies and attached managed policies.
//!
//! Membership is written on both sides in one commit — the group lists its users and each
//! user lists its groups — so that resolving a signer's policies reads the user and then
//! only its own groups, and listing a group's users reads one row.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Store;
use super::iam_records::{RecordChange, read_record};
use super::identities::{IdentityRefusal, read_user, user_key};
use crate::error::StoreResult;
use crate::kv::KvRead;
use crate::record::encode;
use crate::tables::{IAM_GROUPS, IAM_USERS};

/// Most groups a user may be in, as IAM allows.
pub const MAX_GROUPS_PER_USER: usize = 10;

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRecord {
    /// The group's name (unique in its account).
    pub name: String,
    /// The unique id IAM shows (`AGPA…`).
    pub id: String,
    /// The IAM path (`/` unless given).
    pub path: String,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
    /// Its users' names, in the order they were added.
    pub members: Vec<String>,
    /// Inline policies by name, as written.
    pub inline_policies: BTreeMap<String, String>,
    /// The names of the account's managed policies attached to it.
    pub attached_policies: Vec<String>,
}

pub(crate) fn read_group(txn: &dyn KvRead, account: &str, name: &str) -> StoreResult<Option<GroupRecord>> {
    read_record(txn, IAM_GROUPS, account, name)
}

impl Store {
    /// Creates a group; `EntityAlreadyExists` if the name is taken in the account.
    pub async fn create_group(
        &self,
        account: &str,
        group: GroupRecord,
    ) -> StoreResult<Result<GroupRecord, IdentityRefusal>> {
        let taken = IdentityRefusal::EntityAlreadyExists(format!("Group with name {} already exists.", group.name));
        let name = group.name.clone();
        self.create_record(IAM_GROUPS, account, &name, group, taken).await
    }

    /// The group, if it exists.
    pub fn get_group(&self, account: &str, name: &str) -> StoreResult<Option<GroupRecord>> {
        self.get_record(IAM_GROUPS, account, name)
    }

    /// The account's groups, by name.
    pub fn list_groups(&self, account: &str) -> StoreResult<Vec<GroupRecord>> {
        self.list_records(IAM_GROUPS, account)
    }

    /// Deletes a group that has no members and no policies left (IAM's rule).
    pub async fn delete_group(&self, account: &str, name: &str) -> StoreResult<Result<(), IdentityRefusal>> {
        self.delete_record(
            IAM_GROUPS,
            account,
            name,
            IdentityRefusal::no_group(name),
            |group: &GroupRecord| {
                if !group.members.is_empty() {
                    return Err(IdentityRefusal::DeleteConflict(
                        "Cannot delete entity, must remove users from group first.".into(),
                    ));
                }
                if !group.inline_policies.is_empty() || !group.attached_policies.is_empty() {
                    return Err(IdentityRefusal::DeleteConflict(
                        "Cannot delete entity, must delete policies first.".into(),
                    ));
                }
                Ok(())
            },
        )
        .await
    }

    /// Adds a user to a group (nothing to do if it is a member already).
    pub async fn add_user_to_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> StoreResult<Result<(), IdentityRefusal>> {
        self.change_membership(account, group, user, true).await
    }

    /// Removes a user from a group; `NoSuchEntity` if it is not a member.
    pub async fn remove_user_from_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> StoreResult<Result<(), IdentityRefusal>> {
        self.change_membership(account, group, user, false).await
    }

    async fn change_membership(
        &self,
        account: &str,
        group_name: &str,
        user_name: &str,
        member: bool,
    ) -> StoreResult<Result<(), IdentityRefusal>> {
        let (account, group_name, user_name) = (account.to_string(), group_name.to_string(), user_name.to_string());
        let outcome = self
            .meta
            .write(move |txn| {
                let Some(mut group) = read_group(txn, &account, &group_name)? else {
                    return Ok(Err(IdentityRefusal::no_group(&group_name)));
                };
                let Some(mut user) = read_user(txn, &account, &user_name)? else {
                    return Ok(Err(IdentityRefusal::no_user(&user_name)));
                };
                let is_member = group.members.contains(&user_name);
                match (member, is_member) {
                    (true, true) => return Ok(Ok(())),
                    (true, false) if user.groups.len() >= MAX_GROUPS_PER_USER => {
                        return Ok(Err(IdentityRefusal::LimitExceeded(format!(
                            "Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
                        ))));
                    }
                    (true, false) => {
                        group.members.push(user_name.clone());
                        user.groups.push(group_name.clone());
                    }
                    (false, false) => {
                        return Ok(Err(IdentityRefusal::NoSuchEntity(format!(
                            "The user with name {user_name} cannot be found in group {group_name}."
                        ))));
                    }
                    (false, true) => {
                        group.members.retain(|m| *m != user_name);
                        user.groups.retain(|g| *g != group_name);
                    }
                }
                txn.put(IAM_GROUPS, &user_key(&account, &group_name), &encode(&group)?)?;
                txn.put(IAM_USERS, &user_key(&account, &user_name), &encode(&user)?)?;
                Ok(Ok(()))
            })
            .await;
        self.identities_changed();
        outcome
    }

    /// Changes a group's record through `change`, which may refuse.
    async fn change_group(
        &self,
        account: &str,
        name: &str,
        change: RecordChange<GroupRecord>,
    ) -> StoreResult<Result<GroupRecord, IdentityRefusal>> {
        self.change_record(IAM_GROUPS, account, name, IdentityRefusal::no_group(name), change)
            .await
    }

    /// Sets (adds or replaces) an inline policy of a group.
    pub async fn put_group_policy(
        &self,
        account: &str,
        group: &str,
        policy_name: &str,
        text: String,
    ) -> StoreResult<Result<GroupRecord, IdentityRefusal>> {
        let policy_name = policy_name.to_string();
        self.change_group(
            account,
            group,
            Box::new(move |g| {
                g.inline_policies.insert(policy_name, text);
                Ok(())
            }),
        )
        .await
    }

    /// Removes an inline policy of a group.
    pub async fn delete_group_policy(
        &self,
        account: &str,
        group: &str,
        policy_name: &str,
    ) -> StoreResult<Result<GroupRecord, IdentityRefusal>> {
        let policy_name = policy_name.to_string();
        self.change_group(
            account,
            group,
            Box::new(move |g| match g.inline_policies.remove(&policy_name) {
                Some(_) => Ok(()),
                None => Err(IdentityRefusal::NoSuchEntity(format!(
                    "The group policy with name {policy_name} cannot be found."
                ))),
            }),
        )
        .await
    }
}
