//! BlobWriter: streams object bytes into a new blob file as checksummed frames.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

#[cfg(doc)]
use super::files::CACHED_PREFIX;
use super::files::{FRAMES_PER_WRITE, sync_dir};
use super::frame_buffer::FrameBuffer;
use super::{BlobId, BlobSink, direct_io};
use crate::error::{StoreError, StoreResult};

/// Writes one new blob file: frames the bytes given, writes them in 1 MiB batches and, on
/// [`BlobSink::finish`], makes them durable.
pub(super) struct BlobWriter {
    id: BlobId,
    path: PathBuf,
    file: File,
    staged: FrameBuffer,
    /// File bytes written so far (always a whole number of frames until `finish`).
    written: u64,
    /// Object bytes taken so far.
    len: u64,
    /// Whether writes past `cached_prefix` may bypass the page cache.
    may_bypass: bool,
    /// File bytes written through the page cache before bypassing it: [`CACHED_PREFIX`] or 0.
    cached_prefix: u64,
    /// Whether the descriptor is in `O_DIRECT` mode now.
    direct: bool,
}

impl BlobWriter {
    /// A writer for the new, empty, buffered `file`.
    pub(super) fn new(id: BlobId, path: PathBuf, file: File, may_bypass: bool, cached_prefix: u64) -> Self {
        BlobWriter {
            id,
            path,
            file,
            staged: FrameBuffer::new(FRAMES_PER_WRITE),
            written: 0,
            len: 0,
            may_bypass,
            cached_prefix,
            direct: false,
        }
    }

    /// Writes a full staging buffer. Those inside the cached prefix go through the page cache;
    /// later ones bypass it. (Switching only here, never for the short tail, keeps a blob just
    /// over the prefix from paying a padded direct write for its last few bytes.)
    fn write_staged(&mut self) -> StoreResult<()> {
        if self.may_bypass && !self.direct && self.written >= self.cached_prefix {
            match direct_io::switch_to_direct(&self.file) {
                Ok(()) => self.direct = true,
                Err(e) => {
                    tracing::debug!(error = %e, "cannot switch a blob to O_DIRECT; it stays cached");
                    self.may_bypass = false;
                }
            }
        }
        let frames = self.staged.frames();
        self.file
            .write_all_at(frames, self.written)
            .map_err(|e| StoreError::io(&self.path, e))?;
        self.written += frames.len() as u64;
        self.staged.clear();
        Ok(())
    }
}

impl BlobSink for BlobWriter {
    fn id(&self) -> BlobId {
        self.id
    }

    /// Frames as much of `data` as fits in the 1 MiB staging buffer, in place.
    fn stage(&mut self, data: &[u8]) -> usize {
        let took = self.staged.push(data);
        self.len += took as u64;
        took
    }

    fn needs_flush(&self) -> bool {
        self.staged.is_full()
    }

    fn flush(&mut self) -> StoreResult<()> {
        self.write_staged()
    }

    /// Writes the last frames and makes the file durable (file, then its directory).
    fn finish(mut self: Box<Self>) -> StoreResult<u64> {
        let io = |e| StoreError::io(&self.path, e);
        if !self.staged.is_empty() {
            let (bytes, exact) = self.staged.seal();
            if self.direct {
                // O_DIRECT writes whole aligned blocks; the padding is cut off again below.
                self.file.write_all_at(bytes, self.written).map_err(io)?;
                if exact < bytes.len() {
                    self.file.set_len(self.written + exact as u64).map_err(io)?;
                }
            } else {
                self.file.write_all_at(&bytes[..exact], self.written).map_err(io)?;
            }
        }
        // fdatasync: the file is new, so its size and extents are flushed with the data.
        self.file.sync_data().map_err(io)?;
        if let Some(dir) = self.path.parent() {
            sync_dir(dir)?;
        }
        Ok(self.len)
    }
}
