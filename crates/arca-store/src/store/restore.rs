//! Restores of archived versions (GLACIER, DEEP_ARCHIVE): the state machine of AWS's
//! RestoreObject, on real bytes.
//!
//! An archived version is not readable. RestoreObject records a [`RestoreState`] and a row
//! in `restores` due when the retrieval tier's delay has passed; the restore job then copies
//! the version's bytes (verified, from whatever tier holds them) into a temporary copy in the
//! data folder, through the same intent → blob → commit path as any write, and replaces the
//! row by one due when the copy expires (`days` after, at a day boundary). GETs read the copy
//! while it lasts; at expiry the job drops it and its blobs go to GC. Each step's commit checks
//! the version is still the one restored, so an overwrite or delete meanwhile simply ends it.
//!
//! `restores` is ordered by due time, so a pass reads only what is due: restores cost nothing
//! to objects that never asked for one.

use std::ops::{Bound, ControlFlow};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::jobs::{Job, JobProgress, Pass};
use super::records::{queue_garbage, read_object, settle_intents};
use super::transition::same_version;
use super::versions::{VersionPlace, find_version};
use super::{Store, now_ms};
use crate::blob::TierId;
use crate::error::{StoreError, StoreResult};
use crate::kv::{Direction, KvRead, KvWrite};
use crate::record::{ObjectData, ObjectVersion, RestoreState, decode, encode};
use crate::tables::{OBJECTS, RESTORES, VERSIONS, object_key, version_key};

/// The job's name in the `jobs` table.
pub const RESTORE_JOB: &str = "restore";

/// Most restore steps one pass takes.
const PASS_MAX: usize = 256;

/// How long each retrieval tier takes to make a restored copy, as AWS's Expedited (minutes),
/// Standard (hours) and Bulk (a day or so) do. All zero by default: restores complete at
/// once, which tests and most self-hosted uses want.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreDelays {
    /// `Expedited`.
    pub expedited: Duration,
    /// `Standard` (the default tier).
    pub standard: Duration,
    /// `Bulk`.
    pub bulk: Duration,
}

/// A retrieval tier of RestoreObject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrievalTier {
    /// Fastest.
    Expedited,
    /// The default.
    Standard,
    /// Cheapest.
    Bulk,
}

impl RestoreDelays {
    fn of(&self, tier: RetrievalTier) -> Duration {
        match tier {
            RetrievalTier::Expedited => self.expedited,
            RetrievalTier::Standard => self.standard,
            RetrievalTier::Bulk => self.bulk,
        }
    }
}

/// What RestoreObject did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreStarted {
    /// A restore began (AWS answers `202 Accepted`).
    Started,
    /// The version was already restored: its copy now expires `days` from now (`200 OK`).
    Extended,
}

/// What a `restores` row asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Step {
    /// Make the copy.
    Ready = 0,
    /// Drop the copy.
    Expire = 1,
}

/// A `restores` row's value: the version it is about.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RestoreRow {
    bucket: String,
    key: String,
    stamp: u64,
    version_id: Option<String>,
    step: Step,
}

impl RestoreRow {
    fn table_key(&self, due_ms: i64) -> Vec<u8> {
        let mut k = due_ms.to_be_bytes().to_vec();
        k.extend_from_slice(&object_key(&self.bucket, &self.key));
        k.push(0);
        k.extend_from_slice(&self.stamp.to_be_bytes());
        k.push(self.step as u8);
        k
    }
}

/// The version a row names, where it is now (it may have become noncurrent).
fn locate(txn: &dyn KvRead, row: &RestoreRow) -> StoreResult<Option<(VersionPlace, ObjectVersion)>> {
    if let Some(current) = read_object(txn, &object_key(&row.bucket, &row.key))?
        && current.stamp == row.stamp
        && current.version_id == row.version_id
    {
        return Ok(Some((VersionPlace::Current, current)));
    }
    match txn.get(VERSIONS, &version_key(&row.bucket, &row.key, row.stamp))? {
        Some(v) => {
            let version: ObjectVersion = decode(&v)?;
            Ok((version.version_id == row.version_id).then_some((VersionPlace::Noncurrent, version)))
        }
        None => Ok(None),
    }
}

