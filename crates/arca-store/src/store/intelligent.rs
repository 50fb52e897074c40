//! INTELLIGENT_TIERING: objects of that class move between a frequent and an infrequent tier
//! by when they were last read, as AWS's do between its access tiers.
//!
//! Writes of the class go to its tier (the frequent one, `main` unless configured). The
//! `intelligent` table lists every current version of the class with its last access; reads
//! note accesses in memory (a hash insert, for this class only), and the job writes them to
//! the table at the start of each pass. A pass then moves what has not been read for
//! [`IntelligentTiering::days_to_infrequent`] (lifecycle) days to the infrequent tier, and what
//! was read since back to the frequent one — each move on the crash-safe path of
//! transitions, applied only to the version it was decided for. Without an infrequent tier
//! configured, nothing moves. Entries whose version is gone or of another class are dropped
//! as the pass meets them, so writes and deletes never pay to keep the table exact.

use std::collections::{BTreeMap, HashMap};
use std::ops::{Bound, ControlFlow};
use std::time::Duration;

use super::jobs::{Job, JobProgress, Pass};
use super::records::read_object;
use super::versions::VersionPlace;
use super::{Store, now_ms};
use crate::error::StoreResult;
use crate::kv::{Direction, KvWrite};
use crate::lifecycle::LifecycleClock;
use crate::record::{ObjectVersion, StorageClass};
use crate::tables::{INTELLIGENT, object_key};

/// The job's name in the `jobs` table.
pub const INTELLIGENT_TIERING_JOB: &str = "intelligent-tiering";

/// Entries looked at per read.
const BATCH: usize = 1000;

/// How INTELLIGENT_TIERING objects move.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntelligentTiering {
    /// The tier objects not read for a while move to; `None`: they stay where written.
    pub infrequent_tier: Option<String>,
    /// Lifecycle days without a read before an object moves there (AWS: 30).
    pub days_to_infrequent: u32,
}

/// Lists an INTELLIGENT_TIERING current version in the `intelligent` table (written, or just
/// moved to the class), as accessed now.
pub(crate) fn track(txn: &mut dyn KvWrite, bucket: &str, key: &str, v: &ObjectVersion) -> StoreResult<()> {
    if v.storage_class == StorageClass::IntelligentTiering && !v.is_delete_marker {
        txn.put(INTELLIGENT, &object_key(bucket, key), &now_ms().to_be_bytes())?;
    }
    Ok(())
}

/// The bucket and key of an `intelligent` table key.
fn split(k: &[u8]) -> Option<(&str, &str)> {
    let at = k.iter().position(|b| *b == 0)?;
    Some((
        std::str::from_utf8(&k[..at]).ok()?,
        std::str::from_utf8(&k[at + 1..]).ok()?,
    ))
}

/// INTELLIGENT_TIERING as a job of the scheduler.
pub(crate) struct IntelligentTieringJob {
    interval: Duration,
}

impl IntelligentTieringJob {
    /// Passes as often as the lifecycle's.
    pub(crate) fn for_clock(clock: LifecycleClock) -> Self {
        IntelligentTieringJob {
            interval: Duration::from_millis((clock.day_ms / 4).clamp(1000, 3_600_000) as u64),
        }
    }
}

impl Job for IntelligentTieringJob {
    fn name(&self) -> &'static str {
        INTELLIGENT_TIERING_JOB
    }

    fn run_pass<'a>(&'a self, store: &'a Store, progress: &'a mut JobProgress) -> Pass<'a> {
        Box::pin(store.intelligent_tiering_pass(progress))
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn wake_delay(&self) -> Duration {
        Duration::ZERO
    }
}

impl Store {
    /// Notes a read of `v`, the current version of `key`: only INTELLIGENT_TIERING versions'
    /// reads are remembered.
    pub fn note_access(&self, bucket: &str, key: &str, v: &ObjectVersion) {
        if v.storage_class == StorageClass::IntelligentTiering {
            self.accesses
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(object_key(bucket, key), now_ms());
        }
    }

    /// Writes the accesses noted since the last pass into the `intelligent` table.
    async fn record_accesses(&self) -> StoreResult<()> {
        let noted: HashMap<Vec<u8>, i64> =
            std::mem::take(&mut *self.accesses.lock().unwrap_or_else(|e| e.into_inner()));
        if noted.is_empty() {
            return Ok(());
        }
        self.meta
            .write(move |txn| {
                for (k, at) in noted {
                    // Only objects still listed: a read never re-lists a deleted one.
                    if txn.get(INTELLIGENT, &k)?.is_some() {
                        txn.put(INTELLIGENT, &k, &at.to_be_bytes())?;
                    }
                }
                Ok(())
            })
            .await
    }

