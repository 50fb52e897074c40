//! BlobFiles: blobs as immutable files on a local drive.
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
//! ## The page cache
//! The first [`CACHED_PREFIX`] bytes of a blob file that starts an object (1 MiB) are written
//! and read through the page cache; the rest bypasses it with `O_DIRECT`, where the filesystem
//! allows it (tmpfs and some overlays do not, and then everything is cached). So objects up to
//! about 1 MiB — most web assets and documents — stay in memory for the next read, and the
//! start of every large object is there too (fast first byte), while the bulk of large objects
//! streams between the network and the disk without the page cache's copies ([`direct_io`]
//! says what those cost). A blob that continues an object (a multipart part after the first)
//! is all bulk, so none of it is cached ([`HeadCaching`]). Reads follow the same split, so the
//! bytes past the prefix, which never enter the cache, are not pulled into it by reading them
//! either. Frames are a power of two long so that whole frames are aligned for `O_DIRECT`.
//!
//! Files live at `blobs/<first two hex digits>/<32 hex digits>`; the fan-out keeps directories
//! small and all 256 of them are created (and fsynced) when the store is opened.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

#[cfg(doc)]
use super::FRAME_DATA;
use super::reader::BlobReader;
use super::writer::BlobWriter;
use super::{BlobId, BlobSink, BlobSource, BlobStore, FRAME_SIZE, HeadCaching, direct_io};
use crate::error::{StoreError, StoreResult};

/// Frames staged per write: 1 MiB, large enough that a direct write keeps the device busy.
pub(super) const FRAMES_PER_WRITE: usize = 16;

/// File bytes of a blob that starts an object that go through the page cache (one staged
/// write); see [`HeadCaching`].
pub const CACHED_PREFIX: u64 = (FRAMES_PER_WRITE * FRAME_SIZE) as u64;

/// File bytes at the start of a blob that go through the page cache.
fn cached_prefix(head: HeadCaching) -> u64 {
    match head {
        HeadCaching::Cached => CACHED_PREFIX,
        HeadCaching::Uncached => 0,
    }
}

/// Blobs as files in one directory of a local drive.
#[derive(Debug, Clone)]
pub struct BlobFiles {
    root: PathBuf,
    /// Whether blob bytes past [`CACHED_PREFIX`] bypass the page cache (false where the
    /// filesystem refuses `O_DIRECT`).
    direct: bool,
}

impl BlobFiles {
    /// Opens (creating if needed) the blob directory and its 256 fan-out folders, and finds
    /// out whether its filesystem takes `O_DIRECT` writes.
    pub fn open(root: impl Into<PathBuf>) -> StoreResult<Self> {
        let root = root.into();
        for i in 0..=255u8 {
            let dir = root.join(format!("{i:02x}"));
            crate::create_private_dir(&dir).map_err(|e| StoreError::io(&dir, e))?;
        }
        sync_dir(&root)?;
        let direct = direct_io::supported(&root);
        tracing::debug!(direct, "blob bytes past the first MiB bypass the page cache");
        Ok(BlobFiles { root, direct })
    }

    /// Like [`BlobFiles::open`], but never uses `O_DIRECT` (tests of the fallback path).
    #[cfg(test)]
    pub(crate) fn open_buffered(root: impl Into<PathBuf>) -> StoreResult<Self> {
        let mut store = Self::open(root)?;
        store.direct = false;
        Ok(store)
    }

    /// Where the blob's file is: `blobs/<first two hex digits>/<id in hex>`.
    pub fn path(&self, id: BlobId) -> PathBuf {
        let name = id.to_string();
        self.root.join(&name[..2]).join(name)
    }
}

impl BlobStore for BlobFiles {
    fn create(&self, id: BlobId, head: HeadCaching) -> StoreResult<Box<dyn BlobSink>> {
        let path = self.path(id);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(crate::PRIVATE_FILE_MODE)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        Ok(Box::new(BlobWriter::new(
            id,
            path,
            file,
            self.direct,
            cached_prefix(head),
        )))
    }

    fn open(&self, id: BlobId, head: HeadCaching) -> StoreResult<Box<dyn BlobSource>> {
        let path = self.path(id);
        let file = File::open(&path).map_err(|e| StoreError::io(&path, e))?;
        Ok(Box::new(BlobReader::new(
            id,
            path,
            file,
            self.direct,
            cached_prefix(head),
        )))
    }

    fn remove(&self, id: BlobId) -> StoreResult<()> {
        let path = self.path(id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }
}

pub(crate) fn sync_dir(dir: &Path) -> StoreResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::FRAME_DATA;

    /// Both write paths: `O_DIRECT` where the test folder's filesystem takes it, and buffered.
    fn stores() -> Vec<(tempfile::TempDir, BlobFiles)> {
        let direct = tempfile::tempdir().unwrap();
        let buffered = tempfile::tempdir().unwrap();
        let d = BlobFiles::open(direct.path().join("blobs")).unwrap();
        let b = BlobFiles::open_buffered(buffered.path().join("blobs")).unwrap();
        vec![(direct, d), (buffered, b)]
    }

    fn read(r: &dyn BlobSource, start: u64, len: usize) -> StoreResult<Vec<u8>> {
        Ok(r.read(start, len)?.concat())
    }

    fn write_blob(store: &BlobFiles, chunks: &[&[u8]]) -> BlobId {
        write_blob_with(store, chunks, HeadCaching::Cached)
    }

