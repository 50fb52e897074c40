//! The embedded engine: one [redb](https://docs.rs/redb) database file.
//!
//! Every [`Table`] is a redb table of `&[u8] → &[u8]` under the same name. redb's commit with
//! `Durability::Immediate` (its default) is atomic and durable when it returns, and a read
//! transaction is a snapshot: the [contract](super) holds by construction.
//!
//! Folders written before this adapter existed kept four tables with typed keys or values
//! (`buckets`, `blob_intents`, `gc_queue`, `store_info`); [`RedbEngine::open`] rewrites them
//! as byte tables once, in one transaction (see [`upgrade_typed_tables`]).

use std::path::Path;

use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableError,
    TableHandle, WriteTransaction,
};

use super::{Direction, KeyRange, KvEngine, KvRead, KvWrite, KvWriteTxn, Table, Visit};
use crate::error::{StoreError, StoreResult};

/// A redb database as a [`KvEngine`].
pub struct RedbEngine {
    db: Database,
}

impl RedbEngine {
    /// Opens (or creates, private to this user) the database file. `cache_bytes` bounds
    /// redb's page cache, which is most of the server's resident memory (redb's own default
    /// is 1 GiB).
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
            .map_err(engine)?;
        upgrade_typed_tables(&db)?;
        Ok(RedbEngine { db })
    }
}

fn definition(table: Table) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
    TableDefinition::new(table.name())
}

fn engine(e: impl Into<redb::Error>) -> StoreError {
    StoreError::engine(e.into())
}

impl KvEngine for RedbEngine {
    fn read(&self) -> StoreResult<Box<dyn KvRead + '_>> {
        Ok(Box::new(RedbRead(self.db.begin_read().map_err(engine)?)))
    }

    fn write(&self) -> StoreResult<Box<dyn KvWriteTxn + '_>> {
        Ok(Box::new(RedbWrite(self.db.begin_write().map_err(engine)?)))
    }
}

struct RedbRead(ReadTransaction);

impl RedbRead {
    /// `None` for a table that was never created: it reads as empty.
    fn table(&self, table: Table) -> StoreResult<Option<redb::ReadOnlyTable<&'static [u8], &'static [u8]>>> {
        match self.0.open_table(definition(table)) {
            Ok(t) => Ok(Some(t)),
            Err(TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(engine(e)),
        }
    }
}

impl KvRead for RedbRead {
    fn get_with(&self, table: Table, key: &[u8], visit: &mut dyn FnMut(&[u8]) -> StoreResult<()>) -> StoreResult<bool> {
        let Some(t) = self.table(table)? else { return Ok(false) };
        visit_value(&t, key, visit)
    }

    fn scan(&self, table: Table, range: KeyRange<'_>, direction: Direction, visit: &mut Visit<'_>) -> StoreResult<()> {
        let Some(t) = self.table(table)? else { return Ok(()) };
        walk(&t, range, direction, visit)
    }

    fn count(&self, table: Table) -> StoreResult<u64> {
        let Some(t) = self.table(table)? else { return Ok(0) };
        t.len().map_err(engine)
    }
}

struct RedbWrite(WriteTransaction);

impl KvRead for RedbWrite {
    fn get_with(&self, table: Table, key: &[u8], visit: &mut dyn FnMut(&[u8]) -> StoreResult<()>) -> StoreResult<bool> {
        let t = self.0.open_table(definition(table)).map_err(engine)?;
        visit_value(&t, key, visit)
    }

    fn scan(&self, table: Table, range: KeyRange<'_>, direction: Direction, visit: &mut Visit<'_>) -> StoreResult<()> {
        let t = self.0.open_table(definition(table)).map_err(engine)?;
        walk(&t, range, direction, visit)
    }

    fn count(&self, table: Table) -> StoreResult<u64> {
        let t = self.0.open_table(definition(table)).map_err(engine)?;
        t.len().map_err(engine)
    }
}

impl KvWrite for RedbWrite {
    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        let mut t = self.0.open_table(definition(table)).map_err(engine)?;
        let old = t.insert(key, value).map_err(engine)?;
        Ok(old.map(|v| v.value().to_vec()))
    }

    fn delete(&mut self, table: Table, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        let mut t = self.0.open_table(definition(table)).map_err(engine)?;
        let old = t.remove(key).map_err(engine)?;
        Ok(old.map(|v| v.value().to_vec()))
    }
}

impl KvWriteTxn for RedbWrite {
    fn commit(self: Box<Self>) -> StoreResult<()> {
        self.0.commit().map_err(engine)
    }
}

fn visit_value(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    key: &[u8],
    visit: &mut dyn FnMut(&[u8]) -> StoreResult<()>,
) -> StoreResult<bool> {
    match table.get(key).map_err(engine)? {
        Some(v) => visit(v.value()).map(|()| true),
        None => Ok(false),
    }
}

/// One entry of a redb range: key and value guards.
type Entry<'a> = (
    redb::AccessGuard<'a, &'static [u8]>,
    redb::AccessGuard<'a, &'static [u8]>,
);

