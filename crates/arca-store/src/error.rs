//! Errors the store raises. The S3 layer maps each variant to an S3 error code in one place
//! (`arca_s3::error`); the store itself never speaks HTTP.

use std::path::PathBuf;

/// Everything that can go wrong inside the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("bucket {0} does not exist")]
    NoSuchBucket(String),
    #[error("bucket {0} already exists and is owned by you")]
    BucketAlreadyOwnedByYou(String),
    #[error("bucket {0} already exists")]
    BucketAlreadyExists(String),
    #[error("bucket {0} is not empty")]
    BucketNotEmpty(String),
    #[error("object {bucket}/{key} does not exist")]
    NoSuchKey { bucket: String, key: String },
    #[error("multipart upload {upload_id} does not exist")]
    NoSuchUpload { upload_id: String },
    #[error("precondition failed: {0}")]
    PreconditionFailed(&'static str),
    #[error("invalid part: {0}")]
    InvalidPart(String),
    #[error("stored bytes of blob {blob} are corrupt at frame {frame}")]
    Corrupt { blob: String, frame: u64 },
    #[error("metadata engine: {0}")]
    Engine(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("record decode: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
    #[error("record encode: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    #[error("i/o on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("data folder {0} is locked by another running arca process")]
    Locked(PathBuf),
    #[error(
        "data folder format {found} is not the format this arca reads ({expected}); \
         it was written by an earlier development build"
    )]
    UnsupportedFormat { found: u32, expected: u32 },
    #[error("the commit thread has stopped")]
    CommitterGone,
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
                | StoreError::PreconditionFailed(_)
                | StoreError::InvalidPart(_)
        )
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
