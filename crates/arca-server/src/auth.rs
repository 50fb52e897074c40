//! Who may sign requests: the root key pair, and the active access keys of IAM users (resolved
//! by [`Identities`], so that deactivating or deleting a key takes effect on the next request —
//! presigned URLs made with it included).

use std::sync::Arc;

use arca_s3::aws_error::AwsError;
use s3s::S3Result;
use s3s::auth::{S3Auth, SecretKey};

use crate::identity::Identities;

/// Looks up the secret for an access key, answering AWS's `InvalidAccessKeyId` for unknown and
/// inactive keys (s3s's own `SimpleAuth` answers `NotSignedUp`).
pub(crate) struct KeyStore {
    secret_key: SecretKey,
    identities: Arc<Identities>,
}

impl KeyStore {
    pub(crate) fn new(root_secret_key: String, identities: Arc<Identities>) -> Self {
        KeyStore {
            secret_key: SecretKey::from(root_secret_key),
            identities,
        }
    }
}

#[async_trait::async_trait]
impl S3Auth for KeyStore {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if access_key == self.identities.root_access_key() {
            return Ok(self.secret_key.clone());
        }
        match self.identities.secret(access_key) {
            Some(secret) => Ok(SecretKey::from(secret)),
            None => Err(AwsError::InvalidAccessKeyId.error()),
        }
    }
}
