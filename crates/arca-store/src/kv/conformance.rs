//! The conformance suite every [`KvEngine`] adapter must pass: the [contract](super) as tests.
//!
//! An adapter's own test calls [`check_all`] with a function that opens its engine on the
//! same storage each time it is called (the suite drops the engine and opens it again to
//! check durability). Each check uses tables of its own, so they share one storage.

use std::ops::Bound::{self, Excluded, Included, Unbounded};
use std::ops::ControlFlow;

use super::{Direction, KeyRange, KvEngine, KvRead, Table};

/// Runs every check; panics with the first failure.
pub fn check_all(open: &mut dyn FnMut() -> Box<dyn KvEngine>) {
    ordering_is_bytewise(&*open());
    bounds_and_early_stop(&*open());
    empty_and_large_keys_and_values(&*open());
    tables_are_separate(&*open());
    writes_see_their_own_changes(&*open());
    readers_see_a_snapshot(&*open());
    dropped_transactions_change_nothing(&*open());
    concurrent_writers_are_serialised(&*open());
    large_ranges(&*open());
    commits_survive_reopen(open);
}

fn put_all(engine: &dyn KvEngine, table: Table, entries: &[(&[u8], &[u8])]) {
    let mut txn = engine.write().unwrap();
    for (k, v) in entries {
        txn.put(table, k, v).unwrap();
    }
    txn.commit().unwrap();
}

fn keys(read: &dyn KvRead, table: Table, range: KeyRange<'_>, direction: Direction) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    read.scan(table, range, direction, &mut |k, _| {
        out.push(k.to_vec());
        Ok(ControlFlow::Continue(()))
    })
    .unwrap();
    out
}

fn all(read: &dyn KvRead, table: Table) -> Vec<Vec<u8>> {
    keys(read, table, (Unbounded, Unbounded), Direction::Forward)
}

/// Keys sort by unsigned bytes, a prefix before its extensions, in both directions.
pub fn ordering_is_bytewise(engine: &dyn KvEngine) {
    const T: Table = Table("conformance/ordering");
    let shuffled: [&[u8]; 8] = [b"b", b"\xFF", b"ab", b"", b"a\x00", b"a", b"\x00", b"a\xFF"];
    put_all(engine, T, &shuffled.map(|k| (k, &b"v"[..])));
    let mut sorted: Vec<Vec<u8>> = shuffled.iter().map(|k| k.to_vec()).collect();
    sorted.sort();
    let read = engine.read().unwrap();
    assert_eq!(all(&*read, T), sorted);
    let mut reversed = sorted.clone();
    reversed.reverse();
    assert_eq!(keys(&*read, T, (Unbounded, Unbounded), Direction::Reverse), reversed);
}

