//! SSE-KMS for S3 objects: their data keys, made and opened by the key service on the
//! requester's behalf. The requester needs `kms:GenerateDataKey` on the key to write and
//! `kms:Decrypt` to read, decided as for any KMS request ([`crate::key_access`]), with
//! `kms:ViaService` naming S3. Each object's data key is bound to it: the encryption context
//! always holds `aws:s3:arn` (the object's ARN), besides what the writer asked for.
//!
//! With an S3 Bucket Key, the data key comes from a bucket key (context: the bucket's ARN)
//! that [`BucketKeys`] holds for the requester with the decision that let them use it: the
//! KMS operation (and its audit record) happens once per requester and bucket key, and the
//! decision is taken again whenever users, keys, policies or grants change.

use std::sync::Arc;

use arca_kms::{EncryptionContext, Kms, KmsError};
use arca_s3::error::kms_error;
use arca_s3::{KmsDataKeys, Requester};
use arca_store::{DataKey, EncryptionDescriptor, SseAlgorithm};
use s3s::S3Result;

use crate::bucket_keys::{BucketKeys, Generations, Held};
use crate::identity::Signer;
use crate::key_access::{Asking, KeyAccess};
use crate::kms_audit::{AuditEntry, KmsAudit, now};

/// The key service as S3 asks it.
pub(crate) struct SseKms {
    access: Arc<KeyAccess>,
    audit: Arc<KmsAudit>,
    /// `kms:ViaService` of S3's requests: `s3.<region>.amazonaws.com`, as AWS names it.
    via: String,
    bucket_keys: BucketKeys,
}

impl SseKms {
    pub(crate) fn new(access: Arc<KeyAccess>, audit: Arc<KmsAudit>, region: &str) -> Self {
        SseKms {
            access,
            audit,
            via: format!("s3.{region}.amazonaws.com"),
            bucket_keys: BucketKeys::default(),
        }
    }

    /// Who `signer` is, as the audit trail and the bucket keys name them.
    fn principal(&self, signer: &Signer) -> String {
        self.access
            .identities()
            .identity(signer)
            .arn()
            .unwrap_or_else(|| "anonymous".into())
    }

    /// Records an operation asked on `signer`'s behalf in the audit trail.
    fn audit<T>(&self, signer: &Signer, operation: &str, key: &str, outcome: &S3Result<T>) {
        let principal = self.principal(signer);
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
        bucket_key: bool,
    ) -> S3Result<(DataKey, EncryptionDescriptor)> {
        let signer = self.signer(requester)?;
        if bucket_key {
            return self.generate_from_bucket_key(&signer, key_id, context).await;
        }
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
        if let Some(salt) = &descriptor.bucket_key_salt {
            return self
                .bucket_key_of(&signer, descriptor)
                .map(|held| held.key.object_key(salt));
        }
        let outcome = self.decrypt_for(&signer, descriptor);
        let key = descriptor.key_id.clone().unwrap_or_default();
        self.audit(&signer, "Decrypt", &key, &outcome);
        outcome
    }
}

impl SseKms {
    /// The KMS key a write names for `signer` (`None`: the account's `aws/s3` key).
    async fn write_key(&self, signer: &Signer, key_id: Option<&str>) -> S3Result<arca_store::KmsKeyRecord> {
        let account = signer
            .account()
            .map(|a| a.id.clone())
            .ok_or_else(|| kms_error(&KmsError::AccessDenied("The request is not signed.".into())))?;
        let kms = self.access.kms();
        match key_id {
            Some(id) => kms.resolve(&account, id),
            None => kms.aws_s3_key(&account).await,
        }
        .map_err(|e| kms_error(&e))
    }

    async fn generate_for(
        &self,
        signer: &Signer,
        key_id: Option<&str>,
        context: &EncryptionContext,
    ) -> S3Result<(DataKey, EncryptionDescriptor)> {
        let kms = self.access.kms();
        let key = self.write_key(signer, key_id).await?;
        self.allowed(signer, "GenerateDataKey", &key, context)?;
        let (plaintext, blob) = kms.generate_data_key(&key, 32, context).map_err(|e| kms_error(&e))?;
        let data_key = DataKey::from_bytes(&plaintext).ok_or_else(|| kms_error(&KmsError::Internal))?;
        let descriptor = EncryptionDescriptor {
            customer_key: None,
            bucket_key_salt: None,
            algorithm: SseAlgorithm::AwsKms,
            key_id: Some(kms.key_arn(&key)),
            wrapped_key: blob,
            context: context.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        };
        Ok((data_key, descriptor))
    }

    /// The store's identity and KMS generations: what a held bucket key's decision stands on.
    fn generations(&self) -> Generations {
        let store = self.access.kms().store();
        (store.identity_generation(), store.kms_generation())
    }

