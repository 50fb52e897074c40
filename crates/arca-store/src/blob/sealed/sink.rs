//! SealingSink: a new blob's bytes sealed chunk by chunk on their way into another sink.

use super::{BlobCipher, DataKey, SEALED_CHUNK, TAG_LEN};
use crate::blob::{BlobId, BlobSink};
use crate::error::StoreResult;

/// Seals the bytes staged into it and stages the sealed chunks into `inner`.
///
/// A chunk is sealed once it is full and more bytes arrive (it is then known not to be the
/// last), or at [`BlobSink::finish`]. Sealing is CPU work without I/O, so it happens in
/// `stage`, on the caller's task, like the inner sink's own framing.
pub(crate) struct SealingSink {
    inner: Box<dyn BlobSink>,
    cipher: BlobCipher,
    /// Object bytes of the chunk being filled.
    chunk: Vec<u8>,
    /// The last sealed chunk, not yet all taken by `inner`, from `sealed_pos` on.
    sealed: Vec<u8>,
    sealed_pos: usize,
    /// The index of the chunk being filled.
    index: u64,
    /// Object bytes taken.
    len: u64,
}

impl SealingSink {
    /// Seals what is written into `inner` under `key` (the blob's own id names its key).
    pub(crate) fn new(inner: Box<dyn BlobSink>, key: &DataKey) -> SealingSink {
        let cipher = BlobCipher::new(key, inner.id());
        SealingSink {
            inner,
            cipher,
            chunk: Vec::with_capacity(SEALED_CHUNK + TAG_LEN),
            sealed: Vec::with_capacity(SEALED_CHUNK + TAG_LEN),
            sealed_pos: 0,
            index: 0,
            len: 0,
        }
    }

    /// Stages what is left of the last sealed chunk; false if `inner` is full first.
    fn drain(&mut self) -> bool {
        if self.sealed_pos < self.sealed.len() {
            self.sealed_pos += self.inner.stage(&self.sealed[self.sealed_pos..]);
        }
        self.sealed_pos == self.sealed.len()
    }

    /// Seals the chunk being filled (whose sealed predecessor is all staged).
    fn seal_chunk(&mut self, last: bool) {
        debug_assert_eq!(self.sealed_pos, self.sealed.len());
        self.cipher.seal(self.index, last, &mut self.chunk);
        self.index += 1;
        std::mem::swap(&mut self.chunk, &mut self.sealed);
        self.chunk.clear();
        self.sealed_pos = 0;
    }
}

impl BlobSink for SealingSink {
    fn id(&self) -> BlobId {
        self.inner.id()
    }

    fn stage(&mut self, data: &[u8]) -> usize {
        let mut took = 0;
        while self.drain() && took < data.len() {
            if self.chunk.len() == SEALED_CHUNK {
                // More bytes follow: this chunk is not the last.
                self.seal_chunk(false);
                continue;
            }
            let n = (SEALED_CHUNK - self.chunk.len()).min(data.len() - took);
            self.chunk.extend_from_slice(&data[took..took + n]);
            took += n;
        }
        self.len += took as u64;
        took
    }

    fn needs_flush(&self) -> bool {
        self.sealed_pos < self.sealed.len() || self.inner.needs_flush()
    }

    fn flush(&mut self) -> StoreResult<()> {
        self.inner.flush()?;
        self.drain();
        Ok(())
    }

    /// Seals the last chunk, writes everything and returns the object bytes taken.
    fn finish(mut self: Box<Self>) -> StoreResult<u64> {
        let mut pending = std::mem::take(&mut self.sealed);
        self.inner.write(&pending[self.sealed_pos..])?;
        pending.clear();
        (self.sealed, self.sealed_pos) = (pending, 0);
        self.seal_chunk(true);
        let last = std::mem::take(&mut self.sealed);
        self.inner.write(&last)?;
        let stored = self.inner.finish()?;
        debug_assert_eq!(stored, super::sealed_len(self.len));
        Ok(self.len)
    }
}
