//! The metadata seam: an ordered key-value store with transactions, and its adapters.
//!
//! Everything the store keeps besides object bytes — buckets, object records, uploads, parts,
//! the GC queue — lives in named [`Table`]s of byte keys and byte values, read and written
//! through the three small traits here. [`Store`](crate::Store) is written against them and
//! never sees an engine's own types, so an engine is one file: [`redb`] (the embedded
//! default) and [`memory`] (for tests) today; a PostgreSQL-wire or distributed-KV adapter
//! (TiKV, FoundationDB) for scale-out later. Every adapter must pass [`conformance`].
//!
//! ## The contract
//! - Keys sort by unsigned byte order (`memcmp`), shorter first on a common prefix. The empty
//!   key is a valid key; values may be empty.
//! - A table that was never written reads as empty; the first write creates it.
//! - A read transaction sees one consistent snapshot: nothing committed after it began, all
//!   that committed before.
//! - A write transaction sees its own writes. Its changes become visible to readers, and
//!   durable, atomically when [`KvWriteTxn::commit`] returns `Ok`; after a crash the engine
//!   shows the last committed transaction and never part of one. Dropping or aborting a write
//!   transaction discards it.
//! - Write transactions are serialised: the engine runs one at a time (group commit in
//!   [`MetaStore`](crate::meta::MetaStore) batches many requests into each).

pub mod conformance;
pub mod fault;
pub mod memory;
pub mod redb;

use std::ops::Bound;

use crate::error::StoreResult;

/// A named, ordered map of byte keys to byte values.
///
/// Names are `'static` because tables are part of the format: each is declared once, in
/// [`tables`](crate::tables), with what its keys and values hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Table(pub &'static str);

impl Table {
    /// The table's name, as engines store it.
    pub fn name(self) -> &'static str {
        self.0
    }
}

/// Which way a scan walks its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Ascending key order.
    Forward,
    /// Descending key order.
    Reverse,
}

/// A range of keys: lower and upper bound, as in `std::ops::RangeBounds`.
pub type KeyRange<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

/// Whether a scan should go on after the entry just visited.
pub type Flow = std::ops::ControlFlow<()>;

/// Called with each entry of a scan; borrows the engine's buffers, so it copies what it keeps.
pub type Visit<'v> = dyn FnMut(&[u8], &[u8]) -> StoreResult<Flow> + 'v;

/// Reads: what both read and write transactions offer.
pub trait KvRead {
    /// Calls `visit` with the value stored under `key`, borrowed from the engine: a read that
    /// decodes a record need not copy it first. Returns whether the key was there.
    fn get_with(&self, table: Table, key: &[u8], visit: &mut dyn FnMut(&[u8]) -> StoreResult<()>) -> StoreResult<bool>;

    /// The value stored under `key`, copied.
    fn get(&self, table: Table, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        let mut value = None;
        self.get_with(table, key, &mut |v| {
            value = Some(v.to_vec());
            Ok(())
        })?;
        Ok(value)
    }

    /// Visits the entries whose keys fall in `range`, in `direction` order, until `visit`
    /// returns [`Flow::Break`] or the range ends.
    fn scan(&self, table: Table, range: KeyRange<'_>, direction: Direction, visit: &mut Visit<'_>) -> StoreResult<()>;

    /// How many entries the table holds.
    fn count(&self, table: Table) -> StoreResult<u64>;
}

/// Writes, inside a write transaction.
pub trait KvWrite: KvRead {
    /// Stores `value` under `key`; returns the value it replaced.
    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> StoreResult<Option<Vec<u8>>>;

    /// Removes `key`; returns the value it held.
    fn delete(&mut self, table: Table, key: &[u8]) -> StoreResult<Option<Vec<u8>>>;
}

/// A write transaction that can end.
pub trait KvWriteTxn: KvWrite {
    /// Makes every write of the transaction durable and visible, atomically.
    fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// An engine: a source of transactions.
pub trait KvEngine: Send + Sync + 'static {
    /// A read-only snapshot of the committed state.
    fn read(&self) -> StoreResult<Box<dyn KvRead + '_>>;

    /// A new write transaction. Engines may block until the previous one ends.
    fn write(&self) -> StoreResult<Box<dyn KvWriteTxn + '_>>;
}

/// The first key after every key that starts with `prefix`, as an exclusive upper bound;
/// `None` when no such key exists (an empty or all-`0xFF` prefix).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The range from `lower` (owned, as a resumable scan keeps it) up to `end`, the exclusive
/// end of a prefix from [`prefix_end`] (`None`: unbounded).
pub fn range_from<'a>(lower: &'a Bound<Vec<u8>>, end: &'a Option<Vec<u8>>) -> KeyRange<'a> {
    let lo = match lower {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    };
    (lo, end.as_deref().map_or(Bound::Unbounded, Bound::Excluded))
}

/// The range of every key that starts with `prefix`.
pub fn prefix_range<'a>(prefix: &'a [u8], end: &'a Option<Vec<u8>>) -> KeyRange<'a> {
    (
        Bound::Included(prefix),
        end.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xFF"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xFF\xFF"), None);
        assert_eq!(prefix_end(b""), None);
    }
}
