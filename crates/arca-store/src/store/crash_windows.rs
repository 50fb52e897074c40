//! Crash windows, one by one: the power goes at a chosen step of an operation, the store is
//! opened again on what survived, and what `docs/storage-format.md` promises must hold.
//!
//! A random `kill -9` (the integration suite's `crash` tests) keeps the page cache and hits
//! windows by chance; here each window is hit on purpose. One [`PowerCut`] switches off both
//! seams: the metadata engine ([`FaultEngine`]: commits after the cut are lost) and the blob
//! files ([`FaultBlobs`]: bytes not yet fsynced are lost, in each of the ways a disk can lose
//! them).

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::TryStreamExt;

use super::tests::{blob, bucket, owner, version};
use super::*;
use crate::blob::HeadCaching;
use crate::blob::fault::{FaultBlobs, Loss};
use crate::kv::fault::{FaultEngine, PowerCut};
use crate::kv::memory::MemoryEngine;
use crate::record::{ContentHeaders, Extent, MultipartUpload, ObjectData, PartRecord};

/// A machine: a data folder for blob files and an engine whose committed state is what
/// survives a power cut.
struct Machine {
    dir: tempfile::TempDir,
    disk: MemoryEngine,
}

/// A store running on a [`Machine`], with the switch that cuts its power.
struct Running {
    store: Arc<Store>,
    power: PowerCut,
    blobs: FaultBlobs,
}

impl Running {
    /// The power goes (if it has not yet): the store stops, and the disk keeps only what was
    /// durable, unsynced blob bytes lost as `loss` says. Returns how many blobs lost bytes.
    fn cut(self, loss: Loss) -> usize {
        self.power.cut_now();
        drop(self.store);
        self.blobs.lose_unsynced(loss)
    }
}

const LOSSES: [Loss; 3] = [Loss::Unlinked, Loss::Emptied, Loss::Torn];

impl Machine {
    fn new() -> Self {
        Machine {
            dir: tempfile::tempdir().unwrap(),
            disk: MemoryEngine::new(),
        }
    }

    /// Starts the store (recovery included) with the power on.
    fn boot(&self) -> Running {
        let power = PowerCut::default();
        let engine = FaultEngine::new(self.disk.clone(), power.clone());
        let files = BlobFiles::open(self.dir.path().join("blobs")).unwrap();
        let blobs = FaultBlobs::new(files, power.clone());
        let store = Store::open_on_seams(self.dir.path(), Box::new(engine), Arc::new(blobs.clone())).unwrap();
        Running { store, power, blobs }
    }

    fn blob_files(&self) -> usize {
        walk(&self.dir.path().join("blobs"))
    }
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 })
            .sum()
    })
}

async fn with_bucket(m: &Machine) -> Running {
    let r = m.boot();
    r.store.create_bucket(bucket("b")).await.unwrap();
    r
}

/// Makes the blob `extent` the object `b/k`.
async fn put_extent(s: &Store, extent: Extent) -> StoreResult<Option<String>> {
    let v = version("e", ObjectData::Extents(vec![extent]));
    s.put_object("b", "k", v, WriteCondition::Always).await
}

/// Bytes that span several staging buffers, so that some reach the file before the end.
fn large_body() -> Vec<u8> {
    (0..3 * 1024 * 1024 + 5).map(|i| (i % 251) as u8).collect()
}

async fn read_all(s: &Store, data: &ObjectData, len: u64) -> StoreResult<Vec<u8>> {
    let chunks: Vec<bytes::Bytes> = s.read_range(data, None, 0, len)?.try_collect().await?;
    Ok(chunks.concat())
}

#[tokio::test]
async fn power_cut_before_the_intent_commits_leaves_no_file() {
    let m = Machine::new();
    let r = with_bucket(&m).await;
    r.power.after_commits(0);
    assert!(r.store.begin_blob(HeadCaching::Cached, TierId::MAIN).await.is_err());
    r.cut(Loss::Torn);
    let s = m.boot().store;
    assert_eq!(m.blob_files(), 0);
    assert_eq!(s.gc_backlog().unwrap(), 0);
}

