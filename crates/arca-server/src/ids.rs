//! Identifiers made at random: IAM's unique ids (`AIDA…`), access key ids and secrets,
//! account ids and canonical user ids. Each has the shape AWS gives it, so that clients that
//! check shapes accept them.

/// The alphabet of IAM's ids and access key ids.
pub(crate) const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The alphabet of secret access keys.
const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `prefix` and `len` characters of `alphabet`, at random.
pub(crate) fn random(prefix: &str, len: usize, alphabet: &[u8]) -> String {
    let tail: String = (0..len)
        .map(|_| alphabet[rand::random_range(0..alphabet.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// A secret access key: 40 characters.
pub(crate) fn secret_key() -> String {
    random("", 40, SECRET)
}

/// A canonical user id: 64 hex digits.
pub(crate) fn canonical_id() -> String {
    random("", 64, b"0123456789abcdef")
}

/// A 12-digit account id (never the first account's, which is all zeros).
pub(crate) fn account_id() -> String {
    random(&rand::random_range(1..=9).to_string(), 11, b"0123456789")
}
