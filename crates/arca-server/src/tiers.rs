//! Storage tiers from the server's configuration: the blob store behind each name, and the
//! tier each storage class writes to (see `docs/storage-tiers.md`).
//!
//! ```toml
//! [tiers.slow]
//! path = "/mnt/big-slow-disk/arca"
//!
//! [tiers.offsite]
//! endpoint = "https://s3.example.net"
//! bucket = "arca-archive"
//! access_key = "…"
//! secret_key = "…"
//!
//! [storage_classes]
//! STANDARD_IA = "slow"
//! GLACIER = "offsite"
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use arca_store::blob::{BlobFiles, BlobStore, RemoteBlobs};
use arca_store::{MAIN_TIER, StorageClass, TierSpec};
use serde::Deserialize;

use crate::ServerError;
pub use crate::remote_tier::RemoteTierConfig;
use crate::remote_tier::SdkEndpoint;

/// One tier as the configuration describes it: a folder, or a bucket on a remote S3
/// endpoint.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum TierConfig {
    /// A folder (on another drive, typically) that holds the tier's blobs like the data
    /// folder's `blobs/`.
    Folder(FolderTier),
    /// A bucket on another S3-compatible server.
    Remote(RemoteTierConfig),
}

/// `path = "…"`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FolderTier {
    /// The folder.
    pub path: PathBuf,
}

/// Checks a configuration's tiers and class mapping: every class named is one of AWS's, and
/// maps to a configured tier or to `main`, as INTELLIGENT_TIERING's infrequent tier does.
pub fn check(
    tiers: &BTreeMap<String, TierConfig>,
    classes: &BTreeMap<String, String>,
    infrequent: Option<&str>,
) -> Result<(), String> {
    if tiers.contains_key(MAIN_TIER) {
        return Err(format!(
            "tier name {MAIN_TIER} is the data folder's own; choose another"
        ));
    }
    if let Some(t) = infrequent
        && t != MAIN_TIER
        && !tiers.contains_key(t)
    {
        return Err(format!(
            "intelligent_tiering: infrequent_tier {t} is not defined in [tiers]"
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

/// Opens each configured tier's blob store (checking that a remote tier's bucket answers).
pub(crate) async fn open(tiers: &BTreeMap<String, TierConfig>) -> Result<Vec<TierSpec>, ServerError> {
    let mut specs = Vec::with_capacity(tiers.len());
    for (name, config) in tiers {
        let blobs: Arc<dyn BlobStore> = match config {
            TierConfig::Folder(f) => Arc::new(BlobFiles::open(f.path.clone())?),
            TierConfig::Remote(r) => {
                let endpoint = SdkEndpoint::new(r);
                endpoint
                    .check()
                    .await
                    .map_err(|e| ServerError::Tier(format!("tier {name} at {}: {e}", r.endpoint)))?;
                Arc::new(RemoteBlobs::new(Arc::new(endpoint), r.prefix.clone()))
            }
        };
        specs.push(TierSpec {
            name: name.clone(),
            blobs,
        });
    }
    Ok(specs)
}

/// The class → tier pairs the store takes (names checked by [`check`]).
pub(crate) fn class_map(classes: &BTreeMap<String, String>) -> Vec<(StorageClass, String)> {
    classes
        .iter()
        .filter_map(|(class, tier)| Some((StorageClass::from_name(class)?, tier.clone())))
        .collect()
}
