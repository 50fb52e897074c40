//! [`Store`]: the store's whole API. Everything above it (the S3 layer, jobs, the console)
//! goes through here and never learns where metadata or bytes live.
//!
//! One file per concern: [`buckets`] (and the settings the request path reads from memory,
//! [`bucket_mirrors`]), [`objects`], [`versions`], [`multipart`], listing in
//! [`list`](crate::list); object bytes in and out in [`ingest`] and [`read`]; storage
//! [`tiers`], moving versions between them in [`transition`], archive [`restore`]s; background
//! work in [`jobs`]: [`gc`], [`lifecycle`], [`intelligent`] tiering; IAM [`accounts`],
//! [`identities`] (users and keys), [`iam_groups`], [`iam_roles`] and [`iam_policies`] (managed); record reads and writes
//! they share in [`records`]. Each operation is one closure over a metadata transaction
//! ([`kv`](crate::kv)), run in a group commit for writes (see [`MetaStore`]).

mod accounts;
mod bucket_mirrors;
mod buckets;
mod condition;
#[cfg(test)]
mod crash_windows;
mod gc;
mod iam_groups;
mod iam_policies;
mod iam_records;
mod iam_roles;
mod identities;
mod ingest;
mod intelligent;
mod jobs;
mod kms_keys;
mod lifecycle;
mod multipart;
mod objects;
mod read;
mod records;
mod restore;
mod sealing_keys;
mod tiers;
mod transition;
pub(crate) mod versions;

use std::collections::HashMap;
use std::fs::File;
use std::ops::{Bound, ControlFlow};
use std::path::Path;
use std::sync::{Arc, RwLock};

pub use accounts::AccountRecord;
pub use bucket_mirrors::BucketAccess;
pub use condition::WriteCondition;
pub use iam_groups::{GroupRecord, MAX_GROUPS_PER_USER};
pub use iam_policies::{MAX_ATTACHED_POLICIES, MAX_POLICY_VERSIONS, ManagedPolicyRecord, PolicyHolder, PolicyVersion};
pub use iam_roles::{ROLE_SESSION_SECONDS, RoleRecord};
pub use identities::{AccessKeyRecord, IdentityRefusal, LoginProfile, MAX_ACCESS_KEYS, UserRecord};
pub use ingest::{Ingest, IngestTarget};
pub use intelligent::{INTELLIGENT_TIERING_JOB, IntelligentTiering};
pub use jobs::{Job, JobProgress, Pass};
pub use kms_keys::{KeyMaterial, KmsAliasRecord, KmsGrantRecord, KmsKeyRecord, KmsKeyState};
pub use lifecycle::LIFECYCLE_JOB;
pub use multipart::{UploadPage, UploadQuery};
pub use read::ObjectBytes;
pub use restore::{RESTORE_JOB, RestoreDelays, RestoreStarted, RetrievalTier};
pub use sealing_keys::SealingKeyRecord;
pub use tiers::{MAIN_TIER, TierSpec};
pub use versions::{DeleteOutcome, DeleteTarget, is_valid_version_id};

use crate::blob::{BlobFiles, BlobId, BlobStore, TierId};
use crate::error::{StoreError, StoreResult};
use crate::kv::{Direction, KvEngine, redb::RedbEngine};
use crate::lifecycle::{LifecycleClock, LifecycleConfiguration};
use crate::meta::{FORMAT_VERSION, MetaStore, UPGRADABLE_FORMAT};
use crate::record::StorageClass;
use crate::tables::{
    BLOB_INTENTS, BUCKETS, GC_QUEUE, STORE_INFO, blob_from_key, blob_from_value, blob_key, blob_value,
};

/// Tuning knobs of a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Bytes of metadata pages kept in memory.
    pub meta_cache_bytes: usize,
    /// How long a lifecycle day is (AWS's 24 hours unless shortened for tests and demos).
    pub lifecycle_clock: LifecycleClock,
    /// Storage tiers besides the data folder ([`MAIN_TIER`]).
    pub tiers: Vec<TierSpec>,
    /// The tier each storage class writes to; classes left out live in the data folder.
    pub class_tiers: Vec<(StorageClass, String)>,
    /// How long each retrieval tier takes to restore an archived object.
    pub restore_delays: RestoreDelays,
    /// Where INTELLIGENT_TIERING objects go when they are not read.
    pub intelligent_tiering: IntelligentTiering,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            meta_cache_bytes: 64 * 1024 * 1024,
            lifecycle_clock: LifecycleClock::default(),
            tiers: Vec::new(),
            class_tiers: Vec::new(),
            restore_delays: RestoreDelays::default(),
            intelligent_tiering: IntelligentTiering {
                infrequent_tier: None,
                days_to_infrequent: 30,
            },
        }
    }
}

