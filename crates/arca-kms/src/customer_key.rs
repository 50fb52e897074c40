//! SSE-C: objects sealed under a key the customer brings with every request and Arca never
//! keeps.
//!
//! ```text
//!   customer key   256 bits, in the request (over TLS), forgotten when it ends
//!      │  HKDF-SHA256, salt: 16 random bytes per object, kept in its record
//!      ▼
//!   data key       the object's; the store seals its bytes under it as under any other
//! ```
//!
//! The record keeps the salt and HMAC-SHA256(customer key, label ‖ salt): enough to tell the
//! right key from a wrong one before any byte is opened, nothing to recover it. The data key
//! is derived per object even when a customer uses one key for everything: an inline body is
//! sealed under the data key itself, so two objects must never share one.

use arca_store::{CustomerKeyCheck, DataKey, EncryptionDescriptor, SseAlgorithm};
use ring::hmac;
use zeroize::Zeroizing;

use crate::derive::{derive_key, new_salt};
/// What the HMAC that checks a key signs, besides the salt.
const CHECK_LABEL: &[u8] = b"arca sse-c key check v1";
/// HKDF's info for the data key.
const DATA_KEY_INFO: &[u8] = b"arca sse-c data key v1";
/// HKDF's info for the key of an SSE-C object's ETag.
const ETAG_KEY_INFO: &[u8] = b"arca sse-c etag v1";

/// A customer's 256-bit key, wiped from memory when dropped.
pub struct CustomerKey(Zeroizing<[u8; 32]>);

/// The key a request brought is not the one the object (or upload) was sealed under.
#[derive(Debug, thiserror::Error)]
#[error("the customer key does not match the object's")]
pub struct WrongCustomerKey;

impl CustomerKey {
    /// The key of these 32 bytes; `None` for another length (SSE-C is AES-256 only).
    pub fn from_bytes(bytes: &[u8]) -> Option<CustomerKey> {
        Some(CustomerKey(Zeroizing::new(bytes.try_into().ok()?)))
    }

    /// A new object's data key under this customer key, and how its record keeps it.
    pub fn new_sealing(&self) -> (DataKey, EncryptionDescriptor) {
        let salt = new_salt();
        let descriptor = EncryptionDescriptor {
            algorithm: SseAlgorithm::CustomerKey,
            key_id: None,
            wrapped_key: Vec::new(),
            context: Vec::new(),
            bucket_key_salt: None,
            customer_key: Some(CustomerKeyCheck {
                salt: salt.to_vec(),
                hmac: self.check(&salt).as_ref().to_vec(),
            }),
        };
        (self.derive(&salt), descriptor)
    }

    /// The data key of an SSE-C record, if this is the key it was sealed under.
    pub fn data_key(&self, descriptor: &EncryptionDescriptor) -> Result<DataKey, WrongCustomerKey> {
        let check = descriptor.customer_key.as_ref().ok_or(WrongCustomerKey)?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0[..]);
        // Constant time: a timing difference must not say how much of a guess was right.
        hmac::verify(&key, &[CHECK_LABEL, &check.salt].concat(), &check.hmac).map_err(|_| WrongCustomerKey)?;
        Ok(self.derive(&check.salt))
    }

    fn check(&self, salt: &[u8]) -> hmac::Tag {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0[..]);
        hmac::sign(&key, &[CHECK_LABEL, salt].concat())
    }

    fn derive(&self, salt: &[u8]) -> DataKey {
        derive_key(&self.0[..], salt, DATA_KEY_INFO)
    }
}

/// The ETag of an SSE-C object (or part) whose bytes have MD5 `md5`: an HMAC under a key
/// derived from its data key. A listing, which anyone allowed `s3:ListBucket` reads, must
/// not show the MD5 of bytes only the key's holder may read (AWS's SSE-C ETags are not MD5s
/// either); the same bytes under the same object key always get the same ETag, so
/// conditional requests keep working.
pub fn customer_etag(data_key: &DataKey, md5: &[u8; 16]) -> String {
    let etag_key = derive_key(data_key.as_bytes(), &[], ETAG_KEY_INFO);
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, etag_key.as_bytes()), md5);
    hex::encode(&tag.as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> CustomerKey {
        CustomerKey::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn the_right_key_opens_and_a_wrong_one_does_not() {
        let (data_key, descriptor) = key(1).new_sealing();
        let again = key(1).data_key(&descriptor).expect("the same key");
        assert_eq!(again.as_bytes(), data_key.as_bytes());
        assert!(key(2).data_key(&descriptor).is_err());
        let no_check = EncryptionDescriptor {
            customer_key: None,
            ..descriptor.clone()
        };
        assert!(
            key(1).data_key(&no_check).is_err(),
            "a record without its check opens nothing"
        );
    }

    #[test]
    fn the_record_keeps_nothing_of_the_key() {
        let (data_key, descriptor) = key(7).new_sealing();
        let check = descriptor.customer_key.as_ref().unwrap();
        assert!(descriptor.wrapped_key.is_empty());
        for kept in [&check.salt, &check.hmac] {
            assert!(!kept.windows(32).any(|w| w == [7u8; 32]), "the key itself");
            assert!(!kept.windows(32).any(|w| w == data_key.as_bytes()), "the data key");
        }
    }

    #[test]
    fn one_customer_key_seals_each_object_under_its_own_data_key() {
        let (a, _) = key(3).new_sealing();
        let (b, _) = key(3).new_sealing();
        assert_ne!(a.as_bytes(), b.as_bytes());
        assert_ne!(a.as_bytes(), &[3u8; 32]);
    }

    #[test]
    fn an_etag_is_not_the_md5_and_is_stable() {
        let (data_key, _) = key(4).new_sealing();
        let md5 = [9u8; 16];
        let etag = customer_etag(&data_key, &md5);
        assert_eq!(etag.len(), 32);
        assert_ne!(etag, hex::encode(md5));
        assert_eq!(etag, customer_etag(&data_key, &md5));
        let (other, _) = key(4).new_sealing();
        assert_ne!(etag, customer_etag(&other, &md5), "another object's ETag tells nothing");
    }
}
