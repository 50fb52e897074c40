//! SSE-S3's keys: the key-encryption keys, unwrapped in memory, and the data keys they wrap.

use std::collections::HashMap;
use std::sync::Arc;

use arca_store::{DataKey, EncryptionDescriptor, SealingKeyRecord, SseAlgorithm, Store, now_ms};
use ring::aead::{AES_256_GCM, LessSafeKey, UnboundKey};

use crate::root_key::{unwrap, wrap};
use crate::{KeyError, RootKey};

/// The associated data of a wrapped key-encryption key: its number follows.
const KEK_LABEL: &[u8] = b"arca sse-s3 key-encryption key ";
/// The associated data of a wrapped data key: the number of its key-encryption key follows.
const DATA_KEY_LABEL: &[u8] = b"arca sse-s3 data key ";
/// The associated data of a KMS key's wrapped material: the number follows likewise.
const KMS_MATERIAL_LABEL: &[u8] = b"arca kms key material ";

/// Makes and opens SSE-S3 data keys. Opened once at start (it reads and unwraps every
/// key-encryption key); after that, wrapping or unwrapping a data key is one AES-GCM
/// operation on 32 bytes in memory: no store read, no lock.
pub struct Keyring {
    /// The key-encryption keys by number.
    keys: HashMap<u32, LessSafeKey>,
    /// The newest: it wraps new data keys.
    current: u32,
}

impl Keyring {
    /// The keyring of `store`'s key-encryption keys, unwrapped by `root`; on a data folder's
    /// first start, its first key-encryption key is made and stored.
    pub async fn open(store: &Arc<Store>, root: &RootKey) -> Result<Keyring, KeyError> {
        let mut records = store.sealing_keys()?;
        if records.is_empty() {
            records.push(add_key(store, root, 1).await?);
        }
        let mut keys = HashMap::new();
        for r in &records {
            if r.root_fingerprint != root.fingerprint() {
                return Err(KeyError::WrongRootKey {
                    given: root.fingerprint().to_string(),
                    stored: r.root_fingerprint.clone(),
                });
            }
            let bytes = root.unwrap(&kek_label(r.id), &r.wrapped)?;
            keys.insert(r.id, aes_key(&bytes)?);
        }
        let current = records.iter().map(|r| r.id).max().expect("one key at least");
        Ok(Keyring { keys, current })
    }

    /// A new object's data key, and how its record keeps it (wrapped by the newest
    /// key-encryption key).
    pub fn new_data_key(&self) -> (DataKey, EncryptionDescriptor) {
        let key = DataKey::random();
        let descriptor = EncryptionDescriptor {
            customer_key: None,
            bucket_key_salt: None,
            context: Vec::new(),
            algorithm: SseAlgorithm::Aes256,
            key_id: None,
            wrapped_key: self.wrap_with(DATA_KEY_LABEL, &key),
        };
        (key, descriptor)
    }

    /// The data key an SSE-S3 record keeps.
    pub fn data_key(&self, descriptor: &EncryptionDescriptor) -> Result<DataKey, KeyError> {
        self.unwrap_with(DATA_KEY_LABEL, &descriptor.wrapped_key)
    }

    /// A KMS key's material, wrapped by the newest key-encryption key.
    pub fn wrap_key(&self, material: &DataKey) -> Vec<u8> {
        self.wrap_with(KMS_MATERIAL_LABEL, material)
    }

    /// The material [`Keyring::wrap_key`] wrapped.
    pub fn unwrap_key(&self, wrapped: &[u8]) -> Result<DataKey, KeyError> {
        self.unwrap_with(KMS_MATERIAL_LABEL, wrapped)
    }

    /// `key` wrapped by the newest key-encryption key, whose number prefixes it; `label` and
    /// that number are the associated data.
    fn wrap_with(&self, label: &[u8], key: &DataKey) -> Vec<u8> {
        let kek = &self.keys[&self.current];
        let mut wrapped = self.current.to_be_bytes().to_vec();
        wrapped.extend_from_slice(&wrap(kek, &numbered(label, self.current), key.as_bytes()));
        wrapped
    }

