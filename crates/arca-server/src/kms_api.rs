//! The KMS API, on the S3 port: what `aws kms --endpoint-url …`, boto3's KMS client and the
//! AWS SDKs send (`POST /`, `X-Amz-Target: TrentService.<Operation>`, a JSON 1.1 body, SigV4
//! for the `kms` service), answered in KMS's JSON.
//!
//! This file reads the request, decides whether the signer may make it, and writes the
//! answer; what is done is `arca_kms::Kms`'s. A request acts in the signer's account; a key
//! of another account is named by its ARN.
//!
//! Who may use a key is decided as KMS decides ([`crate::key_access`]): its key policy, the
//! requester's own policies, and the key's grants. Refusals are `AccessDeniedException`.

use std::sync::Arc;

use arca_iam::{Policy, PolicyKind};
use arca_kms::{EncryptionContext, Kms, KmsError, MAX_RANDOM_BYTES};
use arca_store::{KmsGrantRecord, KmsKeyRecord, KmsKeyState};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result};
use serde_json::{Map, Value, json};

use crate::identity::{Identities, Signer};
use crate::key_access::{Asking, KeyAccess, principal_arns};
use crate::kms_audit::{AuditEntry, KmsAudit, now};
use crate::signed_body::{BodyRefusal, read_bounded};

/// The header that names a KMS operation.
const TARGET: &str = "x-amz-target";
/// Its prefix.
const TARGET_PREFIX: &str = "TrentService.";
/// The largest request body: a 32 KB key policy, or a 6 KB ciphertext, in JSON.
const MAX_BODY: usize = 96 * 1024;

/// The KMS API over the key service.
pub(crate) struct KmsApi {
    /// The key service and the identities, with who may use which key.
    access: Arc<KeyAccess>,
    audit: Arc<KmsAudit>,
}

/// The JSON of a request, with what it names taken out as the answer needs them.
type Params = Map<String, Value>;

impl KmsApi {
    pub(crate) fn new(access: Arc<KeyAccess>, audit: Arc<KmsAudit>) -> Self {
        KmsApi { access, audit }
    }

    fn kms(&self) -> &Kms {
        self.access.kms()
    }

    fn identities(&self) -> &Identities {
        self.access.identities()
    }

