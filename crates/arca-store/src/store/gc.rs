//! Garbage collection: removing the files of blobs no record needs any more.
//!
//! A blob enters the `gc_queue` table in the same commit that stops referencing it (an
//! overwrite, a delete, an abort) or at start for writes a crash interrupted. Its file is
//! removed only after [`GC_GRACE_MS`], because a GET that read the old record just before
//! the overwrite may still be about to open it; then its queue entry is deleted.

use std::ops::{Bound, ControlFlow};

use super::Store;
use crate::blob::BlobRef;
use crate::error::{StoreError, StoreResult};
use crate::kv::Direction;
use crate::store::now_ms;
use crate::tables::{GC_QUEUE, blob_from_key, blob_from_value, blob_key};

/// How long a blob waits in the GC queue before its file is removed.
pub(crate) const GC_GRACE_MS: i64 = 5_000;

/// Most blobs one pass removes, so a pass's commit stays small.
const GC_PASS_MAX: usize = 4096;

impl Store {
    /// Removes the files of queued blobs older than the grace period; returns how many.
    pub async fn collect_garbage(&self) -> StoreResult<usize> {
        let cutoff = now_ms() - GC_GRACE_MS;
        let due: Vec<BlobRef> = self.meta.read(|txn| {
            let mut due = Vec::new();
            txn.scan(
                GC_QUEUE,
                (Bound::Unbounded, Bound::Unbounded),
                Direction::Forward,
                &mut |k, v| {
                    let (Some(id), Some((queued, tier))) = (blob_from_key(k), blob_from_value(v)) else {
                        return Err(StoreError::engine(std::io::Error::other("malformed gc_queue entry")));
                    };
                    // A tier no longer configured keeps its garbage queued until it is again.
                    if queued <= cutoff && self.tiers.get(tier).is_ok() {
                        due.push(BlobRef { id, tier });
                    }
                    Ok(if due.len() == GC_PASS_MAX {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    })
                },
            )?;
            Ok(due)
        })?;
        if due.is_empty() {
            return Ok(0);
        }
        let removals = due
            .iter()
            .map(|b| Ok((b.id, self.tiers.get(b.tier)?.clone())))
            .collect::<StoreResult<Vec<_>>>()?;
        tokio::task::spawn_blocking(move || removals.iter().try_for_each(|(id, blobs)| blobs.remove(*id)))
            .await
            .map_err(StoreError::worker)??;
        let n = due.len();
        self.meta
            .write(move |txn| {
                for b in due {
                    txn.delete(GC_QUEUE, &blob_key(b.id))?;
                }
                Ok(())
            })
            .await?;
        Ok(n)
    }

    /// Blobs waiting in the GC queue (for tests and metrics).
    pub fn gc_backlog(&self) -> StoreResult<u64> {
        self.meta.read(|txn| txn.count(GC_QUEUE))
    }
}
