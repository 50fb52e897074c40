//! RemoteBlobs: blobs kept as objects in a bucket of another S3-compatible server — a
//! storage tier on another machine, as MinIO's remote tiering does.
//!
//! The adapter keeps [`BlobStore`]'s contract over [`ObjectEndpoint`], the handful of S3
//! calls it needs (the server implements it with an S3 client; the store never sees HTTP):
//! - a blob is one object, named by its id, holding the same CRC32C frames as a blob file,
//!   so every read is verified here whatever the remote does or did with the bytes;
//! - a new blob is staged in memory one part at a time ([`PART_FRAMES`] frames, 8 MiB) and
//!   uploaded as a multipart upload part by part (a single PUT when it fits in one part), so
//!   memory stays bounded whatever the blob's size; it is durable once the remote has
//!   acknowledged the upload's completion, which [`BlobSink::finish`] waits for;
//! - a range read is one ranged GET of the frames it touches;
//! - nothing here does I/O in `create` or `open` (they are called from async code); the
//!   uploads and reads happen in `flush`, `finish` and `read`, on blocking threads.

use std::sync::Arc;

use bytes::Bytes;

use super::frame_buffer::FrameBuffer;
use super::reader::{frames_of, verified_pieces};
use super::{BlobId, BlobSink, BlobSource, BlobStore, FRAME_DATA, FRAME_SIZE, HeadCaching};
use crate::error::{StoreError, StoreResult};

/// Frames per uploaded part: 8 MiB, above S3's 5 MiB minimum for all but the last part.
pub const PART_FRAMES: usize = 128;

/// The S3 calls a remote tier makes, on one bucket. Each blocks until the remote answers;
/// errors are [`StoreError::Remote`].
pub trait ObjectEndpoint: Send + Sync + 'static {
    /// PutObject.
    fn put(&self, name: &str, body: Bytes) -> StoreResult<()>;
    /// CreateMultipartUpload; the upload id.
    fn start_upload(&self, name: &str) -> StoreResult<String>;
    /// UploadPart; the part's ETag.
    fn upload_part(&self, name: &str, upload_id: &str, number: u32, body: Bytes) -> StoreResult<String>;
    /// CompleteMultipartUpload with `(part number, ETag)` in order.
    fn complete_upload(&self, name: &str, upload_id: &str, parts: &[(u32, String)]) -> StoreResult<()>;
    /// AbortMultipartUpload.
    fn abort_upload(&self, name: &str, upload_id: &str) -> StoreResult<()>;
    /// GetObject of `len` bytes from `start`; fewer at the end of the object.
    fn get_range(&self, name: &str, start: u64, len: u64) -> StoreResult<Bytes>;
    /// DeleteObject (of an object already gone too).
    fn delete(&self, name: &str) -> StoreResult<()>;
}

/// Blobs as objects on an [`ObjectEndpoint`], named `<prefix><blob id>`.
pub struct RemoteBlobs {
    endpoint: Arc<dyn ObjectEndpoint>,
    prefix: String,
}

impl RemoteBlobs {
    /// A tier on `endpoint`, its objects' names starting with `prefix`.
    pub fn new(endpoint: Arc<dyn ObjectEndpoint>, prefix: impl Into<String>) -> Self {
        RemoteBlobs {
            endpoint,
            prefix: prefix.into(),
        }
    }

    fn name(&self, id: BlobId) -> String {
        format!("{}{id}", self.prefix)
    }
}

impl BlobStore for RemoteBlobs {
    fn create(&self, id: BlobId, _head: HeadCaching) -> StoreResult<Box<dyn BlobSink>> {
        Ok(Box::new(RemoteSink {
            id,
            name: self.name(id),
            endpoint: self.endpoint.clone(),
            staged: FrameBuffer::new(PART_FRAMES),
            upload: None,
            parts: Vec::new(),
            len: 0,
        }))
    }

    fn open(&self, id: BlobId, _head: HeadCaching) -> StoreResult<Box<dyn BlobSource>> {
        Ok(Box::new(RemoteSource {
            id,
            name: self.name(id),
            endpoint: self.endpoint.clone(),
        }))
    }

    fn remove(&self, id: BlobId) -> StoreResult<()> {
        self.endpoint.delete(&self.name(id))
    }
}

