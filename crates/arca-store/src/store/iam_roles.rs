//! IAM roles: identities without keys of their own, assumed through STS by the principals
//! their trust policy names. A role holds a trust policy, inline policies and attached
//! managed policies (see `iam_policies.rs`); its sessions' credentials are not stored (the
//! server seals what a session is into its token).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Store;
use super::iam_records::{RecordChange, read_record};
use super::identities::IdentityRefusal;
use crate::error::StoreResult;
use crate::kv::KvRead;
use crate::tables::IAM_ROLES;

/// The default and the bounds of a role's longest session, in seconds (IAM's).
pub const ROLE_SESSION_SECONDS: (u32, u32, u32) = (3600, 3600, 43_200);

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRecord {
    /// The role's name (unique in its account, compared as written).
    pub name: String,
    /// The unique id IAM shows (`AROA…`), the first part of a session's `aws:userid`.
    pub id: String,
    /// The IAM path (`/` unless given).
    pub path: String,
    /// What the role is for.
    pub description: String,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
    /// Who may assume it: a policy whose principals may call `sts:AssumeRole`, as written.
    pub trust_policy: String,
    /// The longest session a caller may ask for, in seconds.
    pub max_session_seconds: u32,
    /// Inline policies by name, as written.
    pub inline_policies: BTreeMap<String, String>,
    /// The names of the account's managed policies attached to it.
    pub attached_policies: Vec<String>,
}

impl IdentityRefusal {
    /// IAM's refusal for a role that does not exist.
    pub fn no_role(name: &str) -> Self {
        IdentityRefusal::NoSuchEntity(format!("The role with name {name} cannot be found."))
    }
}

pub(crate) fn read_role(txn: &dyn KvRead, account: &str, name: &str) -> StoreResult<Option<RoleRecord>> {
    read_record(txn, IAM_ROLES, account, name)
}

impl Store {
    /// Creates a role; `EntityAlreadyExists` if the name is taken in the account.
    pub async fn create_role(
        &self,
        account: &str,
        role: RoleRecord,
    ) -> StoreResult<Result<RoleRecord, IdentityRefusal>> {
        let taken = IdentityRefusal::EntityAlreadyExists(format!("Role with name {} already exists.", role.name));
        let name = role.name.clone();
        self.create_record(IAM_ROLES, account, &name, role, taken).await
    }

    /// The role, if it exists.
    pub fn get_role(&self, account: &str, name: &str) -> StoreResult<Option<RoleRecord>> {
        self.get_record(IAM_ROLES, account, name)
    }

    /// The account's roles, by name.
    pub fn list_roles(&self, account: &str) -> StoreResult<Vec<RoleRecord>> {
        self.list_records(IAM_ROLES, account)
    }

    /// Deletes a role that has no policies left (IAM's rule).
    pub async fn delete_role(&self, account: &str, name: &str) -> StoreResult<Result<(), IdentityRefusal>> {
        self.delete_record(
            IAM_ROLES,
            account,
            name,
            IdentityRefusal::no_role(name),
            |role: &RoleRecord| {
                if !role.inline_policies.is_empty() || !role.attached_policies.is_empty() {
                    return Err(IdentityRefusal::DeleteConflict(
                        "Cannot delete entity, must delete policies first.".into(),
                    ));
                }
                Ok(())
            },
        )
        .await
    }

    /// Changes a role's record through `change`, which may refuse.
    pub async fn change_role(
        &self,
        account: &str,
        name: &str,
        change: RecordChange<RoleRecord>,
    ) -> StoreResult<Result<RoleRecord, IdentityRefusal>> {
        self.change_record(IAM_ROLES, account, name, IdentityRefusal::no_role(name), change)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PolicyHolder;
    use crate::store::iam_policies::{ManagedPolicyRecord, PolicyVersion};

    const A: &str = "000000000000";

    fn role(name: &str) -> RoleRecord {
        RoleRecord {
            name: name.into(),
            id: format!("AROA{name}"),
            path: "/".into(),
            description: String::new(),
            created_ms: 0,
            trust_policy: "{}".into(),
            max_session_seconds: 3600,
            inline_policies: BTreeMap::new(),
            attached_policies: Vec::new(),
        }
    }

    #[tokio::test]
    async fn roles_follow_iams_rules() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_role(A, role("reader")).await.unwrap().unwrap();
        assert!(matches!(
            s.create_role(A, role("reader")).await.unwrap(),
            Err(IdentityRefusal::EntityAlreadyExists(_))
        ));
        s.change_role(
            A,
            "reader",
            Box::new(|r| {
                r.inline_policies.insert("p".into(), "{}".into());
                Ok(())
            }),
        )
        .await
        .unwrap()
        .unwrap();
        let policy = ManagedPolicyRecord {
            name: "read".into(),
            id: "ANPA1".into(),
            path: "/".into(),
            description: String::new(),
            created_ms: 0,
            updated_ms: 0,
            default_version: 1,
            versions: vec![PolicyVersion {
                number: 1,
                document: "{}".into(),
                created_ms: 0,
            }],
            next_version: 2,
            attachments: 0,
        };
        s.create_policy(A, policy).await.unwrap().unwrap();
        s.attach_policy(A, PolicyHolder::Role("reader"), "read")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.get_role(A, "reader").unwrap().unwrap().attached_policies, ["read"]);
        assert!(matches!(
            s.delete_role(A, "reader").await.unwrap(),
            Err(IdentityRefusal::DeleteConflict(_))
        ));
        s.detach_policy(A, PolicyHolder::Role("reader"), "read")
            .await
            .unwrap()
            .unwrap();
        s.change_role(
            A,
            "reader",
            Box::new(|r| {
                r.inline_policies.clear();
                Ok(())
            }),
        )
        .await
        .unwrap()
        .unwrap();
        s.delete_role(A, "reader").await.unwrap().unwrap();
        assert!(s.list_roles(A).unwrap().is_empty());
        assert!(matches!(
            s.delete_role(A, "reader").await.unwrap(),
            Err(IdentityRefusal::NoSuchEntity(_))
        ));
    }
}