/// Each kind of bound is honoured; an inverted range is empty; `Break` stops the scan.
pub fn bounds_and_early_stop(engine: &dyn KvEngine) {
    const T: Table = Table("conformance/bounds");
    let k: [&[u8]; 5] = [b"k1", b"k2", b"k3", b"k4", b"k5"];
    put_all(engine, T, &k.map(|k| (k, &b""[..])));
    let read = engine.read().unwrap();
    let scan = |range: KeyRange<'_>, direction| keys(&*read, T, range, direction);
    let v = |ks: &[&[u8]]| ks.iter().map(|k| k.to_vec()).collect::<Vec<_>>();
    use Direction::{Forward, Reverse};
    assert_eq!(scan((Included(b"k2"), Excluded(b"k4")), Forward), v(&[b"k2", b"k3"]));
    assert_eq!(scan((Excluded(b"k2"), Included(b"k4")), Forward), v(&[b"k3", b"k4"]));
    assert_eq!(scan((Excluded(b"k2"), Included(b"k4")), Reverse), v(&[b"k4", b"k3"]));
    assert_eq!(scan((Included(b"k0"), Unbounded), Forward).len(), 5);
    assert_eq!(scan((Unbounded, Excluded(b"k1")), Forward), Vec::<Vec<u8>>::new());
    assert_eq!(scan((Included(b"k3"), Included(b"k3")), Forward), v(&[b"k3"]));
    assert!(scan((Included(b"k3"), Excluded(b"k3")), Forward).is_empty());
    assert!(scan((Included(b"k4"), Excluded(b"k2")), Forward).is_empty());
    assert!(scan((Excluded(b"k3"), Excluded(b"k3")), Reverse).is_empty());
    let mut seen = Vec::new();
    read.scan(T, (Unbounded, Unbounded), Reverse, &mut |k, _| {
        seen.push(k.to_vec());
        Ok(if seen.len() == 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    })
    .unwrap();
    assert_eq!(seen, v(&[b"k5", b"k4"]));
}

/// The empty key and empty values are ordinary; a value of several MiB round-trips.
pub fn empty_and_large_keys_and_values(engine: &dyn KvEngine) {
    const T: Table = Table("conformance/limits");
    let big: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
    let long_key = vec![b'k'; 2048];
    put_all(
        engine,
        T,
        &[(b"", b"empty key"), (b"empty value", b""), (&long_key, &big)],
    );
    let read = engine.read().unwrap();
    assert_eq!(read.get(T, b"").unwrap().as_deref(), Some(&b"empty key"[..]));
    assert_eq!(read.get(T, b"empty value").unwrap().as_deref(), Some(&b""[..]));
    assert_eq!(read.get(T, b"absent").unwrap(), None);
    let mut seen = Vec::new();
    let mut visit = |v: &[u8]| {
        seen.push(v.len());
        Ok(())
    };
    assert!(!read.get_with(T, b"absent", &mut visit).unwrap());
    assert!(read.get_with(T, &long_key, &mut visit).unwrap());
    assert_eq!(seen, [big.len()]);
    assert_eq!(read.get(T, &long_key).unwrap().as_deref(), Some(big.as_slice()));
    assert_eq!(read.count(T).unwrap(), 3);
}

/// The same key in two tables is two entries; an unwritten table reads as empty.
pub fn tables_are_separate(engine: &dyn KvEngine) {
    const A: Table = Table("conformance/a");
    const B: Table = Table("conformance/b");
    const NEVER: Table = Table("conformance/never-written");
    put_all(engine, A, &[(b"k", b"in a")]);
    put_all(engine, B, &[(b"k", b"in b")]);
    let read = engine.read().unwrap();
    assert_eq!(read.get(A, b"k").unwrap().as_deref(), Some(&b"in a"[..]));
    assert_eq!(read.get(B, b"k").unwrap().as_deref(), Some(&b"in b"[..]));
    assert_eq!(read.get(NEVER, b"k").unwrap(), None);
    assert_eq!(read.count(NEVER).unwrap(), 0);
    assert!(all(&*read, NEVER).is_empty());
    // Reading a table inside a write transaction does not make it exist with content.
    let txn = engine.write().unwrap();
    assert_eq!(txn.get(NEVER, b"k").unwrap(), None);
    assert_eq!(txn.count(NEVER).unwrap(), 0);
}

/// Inside a write transaction, gets and scans see its puts and deletes; `put` and `delete`
/// return what they replaced.
pub fn writes_see_their_own_changes(engine: &dyn KvEngine) {
    const T: Table = Table("conformance/own-writes");
    put_all(engine, T, &[(b"a", b"1"), (b"b", b"2")]);
    let mut txn = engine.write().unwrap();
    assert_eq!(txn.put(T, b"a", b"1b").unwrap().as_deref(), Some(&b"1"[..]));
    assert_eq!(txn.put(T, b"c", b"3").unwrap(), None);
    assert_eq!(txn.delete(T, b"b").unwrap().as_deref(), Some(&b"2"[..]));
    assert_eq!(txn.delete(T, b"b").unwrap(), None);
    assert_eq!(txn.get(T, b"a").unwrap().as_deref(), Some(&b"1b"[..]));
    let seen = keys(&*txn, T, (Unbounded, Unbounded), Direction::Forward);
    assert_eq!(seen, [b"a".to_vec(), b"c".to_vec()]);
    assert_eq!(txn.count(T).unwrap(), 2);
    txn.commit().unwrap();
    assert_eq!(engine.read().unwrap().get(T, b"c").unwrap().as_deref(), Some(&b"3"[..]));
}

/// A reader sees the state of when it began: neither uncommitted nor later commits.
pub fn readers_see_a_snapshot(engine: &dyn KvEngine) {
    const T: Table = Table("conformance/snapshot");
    put_all(engine, T, &[(b"k", b"old")]);
    let before = engine.read().unwrap();
    let mut txn = engine.write().unwrap();
    txn.put(T, b"k", b"new").unwrap();
    txn.put(T, b"k2", b"new").unwrap();
    {
        let during = engine.read().unwrap();
        assert_eq!(during.get(T, b"k").unwrap().as_deref(), Some(&b"old"[..]));
        assert_eq!(during.count(T).unwrap(), 1);
    }
    txn.commit().unwrap();
    assert_eq!(before.get(T, b"k").unwrap().as_deref(), Some(&b"old"[..]));
    assert_eq!(all(&*before, T).len(), 1);
    let after = engine.read().unwrap();
    assert_eq!(after.get(T, b"k").unwrap().as_deref(), Some(&b"new"[..]));
    assert_eq!(all(&*after, T).len(), 2);
}

/// A write transaction dropped without commit leaves no trace.
pub fn dropped_transactions_change_nothing(engine: &dyn KvEngine) {
    const T: Table = Table("conformance/dropped");
    put_all(engine, T, &[(b"k", b"kept")]);
    {
        let mut txn = engine.write().unwrap();
        txn.put(T, b"k", b"lost").unwrap();
        txn.put(T, b"other", b"lost").unwrap();
        txn.delete(T, b"k").unwrap();
    }
    let read = engine.read().unwrap();
    assert_eq!(read.get(T, b"k").unwrap().as_deref(), Some(&b"kept"[..]));
    assert_eq!(read.count(T).unwrap(), 1);
}

/// Read-modify-write transactions from many threads lose no update.
pub fn concurrent_writers_are_serialised(engine: &dyn KvEngine) {
    const T: Table = Table("conformance/counter");
    const THREADS: u64 = 4;
    const ROUNDS: u64 = 50;
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..ROUNDS {
                    let mut txn = engine.write().unwrap();
                    let n = txn
                        .get(T, b"n")
                        .unwrap()
                        .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
                    txn.put(T, b"n", &(n + 1).to_be_bytes()).unwrap();
                    txn.commit().unwrap();
                }
            });
        }
    });
    let n = engine.read().unwrap().get(T, b"n").unwrap().unwrap();
    assert_eq!(u64::from_be_bytes(n.try_into().unwrap()), THREADS * ROUNDS);
}

