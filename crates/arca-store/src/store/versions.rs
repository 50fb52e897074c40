//! Versions: what a write or a delete does to a key's versions in each versioning state, and
//! reads of a given version.
//!
//! The current version of a key lives in `objects`, as in an unversioned bucket, so reads
//! and listings of current objects cost the same whether or not the bucket is versioned.
//! Every other version of a versioned bucket's key — older versions and delete markers — is
//! in `versions`, newest first. The invariant every operation keeps: **`objects` holds a
//! key's newest version if and only if that version is not a delete marker.** So a key whose
//! newest version is a delete marker is simply absent from `objects`: listing skips it
//! without looking at it.
//!
//! Versions are ordered by their stamp (µs since the epoch, strictly increasing per key, see
//! [`ObjectVersion::stamp`]); a version id is its stamp in hex followed by 64 random bits, so
//! looking a version up by id is a point read. The `null` version (written while the bucket
//! was unversioned or suspended) has no id; a key has at most one.
//!
//! | state | PUT | DELETE without a version id |
//! |---|---|---|
//! | unversioned | replaces the current (null) version | removes it |
//! | enabled | new version with an id; the current one becomes noncurrent | new delete marker with an id; the current version becomes noncurrent |
//! | suspended | new null version; the old null version (current or not) is removed, another current version becomes noncurrent | a null delete marker, likewise |

use std::ops::ControlFlow;

use super::Store;
use super::records::{name_key, queue_garbage, read_object, replace_blobs, require_bucket};
use crate::blob::BlobRef;
use crate::error::{StoreError, StoreResult};
use crate::kv::{Direction, KvRead, KvWrite, Visit, prefix_end, prefix_range};
use crate::list_versions::{VersionPage, VersionQuery, list_versions};
use crate::record::{ObjectVersion, Owner, VersioningState, decode, encode};
use crate::store::{WriteCondition, now_ms};
use crate::tables::{BUCKETS, OBJECTS, VERSIONS, object_key, version_key, version_prefix};

/// One key (and, optionally, one of its versions) for [`Store::delete_objects`].
#[derive(Debug, Clone)]
pub struct DeleteTarget {
    /// The key.
    pub key: String,
    /// `None`: delete the key as S3 does without `versionId` (a delete marker in a versioned
    /// bucket); `Some("null")` or an id: remove that version for good.
    pub version_id: Option<String>,
}

/// What a delete did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// The version removed or the delete marker created, as S3 reports it (`null` for the
    /// null version; `None` in an unversioned bucket).
    pub version_id: Option<String>,
    /// A delete marker was created, or the version removed was one.
    pub delete_marker: bool,
    /// Blobs of the removed version, if any.
    pub(crate) freed: bool,
}

