//! [`Store`]: the store's whole API. Everything above it (the S3 layer, jobs, the console)
//! goes through here and never learns where metadata or bytes live.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use crate::blob::{BlobId, BlobReader, BlobStore, BlobWriter, HeadCaching};
use crate::error::{StoreError, StoreResult, meta};
use crate::list::{ListPage, ListQuery, list_objects};
use crate::meta::{
    BLOB_INTENTS, BUCKETS, FORMAT_VERSION, GC_QUEUE, MetaStore, OBJECTS, PARTS, STORE_INFO, UPLOADS, object_key,
    part_key, prefix_end, upload_key,
};
use crate::record::{BucketRecord, MultipartUpload, ObjectVersion, PartRecord, decode, encode};

/// How long a blob waits in the GC queue before its file is removed. A GET that has just read
/// the record of an overwritten object opens its blob files within this window.
const GC_GRACE_MS: i64 = 5_000;

/// A condition a write must meet, checked atomically inside its commit.
#[derive(Debug, Clone, Default)]
pub enum WriteCondition {
    #[default]
    Always,
    /// `If-None-Match: *`: only if no object has the key.
    IfAbsent,
    /// `If-Match: "etag"`: only if the current object has this ETag (unquoted).
    IfEtag(String),
}

impl WriteCondition {
    fn check(&self, current: Option<&ObjectVersion>) -> StoreResult<()> {
        match (self, current) {
            (WriteCondition::Always, _) => Ok(()),
            (WriteCondition::IfAbsent, None) => Ok(()),
            (WriteCondition::IfAbsent, Some(_)) => Err(StoreError::PreconditionFailed("object exists")),
            (WriteCondition::IfEtag(_), None) => Err(StoreError::NoSuchKey {
                bucket: String::new(),
                key: String::new(),
            }),
            (WriteCondition::IfEtag(e), Some(cur)) if e == "*" || *e == cur.etag => Ok(()),
            (WriteCondition::IfEtag(_), Some(_)) => Err(StoreError::PreconditionFailed("etag differs")),
        }
    }
}

/// Tuning knobs of a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Bytes of metadata pages kept in memory.
    pub meta_cache_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            meta_cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A page of multipart uploads.
#[derive(Debug, Default)]
pub struct UploadPage {
    pub uploads: Vec<MultipartUpload>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
}

/// Buckets, objects and multipart uploads over a [`MetaStore`] and a [`BlobStore`].
pub struct Store {
    meta: MetaStore,
    blobs: BlobStore,
    gc_wake: tokio::sync::Notify,
    /// Held for the life of the store: a second process on the same folder fails to start.
    _lock: File,
}

impl Store {
    /// Opens the store in `dir` with default options; see [`Store::open_with`].
    pub fn open(dir: &Path) -> StoreResult<Arc<Store>> {
        Self::open_with(dir, &StoreOptions::default())
    }

    /// Opens the store in `dir`, creating it if needed, and recovers from any crash: blobs
    /// whose writes never committed go to the GC queue.
    pub fn open_with(dir: &Path, options: &StoreOptions) -> StoreResult<Arc<Store>> {
        crate::create_private_dir(dir).map_err(|e| StoreError::io(dir, e))?;
        let lock = take_lock(dir)?;
        let meta = MetaStore::open(&dir.join("meta.redb"), options.meta_cache_bytes)?;
        check_format(&meta)?;
        let blobs = BlobStore::open(dir.join("blobs"))?;
        let store = Store {
            meta,
            blobs,
            gc_wake: tokio::sync::Notify::new(),
            _lock: lock,
        };
        store.recover_intents()?;
        Ok(Arc::new(store))
    }

    fn recover_intents(&self) -> StoreResult<()> {
        let pending: Vec<u128> = self.meta.read(|txn| {
            let t = txn.open_table(BLOB_INTENTS).map_err(meta)?;
            t.iter()
                .map_err(meta)?
                .map(|r| r.map(|(k, _)| k.value()).map_err(meta))
                .collect()
        })?;
        if pending.is_empty() {
            return Ok(());
        }
        tracing::info!(
            count = pending.len(),
            "reclaiming blobs of writes interrupted by a crash"
        );
        // Runs before the server accepts requests, so it commits directly.
        self.meta.write_now(move |txn| {
            let mut intents = txn.open_table(BLOB_INTENTS).map_err(meta)?;
            let mut gc = txn.open_table(GC_QUEUE).map_err(meta)?;
            for id in pending {
                intents.remove(id).map_err(meta)?;
                gc.insert(id, 0).map_err(meta)?;
            }
            Ok(())
        })
    }

    // ---------------------------------------------------------------- buckets