    /// One pass: record accesses, then move each listed object to the tier its last read
    /// calls for.
    async fn intelligent_tiering_pass(&self, progress: &mut JobProgress) -> StoreResult<u64> {
        let Some(infrequent) = self.tiers.infrequent() else {
            return Ok(0);
        };
        self.record_accesses().await?;
        let frequent = self.tiers.for_class(StorageClass::IntelligentTiering);
        let idle_ms = self
            .lifecycle_clock
            .day_ms
            .saturating_mul(i64::from(self.intelligent.days_to_infrequent));
        let now = now_ms();
        let mut after: Option<Vec<u8>> = None;
        let mut moved = 0u64;
        let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
        loop {
            // (key, version, target tier) to move; stale entries to drop; the last key read.
            let (moves, stale, last) = self.meta.read(|txn| {
                let (mut moves, mut stale, mut last) = (Vec::new(), Vec::new(), None);
                let start = match &after {
                    Some(a) => Bound::Excluded(a.as_slice()),
                    None => Bound::Unbounded,
                };
                let mut seen = 0;
                txn.scan(
                    INTELLIGENT,
                    (start, Bound::Unbounded),
                    Direction::Forward,
                    &mut |k, v| {
                        seen += 1;
                        last = Some(k.to_vec());
                        let accessed = v.try_into().map(i64::from_be_bytes).unwrap_or(0);
                        match read_object(txn, k)? {
                            Some(version) if version.storage_class == StorageClass::IntelligentTiering => {
                                let target = if now - accessed >= idle_ms {
                                    infrequent
                                } else {
                                    frequent
                                };
                                let blobs = version.data.blobs();
                                if !blobs.is_empty() && blobs.iter().any(|b| b.tier != target) {
                                    moves.push((k.to_vec(), version, target));
                                }
                            }
                            _ => stale.push(k.to_vec()),
                        }
                        Ok(if seen >= BATCH {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        })
                    },
                )?;
                Ok((moves, stale, last))
            })?;
            let Some(last) = last else { break };
            if !stale.is_empty() {
                self.meta
                    .write(move |txn| {
                        for k in stale {
                            txn.delete(INTELLIGENT, &k)?;
                        }
                        Ok(())
                    })
                    .await?;
            }
            for (k, version, target) in moves {
                let Some((bucket, key)) = split(&k) else { continue };
                let class = StorageClass::IntelligentTiering;
                if self
                    .move_version(bucket, key, VersionPlace::Current, &version, class, target)
                    .await?
                {
                    moved += 1;
                    let kind = if target == infrequent {
                        "to_infrequent"
                    } else {
                        "to_frequent"
                    };
                    *counts.entry(kind).or_default() += 1;
                }
            }
            after = Some(last);
        }
        progress.items += moved;
        for (k, n) in counts {
            *progress.counts.entry(k.to_string()).or_default() += n;
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::blob::{BlobFiles, TierId};
    use crate::store::tests::{bucket, version};
    use crate::{IngestTarget, StoreOptions, TierSpec, WriteCondition};

    #[tokio::test]
    async fn objects_move_to_the_infrequent_tier_when_idle_and_back_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            tiers: vec![TierSpec {
                name: "slow".into(),
                blobs: Arc::new(BlobFiles::open(dir.path().join("slow")).unwrap()),
            }],
            intelligent_tiering: IntelligentTiering {
                infrequent_tier: Some("slow".into()),
                days_to_infrequent: 2,
            },
            lifecycle_clock: LifecycleClock { day_ms: 50 },
            ..Default::default()
        };
        let s = Store::open_with(&dir.path().join("data"), &options).unwrap();
        s.create_bucket(bucket("b")).await.unwrap();
        let body = vec![5u8; 200_000];
        let mut ingest = s
            .ingest(IngestTarget::Object)
            .in_class(StorageClass::IntelligentTiering);
        ingest.push(&body).await.unwrap();
        let mut v = version("e", ingest.finish().await.unwrap());
        v.size = body.len() as u64;
        v.storage_class = StorageClass::IntelligentTiering;
        s.put_object("b", "k", v, WriteCondition::Always).await.unwrap();
        let tier_of = |s: &Store| s.get_object("b", "k").unwrap().blobs()[0].tier;
        let slow = TierId(1);

        // Just written: frequent.
        s.run_job_pass(&IntelligentTieringJob::for_clock(LifecycleClock { day_ms: 50 }))
            .await
            .unwrap();
        assert_eq!(tier_of(&s), TierId::MAIN);
        // Two "days" without a read: infrequent.
        tokio::time::sleep(Duration::from_millis(120)).await;
        s.run_job_pass(&IntelligentTieringJob::for_clock(LifecycleClock { day_ms: 50 }))
            .await
            .unwrap();
        assert_eq!(tier_of(&s), slow);
        // Read again: back to frequent, bytes intact.
        let v = s.get_object("b", "k").unwrap();
        s.note_access("b", "k", &v);
        s.run_job_pass(&IntelligentTieringJob::for_clock(LifecycleClock { day_ms: 50 }))
            .await
            .unwrap();
        let v = s.get_object("b", "k").unwrap();
        assert_eq!(v.blobs()[0].tier, TierId::MAIN);
        assert_eq!(v.storage_class, StorageClass::IntelligentTiering);
        let p = s.job_progress(INTELLIGENT_TIERING_JOB).unwrap();
        assert_eq!((p.counts["to_infrequent"], p.counts["to_frequent"]), (1, 1));
    }
}
