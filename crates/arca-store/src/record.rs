//! The records the store keeps, one struct per table row.
//!
//! Records are MessagePack with named fields (`rmp_serde::to_vec_named`), and every field added
//! after the first release carries `#[serde(default)]`: later features (versioning, encryption,
//! object lock) add fields, never a migration.

use serde::{Deserialize, Serialize};

use crate::blob::{BlobId, BlobRef, TierId};

/// Who owns a bucket, object or upload. Today there is one root principal; users and accounts
/// arrive with IAM and reuse this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// Canonical user id (hex), as S3 shows it in `Owner/ID`.
    pub id: String,
    /// The name S3 shows in `Owner/DisplayName`.
    pub display_name: String,
}

/// Versioning state of a bucket. Unversioned buckets keep one `null` version per key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum VersioningState {
    /// Never enabled: one `null` version per key.
    #[default]
    Unversioned,
    /// Every write makes a new version.
    Enabled,
    /// Was enabled: existing versions stay, new writes replace the `null` version.
    Suspended,
}

/// One CORS rule as the bucket stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    /// The rule's `ID`, if it has one.
    pub id: Option<String>,
    /// Origins allowed, each with at most one `*`.
    pub allowed_origins: Vec<String>,
    /// `GET`, `PUT`, `POST`, `DELETE` or `HEAD`.
    pub allowed_methods: Vec<String>,
    /// Headers a preflight may ask for (`*` for any).
    pub allowed_headers: Vec<String>,
    /// Response headers a browser may read.
    pub expose_headers: Vec<String>,
    /// How long a browser may cache the preflight answer.
    pub max_age_seconds: Option<i32>,
}

/// A row of the `buckets` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketRecord {
    /// The bucket's name (also the table key).
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// The region the bucket was created in.
    pub region: String,
    /// Who created the bucket.
    pub owner: Owner,
    /// Bucket tags; `None` when never set.
    #[serde(default)]
    pub tags: Option<Vec<(String, String)>>,
    /// CORS rules; `None` when never set.
    #[serde(default)]
    pub cors: Option<Vec<CorsRule>>,
    /// Whether versioning was ever enabled.
    #[serde(default)]
    pub versioning: VersioningState,
    /// Lifecycle rules; `None` when never set (and then not stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<crate::lifecycle::LifecycleConfiguration>,
    /// The bucket policy as its owner wrote it (validated by the S3 layer before it is
    /// stored); `None` when there is none (and then not stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The bucket's Block Public Access settings: every block on for a new bucket (and for
    /// one written before the field existed), as AWS has it since 2023; `None` once deleted.
    /// Stored only when it differs from every block on.
    #[serde(
        default = "PublicAccessBlock::every_block",
        skip_serializing_if = "PublicAccessBlock::is_every_block"
    )]
    pub public_access_block: Option<PublicAccessBlock>,
    /// Object Ownership: `BucketOwnerEnforced` for a new bucket (and one written before the
    /// field existed); `None` once its ownership controls are deleted (then it behaves as
    /// `ObjectWriter`). Stored only when it differs from enforced.
    #[serde(default = "crate::acl::enforced", skip_serializing_if = "crate::acl::is_enforced")]
    pub ownership: Option<crate::acl::ObjectOwnership>,
    /// The bucket's ACL beyond its owner's full control; `None`: private (and not stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<crate::acl::Acl>,
    /// Default encryption set by PutBucketEncryption; `None`: SSE-S3 ([`BucketEncryption::DEFAULT`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<BucketEncryption>,
}

