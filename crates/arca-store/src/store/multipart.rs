//! Multipart uploads: create, parts, list, complete, abort.

use std::collections::{BTreeMap, HashSet};
use std::ops::{Bound, ControlFlow};

use super::Store;
use super::records::{queue_garbage, read_parts, read_upload, remove_upload, replace_blobs, require_bucket};
use super::versions::{current_for_write, install};
use crate::blob::{BlobId, BlobRef};
use crate::error::{StoreError, StoreResult};
use crate::kv::{Direction, prefix_end, range_from};
use crate::record::{MultipartUpload, ObjectVersion, PartRecord, decode, encode};
use crate::store::WriteCondition;
use crate::tables::{GC_QUEUE, PARTS, UPLOADS, blob_key, object_key, part_key, upload_key};

/// A page of multipart uploads.
#[derive(Debug, Default)]
pub struct UploadPage {
    /// Uploads, in (key, upload id) order.
    pub uploads: Vec<MultipartUpload>,
    /// Prefixes that group keys, with a delimiter.
    pub common_prefixes: Vec<String>,
    /// More follow.
    pub is_truncated: bool,
}

/// What ListMultipartUploads asks for.
#[derive(Debug, Clone, Default)]
pub struct UploadQuery {
    /// Only keys that start with this.
    pub prefix: String,
    /// Group keys by what follows the prefix up to this string.
    pub delimiter: Option<String>,
    /// With `upload_id_marker`: resume after that upload; alone: after every upload of keys
    /// up to and including this one.
    pub key_marker: Option<String>,
    /// See `key_marker`; ignored without it.
    pub upload_id_marker: Option<String>,
    /// At most this many entries (uploads and common prefixes together).
    pub max_uploads: usize,
}

impl Store {
    /// Records a new multipart upload.
    pub async fn create_upload(&self, upload: MultipartUpload) -> StoreResult<()> {
        let value = encode(&upload)?;
        self.meta
            .write(move |txn| {
                require_bucket(txn, &upload.bucket)?;
                txn.put(
                    UPLOADS,
                    &upload_key(&upload.bucket, &upload.key, &upload.upload_id),
                    &value,
                )?;
                Ok(())
            })
            .await
    }

    /// The upload `upload_id` of `bucket`/`key`; `NoSuchUpload` when it is not in progress.
    pub fn get_upload(&self, bucket: &str, key: &str, upload_id: &str) -> StoreResult<MultipartUpload> {
        self.meta.read(|txn| read_upload(txn, bucket, key, upload_id))
    }

