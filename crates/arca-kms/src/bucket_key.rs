//! S3 Bucket Keys: one KMS data key (the bucket key) shared by many SSE-KMS objects of a
//! bucket, each object's own data key derived from it, so that writing and reading them does
//! not ask the KMS for a key each time (the server caches bucket keys: `arca-server`'s
//! `bucket_keys.rs`).
//!
//! ```text
//!   KMS key ──GenerateDataKey (context: the bucket's ARN)──▶ bucket key (its ciphertext blob
//!                                                            in every object's record)
//!   bucket key ──HKDF-SHA256, salt: 16 random bytes per object──▶ the object's data key
//! ```

use arca_store::DataKey;

use crate::derive::{derive_key, new_salt};

/// HKDF's info for an object key.
const OBJECT_KEY_INFO: &[u8] = b"arca s3 bucket key object v1";

/// A new object's salt, to keep in its record.
pub fn new_object_salt() -> Vec<u8> {
    new_salt().to_vec()
}

/// The data key of the object whose record keeps `salt`, under `bucket_key`.
pub fn object_key(bucket_key: &DataKey, salt: &[u8]) -> DataKey {
    derive_key(bucket_key.as_bytes(), salt, OBJECT_KEY_INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_object_of_a_bucket_key_has_its_own_key() {
        let bucket_key = DataKey::random();
        let (a, b) = (new_object_salt(), new_object_salt());
        assert_ne!(a, b);
        let ka = object_key(&bucket_key, &a);
        assert_eq!(
            ka.as_bytes(),
            object_key(&bucket_key, &a).as_bytes(),
            "derivation is stable"
        );
        assert_ne!(ka.as_bytes(), object_key(&bucket_key, &b).as_bytes());
        assert_ne!(ka.as_bytes(), bucket_key.as_bytes());
        assert_ne!(ka.as_bytes(), object_key(&DataKey::random(), &a).as_bytes());
    }
}
