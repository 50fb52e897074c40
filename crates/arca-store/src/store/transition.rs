//! Transitions: moving a version to another storage class, and its bytes to that class's tier.
//!
//! The move is a write like any other, on the same crash-safe path: each new blob in the
//! target tier is named by a durable intent before it is created, filled with the version's
//! bytes (read and verified from the old tier), and made durable; then one commit — only if
//! the version is still the one the move was decided for — points the record at the new
//! blobs with the new class, settles their intents and queues the old blobs for GC. A crash
//! before the commit leaves the version as it was and the new blobs to the next start's
//! recovery; after it, the old blobs to GC. Inline versions (bytes inside the record) and
//! versions whose class maps to the tier they are in only change their class.

use std::sync::Arc;

use super::Store;
use super::records::{queue_garbage, read_object, replace_blobs};
use super::versions::VersionPlace;
use crate::blob::{BlobRef, BlobSink, BlobStore, HeadCaching, TierId};
use crate::error::{StoreError, StoreResult};
use crate::kv::KvWrite;
use crate::record::{Extent, ObjectData, ObjectVersion, StorageClass, decode, encode};
use crate::tables::{OBJECTS, VERSIONS, object_key, version_key};

/// Bytes per read while copying a blob (a few read units; memory stays bounded).
const COPY_CHUNK: usize = 1 << 20;

/// Whether `found` is still the version `planned` was decided for.
pub(crate) fn same_version(found: &ObjectVersion, planned: &ObjectVersion) -> bool {
    found.version_id == planned.version_id
        && found.stamp == planned.stamp
        && found.last_modified_ms == planned.last_modified_ms
        && found.etag == planned.etag
        && found.is_delete_marker == planned.is_delete_marker
}

impl Store {
    /// Whether moving `v` to `class` moves bytes between tiers (not only its label).
    pub fn moves_bytes(&self, v: &ObjectVersion, class: StorageClass) -> bool {
        let target = self.tiers.for_class(class);
        v.data.blobs().iter().any(|b| b.tier != target)
    }

    /// Moves `planned` (a version of `key` in its `row`) to `class`: bytes first, then the
    /// record, as the module docs say. Returns whether it was applied (`false`: the version
    /// changed or went away meanwhile, and the copies went to GC).
    pub(crate) async fn transition_version(
        &self,
        bucket: &str,
        key: &str,
        row: VersionPlace,
        planned: &ObjectVersion,
        class: StorageClass,
    ) -> StoreResult<bool> {
        self.move_version(bucket, key, row, planned, class, self.tiers.for_class(class))
            .await
    }

    /// Like [`Store::transition_version`], with the bytes going to `target` rather than to
    /// the class's own tier (INTELLIGENT_TIERING's infrequent tier).
    pub(crate) async fn move_version(
        &self,
        bucket: &str,
        key: &str,
        row: VersionPlace,
        planned: &ObjectVersion,
        class: StorageClass,
        target: TierId,
    ) -> StoreResult<bool> {
        let data = match &planned.data {
            ObjectData::Extents(extents) if extents.iter().any(|e| e.tier != target) => {
                ObjectData::Extents(self.copy_extents(extents, target).await?)
            }
            other => other.clone(),
        };
        let (new, old) = (data.blobs(), planned.data.blobs());
        let moved = new != old;
        let (b, k, expected) = (bucket.to_string(), key.to_string(), planned.clone());
        let applied = self
            .meta
            .write(move |txn| {
                let (row_key, table) = match row {
                    VersionPlace::Current => (object_key(&b, &k), OBJECTS),
                    VersionPlace::Noncurrent => (version_key(&b, &k, expected.stamp), VERSIONS),
                };
                let found = match row {
                    VersionPlace::Current => read_object(txn, &row_key)?,
                    VersionPlace::Noncurrent => txn.get(VERSIONS, &row_key)?.map(|v| decode(&v)).transpose()?,
                };
                let Some(mut version) = found.filter(|f| same_version(f, &expected)) else {
                    discard(txn, moved, &new)?;
                    return Ok(false);
                };
                version.storage_class = class;
                version.data = data;
                txn.put(table, &row_key, &encode(&version)?)?;
                if row == VersionPlace::Current {
                    super::intelligent::track(txn, &b, &k, &version)?;
                }
                if moved {
                    replace_blobs(txn, &new, &old)?;
                }
                Ok(true)
            })
            .await?;
        if moved {
            tracing::info!(
                bucket,
                key,
                class = %class,
                tier = self.tiers.name(target),
                applied,
                "transition moved bytes"
            );
            self.wake_jobs();
        }
        Ok(applied)
    }