/// A new remote blob: one part staged at a time.
struct RemoteSink {
    id: BlobId,
    name: String,
    endpoint: Arc<dyn ObjectEndpoint>,
    staged: FrameBuffer,
    /// The multipart upload, once a first full part went out.
    upload: Option<String>,
    parts: Vec<(u32, String)>,
    /// Object bytes taken so far.
    len: u64,
}

impl RemoteSink {
    fn send_part(&mut self, body: Bytes) -> StoreResult<()> {
        let upload = match &self.upload {
            Some(u) => u.clone(),
            None => {
                let u = self.endpoint.start_upload(&self.name)?;
                self.upload = Some(u.clone());
                u
            }
        };
        let number = self.parts.len() as u32 + 1;
        let etag = self.endpoint.upload_part(&self.name, &upload, number, body)?;
        self.parts.push((number, etag));
        Ok(())
    }
}

impl BlobSink for RemoteSink {
    fn id(&self) -> BlobId {
        self.id
    }

    fn stage(&mut self, data: &[u8]) -> usize {
        let took = self.staged.push(data);
        self.len += took as u64;
        took
    }

    fn needs_flush(&self) -> bool {
        self.staged.is_full()
    }

    fn flush(&mut self) -> StoreResult<()> {
        if !self.staged.is_full() {
            // Only whole parts go out before `finish`: every part but the last is ≥ 5 MiB.
            return Ok(());
        }
        let part = Bytes::copy_from_slice(self.staged.frames());
        self.staged.clear();
        self.send_part(part)
    }

    fn finish(mut self: Box<Self>) -> StoreResult<u64> {
        self.flush()?;
        let (bytes, exact) = self.staged.seal();
        let last = Bytes::copy_from_slice(&bytes[..exact]);
        match self.upload.clone() {
            None => self.endpoint.put(&self.name, last)?,
            Some(upload) => {
                if !last.is_empty() {
                    self.send_part(last)?;
                }
                self.endpoint.complete_upload(&self.name, &upload, &self.parts)?;
                // Completed: nothing for `Drop` to abort.
                self.upload = None;
            }
        }
        Ok(self.len)
    }
}

impl Drop for RemoteSink {
    /// A blob abandoned mid-upload leaves no parts behind on the remote (best effort: an
    /// AbortIncompleteMultipartUpload rule on the remote bucket catches what a crash leaves).
    fn drop(&mut self) {
        let Some(upload) = self.upload.take() else { return };
        // Endpoint calls block, and a sink may be dropped on an async worker (its request
        // went away): abort from a thread of its own.
        let (endpoint, name, id) = (self.endpoint.clone(), self.name.clone(), self.id);
        std::thread::spawn(move || {
            if let Err(e) = endpoint.abort_upload(&name, &upload) {
                tracing::warn!(blob = %id, error = %e, "could not abort a remote upload");
            }
        });
    }
}

/// Range reads of one remote blob.
struct RemoteSource {
    id: BlobId,
    name: String,
    endpoint: Arc<dyn ObjectEndpoint>,
}

