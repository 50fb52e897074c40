//! The records the store keeps, one struct per table row.
//!
//! Records are MessagePack with named fields (`rmp_serde::to_vec_named`), and every field added
//! after the first release carries `#[serde(default)]`: later features (versioning, encryption,
//! object lock) add fields, never a migration.

use serde::{Deserialize, Serialize};

use crate::blob::BlobId;

/// Who owns a bucket, object or upload. Today there is one root principal; users and accounts
/// arrive with IAM and reuse this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub id: String,
    pub display_name: String,
}

/// Versioning state of a bucket. Unversioned buckets keep one `null` version per key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum VersioningState {
    #[default]
    Unversioned,
    Enabled,
    Suspended,
}

/// One CORS rule as the bucket stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i32>,
}

/// A row of the `buckets` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketRecord {
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    pub region: String,
    pub owner: Owner,
    #[serde(default)]
    pub tags: Option<Vec<(String, String)>>,
    #[serde(default)]
    pub cors: Option<Vec<CorsRule>>,
    #[serde(default)]
    pub versioning: VersioningState,
}

/// Standard HTTP headers stored with an object and returned on GET/HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    /// As sent by the client (an HTTP date).
    pub expires: Option<String>,
}

/// Whether a stored checksum covers the whole object or is a checksum of part checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChecksumType {
    FullObject,
    Composite,
}

/// A client-visible checksum (x-amz-checksum-*), base64 as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectChecksum {
    /// `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1` or `SHA256`.
    pub algorithm: String,
    pub value: String,
    pub kind: ChecksumType,
}

/// Where an object's bytes live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectData {
    /// Small objects live inside their metadata record; `crc32c` guards them like blob frames.
    /// (`serde_bytes`: one MessagePack `bin`, not an array of integers.)
    Inline {
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        crc32c: u32,
    },
    /// Larger objects are a sequence of immutable blobs (one for a single PUT, one per part
    /// for a multipart upload).
    Extents(Vec<Extent>),
}

/// One blob and the number of object bytes it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extent {
    pub blob: BlobId,
    pub len: u64,
}

/// What a multipart object remembers of each part (for `partNumber` reads and
/// GetObjectAttributes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartSummary {
    pub part_number: u32,
    pub size: u64,
    pub etag: String,
    pub checksum: Option<String>,
}

/// Encryption descriptor; always `None` until encryption at rest lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionDescriptor {
    pub algorithm: String,
    pub key_id: Option<String>,
    pub wrapped_key: Vec<u8>,
}

/// A row of the `objects` table: the current version of one key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectVersion {
    /// `None` is the `null` version every unversioned bucket has.
    pub version_id: Option<String>,
    pub is_delete_marker: bool,
    pub size: u64,
    /// Hex MD5 for single uploads, `md5-of-part-md5s-N` for multipart; no quotes.
    pub etag: String,
    pub last_modified_ms: i64,
    pub storage_class: String,
    pub owner: Owner,
    pub content: ContentHeaders,
    pub user_metadata: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub checksum: Option<ObjectChecksum>,
    pub parts: Vec<PartSummary>,
    pub data: ObjectData,
    #[serde(default)]
    pub encryption: Option<EncryptionDescriptor>,
}

impl ObjectVersion {
    /// Blobs this version owns; they go to the GC queue when the version is removed.
    pub fn blobs(&self) -> Vec<BlobId> {
        match &self.data {
            ObjectData::Inline { .. } => Vec::new(),
            ObjectData::Extents(extents) => extents.iter().map(|e| e.blob).collect(),
        }
    }
}

/// A row of the `uploads` table: an in-progress multipart upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MultipartUpload {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub initiated_ms: i64,
    pub owner: Owner,
    pub storage_class: String,
    pub content: ContentHeaders,
    pub user_metadata: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    /// Checksum algorithm chosen at Create, if any.
    pub checksum_algorithm: Option<String>,
    pub checksum_type: Option<ChecksumType>,
}

/// A row of the `parts` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartRecord {
    pub part_number: u32,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    pub checksum: Option<ObjectChecksum>,
    pub blob: BlobId,
}

pub(crate) fn encode<T: Serialize>(value: &T) -> crate::StoreResult<Vec<u8>> {
    Ok(rmp_serde::to_vec_named(value)?)
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> crate::StoreResult<T> {
    Ok(rmp_serde::from_slice(bytes)?)
}