fn write_back(txn: &mut dyn KvWrite, row: &RestoreRow, place: VersionPlace, v: &ObjectVersion) -> StoreResult<()> {
    match place {
        VersionPlace::Current => txn.put(OBJECTS, &object_key(&row.bucket, &row.key), &encode(v)?)?,
        VersionPlace::Noncurrent => txn.put(VERSIONS, &version_key(&row.bucket, &row.key, row.stamp), &encode(v)?)?,
    };
    Ok(())
}

/// Restores as a job of the scheduler.
pub(crate) struct RestoreJob;

impl Job for RestoreJob {
    fn name(&self) -> &'static str {
        RESTORE_JOB
    }

    fn run_pass<'a>(&'a self, store: &'a Store, progress: &'a mut JobProgress) -> Pass<'a> {
        Box::pin(async move {
            let n = store.restore_pass().await?;
            progress.items += n;
            Ok(n)
        })
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn wake_delay(&self) -> Duration {
        Duration::ZERO
    }
}

impl Store {
    /// RestoreObject: asks for a temporary copy of an archived version of `key` (the current
    /// one, or `version_id`) readable for `days` days, ready after `tier`'s delay.
    pub async fn request_restore(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        days: u32,
        tier: RetrievalTier,
    ) -> StoreResult<RestoreStarted> {
        let (bucket, key, id) = (bucket.to_string(), key.to_string(), version_id.map(str::to_string));
        let delay = self.restore_delays.of(tier).as_millis() as i64;
        let clock = self.lifecycle_clock;
        let started = self
            .meta
            .write(move |txn| {
                super::records::require_bucket(txn, &bucket)?;
                let found = match &id {
                    None => read_object(txn, &object_key(&bucket, &key))?.map(|v| (VersionPlace::Current, v)),
                    Some(id) => find_version(txn, &bucket, &key, id)?,
                };
                let Some((place, mut version)) = found.filter(|(_, v)| !v.is_delete_marker) else {
                    return Err(match id {
                        None => StoreError::NoSuchKey { bucket, key },
                        Some(version_id) => StoreError::NoSuchVersion { key, version_id },
                    });
                };
                if !version.storage_class.is_archive() {
                    return Err(StoreError::InvalidObjectState);
                }
                let now = now_ms();
                let row = |step| RestoreRow {
                    bucket: bucket.clone(),
                    key: key.clone(),
                    stamp: version.stamp,
                    version_id: version.version_id.clone(),
                    step,
                };
                let started = match &mut version.restore {
                    Some(r) if r.copy.is_none() => return Err(StoreError::RestoreInProgress),
                    Some(r) => {
                        // A restore of a restored version moves its expiry, as on AWS.
                        let expire = row(Step::Expire);
                        if let Some(old) = r.expiry_ms {
                            txn.delete(RESTORES, &expire.table_key(old))?;
                        }
                        let expiry = clock.due(now, days);
                        r.days = days;
                        r.expiry_ms = Some(expiry);
                        txn.put(RESTORES, &expire.table_key(expiry), &encode(&expire)?)?;
                        RestoreStarted::Extended
                    }
                    None => {
                        let ready = now + delay;
                        version.restore = Some(RestoreState {
                            requested_ms: now,
                            ready_ms: ready,
                            days,
                            copy: None,
                            expiry_ms: None,
                        });
                        let step = row(Step::Ready);
                        txn.put(RESTORES, &step.table_key(ready), &encode(&step)?)?;
                        RestoreStarted::Started
                    }
                };
                let place_row = row(Step::Ready);
                write_back(txn, &place_row, place, &version)?;
                Ok(started)
            })
            .await?;
        if started == RestoreStarted::Started && delay == 0 {
            // Immediate retrieval: the copy is made before RestoreObject answers.
            self.restore_pass().await?;
        }
        Ok(started)
    }

