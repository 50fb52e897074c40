//! BlobStore: object bytes in immutable files on a local drive.
//!
//! A blob is written once, fsynced (file and directory) before any metadata points at it, and
//! never modified; it is deleted only by the GC worker once no record references it.
//!
//! ## Format
//! A blob file is a sequence of [`FRAME_SIZE`] (64 KiB) frames. Each frame holds
//! [`FRAME_DATA`] bytes of object data followed by the CRC32C of those bytes (4 bytes, little
//! endian); only the last frame may be short. Frame `i` starts at file offset
//! `i * FRAME_SIZE`. Every read verifies the CRC of each frame it touches, so a flipped bit
//! becomes an error, never wrong bytes.
//!
//! Frames are a power of two long so that whole frames can be written with `O_DIRECT`
//! (see [`crate::frame_buffer`]); where the filesystem refuses `O_DIRECT` (tmpfs, some
//! overlays) the same bytes go through the page cache instead.
//!
//! Files live at `blobs/<first two hex digits>/<32 hex digits>`; the fan-out keeps directories
//! small and all 256 of them are created (and fsynced) when the store is opened.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};
use crate::frame_buffer::FrameBuffer;
pub use crate::frame_buffer::{FRAME_DATA, FRAME_SIZE};

/// Frames staged per write: 1 MiB, large enough that a direct write keeps the device busy.
const FRAMES_PER_WRITE: usize = 16;

/// A blob's name: 128 random bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobId(pub u128);

impl BlobId {
    pub fn random() -> Self {
        BlobId(rand::random())
    }

    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        Some(BlobId(u128::from_be_bytes(b.try_into().ok()?)))
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({self})")
    }
}

impl FromStr for BlobId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u128::from_str_radix(s, 16).map(BlobId)
    }
}

/// The directory of blob files.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
    /// Whether new blobs are written with `O_DIRECT` (false where the filesystem refuses it).
    direct: bool,
}

impl BlobStore {
    /// Opens (creating if needed) the blob directory and its 256 fan-out folders, and finds
    /// out whether its filesystem takes `O_DIRECT` writes.
    pub fn open(root: impl Into<PathBuf>) -> StoreResult<Self> {
        let root = root.into();
        for i in 0..=255u8 {
            let dir = root.join(format!("{i:02x}"));
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        }
        sync_dir(&root)?;
        let direct = direct_writes_work(&root);
        tracing::debug!(direct, "blob writes");
        Ok(BlobStore { root, direct })
    }

    /// Like [`BlobStore::open`], but never uses `O_DIRECT` (tests of the fallback path).
    pub fn open_buffered(root: impl Into<PathBuf>) -> StoreResult<Self> {
        let mut store = Self::open(root)?;
        store.direct = false;
        Ok(store)
    }

    /// Whether new blobs bypass the page cache.
    pub fn writes_direct(&self) -> bool {
        self.direct
    }

    pub fn path(&self, id: BlobId) -> PathBuf {
        let name = id.to_string();
        self.root.join(&name[..2]).join(name)
    }

    /// Starts a new blob file. The caller must have recorded the id as an intent first, so
    /// that a crash mid-write leaves nothing unaccounted for.
    pub fn create(&self, id: BlobId) -> StoreResult<BlobWriter> {
        let path = self.path(id);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(if self.direct { libc::O_DIRECT } else { 0 })
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        Ok(BlobWriter {
            id,
            path,
            file,
            staged: FrameBuffer::new(FRAMES_PER_WRITE),
            written: 0,
            len: 0,
        })
    }

