//! Moving object bytes between HTTP bodies and the store, streaming, with bounded memory.
//!
//! Upload: bytes are hashed (MD5 for the ETag, in SIMD lanes shared with other uploads once
//! the body is large, see [`arca_md5_lanes`]; plus the requested checksum) as they arrive;
//! the first [`INLINE_THRESHOLD`] bytes are kept in memory, and only if the body grows past
//! that does a blob get started. Bytes are framed straight into the blob writer's 1 MiB
//! staging buffer as they arrive; each full buffer is written from a blocking thread.
//!
//! Download: a producer task reads four frames at a time (each CRC-verified) and hands them
//! to the response through a channel of depth 2, so a slow client holds at most a few hundred
//! KiB of server memory.

use std::sync::Arc;

use arca_store::{BlobId, BlobWriter, Extent, FRAME_DATA, HeadCaching, INLINE_THRESHOLD, ObjectData, Store, crc32c};
use bytes::Bytes;
use futures::StreamExt;
use s3s::checksum::ChecksumHasher;
use s3s::dto::{Checksum, StreamingBlob};
use s3s::{S3Error, S3Result};

use crate::aws_error::AwsError;
use crate::error::StoreResultExt;
use arca_md5_lanes::{EtagMd5, Md5Lanes};

/// Blob frames read per blocking call on the way out (~256 KiB). Each read ends on a frame
/// boundary, so consecutive reads never fetch (and verify) the same frame twice.
const READ_FRAMES: u64 = 4;

/// A range of at most this many frames (~1 MiB) is read in one blocking call: for small
/// objects the thread hop, not the bytes, is the cost, and 1 MiB per response is still a
/// bounded buffer.
const WHOLE_READ_FRAMES: u64 = 16;

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

/// Streams `chunks` into the store (inline or a new blob); at most `limit` bytes.
pub async fn ingest(
    store: &Arc<Store>,
    lanes: &Arc<Md5Lanes>,
    chunks: ByteChunks,
    hasher: ChecksumHasher,
    limit: u64,
) -> S3Result<Ingested> {
    ingest_with(store, lanes, chunks, hasher, limit, true, HeadCaching::Cached).await
}

/// Like [`ingest`], but always into a blob (multipart parts become extents); `head` says
/// whether the blob starts its object (part 1) or continues it.
pub async fn ingest_blob(
    store: &Arc<Store>,
    lanes: &Arc<Md5Lanes>,
    chunks: ByteChunks,
    hasher: ChecksumHasher,
    limit: u64,
    head: HeadCaching,
) -> S3Result<Ingested> {
    ingest_with(store, lanes, chunks, hasher, limit, false, head).await
}

async fn ingest_with(
    store: &Arc<Store>,
    lanes: &Arc<Md5Lanes>,
    mut chunks: ByteChunks,
    mut hasher: ChecksumHasher,
    limit: u64,
    inline_ok: bool,
    head: HeadCaching,
) -> S3Result<Ingested> {
    let mut md5 = EtagMd5::new(lanes);
    let mut size = 0u64;
    let mut inline: Vec<u8> = Vec::new();
    let mut writer: Option<BlobWriter> = None;
    // The blob being written, if any: what to discard if anything fails, writer or not.
    let mut blob: Option<BlobId> = None;
    let result: S3Result<()> = async {
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(AwsError::EntityTooLarge.error());
            }
            md5.update(&chunk).await;
            hasher.update(&chunk);
            if writer.is_none() && inline_ok && inline.len() + chunk.len() <= INLINE_THRESHOLD {
                inline.extend_from_slice(&chunk);
                continue;
            }
            let mut w = match writer.take() {
                Some(w) => w,
                None => {
                    let w = store.begin_blob(head).await.s3()?;
                    blob = Some(w.id());
                    feed(w, &std::mem::take(&mut inline)).await?
                }
            };
            w = feed(w, &chunk).await?;
            writer = Some(w);
        }
        if writer.is_none() && !inline_ok {
            let w = store.begin_blob(head).await.s3()?;
            blob = Some(w.id());
            writer = Some(w);
        }
        Ok(())
    }
    .await;
    // A hash that could not be computed fails the upload like a failed write would.
    let digest = match result {
        Ok(()) => md5.finish().await.map_err(|e| {
            tracing::error!(error = %e, "upload failed");
            AwsError::InternalError.error()
        }),
        Err(e) => Err(e),
    };
    let (digest, data) = match (digest, writer) {
        (Err(e), _) => {
            if let Some(id) = blob {
                let _ = store.discard_blob(id).await;
            }
            return Err(e);
        }
        (Ok(digest), None) => (
            digest,
            ObjectData::Inline {
                crc32c: crc32c(&inline),
                bytes: inline,
            },
        ),
        (Ok(digest), Some(w)) => {
            let id = w.id();
            let finished = tokio::task::spawn_blocking(move || w.finish())
                .await
                .map_err(|e| AwsError::InternalError.with_message(format!("blob writer panicked: {e}")));
            match finished {
                Ok(Ok((blob, len))) => (digest, ObjectData::Extents(vec![Extent { blob, len }])),
                Ok(Err(e)) => {
                    let _ = store.discard_blob(id).await;
                    return Err(crate::error::store_error(e));
                }
                Err(e) => {
                    let _ = store.discard_blob(id).await;
                    return Err(e);
                }
            }
        }
    };
    Ok(Ingested {
        data,
        size,
        md5: digest,
        checksum: hasher.finalize(),
    })
}

