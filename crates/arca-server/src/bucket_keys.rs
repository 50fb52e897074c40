//! S3 Bucket Keys the server holds in memory, so that SSE-KMS objects of a bucket with a
//! bucket key are written and read without a KMS operation each.
//!
//! A bucket key is a KMS data key (context: the bucket's ARN) from which each object's own
//! key is derived (`arca_kms::BucketKey`). As on AWS, a bucket key is made for one requester
//! and used for a limited time ([`LIFETIME`]): the KMS sees every requester at least once in
//! that time, in its audit trail and its decision.
//!
//! Each held key also remembers the decision that let its requester use it (the key policy,
//! the requester's own policies, grants, the key's state) and the store's identity and KMS
//! generations it was taken at. Any change to users, keys, policies, grants or a key's state
//! moves a generation, and the next object is decided afresh: a disabled key or a revoked
//! grant takes effect at once, as without a bucket key. A decision is also taken afresh after
//! [`DECISION_LIFETIME`], for policies whose conditions depend on the time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arca_kms::{BucketKey, DataKey, EncryptionContext};

/// How long a bucket key is used for new objects, and how long an opened one is kept.
pub(crate) const LIFETIME: Duration = Duration::from_secs(300);

/// How long a decision stands while nothing it depends on changes.
pub(crate) const DECISION_LIFETIME: Duration = Duration::from_secs(1);

/// Most entries per map before expired ones are dropped (and, if none are, all).
const MAX_ENTRIES: usize = 4096;

/// The store's identity and KMS generations.
pub(crate) type Generations = (u64, u64);

/// A bucket key held for a requester.
#[derive(Clone)]
pub(crate) struct Held {
    pub(crate) key: BucketKey,
    /// Its ciphertext blob, for the records of the objects sealed under it.
    pub(crate) blob: Vec<u8>,
    /// The ARN of the KMS key it was made under.
    pub(crate) key_arn: String,
    /// When the KMS gave it.
    since: Instant,
    /// When its use was last decided, and at which generations.
    decided: (Instant, Generations),
}

impl Held {
    /// A bucket key the KMS just gave or opened, its use decided at `generations`.
    pub(crate) fn new(key: &DataKey, blob: Vec<u8>, key_arn: String, generations: Generations) -> Arc<Held> {
        let now = Instant::now();
        Arc::new(Held {
            key: BucketKey::new(key),
            blob,
            key_arn,
            since: now,
            decided: (now, generations),
        })
    }

    fn fresh(&self, now: Instant) -> bool {
        now.duration_since(self.since) < LIFETIME
    }

    /// Whether the decision to use it still stands at `generations`.
    pub(crate) fn decided_at(&self, generations: Generations) -> bool {
        self.decided.1 == generations && self.decided.0.elapsed() < DECISION_LIFETIME
    }

    /// The same key, its use decided again at `generations`.
    pub(crate) fn redecided(&self, generations: Generations) -> Arc<Held> {
        Arc::new(Held {
            decided: (Instant::now(), generations),
            ..self.clone()
        })
    }
}

/// Requester's ARN → entries (shared: a lookup on the hot path copies a pointer).
type PerRequester<K> = HashMap<String, HashMap<K, Arc<Held>>>;

#[derive(Default)]
struct Maps {
    /// What each requester writes with: by the KMS key as the write named it and the
    /// encryption context.
    writing: PerRequester<String>,
    /// What each requester has opened: by ciphertext blob.
    opened: PerRequester<Vec<u8>>,
}

/// The bucket keys held.
#[derive(Default)]
pub(crate) struct BucketKeys {
    maps: Mutex<Maps>,
}

impl BucketKeys {
    /// The bucket key `requester` writes with under the KMS key `named` (as the write names
    /// it; `None`: the `aws/s3` key) and `context`, if one is held and fresh.
    pub(crate) fn writing(
        &self,
        requester: &str,
        named: Option<&str>,
        context: &EncryptionContext,
    ) -> Option<Arc<Held>> {
        let maps = self.maps.lock().expect("bucket keys");
        let held = maps.writing.get(requester)?.get(&writing_slot(named, context))?;
        held.fresh(Instant::now()).then(|| held.clone())
    }

    /// The bucket key of `blob`, if `requester` opened (or made) it recently.
    pub(crate) fn opened(&self, requester: &str, blob: &[u8]) -> Option<Arc<Held>> {
        let maps = self.maps.lock().expect("bucket keys");
        let held = maps.opened.get(requester)?.get(blob)?;
        held.fresh(Instant::now()).then(|| held.clone())
    }

