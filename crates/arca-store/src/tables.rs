//! The store's tables and how their keys and values are encoded: the metadata half of the
//! on-disk format (`docs/storage-format.md` has the same table).
//!
//! | table | key | value |
//! |---|---|---|
//! | `buckets` | bucket name | [`BucketRecord`](crate::BucketRecord) |
//! | `objects` | bucket `\0` key | [`ObjectVersion`](crate::ObjectVersion): the current version, never a delete marker |
//! | `versions` | bucket `\0` key `\0` !stamp (u64 BE) | [`ObjectVersion`](crate::ObjectVersion): noncurrent versions and delete markers, newest first |
//! | `uploads` | bucket `\0` key `\0` upload id | [`MultipartUpload`](crate::MultipartUpload) |
//! | `parts` | upload id `\0` part number (u32 BE) | [`PartRecord`](crate::PartRecord) |
//! | `blob_intents` | blob id (u128 BE) | ms when the write started (i64 BE), then its tier (u8) unless main |
//! | `gc_queue` | blob id (u128 BE) | ms when it became garbage (i64 BE), then its tier (u8) unless main |
//! | `tiers` | tier name | its [`TierId`] (u8) |
//! | `intelligent` | bucket `\0` key | when the INTELLIGENT_TIERING object was last read (i64 BE) |
//! | `restores` | due ms (i64 BE) bucket `\0` key `\0` stamp (u64 BE) kind (u8) | the version to restore or whose copy expires |
//! | `iam_users` | account `\0` user name | [`UserRecord`](crate::UserRecord): keys' ids, inline policies |
//! | `iam_keys` | access key id | [`AccessKeyRecord`](crate::AccessKeyRecord): its user, the wrapped secret, active or not |
//! | `jobs` | job name | [`JobProgress`](crate::JobProgress) |
//! | `kms_keys` | key id | [`KmsKeyRecord`](crate::KmsKeyRecord): a KMS key, its state, policy, tags and wrapped material versions |
//! | `kms_aliases` | account `\0` alias name | [`KmsAliasRecord`](crate::KmsAliasRecord): the key it names |
//! | `sealing_keys` | key number (u32 BE) | [`SealingKeyRecord`](crate::SealingKeyRecord): an SSE-S3 key-encryption key, wrapped by the root key |
//! | `store_info` | `"format"` | the data folder's format version (u32 BE) |
//!
//! Big-endian integers sort numerically under the engines' byte order. S3 keys cannot hold
//! NUL, so `\0` separates the parts of a composite key and orders a bucket's keys exactly as
//! S3 lists them (UTF-8 binary order).

use crate::blob::{BlobId, TierId};
use crate::kv::Table;

/// Bucket records by name.
pub const BUCKETS: Table = Table("buckets");
/// The current version of each object, by `bucket \0 key`.
pub const OBJECTS: Table = Table("objects");
/// Versioned buckets' other versions: every version of a key but the current one, and its
/// delete markers, by `bucket \0 key \0 !stamp` (newest first).
pub const VERSIONS: Table = Table("versions");
/// Multipart uploads in progress.
pub const UPLOADS: Table = Table("uploads");
/// Uploaded parts, by upload and part number.
pub const PARTS: Table = Table("parts");
/// Blobs being written: reclaimed at start if no record took them.
pub const BLOB_INTENTS: Table = Table("blob_intents");
/// Blobs no record needs, waiting for their files to be removed.
pub const GC_QUEUE: Table = Table("gc_queue");
/// Background jobs' progress, by job name ([`JobProgress`](crate::JobProgress)).
pub const JOBS: Table = Table("jobs");
/// KMS keys, by key id ([`KmsKeyRecord`](crate::KmsKeyRecord)).
pub const KMS_KEYS: Table = Table("kms_keys");
/// KMS aliases, by `account \0 alias/NAME` ([`KmsAliasRecord`](crate::KmsAliasRecord)).
pub const KMS_ALIASES: Table = Table("kms_aliases");
/// SSE-S3's key-encryption keys, wrapped, by number (u32 BE).
pub const SEALING_KEYS: Table = Table("sealing_keys");
/// Facts about the data folder (its format version).
pub const STORE_INFO: Table = Table("store_info");
/// Restores to complete or to expire, by when: `due ms (i64 BE) bucket \0 key \0 stamp (u64
/// BE) kind`.
pub const RESTORES: Table = Table("restores");
/// INTELLIGENT_TIERING current versions, by `bucket \0 key`: when each was last read (ms,
/// i64 BE).
pub const INTELLIGENT: Table = Table("intelligent");
/// Storage tiers by name: the [`TierId`] each was given when first configured.
pub const TIERS: Table = Table("tiers");

