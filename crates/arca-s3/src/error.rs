//! The one place where store errors become S3 errors (code, status, message).

use arca_store::StoreError;
use s3s::{S3Error, S3ErrorCode, s3_error};

/// Maps a store error to the S3 error AWS returns in the same situation. Internal failures are
/// logged here with their detail and reach the client as a bare `InternalError`: no paths, no
/// secrets.
pub fn store_error(e: StoreError) -> S3Error {
    match e {
        StoreError::NoSuchBucket(b) => {
            s3_error!(NoSuchBucket, "The specified bucket does not exist: {b}")
        }
        StoreError::BucketAlreadyOwnedByYou(_) => s3_error!(
            BucketAlreadyOwnedByYou,
            "Your previous request to create the named bucket succeeded and you already own it."
        ),
        StoreError::BucketAlreadyExists(_) => s3_error!(
            BucketAlreadyExists,
            "The requested bucket name is not available. Please select a different name and try again."
        ),
        StoreError::BucketNotEmpty(_) => {
            s3_error!(BucketNotEmpty, "The bucket you tried to delete is not empty")
        }
        StoreError::NoSuchKey { .. } => s3_error!(NoSuchKey, "The specified key does not exist."),
        StoreError::NoSuchUpload { .. } => s3_error!(
            NoSuchUpload,
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
        ),
        StoreError::PreconditionFailed(_) => {
            s3_error!(
                PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold"
            )
        }
        StoreError::InvalidPart(why) => S3Error::with_message(S3ErrorCode::InvalidPart, why),
        other => {
            tracing::error!(error = %other, "internal error");
            s3_error!(InternalError, "We encountered an internal error. Please try again.")
        }
    }
}

/// `?`-friendly conversion for store results.
pub trait StoreResultExt<T> {
    fn s3(self) -> s3s::S3Result<T>;
}

impl<T> StoreResultExt<T> for Result<T, StoreError> {
    fn s3(self) -> s3s::S3Result<T> {
        self.map_err(store_error)
    }
}