/// Block Public Access, as PutPublicAccessBlock sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    /// Refuse requests that set a public ACL.
    pub block_public_acls: bool,
    /// Ignore public ACLs when deciding access.
    pub ignore_public_acls: bool,
    /// Refuse a public bucket policy.
    pub block_public_policy: bool,
    /// With a public policy, only principals of the owner's account get in.
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// Every block on: a new bucket's settings.
    pub const ALL: PublicAccessBlock = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// Each block on where `a`'s or `b`'s is (an account's blocks over a bucket's).
    pub fn either(a: Option<PublicAccessBlock>, b: Option<PublicAccessBlock>) -> Option<PublicAccessBlock> {
        match (a, b) {
            (Some(a), Some(b)) => Some(PublicAccessBlock {
                block_public_acls: a.block_public_acls || b.block_public_acls,
                ignore_public_acls: a.ignore_public_acls || b.ignore_public_acls,
                block_public_policy: a.block_public_policy || b.block_public_policy,
                restrict_public_buckets: a.restrict_public_buckets || b.restrict_public_buckets,
            }),
            (a, b) => a.or(b),
        }
    }

    fn every_block() -> Option<PublicAccessBlock> {
        Some(Self::ALL)
    }

    fn is_every_block(v: &Option<PublicAccessBlock>) -> bool {
        *v == Some(Self::ALL)
    }
}

/// Standard HTTP headers stored with an object and returned on GET/HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentHeaders {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Encoding`, as stored (without `aws-chunked`).
    pub content_encoding: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// As sent by the client (an HTTP date).
    pub expires: Option<String>,
}

/// An enum stored, and sent on the wire, as AWS's name for each value (the same MessagePack
/// string a `String` field would hold: turning a string field into one of these does not
/// change the format, as the golden tests check).
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $wire:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $wire)] $variant,)*
        }

        impl $name {
            /// Every value, in AWS's documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// AWS's name for the value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                }
            }

            /// The value AWS names `name` (exactly, as on the wire).
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Where an object is kept and how AWS would bill it. Every class is stored alike on
    /// Arca's drives until lifecycle transitions move cold classes elsewhere (issue 11).
    #[derive(Default)]
    StorageClass {
        /// The default: frequent access.
        #[default]
        Standard => "STANDARD",
        /// Deprecated by AWS; accepted as it is.
        ReducedRedundancy => "REDUCED_REDUNDANCY",
        /// Infrequent access.
        StandardIa => "STANDARD_IA",
        /// Infrequent access, one zone.
        OnezoneIa => "ONEZONE_IA",
        /// Moved between tiers by access pattern.
        IntelligentTiering => "INTELLIGENT_TIERING",
        /// Archive; reads need a restore on AWS.
        Glacier => "GLACIER",
        /// Coldest archive; reads need a restore on AWS.
        DeepArchive => "DEEP_ARCHIVE",
        /// Archive with instant retrieval.
        GlacierIr => "GLACIER_IR",
        /// Directory buckets' single-zone class.
        ExpressOnezone => "EXPRESS_ONEZONE",
    }
}

impl StorageClass {
    /// Whether objects of the class are archived: not readable until restored.
    pub const fn is_archive(self) -> bool {
        matches!(self, StorageClass::Glacier | StorageClass::DeepArchive)
    }
}

wire_enum! {
    /// The algorithm of a client-visible checksum (`x-amz-checksum-*`).
    ChecksumAlgorithm {
        /// CRC-32 (ISO-HDLC), 4 bytes.
        Crc32 => "CRC32",
        /// CRC-32C (Castagnoli), 4 bytes.
        Crc32c => "CRC32C",
        /// CRC-64/NVME, 8 bytes; AWS's default for new objects.
        Crc64Nvme => "CRC64NVME",
        /// SHA-1, 20 bytes.
        Sha1 => "SHA1",
        /// SHA-256, 32 bytes.
        Sha256 => "SHA256",
    }
}

impl ChecksumAlgorithm {
    /// The CRCs can be combined into a checksum of the whole object (`FULL_OBJECT`); the
    /// SHAs only hashed over the part checksums (`COMPOSITE`).
    pub const fn is_crc(self) -> bool {
        matches!(
            self,
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c | ChecksumAlgorithm::Crc64Nvme
        )
    }
}

/// Whether a stored checksum covers the whole object or is a checksum of part checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChecksumType {
    /// A checksum of the whole object's bytes (any single PUT; CRC multipart uploads that ask for it).
    FullObject,
    /// A checksum of the parts' checksums, suffixed `-N` (the part count).
    Composite,
}

