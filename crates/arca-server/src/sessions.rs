//! Sessions: the temporary credentials STS `AssumeRole` hands out for a role, and sign-in
//! hands out for a user who gave their password, sealed into their own token so that nothing
//! of a session is stored.
//!
//! - The access key id (`ASIA…`) is random.
//! - Its secret is derived from the id under the server's session key (HMAC-SHA256), so the
//!   key store finds it from the id alone, as it does a stored key's.
//! - The session token *is* the session — account, principal, expiry — sealed with
//!   AES-256-GCM under the same key, the access key id as associated data: a token opens only
//!   with the id it was issued with, and a changed byte does not open at all.
//!
//! A request signed with a session's key must carry its token (`x-amz-security-token`, or
//! `X-Amz-Security-Token` in a presigned URL), unexpired. The key lives in the data folder
//! (`sts-session.key`, mode 0600), so sessions outlive a restart. As in AWS, one session
//! cannot be revoked: the role is read afresh on every request, so deleting the role or
//! changing its policies takes effect on the next one.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::ids;

const FILE: &str = "sts-session.key";

/// What a session is: of which account, who, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Session {
    pub(crate) account: String,
    pub(crate) principal: SessionPrincipal,
    /// Milliseconds since the epoch.
    pub(crate) expires_ms: i64,
}

/// Who a session acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum SessionPrincipal {
    /// A role, assumed through STS, in a session so named.
    Role { role: String, name: String },
    /// An IAM user, signed in with their password.
    User { name: String },
}

/// Why a session token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenRefusal {
    /// Absent, not one of this server's, or not for this access key.
    Invalid,
    /// Past its expiry.
    Expired,
}

/// The credentials of a new session.
pub(crate) struct SessionCredentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) session_token: String,
}

/// Issues and opens sessions under the data folder's session key.
pub(crate) struct SessionKeys {
    seal: LessSafeKey,
    derive: hmac::Key,
    random: SystemRandom,
}

/// The session token a request carries (header or presigned query).
pub(crate) use arca_s3::requester::session_token as token_of;

impl TokenRefusal {
    /// S3's answer.
    pub(crate) fn error(self) -> s3s::S3Error {
        match self {
            TokenRefusal::Invalid => arca_s3::aws_error::AwsError::InvalidToken.error(),
            TokenRefusal::Expired => arca_s3::aws_error::AwsError::ExpiredToken.error(),
        }
    }
}

/// Whether `access_key` is a session's (STS's `ASIA` prefix).
pub(crate) fn is_session_key(access_key: &str) -> bool {
    access_key.starts_with("ASIA")
}

impl SessionKeys {
    /// Loads the data folder's session key, creating it on first start.
    pub(crate) fn load_or_create(data_dir: &Path) -> std::io::Result<SessionKeys> {
        let master = crate::credentials::load_or_create_key(data_dir, FILE)?;
        // One key for each use, derived from the file's.
        let master = hmac::Key::new(hmac::HMAC_SHA256, &master);
        let sub = |label: &[u8]| hmac::sign(&master, label);
        let seal = UnboundKey::new(&AES_256_GCM, sub(b"arca sts seal").as_ref())
            .map_err(|_| std::io::Error::other("the session key does not make an AES key"))?;
        Ok(SessionKeys {
            seal: LessSafeKey::new(seal),
            derive: hmac::Key::new(hmac::HMAC_SHA256, sub(b"arca sts secret").as_ref()),
            random: SystemRandom::new(),
        })
    }

    /// The secret of session key `access_key_id`.
    pub(crate) fn secret(&self, access_key_id: &str) -> String {
        let tag = hmac::sign(&self.derive, access_key_id.as_bytes());
        let mut secret = STANDARD.encode(tag.as_ref());
        secret.truncate(40);
        secret
    }

    /// New credentials for `session`.
    pub(crate) fn issue(&self, session: &Session) -> SessionCredentials {
        let access_key_id = ids::random("ASIA", 16, ids::UPPER_DIGITS);
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).expect("system randomness");
        let mut sealed = serde_json::to_vec(session).expect("a session serializes");
        self.seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(access_key_id.as_bytes()),
                &mut sealed,
            )
            .expect("AES-GCM seals any input under 64 GiB");
        let mut token = nonce.to_vec();
        token.extend_from_slice(&sealed);
        SessionCredentials {
            secret_access_key: self.secret(&access_key_id),
            session_token: URL_SAFE_NO_PAD.encode(token),
            access_key_id,
        }
    }

    /// The session `token` was issued as, for `access_key_id`, if it still runs at `now_ms`.
    pub(crate) fn open(&self, access_key_id: &str, token: Option<&str>, now_ms: i64) -> Result<Session, TokenRefusal> {
        let bytes = token
            .and_then(|t| URL_SAFE_NO_PAD.decode(t).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(TokenRefusal::Invalid)?;
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| TokenRefusal::Invalid)?;
        let mut buf = sealed.to_vec();
        let plain = self
            .seal
            .open_in_place(nonce, Aad::from(access_key_id.as_bytes()), &mut buf)
            .map_err(|_| TokenRefusal::Invalid)?;
        let session: Session = serde_json::from_slice(plain).map_err(|_| TokenRefusal::Invalid)?;
        if session.expires_ms <= now_ms {
            return Err(TokenRefusal::Expired);
        }
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expires_ms: i64) -> Session {
        Session {
            account: "111122223333".into(),
            principal: SessionPrincipal::Role {
                role: "reader".into(),
                name: "ci".into(),
            },
            expires_ms,
        }
    }

    #[test]
    fn a_token_opens_only_for_its_key_before_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let keys = SessionKeys::load_or_create(dir.path()).unwrap();
        let c = keys.issue(&session(1_000));
        assert!(c.access_key_id.starts_with("ASIA") && c.access_key_id.len() == 20);
        assert_eq!(c.secret_access_key, keys.secret(&c.access_key_id));
        assert_eq!(c.secret_access_key.len(), 40);
        let token = Some(c.session_token.as_str());
        assert_eq!(keys.open(&c.access_key_id, token, 999), Ok(session(1_000)));
        assert_eq!(keys.open(&c.access_key_id, token, 1_000), Err(TokenRefusal::Expired));
        let other = keys.issue(&session(1_000));
        assert_eq!(
            keys.open(&other.access_key_id, token, 0),
            Err(TokenRefusal::Invalid),
            "another key's token"
        );
        assert_eq!(keys.open(&c.access_key_id, None, 0), Err(TokenRefusal::Invalid));
        let mut tampered = c.session_token.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(
            keys.open(&c.access_key_id, Some(&tampered), 0),
            Err(TokenRefusal::Invalid)
        );
        assert_eq!(
            keys.open(&c.access_key_id, Some("not base64 !"), 0),
            Err(TokenRefusal::Invalid)
        );

        // The same folder, the same key: sessions outlive a restart.
        let again = SessionKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(again.open(&c.access_key_id, token, 0), Ok(session(1_000)));
        assert_eq!(again.secret(&c.access_key_id), c.secret_access_key);
        let elsewhere = SessionKeys::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert_eq!(elsewhere.open(&c.access_key_id, token, 0), Err(TokenRefusal::Invalid));
    }
}