    /// A new object's data key from the bucket key `signer` writes with under the named KMS
    /// key and `context` (the bucket's ARN), made by the KMS if none is held.
    async fn generate_from_bucket_key(
        &self,
        signer: &Signer,
        key_id: Option<&str>,
        context: &EncryptionContext,
    ) -> S3Result<(DataKey, EncryptionDescriptor)> {
        // Read before anything is decided: a change meanwhile makes the next object decide again.
        let generations = self.generations();
        let principal = self.principal(signer);
        let held = self.bucket_keys.writing(&principal, key_id, context);
        let held = match held {
            Some(h) if h.decided_at(generations) => h,
            held => {
                let decided = self.decide_write(signer, key_id, context, held, generations).await?;
                self.bucket_keys
                    .hold_writing(&principal, (key_id, context), decided.clone());
                decided
            }
        };
        let salt = arca_kms::new_object_salt();
        let descriptor = EncryptionDescriptor {
            customer_key: None,
            bucket_key_salt: Some(salt.clone()),
            algorithm: SseAlgorithm::AwsKms,
            key_id: Some(held.key_arn.clone()),
            wrapped_key: held.blob.clone(),
            context: context.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        };
        Ok((held.key.object_key(&salt), descriptor))
    }

    /// Decides whether `signer` may write under the named key with `context` now, and gives
    /// the bucket key to write with: `held` if it is still the named key's, else a new one
    /// from the KMS.
    async fn decide_write(
        &self,
        signer: &Signer,
        key_id: Option<&str>,
        context: &EncryptionContext,
        held: Option<Arc<Held>>,
        generations: Generations,
    ) -> S3Result<Arc<Held>> {
        let kms = self.access.kms();
        // Refusals are recorded as the KMS would record them, held key or not.
        let checked = match self.write_key(signer, key_id).await {
            Ok(key) => self
                .allowed(signer, "GenerateDataKey", &key, context)
                .and_then(|()| kms.usable(&key).map_err(|e| kms_error(&e)))
                .map(|()| key),
            Err(e) => Err(e),
        };
        if checked.is_err() {
            self.audit(signer, "GenerateDataKey", key_id.unwrap_or("alias/aws/s3"), &checked);
        }
        let key = checked?;
        let key_arn = kms.key_arn(&key);
        // An alias may have moved to another key since.
        if let Some(held) = held.filter(|h| h.key_arn == key_arn) {
            return Ok(held.redecided(generations));
        }
        let made = kms.generate_data_key(&key, 32, context).map_err(|e| kms_error(&e));
        self.audit(signer, "GenerateDataKey", &key_arn, &made);
        let (plaintext, blob) = made?;
        let bucket_key = DataKey::from_bytes(&plaintext).ok_or_else(|| kms_error(&KmsError::Internal))?;
        Ok(Held::new(&bucket_key, blob, key_arn, generations))
    }

    /// The KMS key of an SSE-KMS record, once `signer` may decrypt under it and it is usable.
    fn readable_key(
        &self,
        signer: &Signer,
        descriptor: &EncryptionDescriptor,
    ) -> S3Result<(arca_store::KmsKeyRecord, EncryptionContext)> {
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
        Ok((key, context))
    }

    fn decrypt_for(&self, signer: &Signer, descriptor: &EncryptionDescriptor) -> S3Result<DataKey> {
        let (key, context) = self.readable_key(signer, descriptor)?;
        self.open(&key, &context, descriptor)
    }

    /// The key `descriptor` wraps, opened by the KMS under `key` (already decided on).
    fn open(
        &self,
        key: &arca_store::KmsKeyRecord,
        context: &EncryptionContext,
        descriptor: &EncryptionDescriptor,
    ) -> S3Result<DataKey> {
        let plaintext = self
            .access
            .kms()
            .decrypt(key, &descriptor.wrapped_key, context)
            .map_err(|e| kms_error(&e))?;
        DataKey::from_bytes(&plaintext).ok_or_else(|| kms_error(&KmsError::Internal))
    }

    /// The bucket key of a record that has one: held (its use decided again when anything it
    /// depends on changed), or opened by the KMS for `signer`.
    fn bucket_key_of(&self, signer: &Signer, descriptor: &EncryptionDescriptor) -> S3Result<Arc<Held>> {
        // Read before anything is decided: a change meanwhile makes the next object decide again.
        let generations = self.generations();
        let principal = self.principal(signer);
        let held = self.bucket_keys.opened(&principal, &descriptor.wrapped_key);
        if let Some(h) = &held
            && h.decided_at(generations)
        {
            return Ok(h.clone());
        }
        let kms = self.access.kms();
        // Refusals are recorded as the KMS would record them, held key or not.
        let checked = self
            .readable_key(signer, descriptor)
            .and_then(|(key, context)| kms.usable(&key).map_err(|e| kms_error(&e)).map(|()| (key, context)));
        if checked.is_err() {
            self.audit(
                signer,
                "Decrypt",
                descriptor.key_id.as_deref().unwrap_or_default(),
                &checked,
            );
        }
        let (key, context) = checked?;
        let held = match held {
            Some(h) => h.redecided(generations),
            None => {
                // Decided above: the KMS only opens it now.
                let opened = self.open(&key, &context, descriptor);
                self.audit(signer, "Decrypt", &kms.key_arn(&key), &opened);
                Held::new(&opened?, descriptor.wrapped_key.clone(), kms.key_arn(&key), generations)
            }
        };
        self.bucket_keys.hold_opened(&principal, held.clone());
        Ok(held)
    }
}
