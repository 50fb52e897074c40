//! Background work: one scheduler for every job, each job's progress persisted.
//!
//! A job is a pass over some of the store's state that the store repeats on its own:
//! garbage collection today; lifecycle transitions and expirations, scrubbing (re-reading
//! blobs to find bit rot) and replication later. Each implements [`Job`]; [`Store::spawn_jobs`]
//! runs every job in a task of its own, passes after passes, woken early when the store has
//! queued work for it. After a pass that did work, the job's [`JobProgress`] — how many passes
//! and items so far, and a cursor for jobs that walk a table — is written to the `jobs` table,
//! so a restart resumes a long walk where it stopped and an operator can see what ran.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Store, now_ms};
use crate::error::StoreResult;
use crate::record::{decode, encode};
use crate::tables::JOBS;

/// What a job has done so far, as persisted in the `jobs` table under its name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobProgress {
    /// Passes that did work.
    pub passes: u64,
    /// Items handled in all of them (blobs removed, objects expired, …).
    pub items: u64,
    /// When the last pass that did work ended, in ms since the epoch.
    pub last_pass_ms: i64,
    /// Where a job that walks a table resumes (the last key it finished); `None` for jobs
    /// that work from a queue, like GC.
    pub cursor: Option<Vec<u8>>,
    /// Items by kind (`expired`, `transitioned`, …), for jobs that do more than one thing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, u64>,
}

/// The future of one pass: how many items it handled.
pub type Pass<'a> = Pin<Box<dyn Future<Output = StoreResult<u64>> + Send + 'a>>;

/// A kind of background work.
pub trait Job: Send + Sync + 'static {
    /// The job's name: its key in the `jobs` table and in logs.
    fn name(&self) -> &'static str;

    /// Does one pass; `progress` is what was persisted last. The job adds what it handled
    /// to `progress.items` (and `counts`), may move its cursor, and may persist `progress`
    /// itself mid-pass (in the commits that did the work); the scheduler persists it after.
    fn run_pass<'a>(&'a self, store: &'a Store, progress: &'a mut JobProgress) -> Pass<'a>;

    /// Longest wait between passes.
    fn interval(&self) -> Duration;

    /// How long to let newly queued work settle, once woken, before the pass runs.
    fn wake_delay(&self) -> Duration;

    /// Whether queued garbage brings the next pass forward (the store wakes such jobs when it
    /// queues blobs for GC).
    fn woken_by_garbage(&self) -> bool {
        false
    }
}

/// Garbage collection as a job: removes the files of queued blobs past their grace period.
pub(crate) struct GarbageCollection;

impl Job for GarbageCollection {
    fn name(&self) -> &'static str {
        "gc"
    }

    fn run_pass<'a>(&'a self, store: &'a Store, progress: &'a mut JobProgress) -> Pass<'a> {
        Box::pin(async move {
            let n = store.collect_garbage().await? as u64;
            progress.items += n;
            Ok(n)
        })
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(30)
    }

    /// What was just queued must outlive its grace period before a pass can remove it.
    fn wake_delay(&self) -> Duration {
        Duration::from_millis(super::gc::GC_GRACE_MS as u64 + 100)
    }

    fn woken_by_garbage(&self) -> bool {
        true
    }
}

impl Store {
    /// The persisted progress of job `name` (default if it never did work).
    pub fn job_progress(&self, name: &str) -> StoreResult<JobProgress> {
        self.meta.read(|txn| match txn.get(JOBS, name.as_bytes())? {
            Some(v) => decode(&v),
            None => Ok(JobProgress::default()),
        })
    }

    /// Runs one pass of `job` (after any pass of it already running) and persists its
    /// progress if it did work or moved its cursor; how many items.
    pub async fn run_job_pass(&self, job: &dyn Job) -> StoreResult<u64> {
        let lock = self
            .job_locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(job.name())
            .or_default()
            .clone();
        let _one_at_a_time = lock.lock().await;
        let mut progress = self.job_progress(job.name())?;
        let stored_cursor = progress.cursor.clone();
        let items = job.run_pass(self, &mut progress).await?;
        if items > 0 || progress.cursor != stored_cursor {
            if items > 0 {
                progress.passes += 1;
                progress.last_pass_ms = now_ms();
            }
            let (name, value) = (job.name(), encode(&progress)?);
            self.meta
                .write(move |txn| {
                    txn.put(JOBS, name.as_bytes(), &value)?;
                    Ok(())
                })
                .await?;
        }
        Ok(items)
    }

    /// Brings GC's next pass forward (garbage was queued). A wake-up while it is mid-pass is
    /// kept for when it next waits (`notify_one`); GC is the one job [`Job::woken_by_garbage`].
    pub(crate) fn wake_jobs(&self) {
        self.jobs_wake.notify_one();
    }

    /// Runs every background job until the store is dropped by everyone else.
    pub fn spawn_jobs(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        let jobs: Vec<Arc<dyn Job>> = vec![
            Arc::new(GarbageCollection),
            Arc::new(super::lifecycle::LifecycleJob::for_clock(self.lifecycle_clock)),
            Arc::new(super::restore::RestoreJob),
            Arc::new(super::intelligent::IntelligentTieringJob::for_clock(
                self.lifecycle_clock,
            )),
        ];
        jobs.into_iter()
            .map(|job| {
                let weak = Arc::downgrade(self);
                tokio::spawn(async move {
                    loop {
                        let Some(store) = weak.upgrade() else { return };
                        match store.run_job_pass(&*job).await {
                            Ok(n) if n > 0 => tracing::debug!(job = job.name(), items = n, "job pass"),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(job = job.name(), error = %e, "job pass failed"),
                        }
                        let woken = async {
                            if job.woken_by_garbage() {
                                store.jobs_wake.notified().await;
                            } else {
                                std::future::pending::<()>().await;
                            }
                            tokio::time::sleep(job.wake_delay()).await;
                        };
                        tokio::select! {
                            () = woken => {}
                            () = tokio::time::sleep(job.interval()) => {}
                        }
                        drop(store);
                    }
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::memory::MemoryEngine;

    #[tokio::test]
    async fn a_pass_that_did_work_persists_its_progress() {
        let dir = tempfile::tempdir().unwrap();
        let disk = MemoryEngine::new();
        {
            let s = Store::open_on(dir.path(), Box::new(disk.clone())).unwrap();
            // An orphaned blob: recovered at the next start with time 0, so due at once.
            let mut w = s
                .begin_blob(crate::blob::HeadCaching::Cached, crate::TierId::MAIN)
                .await
                .unwrap();
            w.write(b"orphan").unwrap();
            w.finish().unwrap();
        }
        let s = Store::open_on(dir.path(), Box::new(disk.clone())).unwrap();
        assert_eq!(s.job_progress("gc").unwrap(), JobProgress::default());
        assert_eq!(s.run_job_pass(&GarbageCollection).await.unwrap(), 1);
        // A pass with nothing to do writes nothing.
        assert_eq!(s.run_job_pass(&GarbageCollection).await.unwrap(), 0);
        drop(s);
        let s = Store::open_on(dir.path(), Box::new(disk)).unwrap();
        let p = s.job_progress("gc").unwrap();
        assert_eq!((p.passes, p.items, p.cursor), (1, 1, None));
        assert!(p.counts.is_empty());
        assert!(p.last_pass_ms > 0);
    }
}
