//! Lifecycle: each bucket's rules, and the job that applies them.
//!
//! A pass walks every bucket that has rules, in name order, in three phases: its current
//! versions (`objects`: expirations and transitions), its other versions (`versions`:
//! noncurrent expirations and transitions, expired delete markers) and its multipart uploads
//! (`uploads`: aborts). Each phase reads a batch of keys, decides what is due with
//! [`LifecycleConfiguration`] (pure, outside any transaction), then applies the batch in one
//! commit that first checks every version is still the one decided on — a client's write
//! in between wins, so an action is never applied to a version it was not decided for, and
//! applying it twice finds nothing to do. The same commit writes the pass's cursor, so a
//! restart resumes after the last batch applied, never before it.
//!
//! The job yields as much time as each batch took (a 50 % duty cycle on one core), so a long
//! pass never starves foreground requests of the commit thread.

use std::collections::BTreeMap;
use std::ops::{Bound, ControlFlow};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::jobs::{Job, JobProgress, Pass};
use super::records::{queue_garbage, read_object, remove_upload};
use super::transition::same_version;
use super::versions::VersionPlace;
use super::versions::{delete_current, promote_newest, read_versioning, scan_versions};
use super::{Store, now_ms};
use crate::error::StoreResult;
use crate::kv::{Direction, KvRead, KvWrite, prefix_end};
use crate::lifecycle::{CurrentAction, LifecycleClock, LifecycleConfiguration};
use crate::record::{BucketRecord, MultipartUpload, ObjectVersion, Owner, decode, encode};
use crate::tables::{JOBS, OBJECTS, UPLOADS, VERSIONS, object_key, split_version_key, version_key};

/// Keys per batch: one read, one commit.
const BATCH: usize = 1000;

/// The job's name in the `jobs` table.
pub const LIFECYCLE_JOB: &str = "lifecycle";

/// The phases of a bucket's walk, in order; the cursor's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Current = 0,
    Noncurrent = 1,
    Uploads = 2,
}

impl Phase {
    const ALL: [Phase; 3] = [Phase::Current, Phase::Noncurrent, Phase::Uploads];

    fn counter(self, action: &CurrentAction) -> &'static str {
        match (self, action) {
            (Phase::Current, CurrentAction::Expire) => "expired",
            (Phase::Current, CurrentAction::Transition(_)) => "transitioned",
            (_, CurrentAction::Expire) => "noncurrent_expired",
            (_, CurrentAction::Transition(_)) => "noncurrent_transitioned",
        }
    }
}

/// Where a pass resumes: a phase and the last table key it finished (`bucket \0 key …`).
struct Cursor {
    phase: Phase,
    key: Vec<u8>,
}

impl Cursor {
    fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.phase as u8];
        out.extend_from_slice(&self.key);
        out
    }

    fn decode(bytes: &[u8]) -> Option<Cursor> {
        let (&phase, key) = bytes.split_first()?;
        let phase = *Phase::ALL.get(phase as usize)?;
        Some(Cursor {
            phase,
            key: key.to_vec(),
        })
    }

    fn bucket(&self) -> &[u8] {
        self.key.split(|b| *b == 0).next().unwrap_or_default()
    }
}

/// One decided action, checked again when applied.
struct Planned {
    key: String,
    /// The version decided on, as it was read.
    version: ObjectVersion,
    action: PlannedAction,
}

enum PlannedAction {
    Current(CurrentAction),
    Noncurrent(CurrentAction),
    RemoveLoneMarker,
}

/// The lifecycle as a job of the scheduler.
pub(crate) struct LifecycleJob {
    /// Time between passes.
    pub(crate) interval: Duration,
}

impl LifecycleJob {
    /// AWS applies lifecycle rules once a day; Arca looks a few times per (configurable) day,
    /// so a short test day sees its actions promptly, and at least once an hour.
    pub(crate) fn for_clock(clock: LifecycleClock) -> Self {
        let interval = Duration::from_millis((clock.day_ms / 4).clamp(1000, 3_600_000) as u64);
        LifecycleJob { interval }
    }
}

impl Job for LifecycleJob {
    fn name(&self) -> &'static str {
        LIFECYCLE_JOB
    }

    fn run_pass<'a>(&'a self, store: &'a Store, progress: &'a mut JobProgress) -> Pass<'a> {
        Box::pin(store.lifecycle_pass(progress))
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn wake_delay(&self) -> Duration {
        Duration::ZERO
    }
}