    fn write_blob_with(store: &BlobFiles, chunks: &[&[u8]], head: HeadCaching) -> BlobId {
        let mut w = store.create(BlobId::random(), head).unwrap();
        for c in chunks {
            w.write(c).unwrap();
        }
        let id = w.id();
        w.finish().unwrap();
        id
    }

    #[test]
    fn round_trip_across_frame_and_write_boundaries() {
        for (_d, store) in stores() {
            // Past two staged writes (16 frames each): a cached one, a direct one, then a short
            // direct tail that is padded for the write and truncated back.
            let data: Vec<u8> = (0..(33 * FRAME_DATA + 123)).map(|i| (i % 251) as u8).collect();
            let id = write_blob(&store, &[&data[..1000], &data[1000..]]);
            let file_len = std::fs::metadata(store.path(id)).unwrap().len();
            assert_eq!(file_len, (33 * FRAME_SIZE + 123 + 4) as u64, "no padding left behind");
            let r = store.open(id, HeadCaching::Cached).unwrap();
            assert_eq!(read(&*r, 0, data.len()).unwrap(), data);
            let s = FRAME_DATA - 10;
            assert_eq!(read(&*r, s as u64, 20).unwrap(), &data[s..s + 20]);
            let s = data.len() - 5;
            assert_eq!(read(&*r, s as u64, 5).unwrap(), &data[s..]);
        }
    }

    #[test]
    fn cold_reads_come_from_the_disk_through_both_paths() {
        use std::os::unix::io::AsRawFd;
        for (_d, store) in stores() {
            // 3 MiB: a cached prefix and a bypassing rest.
            let data: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 253) as u8).collect();
            let id = write_blob(&store, &[&data]);
            let f = File::open(store.path(id)).unwrap();
            // SAFETY: fadvise only reads its integer arguments; the descriptor is open.
            unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
            let r = store.open(id, HeadCaching::Cached).unwrap();
            assert_eq!(read(&*r, 0, data.len()).unwrap(), data);
            let s = 2 * 1024 * 1024 + 17;
            assert_eq!(read(&*r, s as u64, 100_000).unwrap(), &data[s..s + 100_000]);
            // Across the end of the cached prefix: one read, two paths.
            let s = 1024 * 1024 - 5000;
            assert_eq!(read(&*r, s as u64, 200_000).unwrap(), &data[s..s + 200_000]);
        }
    }

    #[test]
    fn exact_frame_multiples_and_tiny_blobs_round_trip() {
        for (_d, store) in stores() {
            for size in [0, 1, FRAME_DATA, 16 * FRAME_DATA, 16 * FRAME_DATA + 1] {
                let data = vec![(size % 256) as u8; size];
                let id = write_blob(&store, &[&data]);
                let r = store.open(id, HeadCaching::Cached).unwrap();
                assert_eq!(read(&*r, 0, size).unwrap(), data, "size {size}");
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
            let r = store.open(id, HeadCaching::Cached).unwrap();
            assert!(read(&*r, 0, 10).is_ok(), "first frame is intact");
            assert!(matches!(
                read(&*r, FRAME_DATA as u64, 5),
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
            let r = store.open(id, HeadCaching::Cached).unwrap();
            assert!(read(&*r, 0, 2 * FRAME_DATA).is_err());
        }
    }

    /// Bytes of `path` in the page cache (mincore over a mapping of it).
    fn resident_bytes(path: &Path) -> usize {
        use std::os::unix::io::AsRawFd;
        let f = File::open(path).unwrap();
        let len = f.metadata().unwrap().len() as usize;
        // SAFETY: a read-only shared mapping of a file we hold open, of its current length;
        // mincore writes one byte per page into a vector of exactly that many bytes.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
            let map = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            );
            assert_ne!(map, libc::MAP_FAILED);
            let mut pages = vec![0u8; len.div_ceil(page)];
            assert_eq!(libc::mincore(map, len, pages.as_mut_ptr()), 0);
            libc::munmap(map, len);
            pages.iter().filter(|p| *p & 1 == 1).count() * page
        }
    }

    /// A blob that starts an object keeps its first MiB in the page cache and nothing else; one
    /// that continues an object keeps nothing, written or read. Both read back intact.
    #[test]
    fn head_caching_decides_what_stays_in_the_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobFiles::open(dir.path().join("blobs")).unwrap();
        if !store.direct {
            eprintln!("skipped: this filesystem refuses O_DIRECT, so every blob is cached");
            return;
        }
        let data: Vec<u8> = (0..3 * 1024 * 1024 + 77).map(|i| (i % 249) as u8).collect();
        for (head, cached) in [
            (HeadCaching::Cached, CACHED_PREFIX as usize),
            (HeadCaching::Uncached, 0),
        ] {
            let id = write_blob_with(&store, &[&data[..5000], &data[5000..]], head);
            assert_eq!(resident_bytes(&store.path(id)), cached, "{head:?} after writing");
            let r = store.open(id, head).unwrap();
            assert_eq!(read(&*r, 0, data.len()).unwrap(), data, "{head:?}");
            let s = 1024 * 1024 - 3000;
            assert_eq!(read(&*r, s as u64, 100_000).unwrap(), &data[s..s + 100_000]);
            assert_eq!(resident_bytes(&store.path(id)), cached, "{head:?} after reading");
        }
    }
}
