//! Accounts: what owns buckets and holds IAM users, groups and policies, as an AWS account
//! does. Principals of one account see nothing of another's unless a policy grants it.
//!
//! Every account is a row of `iam_accounts`, listing its root user's access keys: keys whose
//! `user` is empty (see [`AccessKeyRecord`](super::AccessKeyRecord)). The first account is the
//! server's own, stored on the first start of a data folder ([`Store::ensure_first_account`]);
//! its root user signs with the key pair of `root-credentials.toml` (or the environment),
//! not with stored keys. The operator adds the others.

use std::ops::{Bound, ControlFlow};

use serde::{Deserialize, Serialize};

use super::Store;
use super::identities::{AccessKeyRecord, IdentityRefusal, user_key};
use crate::error::StoreResult;
use crate::kv::{Direction, KvRead, Table, prefix_end, prefix_range};
use crate::record::{BucketRecord, Owner, PublicAccessBlock, decode, encode};
use crate::tables::{BUCKETS, IAM_ACCOUNTS, IAM_GROUPS, IAM_KEYS, IAM_POLICIES, IAM_USERS};

/// An account the operator added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// The 12-digit account id (`aws:PrincipalAccount`, the ARNs' account field).
    pub id: String,
    /// Its name (unique among accounts): S3's `Owner/DisplayName` of its buckets.
    pub name: String,
    /// Its canonical user id (64 hex digits): S3's `Owner/ID` of its buckets.
    pub canonical_id: String,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
    /// Its root user's access key ids, oldest first.
    pub access_keys: Vec<String>,
    /// Block Public Access for every bucket it owns, on top of each bucket's own; `None`:
    /// not set (and not stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access_block: Option<PublicAccessBlock>,
}

pub(crate) fn read_account(txn: &dyn KvRead, id: &str) -> StoreResult<Option<AccountRecord>> {
    txn.get(IAM_ACCOUNTS, id.as_bytes())?.map(|v| decode(&v)).transpose()
}

fn every_account(txn: &dyn KvRead) -> StoreResult<Vec<AccountRecord>> {
    super::records::records_under(txn, IAM_ACCOUNTS, b"")
}

/// Whether `table` holds any record of `account` (users, groups and policies are keyed
/// `account \0 name`).
fn holds_any(txn: &dyn KvRead, table: Table, account: &str) -> StoreResult<bool> {
    let prefix = user_key(account, "");
    let end = prefix_end(&prefix);
    let mut found = false;
    txn.scan(table, prefix_range(&prefix, &end), Direction::Forward, &mut |_, _| {
        found = true;
        Ok(ControlFlow::Break(()))
    })?;
    Ok(found)
}