impl Store {
    /// How long a lifecycle day is on this store.
    pub fn lifecycle_clock(&self) -> LifecycleClock {
        self.lifecycle_clock
    }

    /// Sets (or with `None` removes) a bucket's lifecycle configuration.
    pub async fn set_lifecycle(&self, bucket: &str, config: Option<LifecycleConfiguration>) -> StoreResult<()> {
        let stored = config.clone();
        self.update_bucket(bucket, move |b| b.lifecycle = stored).await?;
        let mut index = self.lifecycles.write().unwrap_or_else(|e| e.into_inner());
        match config {
            Some(c) => index.insert(bucket.to_string(), Arc::new(c)),
            None => index.remove(bucket),
        };
        Ok(())
    }

    /// Runs a whole lifecycle pass now (resuming one a restart interrupted), as the admin
    /// API's "run now" does; returns the job's progress after it.
    pub async fn run_lifecycle_now(&self) -> StoreResult<JobProgress> {
        self.run_job_pass(&LifecycleJob::for_clock(self.lifecycle_clock))
            .await?;
        self.job_progress(LIFECYCLE_JOB)
    }

    /// One pass over every bucket with rules; adds what it did to `progress`.
    async fn lifecycle_pass(&self, progress: &mut JobProgress) -> StoreResult<u64> {
        let now = now_ms();
        let mut buckets: Vec<(String, Arc<LifecycleConfiguration>)> = self
            .lifecycles
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        buckets.sort_by(|a, b| a.0.cmp(&b.0));
        let resume = progress.cursor.as_deref().and_then(Cursor::decode);
        let mut done = 0u64;
        for (bucket, config) in buckets {
            let start = match &resume {
                Some(c) if c.bucket() > bucket.as_bytes() => continue,
                Some(c) if c.bucket() == bucket.as_bytes() => Some(c),
                _ => None,
            };
            let Ok(record) = self.get_bucket(&bucket) else { continue };
            for phase in Phase::ALL {
                let after = match start {
                    Some(c) if c.phase > phase => continue,
                    Some(c) if c.phase == phase => Some(c.key.clone()),
                    _ => None,
                };
                if phase == Phase::Noncurrent && !config.acts_on_versions() {
                    continue;
                }
                done += self
                    .lifecycle_phase(&record, &config, phase, after, now, progress)
                    .await?;
            }
        }
        progress.cursor = None;
        if done > 0 {
            tracing::info!(actions = done, "lifecycle pass");
        }
        Ok(done)
    }

    /// Walks one phase of one bucket, batch after batch.
    async fn lifecycle_phase(
        &self,
        bucket: &BucketRecord,
        config: &LifecycleConfiguration,
        phase: Phase,
        mut after: Option<Vec<u8>>,
        now: i64,
        progress: &mut JobProgress,
    ) -> StoreResult<u64> {
        let clock = self.lifecycle_clock;
        let mut done = 0;
        loop {
            let started = Instant::now();
            let (planned, uploads, last) = self.meta.read(|txn| {
                let name = bucket.name.as_str();
                match phase {
                    Phase::Current => plan_current(txn, name, config, after.as_deref(), now, clock),
                    Phase::Noncurrent => plan_noncurrent(txn, name, config, after.as_deref(), now, clock),
                    Phase::Uploads => plan_uploads(txn, name, config, after.as_deref(), now, clock),
                }
            })?;
            let Some(last) = last else { return Ok(done) };
            let actions = (planned.len() + uploads.len()) as u64;
            // Transitions that move bytes between tiers copy them first, each in its own
            // commit; the batch's commit (and its cursor) comes after, so a crash in between
            // makes the next pass decide them again.
            let (moves, planned): (Vec<Planned>, Vec<Planned>) = planned.into_iter().partition(|p| match &p.action {
                PlannedAction::Current(CurrentAction::Transition(class))
                | PlannedAction::Noncurrent(CurrentAction::Transition(class)) => self.moves_bytes(&p.version, *class),
                _ => false,
            });
            for m in &moves {
                let (row, class) = match &m.action {
                    PlannedAction::Current(CurrentAction::Transition(c)) => (VersionPlace::Current, *c),
                    PlannedAction::Noncurrent(CurrentAction::Transition(c)) => (VersionPlace::Noncurrent, *c),
                    _ => continue,
                };
                self.transition_version(&bucket.name, &m.key, row, &m.version, class)
                    .await?;
            }
            if actions > 0 {
                let mut counts = BTreeMap::new();
                for p in moves.iter().chain(&planned) {
                    let counter = match &p.action {
                        PlannedAction::Current(a) => phase.counter(a),
                        PlannedAction::Noncurrent(a) => phase.counter(a),
                        PlannedAction::RemoveLoneMarker => "delete_markers_removed",
                    };
                    *counts.entry(counter).or_insert(0u64) += 1;
                    tracing::debug!(bucket = %bucket.name, key = %p.key, action = counter, "lifecycle");
                }
                if !uploads.is_empty() {
                    *counts.entry("uploads_aborted").or_insert(0) += uploads.len() as u64;
                }
                let mut next = progress.clone();
                next.items += actions;
                next.cursor = Some(
                    Cursor {
                        phase,
                        key: last.clone(),
                    }
                    .encode(),
                );
                for (k, n) in counts {
                    *next.counts.entry(k.to_string()).or_insert(0) += n;
                }
                let saved = encode(&next)?;
                let (name, owner) = (bucket.name.clone(), bucket.owner.clone());
                let freed = self
                    .meta
                    .write(move |txn| {
                        let freed = apply(txn, &name, &owner, planned, uploads)?;
                        txn.put(JOBS, LIFECYCLE_JOB.as_bytes(), &saved)?;
                        Ok(freed)
                    })
                    .await?;
                *progress = next;
                done += actions;
                if freed {
                    self.wake_jobs();
                }
            }
            after = Some(last);
            // Rest half as long as this batch took: the job keeps to about two thirds of one
            // core, and foreground requests get the commit thread between batches.
            tokio::time::sleep(started.elapsed() / 2).await;
        }
    }
}

