//! Keys: the hierarchy that encrypts every object at rest.
//!
//! ```text
//!   root key            256 bits, in the data folder's `root.key` (mode 0600) or given by the
//!      │                operator; never in the metadata
//!      ▼ wraps
//!   key-encryption keys 256 bits each, wrapped, in the store's `sealing_keys` table; the
//!      │                newest wraps new data keys
//!      ▼ wraps
//!   data keys           256 bits, one per object (or multipart upload), wrapped in the
//!                       object's record; the store seals the object's bytes under it
//! ```
//!
//! Rotating the root key rewraps the few key-encryption keys and nothing else: no object is
//! rewritten. Without the root key, the metadata and the blobs together open nothing.
//!
//! The store knows none of this: it is handed an object's [`DataKey`] to write or read with
//! (see `arca_store::blob::sealed`). [`Keyring`] makes and unwraps SSE-S3's data keys.
//!
//! SSE-C's data keys come from the customer's key, which Arca never keeps ([`CustomerKey`]).
//!
//! [`Kms`] is the key management service the KMS API serves: customer keys whose material
//! (one version per rotation) is wrapped by the same key-encryption keys, aliases, tags, key
//! policies as text (the server evaluates them), and Encrypt, Decrypt, ReEncrypt and
//! GenerateDataKey over ciphertext blobs that name their key and material version
//! ([`ciphertext`]).

mod bucket_key;
mod ciphertext;
mod customer_key;
mod derive;
mod error;
mod keyring;
mod kms_error;
mod root_key;
mod service;

pub use arca_store::DataKey;
pub use bucket_key::{BucketKey, new_object_salt};
pub use ciphertext::EncryptionContext;
pub use customer_key::{CustomerKey, WrongCustomerKey, customer_etag};
pub use error::KeyError;
pub use keyring::Keyring;
pub use kms_error::KmsError;
pub use root_key::RootKey;
pub use service::{
    DEFAULT_PENDING_DAYS, DEFAULT_ROTATION_DAYS, GRANT_OPERATIONS, Kms, MAX_PLAINTEXT, MAX_RANDOM_BYTES, grant_allows,
    random_bytes,
};
