//! Buckets: create, read, update, list, delete.

use std::ops::ControlFlow;

use super::Store;
use super::records::{remove_upload, require_bucket};
use crate::error::{StoreError, StoreResult};
use crate::kv::{Direction, prefix_end, prefix_range};
use crate::record::{BucketRecord, MultipartUpload, decode, encode};
use crate::tables::{BUCKETS, OBJECTS, UPLOADS, object_key};

impl Store {
    /// Creates a bucket; `BucketAlreadyOwnedByYou` or `BucketAlreadyExists` if the name is taken.
    pub async fn create_bucket(&self, record: BucketRecord) -> StoreResult<()> {
        let value = encode(&record)?;
        let access = super::bucket_mirrors::BucketAccess::of(&record);
        let name = record.name.clone();
        self.meta
            .write(move |txn| {
                if let Some(existing) = txn.get(BUCKETS, record.name.as_bytes())? {
                    let existing: BucketRecord = decode(&existing)?;
                    return Err(if existing.owner.id == record.owner.id {
                        StoreError::BucketAlreadyOwnedByYou(record.name)
                    } else {
                        StoreError::BucketAlreadyExists(record.name)
                    });
                }
                txn.put(BUCKETS, record.name.as_bytes(), &value)?;
                Ok(())
            })
            .await?;
        self.access
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name, access);
        Ok(())
    }

    /// The bucket's record; `NoSuchBucket` when absent.
    pub fn get_bucket(&self, name: &str) -> StoreResult<BucketRecord> {
        self.meta.read(|txn| match txn.get(BUCKETS, name.as_bytes())? {
            Some(v) => decode(&v),
            None => Err(StoreError::NoSuchBucket(name.to_string())),
        })
    }

    /// Every bucket, by name.
    pub fn list_buckets(&self) -> StoreResult<Vec<BucketRecord>> {
        self.meta.read(|txn| super::records::records_under(txn, BUCKETS, b""))
    }

    /// Changes a bucket's record (tags, CORS, …) atomically.
    pub async fn update_bucket<F>(&self, name: &str, f: F) -> StoreResult<BucketRecord>
    where
        F: FnOnce(&mut BucketRecord) + Send + 'static,
    {
        let outcome = self
            .update_bucket_checked(name, |record| {
                f(record);
                Ok::<(), std::convert::Infallible>(())
            })
            .await?;
        Ok(outcome.unwrap_or_else(|never| match never {}))
    }

    /// Changes a bucket's record through `f`, which may refuse (its error is returned and
    /// nothing is written): a check against the stored settings and the change in one commit.
    pub(crate) async fn update_bucket_checked<F, E>(&self, name: &str, f: F) -> StoreResult<Result<BucketRecord, E>>
    where
        F: FnOnce(&mut BucketRecord) -> Result<(), E> + Send + 'static,
        E: Send + 'static,
    {
        let name = name.to_string();
        self.meta
            .write(move |txn| {
                let mut record: BucketRecord = match txn.get(BUCKETS, name.as_bytes())? {
                    Some(v) => decode(&v)?,
                    None => return Err(StoreError::NoSuchBucket(name)),
                };
                if let Err(e) = f(&mut record) {
                    return Ok(Err(e));
                }
                txn.put(BUCKETS, name.as_bytes(), &encode(&record)?)?;
                Ok(Ok(record))
            })
            .await
    }

    /// Deletes an empty bucket. Multipart uploads still in progress are aborted with it.
    pub async fn delete_bucket(&self, bucket: &str) -> StoreResult<()> {
        let name = bucket.to_string();
        let freed = self
            .meta
            .write(move |txn| {
                require_bucket(txn, &name)?;
                let start = object_key(&name, "");
                let end = prefix_end(&start);
                let mut empty = true;
                txn.scan(OBJECTS, prefix_range(&start, &end), Direction::Forward, &mut |_, _| {
                    empty = false;
                    Ok(ControlFlow::Break(()))
                })?;
                if !empty || super::versions::has_noncurrent(txn, &name)? {
                    return Err(StoreError::BucketNotEmpty(name));
                }
                let mut uploads: Vec<MultipartUpload> = Vec::new();
                txn.scan(UPLOADS, prefix_range(&start, &end), Direction::Forward, &mut |_, v| {
                    uploads.push(decode(v)?);
                    Ok(ControlFlow::Continue(()))
                })?;
                let mut freed = 0;
                for u in uploads {
                    freed += remove_upload(txn, &u)?;
                }
                txn.delete(BUCKETS, name.as_bytes())?;
                Ok(freed)
            })
            .await?;
        self.forget_bucket_mirrors(bucket);
        if freed > 0 {
            self.wake_jobs();
        }
        Ok(())
    }
}
