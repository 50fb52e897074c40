//! OpeningSource: range reads of a sealed blob, opened chunk by chunk.

use bytes::{Buf, Bytes, BytesMut};

use super::{BlobCipher, DataKey, SEALED_CHUNK, TAG_LEN, chunks};
use crate::blob::{BlobId, BlobSource, FRAME_DATA};
use crate::error::{StoreError, StoreResult};

/// Reads object bytes of a sealed blob from `inner`, which holds the sealed chunks: each
/// chunk a read touches is fetched whole, opened (its tag checked) and cut to the range.
pub(crate) struct OpeningSource {
    inner: Box<dyn BlobSource>,
    cipher: BlobCipher,
    /// The blob's id, for errors.
    blob: BlobId,
    /// Object bytes the blob holds.
    len: u64,
}

impl OpeningSource {
    /// Opens the blob `inner`, sealed as `sealed_as` under `key`, holding `len` object bytes.
    pub(crate) fn new(inner: Box<dyn BlobSource>, key: &DataKey, sealed_as: BlobId, len: u64) -> OpeningSource {
        OpeningSource {
            inner,
            cipher: BlobCipher::new(key, sealed_as),
            blob: sealed_as,
            len,
        }
    }

    /// Object bytes in chunk `index`.
    fn chunk_len(&self, index: u64) -> usize {
        let start = index * SEALED_CHUNK as u64;
        (self.len - start).min(SEALED_CHUNK as u64) as usize
    }

    fn corrupt(&self, chunk: u64) -> StoreError {
        StoreError::Corrupt {
            blob: self.blob.to_string(),
            frame: chunk,
        }
    }
}

impl BlobSource for OpeningSource {
    /// One piece per chunk touched.
    fn read(&self, start: u64, len: usize) -> StoreResult<Vec<Bytes>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let end = start + len as u64;
        if end > self.len {
            return Err(self.corrupt(end / SEALED_CHUNK as u64));
        }
        let first = start / SEALED_CHUNK as u64;
        let last = (end - 1) / SEALED_CHUNK as u64;
        let final_chunk = chunks(self.len) - 1;
        let sealed_lens: Vec<usize> = (first..=last).map(|i| self.chunk_len(i) + TAG_LEN).collect();
        let stored = self
            .inner
            .read_mut(first * FRAME_DATA as u64, sealed_lens.iter().sum())?;
        // The stored pieces as whole sealed chunks: as they are where a piece is one chunk
        // (a frame of a local blob), else cut and joined.
        let mut pieces = stored.into_iter();
        let mut piece = BytesMut::new();
        let mut out = Vec::with_capacity(sealed_lens.len());
        for (index, sealed_len) in (first..=last).zip(sealed_lens) {
            if piece.is_empty() {
                piece = pieces.next().ok_or_else(|| self.corrupt(index))?;
            }
            let mut chunk = if piece.len() >= sealed_len {
                piece.split_to(sealed_len)
            } else {
                let mut joined = BytesMut::with_capacity(sealed_len);
                while joined.len() < sealed_len {
                    if piece.is_empty() {
                        piece = pieces.next().ok_or_else(|| self.corrupt(index))?;
                    }
                    let n = piece.len().min(sealed_len - joined.len());
                    joined.extend_from_slice(&piece.split_to(n));
                }
                joined
            };
            let plain = self
                .cipher
                .open(index, index == final_chunk, &mut chunk)
                .map_err(|_| self.corrupt(index))?
                .len();
            chunk.truncate(plain);
            let chunk_start = index * SEALED_CHUNK as u64;
            let from = start.saturating_sub(chunk_start) as usize;
            let to = ((end - chunk_start) as usize).min(plain);
            chunk.truncate(to);
            chunk.advance(from);
            out.push(chunk.freeze());
        }
        Ok(out)
    }

    /// A chunk's object bytes: each is fetched and opened whole.
    fn read_unit(&self) -> u64 {
        SEALED_CHUNK as u64
    }
}