    pub async fn create_bucket(&self, record: BucketRecord) -> StoreResult<()> {
        self.meta
            .write(move |txn| {
                let mut t = txn.open_table(BUCKETS).map_err(meta)?;
                if let Some(existing) = t.get(record.name.as_str()).map_err(meta)? {
                    let existing: BucketRecord = decode(existing.value())?;
                    return Err(if existing.owner == record.owner {
                        StoreError::BucketAlreadyOwnedByYou(record.name)
                    } else {
                        StoreError::BucketAlreadyExists(record.name)
                    });
                }
                t.insert(record.name.as_str(), encode(&record)?.as_slice())
                    .map_err(meta)?;
                Ok(())
            })
            .await
    }

    pub fn get_bucket(&self, name: &str) -> StoreResult<BucketRecord> {
        self.meta.read(|txn| {
            let t = txn.open_table(BUCKETS).map_err(meta)?;
            match t.get(name).map_err(meta)? {
                Some(v) => decode(v.value()),
                None => Err(StoreError::NoSuchBucket(name.to_string())),
            }
        })
    }

    pub fn list_buckets(&self) -> StoreResult<Vec<BucketRecord>> {
        self.meta.read(|txn| {
            let t = txn.open_table(BUCKETS).map_err(meta)?;
            t.iter()
                .map_err(meta)?
                .map(|r| decode(r.map_err(meta)?.1.value()))
                .collect()
        })
    }

    /// Changes a bucket's record (tags, CORS, …) atomically.
    pub async fn update_bucket<F>(&self, name: &str, f: F) -> StoreResult<BucketRecord>
    where
        F: FnOnce(&mut BucketRecord) + Send + 'static,
    {
        let name = name.to_string();
        self.meta
            .write(move |txn| {
                let mut t = txn.open_table(BUCKETS).map_err(meta)?;
                let mut record: BucketRecord = match t.get(name.as_str()).map_err(meta)? {
                    Some(v) => decode(v.value())?,
                    None => return Err(StoreError::NoSuchBucket(name)),
                };
                f(&mut record);
                t.insert(name.as_str(), encode(&record)?.as_slice()).map_err(meta)?;
                Ok(record)
            })
            .await
    }

    /// Deletes an empty bucket. Multipart uploads still in progress are aborted with it.
    pub async fn delete_bucket(&self, name: &str) -> StoreResult<()> {
        let name = name.to_string();
        let freed = self
            .meta
            .write(move |txn| {
                let mut buckets = txn.open_table(BUCKETS).map_err(meta)?;
                if buckets.get(name.as_str()).map_err(meta)?.is_none() {
                    return Err(StoreError::NoSuchBucket(name));
                }
                let start = object_key(&name, "");
                let end = prefix_end(&start);
                let objects = txn.open_table(OBJECTS).map_err(meta)?;
                if objects
                    .range::<&[u8]>(start.as_slice()..end.as_slice())
                    .map_err(meta)?
                    .next()
                    .is_some()
                {
                    return Err(StoreError::BucketNotEmpty(name));
                }
                let uploads: Vec<MultipartUpload> = {
                    let t = txn.open_table(UPLOADS).map_err(meta)?;
                    let mut v = Vec::new();
                    for r in t.range::<&[u8]>(start.as_slice()..end.as_slice()).map_err(meta)? {
                        v.push(decode(r.map_err(meta)?.1.value())?);
                    }
                    v
                };
                let mut freed = 0;
                for u in uploads {
                    freed += remove_upload(txn, &u)?;
                }
                buckets.remove(name.as_str()).map_err(meta)?;
                Ok(freed)
            })
            .await?;
        if freed > 0 {
            self.gc_wake.notify_one();
        }
        Ok(())
    }

    // ---------------------------------------------------------------- objects

    /// The current version of `key`; `NoSuchBucket` or `NoSuchKey` when absent.
    pub fn get_object(&self, bucket: &str, key: &str) -> StoreResult<ObjectVersion> {
        self.meta.read(|txn| {
            let objects = txn.open_table(OBJECTS).map_err(meta)?;
            if let Some(v) = objects.get(object_key(bucket, key).as_slice()).map_err(meta)? {
                return decode(v.value());
            }
            let buckets = txn.open_table(BUCKETS).map_err(meta)?;
            if buckets.get(bucket).map_err(meta)?.is_none() {
                return Err(StoreError::NoSuchBucket(bucket.to_string()));
            }
            Err(StoreError::NoSuchKey {
                bucket: bucket.to_string(),
                key: key.to_string(),
            })
        })
    }

