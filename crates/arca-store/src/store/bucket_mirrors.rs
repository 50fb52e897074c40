//! What the request path needs of each bucket's settings, mirrored in memory: its lifecycle
//! rules (every PUT, GET and HEAD may answer `x-amz-expiration`), whether its versioning
//! was ever enabled (reads of a null version answer `x-amz-version-id: null`) and its owner,
//! policy, Block Public Access, Object Ownership and ACL (every request's access check, and the owner of
//! every object written). Reading the bucket record on every request would cost a B-tree
//! lookup and a decode; the mirrors cost a read lock and a hash lookup. The records stay the
//! truth: the mirrors are loaded from them at open and updated after each commit that changes
//! them (`create_bucket`, `set_lifecycle`, `set_versioning`, `update_bucket_access`,
//! `delete_bucket`), all in this process.

use std::sync::Arc;

use super::Store;
use crate::acl::{Acl, ObjectOwnership};
use crate::error::StoreResult;
use crate::lifecycle::LifecycleConfiguration;
use crate::record::{BucketRecord, Owner, PublicAccessBlock, VersioningState};

/// Who owns a bucket and what its policy lets others do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketAccess {
    /// The owning account (by canonical id).
    pub owner: Owner,
    /// The policy, as stored.
    pub policy: Option<Arc<str>>,
    /// Block Public Access (`None`: deleted, nothing blocked at the bucket).
    pub public_access_block: Option<PublicAccessBlock>,
    /// Object Ownership (`None`: deleted, as `ObjectWriter`).
    pub ownership: Option<ObjectOwnership>,
    /// The bucket's ACL beyond its owner's full control.
    pub acl: Option<Acl>,
    /// Its default encryption, if PutBucketEncryption set one (read by every write).
    pub encryption: Option<crate::record::BucketEncryption>,
}

impl BucketAccess {
    /// Whether the bucket's ACLs (and its objects') count: not under `BucketOwnerEnforced`.
    pub fn acls_enabled(&self) -> bool {
        ObjectOwnership::effective(self.ownership) != ObjectOwnership::BucketOwnerEnforced
    }
}

impl BucketAccess {
    pub(super) fn of(record: &BucketRecord) -> Arc<BucketAccess> {
        Arc::new(BucketAccess {
            owner: record.owner.clone(),
            policy: record.policy.as_deref().map(Arc::from),
            public_access_block: record.public_access_block,
            ownership: record.ownership,
            acl: record.acl.clone(),
            encryption: record.encryption.clone(),
        })
    }
}

impl Store {
    /// The lifecycle configuration of `bucket`, if it has one: from memory, so that every GET
    /// and PUT can answer `x-amz-expiration` without a read.
    pub fn lifecycle(&self, bucket: &str) -> Option<Arc<LifecycleConfiguration>> {
        let index = self.lifecycles.read().unwrap_or_else(|e| e.into_inner());
        if index.is_empty() {
            return None;
        }
        index.get(bucket).cloned()
    }

    /// Forgets a deleted bucket's rules and versioning.
    pub(crate) fn forget_bucket_mirrors(&self, bucket: &str) {
        self.lifecycles
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(bucket);
        self.versioned.write().unwrap_or_else(|e| e.into_inner()).remove(bucket);
        self.access.write().unwrap_or_else(|e| e.into_inner()).remove(bucket);
    }

    /// The owner, policy and Block Public Access settings of `bucket` (from memory); `None`
    /// if there is no such bucket.
    pub fn bucket_access(&self, bucket: &str) -> Option<Arc<BucketAccess>> {
        self.access
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(bucket)
            .cloned()
    }

    /// Changes a bucket's policy or Block Public Access settings (through `f`, which may
    /// refuse by returning an error) and the mirror after the commit.
    pub async fn update_bucket_access<F, E>(&self, bucket: &str, f: F) -> StoreResult<Result<BucketRecord, E>>
    where
        F: FnOnce(&mut BucketRecord) -> Result<(), E> + Send + 'static,
        E: Send + 'static,
    {
        let outcome = self.update_bucket_checked(bucket, f).await?;
        if let Ok(record) = &outcome {
            self.access
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(record.name.clone(), BucketAccess::of(record));
        }
        Ok(outcome)
    }

    /// Loads every bucket's rules and versioning into memory at open.
    pub(crate) fn load_bucket_mirrors(&self) -> StoreResult<()> {
        let buckets = self.list_buckets()?;
        *self.versioned.write().unwrap_or_else(|e| e.into_inner()) = buckets
            .iter()
            .filter(|b| b.versioning != VersioningState::Unversioned)
            .map(|b| b.name.clone())
            .collect();
        *self.access.write().unwrap_or_else(|e| e.into_inner()) =
            buckets.iter().map(|b| (b.name.clone(), BucketAccess::of(b))).collect();
        *self.lifecycles.write().unwrap_or_else(|e| e.into_inner()) = buckets
            .into_iter()
            .filter_map(|b| Some((b.name, Arc::new(b.lifecycle?))))
            .collect();
        Ok(())
    }

    /// Whether versioning was ever enabled on `bucket` (from memory).
    pub fn is_versioned(&self, bucket: &str) -> bool {
        self.versioned
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(bucket)
    }
}
