//! Blobs: object bytes, written once as a stream, made durable, read by range, removed.
//!
//! The seam is three small traits. [`BlobStore`] creates, opens and removes blobs;
//! [`BlobSink`] takes one new blob's bytes (staging is cheap and does no I/O, so an async
//! task can feed it; only `flush` and `finish` block); [`BlobSource`] reads ranges of a
//! finished one. Nothing above this module knows how bytes lie on disk: [`BlobFiles`] (files
//! on a local drive, in checksummed frames) is one adapter. Encryption at rest, a second
//! drive, a remote tier or erasure-coded shards are adapters or layers over another
//! `BlobStore`; [`RemoteBlobs`] (objects in a bucket of another S3 server) is the second
//! adapter, and [`fault`] a layer, for crash tests.
//!
//! The contract every adapter keeps (the store's invariants rest on it):
//! 1. [`BlobSink::finish`] returns only once the blob's bytes survive a power cut; before
//!    that, any of them may be lost;
//! 2. a finished blob is immutable: every read returns the bytes written, or an error
//!    (never other bytes);
//! 3. [`BlobStore::remove`] of a blob that is already gone succeeds (GC may run twice).

mod direct_io;
pub mod fault;
mod files;
mod frame_buffer;
mod reader;
mod remote;
pub mod sealed;
mod writer;

use std::fmt;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use crate::error::StoreResult;
pub use files::{BlobFiles, CACHED_PREFIX};
pub use frame_buffer::{FRAME_DATA, FRAME_SIZE};
pub use remote::{ObjectEndpoint, PART_FRAMES, RemoteBlobs};

/// Whether a blob's first bytes should stay in the page cache: a hint to adapters that have
/// one ([`BlobFiles`] keeps the first MiB, [`CACHED_PREFIX`]); others ignore it.
///
/// They should for a blob that starts an object: small objects and first bytes stay in memory.
/// A blob that continues an object (multipart parts after the first) starts with more of the
/// bulk, which the cache would only pay to copy: on the benchmark machine the cached first
/// MiB of 128 parts of a 1 GiB upload cost the server 0.27 s of CPU out of 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadCaching {
    /// The first bytes go through the page cache.
    Cached,
    /// Every byte bypasses the page cache where the filesystem allows it.
    Uncached,
}

impl HeadCaching {
    /// Cached for a blob that starts its object (a single blob, multipart part 1, an
    /// object's first extent), uncached for one that continues it.
    pub fn for_blob(starts_object: bool) -> HeadCaching {
        if starts_object {
            HeadCaching::Cached
        } else {
            HeadCaching::Uncached
        }
    }
}

/// A blob's name: 128 random bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobId(pub u128);

impl BlobId {
    /// A fresh id.
    pub fn random() -> Self {
        BlobId(rand::random())
    }

    /// The id as 16 bytes, big endian.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// The id of [`BlobId::to_bytes`]'s output; `None` for another length.
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

/// Which storage tier holds a blob: 0 is the data folder's own `blobs/`; others are the
/// tiers the server's configuration names (another drive, a remote S3 bucket), numbered
/// once and for good in the `tiers` table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TierId(pub u8);

impl TierId {
    /// The data folder.
    pub const MAIN: TierId = TierId(0);

    /// Whether this is the data folder (records leave the field out then).
    pub fn is_main(&self) -> bool {
        *self == TierId::MAIN
    }
}

/// A blob and the tier it lives in: what GC and write intents need to find it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlobRef {
    /// The blob.
    pub id: BlobId,
    /// Its tier.
    pub tier: TierId,
}

/// Where blobs live: creates, opens and removes them. See the module docs for the contract.
pub trait BlobStore: Send + Sync + 'static {
    /// Starts a new blob. The caller has recorded the id as a durable intent first, so that
    /// a crash mid-write leaves nothing unaccounted for.
    fn create(&self, id: BlobId, head: HeadCaching) -> StoreResult<Box<dyn BlobSink>>;

    /// Opens a finished blob for range reads; `head` is what it was created with.
    fn open(&self, id: BlobId, head: HeadCaching) -> StoreResult<Box<dyn BlobSource>>;

    /// Removes a blob; one that is already gone is not an error.
    fn remove(&self, id: BlobId) -> StoreResult<()>;
}

/// One new blob being written.
pub trait BlobSink: Send {
    /// The blob being written.
    fn id(&self) -> BlobId;

    /// Takes as much of `data` as fits in memory, without I/O, and returns how many bytes it
    /// took. Fewer than `data.len()` means it is full: [`BlobSink::flush`] it.
    fn stage(&mut self, data: &[u8]) -> usize;

    /// Whether staged bytes wait for [`BlobSink::flush`] before more can be taken.
    fn needs_flush(&self) -> bool;

    /// Writes what is staged (blocking I/O). Not durable yet.
    fn flush(&mut self) -> StoreResult<()>;

    /// Writes the rest and makes the whole blob durable (blocking I/O); returns its length.
    fn finish(self: Box<Self>) -> StoreResult<u64>;

    /// Stages and flushes all of `data` (blocking I/O): for callers that are not async.
    fn write(&mut self, mut data: &[u8]) -> StoreResult<()> {
        while !data.is_empty() {
            let took = self.stage(data);
            data = &data[took..];
            if self.needs_flush() {
                self.flush()?;
            }
        }
        Ok(())
    }
}

/// Range reads of one finished blob.
pub trait BlobSource: Send + Sync {
    /// Bytes `[start, start + len)` as pieces in order (no copy where the adapter can avoid
    /// one). `len` should be a few [`BlobSource::read_unit`]s at most: callers stream larger
    /// ranges as a sequence of reads. Fewer bytes than asked is an error, never a short read.
    fn read(&self, start: u64, len: usize) -> StoreResult<Vec<Bytes>>;

    /// Like [`BlobSource::read`], but each piece is the caller's to change in place: what a
    /// layer that transforms the bytes (opening sealed chunks) reads with, to spare a copy.
    /// Adapters that cannot hand their buffers over copy them (the default).
    fn read_mut(&self, start: u64, len: usize) -> StoreResult<Vec<BytesMut>> {
        Ok(self.read(start, len)?.iter().map(|b| BytesMut::from(&b[..])).collect())
    }

    /// The unit reads are cheapest in: a sequence of reads that start and end on multiples of
    /// it fetches (and verifies) no stored byte twice.
    fn read_unit(&self) -> u64;
}

/// CRC-32C (Castagnoli) of `data`: what guards every frame and inline object.
pub fn crc32c(data: &[u8]) -> u32 {
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, data) as u32
}
