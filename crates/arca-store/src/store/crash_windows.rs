//! Crash windows, one by one: the power goes at a chosen commit of an operation, the store
//! is opened again on what survived, and what `docs/storage-format.md` promises must hold.
//!
//! A random `kill -9` (the integration suite's `crash` tests) keeps the page cache and hits
//! windows by chance; here each window is hit on purpose through [`FaultEngine`]. Only
//! metadata loses its uncommitted writes here; blob files are fsynced before the commits
//! that name them, which the order of operations below relies on.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::tests::{blob, bucket, owner, version};
use super::*;
use crate::blob::HeadCaching;
use crate::kv::fault::{FaultEngine, PowerCut};
use crate::kv::memory::MemoryEngine;
use crate::record::{ContentHeaders, Extent, MultipartUpload, ObjectData, PartRecord};

/// A machine: a data folder for blob files and an engine whose committed state is what
/// survives a power cut.
struct Machine {
    dir: tempfile::TempDir,
    disk: MemoryEngine,
}

impl Machine {
    fn new() -> Self {
        Machine {
            dir: tempfile::tempdir().unwrap(),
            disk: MemoryEngine::new(),
        }
    }

    /// Starts the store (recovery included) with the power on; returns it and its switch.
    fn boot(&self) -> (Arc<Store>, PowerCut) {
        let power = PowerCut::default();
        let engine = FaultEngine::new(self.disk.clone(), power.clone());
        (Store::open_on(self.dir.path(), Box::new(engine)).unwrap(), power)
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

async fn with_bucket(m: &Machine) -> (Arc<Store>, PowerCut) {
    let (s, power) = m.boot();
    s.create_bucket(bucket("b")).await.unwrap();
    (s, power)
}

#[tokio::test]
async fn power_cut_before_the_intent_commits_leaves_no_file() {
    let m = Machine::new();
    let (s, power) = with_bucket(&m).await;
    power.after_commits(0);
    assert!(s.begin_blob(HeadCaching::Cached).await.is_err());
    drop(s);
    let (s, _) = m.boot();
    assert_eq!(m.blob_files(), 0);
    assert_eq!(s.gc_backlog().unwrap(), 0);
}

#[tokio::test]
async fn power_cut_after_the_blob_is_fsynced_but_before_its_record_commits() {
    let m = Machine::new();
    let (s, power) = with_bucket(&m).await;
    // The intent commits, the blob is written and fsynced, the record's commit is lost.
    power.after_commits(1);
    let extent = blob(&s, b"never acknowledged").await;
    let put = s
        .put_object(
            "b",
            "k",
            version("e", ObjectData::Extents(vec![extent])),
            WriteCondition::Always,
        )
        .await;
    assert!(put.is_err());
    drop(s);
    let (s, _) = m.boot();
    // Nothing partial is visible, and the orphan is reclaimed.
    assert!(matches!(s.get_object("b", "k"), Err(StoreError::NoSuchKey { .. })));
    assert_eq!(m.blob_files(), 1);
    assert_eq!(s.gc_backlog().unwrap(), 1);
    assert_eq!(s.collect_garbage().await.unwrap(), 1);
    assert_eq!(m.blob_files(), 0);
}

#[tokio::test]
async fn a_committed_write_survives_a_power_cut_right_after_it() {
    let m = Machine::new();
    let (s, power) = with_bucket(&m).await;
    power.after_commits(2);
    let extent = blob(&s, b"acknowledged").await;
    s.put_object(
        "b",
        "k",
        version("e", ObjectData::Extents(vec![extent])),
        WriteCondition::Always,
    )
    .await
    .unwrap();
    // Whatever comes next is lost, the acknowledged write is not.
    assert!(s.create_bucket(bucket("later")).await.is_err());
    assert!(power.is_out());
    drop(s);
    let (s, _) = m.boot();
    let v = s.get_object("b", "k").unwrap();
    let ObjectData::Extents(extents) = &v.data else {
        panic!("extents")
    };
    let reader = s.open_blob(extents[0].blob, HeadCaching::Cached).unwrap();
    let bytes: Vec<u8> = reader.read(0, 12).unwrap().concat();
    assert_eq!(bytes, b"acknowledged");
    assert!(matches!(s.get_bucket("later"), Err(StoreError::NoSuchBucket(_))));
    assert_eq!(s.gc_backlog().unwrap(), 0);
}

#[tokio::test]
async fn power_cut_during_gc_is_finished_by_the_next_pass() {
    let m = Machine::new();
    {
        // An orphaned blob, queued at time 0 by recovery: due at once.
        let (s, power) = with_bucket(&m).await;
        power.after_commits(1);
        let extent = blob(&s, b"orphan").await;
        let _ = s
            .put_object(
                "b",
                "k",
                version("e", ObjectData::Extents(vec![extent])),
                WriteCondition::Always,
            )
            .await;
    }
    let (s, power) = m.boot();
    assert_eq!(s.gc_backlog().unwrap(), 1);
    // The file is removed, then the power goes before the queue entry's removal commits.
    power.after_commits(0);
    assert!(s.collect_garbage().await.is_err());
    assert_eq!(m.blob_files(), 0);
    drop(s);
    let (s, _) = m.boot();
    assert_eq!(s.gc_backlog().unwrap(), 1);
    // The next pass removes the entry; the file being gone already is fine.
    assert_eq!(s.collect_garbage().await.unwrap(), 1);
    assert_eq!(s.gc_backlog().unwrap(), 0);
}

#[tokio::test]
async fn power_cut_during_complete_leaves_the_upload_to_complete_again() {
    let m = Machine::new();
    let (s, power) = with_bucket(&m).await;
    let upload = MultipartUpload {
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
    s.create_upload(upload).await.unwrap();
    let Extent { blob: part_blob, len } = blob(&s, b"part one").await;
    let part = PartRecord {
        part_number: 1,
        size: len,
        etag: "p1".into(),
        last_modified_ms: 0,
        checksum: None,
        blob: part_blob,
    };
    s.put_part("b", "k", "u", part).await.unwrap();
    let build = |_: &MultipartUpload, parts: &BTreeMap<u32, PartRecord>| {
        let p = &parts[&1];
        Ok(version(
            "m-1",
            ObjectData::Extents(vec![Extent {
                blob: p.blob,
                len: p.size,
            }]),
        ))
    };
    power.after_commits(0);
    assert!(
        s.complete_upload("b", "k", "u", WriteCondition::Always, build)
            .await
            .is_err()
    );
    drop(s);
    let (s, _) = m.boot();
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