    fn unwrap_with(&self, label: &[u8], wrapped: &[u8]) -> Result<DataKey, KeyError> {
        let (number, wrapped) = wrapped.split_at_checked(4).ok_or(KeyError::Unwrappable)?;
        let number = u32::from_be_bytes(number.try_into().expect("4 bytes"));
        let kek = self.keys.get(&number).ok_or(KeyError::UnknownKey(number))?;
        let bytes = unwrap(kek, &numbered(label, number), wrapped)?;
        DataKey::from_bytes(&bytes).ok_or(KeyError::Unwrappable)
    }

    /// Rewraps every key-encryption key of `store` from `old` to `new`, in one commit: a
    /// rotation of the root key. No data key and no object changes.
    pub async fn rewrap(store: &Arc<Store>, old: &RootKey, new: &RootKey) -> Result<usize, KeyError> {
        let mut records = store.sealing_keys()?;
        for r in &mut records {
            if r.root_fingerprint == new.fingerprint() {
                // Already rewrapped (a rotation that stopped half way is run again).
                continue;
            }
            if r.root_fingerprint != old.fingerprint() {
                return Err(KeyError::WrongRootKey {
                    given: old.fingerprint().to_string(),
                    stored: r.root_fingerprint.clone(),
                });
            }
            let label = kek_label(r.id);
            let bytes = old.unwrap(&label, &r.wrapped)?;
            r.wrapped = new.wrap(&label, &bytes);
            r.root_fingerprint = new.fingerprint().to_string();
        }
        let count = records.len();
        store.rewrap_sealing_keys(records).await?;
        Ok(count)
    }
}

/// Makes, wraps and stores key-encryption key number `id`.
async fn add_key(store: &Arc<Store>, root: &RootKey, id: u32) -> Result<SealingKeyRecord, KeyError> {
    let bytes = RootKey::generate();
    let record = SealingKeyRecord {
        id,
        created_ms: now_ms(),
        wrapped: root.wrap(&kek_label(id), &bytes[..]),
        root_fingerprint: root.fingerprint().to_string(),
    };
    if !store.add_sealing_key(record.clone()).await? {
        return Err(KeyError::KeyTaken(id));
    }
    Ok(record)
}

fn aes_key(bytes: &[u8]) -> Result<LessSafeKey, KeyError> {
    UnboundKey::new(&AES_256_GCM, bytes)
        .map(LessSafeKey::new)
        .map_err(|_| KeyError::KeyLength(bytes.len()))
}

fn kek_label(id: u32) -> Vec<u8> {
    numbered(KEK_LABEL, id)
}

fn numbered(label: &[u8], id: u32) -> Vec<u8> {
    [label, &id.to_be_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(byte: u8) -> RootKey {
        RootKey::from_bytes(&[byte; 32]).unwrap()
    }

    #[tokio::test]
    async fn data_keys_open_after_a_restart_and_a_root_rotation_only_with_the_right_root() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (root(1), root(2));
        let store = Store::open(dir.path()).unwrap();
        let ring = Keyring::open(&store, &old).await.unwrap();
        let (key, descriptor) = ring.new_data_key();
        assert_eq!(ring.data_key(&descriptor).unwrap().as_bytes(), key.as_bytes());
        // Another descriptor's bytes, or a changed one, do not open.
        let mut changed = descriptor.clone();
        *changed.wrapped_key.last_mut().unwrap() ^= 1;
        assert!(matches!(ring.data_key(&changed), Err(KeyError::Unwrappable)));

        assert_eq!(Keyring::rewrap(&store, &old, &new).await.unwrap(), 1);
        // Run again (a rotation interrupted after its commit): nothing left to do, no error.
        assert_eq!(Keyring::rewrap(&store, &old, &new).await.unwrap(), 1);
        assert!(matches!(
            Keyring::open(&store, &old).await,
            Err(KeyError::WrongRootKey { .. })
        ));
        let reopened = Keyring::open(&store, &new).await.unwrap();
        assert_eq!(reopened.data_key(&descriptor).unwrap().as_bytes(), key.as_bytes());
    }
}
