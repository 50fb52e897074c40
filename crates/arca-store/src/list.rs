//! Listing as an ordered range scan over the `objects` table.
//!
//! The scan starts at `max(prefix, start_after)` and stops at the end of the prefix range, so
//! its cost is proportional to what it returns. With a delimiter, the first key under a common
//! prefix emits that prefix and the scan then seeks straight past every key that shares it: a
//! folder of a million keys costs one seek, not a million steps.

use redb::ReadTransaction;

use crate::error::{StoreResult, meta};
use crate::meta::{OBJECTS, object_key, prefix_end};
use crate::record::{ObjectVersion, decode};

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Exclusive: list keys strictly after this one (marker, start-after or continuation).
    pub start_after: Option<String>,
    pub max_keys: usize,
}

/// One listed item, in key order.
#[derive(Debug, Clone)]
pub enum ListEntry {
    Object { key: String, version: Box<ObjectVersion> },
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
    pub entries: Vec<ListEntry>,
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

pub(crate) fn list_objects(txn: &ReadTransaction, bucket: &str, q: &ListQuery) -> StoreResult<ListPage> {
    let table = txn.open_table(OBJECTS).map_err(meta)?;
    let bucket_start = object_key(bucket, "");
    let range_start = object_key(bucket, &q.prefix);
    let range_end = prefix_end(&range_start);
    let mut lower = range_start.clone();
    let mut lower_inclusive = true;
    if let Some(after) = &q.start_after
        && after.as_str() >= q.prefix.as_str()
    {
        lower = object_key(bucket, after);
        lower_inclusive = false;
    }
    let mut page = ListPage::default();
    if q.max_keys == 0 {
        return Ok(page);
    }
    let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
    'seek: loop {
        if lower.as_slice() >= range_end.as_slice() {
            return Ok(page);
        }
        let range = table
            .range::<&[u8]>(lower.as_slice()..range_end.as_slice())
            .map_err(meta)?;
        for item in range {
            let (k, v) = item.map_err(meta)?;
            let raw = k.value();
            if !lower_inclusive && raw == lower.as_slice() {
                continue;
            }
            let key = std::str::from_utf8(&raw[bucket_start.len()..]).unwrap_or_default();
            if let Some(d) = delimiter
                && let Some(pos) = key[q.prefix.len()..].find(d)
            {
                let common = &key[..q.prefix.len() + pos + d.len()];
                // A marker inside this prefix means the prefix was already returned.
                let already = q.start_after.as_deref().is_some_and(|s| s.starts_with(common));
                if !already {
                    if page.entries.len() == q.max_keys {
                        page.is_truncated = true;
                        return Ok(page);
                    }
                    page.entries.push(ListEntry::CommonPrefix(common.to_string()));
                }
                // Seek past every key under `common`.
                lower = prefix_end(&object_key(bucket, common));
                lower_inclusive = true;
                continue 'seek;
            }
            if page.entries.len() == q.max_keys {
                page.is_truncated = true;
                return Ok(page);
            }
            page.entries.push(ListEntry::Object {
                key: key.to_string(),
                version: Box::new(decode(v.value())?),
            });
        }
        return Ok(page);
    }
}