fn walk(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    range: KeyRange<'_>,
    direction: Direction,
    visit: &mut Visit<'_>,
) -> StoreResult<()> {
    let entries = table.range::<&[u8]>(range).map_err(engine)?;
    let mut step = |item: Result<Entry<'_>, redb::StorageError>| {
        let (k, v) = item.map_err(engine)?;
        visit(k.value(), v.value())
    };
    match direction {
        Direction::Forward => {
            for item in entries {
                if step(item)?.is_break() {
                    break;
                }
            }
        }
        Direction::Reverse => {
            for item in entries.rev() {
                if step(item)?.is_break() {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Rewrites the tables that earlier builds declared with typed keys or values as byte
/// tables, preserving every entry: names as UTF-8, blob ids as 16 bytes big endian, times as
/// 8 bytes big endian, the format stamp as 4 bytes big endian (the encodings of
/// [`tables`](crate::tables)). A no-op once done.
fn upgrade_typed_tables(db: &Database) -> StoreResult<()> {
    const BUCKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("buckets");
    const BLOB_INTENTS: TableDefinition<u128, i64> = TableDefinition::new("blob_intents");
    const GC_QUEUE: TableDefinition<u128, i64> = TableDefinition::new("gc_queue");
    const STORE_INFO: TableDefinition<&str, u32> = TableDefinition::new("store_info");

    let txn = db.begin_write().map_err(engine)?;
    let existing: Vec<String> = txn
        .list_tables()
        .map_err(engine)?
        .map(|h| h.name().to_string())
        .collect();
    let has = |name: &str| existing.iter().any(|n| n == name);
    let mut upgraded = false;

    if has("buckets")
        && let Some(rows) = typed_rows(&txn, BUCKETS, |k, v| (k.as_bytes().to_vec(), v.to_vec()))?
    {
        replace(&txn, BUCKETS, "buckets", rows)?;
        upgraded = true;
    }
    for (def, name) in [(BLOB_INTENTS, "blob_intents"), (GC_QUEUE, "gc_queue")] {
        if has(name)
            && let Some(rows) = typed_rows(&txn, def, |k, v| (k.to_be_bytes().to_vec(), v.to_be_bytes().to_vec()))?
        {
            replace(&txn, def, name, rows)?;
            upgraded = true;
        }
    }
    if has("store_info")
        && let Some(rows) = typed_rows(&txn, STORE_INFO, |k, v| {
            (k.as_bytes().to_vec(), v.to_be_bytes().to_vec())
        })?
    {
        replace(&txn, STORE_INFO, "store_info", rows)?;
        upgraded = true;
    }
    if upgraded {
        tracing::info!("metadata tables rewritten as byte tables (one-time upgrade)");
        txn.commit().map_err(engine)?;
    } else {
        txn.abort().map_err(engine)?;
    }
    Ok(())
}

type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// Every row of `def` converted to bytes, or `None` when the table already holds bytes.
fn typed_rows<K, V>(
    txn: &WriteTransaction,
    def: TableDefinition<K, V>,
    convert: impl Fn(K::SelfType<'_>, V::SelfType<'_>) -> (Vec<u8>, Vec<u8>),
) -> StoreResult<Option<Rows>>
where
    K: redb::Key + 'static,
    V: redb::Value + 'static,
{
    let table = match txn.open_table(def) {
        Ok(t) => t,
        Err(TableError::TableTypeMismatch { .. }) => return Ok(None),
        Err(e) => return Err(engine(e)),
    };
    let mut rows = Vec::new();
    for item in table.iter().map_err(engine)? {
        let (k, v) = item.map_err(engine)?;
        rows.push(convert(k.value(), v.value()));
    }
    Ok(Some(rows))
}

fn replace<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &WriteTransaction,
    old: TableDefinition<K, V>,
    name: &'static str,
    rows: Rows,
) -> StoreResult<()> {
    txn.delete_table(old).map_err(engine)?;
    let mut t = txn.open_table(definition(Table(name))).map_err(engine)?;
    for (k, v) in rows {
        t.insert(k.as_slice(), v.as_slice()).map_err(engine)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path) -> RedbEngine {
        RedbEngine::open(&dir.join("meta.redb"), 1 << 20).unwrap()
    }

    #[test]
    fn passes_the_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        super::super::conformance::check_all(&mut || Box::new(open(dir.path())));
    }

    #[test]
    fn typed_tables_of_earlier_builds_are_rewritten_as_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.redb");
        {
            let db = Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(TableDefinition::<&str, &[u8]>::new("buckets"))
                .unwrap()
                .insert("photos", b"record".as_slice())
                .unwrap();
            txn.open_table(TableDefinition::<u128, i64>::new("gc_queue"))
                .unwrap()
                .insert(7u128, 42i64)
                .unwrap();
            txn.open_table(TableDefinition::<&str, u32>::new("store_info"))
                .unwrap()
                .insert("format", 2u32)
                .unwrap();
            txn.open_table(TableDefinition::<&[u8], &[u8]>::new("objects"))
                .unwrap()
                .insert(b"photos\0a".as_slice(), b"v".as_slice())
                .unwrap();
            txn.commit().unwrap();
        }
        for _ in 0..2 {
            // The second open finds nothing left to upgrade.
            let engine = RedbEngine::open(&path, 1 << 20).unwrap();
            let r = engine.read().unwrap();
            assert_eq!(
                r.get(Table("buckets"), b"photos").unwrap().as_deref(),
                Some(&b"record"[..])
            );
            assert_eq!(
                r.get(Table("gc_queue"), &7u128.to_be_bytes()).unwrap(),
                Some(42i64.to_be_bytes().to_vec())
            );
            assert_eq!(
                r.get(Table("store_info"), b"format").unwrap(),
                Some(2u32.to_be_bytes().to_vec())
            );
            assert_eq!(
                r.get(Table("objects"), b"photos\0a").unwrap().as_deref(),
                Some(&b"v"[..])
            );
            assert_eq!(r.count(Table("blob_intents")).unwrap(), 0);
        }
    }
}
