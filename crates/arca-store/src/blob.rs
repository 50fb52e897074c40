//! BlobStore: object bytes in immutable files on a local drive.
//!
//! A blob is written once, fsynced (file and directory) before any metadata points at it, and
//! never modified; it is deleted only by the GC worker once no record references it.
//!
//! ## Format
//! A blob file is a sequence of blocks. Each block holds up to [`BLOCK_SIZE`] bytes of object
//! data followed by the CRC32C of those bytes (4 bytes, little endian). Only the last block may
//! be short. Every read verifies the CRC of each block it touches, so a flipped bit becomes an
//! error, never wrong bytes. Block `i` starts at file offset `i * (BLOCK_SIZE + 4)`.
//!
//! Files live at `blobs/<first two hex digits>/<32 hex digits>`; the fan-out keeps directories
//! small and all 256 of them are created (and fsynced) when the store is opened.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};

/// Object bytes per block.
pub const BLOCK_SIZE: usize = 64 * 1024;
const FRAMED_BLOCK: u64 = BLOCK_SIZE as u64 + 4;

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
}

impl BlobStore {
    /// Opens (creating if needed) the blob directory and its 256 fan-out folders.
    pub fn open(root: impl Into<PathBuf>) -> StoreResult<Self> {
        let root = root.into();
        for i in 0..=255u8 {
            let dir = root.join(format!("{i:02x}"));
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        }
        sync_dir(&root)?;
        Ok(BlobStore { root })
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
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        Ok(BlobWriter {
            id,
            path,
            file: std::io::BufWriter::with_capacity(4 * FRAMED_BLOCK as usize, file),
            block: Vec::with_capacity(BLOCK_SIZE),
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

/// Streams object bytes into a new blob file, framing them into checksummed blocks.
pub struct BlobWriter {
    id: BlobId,
    path: PathBuf,
    file: std::io::BufWriter<File>,
    block: Vec<u8>,
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
            let room = BLOCK_SIZE - self.block.len();
            let take = room.min(data.len());
            self.block.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.block.len() == BLOCK_SIZE {
                self.flush_block()?;
            }
        }
        Ok(())
    }

    fn flush_block(&mut self) -> StoreResult<()> {
        let crc = crc32c(&self.block);
        self.file
            .write_all(&self.block)
            .and_then(|()| self.file.write_all(&crc.to_le_bytes()))
            .map_err(|e| StoreError::io(&self.path, e))?;
        self.block.clear();
        Ok(())
    }

    /// Writes the last block and makes the file durable (file fsync, then its directory).
    pub fn finish(mut self) -> StoreResult<(BlobId, u64)> {
        if !self.block.is_empty() {
            self.flush_block()?;
        }
        let file = self
            .file
            .into_inner()
            .map_err(|e| StoreError::io(&self.path, e.into_error()))?;
        file.sync_all().map_err(|e| StoreError::io(&self.path, e))?;
        if let Some(dir) = self.path.parent() {
            sync_dir(dir)?;
        }
        Ok((self.id, self.len))
    }
}

/// Random-access reads of one blob with CRC verification of every block touched.
pub struct BlobReader {
    id: BlobId,
    file: File,
}

impl BlobReader {
    /// Reads object bytes `[start, start + len)`. `len` should be a few blocks at most; callers
    /// stream larger ranges as a sequence of such reads.
    pub fn read(&self, start: u64, len: usize) -> StoreResult<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let first = start / BLOCK_SIZE as u64;
        let last = (start + len as u64 - 1) / BLOCK_SIZE as u64;
        let blocks = (last - first + 1) as usize;
        let mut framed = vec![0u8; blocks * FRAMED_BLOCK as usize];
        let mut filled = 0;
        let offset = first * FRAMED_BLOCK;
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
        let mut out = Vec::with_capacity(blocks * BLOCK_SIZE);
        for (i, chunk) in framed.chunks(FRAMED_BLOCK as usize).enumerate() {
            let block_no = first + i as u64;
            if chunk.len() < 4 {
                return Err(self.corrupt(block_no));
            }
            let (data, crc) = chunk.split_at(chunk.len() - 4);
            if crc32c(data).to_le_bytes() != crc {
                return Err(self.corrupt(block_no));
            }
            out.extend_from_slice(data);
        }
        let skip = (start - first * BLOCK_SIZE as u64) as usize;
        if out.len() < skip + len {
            // The file is shorter than the record says: truncated on disk.
            return Err(self.corrupt(last));
        }
        out.truncate(skip + len);
        out.drain(..skip);
        Ok(out)
    }

    fn corrupt(&self, block: u64) -> StoreError {
        StoreError::Corrupt {
            blob: self.id.to_string(),
            block,
        }
    }
}

pub fn crc32c(data: &[u8]) -> u32 {
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, data) as u32
}

pub(crate) fn sync_dir(dir: &Path) -> StoreResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, BlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path().join("blobs")).unwrap();
        (dir, store)
    }

    #[test]
    fn round_trip_across_block_boundaries() {
        let (_d, store) = store();
        let data: Vec<u8> = (0..(3 * BLOCK_SIZE + 123)).map(|i| (i % 251) as u8).collect();
        let mut w = store.create(BlobId::random()).unwrap();
        w.write(&data[..1000]).unwrap();
        w.write(&data[1000..]).unwrap();
        let (id, len) = w.finish().unwrap();
        assert_eq!(len, data.len() as u64);
        let r = store.open_reader(id).unwrap();
        assert_eq!(r.read(0, data.len()).unwrap(), data);
        let s = BLOCK_SIZE - 10;
        assert_eq!(r.read(s as u64, 20).unwrap(), &data[s..s + 20]);
        let s = data.len() - 5;
        assert_eq!(r.read(s as u64, 5).unwrap(), &data[s..]);
    }

    #[test]
    fn flipped_bit_is_detected() {
        let (_d, store) = store();
        let mut w = store.create(BlobId::random()).unwrap();
        w.write(&vec![7u8; BLOCK_SIZE + 10]).unwrap();
        let (id, _) = w.finish().unwrap();
        let path = store.path(id);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[BLOCK_SIZE + 4 + 3] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let r = store.open_reader(id).unwrap();
        assert!(r.read(0, 10).is_ok(), "first block is intact");
        assert!(matches!(
            r.read(BLOCK_SIZE as u64, 5),
            Err(StoreError::Corrupt { block: 1, .. })
        ));
    }

    #[test]
    fn truncated_file_is_detected() {
        let (_d, store) = store();
        let mut w = store.create(BlobId::random()).unwrap();
        w.write(&vec![1u8; 2 * BLOCK_SIZE]).unwrap();
        let (id, _) = w.finish().unwrap();
        let path = store.path(id);
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(FRAMED_BLOCK + 100).unwrap();
        let r = store.open_reader(id).unwrap();
        assert!(r.read(0, 2 * BLOCK_SIZE).is_err());
    }
}
