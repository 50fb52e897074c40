//! KMS keys and their aliases, as the store keeps them: rows of `kms_keys` (by key id) and
//! `kms_aliases` (by `account \0 alias`). A key's material is wrapped by the server's
//! key-encryption keys (the key service's business, `arca-kms`): the store never sees it
//! in the clear.

use serde::{Deserialize, Serialize};

use super::Store;
use super::records::records_under;
use crate::error::StoreResult;
use crate::kv::KvRead;
use crate::record::{decode, encode};
use crate::tables::{KMS_ALIASES, KMS_KEYS, object_key};

/// A KMS key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsKeyRecord {
    /// Its id (a UUID).
    pub id: String,
    /// The account it belongs to.
    pub account: String,
    /// Its description.
    pub description: String,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
    /// Enabled, disabled or pending deletion.
    pub state: KmsKeyState,
    /// When a pending deletion completes.
    pub deletion_ms: Option<i64>,
    /// Whether the key is one the server made for a service (`aws/s3`), not a customer.
    pub aws_managed: bool,
    /// Its key policy (JSON).
    pub policy: String,
    /// The rotation period in days, while automatic rotation is on.
    pub rotation_days: Option<u32>,
    /// When the next automatic rotation is due.
    pub next_rotation_ms: Option<i64>,
    /// Its key material, oldest first: the last encrypts, all decrypt.
    pub materials: Vec<KeyMaterial>,
    /// Its tags, in order.
    pub tags: Vec<(String, String)>,
    /// Its grants, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<KmsGrantRecord>,
}

/// A grant: a principal may use a key for some operations, beside its policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsGrantRecord {
    /// Its id (64 hex digits).
    pub id: String,
    /// Its name, if the creator gave one.
    pub name: Option<String>,
    /// The principal it lets use the key (an ARN).
    pub grantee: String,
    /// A principal that may retire it.
    pub retiring: Option<String>,
    /// The operations it allows (`Decrypt`, `GenerateDataKey`, …).
    pub operations: Vec<String>,
    /// Pairs a request's encryption context must include.
    pub context_subset: Option<Vec<(String, String)>>,
    /// The encryption context a request must have, exactly.
    pub context_equals: Option<Vec<(String, String)>>,
    /// The account that made it.
    pub issuing_account: String,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
}

/// A KMS key's state, as KMS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KmsKeyState {
    /// Usable.
    Enabled,
    /// Not usable until enabled again.
    Disabled,
    /// Not usable; deleted for good at `deletion_ms` unless the deletion is cancelled.
    PendingDeletion,
}

/// One version of a key's material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMaterial {
    /// Its number: ciphertexts name the version they were made with.
    pub version: u32,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
    /// The material, wrapped by a key-encryption key.
    #[serde(with = "serde_bytes")]
    pub wrapped: Vec<u8>,
    /// Whether a RotateKeyOnDemand made it (else creation or automatic rotation).
    pub on_demand: bool,
}

/// An alias (`alias/NAME`) of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsAliasRecord {
    /// `alias/NAME`.
    pub name: String,
    /// The key it names.
    pub key_id: String,
    /// Milliseconds since the epoch.
    pub created_ms: i64,
    /// When it was last pointed at a key.
    pub updated_ms: i64,
}

fn read_key(txn: &dyn KvRead, id: &str) -> StoreResult<Option<KmsKeyRecord>> {
    txn.get(KMS_KEYS, id.as_bytes())?.map(|v| decode(&v)).transpose()
}

impl Store {
    /// The key of id `id`, if there is one.
    pub fn kms_key(&self, id: &str) -> StoreResult<Option<KmsKeyRecord>> {
        self.meta.read(|txn| read_key(txn, id))
    }

    /// Every key of `account`, by id.
    pub fn kms_keys(&self, account: &str) -> StoreResult<Vec<KmsKeyRecord>> {
        let mut keys = self.all_kms_keys()?;
        keys.retain(|k| k.account == account);
        Ok(keys)
    }

    /// Every key of every account, by id (a server has a few; the deletion pass reads them).
    pub fn all_kms_keys(&self) -> StoreResult<Vec<KmsKeyRecord>> {
        self.meta.read(|txn| records_under(txn, KMS_KEYS, b""))
    }

