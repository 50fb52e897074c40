//! Wrapping of IAM users' secret keys before they are stored.
//!
//! SigV4 needs each secret itself to check a signature, so secrets cannot be hashed. They are
//! sealed with AES-256-GCM under a key that lives in a file of its own in the data folder
//! (`secret-wrapping.key`, mode 0600, made on first start), never in the metadata store. A copy
//! of the metadata alone (a backup, a replica's database) then holds no usable secret. The
//! access key id is the associated data, so a wrapped secret moved under another key id does
//! not open.

use std::path::Path;

use arca_store::AccessKeyRecord;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::ids;

const FILE: &str = "secret-wrapping.key";

/// Seals and opens secret keys.
pub(crate) struct SecretWrapper {
    key: LessSafeKey,
    random: SystemRandom,
}

impl SecretWrapper {
    /// Loads the data folder's wrapping key, creating it on first start.
    pub(crate) fn load_or_create(data_dir: &Path) -> std::io::Result<SecretWrapper> {
        let bytes = crate::credentials::load_or_create_key(data_dir, FILE)?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| std::io::Error::other(format!("{FILE} does not hold a 256-bit key")))?;
        Ok(SecretWrapper {
            key: LessSafeKey::new(key),
            random: SystemRandom::new(),
        })
    }

    /// A new access key of `user` in `account` (empty `user`: the account's root user): the
    /// record to store, its secret wrapped, and the secret itself, to be shown once to whoever
    /// asked for the key.
    pub(crate) fn new_access_key(&self, account: &str, user: &str) -> (AccessKeyRecord, String) {
        let id = ids::random("AKIA", 16, ids::UPPER_DIGITS);
        let secret = ids::secret_key();
        let key = AccessKeyRecord {
            wrapped_secret: self.wrap(&id, &secret),
            id,
            account: account.to_string(),
            user: user.to_string(),
            active: true,
            created_ms: arca_store::now_ms(),
        };
        (key, secret)
    }

    /// `nonce || ciphertext || tag` of `secret`, bound to `key_id`.
    pub(crate) fn wrap(&self, key_id: &str, secret: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).expect("system randomness");
        let mut sealed = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(key_id.as_bytes()),
                &mut sealed,
            )
            .expect("AES-GCM seals any input under 64 GiB");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// The secret `wrap` sealed for `key_id`; `None` if the bytes were not sealed by this key
    /// for this id (or were changed).
    pub(crate) fn unwrap(&self, key_id: &str, wrapped: &[u8]) -> Option<String> {
        if wrapped.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(key_id.as_bytes()), &mut buf)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_open_only_under_their_key_id_and_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let w = SecretWrapper::load_or_create(dir.path()).unwrap();
        let sealed = w.wrap("AKIA1", "s3cr3t");
        assert!(!sealed.windows(6).any(|x| x == b"s3cr3t"));
        assert_eq!(w.unwrap("AKIA1", &sealed).as_deref(), Some("s3cr3t"));
        assert_eq!(w.unwrap("AKIA2", &sealed), None, "moved under another key id");
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(w.unwrap("AKIA1", &flipped), None);
        let again = SecretWrapper::load_or_create(dir.path()).unwrap();
        assert_eq!(
            again.unwrap("AKIA1", &sealed).as_deref(),
            Some("s3cr3t"),
            "the key file is reused"
        );
        let mode = std::fs::metadata(dir.path().join(FILE)).unwrap().permissions();
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600);
    }
}