    /// Stores (or replaces) one part; a replaced part's blob goes to the GC queue.
    pub async fn put_part(&self, bucket: &str, key: &str, upload_id: &str, part: PartRecord) -> StoreResult<()> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        let value = encode(&part)?;
        let freed = self
            .meta
            .write(move |txn| {
                if txn.get(UPLOADS, &upload_key(&bucket, &key, &upload_id))?.is_none() {
                    // Aborted while the part was uploading: its blob is garbage now.
                    return Err(StoreError::NoSuchUpload { upload_id });
                }
                let old = txn
                    .put(PARTS, &part_key(&upload_id, part.part_number), &value)?
                    .map(|v| decode::<PartRecord>(&v))
                    .transpose()?;
                let old: Vec<BlobRef> = old.map(|p| p.blob_ref()).into_iter().collect();
                replace_blobs(txn, &[part.blob_ref()], &old)
            })
            .await?;
        if freed {
            self.wake_jobs();
        }
        Ok(())
    }

    /// Parts of an upload with numbers greater than `after`, at most `max`; and whether more
    /// follow.
    pub fn list_parts(&self, upload_id: &str, after: u32, max: usize) -> StoreResult<(Vec<PartRecord>, bool)> {
        self.meta.read(|txn| {
            let start = part_key(upload_id, after.saturating_add(1));
            let end = part_key(upload_id, u32::MAX);
            let mut out = Vec::new();
            let mut more = false;
            let range = (Bound::Included(start.as_slice()), Bound::Included(end.as_slice()));
            txn.scan(PARTS, range, Direction::Forward, &mut |_, v| {
                if out.len() == max {
                    more = true;
                    return Ok(ControlFlow::Break(()));
                }
                out.push(decode(v)?);
                Ok(ControlFlow::Continue(()))
            })?;
            Ok((out, more))
        })
    }

    /// Multipart uploads of a bucket in (key, upload id) order, after the query's markers.
    ///
    /// Like object listing, a range scan that seeks past each common prefix once it is
    /// emitted, so a folder of many uploads costs one step.
    pub fn list_uploads(&self, bucket: &str, q: &UploadQuery) -> StoreResult<UploadPage> {
        self.meta.read(|txn| {
            require_bucket(txn, bucket)?;
            let bucket_start = object_key(bucket, "").len();
            let range_start = object_key(bucket, &q.prefix);
            let range_end = prefix_end(&range_start);
            let mut lower = Bound::Included(range_start.clone());
            if let Some(km) = q.key_marker.as_deref().filter(|km| *km >= q.prefix.as_str()) {
                lower = match q.upload_id_marker.as_deref() {
                    Some(im) => Bound::Excluded(upload_key(bucket, km, im)),
                    // Past `km \0 …`: keys hold no NUL, so `km \x01` precedes every longer key.
                    None => Bound::Included([object_key(bucket, km).as_slice(), &[1]].concat()),
                };
            }
            let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
            let mut page = UploadPage::default();
            if q.max_uploads == 0 {
                return Ok(page);
            }
            loop {
                let mut seek_to: Option<Vec<u8>> = None;
                txn.scan(
                    UPLOADS,
                    range_from(&lower, &range_end),
                    Direction::Forward,
                    &mut |raw, v| {
                        let rest = &raw[bucket_start..];
                        let key_len = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
                        let key = std::str::from_utf8(&rest[..key_len]).unwrap_or_default();
                        let full = page.uploads.len() + page.common_prefixes.len() == q.max_uploads;
                        if let Some(d) = delimiter
                            && let Some(pos) = key[q.prefix.len()..].find(d)
                        {
                            let common = &key[..q.prefix.len() + pos + d.len()];
                            // A marker inside this prefix means the prefix was already returned.
                            let already = q.key_marker.as_deref().is_some_and(|m| m.starts_with(common));
                            if !already {
                                if full {
                                    page.is_truncated = true;
                                    return Ok(ControlFlow::Break(()));
                                }
                                page.common_prefixes.push(common.to_string());
                            }
                            seek_to = prefix_end(&object_key(bucket, common));
                            return Ok(ControlFlow::Break(()));
                        }
                        if full {
                            page.is_truncated = true;
                            return Ok(ControlFlow::Break(()));
                        }
                        page.uploads.push(decode(v)?);
                        Ok(ControlFlow::Continue(()))
                    },
                )?;
                match seek_to {
                    Some(next) if !page.is_truncated => lower = Bound::Included(next),
                    _ => return Ok(page),
                }
            }
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
                let mut version = build(&upload, &parts)?;
                let (state, current) = current_for_write(txn, &bucket, &key, &condition)?;
                let used: HashSet<BlobId> = version.blobs().into_iter().map(|b| b.id).collect();
                remove_upload(txn, &upload)?;
                // remove_upload queued every part's blob; keep the ones the object now owns.
                for id in &used {
                    txn.delete(GC_QUEUE, &blob_key(*id))?;
                }
                let (id, garbage) = install(txn, state, (&bucket, &key), current, version.clone(), None)?;
                queue_garbage(txn, &garbage)?;
                version.version_id = id;
                Ok(version)
            })
            .await?;
        self.wake_jobs();
        Ok(version)
    }

    /// Removes an upload and its parts; their blobs go to the GC queue.
    pub async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> StoreResult<()> {
        let (bucket, key, upload_id) = (bucket.to_string(), key.to_string(), upload_id.to_string());
        self.meta
            .write(move |txn| {
                let upload = read_upload(txn, &bucket, &key, &upload_id)?;
                remove_upload(txn, &upload)
            })
            .await?;
        self.wake_jobs();
        Ok(())
    }
}