/// Buckets, objects and multipart uploads over a [`MetaStore`] and a [`BlobStore`].
pub struct Store {
    meta: MetaStore,
    tiers: tiers::Tiers,
    jobs_wake: tokio::sync::Notify,
    /// One pass of a job at a time (the scheduler's and an admin's "run now").
    job_locks: std::sync::Mutex<HashMap<&'static str, Arc<tokio::sync::Mutex<()>>>>,
    /// Every bucket's lifecycle rules, mirrored from their records for the request path.
    lifecycles: RwLock<HashMap<String, Arc<LifecycleConfiguration>>>,
    /// The buckets whose versioning was ever enabled, mirrored likewise (reads of their null
    /// versions say `x-amz-version-id: null`).
    versioned: RwLock<std::collections::HashSet<String>>,
    /// Every bucket's owner and access settings, mirrored likewise (every request's access
    /// check reads them).
    access: RwLock<HashMap<String, Arc<BucketAccess>>>,
    /// Bumped after every committed change to users or keys: the request path caches what
    /// it resolved from them and compares this to know when to look again.
    identity_generation: std::sync::atomic::AtomicU64,
    /// Moves with every committed change to KMS keys (state, policy, grants, material) and
    /// aliases (see `kms_keys.rs`).
    kms_generation: std::sync::atomic::AtomicU64,
    lifecycle_clock: LifecycleClock,
    restore_delays: RestoreDelays,
    intelligent: IntelligentTiering,
    /// Reads of INTELLIGENT_TIERING objects since the last pass, by `bucket \0 key`.
    accesses: std::sync::Mutex<HashMap<Vec<u8>, i64>>,
    /// Held for the life of the store: a second process on the same folder fails to start.
    _lock: File,
}

impl Store {
    /// Opens the store in `dir` with default options; see [`Store::open_with`].
    pub fn open(dir: &Path) -> StoreResult<Arc<Store>> {
        Self::open_with(dir, &StoreOptions::default())
    }

    /// Opens the store in `dir` on the embedded engine (`meta.redb`), creating it if needed,
    /// and recovers from any crash: blobs whose writes never committed go to the GC queue.
    pub fn open_with(dir: &Path, options: &StoreOptions) -> StoreResult<Arc<Store>> {
        crate::create_private_dir(dir).map_err(|e| StoreError::io(dir, e))?;
        let lock = take_lock(dir)?;
        let engine = RedbEngine::open(&dir.join("meta.redb"), options.meta_cache_bytes)?;
        Self::assemble(dir, Box::new(engine), lock, options)
    }

    /// Opens the store in `dir` with its metadata in `engine` (blob files stay in `dir`).
    pub fn open_on(dir: &Path, engine: Box<dyn KvEngine>) -> StoreResult<Arc<Store>> {
        crate::create_private_dir(dir).map_err(|e| StoreError::io(dir, e))?;
        let lock = take_lock(dir)?;
        Self::assemble(dir, engine, lock, &StoreOptions::default())
    }

    /// Opens the store on both seams given: metadata in `engine`, bytes in `blobs`; `dir`
    /// holds only the lock that keeps a second process out.
    pub fn open_on_seams(dir: &Path, engine: Box<dyn KvEngine>, blobs: Arc<dyn BlobStore>) -> StoreResult<Arc<Store>> {
        crate::create_private_dir(dir).map_err(|e| StoreError::io(dir, e))?;
        let lock = take_lock(dir)?;
        Self::assemble_on(engine, blobs, lock, &StoreOptions::default())
    }

    fn assemble(dir: &Path, engine: Box<dyn KvEngine>, lock: File, options: &StoreOptions) -> StoreResult<Arc<Store>> {
        let blobs = BlobFiles::open(dir.join("blobs"))?;
        Self::assemble_on(engine, Arc::new(blobs), lock, options)
    }

