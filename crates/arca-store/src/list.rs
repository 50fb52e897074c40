//! Listing as an ordered range scan over the `objects` table.
//!
//! The scan starts at `max(prefix, start_after)` and stops at the end of the prefix range, so
//! its cost is proportional to what it returns. With a delimiter, the first key under a common
//! prefix emits that prefix and the scan then seeks straight past every key that shares it: a
//! folder of a million keys costs one seek, not a million steps.

use std::ops::{Bound, ControlFlow};

use crate::error::StoreResult;
use crate::kv::{Direction, KvRead, prefix_end, range_from};
use crate::record::{ListedVersion, decode};
use crate::tables::{OBJECTS, object_key};

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only keys that start with this.
    pub prefix: String,
    /// Group keys by what follows the prefix up to this string (usually `/`).
    pub delimiter: Option<String>,
    /// Exclusive: list keys strictly after this one (marker, start-after or continuation).
    pub start_after: Option<String>,
    /// At most this many entries (objects and common prefixes together).
    pub max_keys: usize,
}

/// One listed item, in key order.
#[derive(Debug, Clone)]
pub enum ListEntry {
    /// An object.
    Object {
        /// Its key.
        key: String,
        /// What a listing shows of its current version.
        version: ListedVersion,
    },
    /// Every key under this prefix, up to and including the delimiter, as one entry.
    CommonPrefix(String),
}

impl ListEntry {
    /// The key or prefix this entry sorts by.
    pub fn name(&self) -> &str {
        match self {
            ListEntry::Object { key, .. } => key,
            ListEntry::CommonPrefix(p) => p,
        }
    }
}

/// A page of results.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    /// What was found, in key order.
    pub entries: Vec<ListEntry>,
    /// More entries follow: ask again after [`ListPage::next_marker`].
    pub is_truncated: bool,
}

impl ListPage {
    /// Where the next page starts (exclusive), when truncated.
    pub fn next_marker(&self) -> Option<&str> {
        if self.is_truncated {
            self.entries.last().map(ListEntry::name)
        } else {
            None
        }
    }
}

pub(crate) fn list_objects(txn: &dyn KvRead, bucket: &str, q: &ListQuery) -> StoreResult<ListPage> {
    let bucket_start = object_key(bucket, "").len();
    let range_start = object_key(bucket, &q.prefix);
    let range_end = prefix_end(&range_start);
    let mut lower = Bound::Included(range_start);
    if let Some(after) = &q.start_after
        && after.as_str() >= q.prefix.as_str()
    {
        lower = Bound::Excluded(object_key(bucket, after));
    }
    let mut page = ListPage::default();
    if q.max_keys == 0 {
        return Ok(page);
    }
    let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
    loop {
        let mut seek_to: Option<Vec<u8>> = None;
        txn.scan(
            OBJECTS,
            range_from(&lower, &range_end),
            Direction::Forward,
            &mut |raw, v| {
                let key = std::str::from_utf8(&raw[bucket_start..]).unwrap_or_default();
                let full = page.entries.len() == q.max_keys;
                if let Some(d) = delimiter
                    && let Some(pos) = key[q.prefix.len()..].find(d)
                {
                    let common = &key[..q.prefix.len() + pos + d.len()];
                    // A marker inside this prefix means the prefix was already returned.
                    let already = q.start_after.as_deref().is_some_and(|s| s.starts_with(common));
                    if !already {
                        if full {
                            page.is_truncated = true;
                            return Ok(ControlFlow::Break(()));
                        }
                        page.entries.push(ListEntry::CommonPrefix(common.to_string()));
                    }
                    // Seek past every key under `common`.
                    seek_to = prefix_end(&object_key(bucket, common));
                    return Ok(ControlFlow::Break(()));
                }
                if full {
                    page.is_truncated = true;
                    return Ok(ControlFlow::Break(()));
                }
                page.entries.push(ListEntry::Object {
                    key: key.to_string(),
                    version: decode(v)?,
                });
                Ok(ControlFlow::Continue(()))
            },
        )?;
        match seek_to {
            Some(next) if !page.is_truncated => lower = Bound::Included(next),
            _ => return Ok(page),
        }
    }
}
