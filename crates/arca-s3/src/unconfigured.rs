//! Reads of bucket and object configuration Arca does not build yet, answered as AWS answers
//! them for a bucket that never set it.
//!
//! Tools read these before they act (`rclone purge` asks for versioning, `s3cmd setacl` for
//! the ACL, backup tools for object lock); a `501` stops them, while AWS's
//! answer for an unconfigured bucket lets them go on. Each answer is the truth about Arca
//! today: no website, object lock or replication exists. When a feature lands, its reads move
//! to its own module and stop being answered here. Writes of these configurations stay
//! `501 NotImplemented`: accepting one and ignoring it would lie.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::error::StoreResultExt;

impl ArcaS3 {
    fn require_bucket(&self, bucket: &str) -> S3Result<arca_store::BucketRecord> {
        self.store.get_bucket(bucket).s3()
    }

    pub(crate) fn get_bucket_website_impl(
        &self,
        req: S3Request<GetBucketWebsiteInput>,
    ) -> S3Result<S3Response<GetBucketWebsiteOutput>> {
        self.require_bucket(&req.input.bucket)?;
        Err(AwsError::NoSuchWebsiteConfiguration.error())
    }

    pub(crate) fn get_object_lock_configuration_impl(
        &self,
        req: S3Request<GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
        self.require_bucket(&req.input.bucket)?;
        Err(AwsError::ObjectLockConfigurationNotFoundError.error())
    }

    pub(crate) fn get_bucket_replication_impl(
        &self,
        req: S3Request<GetBucketReplicationInput>,
    ) -> S3Result<S3Response<GetBucketReplicationOutput>> {
        self.require_bucket(&req.input.bucket)?;
        Err(AwsError::ReplicationConfigurationNotFoundError.error())
    }

    pub(crate) fn get_bucket_logging_impl(
        &self,
        req: S3Request<GetBucketLoggingInput>,
    ) -> S3Result<S3Response<GetBucketLoggingOutput>> {
        self.require_bucket(&req.input.bucket)?;
        Ok(S3Response::new(GetBucketLoggingOutput::default()))
    }

    pub(crate) fn get_bucket_notification_configuration_impl(
        &self,
        req: S3Request<GetBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketNotificationConfigurationOutput>> {
        self.require_bucket(&req.input.bucket)?;
        Ok(S3Response::new(GetBucketNotificationConfigurationOutput::default()))
    }

    pub(crate) fn get_bucket_request_payment_impl(
        &self,
        req: S3Request<GetBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<GetBucketRequestPaymentOutput>> {
        self.require_bucket(&req.input.bucket)?;
        Ok(S3Response::new(GetBucketRequestPaymentOutput {
            payer: Some(Payer::from_static(Payer::BUCKET_OWNER)),
        }))
    }

    pub(crate) fn get_bucket_accelerate_configuration_impl(
        &self,
        req: S3Request<GetBucketAccelerateConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketAccelerateConfigurationOutput>> {
        self.require_bucket(&req.input.bucket)?;
        Ok(S3Response::new(GetBucketAccelerateConfigurationOutput::default()))
    }
}
