//! MetaStore: ordered, transactional metadata in an embedded redb database, with group commit.
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
//! ## Tables
//! | table | key | value |
//! |---|---|---|
//! | `buckets` | bucket name | [`BucketRecord`](crate::BucketRecord) |
//! | `objects` | bucket `\0` key | [`ObjectVersion`](crate::ObjectVersion) |
//! | `uploads` | bucket `\0` key `\0` upload id | [`MultipartUpload`](crate::MultipartUpload) |
//! | `parts` | upload id `\0` part number (u32 big endian) | [`PartRecord`](crate::PartRecord) |
//! | `blob_intents` | blob id | ms when the write started |
//! | `gc_queue` | blob id | ms when it became garbage |
//! | `store_info` | `"format"` | the data folder's format version ([`FORMAT_VERSION`]) |

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use redb::{Database, ReadTransaction, ReadableDatabase, TableDefinition, WriteTransaction};

use crate::error::{StoreError, StoreResult, meta};

pub(crate) const BUCKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("buckets");
pub(crate) const OBJECTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("objects");
pub(crate) const UPLOADS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("uploads");
pub(crate) const PARTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("parts");
pub(crate) const BLOB_INTENTS: TableDefinition<u128, i64> = TableDefinition::new("blob_intents");
pub(crate) const GC_QUEUE: TableDefinition<u128, i64> = TableDefinition::new("gc_queue");
pub(crate) const STORE_INFO: TableDefinition<&str, u32> = TableDefinition::new("store_info");

/// Version of the data folder's format (records and blob files). A folder of another version
/// is refused at start rather than misread. 2: blob frames of 64 KiB (data + CRC32C).
pub const FORMAT_VERSION: u32 = 2;

/// Most writes one commit takes; bounds the latency a batch adds to its first member.
const MAX_BATCH: usize = 512;

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&WriteTransaction) -> (Completion, bool) + Send>;

/// The metadata database and its commit thread.
pub struct MetaStore {
    db: Arc<Database>,
    /// `None` only while dropping.
    jobs: Option<mpsc::Sender<Job>>,
    committer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for MetaStore {
    /// Closes the queue, lets the commit thread finish what is queued and waits for it, so
    /// the database is closed cleanly (no repair pass at the next start).
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(t) = self.committer.take() {
            let _ = t.join();
        }
    }
}

impl MetaStore {
    /// Opens (or creates) the database. `cache_bytes` bounds redb's page cache, which is most
    /// of the server's resident memory (redb's own default is 1 GiB).
    pub fn open(path: &Path, cache_bytes: usize) -> StoreResult<Self> {
        // redb creates its file with the process umask; create it private first.
        {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(crate::PRIVATE_FILE_MODE)
                .open(path)
                .map_err(|e| StoreError::io(path, e))?;
        }
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)
            .map_err(meta)?;
        let txn = db.begin_write().map_err(meta)?;
        {
            txn.open_table(BUCKETS).map_err(meta)?;
            txn.open_table(OBJECTS).map_err(meta)?;
            txn.open_table(UPLOADS).map_err(meta)?;
            txn.open_table(PARTS).map_err(meta)?;
            txn.open_table(BLOB_INTENTS).map_err(meta)?;
            txn.open_table(GC_QUEUE).map_err(meta)?;
        }
        txn.commit().map_err(meta)?;
        let db = Arc::new(db);
        let (tx, rx) = mpsc::channel::<Job>();
        let thread_db = db.clone();
        let committer = std::thread::Builder::new()
            .name("arca-commit".into())
            .spawn(move || commit_loop(&thread_db, rx))
            .map_err(|e| StoreError::io(path, e))?;
        Ok(MetaStore {
            db,
            jobs: Some(tx),
            committer: Some(committer),
        })
    }

    /// Runs `f` inside the next group commit and returns its result once that commit is
    /// durable.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> StoreResult<T> + Send + 'static,
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
    pub fn write_now<T>(&self, f: impl FnOnce(&WriteTransaction) -> StoreResult<T>) -> StoreResult<T> {
        let txn = self.db.begin_write().map_err(meta)?;
        let out = f(&txn)?;
        txn.commit().map_err(meta)?;
        Ok(out)
    }

    /// Runs `f` on a consistent read snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&ReadTransaction) -> StoreResult<T>) -> StoreResult<T> {
        let txn = self.db.begin_read().map_err(meta)?;
        f(&txn)
    }
}

fn commit_loop(db: &Database, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let txn = match db.begin_write() {
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
            let (completion, poisons) = job(&txn);
            poisoned |= poisons;
            completions.push(completion);
        }
        let applied = started.elapsed();
        let outcome = if poisoned {
            let _ = txn.abort();
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

/// `bucket \0 key`: the `objects` table key; orders a bucket's keys in UTF-8 binary order.
pub(crate) fn object_key(bucket: &str, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(bucket.len() + 1 + key.len());
    k.extend_from_slice(bucket.as_bytes());
    k.push(0);
    k.extend_from_slice(key.as_bytes());
    k
}

/// `bucket \0 key \0 upload id`.
pub(crate) fn upload_key(bucket: &str, key: &str, upload_id: &str) -> Vec<u8> {
    let mut k = object_key(bucket, key);
    k.push(0);
    k.extend_from_slice(upload_id.as_bytes());
    k
}

/// `upload id \0 part number`.
pub(crate) fn part_key(upload_id: &str, part_number: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(upload_id.len() + 5);
    k.extend_from_slice(upload_id.as_bytes());
    k.push(0);
    k.extend_from_slice(&part_number.to_be_bytes());
    k
}

/// The smallest byte string greater than every string that starts with `prefix`, for use as
/// an exclusive range end. UTF-8 never contains 0xFF, so appending it is enough for keys; the
/// general form also handles binary prefixes.
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return end;
        }
    }
    // All 0xFF (or empty): no finite bound; callers treat an empty end as unbounded.
    Vec::new()
}
