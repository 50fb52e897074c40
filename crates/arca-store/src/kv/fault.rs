//! A power cut at a chosen commit, for crash tests.
//!
//! [`FaultEngine`] wraps any engine and counts commits. Once the commit chosen with
//! [`PowerCut::after_commits`] has happened, every later commit fails without reaching the
//! engine — as if the machine lost power just before it — and its writes are gone, exactly
//! what a power cut does to a transaction that had not committed. A test then drops the
//! store, opens a new one on the same inner engine (what survived), and checks what
//! `docs/storage-format.md` promises. Paired with the memory engine, "committed" is the
//! whole durable state; the blob files' side of a power cut (bytes written but not fsynced)
//! is [`blob::fault`](crate::blob::fault)'s, switched by the same [`PowerCut`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::{Direction, KeyRange, KvEngine, KvRead, KvWrite, KvWriteTxn, Table, Visit};
use crate::error::{StoreError, StoreResult};

/// When the power goes: shared by a [`FaultEngine`], the blob files' fault layer and the test
/// that arms it.
#[derive(Clone, Default)]
pub struct PowerCut(Arc<PowerState>);

#[derive(Default)]
struct PowerState {
    /// 0: never armed. 1: no commit left. n > 1: n - 1 commits left.
    commits: AtomicU64,
    /// The power is out: set by the first commit refused, or by [`PowerCut::cut_now`].
    out: AtomicBool,
}

impl PowerCut {
    /// The power stays on until `n` more commits have happened; it goes at the attempt of the
    /// one after, which fails, and so does everything after that.
    pub fn after_commits(&self, n: u64) {
        self.0.commits.store(n + 1, Ordering::SeqCst);
    }

    /// The power goes now: the next commit fails, and every one after.
    pub fn cut_now(&self) {
        self.0.commits.store(1, Ordering::SeqCst);
        self.0.out.store(true, Ordering::SeqCst);
    }

    /// Consumes one commit's worth of power; `false` (and the power out) once none is left.
    fn commit_allowed(&self) -> bool {
        let mut left = self.0.commits.load(Ordering::SeqCst);
        loop {
            match left {
                0 => return true,
                1 => {
                    self.0.out.store(true, Ordering::SeqCst);
                    return false;
                }
                n => match self
                    .0
                    .commits
                    .compare_exchange(n, n - 1, Ordering::SeqCst, Ordering::SeqCst)
                {
                    Ok(_) => return true,
                    Err(now) => left = now,
                },
            }
        }
    }

    /// Whether the power is out: nothing reaches the disk any more.
    pub fn is_out(&self) -> bool {
        self.0.out.load(Ordering::SeqCst)
    }
}

/// An engine that loses power when its [`PowerCut`] says so.
pub struct FaultEngine<E> {
    inner: E,
    power: PowerCut,
}

impl<E: KvEngine> FaultEngine<E> {
    /// `inner`, with commits counted against `power`.
    pub fn new(inner: E, power: PowerCut) -> Self {
        FaultEngine { inner, power }
    }
}

/// What a commit attempted after the power went out reports.
#[derive(Debug, thiserror::Error)]
#[error("power cut (fault injection)")]
struct PowerOut;

impl<E: KvEngine> KvEngine for FaultEngine<E> {
    fn read(&self) -> StoreResult<Box<dyn KvRead + '_>> {
        self.inner.read()
    }

    fn write(&self) -> StoreResult<Box<dyn KvWriteTxn + '_>> {
        Ok(Box::new(FaultWrite {
            inner: self.inner.write()?,
            power: self.power.clone(),
        }))
    }
}

struct FaultWrite<'e> {
    inner: Box<dyn KvWriteTxn + 'e>,
    power: PowerCut,
}

impl KvRead for FaultWrite<'_> {
    fn get_with(&self, table: Table, key: &[u8], visit: &mut dyn FnMut(&[u8]) -> StoreResult<()>) -> StoreResult<bool> {
        self.inner.get_with(table, key, visit)
    }

    fn scan(&self, table: Table, range: KeyRange<'_>, direction: Direction, visit: &mut Visit<'_>) -> StoreResult<()> {
        self.inner.scan(table, range, direction, visit)
    }

    fn count(&self, table: Table) -> StoreResult<u64> {
        self.inner.count(table)
    }
}

impl KvWrite for FaultWrite<'_> {
    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        self.inner.put(table, key, value)
    }

    fn delete(&mut self, table: Table, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        self.inner.delete(table, key)
    }
}

impl KvWriteTxn for FaultWrite<'_> {
    fn commit(self: Box<Self>) -> StoreResult<()> {
        if !self.power.commit_allowed() {
            // Dropping the inner transaction discards it: nothing of it survives.
            return Err(StoreError::engine(PowerOut));
        }
        self.inner.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::memory::MemoryEngine;

    #[test]
    fn passes_the_conformance_suite_while_the_power_is_on() {
        let inner = MemoryEngine::new();
        super::super::conformance::check_all(&mut || Box::new(FaultEngine::new(inner.clone(), PowerCut::default())));
    }

    #[test]
    fn commits_after_the_cut_leave_no_trace() {
        const T: Table = Table("t");
        let inner = MemoryEngine::new();
        let power = PowerCut::default();
        let engine = FaultEngine::new(inner.clone(), power.clone());
        power.after_commits(1);
        let mut txn = engine.write().unwrap();
        txn.put(T, b"first", b"1").unwrap();
        txn.commit().unwrap();
        // That was the last commit the power allowed; the power goes at the next attempt.
        assert!(!power.is_out());
        let mut txn = engine.write().unwrap();
        txn.put(T, b"second", b"2").unwrap();
        assert!(txn.commit().is_err());
        assert!(power.is_out());
        let survived = inner.read().unwrap();
        assert!(survived.get(T, b"first").unwrap().is_some());
        assert_eq!(survived.get(T, b"second").unwrap(), None);
    }
}