    /// Whether a request is one of KMS's.
    pub(crate) fn is_kms(headers: &HeaderMap) -> bool {
        headers
            .get(TARGET)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with(TARGET_PREFIX))
    }

    /// CreateGrant: a grant that the key's policies let the signer give, or that a grant
    /// of the signer's allowing at least as much (without constraints) does.
    async fn create_grant(
        &self,
        signer: &Signer,
        account: &str,
        key: &KmsKeyRecord,
        p: &Params,
    ) -> Result<Value, KmsError> {
        let operations: Vec<String> = p
            .get("Operations")
            .and_then(Value::as_array)
            .ok_or_else(|| KmsError::Validation("Operations is required".into()))?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let constraints = p.get("Constraints");
        let pairs = |name: &str| -> Result<Option<Vec<(String, String)>>, KmsError> {
            match constraints.and_then(|c| c.get(name)) {
                None => Ok(None),
                Some(v) => {
                    let bad = || KmsError::Validation(format!("{name} must be a map of strings"));
                    let map = v.as_object().ok_or_else(bad)?;
                    map.iter()
                        .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())).ok_or_else(bad))
                        .collect::<Result<Vec<_>, _>>()
                        .map(Some)
                }
            }
        };
        let grant = KmsGrantRecord {
            id: String::new(),
            name: p.get("Name").and_then(Value::as_str).map(str::to_string),
            grantee: string(p, "GranteePrincipal")?.to_string(),
            retiring: p.get("RetiringPrincipal").and_then(Value::as_str).map(str::to_string),
            operations,
            context_subset: pairs("EncryptionContextSubset")?,
            context_equals: pairs("EncryptionContextEquals")?,
            issuing_account: account.to_string(),
            created_ms: arca_store::now_ms(),
        };
        let no_context = EncryptionContext::new();
        let by_policy = self.access.allowed_with(
            signer,
            "CreateGrant",
            Some(key),
            &no_context,
            Asking {
                grant_operations: Some(&grant.operations),
                via_service: None,
            },
        );
        // A grantee with CreateGrant may pass on no more than its own grant allows.
        let by_grant = || {
            let arns = principal_arns(self.identities().identity(signer));
            key.grants.iter().any(|g| {
                arns.contains(&g.grantee)
                    && g.operations.iter().any(|o| o == "CreateGrant")
                    && grant.operations.iter().all(|o| g.operations.contains(o))
                    && g.context_subset.is_none()
                    && g.context_equals.is_none()
            })
        };
        if !by_policy && !by_grant() {
            return Err(KmsError::AccessDenied(format!(
                "The principal is not authorized to perform: kms:CreateGrant on resource: {}",
                self.kms().key_arn(key)
            )));
        }
        let (id, token) = self.kms().create_grant(key, grant).await?;
        Ok(json!({ "GrantId": id, "GrantToken": token }))
    }

    /// RetireGrant: by its retiring principal, by its grantee if it may retire it, by the
    /// root user of the account that made it, or by whoever the key's policies let.
    async fn retire_grant(&self, signer: &Signer, account: &str, p: &Params) -> Result<Value, KmsError> {
        let (key_id, grant_id) = match p.get("GrantToken").and_then(Value::as_str) {
            Some(token) => Kms::grant_of_token(token)?,
            None => (string(p, "KeyId")?.to_string(), string(p, "GrantId")?.to_string()),
        };
        let not_found = || KmsError::NotFound(format!("Grant ID {grant_id} not found"));
        // A token names the key by id, whichever account it is in.
        let key = match self.kms().resolve(account, &key_id) {
            Ok(k) => k,
            Err(_) => self.kms().store().kms_key(&key_id)?.ok_or_else(not_found)?,
        };
        let grant = key.grants.iter().find(|g| g.id == grant_id).ok_or_else(not_found)?;
        let arns = principal_arns(self.identities().identity(signer));
        let may = grant.retiring.as_ref().is_some_and(|r| arns.contains(r))
            || (arns.contains(&grant.grantee) && grant.operations.iter().any(|o| o == "RetireGrant"))
            || (matches!(signer, Signer::Root(_)) && grant.issuing_account == account)
            || self
                .access
                .allowed(signer, "RetireGrant", Some(&key), &EncryptionContext::new());
        if !may {
            return Err(KmsError::AccessDenied(format!(
                "The principal is not authorized to perform: kms:RetireGrant on resource: {}",
                self.kms().key_arn(&key)
            )));
        }
        self.kms().remove_grant(&key, &grant_id).await?;
        Ok(json!({}))
    }

    /// ListGrants: a key's grants, as KMS lists them.
    fn list_grants(&self, key: &KmsKeyRecord, p: &Params) -> Value {
        let id = p.get("GrantId").and_then(Value::as_str);
        let grantee = p.get("GranteePrincipal").and_then(Value::as_str);
        let arn = self.kms().key_arn(key);
        let map = |list: &[(String, String)]| -> Map<String, Value> {
            list.iter().map(|(k, v)| (k.clone(), json!(v))).collect()
        };
        let grants: Vec<Value> = key
            .grants
            .iter()
            .filter(|g| id.is_none_or(|i| i == g.id) && grantee.is_none_or(|e| e == g.grantee))
            .map(|g| {
                let mut out = json!({
                    "KeyId": arn,
                    "GrantId": g.id,
                    "GranteePrincipal": g.grantee,
                    "IssuingAccount": format!("arn:aws:iam::{}:root", g.issuing_account),
                    "Operations": g.operations,
                    "CreationDate": seconds(g.created_ms),
                });
                if let Some(name) = &g.name {
                    out["Name"] = json!(name);
                }
                if let Some(r) = &g.retiring {
                    out["RetiringPrincipal"] = json!(r);
                }
                if let Some(subset) = &g.context_subset {
                    out["Constraints"] = json!({ "EncryptionContextSubset": map(subset) });
                }
                if let Some(equals) = &g.context_equals {
                    out["Constraints"] = json!({ "EncryptionContextEquals": map(equals) });
                }
                out
            })
            .collect();
        json!({ "Grants": grants, "Truncated": false })
    }

    async fn handle(&self, signer: &Signer, operation: &str, p: &Params) -> Result<Value, KmsError> {
        let Some(accepted) = accepted_params(operation) else {
            return Err(KmsError::UnknownOperation(format!(
                "Operation {operation} is not supported by Arca"
            )));
        };
        if let Some(other) = p.keys().find(|k| !accepted.contains(&k.as_str())) {
            return Err(KmsError::Unsupported(format!(
                "The parameter {other} of {operation} is not supported by Arca"
            )));
        }
        let account = signer
            .account()
            .map(|a| a.id.clone())
            .ok_or_else(|| KmsError::AccessDenied("The request is not signed.".into()))?;
        let denied = |key: Option<&KmsKeyRecord>| {
            let who = self
                .identities()
                .identity(signer)
                .arn()
                .unwrap_or_else(|| "anonymous".into());
            let on = key.map_or_else(|| "*".to_string(), |k| self.kms().key_arn(k));
            KmsError::AccessDenied(format!(
                "User: {who} is not authorized to perform: kms:{operation} on resource: {on}"
            ))
        };
        let context = encryption_context(p, "EncryptionContext")?;
        // Operations on no key.
        match operation {
            "CreateKey" | "ListKeys" | "ListAliases" | "GenerateRandom" => {
                if !self.access.allowed(signer, operation, None, &context) {
                    return Err(denied(None));
                }
                return match operation {
                    "CreateKey" => self.create_key(&account, p).await,
                    "ListKeys" => self.list_keys(&account),
                    "ListAliases" => self.list_aliases(&account, p),
                    _ => {
                        // `random_bytes` checks the bounds.
                        let n = p.get("NumberOfBytes").and_then(Value::as_u64).unwrap_or(0) as usize;
                        Ok(json!({ "Plaintext": BASE64.encode(&arca_kms::random_bytes(n)?[..]) }))
                    }
                };
            }
            _ => {}
        }
        // Decrypt and ReEncrypt find the key in the ciphertext.
        let ciphertext_in = match operation {
            "Decrypt" | "ReEncrypt" => Some(blob(p, "CiphertextBlob")?),
            _ => None,
        };
        let key_param = match operation {
            "CreateAlias" | "UpdateAlias" => "TargetKeyId",
            "ReEncrypt" => "SourceKeyId",
            _ => "KeyId",
        };
        let key = match (p.get(key_param).and_then(Value::as_str), &ciphertext_in) {
            (Some(id), _) => self.kms().resolve(&account, id)?,
            (None, Some(given)) => {
                let id = Kms::key_of(given)?;
                self.kms().store().kms_key(&id)?.ok_or(KmsError::InvalidCiphertext)?
            }
            (None, None) if operation == "RetireGrant" => {
                return self.retire_grant(signer, &account, p).await;
            }
            (None, None) if operation == "DeleteAlias" => {
                let alias = string(p, "AliasName")?;
                let target = self.kms().resolve(&account, alias)?;
                if !self.access.allowed(signer, operation, Some(&target), &context) {
                    return Err(denied(Some(&target)));
                }
                self.kms().delete_alias(&account, alias).await?;
                return Ok(json!({}));
            }
            (None, None) => return Err(KmsError::Validation(format!("{key_param} is required"))),
        };
        let source_context = match operation {
            "ReEncrypt" => encryption_context(p, "SourceEncryptionContext")?,
            _ => context.clone(),
        };
        match operation {
            "CreateGrant" => return self.create_grant(signer, &account, &key, p).await,
            "RetireGrant" => return self.retire_grant(signer, &account, p).await,
            _ => {}
        }
        let asked = if operation == "ReEncrypt" {
            "ReEncryptFrom"
        } else {
            operation
        };
        if !self.access.allowed(signer, asked, Some(&key), &source_context) {
            return Err(denied(Some(&key)));
        }
        // Managing a key is its own account's business only.
        let own_key = key.account == account;
        if !own_key
            && !matches!(
                operation,
                "Encrypt"
                    | "Decrypt"
                    | "ReEncrypt"
                    | "GenerateDataKey"
                    | "GenerateDataKeyWithoutPlaintext"
                    | "DescribeKey"
            )
        {
            return Err(KmsError::NotFound(format!(
                "Key '{}' does not exist",
                self.kms().key_arn(&key)
            )));
        }
        let arn = self.kms().key_arn(&key);
        match operation {
            "DescribeKey" => Ok(json!({ "KeyMetadata": self.metadata(&key) })),
            "EnableKey" | "DisableKey" => {
                self.kms().set_enabled(&key, operation == "EnableKey").await?;
                Ok(json!({}))
            }
            "ScheduleKeyDeletion" => {
                let days = p.get("PendingWindowInDays").and_then(Value::as_u64).map(|d| d as u32);
                let when = self.kms().schedule_deletion(&key, days).await?;
                Ok(json!({
                    "KeyId": arn,
                    "DeletionDate": seconds(when),
                    "KeyState": "PendingDeletion",
                    "PendingWindowInDays": days.unwrap_or(arca_kms::DEFAULT_PENDING_DAYS),
                }))
            }
            "CancelKeyDeletion" => {
                self.kms().cancel_deletion(&key).await?;
                Ok(json!({ "KeyId": arn }))
            }
            "Encrypt" => {
                let plaintext = blob(p, "Plaintext")?;
                let ciphertext = self.kms().encrypt(&key, &plaintext, &context)?;
                Ok(json!({
                    "CiphertextBlob": BASE64.encode(ciphertext),
                    "KeyId": arn,
                    "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
                }))
            }
            "Decrypt" => {
                let plaintext = self
                    .kms()
                    .decrypt(&key, ciphertext_in.as_deref().unwrap_or_default(), &context)?;
                Ok(json!({
                    "KeyId": arn,
                    "Plaintext": BASE64.encode(&plaintext[..]),
                    "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
                }))
            }
            "ReEncrypt" => {
                let plaintext =
                    self.kms()
                        .decrypt(&key, ciphertext_in.as_deref().unwrap_or_default(), &source_context)?;
                let destination = self.kms().resolve(&account, string(p, "DestinationKeyId")?)?;
                let destination_context = encryption_context(p, "DestinationEncryptionContext")?;
                if !self
                    .access
                    .allowed(signer, "ReEncryptTo", Some(&destination), &destination_context)
                {
                    return Err(denied(Some(&destination)));
                }
                let ciphertext = self.kms().encrypt(&destination, &plaintext, &destination_context)?;
                Ok(json!({
                    "CiphertextBlob": BASE64.encode(ciphertext),
                    "SourceKeyId": arn,
                    "KeyId": self.kms().key_arn(&destination),
                    "SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
                    "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
                }))
            }
            "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" => {
                let bytes = data_key_bytes(p)?;
                let (plaintext, ciphertext) = self.kms().generate_data_key(&key, bytes, &context)?;
                let mut out = json!({ "CiphertextBlob": BASE64.encode(ciphertext), "KeyId": arn });
                if operation == "GenerateDataKey" {
                    out["Plaintext"] = Value::String(BASE64.encode(&plaintext[..]));
                }
                Ok(out)
            }
            "EnableKeyRotation" => {
                let days = p
                    .get("RotationPeriodInDays")
                    .and_then(Value::as_u64)
                    .map_or(arca_kms::DEFAULT_ROTATION_DAYS, |d| d as u32);
                self.kms().set_rotation(&key, Some(days)).await?;
                Ok(json!({}))
            }
            "DisableKeyRotation" => {
                self.kms().set_rotation(&key, None).await?;
                Ok(json!({}))
            }
            "GetKeyRotationStatus" => {
                let mut out = json!({ "KeyId": arn, "KeyRotationEnabled": key.rotation_days.is_some() });
                if let Some(days) = key.rotation_days {
                    out["RotationPeriodInDays"] = json!(days);
                }
                if let Some(next) = key.next_rotation_ms {
                    out["NextRotationDate"] = json!(seconds(next));
                }
                Ok(out)
            }
            "RotateKeyOnDemand" => {
                self.kms().rotate(&key, true).await?;
                Ok(json!({ "KeyId": key.id }))
            }
            "ListKeyRotations" => {
                let rotations: Vec<Value> = key
                    .materials
                    .iter()
                    .skip(1)
                    .map(|m| {
                        json!({
                            "KeyId": key.id,
                            "RotationDate": seconds(m.created_ms),
                            "RotationType": if m.on_demand { "ON_DEMAND" } else { "AUTOMATIC" },
                        })
                    })
                    .collect();
                Ok(json!({ "Rotations": rotations, "Truncated": false }))
            }
            "GetKeyPolicy" => {
                policy_name(p)?;
                Ok(json!({ "Policy": key.policy, "PolicyName": "default" }))
            }
            "PutKeyPolicy" => {
                policy_name(p)?;
                let text = string(p, "Policy")?;
                key_policy(text)?;
                self.kms().put_policy(&key, text.to_string()).await?;
                Ok(json!({}))
            }
            "ListKeyPolicies" => Ok(json!({ "PolicyNames": ["default"], "Truncated": false })),
            "ListGrants" => Ok(self.list_grants(&key, p)),
            "RevokeGrant" => {
                self.kms().remove_grant(&key, string(p, "GrantId")?).await?;
                Ok(json!({}))
            }
            "TagResource" => {
                self.kms().tag(&key, tags(p)?).await?;
                Ok(json!({}))
            }
            "UntagResource" => {
                let names = p
                    .get("TagKeys")
                    .and_then(Value::as_array)
                    .ok_or_else(|| KmsError::Validation("TagKeys is required".into()))?
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                self.kms().untag(&key, names).await?;
                Ok(json!({}))
            }
            "ListResourceTags" => {
                let tags: Vec<Value> = key
                    .tags
                    .iter()
                    .map(|(k, v)| json!({ "TagKey": k, "TagValue": v }))
                    .collect();
                Ok(json!({ "Tags": tags, "Truncated": false }))
            }
            "CreateAlias" => {
                self.kms().create_alias(&account, string(p, "AliasName")?, &key).await?;
                Ok(json!({}))
            }
            "UpdateAlias" => {
                self.kms().update_alias(&account, string(p, "AliasName")?, &key).await?;
                Ok(json!({}))
            }
            _ => Err(KmsError::Unsupported(format!(
                "Operation {operation} is not supported by Arca"
            ))),
        }
    }

    async fn create_key(&self, account: &str, p: &Params) -> Result<Value, KmsError> {
        for (param, only) in [
            ("KeyUsage", "ENCRYPT_DECRYPT"),
            ("KeySpec", "SYMMETRIC_DEFAULT"),
            ("CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"),
            ("Origin", "AWS_KMS"),
        ] {
            if let Some(v) = p.get(param).and_then(Value::as_str)
                && v != only
            {
                return Err(KmsError::Unsupported(format!(
                    "{param} {v} is not supported by Arca: only {only}"
                )));
            }
        }
        if p.get("MultiRegion").and_then(Value::as_bool) == Some(true) {
            return Err(KmsError::Unsupported(
                "Multi-Region keys are not supported by Arca".into(),
            ));
        }
        let policy = match p.get("Policy").and_then(Value::as_str) {
            Some(text) => {
                key_policy(text)?;
                Some(text.to_string())
            }
            None => None,
        };
        let description = p
            .get("Description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let key = self
            .kms()
            .create_key(account, description, policy, tags(p)?, false)
            .await?;
        Ok(json!({ "KeyMetadata": self.metadata(&key) }))
    }

    fn list_keys(&self, account: &str) -> Result<Value, KmsError> {
        let keys: Vec<Value> = self
            .kms()
            .store()
            .kms_keys(account)?
            .iter()
            .map(|k| json!({ "KeyId": k.id, "KeyArn": self.kms().key_arn(k) }))
            .collect();
        Ok(json!({ "Keys": keys, "Truncated": false }))
    }

    fn list_aliases(&self, account: &str, p: &Params) -> Result<Value, KmsError> {
        let only = match p.get("KeyId").and_then(Value::as_str) {
            Some(id) => Some(self.kms().resolve(account, id)?.id),
            None => None,
        };
        let aliases: Vec<Value> = self
            .kms()
            .store()
            .kms_aliases(account)?
            .iter()
            .filter(|a| only.as_ref().is_none_or(|id| *id == a.key_id))
            .map(|a| {
                json!({
                    "AliasName": a.name,
                    "AliasArn": self.kms().alias_arn(account, &a.name),
                    "TargetKeyId": a.key_id,
                    "CreationDate": seconds(a.created_ms),
                    "LastUpdatedDate": seconds(a.updated_ms),
                })
            })
            .collect();
        Ok(json!({ "Aliases": aliases, "Truncated": false }))
    }

    fn metadata(&self, key: &KmsKeyRecord) -> Value {
        let mut m = json!({
            "AWSAccountId": key.account,
            "KeyId": key.id,
            "Arn": self.kms().key_arn(key),
            "CreationDate": seconds(key.created_ms),
            "Enabled": key.state == KmsKeyState::Enabled,
            "Description": key.description,
            "KeyUsage": "ENCRYPT_DECRYPT",
            "KeyState": match key.state {
                KmsKeyState::Enabled => "Enabled",
                KmsKeyState::Disabled => "Disabled",
                KmsKeyState::PendingDeletion => "PendingDeletion",
            },
            "Origin": "AWS_KMS",
            "KeyManager": if key.aws_managed { "AWS" } else { "CUSTOMER" },
            "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
            "KeySpec": "SYMMETRIC_DEFAULT",
            "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
            "MultiRegion": false,
        });
        if let Some(when) = key.deletion_ms {
            m["DeletionDate"] = json!(seconds(when));
        }
        m
    }
}

