//! A bucket's default encryption: Put/Get/DeleteBucketEncryption.
//!
//! Every bucket encrypts new objects with SSE-S3 unless told otherwise, as AWS's buckets do
//! since 2023: GetBucketEncryption answers that default for a bucket that never set one, and
//! DeleteBucketEncryption returns a bucket to it. `AES256` or `aws:kms` (with a key, or the
//! account's `aws/s3` key, and with or without an S3 Bucket Key) can be set; dual-layer
//! SSE-KMS is refused (`501 NotImplemented`) rather than stored and not applied.

use arca_store::{BucketEncryption, SseAlgorithm};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::error::StoreResultExt;

impl ArcaS3 {
    pub(crate) async fn put_bucket_encryption_impl(
        &self,
        req: S3Request<PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
        let input = req.input;
        let config = parse(input.server_side_encryption_configuration)?;
        // Through the access mirror: every write reads the bucket's default from it.
        self.store
            .update_bucket_access(&input.bucket, move |b| {
                b.encryption = Some(config);
                Ok::<(), std::convert::Infallible>(())
            })
            .await
            .s3()?
            .unwrap_or_else(|never| match never {});
        Ok(S3Response::new(PutBucketEncryptionOutput {}))
    }

    pub(crate) fn get_bucket_encryption_impl(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
        let bucket = self.store.get_bucket(&req.input.bucket).s3()?;
        let config = bucket.encryption.unwrap_or(BucketEncryption::DEFAULT);
        let rule = ServerSideEncryptionRule {
            apply_server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                sse_algorithm: ServerSideEncryption::from(config.algorithm.as_str().to_string()),
                kms_master_key_id: config.kms_key_id,
            }),
            bucket_key_enabled: Some(config.bucket_key_enabled),
        };
        Ok(S3Response::new(GetBucketEncryptionOutput {
            server_side_encryption_configuration: Some(ServerSideEncryptionConfiguration { rules: vec![rule] }),
        }))
    }

    pub(crate) async fn delete_bucket_encryption_impl(
        &self,
        req: S3Request<DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
        self.store
            .update_bucket_access(&req.input.bucket, |b| {
                b.encryption = None;
                Ok::<(), std::convert::Infallible>(())
            })
            .await
            .s3()?
            .unwrap_or_else(|never| match never {});
        Ok(S3Response::new(DeleteBucketEncryptionOutput {}))
    }
}

/// The configuration a PutBucketEncryption body asks for: one rule, with a default algorithm.
fn parse(config: ServerSideEncryptionConfiguration) -> S3Result<BucketEncryption> {
    let [rule] = <[ServerSideEncryptionRule; 1]>::try_from(config.rules).map_err(|_| AwsError::MalformedXML.error())?;
    let default = rule
        .apply_server_side_encryption_by_default
        .ok_or_else(|| AwsError::MalformedXML.error())?;
    let bucket_key_enabled = rule.bucket_key_enabled.unwrap_or(false);
    let algorithm = match default.sse_algorithm.as_str() {
        "AES256" => SseAlgorithm::Aes256,
        "aws:kms" => SseAlgorithm::AwsKms,
        "aws:kms:dsse" => {
            return Err(AwsError::NotImplemented.with_message(
                "A header you provided implies functionality that is not implemented: dual-layer SSE-KMS",
            ));
        }
        _ => return Err(AwsError::MalformedXML.error()),
    };
    if algorithm == SseAlgorithm::Aes256 && default.kms_master_key_id.is_some() {
        return Err(AwsError::InvalidArgument.with_message(
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
        ));
    }
    Ok(BucketEncryption {
        algorithm,
        kms_key_id: default.kms_master_key_id,
        bucket_key_enabled,
    })
}