/// A client-visible checksum (x-amz-checksum-*), base64 as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectChecksum {
    /// Which algorithm computed it.
    pub algorithm: ChecksumAlgorithm,
    /// Base64 of the checksum, as in the `x-amz-checksum-*` header.
    pub value: String,
    /// Whole object or composite.
    pub kind: ChecksumType,
}

/// Where an object's bytes live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectData {
    /// Small objects live inside their metadata record; `crc32c` guards them like blob frames.
    /// (`serde_bytes`: one MessagePack `bin`, not an array of integers.)
    Inline {
        /// The object's bytes.
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        /// CRC32C of `bytes`, checked on every read.
        crc32c: u32,
        /// Whether `bytes` are sealed under the object's data key (see
        /// [`blob::sealed`](crate::blob::sealed)): then they hold the object's bytes and a tag.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        sealed: bool,
    },
    /// Larger objects are a sequence of immutable blobs (one for a single PUT, one per part
    /// for a multipart upload).
    Extents(Vec<Extent>),
}

impl ObjectData {
    /// The blobs holding the bytes (none for inline data).
    pub fn blobs(&self) -> Vec<BlobRef> {
        match self {
            ObjectData::Inline { .. } => Vec::new(),
            ObjectData::Extents(extents) => extents
                .iter()
                .map(|e| BlobRef {
                    id: e.blob,
                    tier: e.tier,
                })
                .collect(),
        }
    }
}

/// One blob and the number of object bytes it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extent {
    /// The blob holding the bytes.
    pub blob: BlobId,
    /// How many object bytes the blob holds.
    pub len: u64,
    /// The tier the blob lives in (left out for the main one).
    #[serde(default, skip_serializing_if = "TierId::is_main")]
    pub tier: TierId,
    /// `Some(id)` if the blob's bytes are sealed under the object's data key: the blob id
    /// they were sealed for, which names their key ([`blob::sealed`](crate::blob::sealed)).
    /// It is `blob` itself until a copy to another tier moves the sealed bytes, as they are,
    /// into a blob with another id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_as: Option<BlobId>,
}

impl Extent {
    /// Bytes its blob holds: `len`, and the tags of its chunks if it is sealed.
    pub fn stored_len(&self) -> u64 {
        match self.sealed_as {
            Some(_) => crate::blob::sealed::sealed_len(self.len),
            None => self.len,
        }
    }
}

/// What a multipart object remembers of each part (for `partNumber` reads and
/// GetObjectAttributes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartSummary {
    /// The part's number in its upload (1–10,000).
    pub part_number: u32,
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag (hex MD5, no quotes).
    pub etag: String,
    /// Its checksum value, in the object's algorithm, if any.
    pub checksum: Option<String>,
}

/// How an object's data key is kept: what its bytes are sealed under (see
/// [`blob::sealed`](crate::blob::sealed)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionDescriptor {
    /// Who keeps the data key, as S3 names it.
    pub algorithm: SseAlgorithm,
    /// The key that wrapped the data key: a KMS key's ARN (SSE-KMS); none for SSE-S3, whose
    /// key-encryption key `wrapped_key` names itself.
    pub key_id: Option<String>,
    /// The object's data key, wrapped by its key-encryption key (SSE-KMS: the KMS's
    /// ciphertext blob).
    #[serde(with = "serde_bytes")]
    pub wrapped_key: Vec<u8>,
    /// SSE-KMS: the encryption context the data key was made with (KMS needs it again to
    /// decrypt it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<(String, String)>,
    /// SSE-C: what tells the customer's key from a wrong one (the key itself is never
    /// stored; `wrapped_key` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_key: Option<CustomerKeyCheck>,
    /// SSE-KMS with an S3 Bucket Key: `wrapped_key` is the bucket key (a KMS data key shared
    /// by many objects), and this object's data key is derived from it with these 16 random
    /// bytes (see `arca_kms::BucketKey`).
    #[serde(default, with = "serde_bytes", skip_serializing_if = "Option::is_none")]
    pub bucket_key_salt: Option<Vec<u8>>,
}

