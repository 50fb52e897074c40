//! SSE-KMS for S3 objects: their data keys, made and opened by the key service on the
//! requester's behalf. The requester needs `kms:GenerateDataKey` on the key to write and
//! `kms:Decrypt` to read, decided as for any KMS request ([`crate::key_access`]), with
//! `kms:ViaService` naming S3. Each object's data key is bound to it: the encryption context
//! always holds `aws:s3:arn` (the object's ARN), besides what the writer asked for.

use std::sync::Arc;

use arca_kms::{EncryptionContext, Kms, KmsError};
use arca_s3::error::kms_error;
use arca_s3::{KmsDataKeys, Requester};
use arca_store::{DataKey, EncryptionDescriptor, SseAlgorithm};
use s3s::S3Result;

use crate::identity::Signer;
use crate::key_access::{Asking, KeyAccess};
use crate::kms_audit::{AuditEntry, KmsAudit, now};

/// The key service as S3 asks it.
pub(crate) struct SseKms {
    access: Arc<KeyAccess>,
    audit: Arc<KmsAudit>,
    /// `kms:ViaService` of S3's requests: `s3.<region>.amazonaws.com`, as AWS names it.
    via: String,
}

impl SseKms {
    pub(crate) fn new(access: Arc<KeyAccess>, audit: Arc<KmsAudit>, region: &str) -> Self {
        SseKms {
            access,
            audit,
            via: format!("s3.{region}.amazonaws.com"),
        }
    }

    /// Records an operation asked on `signer`'s behalf in the audit trail.
    fn audit<T>(&self, signer: &Signer, operation: &str, key: &str, outcome: &S3Result<T>) {
        let principal = self
            .access
            .identities()
            .identity(signer)
            .arn()
            .unwrap_or_else(|| "anonymous".into());
        self.audit.record(AuditEntry {
            time: now(),
            principal,
            operation: operation.to_string(),
            key: key.to_string(),
            result: match outcome {
                Ok(_) => "ok".to_string(),
                Err(e) => e.code().as_str().to_string(),
            },
            via: "s3",
        });
    }

    fn signer(&self, requester: &Requester) -> S3Result<Signer> {
        self.access
            .identities()
            .signer(requester.access_key.as_deref(), requester.session_token.as_deref())
            .map_err(|refusal| refusal.error())
    }

    fn allowed(
        &self,
        signer: &Signer,
        operation: &str,
        key: &arca_store::KmsKeyRecord,
        context: &EncryptionContext,
    ) -> S3Result<()> {
        let asking = Asking {
            grant_operations: None,
            via_service: Some(&self.via),
        };
        if self.access.allowed_with(signer, operation, Some(key), context, asking) {
            return Ok(());
        }
        let who = self
            .access
            .identities()
            .identity(signer)
            .arn()
            .unwrap_or_else(|| "anonymous".into());
        Err(kms_error(&KmsError::AccessDenied(format!(
            "User: {who} is not authorized to perform: kms:{operation} on resource: {}",
            self.access.kms().key_arn(key)
        ))))
    }
}

#[async_trait::async_trait]
impl KmsDataKeys for SseKms {
    async fn generate(
        &self,
        requester: &Requester,
        key_id: Option<&str>,
        context: &EncryptionContext,
    ) -> S3Result<(DataKey, EncryptionDescriptor)> {
        let signer = self.signer(requester)?;
        let outcome = self.generate_for(&signer, key_id, context).await;
        let key = outcome
            .as_ref()
            .ok()
            .and_then(|(_, d)| d.key_id.clone())
            .unwrap_or_else(|| key_id.unwrap_or("alias/aws/s3").to_string());
        self.audit(&signer, "GenerateDataKey", &key, &outcome);
        outcome
    }

    async fn decrypt(&self, requester: &Requester, descriptor: &EncryptionDescriptor) -> S3Result<DataKey> {
        let signer = self.signer(requester)?;
        let outcome = self.decrypt_for(&signer, descriptor);
        let key = descriptor.key_id.clone().unwrap_or_default();
        self.audit(&signer, "Decrypt", &key, &outcome);
        outcome
    }
}

impl SseKms {
    async fn generate_for(
        &self,
        signer: &Signer,
        key_id: Option<&str>,
        context: &EncryptionContext,
    ) -> S3Result<(DataKey, EncryptionDescriptor)> {
        let account = signer
            .account()
            .map(|a| a.id.clone())
            .ok_or_else(|| kms_error(&KmsError::AccessDenied("The request is not signed.".into())))?;
        let kms = self.access.kms();
        let key = match key_id {
            Some(id) => kms.resolve(&account, id),
            None => kms.aws_s3_key(&account).await,
        }
        .map_err(|e| kms_error(&e))?;
        self.allowed(signer, "GenerateDataKey", &key, context)?;
        let (plaintext, blob) = kms.generate_data_key(&key, 32, context).map_err(|e| kms_error(&e))?;
        let data_key = DataKey::from_bytes(&plaintext).ok_or_else(|| kms_error(&KmsError::Internal))?;
        let descriptor = EncryptionDescriptor {
            customer_key: None,
            algorithm: SseAlgorithm::AwsKms,
            key_id: Some(kms.key_arn(&key)),
            wrapped_key: blob,
            context: context.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        };
        Ok((data_key, descriptor))
    }

    fn decrypt_for(&self, signer: &Signer, descriptor: &EncryptionDescriptor) -> S3Result<DataKey> {
        let kms = self.access.kms();
        let id = Kms::key_of(&descriptor.wrapped_key).map_err(|e| kms_error(&e))?;
        let key = kms
            .store()
            .kms_key(&id)
            .map_err(|e| kms_error(&KmsError::from(e)))?
            // A deleted key: its objects are unreadable for good.
            .ok_or_else(|| kms_error(&KmsError::NotFound(format!("Key '{id}' does not exist"))))?;
        let context: EncryptionContext = descriptor.context.iter().cloned().collect();
        self.allowed(signer, "Decrypt", &key, &context)?;
        let plaintext = kms
            .decrypt(&key, &descriptor.wrapped_key, &context)
            .map_err(|e| kms_error(&e))?;
        DataKey::from_bytes(&plaintext).ok_or_else(|| kms_error(&KmsError::Internal))
    }
}
