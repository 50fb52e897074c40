//! S3 Bucket Keys: one KMS data key (the bucket key) shared by many SSE-KMS objects of a
//! bucket, each object's own data key derived from it, so that writing and reading them does
//! not ask the KMS for a key each time (the server caches bucket keys: `arca-server`'s
//! `bucket_keys.rs`).
//!
//! ```text
//!   KMS key ──GenerateDataKey (context: the bucket's ARN)──▶ bucket key (its ciphertext blob
//!                                                            in every object's record)
//!   bucket key ──HKDF-SHA256-Expand, info: label ‖ 16 random bytes per object──▶ the
//!                                                            object's data key
//! ```
//!
//! The bucket key is a uniformly random 256-bit key, so it serves as HKDF's pseudorandom key
//! as it is (RFC 5869, section 3.3): a [`BucketKey`] keeps it ready, and each object's key
//! costs one HMAC.

use arca_store::DataKey;
use ring::hkdf;

use crate::derive::{expand_key, new_salt};

/// HKDF's info for an object key, before the object's salt.
const OBJECT_KEY_INFO: &[u8] = b"arca s3 bucket key object v1";

/// A new object's salt, to keep in its record.
pub fn new_object_salt() -> Vec<u8> {
    new_salt().to_vec()
}

/// A bucket key, ready to derive its objects' keys.
#[derive(Clone)]
pub struct BucketKey(hkdf::Prk);

impl BucketKey {
    /// The bucket key of these 32 bytes (a KMS data key's plaintext).
    pub fn new(key: &DataKey) -> BucketKey {
        BucketKey(hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, key.as_bytes()))
    }

    /// The data key of the object whose record keeps `salt`.
    pub fn object_key(&self, salt: &[u8]) -> DataKey {
        expand_key(&self.0, &[OBJECT_KEY_INFO, salt])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_object_of_a_bucket_key_has_its_own_key() {
        let raw = DataKey::random();
        let bucket_key = BucketKey::new(&raw);
        let (a, b) = (new_object_salt(), new_object_salt());
        assert_ne!(a, b);
        let ka = bucket_key.object_key(&a);
        let again = BucketKey::new(&DataKey::from_bytes(raw.as_bytes()).unwrap());
        assert_eq!(ka.as_bytes(), again.object_key(&a).as_bytes(), "derivation is stable");
        assert_ne!(ka.as_bytes(), bucket_key.object_key(&b).as_bytes());
        assert_ne!(ka.as_bytes(), raw.as_bytes());
        assert_ne!(
            ka.as_bytes(),
            BucketKey::new(&DataKey::random()).object_key(&a).as_bytes()
        );
    }
}