/// The parameters each operation honours (others are refused, never ignored).
fn accepted_params(operation: &str) -> Option<&'static [&'static str]> {
    Some(match operation {
        "CreateKey" => &[
            "Description",
            "KeyUsage",
            "KeySpec",
            "CustomerMasterKeySpec",
            "Origin",
            "Policy",
            "Tags",
            "MultiRegion",
            "BypassPolicyLockoutSafetyCheck",
        ],
        "DescribeKey"
        | "EnableKey"
        | "DisableKey"
        | "CancelKeyDeletion"
        | "DisableKeyRotation"
        | "GetKeyRotationStatus"
        | "RotateKeyOnDemand"
        | "ListKeyPolicies" => &["KeyId"],
        "ListKeyRotations" | "ListResourceTags" => &["KeyId", "Limit"],
        "ListKeys" => &["Limit"],
        "ListAliases" => &["KeyId", "Limit"],
        "ScheduleKeyDeletion" => &["KeyId", "PendingWindowInDays"],
        "EnableKeyRotation" => &["KeyId", "RotationPeriodInDays"],
        "CreateAlias" | "UpdateAlias" => &["AliasName", "TargetKeyId"],
        "DeleteAlias" => &["AliasName"],
        "Encrypt" => &["KeyId", "Plaintext", "EncryptionContext", "EncryptionAlgorithm"],
        "Decrypt" => &["KeyId", "CiphertextBlob", "EncryptionContext", "EncryptionAlgorithm"],
        "ReEncrypt" => &[
            "CiphertextBlob",
            "SourceEncryptionContext",
            "SourceKeyId",
            "DestinationKeyId",
            "DestinationEncryptionContext",
            "SourceEncryptionAlgorithm",
            "DestinationEncryptionAlgorithm",
        ],
        "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" => {
            &["KeyId", "KeySpec", "NumberOfBytes", "EncryptionContext"]
        }
        "GenerateRandom" => &["NumberOfBytes"],
        "GetKeyPolicy" => &["KeyId", "PolicyName"],
        "PutKeyPolicy" => &["KeyId", "PolicyName", "Policy", "BypassPolicyLockoutSafetyCheck"],
        "TagResource" => &["KeyId", "Tags"],
        "CreateGrant" => &[
            "KeyId",
            "GranteePrincipal",
            "RetiringPrincipal",
            "Operations",
            "Constraints",
            "Name",
        ],
        "ListGrants" => &["KeyId", "GrantId", "GranteePrincipal", "Limit"],
        "RetireGrant" => &["GrantToken", "KeyId", "GrantId"],
        "RevokeGrant" => &["KeyId", "GrantId"],
        "UntagResource" => &["KeyId", "TagKeys"],
        _ => return None,
    })
}

