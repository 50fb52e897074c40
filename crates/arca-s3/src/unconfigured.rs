//! Reads of bucket and object configuration Arca does not build yet, answered as AWS answers
//! them for a bucket that never set it.
//!
//! Tools read these before they act (`rclone purge` asks for versioning, `s3cmd setacl` for
//! the ACL, backup tools for encryption and object lock); a `501` stops them, while AWS's
//! answer for an unconfigured bucket lets them go on. Each answer is the truth about Arca
//! today: ACLs are disabled, as `BucketOwnerEnforced` says, so the owner alone holds a
//! grant; no website, encryption configuration, object lock or replication exists. When a feature lands, its reads move
//! to its own module and stop being answered here. Writes of these configurations stay
//! `501 NotImplemented`: accepting one and ignoring it would lie.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::common::{check_version_id, owner_dto};
use crate::error::StoreResultExt;

/// The ACL of a bucket or object with ACLs disabled: its owner, with full control.
fn owner_only(owner: &arca_store::Owner) -> (Option<Owner>, Option<Grants>) {
    let grant = Grant {
        grantee: Some(Grantee {
            display_name: Some(owner.display_name.clone()),
            email_address: None,
            id: Some(owner.id.clone()),
            type_: Type::from_static(Type::CANONICAL_USER),
            uri: None,
        }),
        permission: Some(Permission::from_static(Permission::FULL_CONTROL)),
    };
    (Some(owner_dto(owner)), Some(vec![grant]))
}

impl ArcaS3 {
    fn require_bucket(&self, bucket: &str) -> S3Result<arca_store::BucketRecord> {
        self.store.get_bucket(bucket).s3()
    }

    pub(crate) fn get_bucket_acl_impl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        let bucket = self.require_bucket(&req.input.bucket)?;
        let (owner, grants) = owner_only(&bucket.owner);
        Ok(S3Response::new(GetBucketAclOutput { grants, owner }))
    }

    pub(crate) fn get_object_acl_impl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        check_version_id(req.input.version_id.as_deref())?;
        let object = self.store.get_object(&req.input.bucket, &req.input.key).s3()?;
        let (owner, grants) = owner_only(&object.owner);
        Ok(S3Response::new(GetObjectAclOutput {
            grants,
            owner,
            request_charged: None,
        }))
    }

    pub(crate) fn get_bucket_encryption_impl(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
        self.require_bucket(&req.input.bucket)?;
        Err(AwsError::ServerSideEncryptionConfigurationNotFoundError.error())
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

    /// ACLs are disabled: the bucket owner owns every object (AWS's default since April 2023).
    pub(crate) fn get_bucket_ownership_controls_impl(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
        self.require_bucket(&req.input.bucket)?;
        Ok(S3Response::new(GetBucketOwnershipControlsOutput {
            ownership_controls: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: ObjectOwnership::from_static(ObjectOwnership::BUCKET_OWNER_ENFORCED),
                }],
            }),
        }))
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
