//! Garbage collection: removing the files of blobs no record needs any more.
//!
//! A blob enters the `gc_queue` table in the same commit that stops referencing it (an
//! overwrite, a delete, an abort) or at start for writes a crash interrupted. Its file is
//! removed only after [`GC_GRACE_MS`], because a GET that read the old record just before
//! the overwrite may still be about to open it; then its queue entry is deleted.

use std::ops::{Bound, ControlFlow};

use super::Store;
use crate::blob::BlobId;
use crate::error::{StoreError, StoreResult};
use crate::kv::Direction;
use crate::store::now_ms;
use crate::tables::{GC_QUEUE, blob_from_key, blob_key, time_from_value};

/// How long a blob waits in the GC queue before its file is removed.
pub(crate) const GC_GRACE_MS: i64 = 5_000;

/// Most blobs one pass removes, so a pass's commit stays small.
const GC_PASS_MAX: usize = 4096;

impl Store {
    /// Removes the files of queued blobs older than the grace period; returns how many.
    pub async fn collect_garbage(&self) -> StoreResult<usize> {
        let cutoff = now_ms() - GC_GRACE_MS;
        let due: Vec<BlobId> = self.meta.read(|txn| {
            let mut due = Vec::new();
            txn.scan(
                GC_QUEUE,
                (Bound::Unbounded, Bound::Unbounded),
                Direction::Forward,
                &mut |k, v| {
                    let (Some(id), Some(queued)) = (blob_from_key(k), time_from_value(v)) else {
                        return Err(StoreError::engine(std::io::Error::other("malformed gc_queue entry")));
                    };
                    if queued <= cutoff {
                        due.push(id);
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
        let blobs = self.blobs.clone();
        let ids = due.clone();
        tokio::task::spawn_blocking(move || ids.iter().try_for_each(|id| blobs.remove(*id)))
            .await
            .map_err(StoreError::worker)??;
        let n = due.len();
        self.meta
            .write(move |txn| {
                for id in due {
                    txn.delete(GC_QUEUE, &blob_key(id))?;
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
