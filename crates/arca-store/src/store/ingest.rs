//! Ingest: an upload's bytes streamed into the store as they arrive, with bounded memory.
//!
//! The caller pushes chunks as its body yields them and finishes; the store decides where the
//! bytes go. An object's first [`INLINE_THRESHOLD`] bytes wait in memory, and only if it grows
//! past that does a blob get started (a small object then lives inline in its record); a
//! multipart part always becomes a blob, since parts become extents. Each chunk is staged into
//! the blob sink on the caller's task (a copy into place, no I/O) and each full staging buffer
//! is written from a blocking thread, so an upload holds one buffer's worth of memory.
//!
//! Nothing ingested is visible until the caller commits a record naming it. An ingest that
//! fails, is abandoned or is dropped half way (the client went away and the request's future
//! with it) hands its blob to the GC queue.

use std::sync::Arc;

use crate::blob::{BlobRef, BlobSink, HeadCaching, TierId, crc32c};
use crate::error::{StoreError, StoreResult};
use crate::record::{Extent, ObjectData, StorageClass};
use crate::{INLINE_THRESHOLD, Store};

/// What the bytes being ingested will become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IngestTarget {
    /// A whole object (PUT, POST, copy): inline if small, else one blob.
    Object,
    /// Part `number` of a multipart upload: always one blob.
    Part {
        /// The part number (1 to 10,000): part 1 starts the object.
        number: u32,
    },
}

impl IngestTarget {
    fn inline_ok(self) -> bool {
        self == IngestTarget::Object
    }

    fn head(self) -> HeadCaching {
        HeadCaching::for_blob(match self {
            IngestTarget::Object => true,
            IngestTarget::Part { number } => number == 1,
        })
    }
}

/// An upload on its way into the store; see the module docs. Made by [`Store::ingest`].
pub struct Ingest {
    store: Arc<Store>,
    target: IngestTarget,
    /// Bytes held until the object proves larger than [`INLINE_THRESHOLD`].
    inline: Vec<u8>,
    /// The blob being written; `None` before it starts and while a flush has it.
    sink: Option<Box<dyn BlobSink>>,
    /// The blob started, if any: what to hand to GC if this ingest never finishes.
    blob: Option<BlobRef>,
    /// The tier its blob goes to (its storage class's).
    tier: TierId,
    size: u64,
}

impl Store {
    /// Starts ingesting an upload's bytes; see [`Ingest`].
    pub fn ingest(self: &Arc<Self>, target: IngestTarget) -> Ingest {
        Ingest {
            store: self.clone(),
            target,
            inline: Vec::new(),
            sink: None,
            blob: None,
            tier: TierId::MAIN,
            size: 0,
        }
    }

    /// Gives up on bytes ingested but never committed (a digest that did not match, a
    /// condition that failed): their blobs go to the GC queue.
    pub async fn discard_data(&self, data: &ObjectData) -> StoreResult<()> {
        for b in data.blobs() {
            self.discard_blob(b).await?;
        }
        Ok(())
    }
}

impl Ingest {
    /// Writes the bytes to the tier objects of `class` live in (the data folder unless the
    /// configuration maps the class elsewhere).
    pub fn in_class(mut self, class: StorageClass) -> Self {
        self.tier = self.store.tiers.for_class(class);
        self
    }

    /// Bytes taken so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Takes the next chunk of the upload. On error, the ingest is spoilt: drop or
    /// [`abandon`](Ingest::abandon) it.
    pub async fn push(&mut self, chunk: &[u8]) -> StoreResult<()> {
        self.size += chunk.len() as u64;
        if self.sink.is_none() && self.target.inline_ok() && self.inline.len() + chunk.len() <= INLINE_THRESHOLD {
            self.inline.extend_from_slice(chunk);
            return Ok(());
        }
        let mut sink = match self.sink.take() {
            Some(sink) => sink,
            None => {
                let sink = self.start_blob().await?;
                let held = std::mem::take(&mut self.inline);
                feed(sink, &held).await?
            }
        };
        sink = feed(sink, chunk).await?;
        self.sink = Some(sink);
        Ok(())
    }

    /// Makes the upload's bytes durable and returns where they are, for the record that will
    /// name them. On error its blob is already handed to GC.
    pub async fn finish(mut self) -> StoreResult<ObjectData> {
        if self.sink.is_none() && !self.target.inline_ok() {
            // An empty part is still a blob: parts are extents.
            let sink = self.start_blob().await?;
            self.sink = Some(sink);
        }
        let Some(sink) = self.sink.take() else {
            let bytes = std::mem::take(&mut self.inline);
            return Ok(ObjectData::Inline {
                crc32c: crc32c(&bytes),
                bytes,
            });
        };
        let blob = sink.id();
        let finished = tokio::task::spawn_blocking(move || sink.finish())
            .await
            .map_err(StoreError::worker)
            .flatten();
        match finished {
            Ok(len) => {
                // The record that will name the blob settles its intent.
                self.blob = None;
                Ok(ObjectData::Extents(vec![Extent {
                    blob,
                    len,
                    tier: self.tier,
                }]))
            }
            Err(e) => {
                self.abandon_now().await;
                Err(e)
            }
        }
    }

    /// Gives up on the upload (its body failed or was refused): its blob, if it had started
    /// one, goes to the GC queue now rather than when the ingest is dropped.
    pub async fn abandon(mut self) {
        self.abandon_now().await;
    }

    async fn abandon_now(&mut self) {
        if let Some(b) = self.blob.take()
            && let Err(e) = self.store.discard_blob(b).await
        {
            tracing::warn!(error = %e, blob = %b.id, "could not queue an abandoned blob; the next start will");
        }
    }