    /// Copies each extent into a new blob in `target`; on failure the copies made so far go
    /// to GC.
    pub(crate) async fn copy_extents(&self, extents: &[Extent], target: TierId) -> StoreResult<Vec<Extent>> {
        let mut copies: Vec<Extent> = Vec::with_capacity(extents.len());
        for (index, e) in extents.iter().enumerate() {
            let head = HeadCaching::for_blob(index == 0);
            let copied = match self.begin_blob(head, target).await {
                Ok(sink) => {
                    let id = sink.id();
                    let source = self.tiers.get(e.tier).cloned();
                    // Sealed bytes move as they are stored: no key is needed, and they keep
                    // the id they were sealed for.
                    let (blob, len) = (e.blob, e.stored_len());
                    let result = tokio::task::spawn_blocking(move || copy_blob(source?, blob, head, len, sink))
                        .await
                        .map_err(StoreError::worker)
                        .flatten();
                    match result {
                        Ok(()) => Ok(Extent {
                            blob: id,
                            len: e.len,
                            tier: target,
                            sealed_as: e.sealed_as,
                        }),
                        Err(err) => {
                            let _ = self.discard_blob(BlobRef { id, tier: target }).await;
                            Err(err)
                        }
                    }
                }
                Err(err) => Err(err),
            };
            match copied {
                Ok(c) => copies.push(c),
                Err(err) => {
                    for c in copies {
                        let _ = self
                            .discard_blob(BlobRef {
                                id: c.blob,
                                tier: c.tier,
                            })
                            .await;
                    }
                    return Err(err);
                }
            }
        }
        Ok(copies)
    }
}

/// Streams the `len` verified stored bytes of `blob` from `source` into `sink` and makes it
/// durable.
fn copy_blob(
    source: Arc<dyn BlobStore>,
    blob: crate::BlobId,
    head: HeadCaching,
    len: u64,
    mut sink: Box<dyn BlobSink>,
) -> StoreResult<()> {
    let reader = source.open(blob, head)?;
    let mut pos = 0u64;
    while pos < len {
        let n = (len - pos).min(COPY_CHUNK as u64) as usize;
        for piece in reader.read(pos, n)? {
            sink.write(&piece)?;
        }
        pos += n as u64;
    }
    let written = sink.finish()?;
    if written != len {
        return Err(StoreError::engine(std::io::Error::other(format!(
            "copied {written} bytes of a {len}-byte blob"
        ))));
    }
    Ok(())
}

