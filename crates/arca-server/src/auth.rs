//! Who may sign requests: the root key pair, and the active access keys of IAM users (looked
//! up in the store on each request, so that deactivating or deleting a key takes effect on
//! the next one — presigned URLs made with it included).

use std::sync::Arc;

use arca_s3::aws_error::AwsError;
use arca_store::Store;
use s3s::S3Result;
use s3s::auth::{S3Auth, SecretKey};

use crate::secrets::SecretWrapper;

/// Looks up the secret for an access key, answering AWS's `InvalidAccessKeyId` for unknown and
/// inactive keys (s3s's own `SimpleAuth` answers `NotSignedUp`).
pub(crate) struct KeyStore {
    access_key: String,
    secret_key: SecretKey,
    store: Arc<Store>,
    secrets: Arc<SecretWrapper>,
}

impl KeyStore {
    pub(crate) fn new(access_key: String, secret_key: String, store: Arc<Store>, secrets: Arc<SecretWrapper>) -> Self {
        KeyStore {
            access_key,
            secret_key: SecretKey::from(secret_key),
            store,
            secrets,
        }
    }
}

#[async_trait::async_trait]
impl S3Auth for KeyStore {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if access_key == self.access_key {
            return Ok(self.secret_key.clone());
        }
        let key = self
            .store
            .get_access_key(access_key)
            .map_err(arca_s3::error::store_error)?
            .filter(|k| k.active)
            .ok_or_else(|| AwsError::InvalidAccessKeyId.error())?;
        match self.secrets.unwrap(&key.id, &key.wrapped_secret) {
            Some(secret) => Ok(SecretKey::from(secret)),
            None => {
                tracing::error!(
                    access_key,
                    "a stored secret does not open with this data folder's wrapping key"
                );
                Err(AwsError::InvalidAccessKeyId.error())
            }
        }
    }
}