/// Tens of thousands of entries scan completely and in order both ways, and a sub-range in
/// the middle starts and ends where asked.
pub fn large_ranges(engine: &dyn KvEngine) {
    const T: Table = Table("conformance/large");
    const N: u32 = 20_000;
    let mut txn = engine.write().unwrap();
    // Written in a scattered order so the engine, not the insertion order, sorts them.
    for i in 0..N {
        let k = (i.wrapping_mul(7919) % N).to_be_bytes();
        txn.put(T, &k, &k).unwrap();
    }
    txn.commit().unwrap();
    let read = engine.read().unwrap();
    assert_eq!(read.count(T).unwrap(), u64::from(N));
    let forward = all(&*read, T);
    assert_eq!(forward.len(), N as usize);
    assert!(forward.windows(2).all(|w| w[0] < w[1]));
    let reverse = keys(&*read, T, (Unbounded, Unbounded), Direction::Reverse);
    assert!(reverse.iter().rev().eq(forward.iter()));
    let (lo, hi) = (5_000u32.to_be_bytes(), 15_000u32.to_be_bytes());
    let middle = keys(
        &*read,
        T,
        (Bound::Included(&lo[..]), Bound::Excluded(&hi[..])),
        Direction::Reverse,
    );
    assert_eq!(middle.len(), 10_000);
    assert_eq!(middle.first().map(Vec::as_slice), Some(&14_999u32.to_be_bytes()[..]));
    assert_eq!(middle.last().map(Vec::as_slice), Some(&lo[..]));
}

/// What committed is there after the engine is closed and opened again; what did not, is not.
pub fn commits_survive_reopen(open: &mut dyn FnMut() -> Box<dyn KvEngine>) {
    const T: Table = Table("conformance/durable");
    {
        let engine = open();
        put_all(&*engine, T, &[(b"committed", b"yes")]);
        let mut txn = engine.write().unwrap();
        txn.put(T, b"uncommitted", b"no").unwrap();
        drop(txn);
    }
    let engine = open();
    let read = engine.read().unwrap();
    assert_eq!(read.get(T, b"committed").unwrap().as_deref(), Some(&b"yes"[..]));
    assert_eq!(read.get(T, b"uncommitted").unwrap(), None);
}
