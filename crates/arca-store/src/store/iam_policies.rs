//! IAM managed policies: named documents with versions, attached to users and groups.
//!
//! A policy keeps up to five versions, one of them the default (the one evaluated). Its
//! record counts its attachments, changed in the same commit as the user's or group's list of
//! attached policies, so that a policy still attached cannot be deleted and `GetPolicy` shows
//! the count without a scan.

use serde::{Deserialize, Serialize};

use super::Store;
use super::iam_groups::read_group;
use super::iam_records::{RecordChange, read_record};
use super::iam_roles::read_role;
use super::identities::{IdentityRefusal, read_user, user_key};
use crate::error::StoreResult;
use crate::kv::KvRead;
use crate::record::encode;
use crate::tables::{IAM_GROUPS, IAM_POLICIES, IAM_ROLES, IAM_USERS};

/// Most versions a managed policy keeps, as IAM allows.
pub const MAX_POLICY_VERSIONS: usize = 5;
/// Most managed policies attached to one user or group, as IAM allows.
pub const MAX_ATTACHED_POLICIES: usize = 10;

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, … (never reused).
    pub number: u32,
    /// The document, as written.
    pub document: String,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicyRecord {
    /// The policy's name (unique in its account).
    pub name: String,
    /// The unique id IAM shows (`ANPA…`).
    pub id: String,
    /// The IAM path (`/` unless given).
    pub path: String,
    /// The description given at creation.
    pub description: String,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
    /// When a version was last added or made the default.
    pub updated_ms: i64,
    /// The number of the default version.
    pub default_version: u32,
    /// The versions, oldest first.
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets.
    pub next_version: u32,
    /// Users and groups it is attached to.
    pub attachments: u32,
}

impl ManagedPolicyRecord {
    /// The version evaluated.
    pub fn default_document(&self) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| v.number == self.default_version)
            .map(|v| v.document.as_str())
    }
}

