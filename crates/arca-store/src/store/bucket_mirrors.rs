//! What the request path needs of each bucket's settings, mirrored in memory: its lifecycle
//! rules (every PUT, GET and HEAD may answer `x-amz-expiration`) and whether its versioning
//! was ever enabled (reads of a null version answer `x-amz-version-id: null`). Reading the
//! bucket record on every request would cost a B-tree lookup and a decode; the mirrors cost a
//! read lock and a hash lookup. The records stay the truth: the mirrors are loaded from them
//! at open and updated after each commit that changes them (`set_lifecycle`,
//! `set_versioning`, `delete_bucket`), all in this process.

use std::sync::Arc;

use super::Store;
use crate::error::StoreResult;
use crate::lifecycle::LifecycleConfiguration;
use crate::record::VersioningState;

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
    }

    /// Loads every bucket's rules and versioning into memory at open.
    pub(crate) fn load_bucket_mirrors(&self) -> StoreResult<()> {
        let buckets = self.list_buckets()?;
        *self.versioned.write().unwrap_or_else(|e| e.into_inner()) = buckets
            .iter()
            .filter(|b| b.versioning != VersioningState::Unversioned)
            .map(|b| b.name.clone())
            .collect();
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
