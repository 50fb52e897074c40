//! Storage tiers from the server's configuration: the blob store behind each name, and the
//! tier each storage class writes to (see `docs/storage-tiers.md`).
//!
//! ```toml
//! [tiers.slow]
//! path = "/mnt/big-slow-disk/arca"
//!
//! [storage_classes]
//! STANDARD_IA = "slow"
//! GLACIER = "slow"
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use arca_store::blob::BlobFiles;
use arca_store::{MAIN_TIER, StorageClass, TierSpec};
use serde::Deserialize;

use crate::ServerError;

/// One tier as the configuration describes it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TierConfig {
    /// A folder (on another drive, typically) that holds the tier's blobs like the data
    /// folder's `blobs/`.
    pub path: PathBuf,
}

/// Checks a configuration's tiers and class mapping: every class named is one of AWS's, and
/// maps to a configured tier or to `main`.
pub fn check(tiers: &BTreeMap<String, TierConfig>, classes: &BTreeMap<String, String>) -> Result<(), String> {
    if tiers.contains_key(MAIN_TIER) {
        return Err(format!(
            "tier name {MAIN_TIER} is the data folder's own; choose another"
        ));
    }
    for (class, tier) in classes {
        if StorageClass::from_name(class).is_none() {
            return Err(format!("storage_classes: {class} is not a storage class"));
        }
        if tier != MAIN_TIER && !tiers.contains_key(tier) {
            return Err(format!(
                "storage_classes: {class} maps to tier {tier}, which [tiers] does not define"
            ));
        }
    }
    Ok(())
}

/// Opens each configured tier's blob store.
pub(crate) fn open(tiers: &BTreeMap<String, TierConfig>) -> Result<Vec<TierSpec>, ServerError> {
    tiers
        .iter()
        .map(|(name, config)| {
            let blobs = BlobFiles::open(config.path.clone())?;
            Ok(TierSpec {
                name: name.clone(),
                blobs: Arc::new(blobs),
            })
        })
        .collect()
}

/// The class → tier pairs the store takes (names checked by [`check`]).
pub(crate) fn class_map(classes: &BTreeMap<String, String>) -> Vec<(StorageClass, String)> {
    classes
        .iter()
        .filter_map(|(class, tier)| Some((StorageClass::from_name(class)?, tier.clone())))
        .collect()
}