fn string<'a>(p: &'a Params, name: &str) -> Result<&'a str, KmsError> {
    p.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| KmsError::Validation(format!("{name} is required")))
}

/// A base64 blob parameter.
fn blob(p: &Params, name: &str) -> Result<Vec<u8>, KmsError> {
    let text = string(p, name)?;
    let bytes = BASE64
        .decode(text)
        .map_err(|_| KmsError::Validation(format!("{name} is not valid base64")))?;
    if bytes.is_empty() || bytes.len() > 6144 {
        return Err(KmsError::Validation(format!(
            "1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must have length between 1 and 6144"
        )));
    }
    Ok(bytes)
}

fn encryption_context(p: &Params, name: &str) -> Result<EncryptionContext, KmsError> {
    let Some(v) = p.get(name) else {
        return Ok(EncryptionContext::new());
    };
    let map = v
        .as_object()
        .ok_or_else(|| KmsError::Validation(format!("{name} must be a map of strings")))?;
    map.iter()
        .map(|(k, v)| {
            v.as_str()
                .map(|s| (k.clone(), s.to_string()))
                .ok_or_else(|| KmsError::Validation(format!("{name} must be a map of strings")))
        })
        .collect()
}

fn data_key_bytes(p: &Params) -> Result<usize, KmsError> {
    match (
        p.get("KeySpec").and_then(Value::as_str),
        p.get("NumberOfBytes").and_then(Value::as_u64),
    ) {
        (Some(_), Some(_)) => Err(KmsError::Validation(
            "Please specify either number of bytes or key spec.".into(),
        )),
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        (Some(other), None) => Err(KmsError::Validation(format!(
            "1 validation error detected: Value '{other}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"
        ))),
        (None, Some(n)) if (1..=MAX_RANDOM_BYTES as u64).contains(&n) => Ok(n as usize),
        (None, Some(n)) => Err(KmsError::Validation(format!(
            "1 validation error detected: Value '{n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024"
        ))),
        (None, None) => Err(KmsError::Validation(
            "Please specify either number of bytes or key spec.".into(),
        )),
    }
}

