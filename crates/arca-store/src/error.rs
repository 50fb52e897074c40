//! Errors the store raises. The S3 layer maps each variant to an S3 error code in one place
//! (`arca_s3::error`); the store itself never speaks HTTP.

use std::path::PathBuf;

/// Everything that can go wrong inside the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The bucket named does not exist.
    #[error("bucket {0} does not exist")]
    NoSuchBucket(String),
    /// CreateBucket of a bucket its creator already owns.
    #[error("bucket {0} already exists and is owned by you")]
    BucketAlreadyOwnedByYou(String),
    /// CreateBucket of a bucket someone else owns.
    #[error("bucket {0} already exists")]
    BucketAlreadyExists(String),
    /// DeleteBucket of a bucket that still holds objects.
    #[error("bucket {0} is not empty")]
    BucketNotEmpty(String),
    /// No object has the key.
    #[error("object {bucket}/{key} does not exist")]
    NoSuchKey {
        /// The bucket searched.
        bucket: String,
        /// The key not found.
        key: String,
    },
    /// The version asked for does not exist (or never did).
    #[error("version {version_id} of {key} does not exist")]
    NoSuchVersion {
        /// The key.
        key: String,
        /// The version id asked for.
        version_id: String,
    },
    /// The multipart upload does not exist (never did, completed or aborted).
    #[error("multipart upload {upload_id} does not exist")]
    NoSuchUpload {
        /// The id asked for.
        upload_id: String,
    },
    /// A [`WriteCondition`](crate::WriteCondition) did not hold.
    #[error("precondition failed: {0}")]
    PreconditionFailed(&'static str),
    /// A part a Complete names is not what was uploaded (or changed meanwhile).
    #[error("invalid part: {0}")]
    InvalidPart(String),
    /// Stored bytes fail their CRC32C or, sealed, their tag: never returned as data.
    #[error("stored bytes of blob {blob} are corrupt at frame {frame}")]
    Corrupt {
        /// The blob's id, in hex.
        blob: String,
        /// The frame that failed.
        frame: u64,
    },
    /// Sealed bytes were to be read without the data key that opens them: a caller's bug,
    /// never bytes returned as they are stored.
    #[error("sealed bytes cannot be read without their data key")]
    KeyNeeded,
    /// The metadata engine failed (see [`kv`](crate::kv)).
    #[error("metadata engine: {0}")]
    Engine(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored record could not be decoded.
    #[error("record decode: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
    /// A record could not be encoded.
    #[error("record encode: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    /// A file operation failed.
    #[error("i/o on {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the data folder.
    #[error("data folder {0} is locked by another running arca process")]
    Locked(PathBuf),
    /// The data folder was written in another format.
    #[error(
        "data folder format {found} is not the format this arca reads ({expected}); \
         it was written by an earlier development build"
    )]
    UnsupportedFormat {
        /// The folder's format.
        found: u32,
        /// The format this build reads.
        expected: u32,
    },
    /// The commit thread is gone (the store is shutting down or a commit panicked).
    #[error("the commit thread has stopped")]
    CommitterGone,
    /// A blocking worker (a blob write, read or removal) panicked or was cancelled.
    #[error("blocking worker failed: {0}")]
    Worker(String),
    /// The operation needs a version readable now, or one that is archived (a GET of an
    /// unrestored GLACIER object; a restore of a STANDARD one).
    #[error("the operation is not valid for the object's storage class")]
    InvalidObjectState,
    /// A restore of the version was asked for and has not completed yet.
    #[error("a restore of this object is already in progress")]
    RestoreInProgress,
    /// A remote tier's endpoint failed or refused a request.
    #[error("remote tier: {0}")]
    Remote(String),
    /// A record names a storage tier the server's configuration no longer has.
    #[error("storage tier {0} is not configured (its blobs cannot be read or removed)")]
    TierMissing(String),
    /// The configuration maps a storage class to a tier it does not define.
    #[error("storage class {class} maps to tier {tier}, which is not configured")]
    UnknownTier {
        /// The class.
        class: String,
        /// The tier name it maps to.
        tier: String,
    },
    /// Another write in the same group commit failed, so this one was not committed either.
    #[error("a batch-mate's commit failed: {0}")]
    BatchFailed(String),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }

    /// An error of a metadata engine (see [`kv`](crate::kv)); adapters report theirs so.
    pub fn engine(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Engine(Box::new(e))
    }

    /// A blocking worker that did not return (see [`StoreError::Worker`]).
    pub fn worker(e: tokio::task::JoinError) -> Self {
        StoreError::Worker(e.to_string())
    }

    /// Errors a client caused (and that therefore must not poison a commit batch).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            StoreError::NoSuchBucket(_)
                | StoreError::BucketAlreadyOwnedByYou(_)
                | StoreError::BucketAlreadyExists(_)
                | StoreError::BucketNotEmpty(_)
                | StoreError::NoSuchKey { .. }
                | StoreError::NoSuchUpload { .. }
                | StoreError::NoSuchVersion { .. }
                | StoreError::PreconditionFailed(_)
                | StoreError::InvalidPart(_)
        )
    }
}

/// A result whose error is a [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;