/// A version id, parsed: the stamp it starts with.
fn stamp_of(version_id: &str) -> Option<u64> {
    let hex = version_id.get(..16)?;
    (version_id.len() == 32 && version_id.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

/// Whether `version_id` could name a version: `null` or an id Arca hands out.
pub fn is_valid_version_id(version_id: &str) -> bool {
    version_id == "null" || stamp_of(version_id).is_some()
}

fn new_version_id(stamp: u64) -> String {
    format!("{stamp:016x}{:016x}", rand::random::<u64>())
}

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The one field of a [`BucketRecord`] every write needs: decoding only it skips the rest
/// of the record (CORS rules, tags) without allocating, in the commit thread's time.
#[derive(serde::Deserialize)]
struct BucketVersioning {
    #[serde(default)]
    versioning: VersioningState,
}

/// The bucket's versioning state; `NoSuchBucket` without it.
pub(crate) fn read_versioning(txn: &dyn KvRead, bucket: &str) -> StoreResult<VersioningState> {
    let mut state = None;
    txn.get_with(BUCKETS, bucket.as_bytes(), &mut |v| {
        state = Some(decode::<BucketVersioning>(v)?.versioning);
        Ok(())
    })?;
    state.ok_or_else(|| StoreError::NoSuchBucket(bucket.to_string()))
}

/// Visits the key's rows in `versions`, newest first, until `visit` breaks.
pub(crate) fn scan_versions(txn: &dyn KvRead, bucket: &str, key: &str, visit: &mut Visit<'_>) -> StoreResult<()> {
    let prefix = version_prefix(bucket, key);
    let end = prefix_end(&prefix);
    txn.scan(VERSIONS, prefix_range(&prefix, &end), Direction::Forward, visit)
}

/// The newest entry of `versions` for the key, if any.
fn newest_noncurrent(txn: &dyn KvRead, bucket: &str, key: &str) -> StoreResult<Option<ObjectVersion>> {
    let mut newest = None;
    scan_versions(txn, bucket, key, &mut |_, v| {
        newest = Some(decode(v)?);
        Ok(ControlFlow::Break(()))
    })?;
    Ok(newest)
}

/// The smallest stamp a new version of the key may get: just after its newest version.
fn min_stamp(txn: &dyn KvRead, bucket: &str, key: &str, current: Option<&ObjectVersion>) -> StoreResult<u64> {
    let newest = match current {
        Some(c) => c.stamp,
        None => newest_noncurrent(txn, bucket, key)?.map_or(0, |v| v.stamp),
    };
    Ok(newest + 1)
}

/// Gives a version about to be written to a bucket whose versioning was ever enabled the
/// stamp and id it will most likely keep, so that it can be encoded before the commit: the
/// commit thread's time is everyone's. [`install`] keeps them if they still hold there (the
/// bucket is enabled and no newer version of the key came first) and stamps it again if not.
pub(crate) fn stamp_provisionally(version: &mut ObjectVersion) {
    version.stamp = now_us();
    version.version_id = Some(new_version_id(version.stamp));
}

/// Removes the key's null version from `versions` (there is at most one); returns its blobs.
fn remove_noncurrent_null(txn: &mut dyn KvWrite, bucket: &str, key: &str) -> StoreResult<Vec<BlobRef>> {
    let mut found = None;
    scan_versions(txn, bucket, key, &mut |k, v| {
        let version: ObjectVersion = decode(v)?;
        if version.version_id.is_none() {
            found = Some((k.to_vec(), version));
            return Ok(ControlFlow::Break(()));
        }
        Ok(ControlFlow::Continue(()))
    })?;
    let Some((k, version)) = found else {
        return Ok(Vec::new());
    };
    txn.delete(VERSIONS, &k)?;
    Ok(version.blobs())
}

/// Keeps the invariant after the current version or the newest noncurrent one went away: if
/// no current version is left and the newest remaining one is an object, it becomes current.
pub(crate) fn promote_newest(txn: &mut dyn KvWrite, bucket: &str, key: &str) -> StoreResult<()> {
    let k = object_key(bucket, key);
    if txn.get(OBJECTS, &k)?.is_some() {
        return Ok(());
    }
    if let Some(newest) = newest_noncurrent(txn, bucket, key)?
        && !newest.is_delete_marker
    {
        txn.delete(VERSIONS, &version_key(bucket, key, newest.stamp))?;
        txn.put(OBJECTS, &k, &encode(&newest)?)?;
    }
    Ok(())
}

/// A key's current version, and in a versioned bucket its record as stored too, so that
/// making it noncurrent moves those bytes rather than encoding it again.
pub(crate) type CurrentVersion = (Option<ObjectVersion>, Option<Vec<u8>>);

/// What a write to `key` starts from: the bucket's versioning state and the key's current
/// version, once `condition` holds for it.
pub(crate) fn current_for_write(
    txn: &dyn KvRead,
    bucket: &str,
    key: &str,
    condition: &WriteCondition,
) -> StoreResult<(VersioningState, CurrentVersion)> {
    let state = read_versioning(txn, bucket)?;
    let current = read_current(txn, state, &object_key(bucket, key))?;
    condition
        .check(current.0.as_ref())
        .map_err(|e| name_key(e, bucket, key))?;
    Ok((state, current))
}

fn read_current(txn: &dyn KvRead, state: VersioningState, k: &[u8]) -> StoreResult<CurrentVersion> {
    if state == VersioningState::Unversioned {
        return Ok((read_object(txn, k)?, None));
    }
    match txn.get(OBJECTS, k)? {
        Some(raw) => Ok((Some(decode(&raw)?), Some(raw))),
        None => Ok((None, None)),
    }
}

/// Makes `version` (an object or a delete marker) the key's newest version in a bucket in
/// `state`, given what is current now; `record` is `version` already encoded, used as is if
/// its stamp and id are the ones the state calls for (none in an unversioned bucket; see
/// [`stamp_provisionally`]). Returns the new version's id and the blobs no version needs any
/// more. The new version's own blobs are the caller's to settle.
pub(crate) fn install(
    txn: &mut dyn KvWrite,
    state: VersioningState,
    (bucket, key): (&str, &str),
    (current, current_record): CurrentVersion,
    mut version: ObjectVersion,
    mut record: Option<Vec<u8>>,
) -> StoreResult<(Option<String>, Vec<BlobRef>)> {
    let k = object_key(bucket, key);
    let mut garbage = Vec::new();
    super::intelligent::track(txn, bucket, key, &version)?;
    if state == VersioningState::Unversioned {
        if version.stamp != 0 || version.version_id.is_some() {
            (version.stamp, version.version_id, record) = (0, None, None);
        }
        garbage.extend(current.map(|c| c.blobs()).unwrap_or_default());
        let record = match record {
            Some(r) => r,
            None => encode(&version)?,
        };
        txn.put(OBJECTS, &k, &record)?;
        return Ok((None, garbage));
    }
    let min = min_stamp(txn, bucket, key, current.as_ref())?;
    let enabled = state == VersioningState::Enabled;
    if version.stamp < min || version.version_id.is_some() != enabled {
        version.stamp = now_us().max(min);
        version.version_id = enabled.then(|| new_version_id(version.stamp));
        record = None;
    }
    if let Some(current) = current {
        if state == VersioningState::Suspended && current.version_id.is_none() {
            garbage.extend(current.blobs());
        } else {
            let archived = match current_record {
                Some(r) => r,
                None => encode(&current)?,
            };
            txn.put(VERSIONS, &version_key(bucket, key, current.stamp), &archived)?;
        }
    }
    if state == VersioningState::Suspended {
        garbage.extend(remove_noncurrent_null(txn, bucket, key)?);
    }
    let record = match record {
        Some(r) => r,
        None => encode(&version)?,
    };
    if version.is_delete_marker {
        txn.delete(OBJECTS, &k)?;
        txn.put(VERSIONS, &version_key(bucket, key, version.stamp), &record)?;
    } else {
        txn.put(OBJECTS, &k, &record)?;
    }
    // What S3 reports in `x-amz-version-id`: the id, or `null` in a suspended bucket.
    Ok((Some(version.version_id.unwrap_or_else(|| "null".into())), garbage))
}

/// Finds version `id` of the key: where it is (current or its `versions` row) and what it is.
pub(crate) fn find_version(
    txn: &dyn KvRead,
    bucket: &str,
    key: &str,
    id: &str,
) -> StoreResult<Option<(VersionPlace, ObjectVersion)>> {
    let current = read_object(txn, &object_key(bucket, key))?;
    let wanted = (id != "null").then_some(id);
    if let Some(c) = current
        && c.version_id.as_deref() == wanted
    {
        return Ok(Some((VersionPlace::Current, c)));
    }
    if id == "null" {
        let mut found = None;
        scan_versions(txn, bucket, key, &mut |_, v| {
            let version: ObjectVersion = decode(v)?;
            if version.version_id.is_none() {
                found = Some(version);
                return Ok(ControlFlow::Break(()));
            }
            Ok(ControlFlow::Continue(()))
        })?;
        return Ok(found.map(|v| (VersionPlace::Noncurrent, v)));
    }
    let Some(stamp) = stamp_of(id) else {
        return Ok(None);
    };
    match txn.get(VERSIONS, &version_key(bucket, key, stamp))? {
        Some(v) => {
            let version: ObjectVersion = decode(&v)?;
            Ok((version.version_id.as_deref() == Some(id)).then_some((VersionPlace::Noncurrent, version)))
        }
        None => Ok(None),
    }
}

/// Which row holds a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionPlace {
    /// The key's current version (`objects`).
    Current,
    /// A noncurrent version or delete marker (`versions`, by its stamp).
    Noncurrent,
}

impl Store {
    /// Version `version_id` of `key` (`"null"` for the null version), which may be a delete
    /// marker; `NoSuchVersion` when there is none (`NoSuchBucket` without the bucket).
    pub fn get_version(&self, bucket: &str, key: &str, version_id: &str) -> StoreResult<ObjectVersion> {
        self.meta.read(|txn| {
            require_bucket(txn, bucket)?;
            match find_version(txn, bucket, key, version_id)? {
                Some((_, v)) => Ok(v),
                None => Err(StoreError::NoSuchVersion {
                    key: key.to_string(),
                    version_id: version_id.to_string(),
                }),
            }
        })
    }

    /// Changes version `version_id` of `key` in place (its tags); `NoSuchVersion` when there
    /// is none. Delete markers have nothing to change: the caller refuses them first.
    pub async fn update_version<F>(&self, bucket: &str, key: &str, version_id: &str, f: F) -> StoreResult<ObjectVersion>
    where
        F: FnOnce(&mut ObjectVersion) + Send + 'static,
    {
        let (bucket, key, id) = (bucket.to_string(), key.to_string(), version_id.to_string());
        self.meta
            .write(move |txn| {
                require_bucket(txn, &bucket)?;
                let Some((place, mut version)) = find_version(txn, &bucket, &key, &id)? else {
                    return Err(StoreError::NoSuchVersion { key, version_id: id });
                };
                f(&mut version);
                let record = encode(&version)?;
                let k = match place {
                    VersionPlace::Current => (OBJECTS, object_key(&bucket, &key)),
                    VersionPlace::Noncurrent => (VERSIONS, version_key(&bucket, &key, version.stamp)),
                };
                txn.put(k.0, &k.1, &record)?;
                Ok(version)
            })
            .await
    }

    /// The delete marker that hides `key`, if its newest version is one (what a GET without a
    /// version id reports in `x-amz-delete-marker` with its 404).
    pub fn latest_delete_marker(&self, bucket: &str, key: &str) -> StoreResult<Option<ObjectVersion>> {
        self.meta.read(|txn| {
            if txn.get(OBJECTS, &object_key(bucket, key))?.is_some() {
                return Ok(None);
            }
            Ok(newest_noncurrent(txn, bucket, key)?.filter(|v| v.is_delete_marker))
        })
    }

    /// A page of every version and delete marker of a bucket's keys (see [`VersionQuery`]).
    pub fn list_versions(&self, bucket: &str, query: &VersionQuery) -> StoreResult<VersionPage> {
        self.meta.read(|txn| {
            require_bucket(txn, bucket)?;
            list_versions(txn, bucket, query)
        })
    }

    /// Sets a bucket's versioning state (`Enabled` or `Suspended`; a bucket never returns to
    /// unversioned).
    pub async fn set_versioning(&self, bucket: &str, state: VersioningState) -> StoreResult<()> {
        self.update_bucket(bucket, move |b| b.versioning = state).await?;
        if state != VersioningState::Unversioned {
            self.versioned
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(bucket.to_string());
        }
        Ok(())
    }

    /// Deletes each target in one commit, as S3's DeleteObject does in the bucket's
    /// versioning state (see the module docs); `owner` owns the delete markers made.
    pub async fn delete_objects(
        &self,
        bucket: &str,
        targets: Vec<DeleteTarget>,
        owner: Owner,
    ) -> StoreResult<Vec<DeleteOutcome>> {
        let bucket = bucket.to_string();
        let outcomes = self
            .meta
            .write(move |txn| {
                let state = read_versioning(txn, &bucket)?;
                let mut outcomes = Vec::with_capacity(targets.len());
                for target in targets {
                    let outcome = match target.version_id {
                        None => delete_current(txn, state, &bucket, &target.key, &owner)?,
                        Some(id) => delete_version(txn, &bucket, &target.key, &id)?,
                    };
                    outcomes.push(outcome);
                }
                Ok(outcomes)
            })
            .await?;
        if outcomes.iter().any(|o| o.freed) {
            self.wake_jobs();
        }
        Ok(outcomes)
    }

    /// Makes `version` the current version of `key` once `condition` holds, as a new version
    /// in a versioned bucket; returns its id as S3 reports it (`None` in an unversioned
    /// bucket, `null` for a suspended bucket's null version). Its blobs must have
    /// been written with [`Store::ingest`] and finished; blobs no version needs any more go
    /// to the GC queue in the same commit.
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        mut version: ObjectVersion,
        condition: WriteCondition,
    ) -> StoreResult<Option<String>> {
        if self.is_versioned(bucket) {
            stamp_provisionally(&mut version);
        } else {
            (version.stamp, version.version_id) = (0, None);
        }
        let (bucket, key) = (bucket.to_string(), key.to_string());
        // Encode here, not in the commit thread: the commit thread's time is everyone's.
        let record = encode(&version)?;
        let blobs = version.blobs();
        let (version_id, freed) = self
            .meta
            .write(move |txn| {
                let (state, current) = current_for_write(txn, &bucket, &key, &condition)?;
                let (id, garbage) = install(txn, state, (&bucket, &key), current, version, Some(record))?;
                Ok((id, replace_blobs(txn, &blobs, &garbage)?))
            })
            .await?;
        if freed {
            self.wake_jobs();
        }
        Ok(version_id)
    }
}