    /// Holds `held` as what `requester` writes with under `named` and `context` (and can
    /// read what it wrote with).
    pub(crate) fn hold_writing(
        &self,
        requester: &str,
        (named, context): (Option<&str>, &EncryptionContext),
        held: Arc<Held>,
    ) {
        let mut maps = self.maps.lock().expect("bucket keys");
        insert(&mut maps.opened, requester, held.blob.clone(), held.clone());
        insert(&mut maps.writing, requester, writing_slot(named, context), held);
    }

    /// Holds `held` as opened by `requester`.
    pub(crate) fn hold_opened(&self, requester: &str, held: Arc<Held>) {
        let mut maps = self.maps.lock().expect("bucket keys");
        insert(&mut maps.opened, requester, held.blob.clone(), held);
    }
}

/// One string per (named key, context): length-prefixed, so no two pairs collide.
fn writing_slot(named: Option<&str>, context: &EncryptionContext) -> String {
    let named = named.unwrap_or("");
    let mut slot = format!("{}:{named}", named.len());
    for (k, v) in context {
        slot.push_str(&format!("|{}:{k}{}:{v}", k.len(), v.len()));
    }
    slot
}

fn insert<K: std::hash::Hash + Eq>(map: &mut PerRequester<K>, requester: &str, slot: K, held: Arc<Held>) {
    let entries: usize = map.values().map(HashMap::len).sum();
    if entries >= MAX_ENTRIES {
        let now = Instant::now();
        for per in map.values_mut() {
            per.retain(|_, h| h.fresh(now));
        }
        map.retain(|_, per| !per.is_empty());
        if map.values().map(HashMap::len).sum::<usize>() >= MAX_ENTRIES {
            map.clear();
        }
    }
    match map.get_mut(requester) {
        Some(per) => {
            per.insert(slot, held);
        }
        None => {
            map.entry(requester.to_string()).or_default().insert(slot, held);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn held(blob: &[u8], generations: Generations) -> Arc<Held> {
        Held::new(&DataKey::random(), blob.to_vec(), "arn:k1".into(), generations)
    }

    #[test]
    fn a_bucket_key_is_held_per_requester_key_and_context() {
        let keys = BucketKeys::default();
        let ctx = context(&[("aws:s3:arn", "arn:aws:s3:::b")]);
        let h = held(b"blob-1", (1, 1));
        let derived = *h.key.object_key(b"salt").as_bytes();
        keys.hold_writing("alice", (Some("alias/k"), &ctx), h);
        let got = keys.writing("alice", Some("alias/k"), &ctx).expect("held");
        assert_eq!(got.blob, b"blob-1");
        assert_eq!(got.key.object_key(b"salt").as_bytes(), &derived);
        assert!(
            keys.opened("alice", b"blob-1").is_some(),
            "the writer reads what it wrote"
        );
        assert!(
            keys.writing("bob", Some("alias/k"), &ctx).is_none(),
            "another requester asks the KMS"
        );
        assert!(keys.opened("bob", b"blob-1").is_none());
        assert!(keys.writing("alice", None, &ctx).is_none(), "another KMS key");
        let other = context(&[("aws:s3:arn", "arn:aws:s3:::c")]);
        assert!(
            keys.writing("alice", Some("alias/k"), &other).is_none(),
            "another bucket"
        );
        keys.hold_opened("bob", held(b"blob-1", (1, 1)));
        assert!(keys.opened("bob", b"blob-1").is_some());
    }

    #[test]
    fn a_decision_stands_only_at_its_generations() {
        let h = held(b"b", (3, 7));
        assert!(h.decided_at((3, 7)));
        assert!(!h.decided_at((4, 7)), "users, keys or policies changed");
        assert!(!h.decided_at((3, 8)), "a KMS key, alias or grant changed");
        assert!(h.redecided((4, 8)).decided_at((4, 8)));
    }

    #[test]
    fn slots_do_not_collide() {
        assert_ne!(
            writing_slot(Some("k"), &context(&[("a", "b|1:c")])),
            writing_slot(Some("k"), &context(&[("a", "b"), ("c", "")]))
        );
        assert_ne!(
            writing_slot(None, &context(&[])),
            writing_slot(Some(""), &context(&[("", "")]))
        );
    }

    #[test]
    fn the_maps_stay_bounded() {
        let keys = BucketKeys::default();
        for i in 0..(MAX_ENTRIES + 10) {
            keys.hold_opened("r", held(format!("blob-{i}").as_bytes(), (0, 0)));
        }
        let maps = keys.maps.lock().unwrap();
        assert!(maps.opened.values().map(HashMap::len).sum::<usize>() <= MAX_ENTRIES);
    }
}