    /// Makes `version` the current version of `key` once `condition` holds. Its blobs must
    /// have been written with [`Store::begin_blob`] and finished; the replaced version's
    /// blobs go to the GC queue in the same commit.
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        version: ObjectVersion,
        condition: WriteCondition,
    ) -> StoreResult<()> {
        let (bucket, key) = (bucket.to_string(), key.to_string());
        // Encode here, not in the commit thread: the commit thread's time is everyone's.
        let record = encode(&version)?;
        let blobs = version.blobs();
        drop(version);
        let freed = self
            .meta
            .write(move |txn| {
                require_bucket(txn, &bucket)?;
                let k = object_key(&bucket, &key);
                let current = read_object(txn, &k)?;
                condition
                    .check(current.as_ref())
                    .map_err(|e| name_key(e, &bucket, &key))?;
                let mut objects = txn.open_table(OBJECTS).map_err(meta)?;
                objects.insert(k.as_slice(), record.as_slice()).map_err(meta)?;
                drop(objects);
                settle_intents(txn, &blobs)?;
                let old = current.map(|c| c.blobs()).unwrap_or_default();
                queue_garbage(txn, &old)?;
                Ok(!old.is_empty())
            })
            .await?;
        if freed {
            self.gc_wake.notify_one();
        }
        Ok(())
    }

    /// Changes the current version of `key` in place (tags, metadata on self-copy).
    pub async fn update_object<F>(&self, bucket: &str, key: &str, f: F) -> StoreResult<ObjectVersion>
    where
        F: FnOnce(&mut ObjectVersion) + Send + 'static,
    {
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.meta
            .write(move |txn| {
                require_bucket(txn, &bucket)?;
                let k = object_key(&bucket, &key);
                let Some(mut version) = read_object(txn, &k)? else {
                    return Err(StoreError::NoSuchKey { bucket, key });
                };
                f(&mut version);
                let mut objects = txn.open_table(OBJECTS).map_err(meta)?;
                objects
                    .insert(k.as_slice(), encode(&version)?.as_slice())
                    .map_err(meta)?;
                Ok(version)
            })
            .await
    }

    /// Deletes the current version of each key in one commit; returns what each key held.
    pub async fn delete_objects(&self, bucket: &str, keys: Vec<String>) -> StoreResult<Vec<Option<ObjectVersion>>> {
        let bucket = bucket.to_string();
        let (removed, freed) = self
            .meta
            .write(move |txn| {
                require_bucket(txn, &bucket)?;
                let mut objects = txn.open_table(OBJECTS).map_err(meta)?;
                let mut removed = Vec::with_capacity(keys.len());
                let mut garbage = Vec::new();
                for key in keys {
                    let old = objects.remove(object_key(&bucket, &key).as_slice()).map_err(meta)?;
                    let old: Option<ObjectVersion> = old.map(|v| decode(v.value())).transpose()?;
                    if let Some(o) = &old {
                        garbage.extend(o.blobs());
                    }
                    removed.push(old);
                }
                drop(objects);
                queue_garbage(txn, &garbage)?;
                Ok((removed, !garbage.is_empty()))
            })
            .await?;
        if freed {
            self.gc_wake.notify_one();
        }
        Ok(removed)
    }

    pub fn list_objects(&self, bucket: &str, query: &ListQuery) -> StoreResult<ListPage> {
        self.meta.read(|txn| {
            let buckets = txn.open_table(BUCKETS).map_err(meta)?;
            if buckets.get(bucket).map_err(meta)?.is_none() {
                return Err(StoreError::NoSuchBucket(bucket.to_string()));
            }
            list_objects(txn, bucket, query)
        })
    }

    // ---------------------------------------------------------------- blobs

    /// Records the intent to write a new blob (durably), then creates its file. If the
    /// process dies before a record references the blob, the next start reclaims it.
    pub async fn begin_blob(&self, head: HeadCaching) -> StoreResult<BlobWriter> {
        let id = BlobId::random();
        self.meta
            .write(move |txn| {
                let mut t = txn.open_table(BLOB_INTENTS).map_err(meta)?;
                t.insert(id.0, now_ms()).map_err(meta)?;
                Ok(())
            })
            .await?;
        self.blobs.create(id, head)
    }

    /// Gives up on a blob whose upload failed (bad digest, client went away).
    pub async fn discard_blob(&self, id: BlobId) -> StoreResult<()> {
        self.meta
            .write(move |txn| {
                settle_intents(txn, &[id])?;
                queue_garbage(txn, &[id])
            })
            .await?;
        self.gc_wake.notify_one();
        Ok(())
    }

    pub fn open_blob(&self, id: BlobId, head: HeadCaching) -> StoreResult<BlobReader> {
        self.blobs.open_reader(id, head)
    }

    // ---------------------------------------------------------------- multipart

    pub async fn create_upload(&self, upload: MultipartUpload) -> StoreResult<()> {
        self.meta
            .write(move |txn| {
                require_bucket(txn, &upload.bucket)?;
                let mut t = txn.open_table(UPLOADS).map_err(meta)?;
                let k = upload_key(&upload.bucket, &upload.key, &upload.upload_id);
                t.insert(k.as_slice(), encode(&upload)?.as_slice()).map_err(meta)?;
                Ok(())
            })
            .await
    }

    pub fn get_upload(&self, bucket: &str, key: &str, upload_id: &str) -> StoreResult<MultipartUpload> {
        self.meta.read(|txn| read_upload(txn, bucket, key, upload_id))
    }

    /// Stores (or replaces) one part; a replaced part's blob goes to the GC queue.
    pub async fn put_part(&self, bucket: &str, key: &str, upload_id: &str, part: PartRecord) -> StoreResult<()> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        let freed = self
            .meta
            .write(move |txn| {
                let uploads = txn.open_table(UPLOADS).map_err(meta)?;
                if uploads
                    .get(upload_key(&bucket, &key, &upload_id).as_slice())
                    .map_err(meta)?
                    .is_none()
                {
                    // Aborted while the part was uploading: its blob is garbage now.
                    return Err(StoreError::NoSuchUpload { upload_id });
                }
                drop(uploads);
                let mut parts = txn.open_table(PARTS).map_err(meta)?;
                let k = part_key(&upload_id, part.part_number);
                let old = parts
                    .insert(k.as_slice(), encode(&part)?.as_slice())
                    .map_err(meta)?
                    .map(|v| decode::<PartRecord>(v.value()))
                    .transpose()?;
                drop(parts);
                settle_intents(txn, &[part.blob])?;
                let old: Vec<BlobId> = old.map(|p| p.blob).into_iter().collect();
                queue_garbage(txn, &old)?;
                Ok(!old.is_empty())
            })
            .await?;
        if freed {
            self.gc_wake.notify_one();
        }
        Ok(())
    }

    /// Parts of an upload with numbers greater than `after`, at most `max`; and whether more
    /// follow.
    pub fn list_parts(&self, upload_id: &str, after: u32, max: usize) -> StoreResult<(Vec<PartRecord>, bool)> {
        self.meta.read(|txn| {
            let parts = txn.open_table(PARTS).map_err(meta)?;
            let start = part_key(upload_id, after.saturating_add(1));
            let end = part_key(upload_id, u32::MAX);
            let mut out = Vec::new();
            for r in parts.range::<&[u8]>(start.as_slice()..=end.as_slice()).map_err(meta)? {
                if out.len() == max {
                    return Ok((out, true));
                }
                out.push(decode(r.map_err(meta)?.1.value())?);
            }
            Ok((out, false))
        })
    }

    /// Multipart uploads of a bucket in (key, upload id) order, after the given markers.
    pub fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        key_marker: Option<&str>,
        upload_id_marker: Option<&str>,
        max: usize,
    ) -> StoreResult<UploadPage> {
        self.meta.read(|txn| {
            let buckets = txn.open_table(BUCKETS).map_err(meta)?;
            if buckets.get(bucket).map_err(meta)?.is_none() {
                return Err(StoreError::NoSuchBucket(bucket.to_string()));
            }
            let uploads = txn.open_table(UPLOADS).map_err(meta)?;
            let range_start = object_key(bucket, prefix);
            let end = prefix_end(&range_start);
            let mut page = UploadPage::default();
            let mut last_prefix: Option<String> = None;
            for r in uploads
                .range::<&[u8]>(range_start.as_slice()..end.as_slice())
                .map_err(meta)?
            {
                let u: MultipartUpload = decode(r.map_err(meta)?.1.value())?;
                if let Some(km) = key_marker {
                    let after = match upload_id_marker {
                        Some(im) => (u.key.as_str(), u.upload_id.as_str()) > (km, im),
                        None => u.key.as_str() > km,
                    };
                    if !after {
                        continue;
                    }
                }
                if let Some(d) = delimiter.filter(|d| !d.is_empty())
                    && let Some(pos) = u.key[prefix.len()..].find(d)
                {
                    let cp = u.key[..prefix.len() + pos + d.len()].to_string();
                    if last_prefix.as_deref() == Some(cp.as_str()) || key_marker.is_some_and(|m| m.starts_with(&cp)) {
                        continue;
                    }
                    if page.uploads.len() + page.common_prefixes.len() == max {
                        page.is_truncated = true;
                        break;
                    }
                    last_prefix = Some(cp.clone());
                    page.common_prefixes.push(cp);
                    continue;
                }
                if page.uploads.len() + page.common_prefixes.len() == max {
                    page.is_truncated = true;
                    break;
                }
                page.uploads.push(u);
            }
            Ok(page)
        })
    }

    /// Completes an upload: `build` turns the upload and its stored parts into the object
    /// version (checking part order and ETags), which replaces the current object in the same
    /// commit that removes the upload. Unused parts and the replaced version go to GC.
    pub async fn complete_upload<F>(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        condition: WriteCondition,
        build: F,
    ) -> StoreResult<ObjectVersion>
    where
        F: FnOnce(&MultipartUpload, &BTreeMap<u32, PartRecord>) -> StoreResult<ObjectVersion> + Send + 'static,
    {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        let version = self
            .meta
            .write(move |txn| {
                let upload = read_upload(txn, &bucket, &key, &upload_id)?;
                let parts = read_parts(txn, &upload_id)?;
                let version = build(&upload, &parts)?;
                let k = object_key(&bucket, &key);
                let current = read_object(txn, &k)?;
                condition
                    .check(current.as_ref())
                    .map_err(|e| name_key(e, &bucket, &key))?;
                let used: std::collections::HashSet<BlobId> = version.blobs().into_iter().collect();
                remove_upload(txn, &upload)?;
                // remove_upload queued every part's blob; keep the ones the object now owns.
                let mut gc = txn.open_table(GC_QUEUE).map_err(meta)?;
                for id in &used {
                    gc.remove(id.0).map_err(meta)?;
                }
                drop(gc);
                let mut objects = txn.open_table(OBJECTS).map_err(meta)?;
                objects
                    .insert(k.as_slice(), encode(&version)?.as_slice())
                    .map_err(meta)?;
                drop(objects);
                queue_garbage(txn, &current.map(|c| c.blobs()).unwrap_or_default())?;
                Ok(version)
            })
            .await?;
        self.gc_wake.notify_one();
        Ok(version)
    }

    pub async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> StoreResult<()> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        self.meta
            .write(move |txn| {
                let upload = read_upload(txn, &bucket, &key, &upload_id)?;
                remove_upload(txn, &upload)
            })
            .await?;
        self.gc_wake.notify_one();
        Ok(())
    }

    // ---------------------------------------------------------------- garbage collection

    /// Removes the files of queued blobs older than the grace period; returns how many.
    pub async fn collect_garbage(&self) -> StoreResult<usize> {
        let cutoff = now_ms() - GC_GRACE_MS;
        let due: Vec<u128> = self.meta.read(|txn| {
            let t = txn.open_table(GC_QUEUE).map_err(meta)?;
            let mut due = Vec::new();
            for r in t.iter().map_err(meta)? {
                let (k, v) = r.map_err(meta)?;
                if v.value() <= cutoff {
                    due.push(k.value());
                }
                if due.len() == 4096 {
                    break;
                }
            }
            Ok(due)
        })?;
        if due.is_empty() {
            return Ok(0);
        }
        let blobs = self.blobs.clone();
        let ids = due.clone();
        tokio::task::spawn_blocking(move || ids.iter().try_for_each(|id| blobs.remove(BlobId(*id))))
            .await
            .map_err(|e| StoreError::io("gc", std::io::Error::other(e)))??;
        let n = due.len();
        self.meta
            .write(move |txn| {
                let mut t = txn.open_table(GC_QUEUE).map_err(meta)?;
                for id in due {
                    t.remove(id).map_err(meta)?;
                }
                Ok(())
            })
            .await?;
        Ok(n)
    }

    /// Blobs waiting in the GC queue (for tests and metrics).
    pub fn gc_backlog(&self) -> StoreResult<u64> {
        self.meta
            .read(|txn| txn.open_table(GC_QUEUE).map_err(meta)?.len().map_err(meta))
    }

    /// Runs the GC worker until the store is dropped by everyone else.
    pub fn spawn_gc(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(store) = weak.upgrade() else { return };
                match store.collect_garbage().await {
                    Ok(n) if n > 0 => tracing::debug!(removed = n, "gc"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "gc pass failed"),
                }
                let wake = async {
                    store.gc_wake.notified().await;
                    // Let the grace period pass for what was just queued.
                    tokio::time::sleep(Duration::from_millis(GC_GRACE_MS as u64 + 100)).await;
                };
                tokio::select! {
                    () = wake => {}
                    () = tokio::time::sleep(Duration::from_secs(30)) => {}
                }
                drop(store);
            }
        })
    }

    /// Data folder layout, for operators' docs and tests.
    pub fn blob_path(&self, id: BlobId) -> PathBuf {
        self.blobs.path(id)
    }
}