    async fn start_blob(&mut self) -> StoreResult<Box<dyn BlobSink>> {
        let sink = self.store.begin_blob(self.target.head(), self.tier).await?;
        self.blob = Some(BlobRef {
            id: sink.id(),
            tier: self.tier,
        });
        Ok(sink)
    }
}

impl Drop for Ingest {
    /// A request future dropped mid-upload (its client went away) must not leave a blob for
    /// the next restart to find: queue it from a task of its own.
    fn drop(&mut self) {
        let Some(b) = self.blob.take() else { return };
        let store = self.store.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = store.discard_blob(b).await {
                    tracing::warn!(error = %e, blob = %b.id, "could not queue an abandoned blob; the next start will");
                }
            });
        }
    }
}

/// Stages `data` into the sink on this task and writes each staging buffer that fills from a
/// blocking thread: the bytes are copied once, into place.
async fn feed(mut sink: Box<dyn BlobSink>, mut data: &[u8]) -> StoreResult<Box<dyn BlobSink>> {
    loop {
        let took = sink.stage(data);
        data = &data[took..];
        if sink.needs_flush() {
            sink = tokio::task::spawn_blocking(move || sink.flush().map(|()| sink))
                .await
                .map_err(StoreError::worker)??;
        }
        if data.is_empty() {
            return Ok(sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;
    use crate::blob::FRAME_DATA;

    async fn read_all(s: &Store, data: &ObjectData, start: u64, end: u64) -> Vec<u8> {
        let chunks: Vec<bytes::Bytes> = s.read_range(data, start, end).unwrap().try_collect().await.unwrap();
        chunks.concat()
    }

    async fn ingest(s: &Arc<Store>, target: IngestTarget, chunks: &[&[u8]]) -> ObjectData {
        let mut ingest = s.ingest(target);
        for c in chunks {
            ingest.push(c).await.unwrap();
        }
        ingest.finish().await.unwrap()
    }

    #[tokio::test]
    async fn small_objects_stay_inline_and_larger_ones_become_one_blob() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let small = vec![1u8; INLINE_THRESHOLD];
        let data = ingest(&s, IngestTarget::Object, &[&small[..10], &small[10..]]).await;
        assert!(matches!(&data, ObjectData::Inline { bytes, .. } if *bytes == small));
        // One byte over, arriving after the threshold was reached: the held bytes move too.
        let large: Vec<u8> = (0..INLINE_THRESHOLD + 1).map(|i| i as u8).collect();
        let data = ingest(
            &s,
            IngestTarget::Object,
            &[&large[..INLINE_THRESHOLD], &large[INLINE_THRESHOLD..]],
        )
        .await;
        let ObjectData::Extents(extents) = &data else {
            panic!("a blob")
        };
        assert_eq!(extents.len(), 1);
        assert_eq!(extents[0].len, large.len() as u64);
        assert_eq!(read_all(&s, &data, 0, large.len() as u64).await, large);
        // Intents stay until a record names the blob; none is in the GC queue.
        assert_eq!(s.gc_backlog().unwrap(), 0);
    }

    #[tokio::test]
    async fn parts_are_always_blobs_even_empty_ones() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        for (number, body) in [(1, &b""[..]), (2, &b"tiny"[..])] {
            let data = ingest(&s, IngestTarget::Part { number }, &[body]).await;
            let ObjectData::Extents(extents) = &data else {
                panic!("part {number} is a blob")
            };
            assert_eq!(extents[0].len, body.len() as u64);
            assert_eq!(read_all(&s, &data, 0, body.len() as u64).await, body);
        }
    }

    #[tokio::test]
    async fn ranges_are_read_across_frames_and_extents() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let body: Vec<u8> = (0..40 * FRAME_DATA + 7).map(|i| (i % 253) as u8).collect();
        let (a, b) = body.split_at(17 * FRAME_DATA + 3);
        let mut extents = Vec::new();
        for (number, part) in [(1, a), (2, b)] {
            let ObjectData::Extents(e) = ingest(&s, IngestTarget::Part { number }, &[part]).await else {
                panic!("a blob")
            };
            extents.extend(e);
        }
        let data = ObjectData::Extents(extents);
        let len = body.len() as u64;
        for (start, end) in [
            (0, len),
            (5, 6),
            (a.len() as u64 - 2, a.len() as u64 + 2),
            (len - 1, len),
        ] {
            assert_eq!(
                read_all(&s, &data, start, end).await,
                &body[start as usize..end as usize]
            );
        }
    }

    #[tokio::test]
    async fn an_abandoned_or_dropped_ingest_hands_its_blob_to_gc() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let large = vec![9u8; 2 * 1024 * 1024];
        let mut abandoned = s.ingest(IngestTarget::Object);
        abandoned.push(&large).await.unwrap();
        abandoned.abandon().await;
        assert_eq!(s.gc_backlog().unwrap(), 1);
        // A request future dropped mid-body: the guard queues the blob from a task.
        let mut dropped = s.ingest(IngestTarget::Part { number: 3 });
        dropped.push(&large).await.unwrap();
        drop(dropped);
        for _ in 0..100 {
            if s.gc_backlog().unwrap() == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(s.gc_backlog().unwrap(), 2);
        // Inline bytes need nothing.
        let mut small = s.ingest(IngestTarget::Object);
        small.push(b"x").await.unwrap();
        drop(small);
        tokio::task::yield_now().await;
        assert_eq!(s.gc_backlog().unwrap(), 2);
    }
}
