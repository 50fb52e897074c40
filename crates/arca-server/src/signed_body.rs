//! The whole body of a small signed request that is not an S3 operation (an IAM or STS form,
//! an admin simulation), read after its signature is checked and only up to a bound.

use bytes::Bytes;
use s3s::{Body, S3Request};

/// Why a bounded body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyRefusal {
    /// Longer than the bound (declared or found so).
    TooLarge,
    /// Not the body whose hash (`x-amz-content-sha256`) was signed.
    NotSigned,
}

/// Reads at most `max` bytes of `req`'s body, the one that was signed.
pub(crate) async fn read_bounded(req: &mut S3Request<Body>, max: usize) -> Result<Bytes, BodyRefusal> {
    let declared = req
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // s3s fails the read both for a body past the limit and for one whose hash is not the
    // signed one; the declared length tells them apart.
    req.input.store_all_limited(max).await.map_err(|_| {
        if declared.is_none_or(|n| n > max) {
            BodyRefusal::TooLarge
        } else {
            BodyRefusal::NotSigned
        }
    })
}
