//! What can go wrong with keys.

use arca_store::StoreError;

/// A key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The root key given is not the one the data folder's keys were wrapped with.
    #[error(
        "the root key (fingerprint {given}) is not the one this data folder's keys are wrapped with (fingerprint {stored})"
    )]
    WrongRootKey {
        /// The given key's fingerprint.
        given: String,
        /// The fingerprint the stored keys name.
        stored: String,
    },
    /// Key material is not 256 bits.
    #[error("a key must be 256 bits (32 bytes); this one is {0} bytes")]
    KeyLength(usize),
    /// A wrapped key names a key-encryption key that does not exist.
    #[error("no key-encryption key {0}")]
    UnknownKey(u32),
    /// A key-encryption key of that number exists already (two processes made one at once).
    #[error("key-encryption key {0} exists already")]
    KeyTaken(u32),
    /// A wrapped key does not open: changed, truncated or not wrapped here.
    #[error("a wrapped key does not open (damaged, or not wrapped by this data folder's keys)")]
    Unwrappable,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
