//! Sealed blobs: object bytes encrypted at rest, as a layer over any [`BlobSink`] and
//! [`BlobSource`].
//!
//! Every object has a data key of its own ([`DataKey`], 256 random bits; a multipart upload
//! has one for all its parts). Who makes it and how it is kept (wrapped by a key-encryption
//! key, by a KMS key, or by a customer's key) is not this module's business: the store is
//! handed the key on every write and every read, and only ever stores bytes sealed under it.
//!
//! ## Format
//! A sealed blob is the object's bytes cut into chunks of [`SEALED_CHUNK`] bytes (only the
//! last may be shorter, and an empty blob is one empty chunk), each encrypted with
//! AES-256-GCM and followed by its 16-byte tag. A sealed chunk is thus exactly
//! [`FRAME_DATA`] long: it fills one frame of a [`BlobFiles`](super::BlobFiles) blob, so a
//! ranged read fetches, checks (CRC32C, then the tag) and decrypts only the frames it
//! touches.
//!
//! Chunk `i` of a blob is sealed under the blob's own key, derived from the data key with
//! HKDF-SHA256 and the blob's id ([`BlobCipher`]), with the nonce `i` and, as associated
//! data, whether it is the blob's last chunk. So, beyond a flipped bit:
//! - chunks swapped or repeated within a blob fail (the nonce is their position);
//! - a blob cut short at a chunk boundary fails (its new last chunk was not sealed as last);
//! - a blob put in the place of another, of the same object or any other, fails (its chunks
//!   were sealed under another blob's key).
//!
//! Nonces never repeat under one key: a blob's key is used for that blob alone (blob ids are
//! random and never reused), and each of its chunks has its own position. A blob copied to
//! another tier keeps the bytes and the id they were sealed for ([`Extent::sealed_as`]).
//!
//! Small objects kept inline in their record are sealed as one chunk (nonce 0, sealed as the
//! last) under the data key itself: an object is inline or made of blobs, never both, so the
//! key of an inline object seals that one body and is used for nothing else. (A multipart
//! upload, the one key shared by several blobs, is never inline.) Skipping the derivation
//! keeps a small object's read and write as cheap as they were unsealed, nearly.
//!
//! [`Extent::sealed_as`]: crate::Extent::sealed_as

mod sink;
mod source;

use std::sync::LazyLock;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use zeroize::Zeroizing;

pub(crate) use sink::SealingSink;
pub(crate) use source::OpeningSource;

use super::{BlobId, FRAME_DATA};

/// Bytes of an AES-GCM tag.
pub const TAG_LEN: usize = 16;

/// Object bytes per sealed chunk: sealed, a chunk fills one blob frame.
pub const SEALED_CHUNK: usize = FRAME_DATA - TAG_LEN;

/// The HKDF salt of the blob keys: names the scheme, so that keys derived for anything else
/// from the same data key differ.
const BLOB_KEY_SALT: &[u8] = b"arca sealed blob v1";

/// An object's data key: 256 bits, wiped from memory when dropped.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random key.
    pub fn random() -> DataKey {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::fill(&mut bytes[..]);
        DataKey(bytes)
    }

    /// The key of these 32 bytes; `None` for another length.
    pub fn from_bytes(bytes: &[u8]) -> Option<DataKey> {
        Some(DataKey(Zeroizing::new(bytes.try_into().ok()?)))
    }

    /// The key's bytes (to be wrapped by whoever keeps it).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// The stored length of a sealed blob holding `len` object bytes.
pub fn sealed_len(len: u64) -> u64 {
    len + chunks(len) * TAG_LEN as u64
}

/// How many chunks hold `len` object bytes (an empty blob is one empty chunk).
fn chunks(len: u64) -> u64 {
    len.div_ceil(SEALED_CHUNK as u64).max(1)
}

/// One blob's cipher: seals and opens its chunks.
pub(crate) struct BlobCipher {
    key: LessSafeKey,
}

/// A chunk failed its tag: the bytes are corrupt, out of place, or not sealed under this key.
#[derive(Debug)]
pub(crate) struct Unopenable;

impl BlobCipher {
    /// The cipher of the blob `sealed_as` under `key` (blob id 0: an inline body).
    pub(crate) fn new(key: &DataKey, sealed_as: BlobId) -> BlobCipher {
        let id = sealed_as.to_bytes();
        let info = [&id[..]];
        static SALT: LazyLock<hkdf::Salt> = LazyLock::new(|| hkdf::Salt::new(hkdf::HKDF_SHA256, BLOB_KEY_SALT));
        let prk = SALT.extract(key.as_bytes());
        let okm = prk.expand(&info, &AES_256_GCM).expect("HKDF yields a 32-byte key");
        BlobCipher {
            key: LessSafeKey::new(UnboundKey::from(okm)),
        }
    }

    /// Seals chunk `index` in place, appending its tag.
    pub(crate) fn seal(&self, index: u64, last: bool, chunk: &mut Vec<u8>) {
        self.key
            .seal_in_place_append_tag(nonce(index), Aad::from([last as u8]), chunk)
            .expect("AES-GCM seals any chunk");
    }

    /// Opens sealed chunk `index` in place; returns its object bytes.
    pub(crate) fn open<'a>(&self, index: u64, last: bool, sealed: &'a mut [u8]) -> Result<&'a mut [u8], Unopenable> {
        self.key
            .open_in_place(nonce(index), Aad::from([last as u8]), sealed)
            .map_err(|_| Unopenable)
    }
}

fn nonce(index: u64) -> Nonce {
    let mut n = [0u8; NONCE_LEN];
    n[NONCE_LEN - 8..].copy_from_slice(&index.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

impl BlobCipher {
    /// The cipher of an inline body: the data key itself (see the module docs).
    fn inline(key: &DataKey) -> BlobCipher {
        let unbound = UnboundKey::new(&AES_256_GCM, key.as_bytes()).expect("a 256-bit key");
        BlobCipher {
            key: LessSafeKey::new(unbound),
        }
    }
}

/// An inline body sealed under `key`: one chunk.
pub(crate) fn seal_inline(key: &DataKey, mut bytes: Vec<u8>) -> Vec<u8> {
    debug_assert!(bytes.len() <= SEALED_CHUNK);
    BlobCipher::inline(key).seal(0, true, &mut bytes);
    bytes
}

/// The object bytes of an inline body [`seal_inline`] sealed under `key`.
pub(crate) fn open_inline(key: &DataKey, sealed: &[u8]) -> Result<Vec<u8>, Unopenable> {
    let mut bytes = sealed.to_vec();
    let len = BlobCipher::inline(key).open(0, true, &mut bytes)?.len();
    bytes.truncate(len);
    Ok(bytes)
}

#[cfg(test)]
mod tests;