/// SSE-C: a random salt and HMAC-SHA256(customer key, salt), enough to recognise the key a
/// request brings, nothing to recover it (see `arca_kms::CustomerKey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerKeyCheck {
    /// 16 random bytes, new for each object (and upload); the data key is derived with them.
    #[serde(with = "serde_bytes")]
    pub salt: Vec<u8>,
    /// The salted HMAC.
    #[serde(with = "serde_bytes")]
    pub hmac: Vec<u8>,
}

/// A bucket's default encryption, as PutBucketEncryption set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEncryption {
    /// The algorithm new objects get when their request names none.
    pub algorithm: SseAlgorithm,
    /// The KMS key of `aws:kms` (its id, alias or ARN as given).
    pub kms_key_id: Option<String>,
    /// `BucketKeyEnabled`.
    pub bucket_key_enabled: bool,
}

impl BucketEncryption {
    /// What a bucket that never set one has: SSE-S3, as AWS's buckets since 2023.
    pub const DEFAULT: BucketEncryption = BucketEncryption {
        algorithm: SseAlgorithm::Aes256,
        kms_key_id: None,
        bucket_key_enabled: false,
    };
}

/// `x-amz-server-side-encryption`: how an object is encrypted at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SseAlgorithm {
    /// `AES256`: SSE-S3, keys the server keeps.
    #[serde(rename = "AES256")]
    Aes256,
    /// `aws:kms`: SSE-KMS, a data key of a KMS key.
    #[serde(rename = "aws:kms")]
    AwsKms,
    /// SSE-C: a key the customer brings with every request, never stored.
    #[serde(rename = "SSE-C")]
    CustomerKey,
}

impl SseAlgorithm {
    /// The header's value (`x-amz-server-side-encryption`, or SSE-C's own).
    pub fn as_str(self) -> &'static str {
        match self {
            SseAlgorithm::Aes256 => "AES256",
            SseAlgorithm::AwsKms => "aws:kms",
            // SSE-C's `x-amz-server-side-encryption-customer-algorithm`.
            SseAlgorithm::CustomerKey => "AES256",
        }
    }
}

/// What a listing shows of an object: its record decoded without the fields a listing never
/// shows. Decoding skips the rest (data extents, metadata, tags, ACL, the encryption
/// descriptor) without building them, which is most of a listing's work per key.
#[derive(Debug, Clone, Deserialize)]
pub struct ListedVersion {
    /// As [`ObjectVersion::size`].
    pub size: u64,
    /// As [`ObjectVersion::etag`].
    pub etag: String,
    /// As [`ObjectVersion::last_modified_ms`].
    pub last_modified_ms: i64,
    /// As [`ObjectVersion::storage_class`].
    pub storage_class: StorageClass,
    /// As [`ObjectVersion::owner`].
    pub owner: Owner,
    /// As [`ObjectVersion::checksum`].
    pub checksum: Option<ObjectChecksum>,
}

/// One version of an object: a row of the `objects` table (the current version of a key) or
/// of the `versions` table (older versions and delete markers of versioned buckets).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectVersion {
    /// `None` is the `null` version every unversioned bucket has.
    pub version_id: Option<String>,
    /// A delete marker has no data (versioned buckets only).
    pub is_delete_marker: bool,
    /// Size of the object in bytes.
    pub size: u64,
    /// Hex MD5 for single uploads, `md5-of-part-md5s-N` for multipart; no quotes.
    pub etag: String,
    /// Milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
    /// The storage class it was written with.
    pub storage_class: StorageClass,
    /// Who wrote it.
    pub owner: Owner,
    /// Standard headers returned on GET and HEAD.
    pub content: ContentHeaders,
    /// `x-amz-meta-*` pairs, names lowercase, in the order given.
    pub user_metadata: Vec<(String, String)>,
    /// Object tags.
    pub tags: Vec<(String, String)>,
    /// The client-visible checksum, if one was computed.
    pub checksum: Option<ObjectChecksum>,
    /// Part sizes, ETags and checksums of a multipart object (empty for single uploads).
    pub parts: Vec<PartSummary>,
    /// Where the bytes are.
    pub data: ObjectData,
    /// How the bytes are encrypted at rest: `None` for objects written before encryption
    /// (and for delete markers), whose bytes are stored as they are.
    #[serde(default)]
    pub encryption: Option<EncryptionDescriptor>,
    /// The multipart upload this version completed, so that a Complete retried after its
    /// answer was lost is answered again rather than with `NoSuchUpload`.
    #[serde(default)]
    pub completed_upload: Option<String>,
    /// Where this version sorts among its key's versions: microseconds since the epoch when it
    /// was written, strictly increasing per key. 0 (and then not stored) for versions written
    /// while the bucket was unversioned, which are older than any versioned write.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stamp: u64,
    /// The restore of an archived version (GLACIER, DEEP_ARCHIVE): requested, in progress,
    /// or done with a temporary readable copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreState>,
    /// The version's ACL beyond its owner's full control; `None`: private (and not stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<crate::acl::Acl>,
}

