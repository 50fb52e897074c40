//! Keys derived from other keys: HKDF-SHA256, the one derivation every layer uses.

use arca_store::DataKey;
use ring::hkdf;
use zeroize::Zeroizing;

/// Salt bytes of a per-object derivation.
pub(crate) const SALT_LEN: usize = 16;

/// 16 fresh random bytes to derive an object's key with.
pub(crate) fn new_salt() -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    rand::fill(&mut salt[..]);
    salt
}

/// HKDF-SHA256 of `secret` with `salt` and `info`: a 256-bit key.
pub(crate) fn derive_key(secret: &[u8], salt: &[u8], info: &[u8]) -> DataKey {
    expand_key(&hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(secret), &[info])
}

/// HKDF-SHA256-Expand of `prk` with `info` (the concatenation of its parts): a 256-bit key.
pub(crate) fn expand_key(prk: &hkdf::Prk, info: &[&[u8]]) -> DataKey {
    struct Len32;
    impl hkdf::KeyType for Len32 {
        fn len(&self) -> usize {
            32
        }
    }
    let mut out = Zeroizing::new([0u8; 32]);
    prk.expand(info, Len32)
        .and_then(|okm| okm.fill(&mut out[..]))
        .expect("HKDF yields 32 bytes");
    DataKey::from_bytes(&out[..]).expect("32 bytes")
}
