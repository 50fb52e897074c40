//! IAM identities: users, their access keys and their inline policies, kept in the metadata
//! store so that they move with the rest of the metadata when Arca scales out.
//!
//! A user's record lists its key ids and holds its inline policies, so that everything the
//! IAM API reads about a user is one row; `iam_keys` indexes the keys by id for the one
//! lookup every signed request makes. Secrets arrive wrapped (encrypted by the server, see
//! `arca-server`'s `secrets.rs`): the store never holds one in plain text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Store;
use super::accounts::read_account;
use super::iam_records::{RecordChange, read_record};
use crate::error::StoreResult;
use crate::kv::{KvRead, KvWrite};
use crate::record::{decode, encode};
use crate::tables::{IAM_ACCOUNTS, IAM_KEYS, IAM_USERS};

/// Most access keys a user may have, as IAM allows.
pub const MAX_ACCESS_KEYS: usize = 2;

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The user's name (unique in its account, compared as written).
    pub name: String,
    /// The unique id IAM shows (`AIDA…`) and `aws:userid` carries.
    pub id: String,
    /// The IAM path (`/` unless given).
    pub path: String,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
    /// The user's access key ids, oldest first.
    pub access_keys: Vec<String>,
    /// Inline policies by name, as written.
    pub inline_policies: BTreeMap<String, String>,
    /// The groups it is in, in the order it joined them (see `iam_groups.rs`).
    #[serde(default)]
    pub groups: Vec<String>,
    /// The names of the account's managed policies attached to it.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Its sign-in password, if an administrator set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_profile: Option<LoginProfile>,
}

/// A user's sign-in password: IAM's "login profile".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    /// The password's hash, as the server makes it (an Argon2id PHC string); never the
    /// password.
    pub password_hash: String,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
}

/// An access key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    /// The key's id (`AKIA…`).
    pub id: String,
    /// The account of its user.
    pub account: String,
    /// Its user's name; empty for the account's root user (see [`super::accounts`]).
    pub user: String,
    /// The secret, wrapped by the server.
    #[serde(with = "serde_bytes")]
    pub wrapped_secret: Vec<u8>,
    /// `Active` keys sign; `Inactive` ones are refused as unknown.
    pub active: bool,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
}

/// Why an identity change was refused, in IAM's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityRefusal {
    /// No such user, key or policy.
    #[error("{0}")]
    NoSuchEntity(String),
    /// The name is taken.
    #[error("{0}")]
    EntityAlreadyExists(String),
    /// The user still has keys or policies.
    #[error("{0}")]
    DeleteConflict(String),
    /// A limit (two keys per user).
    #[error("{0}")]
    LimitExceeded(String),
}

/// `account \0 name`: the key of users, groups and managed policies.
pub(crate) fn user_key(account: &str, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + 1 + name.len());
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.extend_from_slice(name.as_bytes());
    k
}

impl IdentityRefusal {
    /// IAM's refusal for a user that does not exist.
    pub fn no_user(name: &str) -> Self {
        IdentityRefusal::NoSuchEntity(format!("The user with name {name} cannot be found."))
    }

    /// IAM's refusal for a group that does not exist.
    pub fn no_group(name: &str) -> Self {
        IdentityRefusal::NoSuchEntity(format!("The group with name {name} cannot be found."))
    }
}

/// Changes the key list of a key's holder through `f`: the user `user` names, or the
/// account's root user when `user` is empty. `None` if there is no such holder.
fn change_holder_keys<R>(
    txn: &mut dyn KvWrite,
    account: &str,
    user: &str,
    f: impl FnOnce(&mut Vec<String>) -> R,
) -> StoreResult<Option<R>> {
    if user.is_empty() {
        let Some(mut root) = read_account(txn, account)? else {
            return Ok(None);
        };
        let r = f(&mut root.access_keys);
        txn.put(IAM_ACCOUNTS, account.as_bytes(), &encode(&root)?)?;
        return Ok(Some(r));
    }
    let Some(mut u) = read_user(txn, account, user)? else {
        return Ok(None);
    };
    let r = f(&mut u.access_keys);
    txn.put(IAM_USERS, &user_key(account, user), &encode(&u)?)?;
    Ok(Some(r))
}

pub(crate) fn read_user(txn: &dyn KvRead, account: &str, name: &str) -> StoreResult<Option<UserRecord>> {
    read_record(txn, IAM_USERS, account, name)
}