/// A user or a group, as a target of attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyHolder<'a> {
    /// A user, by name.
    User(&'a str),
    /// A group, by name.
    Group(&'a str),
    /// A role, by name.
    Role(&'a str),
}

fn no_policy(account: &str, name: &str) -> IdentityRefusal {
    IdentityRefusal::NoSuchEntity(format!("Policy arn:aws:iam::{account}:policy/{name} does not exist."))
}

fn read_policy(txn: &dyn KvRead, account: &str, name: &str) -> StoreResult<Option<ManagedPolicyRecord>> {
    read_record(txn, IAM_POLICIES, account, name)
}

impl Store {
    /// Creates a managed policy with its first version; `EntityAlreadyExists` if the name is
    /// taken in the account.
    pub async fn create_policy(
        &self,
        account: &str,
        policy: ManagedPolicyRecord,
    ) -> StoreResult<Result<ManagedPolicyRecord, IdentityRefusal>> {
        let taken = IdentityRefusal::EntityAlreadyExists(format!(
            "A policy called {} already exists. Duplicate names are not allowed.",
            policy.name
        ));
        let name = policy.name.clone();
        self.create_record(IAM_POLICIES, account, &name, policy, taken).await
    }

    /// The policy, if it exists.
    pub fn get_policy(&self, account: &str, name: &str) -> StoreResult<Option<ManagedPolicyRecord>> {
        self.get_record(IAM_POLICIES, account, name)
    }

    /// The account's managed policies, by name.
    pub fn list_policies(&self, account: &str) -> StoreResult<Vec<ManagedPolicyRecord>> {
        self.list_records(IAM_POLICIES, account)
    }

    /// Deletes a policy attached to nothing and left with its default version only (IAM's
    /// rule).
    pub async fn delete_policy(&self, account: &str, name: &str) -> StoreResult<Result<(), IdentityRefusal>> {
        self.delete_record(IAM_POLICIES, account, name, no_policy(account, name), |policy: &ManagedPolicyRecord| {
            if policy.attachments > 0 {
                return Err(IdentityRefusal::DeleteConflict(
                    "Cannot delete a policy attached to entities.".into(),
                ));
            }
            if policy.versions.len() > 1 {
                return Err(IdentityRefusal::DeleteConflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".into(),
                ));
            }
            Ok(())
        })
        .await
    }

    async fn change_policy(
        &self,
        account: &str,
        name: &str,
        change: RecordChange<ManagedPolicyRecord>,
    ) -> StoreResult<Result<ManagedPolicyRecord, IdentityRefusal>> {
        self.change_record(IAM_POLICIES, account, name, no_policy(account, name), change)
            .await
    }

    /// Adds a version (at most [`MAX_POLICY_VERSIONS`]), the default one if `set_default`.
    pub async fn create_policy_version(
        &self,
        account: &str,
        name: &str,
        document: String,
        set_default: bool,
        now_ms: i64,
    ) -> StoreResult<Result<ManagedPolicyRecord, IdentityRefusal>> {
        self.change_policy(
            account,
            name,
            Box::new(move |p| {
                if p.versions.len() >= MAX_POLICY_VERSIONS {
                    return Err(IdentityRefusal::LimitExceeded(format!(
                        "A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version."
                    )));
                }
                let number = p.next_version;
                p.next_version += 1;
                p.versions.push(PolicyVersion {
                    number,
                    document,
                    created_ms: now_ms,
                });
                if set_default {
                    p.default_version = number;
                }
                p.updated_ms = now_ms;
                Ok(())
            }),
        )
        .await
    }

    /// Deletes a version that is not the default.
    pub async fn delete_policy_version(
        &self,
        account: &str,
        name: &str,
        number: u32,
    ) -> StoreResult<Result<ManagedPolicyRecord, IdentityRefusal>> {
        self.change_policy(
            account,
            name,
            Box::new(move |p| {
                if p.default_version == number {
                    return Err(IdentityRefusal::DeleteConflict(
                        "Cannot delete the default version of a policy.".into(),
                    ));
                }
                let before = p.versions.len();
                p.versions.retain(|v| v.number != number);
                if p.versions.len() == before {
                    return Err(no_version(number));
                }
                Ok(())
            }),
        )
        .await
    }

    /// Makes a version the default.
    pub async fn set_default_policy_version(
        &self,
        account: &str,
        name: &str,
        number: u32,
        now_ms: i64,
    ) -> StoreResult<Result<ManagedPolicyRecord, IdentityRefusal>> {
        self.change_policy(
            account,
            name,
            Box::new(move |p| {
                if !p.versions.iter().any(|v| v.number == number) {
                    return Err(no_version(number));
                }
                p.default_version = number;
                p.updated_ms = now_ms;
                Ok(())
            }),
        )
        .await
    }

    /// Attaches policy `name` to a user, group or role (nothing to do if attached already).
    pub async fn attach_policy(
        &self,
        account: &str,
        holder: PolicyHolder<'_>,
        name: &str,
    ) -> StoreResult<Result<(), IdentityRefusal>> {
        self.change_attachment(account, holder, name, true).await
    }

    /// Detaches policy `name` from a user, group or role; `NoSuchEntity` if it is not attached.
    pub async fn detach_policy(
        &self,
        account: &str,
        holder: PolicyHolder<'_>,
        name: &str,
    ) -> StoreResult<Result<(), IdentityRefusal>> {
        self.change_attachment(account, holder, name, false).await
    }

    async fn change_attachment(
        &self,
        account: &str,
        holder: PolicyHolder<'_>,
        name: &str,
        attach: bool,
    ) -> StoreResult<Result<(), IdentityRefusal>> {
        let (account, name) = (account.to_string(), name.to_string());
        let (kind, holder_name) = match holder {
            PolicyHolder::User(n) => (HolderKind::User, n.to_string()),
            PolicyHolder::Group(n) => (HolderKind::Group, n.to_string()),
            PolicyHolder::Role(n) => (HolderKind::Role, n.to_string()),
        };
        let outcome = self
            .meta
            .write(move |txn| {
                let Some(mut policy) = read_policy(txn, &account, &name)? else {
                    return Ok(Err(no_policy(&account, &name)));
                };
                let holder_key = user_key(&account, &holder_name);
                // The holder's list of attached policies, read and written back as its record.
                let mut user = None;
                let mut group = None;
                let mut role = None;
                let attached = match kind {
                    HolderKind::User => {
                        let Some(u) = read_user(txn, &account, &holder_name)? else {
                            return Ok(Err(IdentityRefusal::no_user(&holder_name)));
                        };
                        &mut user.insert(u).attached_policies
                    }
                    HolderKind::Group => {
                        let Some(g) = read_group(txn, &account, &holder_name)? else {
                            return Ok(Err(IdentityRefusal::no_group(&holder_name)));
                        };
                        &mut group.insert(g).attached_policies
                    }
                    HolderKind::Role => {
                        let Some(r) = read_role(txn, &account, &holder_name)? else {
                            return Ok(Err(IdentityRefusal::no_role(&holder_name)));
                        };
                        &mut role.insert(r).attached_policies
                    }
                };
                let is_attached = attached.contains(&name);
                match (attach, is_attached) {
                    (true, true) => return Ok(Ok(())),
                    (true, false) if attached.len() >= MAX_ATTACHED_POLICIES => {
                        let quota = match kind {
                            HolderKind::User => "PoliciesPerUser",
                            HolderKind::Group => "PoliciesPerGroup",
                            HolderKind::Role => "PoliciesPerRole",
                        };
                        return Ok(Err(IdentityRefusal::LimitExceeded(format!(
                            "Cannot exceed quota for {quota}: {MAX_ATTACHED_POLICIES}"
                        ))));
                    }
                    (true, false) => {
                        attached.push(name.clone());
                        policy.attachments += 1;
                    }
                    (false, false) => {
                        return Ok(Err(IdentityRefusal::NoSuchEntity(format!(
                            "Policy arn:aws:iam::{account}:policy/{name} was not found."
                        ))));
                    }
                    (false, true) => {
                        attached.retain(|p| *p != name);
                        policy.attachments = policy.attachments.saturating_sub(1);
                    }
                }
                if let Some(u) = &user {
                    txn.put(IAM_USERS, &holder_key, &encode(u)?)?;
                }
                if let Some(g) = &group {
                    txn.put(IAM_GROUPS, &holder_key, &encode(g)?)?;
                }
                if let Some(r) = &role {
                    txn.put(IAM_ROLES, &holder_key, &encode(r)?)?;
                }
                txn.put(IAM_POLICIES, &user_key(&account, &name), &encode(&policy)?)?;
                Ok(Ok(()))
            })
            .await;
        self.identities_changed();
        outcome
    }
}

/// Which kind of entity a [`PolicyHolder`] is, once its name is owned.
#[derive(Clone, Copy)]
enum HolderKind {
    User,
    Group,
    Role,
}

fn no_version(number: u32) -> IdentityRefusal {
    IdentityRefusal::NoSuchEntity(format!("Policy version v{number} does not exist."))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::store::iam_groups::GroupRecord;
    use crate::store::identities::UserRecord;

    const A: &str = "000000000000";

    fn user(name: &str) -> UserRecord {
        UserRecord {
            name: name.into(),
            id: format!("AIDA{name}"),
            path: "/".into(),
            created_ms: 0,
            access_keys: Vec::new(),
            inline_policies: BTreeMap::new(),
            groups: Vec::new(),
            attached_policies: Vec::new(),
            login_profile: None,
        }
    }

    fn group(name: &str) -> GroupRecord {
        GroupRecord {
            name: name.into(),
            id: format!("AGPA{name}"),
            path: "/".into(),
            created_ms: 0,
            members: Vec::new(),
            inline_policies: BTreeMap::new(),
            attached_policies: Vec::new(),
        }
    }

    fn policy(name: &str) -> ManagedPolicyRecord {
        ManagedPolicyRecord {
            name: name.into(),
            id: format!("ANPA{name}"),
            path: "/".into(),
            description: String::new(),
            created_ms: 0,
            updated_ms: 0,
            default_version: 1,
            versions: vec![PolicyVersion {
                number: 1,
                document: "v1".into(),
                created_ms: 0,
            }],
            next_version: 2,
            attachments: 0,
        }
    }

    fn refusal<T: std::fmt::Debug>(r: StoreResult<Result<T, IdentityRefusal>>) -> IdentityRefusal {
        r.unwrap().unwrap_err()
    }

    #[tokio::test]
    async fn groups_membership_and_deletion_rules() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_user(A, user("alice")).await.unwrap().unwrap();
        s.create_group(A, group("readers")).await.unwrap().unwrap();
        assert!(matches!(
            refusal(s.create_group(A, group("readers")).await),
            IdentityRefusal::EntityAlreadyExists(_)
        ));
        s.add_user_to_group(A, "readers", "alice").await.unwrap().unwrap();
        // Adding twice changes nothing.
        s.add_user_to_group(A, "readers", "alice").await.unwrap().unwrap();
        assert_eq!(s.get_group(A, "readers").unwrap().unwrap().members, ["alice"]);
        assert_eq!(s.get_user(A, "alice").unwrap().unwrap().groups, ["readers"]);
        assert!(matches!(
            refusal(s.add_user_to_group(A, "readers", "bob").await),
            IdentityRefusal::NoSuchEntity(_)
        ));
        assert!(matches!(
            refusal(s.delete_group(A, "readers").await),
            IdentityRefusal::DeleteConflict(_)
        ));
        assert!(matches!(
            refusal(s.delete_user(A, "alice").await),
            IdentityRefusal::DeleteConflict(_)
        ));
        s.put_group_policy(A, "readers", "read", "{}".into())
            .await
            .unwrap()
            .unwrap();
        s.remove_user_from_group(A, "readers", "alice").await.unwrap().unwrap();
        assert!(matches!(
            refusal(s.remove_user_from_group(A, "readers", "alice").await),
            IdentityRefusal::NoSuchEntity(_)
        ));
        assert!(s.get_user(A, "alice").unwrap().unwrap().groups.is_empty());
        assert!(matches!(
            refusal(s.delete_group(A, "readers").await),
            IdentityRefusal::DeleteConflict(_)
        ));
        s.delete_group_policy(A, "readers", "read").await.unwrap().unwrap();
        s.delete_group(A, "readers").await.unwrap().unwrap();
        assert!(s.list_groups(A).unwrap().is_empty());
        s.delete_user(A, "alice").await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn managed_policies_versions_and_attachments() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_user(A, user("alice")).await.unwrap().unwrap();
        s.create_group(A, group("team")).await.unwrap().unwrap();
        s.create_policy(A, policy("read")).await.unwrap().unwrap();
        assert!(matches!(
            refusal(s.create_policy(A, policy("read")).await),
            IdentityRefusal::EntityAlreadyExists(_)
        ));

        for n in 2..=5 {
            let p = s
                .create_policy_version(A, "read", format!("v{n}"), n == 3, 0)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(p.versions.len(), n as usize);
        }
        assert!(matches!(
            refusal(s.create_policy_version(A, "read", "v6".into(), false, 0).await),
            IdentityRefusal::LimitExceeded(_)
        ));
        let p = s.get_policy(A, "read").unwrap().unwrap();
        assert_eq!(p.default_document(), Some("v3"));
        assert!(matches!(
            refusal(s.delete_policy_version(A, "read", 3).await),
            IdentityRefusal::DeleteConflict(_)
        ));
        s.set_default_policy_version(A, "read", 5, 1).await.unwrap().unwrap();
        for n in 1..=4 {
            s.delete_policy_version(A, "read", n).await.unwrap().unwrap();
        }
        assert!(matches!(
            refusal(s.delete_policy_version(A, "read", 4).await),
            IdentityRefusal::NoSuchEntity(_)
        ));

        s.attach_policy(A, PolicyHolder::User("alice"), "read")
            .await
            .unwrap()
            .unwrap();
        s.attach_policy(A, PolicyHolder::User("alice"), "read")
            .await
            .unwrap()
            .unwrap();
        s.attach_policy(A, PolicyHolder::Group("team"), "read")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.get_policy(A, "read").unwrap().unwrap().attachments, 2);
        assert_eq!(s.get_user(A, "alice").unwrap().unwrap().attached_policies, ["read"]);
        assert!(matches!(
            refusal(s.attach_policy(A, PolicyHolder::User("alice"), "nope").await),
            IdentityRefusal::NoSuchEntity(_)
        ));
        assert!(matches!(
            refusal(s.delete_policy(A, "read").await),
            IdentityRefusal::DeleteConflict(_)
        ));
        assert!(matches!(
            refusal(s.delete_user(A, "alice").await),
            IdentityRefusal::DeleteConflict(_)
        ));
        s.detach_policy(A, PolicyHolder::User("alice"), "read")
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            refusal(s.detach_policy(A, PolicyHolder::User("alice"), "read").await),
            IdentityRefusal::NoSuchEntity(_)
        ));
        s.detach_policy(A, PolicyHolder::Group("team"), "read")
            .await
            .unwrap()
            .unwrap();
        s.delete_policy(A, "read").await.unwrap().unwrap();
        assert!(s.list_policies(A).unwrap().is_empty());
    }
}