fn tags(p: &Params) -> Result<Vec<(String, String)>, KmsError> {
    let Some(list) = p.get("Tags") else {
        return Ok(Vec::new());
    };
    let bad = || KmsError::Validation("Tags must be a list of {TagKey, TagValue}".into());
    list.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|t| {
            let k = t.get("TagKey").and_then(Value::as_str).ok_or_else(bad)?;
            let v = t.get("TagValue").and_then(Value::as_str).ok_or_else(bad)?;
            Ok((k.to_string(), v.to_string()))
        })
        .collect()
}

/// KMS keys have one policy, `default`.
fn policy_name(p: &Params) -> Result<(), KmsError> {
    match p.get("PolicyName").and_then(Value::as_str) {
        None | Some("default") => Ok(()),
        Some(other) => Err(KmsError::NotFound(format!("No such policy exists: {other}"))),
    }
}

/// A key policy, checked as KMS checks it before storing it.
fn key_policy(text: &str) -> Result<(), KmsError> {
    Policy::parse(text, &PolicyKind::Key)
        .map(|_| ())
        .map_err(|e| KmsError::MalformedPolicy(e.to_string()))
}

/// `ms` since the epoch as KMS's JSON has dates: seconds, with a fraction.
fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn respond(status: StatusCode, body: &Value) -> S3Response<Body> {
    let mut resp = S3Response::with_status(Body::from(body.to_string()), status);
    resp.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    resp
}

