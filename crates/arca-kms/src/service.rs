//! The key management service's logic: keys, their material and rotations, aliases, tags,
//! and the cryptographic operations. Who may ask is decided by the caller (the server's KMS
//! API evaluates key policies and identity policies); this is what is done once allowed.

use std::sync::Arc;

use arca_store::{DataKey, KeyMaterial, KmsAliasRecord, KmsGrantRecord, KmsKeyRecord, KmsKeyState, Store, now_ms};
use ring::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
use zeroize::Zeroizing;

use crate::ciphertext::{self, BlobHeader, EncryptionContext};
use crate::{Keyring, KmsError};

/// Days a scheduled deletion waits, unless the request says: KMS's default, and its bounds.
pub const DEFAULT_PENDING_DAYS: u32 = 30;
const PENDING_DAYS: std::ops::RangeInclusive<u32> = 7..=30;
/// Automatic rotation's period: KMS's default, and its bounds.
pub const DEFAULT_ROTATION_DAYS: u32 = 365;
const ROTATION_DAYS: std::ops::RangeInclusive<u32> = 90..=2560;
/// The most bytes Encrypt takes.
pub const MAX_PLAINTEXT: usize = 4096;
/// The most bytes GenerateRandom and GenerateDataKey's `NumberOfBytes` give.
pub const MAX_RANDOM_BYTES: usize = 1024;
/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// The service over one store, in one region.
pub struct Kms {
    store: Arc<Store>,
    keyring: Arc<Keyring>,
    region: String,
}

