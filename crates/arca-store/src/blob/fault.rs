//! A power cut for blob files, for crash tests: the blob half of [`kv::fault`](crate::kv::fault).
//!
//! [`FaultBlobs`] wraps [`BlobFiles`] and shares a [`PowerCut`] with the metadata engine's
//! fault layer. It remembers every blob whose bytes are not yet durable: created, perhaps
//! flushed, but not finished (finishing is what fsyncs the file and its directory). Once the
//! power is out, every create, flush and finish fails, as on a machine that is off. Then
//! [`FaultBlobs::lose_unsynced`] does to the folder what the cut did to the disk: every blob
//! not durably finished loses what the page cache held for it, in one of the ways a real
//! disk can ([`Loss`]). A `kill -9` cannot do this — the page cache survives it — so only
//! this layer can catch a record committed before its bytes were fsynced.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::sync::{Arc, Mutex, PoisonError};

use super::{BlobFiles, BlobId, BlobSink, BlobSource, BlobStore, HeadCaching};
use crate::error::{StoreError, StoreResult};
use crate::kv::fault::PowerCut;

/// What a power cut left of a blob file that had not been fsynced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// The directory entry never reached the disk: no file.
    Unlinked,
    /// The entry did, its data did not: an empty file.
    Emptied,
    /// Some early writes did: the first half of what was written.
    Torn,
}

/// [`BlobFiles`] that lose power with a [`PowerCut`]; see the module docs.
#[derive(Clone)]
pub struct FaultBlobs {
    inner: BlobFiles,
    power: PowerCut,
    /// Blobs created and not yet durably finished.
    unsynced: Arc<Mutex<BTreeSet<BlobId>>>,
}

impl FaultBlobs {
    /// `inner`, switched off by `power`.
    pub fn new(inner: BlobFiles, power: PowerCut) -> Self {
        FaultBlobs {
            inner,
            power,
            unsynced: Arc::default(),
        }
    }

    /// Applies the power cut to the folder: every blob not durably finished is left as
    /// `loss` says. Returns how many blobs lost bytes.
    pub fn lose_unsynced(&self, loss: Loss) -> usize {
        let lost = std::mem::take(&mut *self.unsynced.lock().unwrap_or_else(PoisonError::into_inner));
        for id in &lost {
            let path = self.inner.path(*id);
            let result = match loss {
                Loss::Unlinked => std::fs::remove_file(&path),
                Loss::Emptied => OpenOptions::new().write(true).open(&path).and_then(|f| f.set_len(0)),
                Loss::Torn => OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.metadata().and_then(|m| f.set_len(m.len() / 2))),
            };
            if let Err(e) = result
                && e.kind() != std::io::ErrorKind::NotFound
            {
                panic!("fault injection could not damage {}: {e}", path.display());
            }
        }
        lost.len()
    }

    fn power_check(&self) -> StoreResult<()> {
        if self.power.is_out() {
            return Err(StoreError::io(
                "blobs",
                std::io::Error::other("power cut (fault injection)"),
            ));
        }
        Ok(())
    }
}

impl BlobStore for FaultBlobs {
    fn create(&self, id: BlobId, head: HeadCaching) -> StoreResult<Box<dyn BlobSink>> {
        self.power_check()?;
        let inner = self.inner.create(id, head)?;
        self.unsynced.lock().unwrap_or_else(PoisonError::into_inner).insert(id);
        Ok(Box::new(FaultSink {
            inner,
            blobs: self.clone(),
        }))
    }

    fn open(&self, id: BlobId, head: HeadCaching) -> StoreResult<Box<dyn BlobSource>> {
        self.inner.open(id, head)
    }

    fn remove(&self, id: BlobId) -> StoreResult<()> {
        self.power_check()?;
        self.inner.remove(id)
    }
}

struct FaultSink {
    inner: Box<dyn BlobSink>,
    blobs: FaultBlobs,
}

impl BlobSink for FaultSink {
    fn id(&self) -> BlobId {
        self.inner.id()
    }

    fn stage(&mut self, data: &[u8]) -> usize {
        self.inner.stage(data)
    }

    fn needs_flush(&self) -> bool {
        self.inner.needs_flush()
    }

    fn flush(&mut self) -> StoreResult<()> {
        self.blobs.power_check()?;
        self.inner.flush()
    }

    fn finish(self: Box<Self>) -> StoreResult<u64> {
        self.blobs.power_check()?;
        let id = self.inner.id();
        let len = self.inner.finish()?;
        self.blobs
            .unsynced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        Ok(len)
    }
}
