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

use crate::blob::sealed::{self, DataKey, SealingSink};
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
    /// The object's data key, if its bytes are sealed (see [`sealed`]).
    key: Option<DataKey>,
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
            key: None,
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

    /// Seals the bytes under the object's data key `key` before they are stored.
    pub fn sealed(mut self, key: DataKey) -> Self {
        self.key = Some(key);
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
            let mut bytes = std::mem::take(&mut self.inline);
            if let Some(key) = &self.key {
                bytes = sealed::seal_inline(key, bytes);
            }
            return Ok(ObjectData::Inline {
                crc32c: crc32c(&bytes),
                bytes,
                sealed: self.key.is_some(),
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
                    sealed_as: self.key.is_some().then_some(blob),
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
        Ok(match &self.key {
            Some(key) => Box::new(SealingSink::new(sink, key)),
            None => sink,
        })
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
    use crate::blob::{BlobFiles, FRAME_DATA};
    use crate::error::StoreError;

    async fn read_all(s: &Store, data: &ObjectData, start: u64, end: u64) -> Vec<u8> {
        read_with(s, data, None, start, end).await.unwrap()
    }

    async fn read_with(
        s: &Store,
        data: &ObjectData,
        key: Option<&DataKey>,
        start: u64,
        end: u64,
    ) -> StoreResult<Vec<u8>> {
        let chunks: Vec<bytes::Bytes> = s.read_range(data, key, start, end)?.try_collect().await?;
        Ok(chunks.concat())
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

    #[tokio::test]
    async fn sealed_objects_open_with_their_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let key = DataKey::random();
        let sealed = |target| s.ingest(target).sealed(key.clone());
        // Inline.
        let small = b"a small secret".to_vec();
        let mut i = sealed(IngestTarget::Object);
        i.push(&small).await.unwrap();
        let data = i.finish().await.unwrap();
        let ObjectData::Inline {
            bytes, sealed: true, ..
        } = &data
        else {
            panic!("sealed inline")
        };
        assert!(
            !bytes.windows(small.len()).any(|w| w == small),
            "no plaintext in the record"
        );
        assert_eq!(read_with(&s, &data, Some(&key), 2, 8).await.unwrap(), &small[2..8]);
        assert!(matches!(
            read_with(&s, &data, None, 0, 1).await,
            Err(StoreError::KeyNeeded)
        ));
        assert!(matches!(
            read_with(&s, &data, Some(&DataKey::random()), 0, 1).await,
            Err(StoreError::Corrupt { .. })
        ));

        // Two parts under one key, read across their boundary.
        let body: Vec<u8> = (0..5 * FRAME_DATA + 11).map(|i| (i % 241) as u8).collect();
        let (a, b) = body.split_at(3 * FRAME_DATA + 1);
        let mut extents = Vec::new();
        for (number, part) in [(1, a), (2, b)] {
            let mut i = sealed(IngestTarget::Part { number });
            i.push(part).await.unwrap();
            let ObjectData::Extents(e) = i.finish().await.unwrap() else {
                panic!("a blob")
            };
            assert_eq!(e[0].sealed_as, Some(e[0].blob));
            extents.extend(e);
        }
        let data = ObjectData::Extents(extents.clone());
        let len = body.len() as u64;
        for (start, end) in [(0, len), (a.len() as u64 - 3, a.len() as u64 + 3), (len - 1, len)] {
            assert_eq!(
                read_with(&s, &data, Some(&key), start, end).await.unwrap(),
                &body[start as usize..end as usize]
            );
        }
        let files = BlobFiles::open(dir.path().join("blobs")).unwrap();
        let on_disk = std::fs::read(files.path(extents[0].blob)).unwrap();
        assert!(
            !on_disk.windows(64).any(|w| w == &body[1000..1064]),
            "no plaintext on disk"
        );
        assert!(matches!(
            read_with(&s, &data, None, 0, 1).await,
            Err(StoreError::KeyNeeded)
        ));
        // The parts' blobs swapped on disk: neither opens in the other's place.
        let (pa, pb) = (files.path(extents[0].blob), files.path(extents[1].blob));
        let tmp = pa.with_extension("swap");
        std::fs::rename(&pa, &tmp).unwrap();
        std::fs::rename(&pb, &pa).unwrap();
        std::fs::rename(&tmp, &pb).unwrap();
        assert!(read_with(&s, &data, Some(&key), 0, 10).await.is_err());
    }
}