/// The power goes while an upload's bytes are being written, before the fsync that would make
/// them durable: whatever the disk kept of them, nothing is visible and all of it is reclaimed.
#[tokio::test]
async fn power_cut_mid_blob_before_its_fsync_loses_it_whole() {
    for loss in LOSSES {
        let m = Machine::new();
        let r = with_bucket(&m).await;
        let mut ingest = r.store.ingest(IngestTarget::Object);
        ingest.push(&large_body()).await.unwrap();
        r.power.cut_now();
        assert!(ingest.finish().await.is_err(), "{loss:?}: no fsync without power");
        assert_eq!(r.cut(loss), 1, "{loss:?}");
        let s = m.boot().store;
        assert!(matches!(s.get_object("b", "k"), Err(StoreError::NoSuchKey { .. })));
        // The intent names the blob, so whatever is left of it is collected.
        assert_eq!(s.gc_backlog().unwrap(), 1, "{loss:?}");
        assert_eq!(s.collect_garbage().await.unwrap(), 1, "{loss:?}");
        assert_eq!(m.blob_files(), 0, "{loss:?}");
    }
}

#[tokio::test]
async fn power_cut_after_the_blob_is_fsynced_but_before_its_record_commits() {
    let m = Machine::new();
    let r = with_bucket(&m).await;
    // The intent commits, the blob is written and fsynced, the record's commit is lost.
    r.power.after_commits(1);
    let extent = blob(&r.store, b"never acknowledged").await;
    assert!(put_extent(&r.store, extent).await.is_err());
    assert_eq!(r.cut(Loss::Torn), 0, "the finished blob was durable");
    let s = m.boot().store;
    // Nothing partial is visible, and the orphan is reclaimed.
    assert!(matches!(s.get_object("b", "k"), Err(StoreError::NoSuchKey { .. })));
    assert_eq!(m.blob_files(), 1);
    assert_eq!(s.gc_backlog().unwrap(), 1);
    assert_eq!(s.collect_garbage().await.unwrap(), 1);
    assert_eq!(m.blob_files(), 0);
}

/// Between the commit and the acknowledgement: the write is durable, bytes and record, however
/// the disk treats what was still in flight.
#[tokio::test]
async fn a_committed_write_survives_a_power_cut_right_after_it() {
    for loss in LOSSES {
        let m = Machine::new();
        let r = with_bucket(&m).await;
        r.power.after_commits(2);
        let body = large_body();
        let mut ingest = r.store.ingest(IngestTarget::Object);
        ingest.push(&body).await.unwrap();
        let data = ingest.finish().await.unwrap();
        r.store
            .put_object("b", "k", version("e", data), WriteCondition::Always)
            .await
            .unwrap();
        // Whatever comes next is lost, the acknowledged write is not.
        assert!(r.store.create_bucket(bucket("later")).await.is_err());
        assert!(r.power.is_out());
        assert_eq!(r.cut(loss), 0, "{loss:?}: nothing acknowledged was unsynced");
        let s = m.boot().store;
        let v = s.get_object("b", "k").unwrap();
        assert_eq!(read_all(&s, &v.data, body.len() as u64).await.unwrap(), body);
        assert!(matches!(s.get_bucket("later"), Err(StoreError::NoSuchBucket(_))));
        assert_eq!(s.gc_backlog().unwrap(), 0);
    }
}

