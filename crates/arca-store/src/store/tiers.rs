//! Storage tiers: the places blobs live, and which storage class writes to which.
//!
//! Tier 0 is the data folder's own `blobs/`. The server's configuration may name more — a
//! folder on a big slow disk, a bucket on a remote S3 endpoint — each a [`BlobStore`], and map
//! storage classes to them; a class it does not map lives in the data folder. Each tier name
//! gets a [`TierId`] the first time it is configured, kept in the `tiers` table, so records
//! (which store the id, one byte) keep pointing at the same place when the configuration
//! adds, reorders or drops tiers. A record whose tier is no longer configured fails to read
//! with [`StoreError::TierMissing`] rather than pointing somewhere else.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use crate::blob::{BlobStore, TierId};
use crate::error::{StoreError, StoreResult};
use crate::meta::MetaStore;
use crate::record::StorageClass;
use crate::tables::TIERS;

/// The name of tier 0, the data folder.
pub const MAIN_TIER: &str = "main";

/// A tier as the server configures it: a name and the blob store behind it.
#[derive(Clone)]
pub struct TierSpec {
    /// The name the configuration and the `tiers` table know it by.
    pub name: String,
    /// Where its blobs go.
    pub blobs: Arc<dyn BlobStore>,
}

impl fmt::Debug for TierSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TierSpec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every configured tier by id, and the tier each storage class writes to.
pub(crate) struct Tiers {
    by_id: BTreeMap<TierId, TierSpec>,
    /// Ids the `tiers` table knows whose tier is not configured now (for error messages).
    unconfigured: HashMap<TierId, String>,
    by_class: HashMap<StorageClass, TierId>,
    /// INTELLIGENT_TIERING's infrequent tier, if configured.
    infrequent: Option<TierId>,
}

impl Tiers {
    /// Numbers the configured tiers (new names get the next free id, durably) and checks that
    /// every class maps to one of them.
    pub(crate) fn assign(
        meta: &MetaStore,
        main: Arc<dyn BlobStore>,
        specs: &[TierSpec],
        classes: &[(StorageClass, String)],
        infrequent: Option<&str>,
    ) -> StoreResult<Tiers> {
        let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
        let known: BTreeMap<String, TierId> = meta.write_now(move |txn| {
            let mut known = BTreeMap::new();
            txn.scan(
                TIERS,
                (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
                crate::kv::Direction::Forward,
                &mut |k, v| {
                    if let (Ok(name), [id]) = (std::str::from_utf8(k), v) {
                        known.insert(name.to_string(), TierId(*id));
                    }
                    Ok(std::ops::ControlFlow::Continue(()))
                },
            )?;
            for name in names {
                if name == MAIN_TIER || known.contains_key(&name) {
                    continue;
                }
                let next = known.values().map(|t| t.0).max().unwrap_or(0).checked_add(1);
                let Some(next) = next else {
                    return Err(StoreError::engine(std::io::Error::other("more than 255 storage tiers")));
                };
                txn.put(TIERS, name.as_bytes(), &[next])?;
                known.insert(name, TierId(next));
            }
            Ok(known)
        })?;
        let mut by_id = BTreeMap::new();
        by_id.insert(
            TierId::MAIN,
            TierSpec {
                name: MAIN_TIER.into(),
                blobs: main,
            },
        );
        for spec in specs.iter().filter(|s| s.name != MAIN_TIER) {
            by_id.insert(known[&spec.name], spec.clone());
        }
        let unconfigured = known
            .into_iter()
            .filter(|(_, id)| !by_id.contains_key(id))
            .map(|(name, id)| (id, name))
            .collect();
        let id_of = |class: StorageClass, tier: &str| {
            by_id
                .iter()
                .find(|(_, s)| s.name == tier)
                .map(|(id, _)| *id)
                .ok_or_else(|| StoreError::UnknownTier {
                    class: class.to_string(),
                    tier: tier.to_string(),
                })
        };
        let mut by_class = HashMap::new();
        for (class, tier) in classes {
            by_class.insert(*class, id_of(*class, tier)?);
        }
        let infrequent = infrequent
            .map(|t| id_of(StorageClass::IntelligentTiering, t))
            .transpose()?;
        Ok(Tiers {
            by_id,
            unconfigured,
            by_class,
            infrequent,
        })
    }

    /// The blob store of `tier`.
    pub(crate) fn get(&self, tier: TierId) -> StoreResult<&Arc<dyn BlobStore>> {
        match self.by_id.get(&tier) {
            Some(spec) => Ok(&spec.blobs),
            None => Err(StoreError::TierMissing(
                self.unconfigured
                    .get(&tier)
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", tier.0)),
            )),
        }
    }

    /// The tier new bytes of `class` are written to.
    pub(crate) fn for_class(&self, class: StorageClass) -> TierId {
        self.by_class.get(&class).copied().unwrap_or(TierId::MAIN)
    }

    /// INTELLIGENT_TIERING's infrequent tier, if one is configured.
    pub(crate) fn infrequent(&self) -> Option<TierId> {
        self.infrequent
    }

    /// The name of `tier`, for logs.
    pub(crate) fn name(&self, tier: TierId) -> &str {
        self.by_id.get(&tier).map_or("?", |s| s.name.as_str())
    }
}