impl Store {
    /// Changes with every committed change to users and keys (never goes back): what was
    /// resolved at one generation is current while the generation is the same.
    pub fn identity_generation(&self) -> u64 {
        self.identity_generation.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn identities_changed(&self) {
        self.identity_generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Creates a user; `EntityAlreadyExists` if the name is taken in the account.
    pub async fn create_user(
        &self,
        account: &str,
        user: UserRecord,
    ) -> StoreResult<Result<UserRecord, IdentityRefusal>> {
        let taken = IdentityRefusal::EntityAlreadyExists(format!("User with name {} already exists.", user.name));
        let name = user.name.clone();
        self.create_record(IAM_USERS, account, &name, user, taken).await
    }

    /// The user, if it exists.
    pub fn get_user(&self, account: &str, name: &str) -> StoreResult<Option<UserRecord>> {
        self.get_record(IAM_USERS, account, name)
    }

    /// The account's users, by name.
    pub fn list_users(&self, account: &str) -> StoreResult<Vec<UserRecord>> {
        self.list_records(IAM_USERS, account)
    }

    /// Deletes a user that has no access keys, policies or groups left (IAM's rule).
    pub async fn delete_user(&self, account: &str, name: &str) -> StoreResult<Result<(), IdentityRefusal>> {
        self.delete_record(
            IAM_USERS,
            account,
            name,
            IdentityRefusal::no_user(name),
            |user: &UserRecord| {
                if !user.access_keys.is_empty()
                    || !user.inline_policies.is_empty()
                    || !user.attached_policies.is_empty()
                {
                    return Err(IdentityRefusal::DeleteConflict(
                        "Cannot delete entity, must delete access keys and policies first.".into(),
                    ));
                }
                if !user.groups.is_empty() {
                    return Err(IdentityRefusal::DeleteConflict(
                        "Cannot delete entity, must remove user from all groups first.".into(),
                    ));
                }
                if user.login_profile.is_some() {
                    return Err(IdentityRefusal::DeleteConflict(
                        "Cannot delete entity, must delete login profile first.".into(),
                    ));
                }
                Ok(())
            },
        )
        .await
    }

    /// Changes a user's record through `change`, which may refuse.
    async fn change_user(
        &self,
        account: &str,
        name: &str,
        change: RecordChange<UserRecord>,
    ) -> StoreResult<Result<UserRecord, IdentityRefusal>> {
        self.change_record(IAM_USERS, account, name, IdentityRefusal::no_user(name), change)
            .await
    }

    /// Sets a user's sign-in password (`create`: only where none is; otherwise only where one
    /// is), or with `None` deletes it.
    pub async fn set_login_profile(
        &self,
        account: &str,
        user: &str,
        profile: Option<LoginProfile>,
        create: bool,
    ) -> StoreResult<Result<UserRecord, IdentityRefusal>> {
        let name = user.to_string();
        self.change_user(
            account,
            user,
            Box::new(move |u| {
                match (create, u.login_profile.is_some()) {
                    (true, true) => {
                        return Err(IdentityRefusal::EntityAlreadyExists(format!(
                            "Login Profile for user {name} already exists."
                        )));
                    }
                    (false, false) => {
                        return Err(IdentityRefusal::NoSuchEntity(format!(
                            "Login Profile for User {name} cannot be found."
                        )));
                    }
                    _ => {}
                }
                u.login_profile = profile;
                Ok(())
            }),
        )
        .await
    }

    /// Sets (adds or replaces) an inline policy of a user.
    pub async fn put_user_policy(
        &self,
        account: &str,
        user: &str,
        policy_name: &str,
        text: String,
    ) -> StoreResult<Result<UserRecord, IdentityRefusal>> {
        let policy_name = policy_name.to_string();
        self.change_user(
            account,
            user,
            Box::new(move |u| {
                u.inline_policies.insert(policy_name, text);
                Ok(())
            }),
        )
        .await
    }

    /// Removes an inline policy of a user.
    pub async fn delete_user_policy(
        &self,
        account: &str,
        user: &str,
        policy_name: &str,
    ) -> StoreResult<Result<UserRecord, IdentityRefusal>> {
        let policy_name = policy_name.to_string();
        self.change_user(
            account,
            user,
            Box::new(move |u| match u.inline_policies.remove(&policy_name) {
                Some(_) => Ok(()),
                None => Err(IdentityRefusal::NoSuchEntity(format!(
                    "The user policy with name {policy_name} cannot be found."
                ))),
            }),
        )
        .await
    }

    /// Adds an access key to a user, or to an account's root user when `key.user` is empty
    /// (at most [`MAX_ACCESS_KEYS`] each).
    pub async fn create_access_key(
        &self,
        key: AccessKeyRecord,
    ) -> StoreResult<Result<AccessKeyRecord, IdentityRefusal>> {
        let outcome = self
            .meta
            .write(move |txn| {
                let added = change_holder_keys(txn, &key.account, &key.user, |keys| {
                    if keys.len() >= MAX_ACCESS_KEYS {
                        return false;
                    }
                    keys.push(key.id.clone());
                    true
                })?;
                match added {
                    None if key.user.is_empty() => Ok(Err(IdentityRefusal::NoSuchEntity(format!(
                        "The account with id {} cannot be found.",
                        key.account
                    )))),
                    None => Ok(Err(IdentityRefusal::no_user(&key.user))),
                    Some(false) => Ok(Err(IdentityRefusal::LimitExceeded(format!(
                        "Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"
                    )))),
                    Some(true) => {
                        txn.put(IAM_KEYS, key.id.as_bytes(), &encode(&key)?)?;
                        Ok(Ok(key))
                    }
                }
            })
            .await;
        self.identities_changed();
        outcome
    }

    /// An access key by id: the lookup every signed request makes.
    pub fn get_access_key(&self, id: &str) -> StoreResult<Option<AccessKeyRecord>> {
        self.meta
            .read(|txn| txn.get(IAM_KEYS, id.as_bytes())?.map(|v| decode(&v)).transpose())
    }

    /// Activates or deactivates a user's key.
    pub async fn set_access_key_active(
        &self,
        account: &str,
        user: &str,
        id: &str,
        active: bool,
    ) -> StoreResult<Result<(), IdentityRefusal>> {
        self.change_key(account, user, id, move |txn, key| {
            let mut key = key;
            key.active = active;
            txn.put(IAM_KEYS, key.id.as_bytes(), &encode(&key)?)?;
            Ok(())
        })
        .await
    }

    /// Deletes a user's key.
    pub async fn delete_access_key(
        &self,
        account: &str,
        user: &str,
        id: &str,
    ) -> StoreResult<Result<(), IdentityRefusal>> {
        let (account_s, user_s) = (account.to_string(), user.to_string());
        self.change_key(account, user, id, move |txn, key| {
            txn.delete(IAM_KEYS, key.id.as_bytes())?;
            change_holder_keys(txn, &account_s, &user_s, |keys| keys.retain(|k| *k != key.id))?;
            Ok(())
        })
        .await
    }

    /// Runs `f` on key `id` of the user, in one commit; `NoSuchEntity` if the user has no such
    /// key.
    async fn change_key<F>(&self, account: &str, user: &str, id: &str, f: F) -> StoreResult<Result<(), IdentityRefusal>>
    where
        F: FnOnce(&mut dyn crate::kv::KvWrite, AccessKeyRecord) -> StoreResult<()> + Send + 'static,
    {
        let (account, user, id) = (account.to_string(), user.to_string(), id.to_string());
        let outcome = self
            .meta
            .write(move |txn| {
                let key: Option<AccessKeyRecord> = txn.get(IAM_KEYS, id.as_bytes())?.map(|v| decode(&v)).transpose()?;
                match key {
                    Some(key) if key.account == account && key.user == user => {
                        f(txn, key)?;
                        Ok(Ok(()))
                    }
                    _ => Ok(Err(IdentityRefusal::NoSuchEntity(format!(
                        "The Access Key with id {id} cannot be found."
                    )))),
                }
            })
            .await;
        self.identities_changed();
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn key(id: &str, user: &str) -> AccessKeyRecord {
        AccessKeyRecord {
            id: id.into(),
            account: "000000000000".into(),
            user: user.into(),
            wrapped_secret: vec![1, 2, 3],
            active: true,
            created_ms: 0,
        }
    }

    #[tokio::test]
    async fn users_keys_and_policies_follow_iams_rules() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let a = "000000000000";
        s.create_user(a, user("alice")).await.unwrap().unwrap();
        assert!(matches!(
            s.create_user(a, user("alice")).await.unwrap(),
            Err(IdentityRefusal::EntityAlreadyExists(_))
        ));
        s.create_user("111122223333", user("alice")).await.unwrap().unwrap();
        assert_eq!(
            s.list_users(a).unwrap().len(),
            1,
            "accounts do not see each other's users"
        );

        s.create_access_key(key("AK1", "alice")).await.unwrap().unwrap();
        s.create_access_key(key("AK2", "alice")).await.unwrap().unwrap();
        assert!(matches!(
            s.create_access_key(key("AK3", "alice")).await.unwrap(),
            Err(IdentityRefusal::LimitExceeded(_))
        ));
        assert!(s.get_access_key("AK3").unwrap().is_none());
        s.set_access_key_active(a, "alice", "AK1", false)
            .await
            .unwrap()
            .unwrap();
        assert!(!s.get_access_key("AK1").unwrap().unwrap().active);
        assert!(matches!(
            s.set_access_key_active(a, "bob", "AK1", true).await.unwrap(),
            Err(IdentityRefusal::NoSuchEntity(_))
        ));

        s.put_user_policy(a, "alice", "read", "{}".into())
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            s.delete_user(a, "alice").await.unwrap(),
            Err(IdentityRefusal::DeleteConflict(_))
        ));
        s.delete_access_key(a, "alice", "AK1").await.unwrap().unwrap();
        s.delete_access_key(a, "alice", "AK2").await.unwrap().unwrap();
        s.delete_user_policy(a, "alice", "read").await.unwrap().unwrap();
        assert!(s.get_user(a, "alice").unwrap().unwrap().access_keys.is_empty());
        s.delete_user(a, "alice").await.unwrap().unwrap();
        assert!(s.get_user(a, "alice").unwrap().is_none());
        assert!(s.get_access_key("AK2").unwrap().is_none());
    }
}