/// Where a restore of an archived version stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreState {
    /// When RestoreObject asked for it (ms since the epoch).
    pub requested_ms: i64,
    /// When the temporary copy is (or will be) ready: the request plus the retrieval tier's
    /// delay.
    pub ready_ms: i64,
    /// How many days the copy stays once ready.
    pub days: u32,
    /// The temporary readable copy, in the data folder, once made.
    pub copy: Option<ObjectData>,
    /// When the copy goes away (set when it is made, moved by a later RestoreObject).
    pub expiry_ms: Option<i64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ObjectVersion {
    /// Blobs this version owns (a restored copy's too); they go to the GC queue when the
    /// version is removed.
    pub fn blobs(&self) -> Vec<BlobRef> {
        let mut blobs = self.data.blobs();
        if let Some(copy) = self.restore.as_ref().and_then(|r| r.copy.as_ref()) {
            blobs.extend(copy.blobs());
        }
        blobs
    }

    /// The bytes a GET reads: an archived version's restored copy (`None` while it has none),
    /// any other version's own.
    pub fn readable_data(&self) -> Option<&ObjectData> {
        if self.storage_class.is_archive() {
            self.restore.as_ref().and_then(|r| r.copy.as_ref())
        } else {
            Some(&self.data)
        }
    }
}

/// A row of the `uploads` table: an in-progress multipart upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MultipartUpload {
    /// The bucket it uploads into.
    pub bucket: String,
    /// The key it will complete as.
    pub key: String,
    /// Its id (random, URL-safe).
    pub upload_id: String,
    /// Milliseconds since the Unix epoch.
    pub initiated_ms: i64,
    /// Who started it.
    pub owner: Owner,
    /// Storage class of the object it becomes.
    pub storage_class: StorageClass,
    /// Headers of the object it becomes.
    pub content: ContentHeaders,
    /// User metadata of the object it becomes.
    pub user_metadata: Vec<(String, String)>,
    /// Tags of the object it becomes.
    pub tags: Vec<(String, String)>,
    /// Checksum algorithm chosen at Create, if any.
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    /// Whether the object's checksum will be whole-object or composite.
    pub checksum_type: Option<ChecksumType>,
    /// The ACL the object will have; `None`: private.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<crate::acl::Acl>,
    /// The data key every part is sealed under, as the object will keep it; `None` for an
    /// upload begun before encryption existed, whose parts are not sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionDescriptor>,
}

/// A row of the `parts` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartRecord {
    /// 1–10,000.
    pub part_number: u32,
    /// Size in bytes.
    pub size: u64,
    /// Hex MD5 of the part, no quotes.
    pub etag: String,
    /// Milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
    /// The part's checksum in its upload's algorithm, if any.
    pub checksum: Option<ObjectChecksum>,
    /// The blob that holds the part's bytes.
    pub blob: BlobId,
    /// The tier that blob lives in (left out for the main one).
    #[serde(default, skip_serializing_if = "TierId::is_main")]
    pub tier: TierId,
    /// `Some(id)` if the blob's bytes are sealed under its upload's data key: the blob id
    /// they were sealed for (see [`Extent::sealed_as`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_as: Option<BlobId>,
}