/// Stamps a new data folder with [`FORMAT_VERSION`]; refuses one stamped with another, or an
/// unstamped one that already holds buckets (written before the stamp existed).
fn check_format(meta_store: &MetaStore) -> StoreResult<()> {
    meta_store.write_now(|txn| {
        let mut info = txn.open_table(STORE_INFO).map_err(meta)?;
        let found = info.get("format").map_err(meta)?.map(|v| v.value());
        let found = match found {
            Some(v) => v,
            None if txn.open_table(BUCKETS).map_err(meta)?.is_empty().map_err(meta)? => {
                info.insert("format", FORMAT_VERSION).map_err(meta)?;
                FORMAT_VERSION
            }
            None => 1,
        };
        if found != FORMAT_VERSION {
            return Err(StoreError::UnsupportedFormat {
                found,
                expected: FORMAT_VERSION,
            });
        }
        Ok(())
    })
}

fn take_lock(dir: &Path) -> StoreResult<File> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let path = dir.join("LOCK");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(crate::PRIVATE_FILE_MODE)
        .open(&path)
        .map_err(|e| StoreError::io(&path, e))?;
    // SAFETY: flock only reads its two integer arguments; the descriptor is ours and open.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        return Err(StoreError::Locked(dir.to_path_buf()));
    }
    Ok(file)
}

