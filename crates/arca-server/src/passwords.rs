//! IAM users' sign-in passwords (their "login profile"): checked against the password policy
//! when an administrator sets one, stored only as an Argon2id hash (PHC string: algorithm,
//! parameters, salt, hash), and verified at sign-in.
//!
//! Argon2id with the argon2 crate's defaults (19 MiB, two passes) is slow on purpose: each
//! guess costs an attacker who has the metadata database as much as it costs the server. So
//! the server hashes on a blocking thread, one password at a time ([`hash_apart`],
//! [`verify_apart`]): sign-in needs no signature, and a flood of it must wait its turn rather
//! than take the cores from the requests being served.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

/// One Argon2 computation at a time.
static TURNS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(1));

/// [`hash`], on a blocking thread, in turn.
pub(crate) async fn hash_apart(password: String) -> String {
    let _turn = TURNS.acquire().await.expect("the semaphore is never closed");
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .expect("hashing does not panic")
}

/// [`verify`], on a blocking thread, in turn.
pub(crate) async fn verify_apart(password: String, stored: String) -> bool {
    let _turn = TURNS.acquire().await.expect("the semaphore is never closed");
    tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .unwrap_or(false)
}

/// The shortest password IAM's default password policy accepts.
pub(crate) const MIN_LENGTH: usize = 8;

/// The longest password IAM accepts.
pub(crate) const MAX_LENGTH: usize = 128;

/// Why a password was refused: IAM's `PasswordPolicyViolation` message.
pub(crate) fn policy_violation(password: &str, user: &str) -> Option<String> {
    let length = password.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Some(format!(
            "Password should have a minimum length of {MIN_LENGTH} and at most {MAX_LENGTH} characters"
        ));
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if kinds.iter().filter(|k| **k).count() < 3 {
        return Some(
            "Password should have at least three of: uppercase letters, lowercase letters, numbers, symbols".into(),
        );
    }
    if password.eq_ignore_ascii_case(user) {
        return Some("Password should not be the user name".into());
    }
    None
}

/// The stored form of `password`: an Argon2id PHC string with a fresh random salt.
pub(crate) fn hash(password: &str) -> String {
    let salt: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 hashes any password of IAM's length")
        .to_string()
}

/// Whether `password` is the one `stored` was made from. A stored value that is not a PHC
/// string matches nothing.
pub(crate) fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_stored_salted_and_verified() {
        let a = hash("Correct-Horse-9");
        let b = hash("Correct-Horse-9");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(!a.contains("Correct-Horse-9"));
        assert!(verify("Correct-Horse-9", &a));
        assert!(!verify("correct-horse-9", &a));
        assert!(!verify("Correct-Horse-9", "not a hash"));
    }

    #[test]
    fn the_policy_wants_length_and_variety() {
        assert!(policy_violation("Correct-Horse-9", "alice").is_none());
        assert!(policy_violation("Sh0rt!", "alice").is_some());
        assert!(policy_violation("alllowercaseletters", "alice").is_some());
        assert!(policy_violation("Alice123", "alice123").is_some());
        assert!(policy_violation(&"Aa1!".repeat(40), "alice").is_some());
    }
}
