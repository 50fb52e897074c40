//! IAM groups: their members, inline policies and attached managed policies.
//!
//! Membership is written on both sides in one commit — the group lists its users and each
//! user lists its groups — so that resolving a signer's policies reads the user and then
//! only its own groups, and listing a group's users reads one row.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use super::Store;
use super::identities::{IdentityRefusal, no_user, read_user, user_key};
use crate::error::StoreResult;
use crate::kv::{Direction, KvRead, prefix_end, prefix_range};
use crate::record::{decode, encode};
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

pub(crate) fn no_group(name: &str) -> IdentityRefusal {
    IdentityRefusal::NoSuchEntity(format!("The group with name {name} cannot be found."))
}

pub(crate) fn read_group(txn: &dyn KvRead, account: &str, name: &str) -> StoreResult<Option<GroupRecord>> {
    txn.get(IAM_GROUPS, &user_key(account, name))?
        .map(|v| decode(&v))
        .transpose()
}

/// What a change does to a group's record: refuse, or change it.
type GroupChange = Box<dyn FnOnce(&mut GroupRecord) -> Result<(), IdentityRefusal> + Send>;

impl Store {
    /// Creates a group; `EntityAlreadyExists` if the name is taken in the account.
    pub async fn create_group(
        &self,
        account: &str,
        group: GroupRecord,
    ) -> StoreResult<Result<GroupRecord, IdentityRefusal>> {
        let k = user_key(account, &group.name);
        let outcome = self
            .meta
            .write(move |txn| {
                if txn.get(IAM_GROUPS, &k)?.is_some() {
                    return Ok(Err(IdentityRefusal::EntityAlreadyExists(format!(
                        "Group with name {} already exists.",
                        group.name
                    ))));
                }
                txn.put(IAM_GROUPS, &k, &encode(&group)?)?;
                Ok(Ok(group))
            })
            .await;
        self.identities_changed();
        outcome
    }

    /// The group, if it exists.
    pub fn get_group(&self, account: &str, name: &str) -> StoreResult<Option<GroupRecord>> {
        self.meta.read(|txn| read_group(txn, account, name))
    }

    /// The account's groups, by name.
    pub fn list_groups(&self, account: &str) -> StoreResult<Vec<GroupRecord>> {
        let prefix = user_key(account, "");
        let end = prefix_end(&prefix);
        self.meta.read(|txn| {
            let mut groups = Vec::new();
            txn.scan(
                IAM_GROUPS,
                prefix_range(&prefix, &end),
                Direction::Forward,
                &mut |_, v| {
                    groups.push(decode(v)?);
                    Ok(ControlFlow::Continue(()))
                },
            )?;
            Ok(groups)
        })
    }

    /// Deletes a group that has no members and no policies left (IAM's rule).
    pub async fn delete_group(&self, account: &str, name: &str) -> StoreResult<Result<(), IdentityRefusal>> {
        let (account, name) = (account.to_string(), name.to_string());
        let outcome = self
            .meta
            .write(move |txn| {
                let Some(group) = read_group(txn, &account, &name)? else {
                    return Ok(Err(no_group(&name)));
                };
                if !group.members.is_empty() {
                    return Ok(Err(IdentityRefusal::DeleteConflict(
                        "Cannot delete entity, must remove users from group first.".into(),
                    )));
                }
                if !group.inline_policies.is_empty() || !group.attached_policies.is_empty() {
                    return Ok(Err(IdentityRefusal::DeleteConflict(
                        "Cannot delete entity, must delete policies first.".into(),
                    )));
                }
                txn.delete(IAM_GROUPS, &user_key(&account, &name))?;
                Ok(Ok(()))
            })
            .await;
        self.identities_changed();
        outcome
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
                    return Ok(Err(no_group(&group_name)));
                };
                let Some(mut user) = read_user(txn, &account, &user_name)? else {
                    return Ok(Err(no_user(&user_name)));
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
        change: GroupChange,
    ) -> StoreResult<Result<GroupRecord, IdentityRefusal>> {
        let (account, name) = (account.to_string(), name.to_string());
        let outcome = self
            .meta
            .write(move |txn| {
                let Some(mut group) = read_group(txn, &account, &name)? else {
                    return Ok(Err(no_group(&name)));
                };
                if let Err(e) = change(&mut group) {
                    return Ok(Err(e));
                }
                txn.put(IAM_GROUPS, &user_key(&account, &name), &encode(&group)?)?;
                Ok(Ok(group))
            })
            .await;
        self.identities_changed();
        outcome
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