    /// Removes a blob file; a missing file is not an error (GC may run twice after a crash).
    pub fn remove(&self, id: BlobId) -> StoreResult<()> {
        let path = self.path(id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    /// Opens a blob for reading.
    pub fn open_reader(&self, id: BlobId) -> StoreResult<BlobReader> {
        let path = self.path(id);
        let file = File::open(&path).map_err(|e| StoreError::io(&path, e))?;
        Ok(BlobReader { id, file })
    }
}

/// Streams object bytes into a new blob file, framing them into checksummed frames.
pub struct BlobWriter {
    id: BlobId,
    path: PathBuf,
    file: File,
    staged: FrameBuffer,
    /// File bytes written so far (always a whole number of frames until `finish`).
    written: u64,
    /// Object bytes taken so far.
    len: u64,
}

impl BlobWriter {
    pub fn id(&self) -> BlobId {
        self.id
    }

    /// Object bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn write(&mut self, mut data: &[u8]) -> StoreResult<()> {
        self.len += data.len() as u64;
        while !data.is_empty() {
            let took = self.staged.push(data);
            data = &data[took..];
            if self.staged.is_full() {
                self.write_staged()?;
            }
        }
        Ok(())
    }

    fn write_staged(&mut self) -> StoreResult<()> {
        let frames = self.staged.frames();
        self.file
            .write_all_at(frames, self.written)
            .map_err(|e| StoreError::io(&self.path, e))?;
        self.written += frames.len() as u64;
        self.staged.clear();
        Ok(())
    }

    /// Writes the last frames and makes the file durable (file, then its directory).
    pub fn finish(mut self) -> StoreResult<(BlobId, u64)> {
        let io = |e| StoreError::io(&self.path, e);
        if !self.staged.is_empty() {
            let (bytes, exact) = self.staged.seal();
            self.file.write_all_at(bytes, self.written).map_err(io)?;
            if exact < bytes.len() {
                // The padding that made the write aligned is not part of the blob.
                self.file.set_len(self.written + exact as u64).map_err(io)?;
            }
        }
        // fdatasync: the file is new, so its size and extents are flushed with the data.
        self.file.sync_data().map_err(io)?;
        if let Some(dir) = self.path.parent() {
            sync_dir(dir)?;
        }
        Ok((self.id, self.len))
    }
}

/// Random-access reads of one blob with CRC verification of every frame touched.
pub struct BlobReader {
    id: BlobId,
    file: File,
}

impl BlobReader {
    /// Reads object bytes `[start, start + len)`. `len` should be a few frames at most; callers
    /// stream larger ranges as a sequence of such reads.
    pub fn read(&self, start: u64, len: usize) -> StoreResult<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let first = start / FRAME_DATA as u64;
        let last = (start + len as u64 - 1) / FRAME_DATA as u64;
        let frames = (last - first + 1) as usize;
        let mut framed = vec![0u8; frames * FRAME_SIZE];
        let mut filled = 0;
        let offset = first * FRAME_SIZE as u64;
        while filled < framed.len() {
            let n = self
                .file
                .read_at(&mut framed[filled..], offset + filled as u64)
                .map_err(|e| StoreError::io(self.id.to_string(), e))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        framed.truncate(filled);
        let mut out = Vec::with_capacity(frames * FRAME_DATA);
        for (i, chunk) in framed.chunks(FRAME_SIZE).enumerate() {
            let frame_no = first + i as u64;
            if chunk.len() < 4 {
                return Err(self.corrupt(frame_no));
            }
            let (data, crc) = chunk.split_at(chunk.len() - 4);
            if crc32c(data).to_le_bytes() != crc {
                return Err(self.corrupt(frame_no));
            }
            out.extend_from_slice(data);
        }
        let skip = (start - first * FRAME_DATA as u64) as usize;
        if out.len() < skip + len {
            // The file is shorter than the record says: truncated on disk.
            return Err(self.corrupt(last));
        }
        out.truncate(skip + len);
        out.drain(..skip);
        Ok(out)
    }

    fn corrupt(&self, frame: u64) -> StoreError {
        StoreError::Corrupt {
            blob: self.id.to_string(),
            frame,
        }
    }
}

pub fn crc32c(data: &[u8]) -> u32 {
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, data) as u32
}