/// DELETE without a version id.
pub(crate) fn delete_current(
    txn: &mut dyn KvWrite,
    state: VersioningState,
    bucket: &str,
    key: &str,
    owner: &Owner,
) -> StoreResult<DeleteOutcome> {
    let k = object_key(bucket, key);
    let current = read_current(txn, state, &k)?;
    if state == VersioningState::Unversioned {
        let garbage = current.0.map(|c| c.blobs()).unwrap_or_default();
        txn.delete(OBJECTS, &k)?;
        queue_garbage(txn, &garbage)?;
        return Ok(DeleteOutcome {
            freed: !garbage.is_empty(),
            ..Default::default()
        });
    }
    let marker = delete_marker(owner.clone());
    let (version_id, garbage) = install(txn, state, (bucket, key), current, marker, None)?;
    queue_garbage(txn, &garbage)?;
    Ok(DeleteOutcome {
        version_id,
        delete_marker: true,
        freed: !garbage.is_empty(),
    })
}

/// DELETE with a version id: that version goes for good.
fn delete_version(txn: &mut dyn KvWrite, bucket: &str, key: &str, id: &str) -> StoreResult<DeleteOutcome> {
    let outcome = |delete_marker, freed| DeleteOutcome {
        version_id: Some(id.to_string()),
        delete_marker,
        freed,
    };
    let Some((place, version)) = find_version(txn, bucket, key, id)? else {
        // S3 answers a delete of a version that is not there as done.
        return Ok(outcome(false, false));
    };
    match place {
        VersionPlace::Current => txn.delete(OBJECTS, &object_key(bucket, key))?,
        VersionPlace::Noncurrent => txn.delete(VERSIONS, &version_key(bucket, key, version.stamp))?,
    };
    promote_newest(txn, bucket, key)?;
    let garbage = version.blobs();
    queue_garbage(txn, &garbage)?;
    Ok(outcome(version.is_delete_marker, !garbage.is_empty()))
}

