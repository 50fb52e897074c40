//! S3 Bucket Keys the server holds in memory, so that SSE-KMS objects of a bucket with a
//! bucket key are written and read without a KMS operation each.
//!
//! A bucket key is a KMS data key (context: the bucket's ARN) from which each object's own
//! key is derived (`arca_kms::object_key`). As on AWS, a bucket key is made for one requester
//! and used for a limited time ([`LIFETIME`]): the KMS still sees every requester at least once
//! in that time, in its audit trail and its decision. What the cache spares is the KMS
//! operation itself (unwrapping key material, the cipher, the audit record); the decision
//! whether the requester may use the key, and whether the key is enabled, is still taken for
//! every object, from memory, so a disabled key or a revoked grant takes effect at once.
//!
//! Two maps, per requester: the bucket key each (KMS key, encryption context) currently
//! writes with, and the bucket keys already opened, by their ciphertext blob.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use arca_kms::{DataKey, EncryptionContext};

/// How long a bucket key is used for new objects, and how long an opened one is kept.
pub(crate) const LIFETIME: Duration = Duration::from_secs(300);

/// Most entries per map before expired ones are dropped (and, if none are, all).
const MAX_ENTRIES: usize = 4096;

/// A bucket key, and when the KMS gave it.
struct Held {
    key: DataKey,
    blob: Vec<u8>,
    since: Instant,
}

impl Held {
    fn fresh(&self, now: Instant) -> bool {
        now.duration_since(self.since) < LIFETIME
    }
}

/// Requester's ARN → entries.
type PerRequester<K> = HashMap<String, HashMap<K, Held>>;

#[derive(Default)]
struct Maps {
    /// What each requester writes with: by KMS key ARN and encryption context.
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
    /// The bucket key `requester` writes with under `key_arn` and `context`, and its blob,
    /// if one is held and fresh.
    pub(crate) fn writing(
        &self,
        requester: &str,
        key_arn: &str,
        context: &EncryptionContext,
    ) -> Option<(DataKey, Vec<u8>)> {
        let maps = self.maps.lock().expect("bucket keys");
        let held = maps.writing.get(requester)?.get(&writing_slot(key_arn, context))?;
        held.fresh(Instant::now())
            .then(|| (held.key.clone(), held.blob.clone()))
    }

    /// The bucket key of `blob`, if `requester` opened (or made) it recently.
    pub(crate) fn opened(&self, requester: &str, blob: &[u8]) -> Option<DataKey> {
        let maps = self.maps.lock().expect("bucket keys");
        let held = maps.opened.get(requester)?.get(blob)?;
        held.fresh(Instant::now()).then(|| held.key.clone())
    }

    /// Holds a bucket key the KMS just made for `requester`: it writes with it, and can read
    /// what it wrote.
    pub(crate) fn made(
        &self,
        requester: &str,
        (key_arn, context): (&str, &EncryptionContext),
        key: &DataKey,
        blob: &[u8],
    ) {
        let mut maps = self.maps.lock().expect("bucket keys");
        let now = Instant::now();
        let held = || Held {
            key: key.clone(),
            blob: blob.to_vec(),
            since: now,
        };
        insert(
            &mut maps.writing,
            requester,
            writing_slot(key_arn, context),
            held(),
            now,
        );
        insert(&mut maps.opened, requester, blob.to_vec(), held(), now);
    }

    /// Holds a bucket key the KMS just opened for `requester`.
    pub(crate) fn just_opened(&self, requester: &str, blob: &[u8], key: &DataKey) {
        let mut maps = self.maps.lock().expect("bucket keys");
        let now = Instant::now();
        let held = Held {
            key: key.clone(),
            blob: blob.to_vec(),
            since: now,
        };
        insert(&mut maps.opened, requester, blob.to_vec(), held, now);
    }
}

/// One string per (KMS key, context): length-prefixed, so no two pairs collide.
fn writing_slot(key_arn: &str, context: &EncryptionContext) -> String {
    let mut slot = format!("{}:{key_arn}", key_arn.len());
    for (k, v) in context {
        slot.push_str(&format!("|{}:{k}{}:{v}", k.len(), v.len()));
    }
    slot
}

fn insert<K: std::hash::Hash + Eq>(map: &mut PerRequester<K>, requester: &str, slot: K, held: Held, now: Instant) {
    let entries: usize = map.values().map(HashMap::len).sum();
    if entries >= MAX_ENTRIES {
        for per in map.values_mut() {
            per.retain(|_, h| h.fresh(now));
        }
        map.retain(|_, per| !per.is_empty());
        if map.values().map(HashMap::len).sum::<usize>() >= MAX_ENTRIES {
            map.clear();
        }
    }
    map.entry(requester.to_string()).or_default().insert(slot, held);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_bucket_key_is_held_per_requester_key_and_context() {
        let keys = BucketKeys::default();
        let ctx = context(&[("aws:s3:arn", "arn:aws:s3:::b")]);
        let key = DataKey::random();
        keys.made("alice", ("arn:k1", &ctx), &key, b"blob-1");
        let (held, blob) = keys.writing("alice", "arn:k1", &ctx).expect("held");
        assert_eq!((held.as_bytes(), blob.as_slice()), (key.as_bytes(), &b"blob-1"[..]));
        assert!(
            keys.opened("alice", b"blob-1").is_some(),
            "the writer reads what it wrote"
        );
        assert!(
            keys.writing("bob", "arn:k1", &ctx).is_none(),
            "another requester asks the KMS"
        );
        assert!(keys.opened("bob", b"blob-1").is_none());
        assert!(keys.writing("alice", "arn:k2", &ctx).is_none(), "another KMS key");
        let other = context(&[("aws:s3:arn", "arn:aws:s3:::c")]);
        assert!(keys.writing("alice", "arn:k1", &other).is_none(), "another bucket");
        keys.just_opened("bob", b"blob-1", &key);
        assert!(keys.opened("bob", b"blob-1").is_some());
    }

    #[test]
    fn slots_do_not_collide() {
        assert_ne!(
            writing_slot("k", &context(&[("a", "b|1:c")])),
            writing_slot("k", &context(&[("a", "b"), ("c", "")]))
        );
    }

    #[test]
    fn the_maps_stay_bounded() {
        let keys = BucketKeys::default();
        let key = DataKey::random();
        for i in 0..(MAX_ENTRIES + 10) {
            keys.just_opened("r", format!("blob-{i}").as_bytes(), &key);
        }
        let maps = keys.maps.lock().unwrap();
        assert!(maps.opened.values().map(HashMap::len).sum::<usize>() <= MAX_ENTRIES);
    }
}
