//! The root of the key hierarchy.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use zeroize::Zeroizing;

use crate::KeyError;

/// The root key: wraps the key-encryption keys, and nothing else.
pub struct RootKey {
    key: LessSafeKey,
    fingerprint: String,
}

impl RootKey {
    /// The root key of these 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<RootKey, KeyError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| KeyError::KeyLength(bytes.len()))?;
        // An HMAC of a fixed label: names the key without telling anything of it.
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, bytes), b"arca root key fingerprint");
        Ok(RootKey {
            key: LessSafeKey::new(unbound),
            fingerprint: hex::encode(&tag.as_ref()[..8]),
        })
    }

    /// A fresh random root key, as 32 bytes (to be kept by whoever asked).
    pub fn generate() -> Zeroizing<[u8; 32]> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::fill(&mut bytes[..]);
        bytes
    }

    /// Names the key (16 hex digits) without revealing it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// `nonce || ciphertext || tag` of `plain`, bound to `label`.
    pub(crate) fn wrap(&self, label: &[u8], plain: &[u8]) -> Vec<u8> {
        wrap(&self.key, label, plain)
    }

    /// What [`RootKey::wrap`] wrapped with `label`.
    pub(crate) fn unwrap(&self, label: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        unwrap(&self.key, label, wrapped)
    }
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RootKey({})", self.fingerprint)
    }
}

/// AES-256-GCM under `key` with a random nonce: `nonce || ciphertext || tag`.
pub(crate) fn wrap(key: &LessSafeKey, label: &[u8], plain: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce);
    let mut sealed = plain.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(label), &mut sealed)
        .expect("AES-GCM seals any key");
    let mut out = nonce.to_vec();
    out.append(&mut sealed);
    out
}

/// The plaintext of [`wrap`]'s output.
pub(crate) fn unwrap(key: &LessSafeKey, label: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if wrapped.len() < NONCE_LEN {
        return Err(KeyError::Unwrappable);
    }
    let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Unwrappable)?;
    let mut buf = Zeroizing::new(sealed.to_vec());
    let len = key
        .open_in_place(nonce, Aad::from(label), &mut buf)
        .map_err(|_| KeyError::Unwrappable)?
        .len();
    buf.truncate(len);
    Ok(buf)
}