    fn assemble_on(
        engine: Box<dyn KvEngine>,
        blobs: Arc<dyn BlobStore>,
        lock: File,
        options: &StoreOptions,
    ) -> StoreResult<Arc<Store>> {
        let meta = MetaStore::new(engine)?;
        check_format(&meta)?;
        let tiers = tiers::Tiers::assign(
            &meta,
            blobs,
            &options.tiers,
            &options.class_tiers,
            options.intelligent_tiering.infrequent_tier.as_deref(),
        )?;
        let store = Store {
            meta,
            tiers,
            jobs_wake: tokio::sync::Notify::new(),
            job_locks: Default::default(),
            lifecycles: Default::default(),
            versioned: Default::default(),
            access: Default::default(),
            identity_generation: Default::default(),
            kms_generation: Default::default(),
            lifecycle_clock: options.lifecycle_clock,
            restore_delays: options.restore_delays,
            intelligent: options.intelligent_tiering.clone(),
            accesses: Default::default(),
            _lock: lock,
        };
        store.recover_intents()?;
        store.load_bucket_mirrors()?;
        Ok(Arc::new(store))
    }

    fn recover_intents(&self) -> StoreResult<()> {
        let pending: Vec<(BlobId, TierId)> = self.meta.read(|txn| {
            let mut ids = Vec::new();
            txn.scan(
                BLOB_INTENTS,
                (Bound::Unbounded, Bound::Unbounded),
                Direction::Forward,
                &mut |k, v| {
                    if let (Some(id), Some((_, tier))) = (blob_from_key(k), blob_from_value(v)) {
                        ids.push((id, tier));
                    }
                    Ok(ControlFlow::Continue(()))
                },
            )?;
            Ok(ids)
        })?;
        if pending.is_empty() {
            return Ok(());
        }
        tracing::info!(
            count = pending.len(),
            "reclaiming blobs of writes interrupted by a crash"
        );
        // Runs before the server accepts requests, so it commits directly. Queued at time 0:
        // no reader can hold a record naming them, so no grace period is needed.
        self.meta.write_now(move |txn| {
            for (id, tier) in pending {
                txn.delete(BLOB_INTENTS, &blob_key(id))?;
                txn.put(GC_QUEUE, &blob_key(id), &blob_value(0, tier))?;
            }
            Ok(())
        })
    }
}

/// Stamps a new data folder with [`FORMAT_VERSION`], upgrades one of [`UPGRADABLE_FORMAT`];
/// refuses one stamped with another, or an unstamped one that already holds buckets (written
/// before the stamp existed).
fn check_format(meta_store: &MetaStore) -> StoreResult<()> {
    meta_store.write_now(|txn| {
        let found = match txn.get(STORE_INFO, b"format")? {
            Some(v) => u32::from_be_bytes(
                v.as_slice()
                    .try_into()
                    .map_err(|_| StoreError::engine(std::io::Error::other("malformed format stamp")))?,
            ),
            None if txn.count(BUCKETS)? == 0 => {
                txn.put(STORE_INFO, b"format", &FORMAT_VERSION.to_be_bytes())?;
                FORMAT_VERSION
            }
            None => 1,
        };
        if found == UPGRADABLE_FORMAT {
            tracing::info!(from = found, to = FORMAT_VERSION, "data folder format upgraded");
            txn.put(STORE_INFO, b"format", &FORMAT_VERSION.to_be_bytes())?;
            return Ok(());
        }
        if found != FORMAT_VERSION {
            return Err(StoreError::UnsupportedFormat {
                found,
                expected: FORMAT_VERSION,
            });
        }
        Ok(())
    })
}