fn require_bucket(txn: &WriteTransaction, bucket: &str) -> StoreResult<()> {
    let t = txn.open_table(BUCKETS).map_err(meta)?;
    if t.get(bucket).map_err(meta)?.is_none() {
        return Err(StoreError::NoSuchBucket(bucket.to_string()));
    }
    Ok(())
}

fn read_object(txn: &WriteTransaction, k: &[u8]) -> StoreResult<Option<ObjectVersion>> {
    let t = txn.open_table(OBJECTS).map_err(meta)?;
    t.get(k).map_err(meta)?.map(|v| decode(v.value())).transpose()
}

fn read_upload(txn: &impl ReadTables, bucket: &str, key: &str, upload_id: &str) -> StoreResult<MultipartUpload> {
    match txn.uploads_get(&upload_key(bucket, key, upload_id))? {
        Some(v) => decode(&v),
        None => Err(StoreError::NoSuchUpload {
            upload_id: upload_id.to_string(),
        }),
    }
}

fn read_parts(txn: &WriteTransaction, upload_id: &str) -> StoreResult<BTreeMap<u32, PartRecord>> {
    let t = txn.open_table(PARTS).map_err(meta)?;
    let start = part_key(upload_id, 0);
    let end = part_key(upload_id, u32::MAX);
    let mut parts = BTreeMap::new();
    for r in t.range::<&[u8]>(start.as_slice()..=end.as_slice()).map_err(meta)? {
        let p: PartRecord = decode(r.map_err(meta)?.1.value())?;
        parts.insert(p.part_number, p);
    }
    Ok(parts)
}

