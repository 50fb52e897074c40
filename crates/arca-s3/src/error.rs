//! The one place where store and key service errors become S3 errors (code, status, message).

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

/// The S3 answer to a key service error met while sealing or opening an object with
/// SSE-KMS, as S3 answers it: the KMS exception's name under `KMS.` (400), `AccessDenied`
/// (403), or an internal error for what the client cannot have caused.
pub fn kms_error(e: &arca_kms::KmsError) -> S3Error {
    use arca_kms::KmsError;
    match e {
        KmsError::AccessDenied(m) => AwsError::AccessDenied.with_message(m.clone()),
        KmsError::NotFound(_) | KmsError::Disabled(_) | KmsError::InvalidState(_) => {
            let code = format!("KMS.{}", e.code());
            let mut err = S3Error::with_message(
                s3s::S3ErrorCode::from_bytes(code.as_bytes()).unwrap_or(s3s::S3ErrorCode::InvalidArgument),
                e.to_string(),
            );
            err.set_status_code(http::StatusCode::BAD_REQUEST);
            err
        }
        KmsError::Validation(m) | KmsError::InvalidAliasName(m) => AwsError::InvalidArgument.with_message(m.clone()),
        _ => {
            tracing::error!(error = %e, code = e.code(), "an SSE-KMS data key could not be made or opened");
            AwsError::InternalError.error()
        }
    }
}