/// A batch of the bucket's keys (`objects` rows) after `after`: what is due, and the last
/// key read (`None` when the phase is done).
type Plan = (Vec<Planned>, Vec<MultipartUpload>, Option<Vec<u8>>);

/// What [`scan_batch`] calls with each row's key and value.
type RowVisit<'a> = dyn FnMut(&[u8], &[u8]) -> StoreResult<()> + 'a;

/// Visits up to [`BATCH`] rows of `table` in `bucket` after `after` (the last key a batch
/// finished), in order; returns the last key visited (`None`: the bucket's rows are done).
fn scan_batch(
    txn: &dyn KvRead,
    table: crate::kv::Table,
    bucket: &str,
    after: Option<&[u8]>,
    visit: &mut RowVisit<'_>,
) -> StoreResult<Option<Vec<u8>>> {
    let start = object_key(bucket, "");
    let end = prefix_end(&start);
    let range = (
        after.map_or(Bound::Included(start.as_slice()), Bound::Excluded),
        end.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
    );
    let (mut last, mut seen) = (None, 0);
    txn.scan(table, range, Direction::Forward, &mut |k, v| {
        visit(k, v)?;
        last = Some(k.to_vec());
        seen += 1;
        Ok(if seen >= BATCH {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    })?;
    Ok(last)
}

fn plan_current(
    txn: &dyn KvRead,
    bucket: &str,
    config: &LifecycleConfiguration,
    after: Option<&[u8]>,
    now: i64,
    clock: LifecycleClock,
) -> StoreResult<Plan> {
    let prefix_len = bucket.len() + 1;
    let mut planned = Vec::new();
    let last = scan_batch(txn, OBJECTS, bucket, after, &mut |k, v| {
        let key = std::str::from_utf8(&k[prefix_len..]).unwrap_or_default();
        let version: ObjectVersion = decode(v)?;
        if let Some(action) = config.current_action(key, &version, now, clock) {
            planned.push(Planned {
                key: key.to_string(),
                version,
                action: PlannedAction::Current(action),
            });
        }
        Ok(())
    })?;
    Ok((planned, Vec::new(), last))
}

/// Like [`plan_current`] over `versions`, a key's rows at a time; the cursor is the last
/// key's `bucket \0 key` (all its versions were looked at).
fn plan_noncurrent(
    txn: &dyn KvRead,
    bucket: &str,
    config: &LifecycleConfiguration,
    after: Option<&[u8]>,
    now: i64,
    clock: LifecycleClock,
) -> StoreResult<Plan> {
    let start = object_key(bucket, "");
    let end = prefix_end(&start);
    // Past every row of the last key finished: `bucket \0 key \0` … `bucket \0 key \1`.
    let resume = after.and_then(|a| {
        let mut p = a.to_vec();
        p.push(0);
        prefix_end(&p)
    });
    let range = (
        match &resume {
            Some(r) => Bound::Included(r.as_slice()),
            None => Bound::Included(start.as_slice()),
        },
        end.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
    );
    // Collect whole keys: stop at the first row of a key after the batch is full.
    let mut keys: Vec<(String, Vec<ObjectVersion>)> = Vec::new();
    txn.scan(VERSIONS, range, Direction::Forward, &mut |k, v| {
        let Some((key, _)) = split_version_key(bucket, k) else {
            return Ok(ControlFlow::Continue(()));
        };
        let full = keys.len() >= BATCH;
        match keys.last_mut() {
            Some((last, rows)) if last == key => rows.push(decode(v)?),
            _ if full => return Ok(ControlFlow::Break(())),
            _ => keys.push((key.to_string(), vec![decode(v)?])),
        }
        Ok(ControlFlow::Continue(()))
    })?;
    let last = keys.last().map(|(k, _)| object_key(bucket, k));
    let mut planned = Vec::new();
    for (key, rows) in keys {
        let current = read_object(txn, &object_key(bucket, &key))?;
        // When each row stopped being the latest: when the next newer version was written.
        let mut successor_ms = current.as_ref().map(|c| c.last_modified_ms);
        let mut newer_noncurrent = 0u32;
        let mut remaining = rows.len();
        let latest_is_marker = current.is_none();
        for (i, row) in rows.iter().enumerate() {
            let is_latest = i == 0 && latest_is_marker;
            let since = successor_ms.replace(row.last_modified_ms);
            if is_latest {
                continue;
            }
            let since = since.unwrap_or(row.last_modified_ms);
            let action = config.noncurrent_action(&key, row, since, newer_noncurrent, now, clock);
            if !row.is_delete_marker {
                newer_noncurrent += 1;
            }
            if let Some(action) = action {
                if action == CurrentAction::Expire {
                    remaining -= 1;
                }
                planned.push(Planned {
                    key: key.clone(),
                    version: row.clone(),
                    action: PlannedAction::Noncurrent(action),
                });
            }
        }
        if latest_is_marker && remaining == 1 && config.removes_lone_marker(&key) {
            planned.push(Planned {
                key: key.clone(),
                version: rows[0].clone(),
                action: PlannedAction::RemoveLoneMarker,
            });
        }
    }
    Ok((planned, Vec::new(), last))
}

fn plan_uploads(
    txn: &dyn KvRead,
    bucket: &str,
    config: &LifecycleConfiguration,
    after: Option<&[u8]>,
    now: i64,
    clock: LifecycleClock,
) -> StoreResult<Plan> {
    let mut due = Vec::new();
    let last = scan_batch(txn, UPLOADS, bucket, after, &mut |_, v| {
        let upload: MultipartUpload = decode(v)?;
        if config
            .upload_abort_due(&upload.key, upload.initiated_ms, clock)
            .is_some_and(|at| at <= now)
        {
            due.push(upload);
        }
        Ok(())
    })?;
    Ok((Vec::new(), due, last))
}

/// Applies a batch inside one commit; each action only if its version is unchanged. Returns
/// whether blobs became garbage.
fn apply(
    txn: &mut dyn KvWrite,
    bucket: &str,
    owner: &Owner,
    planned: Vec<Planned>,
    uploads: Vec<MultipartUpload>,
) -> StoreResult<bool> {
    let mut freed = false;
    let state = read_versioning(txn, bucket)?;
    for p in planned {
        match p.action {
            PlannedAction::Current(action) => {
                let k = object_key(bucket, &p.key);
                let Some(mut current) = read_object(txn, &k)? else {
                    continue;
                };
                if !same_version(&current, &p.version) {
                    continue;
                }
                match action {
                    // The bucket owner owns the delete markers lifecycle makes, as on AWS.
                    CurrentAction::Expire => freed |= delete_current(txn, state, bucket, &p.key, owner)?.freed,
                    CurrentAction::Transition(class) => {
                        current.storage_class = class;
                        txn.put(OBJECTS, &k, &encode(&current)?)?;
                    }
                }
            }
            PlannedAction::Noncurrent(action) => {
                let vk = version_key(bucket, &p.key, p.version.stamp);
                let Some(raw) = txn.get(VERSIONS, &vk)? else { continue };
                let mut found: ObjectVersion = decode(&raw)?;
                if !same_version(&found, &p.version) {
                    continue;
                }
                match action {
                    CurrentAction::Expire => {
                        txn.delete(VERSIONS, &vk)?;
                        let garbage = found.blobs();
                        queue_garbage(txn, &garbage)?;
                        freed |= !garbage.is_empty();
                    }
                    CurrentAction::Transition(class) => {
                        found.storage_class = class;
                        txn.put(VERSIONS, &vk, &encode(&found)?)?;
                    }
                }
            }
            PlannedAction::RemoveLoneMarker => {
                // Only if it is still the key's one and only version.
                if read_object(txn, &object_key(bucket, &p.key))?.is_some() {
                    continue;
                }
                let mut rows = Vec::new();
                scan_versions(txn, bucket, &p.key, &mut |_, v| {
                    rows.push(decode::<ObjectVersion>(v)?);
                    Ok(if rows.len() > 1 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    })
                })?;
                if let [only] = rows.as_slice()
                    && only.is_delete_marker
                    && same_version(only, &p.version)
                {
                    txn.delete(VERSIONS, &version_key(bucket, &p.key, only.stamp))?;
                    promote_newest(txn, bucket, &p.key)?;
                }
            }
        }
    }
    for upload in uploads {
        let k = crate::tables::upload_key(&upload.bucket, &upload.key, &upload.upload_id);
        if txn.get(UPLOADS, &k)?.is_some() {
            freed |= remove_upload(txn, &upload)? > 0;
        }
    }
    Ok(freed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{
        LifecycleFilter, LifecycleRule, LifecycleWhen, NoncurrentExpiration, TransitionMinimumSize,
    };
    use crate::record::{ObjectData, StorageClass, VersioningState};
    use crate::store::tests::{bucket, owner, version};
    use crate::{DeleteTarget, ListQuery, VersionQuery, WriteCondition};

    /// Every version written here was last modified at the epoch: any "N days after" is due.
    fn old(etag: &str) -> ObjectVersion {
        version(
            etag,
            ObjectData::Inline {
                sealed: false,
                bytes: b"x".to_vec(),
                crc32c: crate::crc32c(b"x"),
            },
        )
    }

    fn rule(prefix: &str) -> LifecycleRule {
        LifecycleRule {
            id: format!("rule {prefix}"),
            enabled: true,
            filter: LifecycleFilter {
                prefix: prefix.into(),
                ..Default::default()
            },
            expiration: None,
            expired_object_delete_marker: false,
            transitions: Vec::new(),
            noncurrent_expiration: None,
            noncurrent_transitions: Vec::new(),
            abort_incomplete_upload_days: None,
        }
    }

    /// A store whose lifecycle day lasts 50 ms.
    async fn store_with(rules: Vec<LifecycleRule>) -> (tempfile::TempDir, Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let options = crate::StoreOptions {
            lifecycle_clock: LifecycleClock { day_ms: 50 },
            ..Default::default()
        };
        let s = Store::open_with(dir.path(), &options).unwrap();
        s.create_bucket(bucket("b")).await.unwrap();
        let config = LifecycleConfiguration {
            rules,
            transition_minimum: TransitionMinimumSize::VariesByClass,
        };
        s.set_lifecycle("b", Some(config)).await.unwrap();
        (dir, s)
    }

    fn keys(s: &Store) -> Vec<String> {
        let q = ListQuery {
            prefix: String::new(),
            delimiter: None,
            start_after: None,
            max_keys: 1000,
        };
        s.list_objects("b", &q)
            .unwrap()
            .entries
            .into_iter()
            .filter_map(|e| match e {
                crate::ListEntry::Object { key, .. } => Some(key),
                crate::ListEntry::CommonPrefix(_) => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn expires_transitions_and_aborts_what_is_due_and_nothing_else() {
        let mut expire = rule("tmp/");
        expire.expiration = Some(LifecycleWhen::Days(1));
        expire.abort_incomplete_upload_days = Some(1);
        let mut cold = rule("cold/");
        cold.transitions = vec![(LifecycleWhen::Days(1), StorageClass::Glacier)];
        let (_d, s) = store_with(vec![expire, cold]).await;
        for k in ["tmp/a", "tmp/b", "keep/c", "cold/d"] {
            s.put_object("b", k, old("e"), WriteCondition::Always).await.unwrap();
        }
        let mut fresh = old("e");
        fresh.last_modified_ms = now_ms();
        s.put_object("b", "tmp/new", fresh, WriteCondition::Always)
            .await
            .unwrap();
        let upload = MultipartUpload {
            encryption: None,
            acl: None,
            bucket: "b".into(),
            key: "tmp/u".into(),
            upload_id: "u1".into(),
            initiated_ms: 0,
            owner: owner(),
            storage_class: StorageClass::Standard,
            content: Default::default(),
            user_metadata: vec![],
            tags: vec![],
            checksum_algorithm: None,
            checksum_type: None,
        };
        s.create_upload(upload).await.unwrap();

        let p = s.run_lifecycle_now().await.unwrap();
        assert_eq!(keys(&s), ["cold/d", "keep/c", "tmp/new"]);
        assert_eq!(
            s.get_object("b", "cold/d").unwrap().storage_class,
            StorageClass::Glacier
        );
        assert!(s.get_upload("b", "tmp/u", "u1").is_err());
        assert_eq!(p.counts["expired"], 2);
        assert_eq!(p.counts["transitioned"], 1);
        assert_eq!(p.counts["uploads_aborted"], 1);
        assert_eq!((p.passes, p.items, p.cursor.is_none()), (1, 4, true));
        // Idempotent: a second pass finds nothing to do.
        let again = s.run_lifecycle_now().await.unwrap();
        assert_eq!(again, p);
    }

    #[tokio::test]
    async fn noncurrent_versions_expire_and_then_the_lone_delete_marker_goes() {
        let mut r = rule("");
        r.noncurrent_expiration = Some(NoncurrentExpiration {
            days: 1,
            newer_versions: None,
        });
        r.expired_object_delete_marker = true;
        let (_d, s) = store_with(vec![r]).await;
        s.set_versioning("b", VersioningState::Enabled).await.unwrap();
        for etag in ["v1", "v2"] {
            s.put_object("b", "k", old(etag), WriteCondition::Always).await.unwrap();
            s.put_object("b", "live", old(etag), WriteCondition::Always)
                .await
                .unwrap();
        }
        let target = DeleteTarget {
            key: "k".into(),
            version_id: None,
        };
        s.delete_objects("b", vec![target], owner()).await.unwrap();
        // Versions made noncurrent just now (`k`'s v2, by the marker) are not due yet.
        let p = s.run_lifecycle_now().await.unwrap();
        assert_eq!(p.counts["noncurrent_expired"], 2);
        assert!(!p.counts.contains_key("delete_markers_removed"));
        tokio::time::sleep(Duration::from_millis(120)).await;

        let p = s.run_lifecycle_now().await.unwrap();
        let q = VersionQuery {
            max_keys: 100,
            ..Default::default()
        };
        let left = s.list_versions("b", &q).unwrap();
        // `live` keeps its current version; everything of `k` is gone, its marker last.
        assert_eq!(left.entries.len(), 1, "{:?}", left.entries);
        assert_eq!(p.counts["noncurrent_expired"], 3);
        assert_eq!(p.counts["delete_markers_removed"], 1);
    }

    #[tokio::test]
    async fn a_pass_resumes_from_the_persisted_cursor() {
        let mut r = rule("");
        r.expiration = Some(LifecycleWhen::Days(1));
        let (_d, s) = store_with(vec![r]).await;
        for k in ["a", "b", "c"] {
            s.put_object("b", k, old("e"), WriteCondition::Always).await.unwrap();
        }
        // As a pass interrupted after finishing key `a` left it.
        let interrupted = JobProgress {
            cursor: Some(
                Cursor {
                    phase: Phase::Current,
                    key: object_key("b", "a"),
                }
                .encode(),
            ),
            ..Default::default()
        };
        let saved = encode(&interrupted).unwrap();
        s.meta
            .write(move |txn| {
                txn.put(JOBS, LIFECYCLE_JOB.as_bytes(), &saved)?;
                Ok(())
            })
            .await
            .unwrap();
        s.run_lifecycle_now().await.unwrap();
        assert_eq!(keys(&s), ["a"]);
        s.run_lifecycle_now().await.unwrap();
        assert!(keys(&s).is_empty());
    }
}