/// Whether a bucket is owned by `canonical_id`. (Deleting an account is rare; the bucket
/// table is small next to the objects.)
fn owns_a_bucket(txn: &dyn KvRead, canonical_id: &str) -> StoreResult<bool> {
    let mut found = false;
    txn.scan(
        BUCKETS,
        (Bound::Unbounded, Bound::Unbounded),
        Direction::Forward,
        &mut |_, v| {
            let bucket: BucketRecord = decode(v)?;
            found = bucket.owner.id == canonical_id;
            Ok(if found {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        },
    )?;
    Ok(found)
}

impl Store {
    /// The first account: as stored, or else `first`, stored now. Every bucket made before
    /// accounts existed is then adopted by it (its owner was the one root user, under a
    /// canonical id that may not have been kept): a bucket whose owner is no account's.
    pub async fn ensure_first_account(&self, first: AccountRecord) -> StoreResult<AccountRecord> {
        let (record, adopted) = self
            .meta
            .write(move |txn| {
                if let Some(stored) = read_account(txn, &first.id)? {
                    return Ok((stored, false));
                }
                let known: Vec<String> = every_account(txn)?.into_iter().map(|a| a.canonical_id).collect();
                let mut orphans = Vec::new();
                txn.scan(
                    BUCKETS,
                    (Bound::Unbounded, Bound::Unbounded),
                    Direction::Forward,
                    &mut |_, v| {
                        let bucket: BucketRecord = decode(v)?;
                        if bucket.owner.id != first.canonical_id && !known.contains(&bucket.owner.id) {
                            orphans.push(bucket);
                        }
                        Ok(ControlFlow::Continue(()))
                    },
                )?;
                let adopted = !orphans.is_empty();
                for mut bucket in orphans {
                    bucket.owner = Owner {
                        id: first.canonical_id.clone(),
                        display_name: first.name.clone(),
                    };
                    txn.put(BUCKETS, bucket.name.as_bytes(), &encode(&bucket)?)?;
                }
                txn.put(IAM_ACCOUNTS, first.id.as_bytes(), &encode(&first)?)?;
                Ok((first, adopted))
            })
            .await?;
        if adopted {
            self.load_bucket_mirrors()?;
        }
        self.identities_changed();
        Ok(record)
    }

    /// Adds an account with its root user's first access key, in one commit;
    /// `EntityAlreadyExists` if its id or name is taken.
    pub async fn create_account(
        &self,
        mut record: AccountRecord,
        root_key: AccessKeyRecord,
    ) -> StoreResult<Result<AccountRecord, IdentityRefusal>> {
        let outcome = self
            .meta
            .write(move |txn| {
                let taken = |what: &str| {
                    Ok(Err(IdentityRefusal::EntityAlreadyExists(format!(
                        "An account with {what} already exists."
                    ))))
                };
                if read_account(txn, &record.id)?.is_some() {
                    return taken(&format!("id {}", record.id));
                }
                if every_account(txn)?.iter().any(|a| a.name == record.name) {
                    return taken(&format!("name {}", record.name));
                }
                record.access_keys = vec![root_key.id.clone()];
                txn.put(IAM_KEYS, root_key.id.as_bytes(), &encode(&root_key)?)?;
                txn.put(IAM_ACCOUNTS, record.id.as_bytes(), &encode(&record)?)?;
                Ok(Ok(record))
            })
            .await;
        self.identities_changed();
        outcome
    }

    /// The account, if there is one.
    pub fn get_account(&self, id: &str) -> StoreResult<Option<AccountRecord>> {
        self.meta.read(|txn| read_account(txn, id))
    }

    /// The account whose canonical user id is `canonical_id` (an ACL grant names accounts
    /// so). Scans the accounts: there are few.
    pub fn account_by_canonical_id(&self, canonical_id: &str) -> StoreResult<Option<AccountRecord>> {
        self.meta
            .read(|txn| Ok(every_account(txn)?.into_iter().find(|a| a.canonical_id == canonical_id)))
    }

    /// Sets (or, with `None`, deletes) an account's own Block Public Access.
    pub async fn set_account_public_access_block(
        &self,
        id: &str,
        block: Option<PublicAccessBlock>,
    ) -> StoreResult<Result<(), IdentityRefusal>> {
        let id = id.to_string();
        let outcome = self
            .meta
            .write(move |txn| {
                let Some(mut account) = read_account(txn, &id)? else {
                    return Ok(Err(IdentityRefusal::NoSuchEntity(format!(
                        "The account with id {id} cannot be found."
                    ))));
                };
                account.public_access_block = block;
                txn.put(IAM_ACCOUNTS, id.as_bytes(), &encode(&account)?)?;
                Ok(Ok(()))
            })
            .await;
        self.identities_changed();
        outcome
    }

    /// The Block Public Access in force for a bucket with blocks `bucket` owned by
    /// `owner_canonical_id`: each block on where the bucket's or its account's is.
    pub fn blocks_in_force(
        &self,
        bucket: Option<PublicAccessBlock>,
        owner_canonical_id: &str,
    ) -> StoreResult<Option<PublicAccessBlock>> {
        let account = self
            .account_by_canonical_id(owner_canonical_id)?
            .and_then(|a| a.public_access_block);
        Ok(PublicAccessBlock::either(bucket, account))
    }

    /// Every account, by id (the first, all zeros, first).
    pub fn list_accounts(&self) -> StoreResult<Vec<AccountRecord>> {
        self.meta.read(|txn| every_account(txn))
    }

    /// Deletes an account and its root user's keys, once it owns no bucket and holds no user,
    /// group or policy (`DeleteConflict` until then).
    pub async fn delete_account(&self, id: &str) -> StoreResult<Result<(), IdentityRefusal>> {
        let id = id.to_string();
        let outcome = self
            .meta
            .write(move |txn| {
                let Some(account) = read_account(txn, &id)? else {
                    return Ok(Err(IdentityRefusal::NoSuchEntity(format!(
                        "The account with id {id} cannot be found."
                    ))));
                };
                if owns_a_bucket(txn, &account.canonical_id)? {
                    return Ok(Err(IdentityRefusal::DeleteConflict(
                        "Cannot delete the account: it still owns buckets.".into(),
                    )));
                }
                for table in [IAM_USERS, IAM_GROUPS, IAM_POLICIES] {
                    if holds_any(txn, table, &id)? {
                        return Ok(Err(IdentityRefusal::DeleteConflict(
                            "Cannot delete the account: it still has users, groups or policies.".into(),
                        )));
                    }
                }
                for key in &account.access_keys {
                    txn.delete(IAM_KEYS, key.as_bytes())?;
                }
                txn.delete(IAM_ACCOUNTS, id.as_bytes())?;
                Ok(Ok(()))
            })
            .await;
        self.identities_changed();
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserRecord;

    fn account(id: &str, name: &str) -> AccountRecord {
        AccountRecord {
            id: id.into(),
            name: name.into(),
            canonical_id: format!("{id:0>64}"),
            created_ms: 0,
            access_keys: Vec::new(),
            public_access_block: None,
        }
    }

    fn key(id: &str, account: &str) -> AccessKeyRecord {
        AccessKeyRecord {
            id: id.into(),
            account: account.into(),
            user: String::new(),
            wrapped_secret: vec![1],
            active: true,
            created_ms: 0,
        }
    }

    #[tokio::test]
    async fn accounts_have_unique_ids_and_names_and_go_only_when_empty() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.ensure_first_account(account("000000000000", "root")).await.unwrap();
        s.create_account(account("111122223333", "team"), key("AKFIRST", "111122223333"))
            .await
            .unwrap()
            .unwrap();
        for taken in [
            account("111122223333", "other"),
            account("444455556666", "team"),
            account("000000000000", "x"),
            account("444455556666", "root"),
        ] {
            let id = taken.id.clone();
            assert!(matches!(
                s.create_account(taken, key("AKTAKEN", &id)).await.unwrap(),
                Err(IdentityRefusal::EntityAlreadyExists(_))
            ));
        }
        assert_eq!(s.list_accounts().unwrap().len(), 2);
        assert!(s.get_access_key("AKTAKEN").unwrap().is_none());

        // The root user's keys live with the account.
        s.create_access_key(key("AKROOT", "111122223333"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            s.get_account("111122223333").unwrap().unwrap().access_keys,
            ["AKFIRST", "AKROOT"]
        );

        // A user, then a bucket, hold the account.
        let user = UserRecord {
            name: "alice".into(),
            id: "AIDA1".into(),
            path: "/".into(),
            created_ms: 0,
            access_keys: Vec::new(),
            inline_policies: Default::default(),
            groups: Vec::new(),
            attached_policies: Vec::new(),
            login_profile: None,
        };
        s.create_user("111122223333", user).await.unwrap().unwrap();
        assert!(matches!(
            s.delete_account("111122223333").await.unwrap(),
            Err(IdentityRefusal::DeleteConflict(_))
        ));
        s.delete_user("111122223333", "alice").await.unwrap().unwrap();
        let bucket = BucketRecord {
            encryption: None,
            acl: None,
            ownership: Some(crate::ObjectOwnership::BucketOwnerEnforced),
            name: "teams".into(),
            created_at_ms: 0,
            region: "us-east-1".into(),
            owner: Owner {
                id: format!("{:0>64}", "111122223333"),
                display_name: "team".into(),
            },
            tags: None,
            cors: None,
            versioning: Default::default(),
            lifecycle: None,
            policy: None,
            public_access_block: None,
        };
        s.create_bucket(bucket).await.unwrap();
        assert!(matches!(
            s.delete_account("111122223333").await.unwrap(),
            Err(IdentityRefusal::DeleteConflict(_))
        ));
        s.delete_bucket("teams").await.unwrap();
        s.delete_account("111122223333").await.unwrap().unwrap();
        assert!(s.get_account("111122223333").unwrap().is_none());
        assert!(
            s.get_access_key("AKROOT").unwrap().is_none(),
            "the root's keys go with it"
        );
        assert!(s.get_access_key("AKFIRST").unwrap().is_none());
    }
}

#[cfg(test)]
mod adoption {
    use super::*;

    fn bucket(name: &str, owner: &str) -> BucketRecord {
        BucketRecord {
            encryption: None,
            acl: None,
            ownership: Some(crate::ObjectOwnership::BucketOwnerEnforced),
            name: name.into(),
            created_at_ms: 0,
            region: "us-east-1".into(),
            owner: Owner {
                id: owner.into(),
                display_name: "root".into(),
            },
            tags: None,
            cors: None,
            versioning: Default::default(),
            lifecycle: None,
            policy: None,
            public_access_block: None,
        }
    }

    #[tokio::test]
    async fn the_first_account_adopts_the_buckets_made_before_accounts_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        // Made by earlier releases, under canonical ids that were not kept.
        s.create_bucket(bucket("old-a", "aaaa")).await.unwrap();
        s.create_bucket(bucket("old-b", "bbbb")).await.unwrap();
        let first = AccountRecord {
            id: "000000000000".into(),
            name: "root".into(),
            canonical_id: "ffff".into(),
            created_ms: 0,
            access_keys: Vec::new(),
            public_access_block: None,
        };
        assert_eq!(s.ensure_first_account(first.clone()).await.unwrap(), first);
        for b in ["old-a", "old-b"] {
            assert_eq!(s.get_bucket(b).unwrap().owner.id, "ffff");
            assert_eq!(s.bucket_access(b).unwrap().owner.id, "ffff", "the mirror follows");
        }
        // Once stored, the first account stays as it is, and adopts nothing more.
        s.create_bucket(bucket("later", "cccc")).await.unwrap();
        let other = AccountRecord {
            canonical_id: "eeee".into(),
            ..first.clone()
        };
        assert_eq!(s.ensure_first_account(other).await.unwrap(), first);
        assert_eq!(s.get_bucket("later").unwrap().owner.id, "cccc");
    }
}