/// The version changed while its bytes were copied: the copies are garbage.
fn discard(txn: &mut dyn KvWrite, moved: bool, copies: &[BlobRef]) -> StoreResult<()> {
    if moved {
        super::records::settle_intents(txn, copies)?;
        queue_garbage(txn, copies)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;
    use crate::blob::BlobFiles;
    use crate::lifecycle::{LifecycleClock, LifecycleConfiguration, LifecycleFilter, LifecycleRule, LifecycleWhen};
    use crate::store::tests::{bucket, version};
    use crate::{DataKey, IngestTarget, StoreOptions, TierSpec, WriteCondition};

    fn options(cold: &std::path::Path) -> StoreOptions {
        StoreOptions {
            tiers: vec![TierSpec {
                name: "cold".into(),
                blobs: Arc::new(BlobFiles::open(cold).unwrap()),
            }],
            class_tiers: vec![(StorageClass::Glacier, "cold".into())],
            lifecycle_clock: LifecycleClock { day_ms: 1 },
            ..Default::default()
        }
    }

    fn files_in(dir: &std::path::Path) -> usize {
        walk(dir).len()
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    async fn read_all(s: &Store, v: &ObjectVersion, key: Option<&DataKey>) -> Vec<u8> {
        let chunks: Vec<bytes::Bytes> = s
            .read_range(&v.data, key, 0, v.size)
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        chunks.concat()
    }

    #[tokio::test]
    async fn a_class_on_another_tier_writes_there_and_transitions_move_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let cold = dir.path().join("cold");
        let s = Store::open_with(&dir.path().join("data"), &options(&cold)).unwrap();
        s.create_bucket(bucket("b")).await.unwrap();
        let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();

        // Written as GLACIER: straight to the cold tier.
        let mut ingest = s.ingest(IngestTarget::Object).in_class(StorageClass::Glacier);
        ingest.push(&body).await.unwrap();
        let data = ingest.finish().await.unwrap();
        assert!(data.blobs().iter().all(|b| b.tier != TierId::MAIN));
        assert_eq!(files_in(&cold), 1);

        // Written as STANDARD, sealed, then moved by a lifecycle transition: the sealed bytes
        // move as they are, and still open with the object's key.
        let key = DataKey::random();
        let mut ingest = s.ingest(IngestTarget::Object).sealed(key.clone());
        ingest.push(&body).await.unwrap();
        let mut v = version("e", ingest.finish().await.unwrap());
        v.size = body.len() as u64;
        s.put_object("b", "k", v, WriteCondition::Always).await.unwrap();
        let rule = LifecycleRule {
            id: "archive".into(),
            enabled: true,
            filter: LifecycleFilter::default(),
            expiration: None,
            expired_object_delete_marker: false,
            transitions: vec![(LifecycleWhen::Days(1), StorageClass::Glacier)],
            noncurrent_expiration: None,
            noncurrent_transitions: Vec::new(),
            abort_incomplete_upload_days: None,
        };
        let config = LifecycleConfiguration {
            rules: vec![rule],
            ..Default::default()
        };
        s.set_lifecycle("b", Some(config)).await.unwrap();
        let p = s.run_lifecycle_now().await.unwrap();
        assert_eq!(p.counts["transitioned"], 1);
        let moved = s.get_object("b", "k").unwrap();
        assert_eq!(moved.storage_class, StorageClass::Glacier);
        assert!(moved.blobs().iter().all(|b| b.tier != TierId::MAIN));
        assert_eq!(files_in(&cold), 2);
        assert_eq!(read_all(&s, &moved, Some(&key)).await, body);
        // The old blob is garbage in the main tier, removed after the grace period.
        assert_eq!(s.gc_backlog().unwrap(), 1);
        drop(s);

        // Without the cold tier configured, its bytes are unreadable, never misread.
        let s = Store::open(&dir.path().join("data")).unwrap();
        let v = s.get_object("b", "k").unwrap();
        match s.read_range(&v.data, None, 0, v.size) {
            Err(StoreError::TierMissing(name)) => assert_eq!(name, "cold"),
            other => panic!("expected TierMissing, got {:?}", other.map(|_| ())),
        }
    }

    #[tokio::test]
    async fn a_version_changed_during_the_copy_keeps_its_bytes_and_the_copy_is_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let cold = dir.path().join("cold");
        let s = Store::open_with(&dir.path().join("data"), &options(&cold)).unwrap();
        s.create_bucket(bucket("b")).await.unwrap();
        let body = vec![7u8; 100_000];
        let mut ingest = s.ingest(IngestTarget::Object);
        ingest.push(&body).await.unwrap();
        let mut planned = version("old", ingest.finish().await.unwrap());
        planned.size = body.len() as u64;
        s.put_object("b", "k", planned.clone(), WriteCondition::Always)
            .await
            .unwrap();
        // A client overwrites the key after the move was decided.
        s.put_object(
            "b",
            "k",
            version(
                "new",
                ObjectData::Inline {
                    sealed: false,
                    bytes: vec![],
                    crc32c: crate::crc32c(&[]),
                },
            ),
            WriteCondition::Always,
        )
        .await
        .unwrap();
        let applied = s
            .transition_version("b", "k", VersionPlace::Current, &planned, StorageClass::Glacier)
            .await
            .unwrap();
        assert!(!applied);
        assert_eq!(s.get_object("b", "k").unwrap().etag, "new");
        // The overwritten blob and the orphaned copy both wait for GC.
        assert_eq!(s.gc_backlog().unwrap(), 2);
    }
}
