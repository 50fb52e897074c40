//! Encryption at rest as S3 requests see it: the key a new object is sealed under, the key
//! that opens a stored one, and the headers that say which.
//!
//! Every object written is sealed (as AWS does since January 2023): under SSE-S3 unless the
//! request (`x-amz-server-side-encryption`) or the bucket's default encryption asks for
//! SSE-KMS. SSE-S3's data keys come from the server's [`Keyring`](arca_kms::Keyring); SSE-KMS's
//! from the key service, asked on the requester's behalf ([`KmsDataKeys`]): the requester
//! needs `kms:GenerateDataKey` on the key to write and `kms:Decrypt` to read. A request that
//! brings its own key (SSE-C, `customer_key.rs`) seals under that key instead, and must
//! bring it again to read. Objects written before encryption existed have no descriptor and
//! are read as they are stored.

use arca_kms::EncryptionContext;
use arca_store::{DataKey, EncryptionDescriptor, ObjectVersion, SseAlgorithm};
use base64::Engine;
use s3s::dto::ServerSideEncryption;
use s3s::{S3Request, S3Result};

use crate::ArcaS3;
use crate::aws_error::AwsError;
use crate::customer_key::{ProvidedKey, Sealed, customer_data_key};

/// Who asks, as the key service needs to know to decide: the request's access key and
/// session token.
#[derive(Debug, Clone, Default)]
pub struct Requester {
    /// The access key the request is signed with (`None`: unsigned).
    pub access_key: Option<String>,
    /// Its session token, for temporary credentials.
    pub session_token: Option<String>,
}

impl Requester {
    /// The requester of `req`.
    pub(crate) fn of<T>(req: &S3Request<T>) -> Requester {
        Requester {
            access_key: req.credentials.as_ref().map(|c| c.access_key.clone()),
            session_token: crate::requester::session_token(&req.headers, &req.uri),
        }
    }
}

/// SSE-KMS's data keys: the key service, asked on a requester's behalf. The server decides
/// whether the requester may (key policy, own policies, grants) and answers S3's errors.
#[async_trait::async_trait]
pub trait KmsDataKeys: Send + Sync + 'static {
    /// A new data key under KMS key `key_id` (an id, ARN or alias; `None`: the requester's
    /// account's `aws/s3` key, made on first use), made with `context`: the key, and how the
    /// object's record keeps it. With `bucket_key`, the object's key is derived from an S3
    /// Bucket Key (see `arca_kms::BucketKey`), which the service may have made before.
    async fn generate(
        &self,
        requester: &Requester,
        key_id: Option<&str>,
        context: &EncryptionContext,
        bucket_key: bool,
    ) -> S3Result<(DataKey, EncryptionDescriptor)>;

    /// The data key an SSE-KMS record keeps (from its bucket key, if it has one).
    async fn decrypt(&self, requester: &Requester, descriptor: &EncryptionDescriptor) -> S3Result<DataKey>;
}

/// What a write asks of encryption: `x-amz-server-side-encryption` and the SSE-KMS headers.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SseRequest<'a> {
    pub(crate) algorithm: Option<&'a str>,
    pub(crate) kms_key_id: Option<&'a str>,
    /// `x-amz-server-side-encryption-context`: base64 of a JSON object of strings.
    pub(crate) context: Option<&'a str>,
    pub(crate) bucket_key: Option<bool>,
}

/// Builds an [`SseRequest`] from any input with the SSE headers (named alike in every s3s
/// input).
#[macro_export]
macro_rules! sse_request {
    ($input:expr) => {
        $crate::encryption::SseRequest {
            algorithm: $input.server_side_encryption.as_ref().map(|s| s.as_str()),
            kms_key_id: $input.ssekms_key_id.as_deref(),
            context: $input.ssekms_encryption_context.as_deref(),
            bucket_key: $input.bucket_key_enabled,
        }
    };
}

/// How a new object is sealed: its data key and how its record keeps it.
pub(crate) type Sealing = (DataKey, EncryptionDescriptor);

