//! The key-encryption keys of SSE-S3, as the store keeps them: rows of `sealing_keys`, each a
//! 256-bit key wrapped by the root key. The root key itself is never stored here (it lives
//! in its own file or with the operator), so a copy of the metadata alone opens nothing.
//! Wrapping and unwrapping is the key service's business (`arca-kms`); the store only keeps
//! the rows, and replaces them all in one commit when the root key is rotated.

use serde::{Deserialize, Serialize};

use super::Store;
use super::records::records_under;
use crate::error::StoreResult;
use crate::kv::KvRead;
use crate::record::encode;
use crate::tables::SEALING_KEYS;

/// A key-encryption key, wrapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealingKeyRecord {
    /// Its number: data keys name the key that wraps them by it. The newest wraps new ones.
    pub id: u32,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
    /// The key, wrapped by the root key.
    #[serde(with = "serde_bytes")]
    pub wrapped: Vec<u8>,
    /// Which root key wrapped it (a fingerprint, not the key).
    pub root_fingerprint: String,
}

fn every_key(txn: &dyn KvRead) -> StoreResult<Vec<SealingKeyRecord>> {
    records_under(txn, SEALING_KEYS, b"")
}

impl Store {
    /// Every key-encryption key, oldest first.
    pub fn sealing_keys(&self) -> StoreResult<Vec<SealingKeyRecord>> {
        self.meta.read(|txn| every_key(txn))
    }

    /// Adds a key; false (and nothing stored) if its number is taken.
    pub async fn add_sealing_key(&self, record: SealingKeyRecord) -> StoreResult<bool> {
        self.meta
            .write(move |txn| {
                let key = record.id.to_be_bytes();
                if txn.get(SEALING_KEYS, &key)?.is_some() {
                    return Ok(false);
                }
                txn.put(SEALING_KEYS, &key, &encode(&record)?)?;
                Ok(true)
            })
            .await
    }

    /// Replaces every key with its new wrapping (a rotation of the root key), in one commit.
    pub async fn rewrap_sealing_keys(&self, keys: Vec<SealingKeyRecord>) -> StoreResult<()> {
        self.meta
            .write(move |txn| {
                for record in &keys {
                    txn.put(SEALING_KEYS, &record.id.to_be_bytes(), &encode(record)?)?;
                }
                Ok(())
            })
            .await
    }
}
