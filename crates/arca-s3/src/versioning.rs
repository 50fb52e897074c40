//! Versioning: the bucket's state (Put/GetBucketVersioning) and how reads name a version.
//! What writes and deletes do to a key's versions is the store's (`arca_store`'s
//! `store/versions.rs`); this module speaks S3 about it.

use arca_store::{ObjectVersion, StoreError, VersioningState};
use s3s::dto::*;
use s3s::{S3Error, S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::common::check_version_id;
use crate::error::{StoreResultExt, store_error};

impl ArcaS3 {
    pub(crate) fn get_bucket_versioning_impl(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let bucket = self.store.get_bucket(&req.input.bucket).s3()?;
        let status = match bucket.versioning {
            VersioningState::Unversioned => None,
            VersioningState::Enabled => Some(BucketVersioningStatus::from_static(BucketVersioningStatus::ENABLED)),
            VersioningState::Suspended => Some(BucketVersioningStatus::from_static(BucketVersioningStatus::SUSPENDED)),
        };
        Ok(S3Response::new(GetBucketVersioningOutput {
            status,
            mfa_delete: None,
        }))
    }

    pub(crate) async fn put_bucket_versioning_impl(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let input = req.input;
        let config = input.versioning_configuration;
        // MFA Delete needs a hardware token's serial and code on every versioned delete; Arca
        // has no MFA devices, so the setting is refused rather than stored and ignored.
        if input.mfa.is_some()
            || config
                .mfa_delete
                .as_ref()
                .is_some_and(|m| m.as_str() == MFADelete::ENABLED)
        {
            return Err(AwsError::NotImplemented.with_message("MFA Delete is not supported."));
        }
        let state = match config.status.as_ref().map(BucketVersioningStatus::as_str) {
            Some(BucketVersioningStatus::ENABLED) => VersioningState::Enabled,
            Some(BucketVersioningStatus::SUSPENDED) => VersioningState::Suspended,
            // AWS: a configuration without a valid Status is malformed.
            _ => return Err(AwsError::MalformedXML.error()),
        };
        let current = self.store.get_bucket(&input.bucket).s3()?.versioning;
        // Suspending a bucket that was never versioned leaves it as it is, as AWS does.
        if !(current == VersioningState::Unversioned && state == VersioningState::Suspended) {
            self.store.set_versioning(&input.bucket, state).await.s3()?;
        }
        Ok(S3Response::new(PutBucketVersioningOutput {}))
    }

    /// The version a read names: the current one, or `version_id`. A delete marker is not
    /// readable: the current one is `404 NoSuchKey`, one named by id `405 MethodNotAllowed`,
    /// both with `x-amz-delete-marker: true` and its `x-amz-version-id`, as AWS answers.
    pub(crate) fn read_version(&self, bucket: &str, key: &str, version_id: Option<&str>) -> S3Result<ObjectVersion> {
        check_version_id(version_id)?;
        let Some(id) = version_id else {
            return match self.store.get_object(bucket, key) {
                Err(StoreError::NoSuchKey { .. }) => match self.store.latest_delete_marker(bucket, key).s3()? {
                    Some(marker) => Err(delete_marker_error(AwsError::NoSuchKey.error(), &marker)),
                    None => Err(AwsError::NoSuchKey.error()),
                },
                other => other.map_err(store_error),
            };
        };
        let version = self.store.get_version(bucket, key, id).s3()?;
        if version.is_delete_marker {
            return Err(delete_marker_error(AwsError::MethodNotAllowed.error(), &version));
        }
        Ok(version)
    }

    /// Changes the version a request names in place (tags): the current one without a
    /// version id. A delete marker is refused as a read of it would be.
    pub(crate) async fn update_named_version<F>(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        f: F,
    ) -> S3Result<ObjectVersion>
    where
        F: FnOnce(&mut ObjectVersion) + Send + 'static,
    {
        match version_id {
            None => self.store.update_object(bucket, key, f).await.s3(),
            Some(id) => {
                self.read_version(bucket, key, Some(id))?;
                self.store.update_version(bucket, key, id, f).await.s3()
            }
        }
    }
}

/// `e` with the headers AWS sends about the delete marker it hit.
fn delete_marker_error(mut e: S3Error, marker: &ObjectVersion) -> S3Error {
    let mut headers = http::HeaderMap::new();
    headers.insert("x-amz-delete-marker", http::HeaderValue::from_static("true"));
    let id = marker.version_id.as_deref().unwrap_or("null");
    if let Ok(v) = http::HeaderValue::from_str(id) {
        headers.insert("x-amz-version-id", v);
    }
    e.set_headers(headers);
    e
}