impl ArcaS3 {
    /// The data key a new object `key` of `bucket` is sealed under: the customer's where the
    /// request brought one (SSE-C), else as `sse` asks or, where it asks nothing, as the
    /// bucket's default encryption says.
    pub(crate) async fn new_sealing(
        &self,
        requester: &Requester,
        bucket: &str,
        key: &str,
        sse: &SseRequest<'_>,
        customer: Option<&ProvidedKey>,
    ) -> S3Result<Sealing> {
        if let Some(customer) = customer {
            if sse.algorithm.is_some() || sse.kms_key_id.is_some() || sse.context.is_some() {
                return Err(AwsError::InvalidArgument.with_message(
                    "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                ));
            }
            return Ok(customer.new_sealing());
        }
        if (sse.kms_key_id.is_some() || sse.context.is_some()) && sse.algorithm != Some("aws:kms") {
            return Err(AwsError::InvalidArgument.with_message(
                "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
            ));
        }
        let default = self.store.bucket_access(bucket).and_then(|b| b.encryption.clone());
        let algorithm = match sse.algorithm {
            Some(a) => a,
            None => default.as_ref().map_or("AES256", |d| d.algorithm.as_str()),
        };
        // An S3 Bucket Key serves SSE-KMS only (SSE-S3 never asks a KMS anyway).
        let bucket_key = algorithm == "aws:kms"
            && sse
                .bucket_key
                .unwrap_or_else(|| default.as_ref().is_some_and(|d| d.bucket_key_enabled));
        match algorithm {
            "aws:kms" => {
                let key_id = sse.kms_key_id.or_else(|| {
                    default
                        .as_ref()
                        .and_then(|d| d.kms_key_id.as_deref())
                        .filter(|_| sse.algorithm.is_none())
                });
                let mut context = match sse.context {
                    Some(text) => parse_context(text)?,
                    None => EncryptionContext::new(),
                };
                // S3 binds every SSE-KMS data key to its object, as AWS does; a bucket key,
                // shared by the bucket's objects, to the bucket.
                context
                    .entry("aws:s3:arn".to_string())
                    .or_insert_with(|| match bucket_key {
                        true => format!("arn:aws:s3:::{bucket}"),
                        false => format!("arn:aws:s3:::{bucket}/{key}"),
                    });
                self.kms_keys.generate(requester, key_id, &context, bucket_key).await
            }
            _ => Ok(self.keys.new_data_key()),
        }
    }

    /// The key that opens `version`'s bytes for a request that brought `customer` (`None`:
    /// they are not sealed).
    pub(crate) async fn data_key_of(
        &self,
        requester: &Requester,
        version: &ObjectVersion,
        customer: Option<&ProvidedKey>,
    ) -> S3Result<Option<DataKey>> {
        self.data_key(requester, version.encryption.as_ref(), (customer, Sealed::Object))
            .await
    }

    /// The key a record's `descriptor` keeps, for a request that brought `customer` to open
    /// what.
    pub(crate) async fn data_key(
        &self,
        requester: &Requester,
        descriptor: Option<&EncryptionDescriptor>,
        (customer, what): (Option<&ProvidedKey>, Sealed),
    ) -> S3Result<Option<DataKey>> {
        if let Some(key) = customer_data_key(descriptor, customer, what)? {
            return Ok(Some(key));
        }
        let Some(descriptor) = descriptor else {
            return Ok(None);
        };
        match descriptor.algorithm {
            SseAlgorithm::AwsKms => self.kms_keys.decrypt(requester, descriptor).await.map(Some),
            SseAlgorithm::Aes256 => self.keys.data_key(descriptor).map(Some).map_err(|e| {
                tracing::error!(error = %e, "an object's data key does not open");
                AwsError::InternalError.error()
            }),
            SseAlgorithm::CustomerKey => unreachable!("customer_data_key opens SSE-C or refuses"),
        }
    }
}

/// `x-amz-server-side-encryption-context`: base64 of a JSON object whose values are strings.
fn parse_context(text: &str) -> S3Result<EncryptionContext> {
    let invalid = || {
        AwsError::InvalidArgument
            .with_message("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map")
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| invalid())?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let map = value.as_object().ok_or_else(invalid)?;
    map.iter()
        .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())).ok_or_else(invalid))
        .collect()
}

/// `x-amz-server-side-encryption` of an object kept as `descriptor` says (none for SSE-C,
/// whose answers echo the customer-key headers instead).
pub(crate) fn sse_header(descriptor: Option<&EncryptionDescriptor>) -> Option<ServerSideEncryption> {
    descriptor
        .filter(|d| d.algorithm != SseAlgorithm::CustomerKey)
        .map(|d| ServerSideEncryption::from(d.algorithm.as_str().to_string()))
}

/// `x-amz-server-side-encryption-bucket-key-enabled`: whether an SSE-KMS object's key comes
/// from an S3 Bucket Key (said only when it does).
pub(crate) fn bucket_key_header(descriptor: Option<&EncryptionDescriptor>) -> Option<bool> {
    descriptor.and_then(|d| d.bucket_key_salt.as_ref()).map(|_| true)
}

/// `x-amz-server-side-encryption-aws-kms-key-id`: the KMS key of an SSE-KMS object.
pub(crate) fn kms_key_header(descriptor: Option<&EncryptionDescriptor>) -> Option<String> {
    descriptor
        .filter(|d| d.algorithm == SseAlgorithm::AwsKms)
        .and_then(|d| d.key_id.clone())
}
