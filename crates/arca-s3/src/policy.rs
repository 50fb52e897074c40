//! Bucket policies and Block Public Access: storing them, as S3's Put/Get/DeleteBucketPolicy,
//! GetBucketPolicyStatus and Put/Get/DeletePublicAccessBlock do. What they mean for each
//! request is decided in the server's access hook, with [`arca_iam`].

use arca_iam::{Policy, PolicyKind};
use arca_store::PublicAccessBlock;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::error::StoreResultExt;

/// Why a configuration change was refused, decided against the stored settings in the same
/// commit as the change.
enum Refusal {
    PublicPolicyBlocked,
    NoPublicAccessBlock,
}

impl Refusal {
    fn error(self) -> s3s::S3Error {
        match self {
            Refusal::PublicPolicyBlocked => AwsError::AccessDenied.with_message(
                "Access Denied: public policies are blocked by the BlockPublicPolicy block public access setting.",
            ),
            Refusal::NoPublicAccessBlock => AwsError::NoSuchPublicAccessBlockConfiguration.error(),
        }
    }
}

fn pab_dto(b: PublicAccessBlock) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration {
        block_public_acls: Some(b.block_public_acls),
        ignore_public_acls: Some(b.ignore_public_acls),
        block_public_policy: Some(b.block_public_policy),
        restrict_public_buckets: Some(b.restrict_public_buckets),
    }
}

impl ArcaS3 {
    pub(crate) async fn put_bucket_policy_impl(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        let input = req.input;
        if input.confirm_remove_self_bucket_access == Some(true) {
            return Err(
                AwsError::NotImplemented.with_message("x-amz-confirm-remove-self-bucket-access is not supported")
            );
        }
        let kind = PolicyKind::Bucket {
            bucket: input.bucket.clone(),
        };
        let parsed =
            Policy::parse(&input.policy, &kind).map_err(|e| AwsError::MalformedPolicy.with_message(e.to_string()))?;
        let public = parsed.is_public();
        let text = input.policy;
        // The owner account's blocks count as the bucket's own.
        let account_blocks = match self.store.bucket_access(&input.bucket) {
            Some(access) => self.store.blocks_in_force(None, &access.owner.id).s3()?,
            None => None,
        };
        self.store
            .update_bucket_access(&input.bucket, move |b| {
                let blocks = PublicAccessBlock::either(b.public_access_block, account_blocks);
                if public && blocks.is_some_and(|p| p.block_public_policy) {
                    return Err(Refusal::PublicPolicyBlocked);
                }
                b.policy = Some(text);
                Ok(())
            })
            .await
            .s3()?
            .map_err(Refusal::error)?;
        Ok(S3Response::with_status(
            PutBucketPolicyOutput::default(),
            http::StatusCode::NO_CONTENT,
        ))
    }

    pub(crate) fn get_bucket_policy_impl(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        let bucket = self.store.get_bucket(&req.input.bucket).s3()?;
        match bucket.policy {
            Some(policy) => Ok(S3Response::new(GetBucketPolicyOutput { policy: Some(policy) })),
            None => Err(AwsError::NoSuchBucketPolicy.error()),
        }
    }

    pub(crate) async fn delete_bucket_policy_impl(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        // S3 answers 204 whether or not there was a policy.
        self.store
            .update_bucket_access(&req.input.bucket, |b| {
                b.policy = None;
                Ok::<(), Refusal>(())
            })
            .await
            .s3()?
            .map_err(Refusal::error)?;
        Ok(S3Response::with_status(
            DeleteBucketPolicyOutput::default(),
            http::StatusCode::NO_CONTENT,
        ))
    }

    /// `IsPublic` as Block Public Access defines "public" (see [`Policy::is_public`]).
    pub(crate) fn get_bucket_policy_status_impl(
        &self,
        req: S3Request<GetBucketPolicyStatusInput>,
    ) -> S3Result<S3Response<GetBucketPolicyStatusOutput>> {
        let bucket = self.store.get_bucket(&req.input.bucket).s3()?;
        let Some(text) = bucket.policy else {
            return Err(AwsError::NoSuchBucketPolicy.error());
        };
        let kind = PolicyKind::Bucket { bucket: bucket.name };
        // A stored policy was valid when stored; a later, stricter parser may refuse it: it
        // then counts as not public (it grants nothing either, see the access hook).
        let public = Policy::parse(&text, &kind).is_ok_and(|p| p.is_public());
        Ok(S3Response::new(GetBucketPolicyStatusOutput {
            policy_status: Some(PolicyStatus {
                is_public: Some(public),
            }),
        }))
    }

    pub(crate) async fn put_public_access_block_impl(
        &self,
        req: S3Request<PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<PutPublicAccessBlockOutput>> {
        let c = req.input.public_access_block_configuration;
        let block = PublicAccessBlock {
            block_public_acls: c.block_public_acls.unwrap_or(false),
            ignore_public_acls: c.ignore_public_acls.unwrap_or(false),
            block_public_policy: c.block_public_policy.unwrap_or(false),
            restrict_public_buckets: c.restrict_public_buckets.unwrap_or(false),
        };
        self.store
            .update_bucket_access(&req.input.bucket, move |b| {
                b.public_access_block = Some(block);
                Ok::<(), Refusal>(())
            })
            .await
            .s3()?
            .map_err(Refusal::error)?;
        Ok(S3Response::new(PutPublicAccessBlockOutput::default()))
    }

    pub(crate) fn get_public_access_block_impl(
        &self,
        req: S3Request<GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<GetPublicAccessBlockOutput>> {
        let bucket = self.store.get_bucket(&req.input.bucket).s3()?;
        let block = bucket
            .public_access_block
            .ok_or_else(|| Refusal::NoPublicAccessBlock.error())?;
        Ok(S3Response::new(GetPublicAccessBlockOutput {
            public_access_block_configuration: Some(pab_dto(block)),
        }))
    }

    pub(crate) async fn delete_public_access_block_impl(
        &self,
        req: S3Request<DeletePublicAccessBlockInput>,
    ) -> S3Result<S3Response<DeletePublicAccessBlockOutput>> {
        self.store
            .update_bucket_access(&req.input.bucket, |b| {
                b.public_access_block = None;
                Ok::<(), Refusal>(())
            })
            .await
            .s3()?
            .map_err(Refusal::error)?;
        Ok(S3Response::with_status(
            DeletePublicAccessBlockOutput::default(),
            http::StatusCode::NO_CONTENT,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_aws_errors() {
        assert_eq!(
            Refusal::PublicPolicyBlocked.error().status_code(),
            Some(http::StatusCode::FORBIDDEN)
        );
        assert_eq!(
            Refusal::NoPublicAccessBlock.error().code().as_str(),
            "NoSuchPublicAccessBlockConfiguration"
        );
    }
}