impl PartRecord {
    /// The part's blob and its tier.
    pub fn blob_ref(&self) -> BlobRef {
        BlobRef {
            id: self.blob,
            tier: self.tier,
        }
    }
}

pub(crate) fn encode<T: Serialize>(value: &T) -> crate::StoreResult<Vec<u8>> {
    Ok(rmp_serde::to_vec_named(value)?)
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> crate::StoreResult<T> {
    Ok(rmp_serde::from_slice(bytes)?)
}

/// The on-disk bytes of one record of each kind, fixed. A change to a record's fields or
/// their encoding that would make existing data folders unreadable (or read differently)
/// fails here first; adding a `#[serde(default)]` field changes the bytes of new records
/// only, and is recorded by adding a golden value here, never by editing an old one.
#[cfg(test)]
mod golden {
    use super::*;

    fn owner() -> Owner {
        Owner {
            id: "0123abcd".into(),
            display_name: "root".into(),
        }
    }

    fn checksum() -> ObjectChecksum {
        ObjectChecksum {
            algorithm: ChecksumAlgorithm::Crc32c,
            value: "yZRlqg==".into(),
            kind: ChecksumType::Composite,
        }
    }

    pub(super) fn records() -> Vec<(&'static str, Vec<u8>)> {
        let bucket = BucketRecord {
            encryption: None,
            acl: None,
            ownership: Some(crate::ObjectOwnership::BucketOwnerEnforced),
            name: "photos".into(),
            created_at_ms: 1_700_000_000_000,
            region: "us-east-1".into(),
            owner: owner(),
            tags: Some(vec![("team".into(), "web".into())]),
            cors: Some(vec![CorsRule {
                id: Some("r1".into()),
                allowed_origins: vec!["https://example.org".into()],
                allowed_methods: vec!["GET".into()],
                allowed_headers: vec!["*".into()],
                expose_headers: vec!["ETag".into()],
                max_age_seconds: Some(600),
            }]),
            versioning: VersioningState::Unversioned,
            lifecycle: None,
            policy: None,
            public_access_block: Some(PublicAccessBlock::ALL),
        };
        let version = ObjectVersion {
            acl: None,
            version_id: None,
            is_delete_marker: false,
            size: 10,
            etag: "0123456789abcdef0123456789abcdef-2".into(),
            last_modified_ms: 1_700_000_000_001,
            storage_class: StorageClass::StandardIa,
            owner: owner(),
            content: ContentHeaders {
                content_type: Some("text/plain".into()),
                cache_control: Some("max-age=60".into()),
                ..Default::default()
            },
            user_metadata: vec![("colour".into(), "blue".into())],
            tags: vec![("k".into(), "v".into())],
            checksum: Some(checksum()),
            parts: vec![PartSummary {
                part_number: 1,
                size: 10,
                etag: "aa".into(),
                checksum: Some("yZRlqg==".into()),
            }],
            data: ObjectData::Extents(vec![Extent {
                sealed_as: None,
                blob: BlobId(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff),
                len: 10,
                tier: TierId::MAIN,
            }]),
            encryption: None,
            completed_upload: Some("upload-1".into()),
            stamp: 0,
            restore: None,
        };
        let inline = ObjectVersion {
            data: ObjectData::Inline {
                sealed: false,
                bytes: b"hello".to_vec(),
                crc32c: 0x9a71_bb4c,
            },
            checksum: None,
            parts: vec![],
            completed_upload: None,
            stamp: 0,
            ..version.clone()
        };
        let upload = MultipartUpload {
            encryption: None,
            acl: None,
            bucket: "photos".into(),
            key: "a/b.jpg".into(),
            upload_id: "upload-1".into(),
            initiated_ms: 1_700_000_000_002,
            owner: owner(),
            storage_class: StorageClass::Standard,
            content: ContentHeaders::default(),
            user_metadata: vec![],
            tags: vec![],
            checksum_algorithm: Some(ChecksumAlgorithm::Sha256),
            checksum_type: Some(ChecksumType::FullObject),
        };
        let part = PartRecord {
            sealed_as: None,
            part_number: 2,
            size: 5_242_880,
            etag: "bb".into(),
            last_modified_ms: 1_700_000_000_003,
            checksum: Some(checksum()),
            blob: BlobId(7),
            tier: TierId::MAIN,
        };
        vec![
            ("bucket", encode(&bucket).unwrap()),
            ("object version (extents)", encode(&version).unwrap()),
            ("object version (inline)", encode(&inline).unwrap()),
            ("multipart upload", encode(&upload).unwrap()),
            ("part", encode(&part).unwrap()),
        ]
    }

    /// Format 2 (since the first release; `completed_upload` added with issue 10).
    #[rustfmt::skip]
    const GOLDEN: &[(&str, &str)] = &[
        ("bucket", "87a46e616d65a670686f746f73ad637265617465645f61745f6d73cf0000018bcfe56800a6726567696f6ea975732d656173742d31a56f776e657282a26964a83031323361626364ac646973706c61795f6e616d65a4726f6f74a4746167739192a47465616da3776562a4636f72739186a26964a27231af616c6c6f7765645f6f726967696e7391b368747470733a2f2f6578616d706c652e6f7267af616c6c6f7765645f6d6574686f647391a3474554af616c6c6f7765645f6865616465727391a12aae6578706f73655f6865616465727391a445546167af6d61785f6167655f7365636f6e6473cd0258aa76657273696f6e696e67ab556e76657273696f6e6564"),
        ("object version (extents)", "8faa76657273696f6e5f6964c0b069735f64656c6574655f6d61726b6572c2a473697a650aa465746167d92230313233343536373839616263646566303132333435363738396162636465662d32b06c6173745f6d6f6469666965645f6d73cf0000018bcfe56801ad73746f726167655f636c617373ab5354414e444152445f4941a56f776e657282a26964a83031323361626364ac646973706c61795f6e616d65a4726f6f74a7636f6e74656e7486ac636f6e74656e745f74797065aa746578742f706c61696eb0636f6e74656e745f656e636f64696e67c0b3636f6e74656e745f646973706f736974696f6ec0b0636f6e74656e745f6c616e6775616765c0ad63616368655f636f6e74726f6caa6d61782d6167653d3630a765787069726573c0ad757365725f6d657461646174619192a6636f6c6f7572a4626c7565a4746167739192a16ba176a8636865636b73756d83a9616c676f726974686da6435243333243a576616c7565a8795a526c71673d3da46b696e64a9436f6d706f73697465a570617274739184ab706172745f6e756d62657201a473697a650aa465746167a26161a8636865636b73756da8795a526c71673d3da46461746181a7457874656e74739182a4626c6f62c41000112233445566778899aabbccddeeffa36c656e0aaa656e6372797074696f6ec0b0636f6d706c657465645f75706c6f6164a875706c6f61642d31"),
        ("object version (inline)", "8faa76657273696f6e5f6964c0b069735f64656c6574655f6d61726b6572c2a473697a650aa465746167d92230313233343536373839616263646566303132333435363738396162636465662d32b06c6173745f6d6f6469666965645f6d73cf0000018bcfe56801ad73746f726167655f636c617373ab5354414e444152445f4941a56f776e657282a26964a83031323361626364ac646973706c61795f6e616d65a4726f6f74a7636f6e74656e7486ac636f6e74656e745f74797065aa746578742f706c61696eb0636f6e74656e745f656e636f64696e67c0b3636f6e74656e745f646973706f736974696f6ec0b0636f6e74656e745f6c616e6775616765c0ad63616368655f636f6e74726f6caa6d61782d6167653d3630a765787069726573c0ad757365725f6d657461646174619192a6636f6c6f7572a4626c7565a4746167739192a16ba176a8636865636b73756dc0a5706172747390a46461746181a6496e6c696e6582a56279746573c40568656c6c6fa6637263333263ce9a71bb4caa656e6372797074696f6ec0b0636f6d706c657465645f75706c6f6164c0"),
        ("multipart upload", "8ba66275636b6574a670686f746f73a36b6579a7612f622e6a7067a975706c6f61645f6964a875706c6f61642d31ac696e697469617465645f6d73cf0000018bcfe56802a56f776e657282a26964a83031323361626364ac646973706c61795f6e616d65a4726f6f74ad73746f726167655f636c617373a85354414e44415244a7636f6e74656e7486ac636f6e74656e745f74797065c0b0636f6e74656e745f656e636f64696e67c0b3636f6e74656e745f646973706f736974696f6ec0b0636f6e74656e745f6c616e6775616765c0ad63616368655f636f6e74726f6cc0a765787069726573c0ad757365725f6d6574616461746190a47461677390b2636865636b73756d5f616c676f726974686da6534841323536ad636865636b73756d5f74797065aa46756c6c4f626a656374"),
        ("part", "86ab706172745f6e756d62657202a473697a65ce00500000a465746167a26262b06c6173745f6d6f6469666965645f6d73cf0000018bcfe56803a8636865636b73756d83a9616c676f726974686da6435243333243a576616c7565a8795a526c71673d3da46b696e64a9436f6d706f73697465a4626c6f62c41000000000000000000000000000000007"),
    ];

    #[test]
    fn records_encode_to_their_golden_bytes() {
        let got = records();
        assert_eq!(got.len(), GOLDEN.len());
        for ((name, bytes), (golden_name, golden)) in got.iter().zip(GOLDEN) {
            assert_eq!(name, golden_name);
            assert_eq!(hex::encode(bytes), *golden, "{name}: its on-disk encoding changed");
        }
    }

    /// An object version as builds before `completed_upload` wrote it.
    const OBJECT_VERSION_BEFORE_COMPLETED_UPLOAD: &str = "8eaa76657273696f6e5f6964c0b069735f64656c6574655f6d61726b6572c2a473697a650aa465746167d92230313233343536373839616263646566303132333435363738396162636465662d32b06c6173745f6d6f6469666965645f6d73cf0000018bcfe56801ad73746f726167655f636c617373ab5354414e444152445f4941a56f776e657282a26964a83031323361626364ac646973706c61795f6e616d65a4726f6f74a7636f6e74656e7486ac636f6e74656e745f74797065aa746578742f706c61696eb0636f6e74656e745f656e636f64696e67c0b3636f6e74656e745f646973706f736974696f6ec0b0636f6e74656e745f6c616e6775616765c0ad63616368655f636f6e74726f6caa6d61782d6167653d3630a765787069726573c0ad757365725f6d657461646174619192a6636f6c6f7572a4626c7565a4746167739192a16ba176a8636865636b73756d83a9616c676f726974686da6435243333243a576616c7565a8795a526c71673d3da46b696e64a9436f6d706f73697465a570617274739184ab706172745f6e756d62657201a473697a650aa465746167a26161a8636865636b73756da8795a526c71673d3da46461746181a7457874656e74739182a4626c6f62c41000112233445566778899aabbccddeeffa36c656e0aaa656e6372797074696f6ec0";

    #[test]
    fn records_of_earlier_builds_still_decode() {
        let v: ObjectVersion = decode(&hex::decode(OBJECT_VERSION_BEFORE_COMPLETED_UPLOAD).unwrap()).unwrap();
        assert_eq!(v.completed_upload, None);
        assert_eq!(v.storage_class, StorageClass::StandardIa);
        assert_eq!(v.size, 10);
    }

    #[test]
    fn golden_bytes_decode_to_the_records() {
        for (name, golden) in GOLDEN {
            let bytes = hex::decode(golden).unwrap();
            let again = match *name {
                "bucket" => encode(&decode::<BucketRecord>(&bytes).unwrap()).unwrap(),
                "multipart upload" => encode(&decode::<MultipartUpload>(&bytes).unwrap()).unwrap(),
                "part" => encode(&decode::<PartRecord>(&bytes).unwrap()).unwrap(),
                _ => encode(&decode::<ObjectVersion>(&bytes).unwrap()).unwrap(),
            };
            assert_eq!(hex::encode(again), *golden, "{name}");
        }
    }
}