fn take_lock(dir: &Path) -> StoreResult<File> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let path = dir.join("LOCK");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(crate::PRIVATE_FILE_MODE)
        .open(&path)
        .map_err(|e| StoreError::io(&path, e))?;
    // SAFETY: flock only reads its two integer arguments; the descriptor is ours and open.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        return Err(StoreError::Locked(dir.to_path_buf()));
    }
    Ok(file)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use super::gc::GC_GRACE_MS;
    use super::*;
    use crate::blob::HeadCaching;
    use crate::record::{
        BucketRecord, ContentHeaders, Extent, MultipartUpload, ObjectData, ObjectVersion, Owner, StorageClass,
    };
    use crate::{ListEntry, ListPage, ListQuery};

    pub(crate) fn owner() -> Owner {
        Owner {
            id: "o".into(),
            display_name: "root".into(),
        }
    }

    pub(crate) fn bucket(name: &str) -> BucketRecord {
        BucketRecord {
            encryption: None,
            acl: None,
            ownership: Some(crate::ObjectOwnership::BucketOwnerEnforced),
            name: name.into(),
            created_at_ms: 0,
            region: "us-east-1".into(),
            owner: owner(),
            tags: None,
            cors: None,
            versioning: Default::default(),
            lifecycle: None,
            policy: None,
            public_access_block: Some(crate::PublicAccessBlock::ALL),
        }
    }

    pub(crate) fn version(etag: &str, data: ObjectData) -> ObjectVersion {
        ObjectVersion {
            acl: None,
            version_id: None,
            is_delete_marker: false,
            size: 0,
            etag: etag.into(),
            last_modified_ms: 0,
            storage_class: StorageClass::Standard,
            owner: owner(),
            content: ContentHeaders::default(),
            user_metadata: vec![],
            tags: vec![],
            checksum: None,
            parts: vec![],
            data,
            encryption: None,
            completed_upload: None,
            stamp: 0,
            restore: None,
        }
    }

    fn inline(etag: &str) -> ObjectVersion {
        version(
            etag,
            ObjectData::Inline {
                sealed: false,
                bytes: vec![],
                crc32c: crate::crc32c(&[]),
            },
        )
    }

    fn names(page: &ListPage) -> Vec<String> {
        page.entries
            .iter()
            .map(|e| match e {
                ListEntry::Object { key, .. } => key.clone(),
                ListEntry::CommonPrefix(p) => format!("{p}*"),
            })
            .collect()
    }

    async fn store_with(keys: &[&str]) -> (tempfile::TempDir, Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.create_bucket(bucket("b")).await.unwrap();
        store.create_bucket(bucket("b2")).await.unwrap();
        for k in keys {
            store
                .put_object("b", k, inline("e"), WriteCondition::Always)
                .await
                .unwrap();
        }
        // A neighbouring bucket must never leak into listings of `b`.
        store
            .put_object("b2", "a", inline("e"), WriteCondition::Always)
            .await
            .unwrap();
        (dir, store)
    }

    fn query(prefix: &str, delimiter: Option<&str>, after: Option<&str>, max: usize) -> ListQuery {
        ListQuery {
            prefix: prefix.into(),
            delimiter: delimiter.map(str::to_string),
            start_after: after.map(str::to_string),
            max_keys: max,
        }
    }

    #[tokio::test]
    async fn list_with_delimiter_skips_whole_prefix() {
        let (_d, s) = store_with(&["a/1", "a/2", "a/3", "b", "c/x/1", "c/y", "d"]).await;
        let page = s.list_objects("b", &query("", Some("/"), None, 10)).unwrap();
        assert_eq!(names(&page), ["a/*", "b", "c/*", "d"]);
        assert!(!page.is_truncated);
        let page = s.list_objects("b", &query("c/", Some("/"), None, 10)).unwrap();
        assert_eq!(names(&page), ["c/x/*", "c/y"]);
    }

    #[tokio::test]
    async fn list_pages_resume_after_marker_and_inside_prefix() {
        let (_d, s) = store_with(&["a/1", "a/2", "b", "c"]).await;
        let page = s.list_objects("b", &query("", Some("/"), None, 1)).unwrap();
        assert_eq!(names(&page), ["a/*"]);
        assert_eq!(page.next_marker(), Some("a/"));
        let page = s.list_objects("b", &query("", Some("/"), Some("a/"), 10)).unwrap();
        assert_eq!(names(&page), ["b", "c"]);
        // A marker inside a common prefix does not repeat that prefix.
        let page = s.list_objects("b", &query("", Some("/"), Some("a/1"), 10)).unwrap();
        assert_eq!(names(&page), ["b", "c"]);
        let page = s.list_objects("b", &query("", None, Some("a/2"), 10)).unwrap();
        assert_eq!(names(&page), ["b", "c"]);
        let page = s.list_objects("b", &query("", None, None, 0)).unwrap();
        assert!(page.entries.is_empty() && !page.is_truncated);
    }

    #[tokio::test]
    async fn upload_listing_seeks_past_common_prefixes_and_resumes_after_markers() {
        let (_d, s) = store_with(&[]).await;
        for (key, id) in [
            ("a/1", "u1"),
            ("a/2", "u2"),
            ("b", "u3"),
            ("b", "u4"),
            ("c/x", "u5"),
            ("d", "u6"),
        ] {
            s.create_upload(MultipartUpload {
                encryption: None,
                acl: None,
                bucket: "b".into(),
                key: key.into(),
                upload_id: id.into(),
                initiated_ms: 0,
                owner: owner(),
                storage_class: StorageClass::Standard,
                content: ContentHeaders::default(),
                user_metadata: vec![],
                tags: vec![],
                checksum_algorithm: None,
                checksum_type: None,
            })
            .await
            .unwrap();
        }
        let list = |q: UploadQuery| {
            let page = s.list_uploads("b", &q).unwrap();
            let ids: Vec<String> = page.uploads.iter().map(|u| u.upload_id.clone()).collect();
            (ids, page.common_prefixes, page.is_truncated)
        };
        let q = |delimiter: Option<&str>, km: Option<&str>, im: Option<&str>, max| UploadQuery {
            prefix: String::new(),
            delimiter: delimiter.map(str::to_string),
            key_marker: km.map(str::to_string),
            upload_id_marker: im.map(str::to_string),
            max_uploads: max,
        };
        let (ids, prefixes, more) = list(q(Some("/"), None, None, 10));
        assert_eq!(
            (ids, prefixes, more),
            (
                vec!["u3".into(), "u4".into(), "u6".into()],
                vec!["a/".to_string(), "c/".into()],
                false
            )
        );
        let (ids, prefixes, more) = list(q(Some("/"), None, None, 2));
        assert_eq!(
            (ids, prefixes, more),
            (vec!["u3".to_string()], vec!["a/".to_string()], true)
        );
        // Resuming inside a key's uploads, after a key, and after a common prefix.
        assert_eq!(list(q(None, Some("b"), Some("u3"), 10)).0, ["u4", "u5", "u6"]);
        assert_eq!(list(q(None, Some("b"), None, 10)).0, ["u5", "u6"]);
        assert_eq!(list(q(Some("/"), Some("a/"), None, 10)).1, ["c/"]);
        let with_prefix = UploadQuery {
            prefix: "c/".into(),
            ..q(None, None, None, 10)
        };
        assert_eq!(list(with_prefix).0, ["u5"]);
    }

    #[tokio::test]
    async fn write_conditions_are_checked_inside_the_commit() {
        let (_d, s) = store_with(&[]).await;
        s.put_object("b", "k", inline("one"), WriteCondition::IfAbsent)
            .await
            .unwrap();
        let e = s
            .put_object("b", "k", inline("two"), WriteCondition::IfAbsent)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::PreconditionFailed(_)));
        let e = s
            .put_object("b", "k", inline("two"), WriteCondition::IfEtag("zzz".into()))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::PreconditionFailed(_)));
        s.put_object("b", "k", inline("two"), WriteCondition::IfEtag("one".into()))
            .await
            .unwrap();
        assert_eq!(s.get_object("b", "k").unwrap().etag, "two");
        let e = s
            .put_object("b", "absent", inline("x"), WriteCondition::IfEtag("one".into()))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NoSuchKey { .. }));
    }

    pub(super) async fn blob(s: &Arc<Store>, bytes: &[u8]) -> Extent {
        let mut ingest = s.ingest(IngestTarget::Part { number: 1 });
        ingest.push(bytes).await.unwrap();
        let ObjectData::Extents(extents) = ingest.finish().await.unwrap() else {
            panic!("a part is a blob")
        };
        extents[0]
    }

    /// Where a blob's file is in a store opened on `dir`.
    pub(super) fn blob_path(dir: &Path, id: BlobId) -> std::path::PathBuf {
        BlobFiles::open(dir.join("blobs")).unwrap().path(id)
    }

    #[tokio::test]
    async fn overwritten_blobs_are_collected_after_grace() {
        let (d, s) = store_with(&[]).await;
        let first = blob(&s, b"first").await;
        s.put_object(
            "b",
            "k",
            version("1", ObjectData::Extents(vec![first])),
            WriteCondition::Always,
        )
        .await
        .unwrap();
        let second = blob(&s, b"second").await;
        s.put_object(
            "b",
            "k",
            version("2", ObjectData::Extents(vec![second])),
            WriteCondition::Always,
        )
        .await
        .unwrap();
        assert_eq!(s.gc_backlog().unwrap(), 1);
        // Still inside the grace period: the old file stays for readers that just looked it up.
        assert_eq!(s.collect_garbage().await.unwrap(), 0);
        assert!(blob_path(d.path(), first.blob).exists());
        tokio::time::sleep(Duration::from_millis(GC_GRACE_MS as u64 + 50)).await;
        assert_eq!(s.collect_garbage().await.unwrap(), 1);
        assert!(!blob_path(d.path(), first.blob).exists());
        assert!(blob_path(d.path(), second.blob).exists());
        assert_eq!(s.gc_backlog().unwrap(), 0);
    }

    #[tokio::test]
    async fn unfinished_blob_writes_are_reclaimed_on_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let orphan;
        {
            let s = Store::open(dir.path()).unwrap();
            let mut w = s.begin_blob(HeadCaching::Cached, TierId::MAIN).await.unwrap();
            w.write(b"never committed").unwrap();
            orphan = w.id();
            w.finish().unwrap();
            // No record references it: as if the process died here.
        }
        let s = Store::open(dir.path()).unwrap();
        assert!(blob_path(dir.path(), orphan).exists());
        assert_eq!(s.gc_backlog().unwrap(), 1);
        assert_eq!(s.collect_garbage().await.unwrap(), 1);
        assert!(!blob_path(dir.path(), orphan).exists());
    }

    #[tokio::test]
    async fn second_open_of_the_same_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _s = Store::open(dir.path()).unwrap();
        assert!(matches!(Store::open(dir.path()), Err(StoreError::Locked(_))));
    }

    #[tokio::test]
    async fn a_folder_of_another_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        // Reopening our own format works.
        drop(Store::open(dir.path()).unwrap());
        {
            let engine = RedbEngine::open(&dir.path().join("meta.redb"), 1 << 20).unwrap();
            let mut txn = engine.write().unwrap();
            txn.put(STORE_INFO, b"format", &1u32.to_be_bytes()).unwrap();
            txn.commit().unwrap();
        }
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::UnsupportedFormat {
                found: 1,
                expected: FORMAT_VERSION
            })
        ));
    }

    #[tokio::test]
    async fn a_folder_of_the_format_before_sealing_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            s.create_bucket(bucket("b")).await.unwrap();
            s.put_object("b", "old", inline("e"), WriteCondition::Always)
                .await
                .unwrap();
        }
        let stamp = |value: Option<u32>| {
            let engine = RedbEngine::open(&dir.path().join("meta.redb"), 1 << 20).unwrap();
            let mut txn = engine.write().unwrap();
            if let Some(v) = value {
                txn.put(STORE_INFO, b"format", &v.to_be_bytes()).unwrap();
            }
            let found = txn.get(STORE_INFO, b"format").unwrap().unwrap();
            txn.commit().unwrap();
            u32::from_be_bytes(found.try_into().unwrap())
        };
        stamp(Some(UPGRADABLE_FORMAT));
        let s = Store::open(dir.path()).unwrap();
        let v = s.get_object("b", "old").unwrap();
        assert!(matches!(v.data, ObjectData::Inline { sealed: false, .. }));
        drop(s);
        assert_eq!(stamp(None), FORMAT_VERSION, "restamped");
    }

    #[tokio::test]
    async fn group_commit_batches_concurrent_writes() {
        let (_d, s) = store_with(&[]).await;
        let writes: Vec<_> = (0..200)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.put_object("b", &format!("k{i:03}"), inline("e"), WriteCondition::Always)
                        .await
                })
            })
            .collect();
        for w in writes {
            w.await.unwrap().unwrap();
        }
        let page = s.list_objects("b", &query("", None, None, 1000)).unwrap();
        assert_eq!(page.entries.len(), 200);
    }
}
