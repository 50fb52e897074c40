//! Listing every version of a bucket's keys (ListObjectVersions), in S3's order: keys in
//! UTF-8 binary order, each key's versions newest first, delete markers among them.
//!
//! A key's current version is in `objects` and its other versions in `versions`, so the walk
//! goes key by key: the next key is the smaller of the next key in either table (one seek
//! each), then the key's versions are its current one followed by one range scan of its
//! `versions` rows. A common prefix costs one seek past it, as in [`list`](crate::list). The
//! cost is proportional to what the page returns.

use std::ops::{Bound, ControlFlow};

use crate::error::StoreResult;
use crate::kv::{Direction, KvRead, prefix_end, range_from};
use crate::record::{ObjectVersion, decode};
use crate::tables::{OBJECTS, VERSIONS, object_key, split_version_key, version_prefix};

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct VersionQuery {
    /// Only keys that start with this.
    pub prefix: String,
    /// Group keys by what follows the prefix up to this string (usually `/`).
    pub delimiter: Option<String>,
    /// Resume after this key (all of its versions, unless `version_id_marker` is given).
    pub key_marker: Option<String>,
    /// With `key_marker`: resume after this version of that key (`null` for the null one).
    pub version_id_marker: Option<String>,
    /// At most this many entries (versions, delete markers and common prefixes together).
    pub max_keys: usize,
}

/// One listed item, in S3's order.
#[derive(Debug, Clone)]
pub enum VersionEntry {
    /// A version or a delete marker.
    Version {
        /// Its key.
        key: String,
        /// The version (`is_delete_marker` says which kind).
        version: Box<ObjectVersion>,
        /// Whether it is the key's newest version.
        is_latest: bool,
    },
    /// Every key under this prefix, up to and including the delimiter, as one entry.
    CommonPrefix(String),
}

/// A page of versions.
#[derive(Debug, Clone, Default)]
pub struct VersionPage {
    /// What was found.
    pub entries: Vec<VersionEntry>,
    /// More entries follow: ask again with the next markers.
    pub is_truncated: bool,
    /// When truncated: the key marker to resume with.
    pub next_key_marker: Option<String>,
    /// When truncated after a version: the version id marker to resume with (`null` for the
    /// null version).
    pub next_version_id_marker: Option<String>,
}

/// The smallest key at or after `lower` (below `end`) in `objects` and `versions`.
fn next_key(
    txn: &dyn KvRead,
    bucket: &str,
    lower: &Bound<Vec<u8>>,
    end: &Option<Vec<u8>>,
) -> StoreResult<Option<String>> {
    let bucket_start = object_key(bucket, "").len();
    let mut found: Option<String> = None;
    txn.scan(OBJECTS, range_from(lower, end), Direction::Forward, &mut |k, _| {
        found = std::str::from_utf8(&k[bucket_start..]).ok().map(str::to_string);
        Ok(ControlFlow::Break(()))
    })?;
    txn.scan(VERSIONS, range_from(lower, end), Direction::Forward, &mut |k, _| {
        if let Some((key, _)) = split_version_key(bucket, k)
            && found.as_deref().is_none_or(|f| key < f)
        {
            found = Some(key.to_string());
        }
        Ok(ControlFlow::Break(()))
    })?;
    Ok(found)
}

/// The key's versions, newest first: its current one, then its `versions` rows.
fn versions_of(txn: &dyn KvRead, bucket: &str, key: &str) -> StoreResult<Vec<ObjectVersion>> {
    let mut out = Vec::new();
    txn.get_with(OBJECTS, &object_key(bucket, key), &mut |v| {
        out.push(decode(v)?);
        Ok(())
    })?;
    crate::store::versions::scan_versions(txn, bucket, key, &mut |_, v| {
        out.push(decode(v)?);
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(out)
}

/// The first key after `key` in either table: past every row of `key` in both.
fn after_key(bucket: &str, key: &str) -> Vec<u8> {
    // `bucket \0 key \1` sorts after `bucket \0 key` and all of `bucket \0 key \0 …`, and
    // before any longer key (keys hold no NUL, so the next byte of a longer one is ≥ 1).
    let mut k = version_prefix(bucket, key);
    *k.last_mut().expect("a version prefix ends with NUL") = 1;
    k
}

pub(crate) fn list_versions(txn: &dyn KvRead, bucket: &str, q: &VersionQuery) -> StoreResult<VersionPage> {
    let range_start = object_key(bucket, &q.prefix);
    let range_end = prefix_end(&range_start);
    let mut lower = Bound::Included(range_start);
    // Resuming inside a key: its versions older than the marker's come first.
    let mut resume_in: Option<(&str, &str)> = None;
    if let Some(marker) = q.key_marker.as_deref().filter(|m| *m >= q.prefix.as_str()) {
        match q.version_id_marker.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => {
                resume_in = Some((marker, v));
                lower = Bound::Included(object_key(bucket, marker));
            }
            None => lower = Bound::Included(after_key(bucket, marker)),
        }
    }
    let mut page = VersionPage::default();
    if q.max_keys == 0 {
        return Ok(page);
    }
    let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
    while let Some(key) = next_key(txn, bucket, &lower, &range_end)? {
        if let Some(d) = delimiter
            && let Some(pos) = key[q.prefix.len()..].find(d)
        {
            let common = key[..q.prefix.len() + pos + d.len()].to_string();
            let already = q.key_marker.as_deref().is_some_and(|m| m.starts_with(&common));
            if !already {
                if page.entries.len() == q.max_keys {
                    page.is_truncated = true;
                    return Ok(page);
                }
                page.next_key_marker = Some(common.clone());
                page.next_version_id_marker = None;
                page.entries.push(VersionEntry::CommonPrefix(common.clone()));
            }
            match prefix_end(&object_key(bucket, &common)) {
                Some(next) => lower = Bound::Included(next),
                None => break,
            }
            continue;
        }
        let versions = versions_of(txn, bucket, &key)?;
        // Inside the marker's key, skip up to and including the marker's version.
        let skip = match resume_in.take() {
            Some((marker, id)) if marker == key => {
                let wanted = (id != "null").then_some(id);
                versions
                    .iter()
                    .position(|v| v.version_id.as_deref() == wanted)
                    .map_or(0, |i| i + 1)
            }
            _ => 0,
        };
        for (i, version) in versions.into_iter().enumerate().skip(skip) {
            if page.entries.len() == q.max_keys {
                page.is_truncated = true;
                return Ok(page);
            }
            page.next_key_marker = Some(key.clone());
            page.next_version_id_marker = Some(version.version_id.clone().unwrap_or_else(|| "null".into()));
            page.entries.push(VersionEntry::Version {
                key: key.clone(),
                version: Box::new(version),
                is_latest: i == 0,
            });
        }
        lower = Bound::Included(after_key(bucket, &key));
    }
    page.next_key_marker = None;
    page.next_version_id_marker = None;
    Ok(page)
}
