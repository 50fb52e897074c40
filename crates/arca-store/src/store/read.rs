//! Reading an object's bytes: a range streamed from its inline bytes or its blobs, verified,
//! with bounded memory.
//!
//! A producer task reads a few [`read units`](BlobSource::read_unit) at a time (each verified
//! by the blob adapter) and hands them to the stream through a channel of depth 2, so a slow
//! client holds at most a few hundred KiB of server memory. Reads end on unit boundaries, so
//! consecutive reads never fetch (and verify) the same stored bytes twice.

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::Store;
use crate::blob::sealed::{self, DataKey, OpeningSource};
use crate::blob::{BlobSource, HeadCaching, crc32c};
use crate::error::{StoreError, StoreResult};
use crate::record::ObjectData;

/// An object's bytes, chunk by chunk, as [`Store::read_range`] streams them.
pub type ObjectBytes = BoxStream<'static, StoreResult<Bytes>>;

/// Read units per blocking call on the way out (~256 KiB of 64 KiB frames).
const UNITS_PER_READ: u64 = 4;

/// A range of at most this many units (~1 MiB) is read in one blocking call: for small
/// objects the thread hop, not the bytes, is the cost, and 1 MiB per response is still a
/// bounded buffer.
const UNITS_PER_WHOLE_READ: u64 = 16;

impl Store {
    /// Streams bytes `[start, end)` of an object stored as `data` (`end` at most its size),
    /// opening sealed bytes with the object's data key `key`. Its blobs are opened before
    /// this returns, so a concurrent overwrite cannot pull them away from under the stream
    /// (GC waits a grace period, then removes only the name).
    pub fn read_range(
        &self,
        data: &ObjectData,
        key: Option<&DataKey>,
        start: u64,
        end: u64,
    ) -> StoreResult<ObjectBytes> {
        let corrupt_inline = || StoreError::Corrupt {
            blob: "inline".into(),
            frame: 0,
        };
        match data {
            ObjectData::Inline {
                bytes,
                crc32c: crc,
                sealed,
            } => {
                if crc32c(bytes) != *crc {
                    return Err(corrupt_inline());
                }
                let range = start as usize..end as usize;
                let slice = match (sealed, key) {
                    (false, _) => Bytes::copy_from_slice(bytes.get(range).ok_or_else(corrupt_inline)?),
                    (true, Some(key)) => {
                        let opened = Bytes::from(sealed::open_inline(key, bytes).map_err(|_| corrupt_inline())?);
                        if range.end > opened.len() {
                            return Err(corrupt_inline());
                        }
                        opened.slice(range)
                    }
                    (true, None) => return Err(StoreError::KeyNeeded),
                };
                Ok(futures::stream::once(async move { Ok(slice) }).boxed())
            }
            ObjectData::Extents(extents) => {
                let mut plan: Vec<(Box<dyn BlobSource>, u64, u64)> = Vec::new();
                let mut offset = 0u64;
                for (index, e) in extents.iter().enumerate() {
                    let (lo, hi) = (offset, offset + e.len);
                    offset = hi;
                    if hi <= start || lo >= end || e.len == 0 {
                        continue;
                    }
                    // Read as written: the first extent is part 1 (or the only blob).
                    let mut source = self
                        .tiers
                        .get(e.tier)?
                        .open(e.blob, HeadCaching::for_blob(index == 0))?;
                    if let Some(sealed_as) = e.sealed_as {
                        let key = key.ok_or(StoreError::KeyNeeded)?;
                        source = Box::new(OpeningSource::new(source, key, sealed_as, e.len));
                    }
                    plan.push((source, start.max(lo) - lo, end.min(hi) - lo));
                }
                let (tx, rx) = tokio::sync::mpsc::channel(2);
                tokio::spawn(produce(plan, tx));
                Ok(pieces_of(rx))
            }
        }
    }
}

/// Reads each planned `(source, from, to)` range in bounded steps into `tx`; stops at the
/// first error (sent on) or when the stream's reader goes away.
async fn produce(plan: Vec<(Box<dyn BlobSource>, u64, u64)>, tx: tokio::sync::mpsc::Sender<StoreResult<Vec<Bytes>>>) {
    for (source, mut pos, stop) in plan {
        let source: std::sync::Arc<dyn BlobSource> = source.into();
        let unit = source.read_unit();
        while pos < stop {
            let mut end = (pos / unit + UNITS_PER_READ) * unit;
            let whole = stop - pos <= UNITS_PER_WHOLE_READ * unit;
            if whole || stop.saturating_sub(end) < unit {
                // A last sliver (a 1 MiB object's final 64 bytes) joins this read.
                end = stop;
            }
            let n = (end.min(stop) - pos) as usize;
            let s = source.clone();
            let item = tokio::task::spawn_blocking(move || s.read(pos, n))
                .await
                .map_err(StoreError::worker)
                .flatten();
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
            pos += n as u64;
        }
    }
}

/// The pieces of each read, one after another.
fn pieces_of(mut rx: tokio::sync::mpsc::Receiver<StoreResult<Vec<Bytes>>>) -> ObjectBytes {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
        .flat_map(|read| match read {
            Ok(pieces) => futures::stream::iter(pieces.into_iter().map(Ok).collect::<Vec<_>>()),
            Err(e) => futures::stream::iter(vec![Err(e)]),
        })
        .boxed()
}