/// IAM users, by `account \0 name`.
pub const IAM_USERS: Table = Table("iam_users");
/// IAM access keys, by id.
pub const IAM_KEYS: Table = Table("iam_keys");
/// IAM groups, by `account \0 name`.
pub const IAM_GROUPS: Table = Table("iam_groups");
/// IAM managed policies, by `account \0 name`.
pub const IAM_POLICIES: Table = Table("iam_policies");
/// IAM roles, by `account \0 name`.
pub const IAM_ROLES: Table = Table("iam_roles");
/// Accounts other than the first (whose root is the server's own), by 12-digit id.
pub const IAM_ACCOUNTS: Table = Table("iam_accounts");

/// `bucket \0 key`.
pub fn object_key(bucket: &str, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(bucket.len() + 1 + key.len());
    k.extend_from_slice(bucket.as_bytes());
    k.push(0);
    k.extend_from_slice(key.as_bytes());
    k
}

/// `bucket \0 key \0`: the prefix of every [`version_key`] of one key.
pub fn version_prefix(bucket: &str, key: &str) -> Vec<u8> {
    let mut k = object_key(bucket, key);
    k.push(0);
    k
}

/// `bucket \0 key \0 !stamp`: a key's versions sort newest first.
pub fn version_key(bucket: &str, key: &str, stamp: u64) -> Vec<u8> {
    let mut k = version_prefix(bucket, key);
    k.extend_from_slice(&(!stamp).to_be_bytes());
    k
}

/// The key and stamp of a [`version_key`] of `bucket`; `None` for another shape.
pub fn split_version_key<'a>(bucket: &str, k: &'a [u8]) -> Option<(&'a str, u64)> {
    let rest = k.strip_prefix(bucket.as_bytes())?.strip_prefix(&[0])?;
    let (key, stamp) = rest.split_at_checked(rest.len().checked_sub(9)?)?;
    let stamp = stamp.strip_prefix(&[0])?;
    Some((
        std::str::from_utf8(key).ok()?,
        !u64::from_be_bytes(stamp.try_into().ok()?),
    ))
}

/// `bucket \0 key \0 upload id`.
pub fn upload_key(bucket: &str, key: &str, upload_id: &str) -> Vec<u8> {
    let mut k = object_key(bucket, key);
    k.push(0);
    k.extend_from_slice(upload_id.as_bytes());
    k
}

/// `upload id \0 part number`.
pub fn part_key(upload_id: &str, part_number: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(upload_id.len() + 5);
    k.extend_from_slice(upload_id.as_bytes());
    k.push(0);
    k.extend_from_slice(&part_number.to_be_bytes());
    k
}

/// A blob id as a key: 16 bytes, big endian.
pub fn blob_key(id: BlobId) -> [u8; 16] {
    id.to_bytes()
}

/// The blob id of a [`blob_key`]; `None` for a key of another length.
pub fn blob_from_key(k: &[u8]) -> Option<BlobId> {
    BlobId::from_bytes(k)
}

/// A time in ms since the epoch and the blob's tier, as stored in `blob_intents` and
/// `gc_queue`: 8 bytes big endian, then the tier as one byte unless it is the main one (so
/// the entries earlier builds wrote read as main-tier blobs).
pub fn blob_value(ms: i64, tier: TierId) -> Vec<u8> {
    let mut v = ms.to_be_bytes().to_vec();
    if !tier.is_main() {
        v.push(tier.0);
    }
    v
}

/// The time and tier of a [`blob_value`]; `None` for a value of another length.
pub fn blob_from_value(v: &[u8]) -> Option<(i64, TierId)> {
    let (time, tier) = match v.len() {
        8 => (v, TierId::MAIN),
        9 => (&v[..8], TierId(v[8])),
        _ => return None,
    };
    Some((i64::from_be_bytes(time.try_into().ok()?), tier))
}