/// The fault layer itself: a store that committed a record before fsyncing its blob (the bug
/// the ordering above prevents) is caught, where a `kill -9` would have kept the page cache.
#[tokio::test]
async fn a_record_naming_unsynced_bytes_is_caught_by_the_fault_layer() {
    let m = Machine::new();
    let r = with_bucket(&m).await;
    let body = large_body();
    let mut sink = r.store.begin_blob(HeadCaching::Cached, TierId::MAIN).await.unwrap();
    let blob = sink.id();
    sink.write(&body).unwrap();
    // Deliberately skip `finish` (the fsync) and commit a record naming the blob.
    drop(sink);
    let data = ObjectData::Extents(vec![Extent {
        sealed_as: None,
        blob,
        len: body.len() as u64,
        tier: TierId::MAIN,
    }]);
    r.store
        .put_object("b", "k", version("e", data), WriteCondition::Always)
        .await
        .unwrap();
    assert_eq!(r.cut(Loss::Torn), 1);
    let s = m.boot().store;
    let v = s.get_object("b", "k").unwrap();
    assert!(read_all(&s, &v.data, body.len() as u64).await.is_err());
}

#[tokio::test]
async fn power_cut_during_gc_is_finished_by_the_next_pass() {
    let m = Machine::new();
    {
        // An orphaned blob, queued at time 0 by recovery: due at once.
        let r = with_bucket(&m).await;
        r.power.after_commits(1);
        let extent = blob(&r.store, b"orphan").await;
        let _ = put_extent(&r.store, extent).await;
        r.cut(Loss::Torn);
    }
    let r = m.boot();
    assert_eq!(r.store.gc_backlog().unwrap(), 1);
    // The file is removed, then the power goes before the queue entry's removal commits.
    r.power.after_commits(0);
    assert!(r.store.collect_garbage().await.is_err());
    assert_eq!(m.blob_files(), 0);
    r.cut(Loss::Torn);
    let s = m.boot().store;
    assert_eq!(s.gc_backlog().unwrap(), 1);
    // The next pass removes the entry; the file being gone already is fine.
    assert_eq!(s.collect_garbage().await.unwrap(), 1);
    assert_eq!(s.gc_backlog().unwrap(), 0);
}

#[tokio::test]
async fn power_cut_during_complete_leaves_the_upload_to_complete_again() {
    let m = Machine::new();
    let r = with_bucket(&m).await;
    let upload = MultipartUpload {
        encryption: None,
        acl: None,
        bucket: "b".into(),
        key: "k".into(),
        upload_id: "u".into(),
        initiated_ms: 0,
        owner: owner(),
        storage_class: Default::default(),
        content: ContentHeaders::default(),
        user_metadata: vec![],
        tags: vec![],
        checksum_algorithm: None,
        checksum_type: None,
    };
    r.store.create_upload(upload).await.unwrap();
    let Extent {
        blob: part_blob, len, ..
    } = blob(&r.store, b"part one").await;
    let part = PartRecord {
        sealed_as: None,
        part_number: 1,
        size: len,
        etag: "p1".into(),
        last_modified_ms: 0,
        checksum: None,
        blob: part_blob,
        tier: TierId::MAIN,
    };
    r.store.put_part("b", "k", "u", part).await.unwrap();
    let build = |_: &MultipartUpload, parts: &BTreeMap<u32, PartRecord>| {
        let p = &parts[&1];
        Ok(version(
            "m-1",
            ObjectData::Extents(vec![Extent {
                sealed_as: None,
                blob: p.blob,
                len: p.size,
                tier: p.tier,
            }]),
        ))
    };
    r.power.after_commits(0);
    assert!(
        r.store
            .complete_upload("b", "k", "u", WriteCondition::Always, build)
            .await
            .is_err()
    );
    assert_eq!(r.cut(Loss::Torn), 0);
    let s = m.boot().store;
    // Nothing completed: the upload and its part are as they were, the part's file kept.
    assert!(matches!(s.get_object("b", "k"), Err(StoreError::NoSuchKey { .. })));
    assert_eq!(s.list_parts("u", 0, 10).unwrap().0.len(), 1);
    assert_eq!(s.gc_backlog().unwrap(), 0);
    assert_eq!(m.blob_files(), 1);
    s.complete_upload("b", "k", "u", WriteCondition::Always, build)
        .await
        .unwrap();
    assert_eq!(s.get_object("b", "k").unwrap().etag, "m-1");
    assert_eq!(s.gc_backlog().unwrap(), 0);
}