impl BlobSource for RemoteSource {
    fn read(&self, start: u64, len: usize) -> StoreResult<Vec<Bytes>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let (first, frames) = frames_of(start, len);
        let framed = self
            .endpoint
            .get_range(&self.name, first * FRAME_SIZE as u64, (frames * FRAME_SIZE) as u64)?;
        verified_pieces(&framed, first, start, len).map_err(|frame| StoreError::Corrupt {
            blob: self.id.to_string(),
            frame,
        })
    }

    fn read_unit(&self) -> u64 {
        FRAME_DATA as u64
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    /// Parts uploaded so far, by upload id.
    type Uploads = HashMap<String, Vec<(u32, Vec<u8>)>>;

    /// An in-memory bucket that counts what it was asked.
    #[derive(Default)]
    struct MemoryBucket {
        objects: Mutex<HashMap<String, Vec<u8>>>,
        uploads: Mutex<Uploads>,
        parts_sent: Mutex<usize>,
    }

    impl ObjectEndpoint for MemoryBucket {
        fn put(&self, name: &str, body: Bytes) -> StoreResult<()> {
            self.objects.lock().unwrap().insert(name.into(), body.to_vec());
            Ok(())
        }
        fn start_upload(&self, name: &str) -> StoreResult<String> {
            self.uploads.lock().unwrap().insert(format!("u-{name}"), Vec::new());
            Ok(format!("u-{name}"))
        }
        fn upload_part(&self, _name: &str, upload_id: &str, number: u32, body: Bytes) -> StoreResult<String> {
            *self.parts_sent.lock().unwrap() += 1;
            let mut uploads = self.uploads.lock().unwrap();
            uploads.get_mut(upload_id).unwrap().push((number, body.to_vec()));
            Ok(format!("e{number}"))
        }
        fn complete_upload(&self, name: &str, upload_id: &str, parts: &[(u32, String)]) -> StoreResult<()> {
            let stored = self.uploads.lock().unwrap().remove(upload_id).unwrap();
            assert_eq!(stored.len(), parts.len());
            let body: Vec<u8> = stored.into_iter().flat_map(|(_, b)| b).collect();
            self.objects.lock().unwrap().insert(name.into(), body);
            Ok(())
        }
        fn abort_upload(&self, _name: &str, upload_id: &str) -> StoreResult<()> {
            self.uploads.lock().unwrap().remove(upload_id);
            Ok(())
        }
        fn get_range(&self, name: &str, start: u64, len: u64) -> StoreResult<Bytes> {
            let objects = self.objects.lock().unwrap();
            let o = objects
                .get(name)
                .ok_or_else(|| StoreError::Remote("no such key".into()))?;
            let end = (start + len).min(o.len() as u64) as usize;
            Ok(Bytes::copy_from_slice(&o[start as usize..end]))
        }
        fn delete(&self, name: &str) -> StoreResult<()> {
            self.objects.lock().unwrap().remove(name);
            Ok(())
        }
    }

    fn write(blobs: &RemoteBlobs, id: BlobId, data: &[u8]) -> u64 {
        let mut sink = blobs.create(id, HeadCaching::Cached).unwrap();
        sink.write(data).unwrap();
        sink.finish().unwrap()
    }

    #[test]
    fn small_blobs_are_one_put_and_large_ones_upload_in_parts_then_read_back_verified() {
        let bucket = Arc::new(MemoryBucket::default());
        let blobs = RemoteBlobs::new(bucket.clone(), "tier/");
        let small: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
        assert_eq!(write(&blobs, BlobId(1), &small), small.len() as u64);
        assert_eq!(*bucket.parts_sent.lock().unwrap(), 0);
        let large: Vec<u8> = (0..(PART_FRAMES * FRAME_DATA * 2 + 777))
            .map(|i| (i % 251) as u8)
            .collect();
        write(&blobs, BlobId(2), &large);
        assert_eq!(*bucket.parts_sent.lock().unwrap(), 3);
        assert!(bucket.uploads.lock().unwrap().is_empty());

        let source = blobs.open(BlobId(2), HeadCaching::Cached).unwrap();
        let start = FRAME_DATA as u64 * 127 + 5;
        let got: Vec<u8> = source.read(start, 300_000).unwrap().concat();
        assert_eq!(got, large[start as usize..start as usize + 300_000]);

        // A flipped byte on the remote is caught, never returned.
        bucket
            .objects
            .lock()
            .unwrap()
            .get_mut("tier/00000000000000000000000000000001")
            .unwrap()[10] ^= 1;
        let source = blobs.open(BlobId(1), HeadCaching::Cached).unwrap();
        assert!(matches!(source.read(0, 100), Err(StoreError::Corrupt { frame: 0, .. })));

        blobs.remove(BlobId(2)).unwrap();
        blobs.remove(BlobId(2)).unwrap();
        assert_eq!(bucket.objects.lock().unwrap().len(), 1);
    }

    #[test]
    fn an_abandoned_sink_aborts_its_upload() {
        let bucket = Arc::new(MemoryBucket::default());
        let blobs = RemoteBlobs::new(bucket.clone(), "");
        let mut sink = blobs.create(BlobId(3), HeadCaching::Cached).unwrap();
        sink.write(&vec![1u8; PART_FRAMES * FRAME_DATA + 10]).unwrap();
        assert_eq!(bucket.uploads.lock().unwrap().len(), 1);
        drop(sink);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !bucket.uploads.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "the upload was never aborted");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(bucket.objects.lock().unwrap().is_empty());
    }
}