impl Kms {
    /// The service; key material is wrapped by `keyring`'s key-encryption keys.
    pub fn new(store: Arc<Store>, keyring: Arc<Keyring>, region: impl Into<String>) -> Kms {
        Kms {
            store,
            keyring,
            region: region.into(),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// A key's ARN.
    pub fn key_arn(&self, key: &KmsKeyRecord) -> String {
        format!("arn:aws:kms:{}:{}:key/{}", self.region, key.account, key.id)
    }

    /// An alias's ARN.
    pub fn alias_arn(&self, account: &str, alias: &str) -> String {
        format!("arn:aws:kms:{}:{account}:{alias}", self.region)
    }

    /// The key policy a key gets when its creator gives none: the account's IAM decides.
    pub fn default_policy(account: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Id":"key-default-1","Statement":[{{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
        )
    }

    /// Makes a key of `account`, with fresh material.
    pub async fn create_key(
        &self,
        account: &str,
        description: String,
        policy: Option<String>,
        tags: Vec<(String, String)>,
        aws_managed: bool,
    ) -> Result<KmsKeyRecord, KmsError> {
        let created_ms = now_ms();
        let record = KmsKeyRecord {
            id: uuid(),
            account: account.to_string(),
            description,
            created_ms,
            state: KmsKeyState::Enabled,
            deletion_ms: None,
            aws_managed,
            policy: policy.unwrap_or_else(|| Self::default_policy(account)),
            // AWS managed keys rotate every year, always.
            rotation_days: aws_managed.then_some(DEFAULT_ROTATION_DAYS),
            next_rotation_ms: aws_managed.then_some(created_ms + i64::from(DEFAULT_ROTATION_DAYS) * DAY_MS),
            materials: vec![self.new_material(1, false)],
            tags,
            grants: Vec::new(),
        };
        self.store.create_kms_key(record.clone()).await?;
        Ok(record)
    }

    fn new_material(&self, version: u32, on_demand: bool) -> KeyMaterial {
        KeyMaterial {
            version,
            created_ms: now_ms(),
            wrapped: self.keyring.wrap_key(&DataKey::random()),
            on_demand,
        }
    }

    /// The key `key_id` names for `account`: a key id, a key ARN, an alias name (`alias/x`)
    /// or an alias ARN. A key of another account is named by its ARN only.
    pub fn resolve(&self, account: &str, key_id: &str) -> Result<KmsKeyRecord, KmsError> {
        let not_found = || KmsError::NotFound(format!("Key '{key_id}' does not exist"));
        let (owner, name) = match key_id.strip_prefix("arn:aws:kms:") {
            Some(rest) => {
                // region:account:key/ID or region:account:alias/NAME
                let mut parts = rest.splitn(3, ':');
                let (_region, owner, resource) = (parts.next(), parts.next(), parts.next());
                (owner.ok_or_else(not_found)?, resource.ok_or_else(not_found)?)
            }
            None => (account, key_id),
        };
        let id = if let Some(id) = name.strip_prefix("key/") {
            id.to_string()
        } else if name.starts_with("alias/") {
            self.store.kms_alias(owner, name)?.ok_or_else(not_found)?.key_id
        } else {
            name.to_string()
        };
        let key = self.store.kms_key(&id)?.ok_or_else(not_found)?;
        if key.account != owner {
            return Err(not_found());
        }
        Ok(key)
    }

    /// Fails unless `key` may encrypt and decrypt now.
    pub fn usable(&self, key: &KmsKeyRecord) -> Result<(), KmsError> {
        match key.state {
            KmsKeyState::Enabled => Ok(()),
            KmsKeyState::Disabled => Err(KmsError::Disabled(format!("{} is disabled.", self.key_arn(key)))),
            KmsKeyState::PendingDeletion => Err(KmsError::InvalidState(format!(
                "{} is pending deletion.",
                self.key_arn(key)
            ))),
        }
    }

    fn material(&self, key: &KmsKeyRecord, version: u32) -> Result<LessSafeKey, KmsError> {
        let m = key
            .materials
            .iter()
            .find(|m| m.version == version)
            .ok_or(KmsError::InvalidCiphertext)?;
        let bytes = self.keyring.unwrap_key(&m.wrapped)?;
        Ok(LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, bytes.as_bytes()).map_err(|_| KmsError::Internal)?,
        ))
    }

    /// Encrypt: `plaintext` (1 to 4,096 bytes) under `key`'s current material.
    pub fn encrypt(
        &self,
        key: &KmsKeyRecord,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KmsError> {
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
            return Err(KmsError::Validation(
                "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096".into(),
            ));
        }
        self.usable(key)?;
        let current = key.materials.last().ok_or(KmsError::Internal)?;
        let header = BlobHeader {
            key_id: key.id.clone(),
            version: current.version,
        };
        Ok(ciphertext::seal(
            &header,
            &self.material(key, current.version)?,
            context,
            plaintext,
        ))
    }

    /// The key a ciphertext blob names (its id), for the caller to resolve and authorize
    /// before [`Kms::decrypt`].
    pub fn key_of(blob: &[u8]) -> Result<String, KmsError> {
        ciphertext::header(blob)
            .map(|(h, _)| h.key_id)
            .map_err(|_| KmsError::InvalidCiphertext)
    }

    /// Decrypt: the plaintext of `blob`, made by `key` with `context`.
    pub fn decrypt(
        &self,
        key: &KmsKeyRecord,
        blob: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        let (header, _) = ciphertext::header(blob).map_err(|_| KmsError::InvalidCiphertext)?;
        if header.key_id != key.id {
            return Err(KmsError::IncorrectKey);
        }
        self.usable(key)?;
        ciphertext::open(blob, &self.material(key, header.version)?, context).map_err(|_| KmsError::InvalidCiphertext)
    }

    /// GenerateDataKey: `bytes` random bytes, and them encrypted under `key`.
    pub fn generate_data_key(
        &self,
        key: &KmsKeyRecord,
        bytes: usize,
        context: &EncryptionContext,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), KmsError> {
        let plain = random_bytes(bytes)?;
        let blob = self.encrypt(key, &plain, context)?;
        Ok((plain, blob))
    }

    /// Enables or disables a key (not one pending deletion).
    pub async fn set_enabled(&self, key: &KmsKeyRecord, enabled: bool) -> Result<(), KmsError> {
        let arn = self.key_arn(key);
        self.update(key, move |k| {
            if k.state == KmsKeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!("{arn} is pending deletion.")));
            }
            k.state = if enabled {
                KmsKeyState::Enabled
            } else {
                KmsKeyState::Disabled
            };
            Ok(())
        })
        .await
    }

    /// Schedules a key's deletion in `days` (7 to 30); returns when.
    pub async fn schedule_deletion(&self, key: &KmsKeyRecord, days: Option<u32>) -> Result<i64, KmsError> {
        let days = days.unwrap_or(DEFAULT_PENDING_DAYS);
        if !PENDING_DAYS.contains(&days) {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30"
            )));
        }
        if key.aws_managed {
            return Err(KmsError::Unsupported("An AWS managed key cannot be deleted.".into()));
        }
        let arn = self.key_arn(key);
        let when = now_ms() + i64::from(days) * DAY_MS;
        self.update(key, move |k| {
            if k.state == KmsKeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!("{arn} is pending deletion.")));
            }
            k.state = KmsKeyState::PendingDeletion;
            k.deletion_ms = Some(when);
            Ok(when)
        })
        .await
    }

    /// Cancels a scheduled deletion: the key is disabled, as KMS leaves it.
    pub async fn cancel_deletion(&self, key: &KmsKeyRecord) -> Result<(), KmsError> {
        let arn = self.key_arn(key);
        self.update(key, move |k| {
            if k.state != KmsKeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!("{arn} is not pending deletion.")));
            }
            k.state = KmsKeyState::Disabled;
            k.deletion_ms = None;
            Ok(())
        })
        .await
    }

    /// Turns automatic rotation on (every `days`, 90 to 2,560) or off.
    pub async fn set_rotation(&self, key: &KmsKeyRecord, days: Option<u32>) -> Result<(), KmsError> {
        if let Some(d) = days
            && !ROTATION_DAYS.contains(&d)
        {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '{d}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560"
            )));
        }
        if key.aws_managed {
            return Err(KmsError::Unsupported(
                "The rotation of an AWS managed key cannot be changed.".into(),
            ));
        }
        self.usable(key)?;
        self.update(key, move |k| {
            k.rotation_days = days;
            k.next_rotation_ms = days.map(|d| now_ms() + i64::from(d) * DAY_MS);
            Ok(())
        })
        .await
    }

    /// Adds new material to a key now: it encrypts from now on; all older material still
    /// decrypts.
    pub async fn rotate(&self, key: &KmsKeyRecord, on_demand: bool) -> Result<(), KmsError> {
        self.usable(key)?;
        let next = key.materials.last().map_or(1, |m| m.version + 1);
        let material = self.new_material(next, on_demand);
        self.update(key, move |k| {
            if k.materials.last().map(|m| m.version) != Some(next - 1) {
                return Err(KmsError::InvalidState("The key was rotated meanwhile.".into()));
            }
            k.materials.push(material);
            if let Some(d) = k.rotation_days {
                k.next_rotation_ms = Some(now_ms() + i64::from(d) * DAY_MS);
            }
            Ok(())
        })
        .await
    }

    /// Replaces a key's policy (checked by the caller).
    pub async fn put_policy(&self, key: &KmsKeyRecord, policy: String) -> Result<(), KmsError> {
        self.update(key, move |k| {
            k.policy = policy;
            Ok(())
        })
        .await
    }

    /// Adds or replaces tags.
    pub async fn tag(&self, key: &KmsKeyRecord, tags: Vec<(String, String)>) -> Result<(), KmsError> {
        self.update(key, move |k| {
            for (name, value) in tags {
                match k.tags.iter_mut().find(|(n, _)| *n == name) {
                    Some(t) => t.1 = value,
                    None => k.tags.push((name, value)),
                }
            }
            if k.tags.len() > 50 {
                return Err(KmsError::Validation("A key has at most 50 tags.".into()));
            }
            Ok(())
        })
        .await
    }

    /// Removes tags by name.
    pub async fn untag(&self, key: &KmsKeyRecord, names: Vec<String>) -> Result<(), KmsError> {
        self.update(key, move |k| {
            k.tags.retain(|(n, _)| !names.contains(n));
            Ok(())
        })
        .await
    }

    /// The account's `aws/s3` key, which SSE-KMS uses when a write names no key: made (an AWS
    /// managed key, rotated yearly, its alias `alias/aws/s3`) on first use.
    pub async fn aws_s3_key(&self, account: &str) -> Result<KmsKeyRecord, KmsError> {
        const ALIAS: &str = "alias/aws/s3";
        if let Some(alias) = self.store.kms_alias(account, ALIAS)?
            && let Some(key) = self.store.kms_key(&alias.key_id)?
        {
            return Ok(key);
        }
        let key = self
            .create_key(
                account,
                "Default key that protects my S3 objects when no other key is defined".into(),
                None,
                Vec::new(),
                true,
            )
            .await?;
        let now = now_ms();
        let alias = KmsAliasRecord {
            name: ALIAS.to_string(),
            key_id: key.id.clone(),
            created_ms: now,
            updated_ms: now,
        };
        if self.store.put_kms_alias(account, alias, false).await? {
            return Ok(key);
        }
        // Another write made it first: use theirs (this key stays unused, as in KMS).
        let alias = self.store.kms_alias(account, ALIAS)?.ok_or(KmsError::Internal)?;
        self.store.kms_key(&alias.key_id)?.ok_or(KmsError::Internal)
    }

    /// Points a new alias (`alias/NAME`, not `alias/aws/…`) of `account` at `key`.
    pub async fn create_alias(&self, account: &str, name: &str, key: &KmsKeyRecord) -> Result<(), KmsError> {
        check_alias_name(name)?;
        let now = now_ms();
        let record = KmsAliasRecord {
            name: name.to_string(),
            key_id: key.id.clone(),
            created_ms: now,
            updated_ms: now,
        };
        if !self.store.put_kms_alias(account, record, false).await? {
            return Err(KmsError::AlreadyExists(format!(
                "An alias with the name {} already exists",
                self.alias_arn(account, name)
            )));
        }
        Ok(())
    }

    /// Points an existing alias of `account` at `key`.
    pub async fn update_alias(&self, account: &str, name: &str, key: &KmsKeyRecord) -> Result<(), KmsError> {
        check_alias_name(name)?;
        let old = self
            .store
            .kms_alias(account, name)?
            .ok_or_else(|| KmsError::NotFound(format!("Alias {} is not found.", self.alias_arn(account, name))))?;
        let record = KmsAliasRecord {
            key_id: key.id.clone(),
            updated_ms: now_ms(),
            ..old
        };
        if !self.store.put_kms_alias(account, record, true).await? {
            return Err(KmsError::NotFound(format!("Alias {name} is not found.")));
        }
        Ok(())
    }

    /// Removes an alias of `account`.
    pub async fn delete_alias(&self, account: &str, name: &str) -> Result<(), KmsError> {
        check_alias_name(name)?;
        if !self.store.delete_kms_alias(account, name).await? {
            return Err(KmsError::NotFound(format!(
                "Alias {} is not found.",
                self.alias_arn(account, name)
            )));
        }
        Ok(())
    }

    /// Adds a grant to `key`; returns its id and its token.
    pub async fn create_grant(
        &self,
        key: &KmsKeyRecord,
        mut grant: KmsGrantRecord,
    ) -> Result<(String, String), KmsError> {
        if grant.operations.is_empty() || grant.operations.iter().any(|o| !GRANT_OPERATIONS.contains(&o.as_str())) {
            return Err(KmsError::Validation(format!(
                "Operations must be some of {}",
                GRANT_OPERATIONS.join(", ")
            )));
        }
        if grant.context_subset.is_some() && grant.context_equals.is_some() {
            return Err(KmsError::Validation(
                "Constraints may have EncryptionContextSubset or EncryptionContextEquals, not both".into(),
            ));
        }
        let mut id_bytes = [0u8; 32];
        rand::fill(&mut id_bytes);
        grant.id = hex::encode(id_bytes);
        let (id, token) = (grant.id.clone(), grant_token(&key.id, &grant.id));
        self.update(key, move |k| {
            if k.grants.len() >= MAX_GRANTS {
                return Err(KmsError::Validation(format!("A key has at most {MAX_GRANTS} grants.")));
            }
            k.grants.push(grant);
            Ok(())
        })
        .await?;
        Ok((id, token))
    }

    /// Removes grant `id` of `key` (a retirement or a revocation).
    pub async fn remove_grant(&self, key: &KmsKeyRecord, id: &str) -> Result<(), KmsError> {
        let id = id.to_string();
        self.update(key, move |k| {
            let before = k.grants.len();
            k.grants.retain(|g| g.id != id);
            if k.grants.len() == before {
                return Err(KmsError::NotFound(format!("Grant ID {id} not found")));
            }
            Ok(())
        })
        .await
    }

    /// The key and grant a grant token names.
    pub fn grant_of_token(token: &str) -> Result<(String, String), KmsError> {
        let invalid = || KmsError::Validation("The grant token is not valid.".into());
        let bytes = hex::decode(token).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (key, grant) = text.split_once('/').ok_or_else(invalid)?;
        Ok((key.to_string(), grant.to_string()))
    }

    /// Completes the deletions whose window has passed; returns how many keys went.
    pub async fn delete_due(&self, now: i64) -> Result<usize, KmsError> {
        let mut deleted = 0;
        for key in self.store.all_kms_keys()? {
            if key.state == KmsKeyState::PendingDeletion && key.deletion_ms.is_some_and(|t| t <= now) {
                self.store.delete_kms_key(&key.id).await?;
                tracing::info!(key = key.id, "KMS key deleted at the end of its waiting period");
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    async fn update<T: Send + 'static>(
        &self,
        key: &KmsKeyRecord,
        f: impl FnOnce(&mut KmsKeyRecord) -> Result<T, KmsError> + Send + 'static,
    ) -> Result<T, KmsError> {
        self.store
            .update_kms_key(&key.id, f)
            .await?
            .ok_or_else(|| KmsError::NotFound(format!("Key '{}' does not exist", self.key_arn(key))))?
    }
}

/// What a grant may allow.
pub const GRANT_OPERATIONS: [&str; 9] = [
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
];

/// Grants a key holds at most (KMS's quota).
const MAX_GRANTS: usize = 50_000;

/// Whether `grant` lets the principal named `arns` do `operation` with `context`.
pub fn grant_allows(grant: &KmsGrantRecord, arns: &[String], operation: &str, context: &EncryptionContext) -> bool {
    if !arns.contains(&grant.grantee) || !grant.operations.iter().any(|o| o == operation) {
        return false;
    }
    let pairs = |list: &[(String, String)]| -> EncryptionContext { list.iter().cloned().collect() };
    match (&grant.context_subset, &grant.context_equals) {
        (Some(subset), _) => subset.iter().all(|(k, v)| context.get(k) == Some(v)),
        (_, Some(equals)) => pairs(equals) == *context,
        (None, None) => true,
    }
}

/// A grant's token: names its key and itself (opaque to clients).
fn grant_token(key: &str, grant: &str) -> String {
    hex::encode(format!("{key}/{grant}"))
}

/// `n` random bytes (1 to [`MAX_RANDOM_BYTES`]).
pub fn random_bytes(n: usize) -> Result<Zeroizing<Vec<u8>>, KmsError> {
    if n == 0 || n > MAX_RANDOM_BYTES {
        return Err(KmsError::Validation(format!(
            "1 validation error detected: Value '{n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024"
        )));
    }
    let mut out = Zeroizing::new(vec![0u8; n]);
    rand::fill(&mut out[..]);
    Ok(out)
}

/// KMS's alias rule: `alias/` then 1 to 250 of `[a-zA-Z0-9/_-]`, not `alias/aws/…`.
fn check_alias_name(name: &str) -> Result<(), KmsError> {
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(KmsError::Validation(format!(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html ({name})"
        )));
    };
    if rest.starts_with("aws/") {
        return Err(KmsError::InvalidAliasName(
            "Alias must not begin with 'alias/aws/'. The 'alias/aws/' prefix is reserved for AWS managed keys.".into(),
        ));
    }
    let ok = (1..=250).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b));
    if !ok {
        return Err(KmsError::Validation(format!(
            "1 validation error detected: Value '{name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
        )));
    }
    Ok(())
}

/// A random UUID (version 4), as KMS key ids are.
fn uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}
