//! The one place where store errors become S3 errors (code, status, message).

use arca_store::StoreError;
use s3s::S3Error;

use crate::aws_error::AwsError;

/// Maps a store error to the S3 error AWS returns in the same situation. Internal failures are
/// logged here with their detail and reach the client as a bare `InternalError`: no paths, no
/// secrets.
pub fn store_error(e: StoreError) -> S3Error {
    match e {
        StoreError::NoSuchBucket(b) => {
            AwsError::NoSuchBucket.with_message(format!("The specified bucket does not exist: {b}"))
        }
        StoreError::BucketAlreadyOwnedByYou(_) => AwsError::BucketAlreadyOwnedByYou.error(),
        StoreError::BucketAlreadyExists(_) => AwsError::BucketAlreadyExists.error(),
        StoreError::BucketNotEmpty(_) => AwsError::BucketNotEmpty.error(),
        StoreError::NoSuchKey { .. } => AwsError::NoSuchKey.error(),
        StoreError::NoSuchUpload { .. } => AwsError::NoSuchUpload.error(),
        StoreError::NoSuchVersion { .. } => AwsError::NoSuchVersion.error(),
        StoreError::PreconditionFailed(_) => AwsError::PreconditionFailed.error(),
        StoreError::InvalidPart(why) => AwsError::InvalidPart.with_message(why),
        StoreError::InvalidObjectState => AwsError::InvalidObjectState.error(),
        StoreError::RestoreInProgress => AwsError::RestoreAlreadyInProgress.error(),
        other => {
            tracing::error!(error = %other, "internal error");
            AwsError::InternalError.error()
        }
    }
}

/// `?`-friendly conversion for store results.
pub trait StoreResultExt<T> {
    /// The result with a store error mapped by [`store_error`].
    fn s3(self) -> s3s::S3Result<T>;
}

impl<T> StoreResultExt<T> for Result<T, StoreError> {
    fn s3(self) -> s3s::S3Result<T> {
        self.map_err(store_error)
    }
}

/// AWS's message for an error code, for errors that reach the wire without one (s3s raises
/// some of its own — routing, signature and body checks — with a code only).
pub fn default_message(code: &str) -> Option<&'static str> {
    AwsError::from_code(code).map(AwsError::message)
}
