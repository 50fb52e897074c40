//! Headers of features Arca does not have yet are refused with the error AWS gives, never
//! accepted and ignored: an object asked to be stored encrypted or locked must not be stored
//! in plaintext or unlocked while the client is told "200 OK".
//!
//! Where AWS has an exact answer for a bucket without the feature, that is the answer:
//! object-lock headers meet a bucket without an Object Lock configuration. Otherwise
//! (dual-layer SSE-KMS, website redirects, creating a bucket with Object Lock) the answer is
//! `501 NotImplemented`. SSE-S3, SSE-KMS (`encryption.rs`) and SSE-C (`customer_key.rs`) are
//! honoured; S3 Bucket Keys are refused until they work (`encryption.rs`). (ACL headers are
//! honoured: see `acl.rs`.)

use crate::aws_error::AwsError;
use s3s::dto;
use s3s::{S3Error, S3Result};

/// The headers of an object write (PUT, POST form, copy, multipart initiate) that ask for a
/// feature Arca may not honour.
#[derive(Default)]
pub struct ObjectWriteOptions<'a> {
    /// `x-amz-server-side-encryption`.
    pub server_side_encryption: Option<&'a str>,
    /// Any `x-amz-object-lock-*`.
    pub has_object_lock: bool,
    /// `x-amz-website-redirect-location`.
    pub website_redirect: bool,
    /// `x-amz-write-offset-bytes` (appends).
    pub write_offset: bool,
}

/// Builds [`ObjectWriteOptions`] from any input that carries the object-write headers
/// (their fields are named alike in every s3s input).
#[macro_export]
macro_rules! object_write_options {
    ($input:expr) => {
        $crate::unhonoured::ObjectWriteOptions {
            server_side_encryption: $input.server_side_encryption.as_ref().map(|s| s.as_str()),
            has_object_lock: $input.object_lock_mode.is_some()
                || $input.object_lock_retain_until_date.is_some()
                || $input.object_lock_legal_hold_status.is_some(),
            website_redirect: $input.website_redirect_location.is_some(),
            write_offset: false,
        }
    };
}

/// Refuses an object write that asks for what Arca does not honour yet.
pub fn refuse_object_write(o: &ObjectWriteOptions<'_>) -> S3Result<()> {
    match o.server_side_encryption {
        // SSE-S3, what every object gets unless it asks for SSE-KMS (`encryption.rs`).
        None | Some("AES256" | "aws:kms") => {}
        // Dual-layer SSE-KMS is not built.
        Some("aws:kms:dsse") => return Err(not_implemented("x-amz-server-side-encryption")),
        Some(other) => {
            return Err(invalid_argument(
                "The encryption method specified is not supported",
                "x-amz-server-side-encryption",
                other,
            ));
        }
    }
    if o.has_object_lock {
        return Err(AwsError::InvalidRequest.with_message("Bucket is missing Object Lock Configuration"));
    }
    if o.website_redirect {
        return Err(not_implemented("x-amz-website-redirect-location"));
    }
    if o.write_offset {
        return Err(not_implemented("x-amz-write-offset-bytes"));
    }
    Ok(())
}

/// Refuses a CreateBucket that asks for Object Lock.
pub fn refuse_bucket_create(input: &dto::CreateBucketInput) -> S3Result<()> {
    if input.object_lock_enabled_for_bucket == Some(true) {
        return Err(not_implemented("x-amz-bucket-object-lock-enabled"));
    }
    Ok(())
}

fn not_implemented(header: &str) -> S3Error {
    AwsError::NotImplemented.with_message(format!(
        "A header you provided implies functionality that is not implemented: {header}"
    ))
}

/// AWS names the argument and its value in elements of the error body; s3s has no field for
/// them, so the message carries them.
fn invalid_argument(message: &str, name: &str, value: &str) -> S3Error {
    AwsError::InvalidArgument.with_message(format!("{message} (ArgumentName: {name}, ArgumentValue: {value})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: S3Result<()>) -> String {
        r.unwrap_err().code().as_str().to_string()
    }

    #[test]
    fn encryption_is_refused_by_kind() {
        let sse = |v| ObjectWriteOptions {
            server_side_encryption: Some(v),
            ..Default::default()
        };
        assert!(refuse_object_write(&sse("AES256")).is_ok(), "SSE-S3 is honoured");
        assert!(refuse_object_write(&sse("aws:kms")).is_ok(), "SSE-KMS is honoured");
        assert_eq!(code(refuse_object_write(&sse("aws:kms:dsse"))), "NotImplemented");
        assert_eq!(code(refuse_object_write(&sse("BOGUS"))), "InvalidArgument");
    }
}
