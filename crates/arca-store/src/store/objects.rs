//! Objects: read, write (conditionally), update in place, delete, list; and the blobs that
//! hold their bytes.

use super::Store;
use super::records::{queue_garbage, read_object, require_bucket, settle_intents};
use crate::blob::{BlobId, BlobRef, BlobSink, HeadCaching, TierId};
use crate::error::{StoreError, StoreResult};
use crate::list::{ListPage, ListQuery, list_objects};
use crate::record::{ObjectVersion, encode};
use crate::store::now_ms;
use crate::tables::{BLOB_INTENTS, OBJECTS, blob_key, blob_value, object_key};

impl Store {
    /// The current version of `key`; `NoSuchBucket` or `NoSuchKey` when absent.
    pub fn get_object(&self, bucket: &str, key: &str) -> StoreResult<ObjectVersion> {
        self.meta.read(|txn| {
            if let Some(v) = read_object(txn, &object_key(bucket, key))? {
                return Ok(v);
            }
            require_bucket(txn, bucket)?;
            Err(StoreError::NoSuchKey {
                bucket: bucket.to_string(),
                key: key.to_string(),
            })
        })
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
                txn.put(OBJECTS, &k, &encode(&version)?)?;
                Ok(version)
            })
            .await
    }

    /// A page of a bucket's keys (see [`ListQuery`]); `NoSuchBucket` when absent.
    pub fn list_objects(&self, bucket: &str, query: &ListQuery) -> StoreResult<ListPage> {
        self.meta.read(|txn| {
            require_bucket(txn, bucket)?;
            list_objects(txn, bucket, query)
        })
    }

    /// Records the intent to write a new blob (durably), then creates it. If the process
    /// dies before a record references the blob, the next start reclaims it.
    pub(crate) async fn begin_blob(&self, head: HeadCaching, tier: TierId) -> StoreResult<Box<dyn BlobSink>> {
        let blobs = self.tiers.get(tier)?.clone();
        let id = BlobId::random();
        self.meta
            .write(move |txn| {
                txn.put(BLOB_INTENTS, &blob_key(id), &blob_value(now_ms(), tier))?;
                Ok(())
            })
            .await?;
        blobs.create(id, head)
    }

    /// Gives up on a blob whose upload failed (bad digest, client went away).
    pub(crate) async fn discard_blob(&self, blob: BlobRef) -> StoreResult<()> {
        self.meta
            .write(move |txn| {
                settle_intents(txn, &[blob])?;
                queue_garbage(txn, &[blob])
            })
            .await?;
        self.wake_jobs();
        Ok(())
    }
}