    /// Takes every restore step that is due; how many.
    pub(crate) async fn restore_pass(&self) -> StoreResult<u64> {
        let now = now_ms();
        let due: Vec<(Vec<u8>, RestoreRow)> = self.meta.read(|txn| {
            let mut due = Vec::new();
            let end = (now + 1).to_be_bytes();
            txn.scan(
                RESTORES,
                (Bound::Unbounded, Bound::Excluded(end.as_slice())),
                Direction::Forward,
                &mut |k, v| {
                    due.push((k.to_vec(), decode(v)?));
                    Ok(if due.len() >= PASS_MAX {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    })
                },
            )?;
            Ok(due)
        })?;
        let n = due.len() as u64;
        for (table_key, row) in due {
            match row.step {
                Step::Ready => self.make_restored_copy(table_key, row).await?,
                Step::Expire => self.drop_restored_copy(table_key, row, now).await?,
            }
        }
        Ok(n)
    }

    async fn make_restored_copy(&self, table_key: Vec<u8>, row: RestoreRow) -> StoreResult<()> {
        let found = self.meta.read(|txn| locate(txn, &row))?;
        let Some((_, planned)) = found.filter(|(_, v)| v.restore.as_ref().is_some_and(|r| r.copy.is_none())) else {
            // Overwritten, deleted or already done: nothing is left to restore.
            return self
                .meta
                .write(move |txn| txn.delete(RESTORES, &table_key).map(drop))
                .await;
        };
        let copy = match &planned.data {
            ObjectData::Extents(extents) => ObjectData::Extents(self.copy_extents(extents, TierId::MAIN).await?),
            inline => inline.clone(),
        };
        let clock = self.lifecycle_clock;
        let copies = copy.blobs();
        let (bucket, key) = (row.bucket.clone(), row.key.clone());
        self.meta
            .write(move |txn| {
                txn.delete(RESTORES, &table_key)?;
                match locate(txn, &row)? {
                    Some((place, mut v))
                        if same_version(&v, &planned) && v.restore.as_ref().is_some_and(|r| r.copy.is_none()) =>
                    {
                        let now = now_ms();
                        let Some(r) = v.restore.as_mut() else { return Ok(()) };
                        let expiry = clock.due(now, r.days);
                        r.copy = Some(copy);
                        r.expiry_ms = Some(expiry);
                        let expire = RestoreRow {
                            step: Step::Expire,
                            ..row.clone()
                        };
                        txn.put(RESTORES, &expire.table_key(expiry), &encode(&expire)?)?;
                        write_back(txn, &row, place, &v)?;
                        settle_intents(txn, &copies)
                    }
                    _ => {
                        settle_intents(txn, &copies)?;
                        queue_garbage(txn, &copies)
                    }
                }
            })
            .await?;
        tracing::info!(bucket = %bucket, key = %key, "restore completed");
        Ok(())
    }

    async fn drop_restored_copy(&self, table_key: Vec<u8>, row: RestoreRow, now: i64) -> StoreResult<()> {
        let freed = self
            .meta
            .write(move |txn| {
                txn.delete(RESTORES, &table_key)?;
                let Some((place, mut v)) = locate(txn, &row)? else {
                    return Ok(false);
                };
                let expired = v
                    .restore
                    .as_ref()
                    .is_some_and(|r| r.expiry_ms.is_some_and(|e| e <= now));
                if !expired {
                    return Ok(false);
                }
                let garbage = v
                    .restore
                    .take()
                    .and_then(|r| r.copy)
                    .map(|c| c.blobs())
                    .unwrap_or_default();
                write_back(txn, &row, place, &v)?;
                queue_garbage(txn, &garbage)?;
                Ok(!garbage.is_empty())
            })
            .await?;
        if freed {
            self.wake_jobs();
        }
        Ok(())
    }
}
