use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::*;
use crate::blob::{BlobSink, BlobSource};
use crate::error::StoreResult;

/// A blob held in memory: what a sink wrote, for a source to read (and a test to tamper with).
struct MemorySink {
    id: BlobId,
    bytes: Arc<Mutex<Vec<u8>>>,
    staged: Vec<u8>,
}

const MEMORY_STAGE: usize = 100_000;

impl BlobSink for MemorySink {
    fn id(&self) -> BlobId {
        self.id
    }
    fn stage(&mut self, data: &[u8]) -> usize {
        // A small staging buffer, so the sealing sink meets a full inner sink often.
        let n = data.len().min(MEMORY_STAGE - self.staged.len());
        self.staged.extend_from_slice(&data[..n]);
        n
    }
    fn needs_flush(&self) -> bool {
        self.staged.len() == MEMORY_STAGE
    }
    fn flush(&mut self) -> StoreResult<()> {
        self.bytes.lock().unwrap().append(&mut self.staged);
        Ok(())
    }
    fn finish(mut self: Box<Self>) -> StoreResult<u64> {
        self.flush()?;
        Ok(self.bytes.lock().unwrap().len() as u64)
    }
}

struct MemorySource(Bytes);

impl BlobSource for MemorySource {
    fn read(&self, start: u64, len: usize) -> StoreResult<Vec<Bytes>> {
        let end = start as usize + len;
        if end > self.0.len() {
            return Err(crate::StoreError::Corrupt {
                blob: "memory".into(),
                frame: 0,
            });
        }
        // Pieces that do not line up with chunks, as a remote tier's might not.
        let mid = (start as usize + len / 3).min(end);
        Ok(vec![self.0.slice(start as usize..mid), self.0.slice(mid..end)])
    }
    fn read_unit(&self) -> u64 {
        FRAME_DATA as u64
    }
}

fn seal(key: &DataKey, id: BlobId, data: &[u8]) -> Vec<u8> {
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let inner = MemorySink {
        id,
        bytes: bytes.clone(),
        staged: Vec::new(),
    };
    let mut sink: Box<dyn BlobSink> = Box::new(SealingSink::new(Box::new(inner), key));
    // Staged in odd pieces, the way request bodies arrive.
    for piece in data.chunks(7_777) {
        sink.write(piece).unwrap();
    }
    assert_eq!(sink.finish().unwrap(), data.len() as u64);
    let stored = bytes.lock().unwrap().clone();
    assert_eq!(stored.len() as u64, sealed_len(data.len() as u64));
    stored
}

fn open(key: &DataKey, id: BlobId, stored: Vec<u8>, len: u64) -> OpeningSource {
    OpeningSource::new(Box::new(MemorySource(stored.into())), key, id, len)
}

fn read(source: &OpeningSource, start: u64, len: usize) -> StoreResult<Vec<u8>> {
    Ok(source.read(start, len)?.concat())
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn sealed_bytes_read_back_whole_and_by_range() {
    let key = DataKey::random();
    for len in [
        0,
        1,
        SEALED_CHUNK - 1,
        SEALED_CHUNK,
        SEALED_CHUNK + 1,
        3 * SEALED_CHUNK + 7,
        1 << 21,
    ] {
        let id = BlobId::random();
        let plain = data(len);
        let stored = seal(&key, id, &plain);
        if len > 64 {
            assert!(
                !stored.windows(64).any(|w| w == &plain[..64]),
                "no plaintext on disk ({len} bytes)"
            );
        }
        let source = open(&key, id, stored, len as u64);
        assert_eq!(read(&source, 0, len).unwrap(), plain, "{len} bytes whole");
        for (start, n) in [(1, 10), (SEALED_CHUNK - 3, 9), (SEALED_CHUNK, 5), (len / 2, len / 3)] {
            if start + n <= len && n > 0 {
                assert_eq!(
                    read(&source, start as u64, n).unwrap(),
                    &plain[start..start + n],
                    "{len} bytes, range {start}+{n}"
                );
            }
        }
    }
}

#[test]
fn tampered_bytes_are_corruption_never_data() {
    let key = DataKey::random();
    let id = BlobId::random();
    let len = 3 * SEALED_CHUNK + 100;
    let plain = data(len);
    let stored = seal(&key, id, &plain);
    let whole = |stored: Vec<u8>| read(&open(&key, id, stored, len as u64), 0, len);

    let mut flipped = stored.clone();
    flipped[FRAME_DATA + 17] ^= 1;
    assert!(whole(flipped).is_err(), "a flipped bit");

    let mut swapped = stored.clone();
    let (a, b) = swapped.split_at_mut(FRAME_DATA);
    a.swap_with_slice(&mut b[..FRAME_DATA]);
    assert!(whole(swapped).is_err(), "two chunks swapped");

    // Cut after two whole chunks: what is left is two valid-looking chunks, neither sealed
    // as the last.
    let cut = stored[..2 * FRAME_DATA].to_vec();
    assert!(
        read(&open(&key, id, cut, (2 * SEALED_CHUNK) as u64), 0, 2 * SEALED_CHUNK).is_err(),
        "truncated at a chunk boundary"
    );

    assert!(
        read(&open(&key, BlobId::random(), stored.clone(), len as u64), 0, len).is_err(),
        "another blob's bytes in its place"
    );
    assert!(
        read(&open(&DataKey::random(), id, stored.clone(), len as u64), 0, len).is_err(),
        "under another data key"
    );
    assert_eq!(whole(stored).unwrap(), plain, "untouched, it still opens");
}

#[test]
fn inline_bodies_seal_and_open() {
    let key = DataKey::random();
    let plain = data(4096);
    let sealed = seal_inline(&key, plain.clone());
    assert_eq!(sealed.len(), plain.len() + TAG_LEN);
    assert_eq!(open_inline(&key, &sealed).unwrap(), plain);
    let mut flipped = sealed.clone();
    flipped[5] ^= 0x80;
    assert!(open_inline(&key, &flipped).is_err());
    assert!(open_inline(&DataKey::random(), &sealed).is_err());
    assert!(open_inline(&key, &sealed[..sealed.len() - 1]).is_err());
    assert_eq!(open_inline(&key, &seal_inline(&key, Vec::new())).unwrap(), b"");
}
