//! Who may do what: the server's answer to s3s's access hook, asked after a request's
//! signature is checked and before its input is read.
//!
//! Today Arca has one identity, the root user, so the rules are few: a request must be
//! signed, and `x-amz-expected-bucket-owner` (and, for copies,
//! `x-amz-source-expected-bucket-owner`) must name the owner of the bucket it acts on, or
//! the request is `403 AccessDenied` before anything is read or changed. IAM users, policies,
//! bucket policies and ACLs (issue 12) are decided here too.

use std::sync::Arc;

use arca_s3::aws_error::AwsError;
use arca_store::{Store, StoreError};
use http::HeaderName;
use s3s::S3Result;
use s3s::access::{S3Access, S3AccessContext};

/// The access rules, over the store that knows each bucket's owner.
pub(crate) struct Access {
    store: Arc<Store>,
}

impl Access {
    pub(crate) fn new(store: Arc<Store>) -> Self {
        Access { store }
    }

    /// A bucket that does not exist is not refused here: the operation answers NoSuchBucket.
    fn require_owner(&self, bucket: &str, expected: &str) -> S3Result<()> {
        match self.store.get_bucket(bucket) {
            Ok(b) if b.owner.id == expected => Ok(()),
            Ok(_) => Err(AwsError::AccessDenied.error()),
            Err(StoreError::NoSuchBucket(_)) => Ok(()),
            Err(e) => Err(arca_s3::error::store_error(e)),
        }
    }
}

// Header names made once: a lookup by `&str` would parse and validate the name per request.
const EXPECTED_OWNER: HeaderName = HeaderName::from_static("x-amz-expected-bucket-owner");
const SOURCE_EXPECTED_OWNER: HeaderName = HeaderName::from_static("x-amz-source-expected-bucket-owner");
const COPY_SOURCE: HeaderName = HeaderName::from_static("x-amz-copy-source");

fn header<'a>(cx: &'a S3AccessContext<'_>, name: &HeaderName) -> Option<&'a str> {
    cx.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The bucket of an `x-amz-copy-source` value (`[/]bucket/key[?versionId=…]`).
fn copy_source_bucket(source: &str) -> Option<&str> {
    source
        .trim_start_matches('/')
        .split('/')
        .next()
        .filter(|b| !b.is_empty())
}

#[async_trait::async_trait]
impl S3Access for Access {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        if cx.credentials().is_none() {
            return Err(AwsError::AccessDenied.with_message("Signature is required"));
        }
        if let Some(expected) = header(cx, &EXPECTED_OWNER)
            && let Some(bucket) = cx.s3_path().get_bucket_name()
        {
            self.require_owner(bucket, expected)?;
        }
        if let Some(expected) = header(cx, &SOURCE_EXPECTED_OWNER)
            && let Some(bucket) = header(cx, &COPY_SOURCE).and_then(copy_source_bucket)
        {
            self.require_owner(bucket, expected)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_bucket_is_the_first_segment() {
        assert_eq!(copy_source_bucket("/b/k/x?versionId=1"), Some("b"));
        assert_eq!(copy_source_bucket("b/k"), Some("b"));
        assert_eq!(copy_source_bucket("/"), None);
    }
}
