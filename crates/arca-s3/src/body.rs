//! Moving object bytes between HTTP bodies and the store, streaming, with bounded memory.
//!
//! Upload: bytes are hashed as they arrive (MD5 for the ETag, in SIMD lanes shared with other
//! uploads once the body is large, see [`arca_md5_lanes`]; plus the requested checksum),
//! counted against the size limit, and pushed into the store's [`Ingest`](arca_store::Ingest), which decides
//! where they go. Download: the store's [`Store::read_range`] stream, its errors mapped to S3
//! errors. How bytes lie on disk is the store's business, not this module's.

use std::sync::Arc;

use arca_store::{DataKey, IngestTarget, ObjectData, StorageClass, Store};
use bytes::Bytes;
use futures::StreamExt;
use s3s::checksum::ChecksumHasher;
use s3s::dto::{Checksum, StreamingBlob};
use s3s::{S3Error, S3Result};

use crate::aws_error::AwsError;
use crate::error::StoreResultExt;
use arca_md5_lanes::{EtagMd5, Md5Lanes};

/// What an upload produced.
pub struct Ingested {
    /// Where the bytes went (inline or a blob).
    pub data: ObjectData,
    /// How many bytes arrived.
    pub size: u64,
    /// Their MD5.
    pub md5: [u8; 16],
    /// Their checksum in the algorithm asked for.
    pub checksum: Checksum,
}

impl Ingested {
    /// The ETag of a single upload: the hex MD5.
    pub fn etag(&self) -> String {
        hex::encode(self.md5)
    }

    /// Checks what arrived against what the client declared: Content-MD5, Content-Length and
    /// the `algorithm` checksum (from a header or an aws-chunked trailer).
    pub fn verify(
        &self,
        content_md5: Option<[u8; 16]>,
        content_length: Option<i64>,
        mut declared: Checksum,
        trailers: Option<&s3s::TrailingHeaders>,
        algorithm: Option<arca_store::ChecksumAlgorithm>,
    ) -> S3Result<()> {
        if content_md5.is_some_and(|md5| md5 != self.md5) {
            return Err(AwsError::BadDigest.error());
        }
        if content_length.is_some_and(|len| len as u64 != self.size) {
            return Err(AwsError::IncompleteBody.error());
        }
        crate::checksum::merge_trailers(&mut declared, trailers.and_then(|t| t.take()).as_ref());
        match algorithm {
            Some(a) => crate::checksum::verify(&self.checksum, &declared, a),
            None => Ok(()),
        }
    }
}

/// Decodes a Content-MD5 header (base64 of 16 bytes).
pub fn decode_content_md5(h: Option<&str>) -> S3Result<Option<[u8; 16]>> {
    use base64::Engine;
    let Some(h) = h else { return Ok(None) };
    let invalid = || AwsError::InvalidDigest.error();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(h)
        .map_err(|_| invalid())?;
    Ok(Some(bytes.try_into().map_err(|_| invalid())?))
}

/// Anything that yields body chunks: request bodies and copies of stored objects.
pub type ByteChunks = futures::stream::BoxStream<'static, Result<Bytes, S3Error>>;

/// A request body as chunks, its errors mapped to S3 errors.
pub fn request_chunks(body: StreamingBlob) -> ByteChunks {
    body.map(|r| r.map_err(body_error)).boxed()
}

/// An error while reading the request body, as the S3 error AWS would send.
///
/// s3s's body-verifying streams (`UploadStream`, `AwsChunkedStream`) live in private modules,
/// so their errors can only be told apart by their text; s3s is pinned to an exact version and
/// `body_errors_map_to_s3_codes` below guards the mapping.
fn body_error(e: s3s::StdError) -> S3Error {
    match e.downcast::<S3Error>() {
        Ok(s3) => *s3,
        Err(other) => {
            let text = other.to_string();
            tracing::debug!(error = %text, "request body failed");
            body_error_from_text(&text)
        }
    }
}

fn body_error_from_text(text: &str) -> S3Error {
    if text.contains("Sha256Mismatch") {
        AwsError::XAmzContentSHA256Mismatch.error()
    } else if text.contains("SignatureMismatch") {
        AwsError::SignatureDoesNotMatch.error()
    } else if text.contains("FormatError") || text.contains("TooLarge") || text.contains("TooMany") {
        AwsError::InvalidRequest.with_message("The aws-chunked request body is malformed.")
    } else {
        AwsError::IncompleteBody.error()
    }
}

/// Streams `chunks` into the store as `target` of storage class `class` (which decides the
/// tier), sealed under `key` (if any: multipart uploads begun before encryption existed go
/// on unsealed), hashing them; at most `limit` bytes.
pub async fn ingest(
    store: &Arc<Store>,
    lanes: &Arc<Md5Lanes>,
    mut chunks: ByteChunks,
    mut hasher: ChecksumHasher,
    limit: u64,
    (target, class, key): (IngestTarget, StorageClass, Option<DataKey>),
) -> S3Result<Ingested> {
    let mut md5 = EtagMd5::new(lanes);
    let mut ingest = store.ingest(target).in_class(class);
    if let Some(key) = key {
        ingest = ingest.sealed(key);
    }
    let received = async {
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            if ingest.size() + chunk.len() as u64 > limit {
                return Err(AwsError::EntityTooLarge.error());
            }
            md5.update(&chunk).await;
            hasher.update(&chunk);
            ingest.push(&chunk).await.s3()?;
        }
        // A hash that could not be computed fails the upload like a failed write would.
        md5.finish().await.map_err(|e| {
            tracing::error!(error = %e, "upload failed");
            AwsError::InternalError.error()
        })
    }
    .await;
    let (digest, ingest) = match received {
        Ok(digest) => (digest, ingest),
        Err(e) => {
            ingest.abandon().await;
            return Err(e);
        }
    };
    let size = ingest.size();
    let data = ingest.finish().await.s3()?;
    Ok(Ingested {
        data,
        size,
        md5: digest,
        checksum: hasher.finalize(),
    })
}

/// Streams bytes `[start, end)` of an object, opened with its data key `key` if sealed.
pub fn object_stream(
    store: &Store,
    data: &ObjectData,
    key: Option<&DataKey>,
    start: u64,
    end: u64,
) -> S3Result<ByteChunks> {
    let bytes = store.read_range(data, key, start, end).s3()?;
    Ok(bytes.map(|chunk| chunk.map_err(crate::error::store_error)).boxed())
}

/// Wraps a chunk stream as a response body with a known length.
pub fn response_body(chunks: ByteChunks) -> StreamingBlob {
    StreamingBlob::wrap(SyncStream(std::sync::Mutex::new(chunks)))
}

/// `StreamingBlob` wants `Sync`; a boxed stream is only `Send`. The mutex is never contended:
/// only the response writer polls it.
struct SyncStream(std::sync::Mutex<ByteChunks>);

impl futures::Stream for SyncStream {
    type Item = Result<Bytes, S3Error>;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let inner = this.0.get_mut().unwrap_or_else(|p| p.into_inner());
        inner.poll_next_unpin(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_errors_map_to_s3_codes() {
        let code = |t: &str| body_error_from_text(t).code().as_str().to_string();
        assert_eq!(code("UploadStreamError: Sha256Mismatch"), "XAmzContentSHA256Mismatch");
        assert_eq!(
            code("AwsChunkedStreamError: SignatureMismatch"),
            "SignatureDoesNotMatch"
        );
        assert_eq!(code("AwsChunkedStreamError: FormatError"), "InvalidRequest");
        assert_eq!(code("UploadStreamError: Incomplete"), "IncompleteBody");
    }
}