    /// Changes with every committed change to keys and aliases (never goes back): a decision
    /// about a key taken at one generation stands while the generation is the same.
    pub fn kms_generation(&self) -> u64 {
        self.kms_generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn kms_changed(&self) {
        self.kms_generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Stores a new key.
    pub async fn create_kms_key(&self, record: KmsKeyRecord) -> StoreResult<()> {
        self.meta
            .write(move |txn| {
                txn.put(KMS_KEYS, record.id.as_bytes(), &encode(&record)?)?;
                Ok(())
            })
            .await?;
        self.kms_changed();
        Ok(())
    }

    /// Changes key `id` with `f`, in one commit; the change is stored only if `f` answers
    /// `Ok`. `None` if there is no such key.
    pub async fn update_kms_key<T, E>(
        &self,
        id: &str,
        f: impl FnOnce(&mut KmsKeyRecord) -> Result<T, E> + Send + 'static,
    ) -> StoreResult<Option<Result<T, E>>>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let id = id.to_string();
        let outcome = self
            .meta
            .write(move |txn| {
                let Some(mut key) = read_key(txn, &id)? else {
                    return Ok(None);
                };
                let outcome = f(&mut key);
                if outcome.is_ok() {
                    txn.put(KMS_KEYS, id.as_bytes(), &encode(&key)?)?;
                }
                Ok(Some(outcome))
            })
            .await;
        self.kms_changed();
        outcome
    }

    /// Removes key `id` for good, with its aliases (a deletion whose window has passed).
    pub async fn delete_kms_key(&self, id: &str) -> StoreResult<()> {
        let id = id.to_string();
        self.meta
            .write(move |txn| {
                let Some(key) = read_key(txn, &id)? else {
                    return Ok(());
                };
                for alias in aliases_of(txn, &key.account)? {
                    if alias.key_id == id {
                        txn.delete(KMS_ALIASES, &object_key(&key.account, &alias.name))?;
                    }
                }
                txn.delete(KMS_KEYS, id.as_bytes())?;
                Ok(())
            })
            .await?;
        self.kms_changed();
        Ok(())
    }

    /// Alias `name` of `account`, if there is one.
    pub fn kms_alias(&self, account: &str, name: &str) -> StoreResult<Option<KmsAliasRecord>> {
        self.meta.read(|txn| {
            txn.get(KMS_ALIASES, &object_key(account, name))?
                .map(|v| decode(&v))
                .transpose()
        })
    }

    /// Every alias of `account`, by name.
    pub fn kms_aliases(&self, account: &str) -> StoreResult<Vec<KmsAliasRecord>> {
        self.meta.read(|txn| aliases_of(txn, account))
    }

    /// Stores alias `record` of `account`: a new one (false if the name is taken) or, with
    /// `replace`, one that exists (false if it does not).
    pub async fn put_kms_alias(&self, account: &str, record: KmsAliasRecord, replace: bool) -> StoreResult<bool> {
        let key = object_key(account, &record.name);
        let outcome = self
            .meta
            .write(move |txn| {
                let exists = txn.get(KMS_ALIASES, &key)?.is_some();
                if exists != replace {
                    return Ok(false);
                }
                txn.put(KMS_ALIASES, &key, &encode(&record)?)?;
                Ok(true)
            })
            .await;
        self.kms_changed();
        outcome
    }

    /// Removes alias `name` of `account`; false if there was none.
    pub async fn delete_kms_alias(&self, account: &str, name: &str) -> StoreResult<bool> {
        let key = object_key(account, name);
        let outcome = self
            .meta
            .write(move |txn| {
                let exists = txn.get(KMS_ALIASES, &key)?.is_some();
                if exists {
                    txn.delete(KMS_ALIASES, &key)?;
                }
                Ok(exists)
            })
            .await;
        self.kms_changed();
        outcome
    }
}

fn aliases_of(txn: &dyn KvRead, account: &str) -> StoreResult<Vec<KmsAliasRecord>> {
    records_under(txn, KMS_ALIASES, &object_key(account, ""))
}
