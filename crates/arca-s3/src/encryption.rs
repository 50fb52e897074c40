//! Encryption at rest as S3 requests see it: the key a new object is sealed under, the key
//! that opens a stored one, and the `x-amz-server-side-encryption` header that says which.
//!
//! Every object written is sealed (as AWS does since January 2023): under SSE-S3 unless the
//! request asks otherwise. SSE-KMS and SSE-C are refused until they work
//! ([`crate::unhonoured`]). Objects written before encryption existed have no descriptor and
//! are read as they are stored.

use arca_store::{DataKey, EncryptionDescriptor, ObjectVersion};
use s3s::S3Result;
use s3s::dto::ServerSideEncryption;

use crate::ArcaS3;
use crate::aws_error::AwsError;

impl ArcaS3 {
    /// The data key a new object is sealed under, and how its record keeps it.
    pub(crate) fn new_data_key(&self) -> (DataKey, EncryptionDescriptor) {
        self.keys.new_data_key()
    }

    /// The key that opens `version`'s bytes (`None`: they are not sealed).
    pub(crate) fn data_key_of(&self, version: &ObjectVersion) -> S3Result<Option<DataKey>> {
        self.data_key(version.encryption.as_ref())
    }

    /// The key a record's `descriptor` keeps.
    pub(crate) fn data_key(&self, descriptor: Option<&EncryptionDescriptor>) -> S3Result<Option<DataKey>> {
        let Some(descriptor) = descriptor else {
            return Ok(None);
        };
        self.keys.data_key(descriptor).map(Some).map_err(|e| {
            tracing::error!(error = %e, "an object's data key does not open");
            AwsError::InternalError.error()
        })
    }
}

/// `x-amz-server-side-encryption` of an object kept as `descriptor` says.
pub(crate) fn sse_header(descriptor: Option<&EncryptionDescriptor>) -> Option<ServerSideEncryption> {
    descriptor.map(|d| ServerSideEncryption::from(d.algorithm.as_str().to_string()))
}