/// Deletes an upload and its parts, queueing every part's blob; returns how many.
fn remove_upload(txn: &WriteTransaction, upload: &MultipartUpload) -> StoreResult<usize> {
    let parts = read_parts(txn, &upload.upload_id)?;
    let mut t = txn.open_table(PARTS).map_err(meta)?;
    for n in parts.keys() {
        t.remove(part_key(&upload.upload_id, *n).as_slice()).map_err(meta)?;
    }
    drop(t);
    let mut uploads = txn.open_table(UPLOADS).map_err(meta)?;
    uploads
        .remove(upload_key(&upload.bucket, &upload.key, &upload.upload_id).as_slice())
        .map_err(meta)?;
    drop(uploads);
    let blobs: Vec<BlobId> = parts.values().map(|p| p.blob).collect();
    queue_garbage(txn, &blobs)?;
    Ok(blobs.len())
}

/// The blobs are now referenced by a record: their write intents are fulfilled.
fn settle_intents(txn: &WriteTransaction, blobs: &[BlobId]) -> StoreResult<()> {
    if blobs.is_empty() {
        return Ok(());
    }
    let mut t = txn.open_table(BLOB_INTENTS).map_err(meta)?;
    for id in blobs {
        t.remove(id.0).map_err(meta)?;
    }
    Ok(())
}

fn queue_garbage(txn: &WriteTransaction, blobs: &[BlobId]) -> StoreResult<()> {
    if blobs.is_empty() {
        return Ok(());
    }
    let mut t = txn.open_table(GC_QUEUE).map_err(meta)?;
    let now = now_ms();
    for id in blobs {
        t.insert(id.0, now).map_err(meta)?;
    }
    Ok(())
}