fn delete_marker(owner: Owner) -> ObjectVersion {
    ObjectVersion {
        version_id: None,
        is_delete_marker: true,
        size: 0,
        etag: String::new(),
        last_modified_ms: now_ms(),
        storage_class: Default::default(),
        owner,
        content: Default::default(),
        user_metadata: Vec::new(),
        tags: Vec::new(),
        checksum: None,
        parts: Vec::new(),
        data: crate::record::ObjectData::Inline {
            sealed: false,
            bytes: Vec::new(),
            crc32c: crate::blob::crc32c(&[]),
        },
        encryption: None,
        completed_upload: None,
        stamp: 0,
        restore: None,
        acl: None,
    }
}

/// Whether the bucket holds any version other than current ones (DeleteBucket must refuse).
pub(crate) fn has_noncurrent(txn: &dyn KvRead, bucket: &str) -> StoreResult<bool> {
    let prefix = object_key(bucket, "");
    let end = prefix_end(&prefix);
    let mut any = false;
    txn.scan(
        VERSIONS,
        prefix_range(&prefix, &end),
        Direction::Forward,
        &mut |_, _| {
            any = true;
            Ok(ControlFlow::Break(()))
        },
    )?;
    Ok(any)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::list_versions::VersionEntry;
    use crate::record::ObjectData;
    use crate::store::tests::{bucket, owner, version};
    use crate::{ListQuery, Store};

    fn inline(body: &[u8]) -> ObjectVersion {
        version(
            &String::from_utf8_lossy(body),
            ObjectData::Inline {
                sealed: false,
                bytes: body.to_vec(),
                crc32c: crate::blob::crc32c(body),
            },
        )
    }

    async fn store() -> (tempfile::TempDir, Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_bucket(bucket("b")).await.unwrap();
        (dir, s)
    }

    async fn put(s: &Store, key: &str, body: &[u8]) -> Option<String> {
        s.put_object("b", key, inline(body), WriteCondition::Always)
            .await
            .unwrap()
    }

    async fn delete(s: &Store, key: &str, version_id: Option<&str>) -> DeleteOutcome {
        let target = DeleteTarget {
            key: key.into(),
            version_id: version_id.map(str::to_string),
        };
        s.delete_objects("b", vec![target], owner()).await.unwrap().remove(0)
    }

    /// (key, etag or "marker", version id or "null", is latest) of every listed version.
    fn all_versions(s: &Store, max_keys: usize) -> Vec<(String, String, String, bool)> {
        let mut out = Vec::new();
        let mut q = VersionQuery {
            max_keys,
            ..Default::default()
        };
        loop {
            let page = s.list_versions("b", &q).unwrap();
            for e in page.entries {
                if let VersionEntry::Version {
                    key,
                    version,
                    is_latest,
                } = e
                {
                    let what = if version.is_delete_marker {
                        "marker".into()
                    } else {
                        version.etag
                    };
                    let id = version.version_id.unwrap_or_else(|| "null".into());
                    out.push((key, what, id, is_latest));
                }
            }
            if !page.is_truncated {
                return out;
            }
            q.key_marker = page.next_key_marker;
            q.version_id_marker = page.next_version_id_marker;
        }
    }

    fn current_keys(s: &Store) -> Vec<String> {
        let q = ListQuery {
            max_keys: 1000,
            ..Default::default()
        };
        s.list_objects("b", &q)
            .unwrap()
            .entries
            .iter()
            .map(|e| e.name().to_string())
            .collect()
    }

    #[tokio::test]
    async fn enabled_keeps_every_version_and_a_delete_leaves_a_marker() {
        let (_d, s) = store().await;
        assert_eq!(put(&s, "k", b"before").await, None, "unversioned: the null version");
        s.set_versioning("b", VersioningState::Enabled).await.unwrap();
        let v2 = put(&s, "k", b"two").await.unwrap();
        let v3 = put(&s, "k", b"three").await.unwrap();
        assert!(v2 < v3 && is_valid_version_id(&v2), "{v2} {v3}");
        assert_eq!(s.get_object("b", "k").unwrap().etag, "three");
        assert_eq!(s.get_version("b", "k", &v2).unwrap().etag, "two");
        assert_eq!(s.get_version("b", "k", "null").unwrap().etag, "before");
        let gone = delete(&s, "k", None).await;
        assert!(gone.delete_marker);
        let marker = gone.version_id.unwrap();
        assert!(matches!(s.get_object("b", "k"), Err(StoreError::NoSuchKey { .. })));
        assert_eq!(
            s.latest_delete_marker("b", "k").unwrap().unwrap().version_id,
            Some(marker.clone())
        );
        assert!(current_keys(&s).is_empty(), "a key behind a marker is not listed");
        let t = |what: &str, id: &str, latest| ("k".to_string(), what.to_string(), id.to_string(), latest);
        assert_eq!(
            all_versions(&s, 1000),
            [
                t("marker", &marker, true),
                t("three", &v3, false),
                t("two", &v2, false),
                t("before", "null", false)
            ]
        );
        // Nothing was freed: every version still owns its bytes.
        assert_eq!(s.gc_backlog().unwrap(), 0);
        assert!(matches!(s.delete_bucket("b").await, Err(StoreError::BucketNotEmpty(_))));
    }

    #[tokio::test]
    async fn removing_the_newest_version_promotes_the_one_before() {
        let (_d, s) = store().await;
        s.set_versioning("b", VersioningState::Enabled).await.unwrap();
        let v1 = put(&s, "k", b"one").await.unwrap();
        let v2 = put(&s, "k", b"two").await.unwrap();
        let marker = delete(&s, "k", None).await.version_id.unwrap();
        // Removing the marker brings the key back, with its newest version.
        let removed = delete(&s, "k", Some(&marker)).await;
        assert_eq!(
            (removed.version_id.as_deref(), removed.delete_marker),
            (Some(marker.as_str()), true)
        );
        assert_eq!(s.get_object("b", "k").unwrap().etag, "two");
        assert_eq!(current_keys(&s), ["k"]);
        // Removing the current version promotes the previous one.
        delete(&s, "k", Some(&v2)).await;
        assert_eq!(s.get_object("b", "k").unwrap().version_id, Some(v1.clone()));
        delete(&s, "k", Some(&v1)).await;
        assert!(matches!(s.get_object("b", "k"), Err(StoreError::NoSuchKey { .. })));
        assert!(all_versions(&s, 10).is_empty());
        // Tags of a noncurrent version change in place, and only there.
        let v0 = put(&s, "k", b"zero").await.unwrap();
        put(&s, "k", b"one again").await.unwrap();
        s.update_version("b", "k", &v0, |v| v.tags = vec![("t".into(), "1".into())])
            .await
            .unwrap();
        assert_eq!(s.get_version("b", "k", &v0).unwrap().tags.len(), 1);
        assert!(s.get_object("b", "k").unwrap().tags.is_empty());
        delete(&s, "k", Some(&v0)).await;
        let current = s.get_object("b", "k").unwrap().version_id.unwrap();
        delete(&s, "k", Some(&current)).await;
        // A version that is not there: done, as S3 answers.
        assert!(!delete(&s, "k", Some(&v1)).await.delete_marker);
        assert!(matches!(
            s.get_version("b", "k", &v1),
            Err(StoreError::NoSuchVersion { .. })
        ));
        s.delete_bucket("b").await.unwrap();
    }

    /// A version encoded before its commit keeps its provisional stamp and id only if no newer
    /// version of the key committed first; otherwise it is stamped again, and the row written
    /// is the version as stamped, not the stale encoding.
    #[tokio::test]
    async fn a_stale_provisional_stamp_is_replaced_in_the_commit() {
        let (_dir, s) = store().await;
        s.set_versioning("b", VersioningState::Enabled).await.unwrap();
        let mut early = inline(b"early");
        stamp_provisionally(&mut early);
        let stale_id = early.version_id.clone().unwrap();
        let record = encode(&early).unwrap();
        let newer = put(&s, "k", b"newer").await.unwrap();
        let installed = s
            .meta
            .write(move |txn| {
                let (state, current) = current_for_write(txn, "b", "k", &WriteCondition::Always)?;
                install(txn, state, ("b", "k"), current, early, Some(record))
            })
            .await
            .unwrap()
            .0
            .unwrap();
        assert_ne!(installed, stale_id);
        assert!(installed > newer, "{installed} sorts after {newer}");
        assert_eq!(
            s.get_object("b", "k").unwrap().version_id.as_deref(),
            Some(installed.as_str())
        );
        let listed: Vec<_> = all_versions(&s, 1000).into_iter().map(|v| v.2).collect();
        assert_eq!(listed, [installed, newer]);

        // Without a newer version in between, the provisional id is the one kept.
        let mut fresh = inline(b"fresh");
        stamp_provisionally(&mut fresh);
        let fresh_id = fresh.version_id.clone().unwrap();
        let record = encode(&fresh).unwrap();
        let kept = s
            .meta
            .write(move |txn| {
                let (state, current) = current_for_write(txn, "b", "k2", &WriteCondition::Always)?;
                install(txn, state, ("b", "k2"), current, fresh, Some(record))
            })
            .await
            .unwrap()
            .0;
        assert_eq!(kept, Some(fresh_id));
    }

    #[tokio::test]
    async fn suspended_writes_replace_the_null_version_and_keep_the_others() {
        let (_d, s) = store().await;
        s.set_versioning("b", VersioningState::Enabled).await.unwrap();
        let a = put(&s, "k", b"a").await.unwrap();
        s.set_versioning("b", VersioningState::Suspended).await.unwrap();
        assert_eq!(put(&s, "k", b"b").await.as_deref(), Some("null"));
        assert_eq!(put(&s, "k", b"c").await.as_deref(), Some("null"));
        let t = |what: &str, id: &str, latest| ("k".to_string(), what.to_string(), id.to_string(), latest);
        assert_eq!(all_versions(&s, 10), [t("c", "null", true), t("a", &a, false)]);
        // A suspended delete is a null marker, replacing the null version.
        let gone = delete(&s, "k", None).await;
        assert_eq!((gone.version_id.as_deref(), gone.delete_marker), (Some("null"), true));
        assert_eq!(all_versions(&s, 10), [t("marker", "null", true), t("a", &a, false)]);
        // Enabled again: a new version, and the null marker stays noncurrent.
        s.set_versioning("b", VersioningState::Enabled).await.unwrap();
        let d = put(&s, "k", b"d").await.unwrap();
        assert_eq!(
            all_versions(&s, 10),
            [t("d", &d, true), t("marker", "null", false), t("a", &a, false)]
        );
    }

    #[tokio::test]
    async fn version_pages_resume_exactly_where_they_stopped() {
        let (_d, s) = store().await;
        s.set_versioning("b", VersioningState::Enabled).await.unwrap();
        for key in ["a", "b/1", "b/2", "c"] {
            for n in 0..3 {
                put(&s, key, format!("{key}-{n}").as_bytes()).await;
            }
        }
        delete(&s, "b/2", None).await;
        let whole = all_versions(&s, 1000);
        assert_eq!(whole.len(), 13);
        for max_keys in [1, 2, 3, 5, 7] {
            assert_eq!(all_versions(&s, max_keys), whole, "{max_keys} a page");
        }
        // With a delimiter, `b/` is one entry.
        let q = VersionQuery {
            delimiter: Some("/".into()),
            max_keys: 1000,
            ..Default::default()
        };
        let page = s.list_versions("b", &q).unwrap();
        let prefixes: Vec<_> = page
            .entries
            .iter()
            .filter_map(|e| match e {
                VersionEntry::CommonPrefix(p) => Some(p.as_str()),
                VersionEntry::Version { .. } => None,
            })
            .collect();
        assert_eq!(prefixes, ["b/"]);
        assert_eq!(page.entries.len(), 7);
    }
}
