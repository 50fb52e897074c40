//! BlobReader: random-access reads of one blob, CRC-verified frame by frame.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::OnceLock;

use std::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

use super::direct_io::{self, AlignedBuf, DIRECT_ALIGN};
#[cfg(doc)]
use super::files::CACHED_PREFIX;
use super::{BlobId, BlobSource, FRAME_DATA, FRAME_SIZE, crc32c};
use crate::error::{StoreError, StoreResult};

/// Reads ranges of one blob file, verifying the CRC32C of every frame it touches.
pub(super) struct BlobReader {
    id: BlobId,
    path: PathBuf,
    file: File,
    /// Whether reads past `cached_prefix` may bypass the page cache.
    may_bypass: bool,
    /// File bytes read through the page cache: [`CACHED_PREFIX`] or 0, as the blob was written.
    cached_prefix: u64,
    /// The `O_DIRECT` descriptor for those reads, opened on first need (`None` if it failed).
    direct: OnceLock<Option<File>>,
}

impl BlobReader {
    pub(super) fn new(id: BlobId, path: PathBuf, file: File, may_bypass: bool, cached_prefix: u64) -> Self {
        if may_bypass {
            // Kernel readahead on the cached descriptor would pull the rest of the file into
            // the page cache behind our back.
            direct_io::no_readahead(&file);
        }
        BlobReader {
            id,
            path,
            file,
            may_bypass,
            cached_prefix,
            direct: OnceLock::new(),
        }
    }

    /// Reads up to `size` file bytes at `offset` (both frame-aligned); fewer only at the end of
    /// the file. Inside the cached prefix through the page cache, beyond it around it: those
    /// bytes were written around it too, so the cache would hold nothing of them anyway.
    fn read_frames(&self, offset: u64, size: usize) -> StoreResult<BytesMut> {
        let mut buf = AlignedBuf::new(size);
        let mem = buf.as_mut_slice();
        let mut filled = 0;
        while filled < size {
            let pos = offset + filled as u64;
            // Direct transfers need aligned offsets; a read ends mid-page only at end of file.
            let direct = (pos >= self.cached_prefix && filled % DIRECT_ALIGN == 0)
                .then(|| self.direct_file())
                .flatten();
            let n = match direct {
                Some(f) => f.read_at(&mut mem[filled..], pos),
                None => {
                    // A cached read stops at the prefix, so it pulls nothing past it in.
                    let end = if pos < self.cached_prefix && self.may_bypass {
                        filled + (self.cached_prefix - pos).min((size - filled) as u64) as usize
                    } else {
                        size
                    };
                    self.file.read_at(&mut mem[filled..end], pos)
                }
            }
            .map_err(|e| StoreError::io(&self.path, e))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        Ok(buf.into_bytes_mut(filled))
    }

    fn direct_file(&self) -> Option<&File> {
        if !self.may_bypass {
            return None;
        }
        self.direct
            .get_or_init(|| direct_io::open_for_reading(&self.path).ok())
            .as_ref()
    }

    fn corrupt(&self, frame: u64) -> StoreError {
        StoreError::Corrupt {
            blob: self.id.to_string(),
            frame,
        }
    }
}

impl BlobSource for BlobReader {
    /// One piece per frame touched, each a slice of one read buffer (no copy).
    fn read(&self, start: u64, len: usize) -> StoreResult<Vec<Bytes>> {
        Ok(self.read_mut(start, len)?.into_iter().map(BytesMut::freeze).collect())
    }

    /// As `read`: the pieces are parts of the buffer read into, not copies.
    fn read_mut(&self, start: u64, len: usize) -> StoreResult<Vec<BytesMut>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let (first, frames) = frames_of(start, len);
        let framed = self.read_frames(first * FRAME_SIZE as u64, frames * FRAME_SIZE)?;
        verified_pieces_mut(framed, first, start, len).map_err(|frame| self.corrupt(frame))
    }

    /// A frame's object bytes: each is read and verified whole.
    fn read_unit(&self) -> u64 {
        FRAME_DATA as u64
    }
}

/// The first frame and how many frames hold object bytes `[start, start + len)` (`len` > 0).
pub(super) fn frames_of(start: u64, len: usize) -> (u64, usize) {
    let first = start / FRAME_DATA as u64;
    let last = (start + len as u64 - 1) / FRAME_DATA as u64;
    (first, (last - first + 1) as usize)
}

/// Where object bytes `[start, start + len)` lie in `framed`, the stored frames from frame
/// `first` on: one range per frame, every frame's CRC32C checked. `Err(frame)`: that frame is
/// corrupt, or the stored bytes end before `len`.
fn verified_ranges(framed: &[u8], first: u64, start: u64, len: usize) -> Result<Vec<Range<usize>>, u64> {
    // Object bytes still to skip (in the first frame) and to take.
    let mut skip = (start - first * FRAME_DATA as u64) as usize;
    let mut want = len;
    let mut ranges = Vec::new();
    let mut frame_no = first;
    for (i, at) in (0..framed.len()).step_by(FRAME_SIZE).enumerate() {
        frame_no = first + i as u64;
        let chunk = &framed[at..framed.len().min(at + FRAME_SIZE)];
        if chunk.len() < 4 {
            return Err(frame_no);
        }
        let data_len = chunk.len() - 4;
        if crc32c(&chunk[..data_len]).to_le_bytes() != chunk[data_len..] {
            return Err(frame_no);
        }
        let from = skip.min(data_len);
        let to = data_len.min(from + want);
        skip -= from;
        want -= to - from;
        if to > from {
            ranges.push(at + from..at + to);
        }
    }
    if want > 0 {
        // Shorter than the record says: truncated where it is stored.
        return Err(frame_no);
    }
    Ok(ranges)
}

/// Object bytes `[start, start + len)` out of `framed` (see [`verified_ranges`]): one piece
/// per frame, each a slice of `framed` (no copy).
pub(super) fn verified_pieces(framed: &Bytes, first: u64, start: u64, len: usize) -> Result<Vec<Bytes>, u64> {
    let ranges = verified_ranges(framed, first, start, len)?;
    Ok(ranges.into_iter().map(|r| framed.slice(r)).collect())
}

/// [`verified_pieces`], each piece a part of `framed` the caller may change (no copy).
fn verified_pieces_mut(mut framed: BytesMut, first: u64, start: u64, len: usize) -> Result<Vec<BytesMut>, u64> {
    let ranges = verified_ranges(&framed, first, start, len)?;
    let mut pieces = Vec::with_capacity(ranges.len());
    let mut consumed = 0;
    for r in ranges {
        framed.advance(r.start - consumed);
        consumed = r.end;
        pieces.push(framed.split_to(r.len()));
    }
    Ok(pieces)
}
