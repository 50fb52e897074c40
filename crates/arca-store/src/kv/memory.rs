//! An engine in memory, for fast tests of the logic above the seam.
//!
//! Committed state is an immutable map behind an `Arc`: a reader holds the `Arc` it started
//! with (its snapshot); a writer works on its own copy and swaps it in at commit. Copying the
//! whole map per write transaction is fine for tests and nothing else. "Durable" here means
//! for the life of the engine: clones share one state, which is how the conformance suite's
//! reopen step sees it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{Direction, KeyRange, KvEngine, KvRead, KvWrite, KvWriteTxn, Table, Visit};
use crate::error::StoreResult;

type Tables = BTreeMap<Table, BTreeMap<Vec<u8>, Vec<u8>>>;

#[derive(Default)]
struct Shared {
    committed: Mutex<Arc<Tables>>,
    /// Held by the one write transaction in progress.
    writer: Mutex<()>,
}

/// A [`KvEngine`] in memory; clones share the same data.
#[derive(Clone, Default)]
pub struct MemoryEngine(Arc<Shared>);

impl MemoryEngine {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }

    fn snapshot(&self) -> Arc<Tables> {
        self.0.committed.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl KvEngine for MemoryEngine {
    fn read(&self) -> StoreResult<Box<dyn KvRead + '_>> {
        Ok(Box::new(Snapshot(self.snapshot())))
    }

    fn write(&self) -> StoreResult<Box<dyn KvWriteTxn + '_>> {
        let turn = self.0.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let tables = (*self.snapshot()).clone();
        Ok(Box::new(MemoryWrite {
            engine: self,
            tables,
            _turn: turn,
        }))
    }
}

struct Snapshot(Arc<Tables>);

impl KvRead for Snapshot {
    fn get_with(&self, table: Table, key: &[u8], visit: &mut dyn FnMut(&[u8]) -> StoreResult<()>) -> StoreResult<bool> {
        get_with(&self.0, table, key, visit)
    }

    fn scan(&self, table: Table, range: KeyRange<'_>, direction: Direction, visit: &mut Visit<'_>) -> StoreResult<()> {
        scan(&self.0, table, range, direction, visit)
    }

    fn count(&self, table: Table) -> StoreResult<u64> {
        Ok(self.0.get(&table).map_or(0, |t| t.len() as u64))
    }
}

struct MemoryWrite<'e> {
    engine: &'e MemoryEngine,
    tables: Tables,
    _turn: MutexGuard<'e, ()>,
}

impl KvRead for MemoryWrite<'_> {
    fn get_with(&self, table: Table, key: &[u8], visit: &mut dyn FnMut(&[u8]) -> StoreResult<()>) -> StoreResult<bool> {
        get_with(&self.tables, table, key, visit)
    }

    fn scan(&self, table: Table, range: KeyRange<'_>, direction: Direction, visit: &mut Visit<'_>) -> StoreResult<()> {
        scan(&self.tables, table, range, direction, visit)
    }

    fn count(&self, table: Table) -> StoreResult<u64> {
        Ok(self.tables.get(&table).map_or(0, |t| t.len() as u64))
    }
}

impl KvWrite for MemoryWrite<'_> {
    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .tables
            .entry(table)
            .or_default()
            .insert(key.to_vec(), value.to_vec()))
    }

    fn delete(&mut self, table: Table, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.tables.get_mut(&table).and_then(|t| t.remove(key)))
    }
}

impl KvWriteTxn for MemoryWrite<'_> {
    fn commit(self: Box<Self>) -> StoreResult<()> {
        let this = *self;
        *this.engine.0.committed.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(this.tables);
        Ok(())
    }
}

fn get_with(
    tables: &Tables,
    table: Table,
    key: &[u8],
    visit: &mut dyn FnMut(&[u8]) -> StoreResult<()>,
) -> StoreResult<bool> {
    match tables.get(&table).and_then(|t| t.get(key)) {
        Some(v) => visit(v).map(|()| true),
        None => Ok(false),
    }
}

fn scan(
    tables: &Tables,
    table: Table,
    range: KeyRange<'_>,
    direction: Direction,
    visit: &mut Visit<'_>,
) -> StoreResult<()> {
    let Some(t) = tables.get(&table) else { return Ok(()) };
    // BTreeMap panics on an inverted range; the contract says it is simply empty.
    use std::ops::Bound::{Excluded, Included};
    if let (Included(lo) | Excluded(lo), Included(hi) | Excluded(hi)) = range
        && (lo > hi || (lo == hi && matches!(range, (Excluded(_), Excluded(_)))))
    {
        return Ok(());
    }
    let entries = t.range::<[u8], _>(range);
    let mut step = |(k, v): (&Vec<u8>, &Vec<u8>)| visit(k, v);
    match direction {
        Direction::Forward => {
            for entry in entries {
                if step(entry)?.is_break() {
                    break;
                }
            }
        }
        Direction::Reverse => {
            for entry in entries.rev() {
                if step(entry)?.is_break() {
                    break;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_the_conformance_suite() {
        let engine = MemoryEngine::new();
        super::super::conformance::check_all(&mut || Box::new(engine.clone()));
    }
}