/// Tries one aligned `O_DIRECT` write in `root`: some filesystems refuse the flag at open
/// (tmpfs), others only at the first write.
fn direct_writes_work(root: &Path) -> bool {
    let probe = root.join(".direct-probe");
    let attempt = || -> std::io::Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_DIRECT)
            .open(&probe)?;
        let mut frame = FrameBuffer::new(1);
        frame.push(b"probe");
        file.write_all_at(frame.seal().0, 0)
    };
    let works = attempt().is_ok();
    let _ = std::fs::remove_file(&probe);
    works
}

pub(crate) fn sync_dir(dir: &Path) -> StoreResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both write paths: `O_DIRECT` where the test folder's filesystem takes it, and buffered.
    fn stores() -> Vec<(tempfile::TempDir, BlobStore)> {
        let direct = tempfile::tempdir().unwrap();
        let buffered = tempfile::tempdir().unwrap();
        let d = BlobStore::open(direct.path().join("blobs")).unwrap();
        let b = BlobStore::open_buffered(buffered.path().join("blobs")).unwrap();
        vec![(direct, d), (buffered, b)]
    }

    fn write_blob(store: &BlobStore, chunks: &[&[u8]]) -> BlobId {
        let mut w = store.create(BlobId::random()).unwrap();
        for c in chunks {
            w.write(c).unwrap();
        }
        w.finish().unwrap().0
    }

    #[test]
    fn round_trip_across_frame_and_write_boundaries() {
        for (_d, store) in stores() {
            // Longer than one staged write (16 frames), ending in a short frame.
            let data: Vec<u8> = (0..(17 * FRAME_DATA + 123)).map(|i| (i % 251) as u8).collect();
            let id = write_blob(&store, &[&data[..1000], &data[1000..]]);
            let file_len = std::fs::metadata(store.path(id)).unwrap().len();
            assert_eq!(file_len, (17 * FRAME_SIZE + 123 + 4) as u64, "no padding left behind");
            let r = store.open_reader(id).unwrap();
            assert_eq!(r.read(0, data.len()).unwrap(), data);
            let s = FRAME_DATA - 10;
            assert_eq!(r.read(s as u64, 20).unwrap(), &data[s..s + 20]);
            let s = data.len() - 5;
            assert_eq!(r.read(s as u64, 5).unwrap(), &data[s..]);
        }
    }

    #[test]
    fn exact_frame_multiples_and_tiny_blobs_round_trip() {
        for (_d, store) in stores() {
            for size in [0, 1, FRAME_DATA, 16 * FRAME_DATA, 16 * FRAME_DATA + 1] {
                let data = vec![(size % 256) as u8; size];
                let id = write_blob(&store, &[&data]);
                let r = store.open_reader(id).unwrap();
                assert_eq!(r.read(0, size).unwrap(), data, "size {size}");
            }
        }
    }

    #[test]
    fn flipped_bit_is_detected() {
        for (_d, store) in stores() {
            let id = write_blob(&store, &[&vec![7u8; FRAME_DATA + 10]]);
            let path = store.path(id);
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[FRAME_SIZE + 3] ^= 1;
            std::fs::write(&path, bytes).unwrap();
            let r = store.open_reader(id).unwrap();
            assert!(r.read(0, 10).is_ok(), "first frame is intact");
            assert!(matches!(
                r.read(FRAME_DATA as u64, 5),
                Err(StoreError::Corrupt { frame: 1, .. })
            ));
        }
    }

    #[test]
    fn truncated_file_is_detected() {
        for (_d, store) in stores() {
            let id = write_blob(&store, &[&vec![1u8; 2 * FRAME_DATA]]);
            let f = OpenOptions::new().write(true).open(store.path(id)).unwrap();
            f.set_len(FRAME_SIZE as u64 + 100).unwrap();
            let r = store.open_reader(id).unwrap();
            assert!(r.read(0, 2 * FRAME_DATA).is_err());
        }
    }
}