fn name_key(e: StoreError, bucket: &str, key: &str) -> StoreError {
    match e {
        StoreError::NoSuchKey { .. } => StoreError::NoSuchKey {
            bucket: bucket.to_string(),
            key: key.to_string(),
        },
        other => other,
    }
}

/// Point reads shared by read and write transactions.
trait ReadTables {
    fn uploads_get(&self, k: &[u8]) -> StoreResult<Option<Vec<u8>>>;
}

impl ReadTables for WriteTransaction {
    fn uploads_get(&self, k: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        let t = self.open_table(UPLOADS).map_err(meta)?;
        Ok(t.get(k).map_err(meta)?.map(|v| v.value().to_vec()))
    }
}

impl ReadTables for redb::ReadTransaction {
    fn uploads_get(&self, k: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        let t = self.open_table(UPLOADS).map_err(meta)?;
        Ok(t.get(k).map_err(meta)?.map(|v| v.value().to_vec()))
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{ContentHeaders, Extent, ObjectData, Owner};
    use crate::{ListEntry, ListQuery};

    fn owner() -> Owner {
        Owner {
            id: "o".into(),
            display_name: "root".into(),
        }
    }

    fn bucket(name: &str) -> BucketRecord {
        BucketRecord {
            name: name.into(),
            created_at_ms: 0,
            region: "us-east-1".into(),
            owner: owner(),
            tags: None,
            cors: None,
            versioning: Default::default(),
        }
    }

    fn version(etag: &str, data: ObjectData) -> ObjectVersion {
        ObjectVersion {
            version_id: None,
            is_delete_marker: false,
            size: 0,
            etag: etag.into(),
            last_modified_ms: 0,
            storage_class: "STANDARD".into(),
            owner: owner(),
            content: ContentHeaders::default(),
            user_metadata: vec![],
            tags: vec![],
            checksum: None,
            parts: vec![],
            data,
            encryption: None,
        }
    }

    fn inline(etag: &str) -> ObjectVersion {
        version(
            etag,
            ObjectData::Inline {
                bytes: vec![],
                crc32c: crate::crc32c(&[]),
            },
        )
    }

    fn names(page: &ListPage) -> Vec<String> {
        page.entries
            .iter()
            .map(|e| match e {
                ListEntry::Object { key, .. } => key.clone(),
                ListEntry::CommonPrefix(p) => format!("{p}*"),
            })
            .collect()
    }

    async fn store_with(keys: &[&str]) -> (tempfile::TempDir, Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.create_bucket(bucket("b")).await.unwrap();
        store.create_bucket(bucket("b2")).await.unwrap();
        for k in keys {
            store
                .put_object("b", k, inline("e"), WriteCondition::Always)
                .await
                .unwrap();
        }
        // A neighbouring bucket must never leak into listings of `b`.
        store
            .put_object("b2", "a", inline("e"), WriteCondition::Always)
            .await
            .unwrap();
        (dir, store)
    }

    fn query(prefix: &str, delimiter: Option<&str>, after: Option<&str>, max: usize) -> ListQuery {
        ListQuery {
            prefix: prefix.into(),
            delimiter: delimiter.map(str::to_string),
            start_after: after.map(str::to_string),
            max_keys: max,
        }
    }

    #[tokio::test]
    async fn list_with_delimiter_skips_whole_prefix() {
        let (_d, s) = store_with(&["a/1", "a/2", "a/3", "b", "c/x/1", "c/y", "d"]).await;
        let page = s.list_objects("b", &query("", Some("/"), None, 10)).unwrap();
        assert_eq!(names(&page), ["a/*", "b", "c/*", "d"]);
        assert!(!page.is_truncated);
        let page = s.list_objects("b", &query("c/", Some("/"), None, 10)).unwrap();
        assert_eq!(names(&page), ["c/x/*", "c/y"]);
    }

    #[tokio::test]
    async fn list_pages_resume_after_marker_and_inside_prefix() {
        let (_d, s) = store_with(&["a/1", "a/2", "b", "c"]).await;
        let page = s.list_objects("b", &query("", Some("/"), None, 1)).unwrap();
        assert_eq!(names(&page), ["a/*"]);
        assert_eq!(page.next_marker(), Some("a/"));
        let page = s.list_objects("b", &query("", Some("/"), Some("a/"), 10)).unwrap();
        assert_eq!(names(&page), ["b", "c"]);
        // A marker inside a common prefix does not repeat that prefix.
        let page = s.list_objects("b", &query("", Some("/"), Some("a/1"), 10)).unwrap();
        assert_eq!(names(&page), ["b", "c"]);
        let page = s.list_objects("b", &query("", None, Some("a/2"), 10)).unwrap();
        assert_eq!(names(&page), ["b", "c"]);
        let page = s.list_objects("b", &query("", None, None, 0)).unwrap();
        assert!(page.entries.is_empty() && !page.is_truncated);
    }

    #[tokio::test]
    async fn write_conditions_are_checked_inside_the_commit() {
        let (_d, s) = store_with(&[]).await;
        s.put_object("b", "k", inline("one"), WriteCondition::IfAbsent)
            .await
            .unwrap();
        let e = s
            .put_object("b", "k", inline("two"), WriteCondition::IfAbsent)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::PreconditionFailed(_)));
        let e = s
            .put_object("b", "k", inline("two"), WriteCondition::IfEtag("zzz".into()))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::PreconditionFailed(_)));
        s.put_object("b", "k", inline("two"), WriteCondition::IfEtag("one".into()))
            .await
            .unwrap();
        assert_eq!(s.get_object("b", "k").unwrap().etag, "two");
        let e = s
            .put_object("b", "absent", inline("x"), WriteCondition::IfEtag("one".into()))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NoSuchKey { .. }));
    }

    async fn blob(s: &Store, bytes: &[u8]) -> Extent {
        let mut w = s.begin_blob(HeadCaching::Cached).await.unwrap();
        w.write(bytes).unwrap();
        let (blob, len) = w.finish().unwrap();
        Extent { blob, len }
    }

    #[tokio::test]
    async fn overwritten_blobs_are_collected_after_grace() {
        let (_d, s) = store_with(&[]).await;
        let first = blob(&s, b"first").await;
        s.put_object(
            "b",
            "k",
            version("1", ObjectData::Extents(vec![first])),
            WriteCondition::Always,
        )
        .await
        .unwrap();
        let second = blob(&s, b"second").await;
        s.put_object(
            "b",
            "k",
            version("2", ObjectData::Extents(vec![second])),
            WriteCondition::Always,
        )
        .await
        .unwrap();
        assert_eq!(s.gc_backlog().unwrap(), 1);
        // Still inside the grace period: the old file stays for readers that just looked it up.
        assert_eq!(s.collect_garbage().await.unwrap(), 0);
        assert!(s.blob_path(first.blob).exists());
        tokio::time::sleep(Duration::from_millis(GC_GRACE_MS as u64 + 50)).await;
        assert_eq!(s.collect_garbage().await.unwrap(), 1);
        assert!(!s.blob_path(first.blob).exists());
        assert!(s.blob_path(second.blob).exists());
        assert_eq!(s.gc_backlog().unwrap(), 0);
    }

    #[tokio::test]
    async fn unfinished_blob_writes_are_reclaimed_on_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let orphan;
        {
            let s = Store::open(dir.path()).unwrap();
            let mut w = s.begin_blob(HeadCaching::Cached).await.unwrap();
            w.write(b"never committed").unwrap();
            orphan = w.id();
            w.finish().unwrap();
            // No record references it: as if the process died here.
        }
        let s = Store::open(dir.path()).unwrap();
        assert!(s.blob_path(orphan).exists());
        assert_eq!(s.gc_backlog().unwrap(), 1);
        assert_eq!(s.collect_garbage().await.unwrap(), 1);
        assert!(!s.blob_path(orphan).exists());
    }

    #[tokio::test]
    async fn second_open_of_the_same_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _s = Store::open(dir.path()).unwrap();
        assert!(matches!(Store::open(dir.path()), Err(StoreError::Locked(_))));
    }

    #[tokio::test]
    async fn a_folder_of_another_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        // Reopening our own format works.
        drop(Store::open(dir.path()).unwrap());
        {
            let db = redb::Database::open(dir.path().join("meta.redb")).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(STORE_INFO).unwrap().insert("format", 1).unwrap();
            txn.commit().unwrap();
        }
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::UnsupportedFormat {
                found: 1,
                expected: FORMAT_VERSION
            })
        ));
    }

    #[tokio::test]
    async fn group_commit_batches_concurrent_writes() {
        let (_d, s) = store_with(&[]).await;
        let writes: Vec<_> = (0..200)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.put_object("b", &format!("k{i:03}"), inline("e"), WriteCondition::Always)
                        .await
                })
            })
            .collect();
        for w in writes {
            w.await.unwrap().unwrap();
        }
        let page = s.list_objects("b", &query("", None, None, 1000)).unwrap();
        assert_eq!(page.entries.len(), 200);
    }
}
