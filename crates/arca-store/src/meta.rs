//! [`MetaStore`]: group commit over a metadata engine ([`kv`](crate::kv)).
//!
//! ## Why group commit
//! A durable commit costs an fsync, and a disk does a few thousand of those per second at best.
//! One commit per PUT would cap small-object writes at the disk's fsync rate. Instead every
//! write is a closure sent to one commit thread, which drains whatever has queued up while the
//! previous commit was syncing, runs all of it in a single write transaction and commits once.
//! Under load a batch holds many requests; when idle a write waits for exactly one commit.
//! Nobody is acknowledged before the commit that holds their change is durable.
//!
//! ## Rules for write closures
//! A closure first checks (bucket exists, precondition holds, …) and only then writes. A client
//! error (see [`StoreError::is_client_error`]) must be returned before any write, so that it
//! never leaves half an operation in a batch shared with others. Any other error aborts the
//! whole batch and every member gets [`StoreError::BatchFailed`].
//!
//! ## Engines
//! The commit loop knows nothing of any engine: it takes a [`KvEngine`](crate::kv::KvEngine)
//! and runs each batch in one of its write transactions, so every adapter gets group commit.

use std::sync::Arc;
use std::sync::mpsc;

use crate::error::{StoreError, StoreResult};
use crate::kv::{KvEngine, KvRead, KvWrite};

/// Version of the data folder's format (records, tables and blob files). A folder of another
/// version is refused at start rather than misread. 2: blob frames of 64 KiB (data + CRC32C).
/// 3: object bytes may be sealed (encrypted at rest, [`blob::sealed`](crate::blob::sealed));
/// a release that predates sealing must not read such a folder, for it would return sealed
/// bytes as data. A folder of version 2 is upgraded in place: its records say their bytes
/// are not sealed, and they stay readable as they are.
pub const FORMAT_VERSION: u32 = 3;

/// The earlier version that [`FORMAT_VERSION`] upgrades in place, by restamping.
pub const UPGRADABLE_FORMAT: u32 = 2;

/// Most writes one commit takes; bounds the latency a batch adds to its first member.
const MAX_BATCH: usize = 512;

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&mut dyn KvWrite) -> (Completion, bool) + Send>;

/// A metadata engine and the commit thread that batches writes into it.
pub struct MetaStore {
    engine: Arc<dyn KvEngine>,
    /// `None` only while dropping.
    jobs: Option<mpsc::Sender<Job>>,
    committer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for MetaStore {
    /// Closes the queue, lets the commit thread finish what is queued and waits for it, so
    /// the engine is closed cleanly (for redb: no repair pass at the next start).
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(t) = self.committer.take() {
            let _ = t.join();
        }
    }
}

impl MetaStore {
    /// Starts the commit thread over `engine`.
    pub fn new(engine: Box<dyn KvEngine>) -> StoreResult<Self> {
        let engine: Arc<dyn KvEngine> = Arc::from(engine);
        let (tx, rx) = mpsc::channel::<Job>();
        let thread_engine = engine.clone();
        let committer = std::thread::Builder::new()
            .name("arca-commit".into())
            .spawn(move || commit_loop(&*thread_engine, rx))
            .map_err(|e| StoreError::io("arca-commit thread", e))?;
        Ok(MetaStore {
            engine,
            jobs: Some(tx),
            committer: Some(committer),
        })
    }

    /// Runs `f` inside the next group commit and returns its result once that commit is
    /// durable.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn KvWrite) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |txn| {
            let result = f(txn);
            let poisons = matches!(&result, Err(e) if !e.is_client_error());
            let completion: Completion = Box::new(move |commit| {
                let outcome = match (result, commit) {
                    (Err(e), _) => Err(e),
                    (Ok(v), Ok(())) => Ok(v),
                    (Ok(_), Err(why)) => Err(StoreError::BatchFailed(why)),
                };
                let _ = tx.send(outcome);
            });
            (completion, poisons)
        });
        self.jobs
            .as_ref()
            .ok_or(StoreError::CommitterGone)?
            .send(job)
            .map_err(|_| StoreError::CommitterGone)?;
        rx.await.map_err(|_| StoreError::CommitterGone)?
    }

    /// Runs `f` in a write transaction of its own, now, on the calling thread. Only for
    /// startup work (recovery) that runs before any request; everything else uses
    /// [`MetaStore::write`].
    pub fn write_now<T>(&self, f: impl FnOnce(&mut dyn KvWrite) -> StoreResult<T>) -> StoreResult<T> {
        let mut txn = self.engine.write()?;
        let out = f(&mut *txn)?;
        txn.commit()?;
        Ok(out)
    }

    /// Runs `f` on a consistent read snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&dyn KvRead) -> StoreResult<T>) -> StoreResult<T> {
        let txn = self.engine.read()?;
        f(&*txn)
    }
}

fn commit_loop(engine: &dyn KvEngine, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut txn = match engine.write() {
            Ok(txn) => txn,
            Err(e) => {
                tracing::error!(error = %e, "cannot begin a metadata transaction");
                // Dropping a job closes its reply channel: its caller sees CommitterGone.
                drop(jobs);
                continue;
            }
        };
        let started = std::time::Instant::now();
        let mut completions = Vec::with_capacity(jobs.len());
        let mut poisoned = false;
        for job in jobs {
            let (completion, poisons) = job(&mut *txn);
            poisoned |= poisons;
            completions.push(completion);
        }
        let applied = started.elapsed();
        let outcome = if poisoned {
            // Dropping a write transaction discards it.
            drop(txn);
            Err("a write in the same batch failed; retry".to_string())
        } else {
            txn.commit().map_err(|e| {
                tracing::error!(error = %e, "metadata commit failed");
                e.to_string()
            })
        };
        tracing::trace!(
            batch = completions.len(),
            apply_us = applied.as_micros() as u64,
            commit_us = (started.elapsed() - applied).as_micros() as u64,
            "group commit"
        );
        for completion in completions {
            completion(outcome.clone());
        }
    }
}
