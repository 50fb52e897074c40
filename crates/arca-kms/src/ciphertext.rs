//! KMS ciphertext blobs: what Encrypt and GenerateDataKey answer and Decrypt takes back.
//!
//! A blob names the key and the version of its material that made it, so that Decrypt needs
//! no key id and old ciphertexts open after a rotation:
//!
//! ```text
//! 0x01 | key id length (u8) | key id (UTF-8) | material version (u32 BE) | nonce (12) | ciphertext | tag (16)
//! ```
//!
//! Sealed with AES-256-GCM under that material, with everything before the nonce and the
//! encryption context as associated data: a blob opens only under its own key and version
//! and with exactly the context it was made with (as KMS requires). The context is bound in a
//! canonical form, pairs sorted by key, each key and value length-prefixed, so that no two
//! contexts share it.

use std::collections::BTreeMap;

use ring::aead::{Aad, LessSafeKey, NONCE_LEN, Nonce};
use zeroize::Zeroizing;

/// KMS's encryption context: pairs bound to a ciphertext.
pub type EncryptionContext = BTreeMap<String, String>;

const FORMAT: u8 = 1;

/// The key and material version a blob names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobHeader {
    pub(crate) key_id: String,
    pub(crate) version: u32,
}

/// A blob that is not one of ours, or is damaged.
#[derive(Debug)]
pub(crate) struct NotACiphertext;

fn header_bytes(h: &BlobHeader) -> Vec<u8> {
    let mut out = vec![FORMAT, h.key_id.len() as u8];
    out.extend_from_slice(h.key_id.as_bytes());
    out.extend_from_slice(&h.version.to_be_bytes());
    out
}

fn associated(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let mut aad = header.to_vec();
    for (k, v) in context {
        for part in [k, v] {
            aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
    }
    aad
}

/// `plaintext` sealed under `material` (version `header.version` of key `header.key_id`).
pub(crate) fn seal(
    header: &BlobHeader,
    material: &LessSafeKey,
    context: &EncryptionContext,
    plaintext: &[u8],
) -> Vec<u8> {
    let mut blob = header_bytes(header);
    let aad = associated(&blob, context);
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce);
    blob.extend_from_slice(&nonce);
    let mut sealed = plaintext.to_vec();
    material
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut sealed)
        .expect("AES-GCM seals any plaintext KMS takes");
    blob.extend_from_slice(&sealed);
    blob
}

/// The key and version `blob` names, and where its nonce starts.
pub(crate) fn header(blob: &[u8]) -> Result<(BlobHeader, usize), NotACiphertext> {
    let (&format, rest) = blob.split_first().ok_or(NotACiphertext)?;
    let (&id_len, rest) = rest.split_first().ok_or(NotACiphertext)?;
    if format != FORMAT || rest.len() < id_len as usize + 4 {
        return Err(NotACiphertext);
    }
    let (id, rest) = rest.split_at(id_len as usize);
    let key_id = std::str::from_utf8(id).map_err(|_| NotACiphertext)?.to_string();
    let version = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes"));
    Ok((BlobHeader { key_id, version }, 2 + id_len as usize + 4))
}

/// The plaintext of `blob`, opened with `material` (of the key and version its header names)
/// and `context`.
pub(crate) fn open(
    blob: &[u8],
    material: &LessSafeKey,
    context: &EncryptionContext,
) -> Result<Zeroizing<Vec<u8>>, NotACiphertext> {
    let (_, nonce_at) = header(blob)?;
    let (head, rest) = blob.split_at(nonce_at);
    if rest.len() < NONCE_LEN {
        return Err(NotACiphertext);
    }
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| NotACiphertext)?;
    let mut buf = Zeroizing::new(sealed.to_vec());
    let len = material
        .open_in_place(nonce, Aad::from(associated(head, context)), &mut buf)
        .map_err(|_| NotACiphertext)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use ring::aead::{AES_256_GCM, UnboundKey};

    use super::*;

    fn material(byte: u8) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[byte; 32]).unwrap())
    }

    #[test]
    fn a_blob_opens_with_its_key_and_context_only() {
        let header = BlobHeader {
            key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
            version: 3,
        };
        let context: EncryptionContext = [("purpose".to_string(), "test".to_string())].into();
        let blob = seal(&header, &material(1), &context, b"secret");
        assert_eq!(self::header(&blob).unwrap().0, header);
        assert_eq!(&open(&blob, &material(1), &context).unwrap()[..], b"secret");
        assert!(open(&blob, &material(2), &context).is_err(), "another key");
        assert!(
            open(&blob, &material(1), &EncryptionContext::new()).is_err(),
            "no context"
        );
        let other: EncryptionContext = [("purpose".to_string(), "other".to_string())].into();
        assert!(open(&blob, &material(1), &other).is_err(), "another context");
        // Context pairs cannot be re-cut into others: ("ab","c") is not ("a","bc").
        let ab: EncryptionContext = [("ab".to_string(), "c".to_string())].into();
        let a: EncryptionContext = [("a".to_string(), "bc".to_string())].into();
        let sealed = seal(&header, &material(1), &ab, b"x");
        assert!(open(&sealed, &material(1), &a).is_err());
        let mut tampered = blob.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(open(&tampered, &material(1), &context).is_err());
        let mut relabelled = blob;
        let at = 2 + header.key_id.len() + 3;
        relabelled[at] ^= 1; // claims another material version
        assert!(open(&relabelled, &material(1), &context).is_err());
        assert!(self::header(b"\x02junk").is_err());
    }
}