/// Frames `data` into the writer's staging buffer on this task and writes each buffer that
/// fills (1 MiB) from a blocking thread: the bytes are copied once, into their frames.
async fn feed(mut w: BlobWriter, mut data: &[u8]) -> S3Result<BlobWriter> {
    loop {
        let took = w.stage(data);
        data = &data[took..];
        if w.needs_flush() {
            w = tokio::task::spawn_blocking(move || w.flush().map(|()| w))
                .await
                .map_err(|e| AwsError::InternalError.with_message(format!("blob writer panicked: {e}")))?
                .s3()?;
        }
        if data.is_empty() {
            return Ok(w);
        }
    }
}

/// Streams bytes `[start, end)` of an object. Blob files are opened before this returns, so a
/// concurrent overwrite cannot pull them away from under the response.
pub fn object_stream(store: &Arc<Store>, data: &ObjectData, start: u64, end: u64) -> S3Result<ByteChunks> {
    match data {
        ObjectData::Inline { bytes, crc32c: crc } => {
            if crc32c(bytes) != *crc {
                tracing::error!("inline object bytes fail their checksum");
                return Err(AwsError::InternalError.error());
            }
            let slice = Bytes::copy_from_slice(&bytes[start as usize..end as usize]);
            Ok(futures::stream::once(async move { Ok(slice) }).boxed())
        }
        ObjectData::Extents(extents) => {
            // (reader, first byte in this extent, end byte in this extent)
            let mut plan = Vec::new();
            let mut offset = 0u64;
            for (index, e) in extents.iter().enumerate() {
                let (lo, hi) = (offset, offset + e.len);
                offset = hi;
                if hi <= start || lo >= end || e.len == 0 {
                    continue;
                }
                // Read as written: the first extent is part 1 (or the only blob).
                let reader = store.open_blob(e.blob, HeadCaching::for_blob(index == 0)).s3()?;
                plan.push((reader, start.max(lo) - lo, end.min(hi) - lo));
            }
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Bytes>, S3Error>>(2);
            tokio::spawn(async move {
                for (reader, mut pos, stop) in plan {
                    let reader = Arc::new(reader);
                    while pos < stop {
                        let mut end = (pos / FRAME_DATA as u64 + READ_FRAMES) * FRAME_DATA as u64;
                        let whole = stop - pos <= WHOLE_READ_FRAMES * FRAME_DATA as u64;
                        if whole || stop.saturating_sub(end) < FRAME_DATA as u64 {
                            // A last sliver (a 1 MiB object's final 64 bytes) joins this read.
                            end = stop;
                        }
                        let n = (end.min(stop) - pos) as usize;
                        let r = reader.clone();
                        let read = tokio::task::spawn_blocking(move || r.read(pos, n)).await;
                        let item = match read {
                            Ok(Ok(pieces)) => Ok(pieces),
                            Ok(Err(e)) => Err(crate::error::store_error(e)),
                            Err(e) => Err(AwsError::InternalError.with_message(format!("reader panicked: {e}"))),
                        };
                        let failed = item.is_err();
                        if tx.send(item).await.is_err() || failed {
                            return;
                        }
                        pos += n as u64;
                    }
                }
            });
            Ok(tokio_stream_from(rx))
        }
    }
}

/// The pieces of each read, one after another.
fn tokio_stream_from(mut rx: tokio::sync::mpsc::Receiver<Result<Vec<Bytes>, S3Error>>) -> ByteChunks {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
        .flat_map(|read| match read {
            Ok(pieces) => futures::stream::iter(pieces.into_iter().map(Ok).collect::<Vec<_>>()),
            Err(e) => futures::stream::iter(vec![Err(e)]),
        })
        .boxed()
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
