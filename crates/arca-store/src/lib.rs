//! # arca-store
//!
//! Arca's storage engine: buckets, objects and multipart uploads, durable and crash safe.
//! It owns the on-disk format and nothing else — it never sees HTTP, credentials or XML.
//!
//! Two seams keep it ready to scale out:
//! - [`kv`]: ordered, transactional metadata behind three small traits, with the embedded
//!   redb engine as one adapter; [`MetaStore`](meta::MetaStore) adds group commit on top;
//! - [`blob`]: object bytes behind a create/stage/finish, open/read, remove trait, with
//!   checksummed files on a local drive as one adapter; [`Store::ingest`] and
//!   [`Store::read_range`] stream bytes in and out, so callers never see a blob.
//!
//! The invariants (see `docs/storage-format.md`):
//! 1. blob bytes are fsynced before the record that points at them commits;
//! 2. a write is acknowledged only after its commit is durable;
//! 3. a blob is created only after a durable *intent* names it, so a crash at any point
//!    leaves every blob either referenced, in the GC queue, or named by an intent that the
//!    next start moves to the GC queue;
//! 4. every stored byte is covered by a CRC32C that reads verify.
//!
//! ```no_run
//! # async fn demo() -> arca_store::StoreResult<()> {
//! let store = arca_store::Store::open(std::path::Path::new("./arca-data"))?;
//! let buckets = store.list_buckets()?;
//! # Ok(()) }
//! ```

pub mod acl;
pub mod blob;
mod error;
pub mod kv;
pub mod lifecycle;
mod list;
mod list_versions;
pub mod meta;
mod permissions;
mod record;
mod store;
pub mod tables;

pub use acl::{Acl, Grant, Grantee, ObjectOwnership, Permission};
pub use blob::sealed::DataKey;
pub use blob::{BlobId, TierId, crc32c};
pub use error::{StoreError, StoreResult};
pub use lifecycle::{LifecycleClock, LifecycleConfiguration, LifecycleRule};
pub use list::{ListEntry, ListPage, ListQuery};
pub use list_versions::{VersionEntry, VersionPage, VersionQuery};
pub(crate) use permissions::{PRIVATE_FILE_MODE, create_private_dir};
pub use record::*;
pub use store::{
    AccessKeyRecord, AccountRecord, BucketAccess, DeleteOutcome, DeleteTarget, GroupRecord, INTELLIGENT_TIERING_JOB,
    IdentityRefusal, Ingest, IngestTarget, IntelligentTiering, Job, JobProgress, KeyMaterial, KmsAliasRecord,
    KmsGrantRecord, KmsKeyRecord, KmsKeyState, LIFECYCLE_JOB, LoginProfile, MAIN_TIER, MAX_ACCESS_KEYS,
    MAX_ATTACHED_POLICIES, MAX_GROUPS_PER_USER, MAX_POLICY_VERSIONS, ManagedPolicyRecord, ObjectBytes, Pass,
    PolicyHolder, PolicyVersion, RESTORE_JOB, ROLE_SESSION_SECONDS, RestoreDelays, RestoreStarted, RetrievalTier,
    RoleRecord, SealingKeyRecord, Store, StoreOptions, TierSpec, UploadPage, UploadQuery, UserRecord, WriteCondition,
    is_valid_version_id, now_ms,
};

/// Objects up to this size live inline in their metadata record.
pub const INLINE_THRESHOLD: usize = 32 * 1024;
