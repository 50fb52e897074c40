//! Reads and writes of whole records inside a transaction, shared by the store's operations.
//! Each takes the narrowest transaction it needs: `&dyn KvRead` works in both kinds.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use crate::blob::BlobRef;
use crate::error::{StoreError, StoreResult};
use serde::de::DeserializeOwned;

use crate::kv::{Direction, KvRead, KvWrite, Table, prefix_end, prefix_range};
use crate::record::{MultipartUpload, ObjectVersion, PartRecord, decode};
use crate::store::now_ms;
use crate::tables::{
    BLOB_INTENTS, BUCKETS, GC_QUEUE, OBJECTS, PARTS, UPLOADS, blob_key, blob_value, part_key, upload_key,
};

pub(crate) fn require_bucket(txn: &dyn KvRead, bucket: &str) -> StoreResult<()> {
    match txn.get(BUCKETS, bucket.as_bytes())? {
        Some(_) => Ok(()),
        None => Err(StoreError::NoSuchBucket(bucket.to_string())),
    }
}

/// The object record under the encoded key `k` (see [`object_key`]).
pub(crate) fn read_object(txn: &dyn KvRead, k: &[u8]) -> StoreResult<Option<ObjectVersion>> {
    let mut version = None;
    txn.get_with(OBJECTS, k, &mut |v| {
        version = Some(decode(v)?);
        Ok(())
    })?;
    Ok(version)
}

pub(crate) fn read_upload(txn: &dyn KvRead, bucket: &str, key: &str, upload_id: &str) -> StoreResult<MultipartUpload> {
    match txn.get(UPLOADS, &upload_key(bucket, key, upload_id))? {
        Some(v) => decode(&v),
        None => Err(StoreError::NoSuchUpload {
            upload_id: upload_id.to_string(),
        }),
    }
}

/// Every stored part of an upload, by part number.
pub(crate) fn read_parts(txn: &dyn KvRead, upload_id: &str) -> StoreResult<BTreeMap<u32, PartRecord>> {
    let start = part_key(upload_id, 0);
    let end = part_key(upload_id, u32::MAX);
    let mut parts = BTreeMap::new();
    let range = (
        std::ops::Bound::Included(start.as_slice()),
        std::ops::Bound::Included(end.as_slice()),
    );
    txn.scan(PARTS, range, Direction::Forward, &mut |_, v| {
        let p: PartRecord = decode(v)?;
        parts.insert(p.part_number, p);
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(parts)
}

/// Deletes an upload and its parts, queueing every part's blob; returns how many.
pub(crate) fn remove_upload(txn: &mut dyn KvWrite, upload: &MultipartUpload) -> StoreResult<usize> {
    let parts = read_parts(txn, &upload.upload_id)?;
    for n in parts.keys() {
        txn.delete(PARTS, &part_key(&upload.upload_id, *n))?;
    }
    txn.delete(UPLOADS, &upload_key(&upload.bucket, &upload.key, &upload.upload_id))?;
    let blobs: Vec<BlobRef> = parts.values().map(PartRecord::blob_ref).collect();
    queue_garbage(txn, &blobs)?;
    Ok(blobs.len())
}

/// The blobs are now referenced by a record: their write intents are fulfilled.
pub(crate) fn settle_intents(txn: &mut dyn KvWrite, blobs: &[BlobRef]) -> StoreResult<()> {
    for b in blobs {
        txn.delete(BLOB_INTENTS, &blob_key(b.id))?;
    }
    Ok(())
}

/// A record now names `new` blobs instead of `old` ones: settles the new ones' intents and
/// queues the old ones for GC; whether anything became garbage.
pub(crate) fn replace_blobs(txn: &mut dyn KvWrite, new: &[BlobRef], old: &[BlobRef]) -> StoreResult<bool> {
    settle_intents(txn, new)?;
    queue_garbage(txn, old)?;
    Ok(!old.is_empty())
}

pub(crate) fn queue_garbage(txn: &mut dyn KvWrite, blobs: &[BlobRef]) -> StoreResult<()> {
    if blobs.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    for b in blobs {
        txn.put(GC_QUEUE, &blob_key(b.id), &blob_value(now, b.tier))?;
    }
    Ok(())
}

/// Names the object in a `NoSuchKey` raised by a [`WriteCondition`](crate::WriteCondition).
pub(crate) fn name_key(e: StoreError, bucket: &str, key: &str) -> StoreError {
    match e {
        StoreError::NoSuchKey { .. } => StoreError::NoSuchKey {
            bucket: bucket.to_string(),
            key: key.to_string(),
        },
        other => other,
    }
}

/// Every record of `table` whose key starts with `prefix` (the whole table for an empty
/// one), decoded, in key order.
pub(crate) fn records_under<T: DeserializeOwned>(txn: &dyn KvRead, table: Table, prefix: &[u8]) -> StoreResult<Vec<T>> {
    let end = prefix_end(prefix);
    let mut records = Vec::new();
    txn.scan(table, prefix_range(prefix, &end), Direction::Forward, &mut |_, v| {
        records.push(decode(v)?);
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(records)
}