fn error(e: &KmsError) -> S3Response<Body> {
    let status = if e.is_internal() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    respond(status, &json!({ "__type": e.code(), "message": e.to_string() }))
}

#[async_trait::async_trait]
impl S3Route for KmsApi {
    fn is_match(&self, method: &Method, uri: &Uri, headers: &HeaderMap, _ext: &mut http::Extensions) -> bool {
        method == Method::POST && uri.path() == "/" && Self::is_kms(headers)
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        // Decided per operation in `call`, where KMS's own error format can answer.
        match req.credentials {
            Some(_) => Ok(()),
            None => Err(arca_s3::aws_error::AwsError::AccessDenied.error()),
        }
    }

    async fn call(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let operation = req
            .headers
            .get(TARGET)
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.strip_prefix(TARGET_PREFIX))
            .unwrap_or_default()
            .to_string();
        let body = match read_bounded(&mut req, MAX_BODY).await {
            Ok(b) => b,
            Err(BodyRefusal::TooLarge) => {
                return Ok(error(&KmsError::Validation("The request body is too large.".into())));
            }
            Err(BodyRefusal::NotSigned) => {
                return Ok(respond(
                    StatusCode::BAD_REQUEST,
                    &json!({ "__type": "InvalidSignatureException", "message": "The request signature we calculated does not match the signature you provided." }),
                ));
            }
        };
        let params = match serde_json::from_slice::<Value>(if body.is_empty() { b"{}" } else { &body }) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Ok(error(&KmsError::Validation(
                    "The request body is not a JSON object.".into(),
                )));
            }
        };
        let access_key = req.credentials.as_ref().map(|c| c.access_key.as_str());
        let token = crate::sessions::token_of(&req.headers, &req.uri);
        let signer = match self.identities().signer(access_key, token.as_deref()) {
            Ok(s) => s,
            Err(_) => {
                return Ok(respond(
                    StatusCode::BAD_REQUEST,
                    &json!({ "__type": "UnrecognizedClientException", "message": "The security token included in the request is invalid." }),
                ));
            }
        };
        let principal = self
            .identities()
            .identity(&signer)
            .arn()
            .unwrap_or_else(|| "anonymous".into());
        let key = params
            .get("KeyId")
            .or_else(|| params.get("TargetKeyId"))
            .or_else(|| params.get("AliasName"))
            .and_then(Value::as_str)
            .map(str::to_string)
            // Decrypt names no key: its ciphertext does.
            .or_else(|| {
                let blob = BASE64.decode(params.get("CiphertextBlob")?.as_str()?).ok()?;
                Kms::key_of(&blob).ok()
            })
            .unwrap_or_default();
        let answer = self.handle(&signer, &operation, &params).await;
        self.audit.record(AuditEntry {
            time: now(),
            principal,
            operation,
            key,
            result: answer
                .as_ref()
                .map_or_else(|e| e.code().to_string(), |_| "ok".to_string()),
            via: "kms",
        });
        Ok(match answer {
            Ok(value) => respond(StatusCode::OK, &value),
            Err(e) => error(&e),
        })
    }
}
