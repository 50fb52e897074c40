//! The account a request acts for.
//!
//! Buckets belong to accounts: CreateBucket makes the requester's account the owner, and
//! ListBuckets lists that account's buckets only. Under Object Ownership `ObjectWriter`, an
//! object belongs to the account that wrote it. Who the requester is, the S3 layer does not
//! decide: the server's access hook (which resolves signatures to principals) leaves the
//! account here, in the request's extensions, for the operations that need it.

use arca_store::Owner;
use s3s::S3Request;

use crate::aws_error::AwsError;

/// The requester's account, as its buckets' owner (canonical id and display name).
#[derive(Debug, Clone)]
pub struct RequesterAccount(pub Owner);

/// The S3 operations that read [`RequesterAccount`]: the access hook adds it to these only.
pub const OPERATIONS_THAT_NEED_IT: &[&str] = &[
    "CreateBucket",
    "ListBuckets",
    "PutObject",
    "PostObject",
    "CopyObject",
    "CreateMultipartUpload",
];

/// The session token of temporary credentials: the `x-amz-security-token` header, or the
/// query parameter of a presigned URL (SigV4 names it `X-Amz-Security-Token`, SigV2
/// `x-amz-security-token`).
pub fn session_token(headers: &http::HeaderMap, uri: &http::Uri) -> Option<String> {
    if let Some(v) = headers.get("x-amz-security-token").and_then(|v| v.to_str().ok()) {
        return Some(v.to_string());
    }
    uri.query()?.split('&').find_map(|pair| {
        let (name, v) = pair.split_once('=')?;
        name.eq_ignore_ascii_case("x-amz-security-token")
            .then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

/// The requester's account; `AccessDenied` when the request has none (unsigned).
pub(crate) fn requester<T>(req: &S3Request<T>) -> s3s::S3Result<Owner> {
    req.extensions
        .get::<RequesterAccount>()
        .map(|r| r.0.clone())
        .ok_or_else(|| AwsError::AccessDenied.error())
}

/// The writer's account, if the request is signed.
pub(crate) fn writer<T>(req: &S3Request<T>) -> Option<Owner> {
    req.extensions.get::<RequesterAccount>().map(|r| r.0.clone())
}
