//! Who may sign requests. Today: the root key pair; IAM users and their keys plug in here.

use arca_s3::aws_error::AwsError;
use s3s::S3Result;
use s3s::auth::{S3Auth, SecretKey};

/// Looks up the secret for an access key, answering AWS's `InvalidAccessKeyId` for unknown keys
/// (s3s's own `SimpleAuth` answers `NotSignedUp`).
pub(crate) struct KeyStore {
    access_key: String,
    secret_key: SecretKey,
}

impl KeyStore {
    pub(crate) fn root(access_key: String, secret_key: String) -> Self {
        KeyStore {
            access_key,
            secret_key: SecretKey::from(secret_key),
        }
    }
}

#[async_trait::async_trait]
impl S3Auth for KeyStore {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if access_key == self.access_key {
            Ok(self.secret_key.clone())
        } else {
            Err(AwsError::InvalidAccessKeyId.error())
        }
    }
}
