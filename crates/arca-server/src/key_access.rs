//! Who may use a KMS key: the decision the KMS API and SSE-KMS on S3 share.
//!
//! As KMS decides: an explicit `Deny` in the key policy or in the requester's own policies
//! refuses; a key policy statement naming the requester allows; one naming its account
//! allows if the account does too (its root user always; an IAM user or role by an `Allow`
//! of its own); otherwise a grant for the requester that covers the operation and whose
//! constraints the encryption context meets allows. Operations on no key need only the
//! requester's own policies.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use arca_iam::{ConditionContext, Identity, KeySet, Policy, PolicyKind, PrincipalMatch, Request};
use arca_kms::{EncryptionContext, Kms};
use arca_store::{KmsGrantRecord, KmsKeyRecord};

use crate::identity::{Identities, Signer, signer_keys};

/// Key policies kept parsed at most: a bound on memory; past it the cache starts over.
const POLICY_CACHE_MAX: usize = 4096;

/// A key policy's text and what it parsed to (`None`: it no longer parses).
type ParsedPolicy = (String, Option<Arc<Policy>>);

/// What a request asks of a key beyond its operation and encryption context.
#[derive(Default, Clone, Copy)]
pub(crate) struct Asking<'a> {
    /// The operations a CreateGrant asks for (`kms:GrantOperations`).
    pub(crate) grant_operations: Option<&'a [String]>,
    /// The service that asks on the requester's behalf (`kms:ViaService`).
    pub(crate) via_service: Option<&'a str>,
}

/// The decision, over the key service and the identities.
pub(crate) struct KeyAccess {
    kms: Arc<Kms>,
    identities: Arc<Identities>,
    /// Key policies parsed, by key id, with the text they were parsed from: a request pays
    /// a comparison, not a parse, while a key's policy is unchanged.
    policies: RwLock<HashMap<String, ParsedPolicy>>,
}

impl KeyAccess {
    pub(crate) fn new(kms: Arc<Kms>, identities: Arc<Identities>) -> Self {
        KeyAccess {
            kms,
            identities,
            policies: RwLock::default(),
        }
    }

    /// The key service.
    pub(crate) fn kms(&self) -> &Arc<Kms> {
        &self.kms
    }

    /// The identities requests are signed by.
    pub(crate) fn identities(&self) -> &Arc<Identities> {
        &self.identities
    }

    /// `key`'s policy, parsed (`None`: the stored text no longer parses, and allows nothing).
    fn policy_of(&self, key: &KmsKeyRecord) -> Option<Arc<Policy>> {
        if let Some((text, policy)) = self.policies.read().expect("policy cache").get(&key.id)
            && *text == key.policy
        {
            return policy.clone();
        }
        let parsed = Policy::parse(&key.policy, &PolicyKind::Key).ok().map(Arc::new);
        let mut cache = self.policies.write().expect("policy cache");
        if cache.len() >= POLICY_CACHE_MAX {
            cache.clear();
        }
        cache.insert(key.id.clone(), (key.policy.clone(), parsed.clone()));
        parsed
    }

    /// Whether `signer` may do `operation` (on `key`, if the operation acts on one).
    pub(crate) fn allowed(
        &self,
        signer: &Signer,
        operation: &str,
        key: Option<&KmsKeyRecord>,
        context: &EncryptionContext,
    ) -> bool {
        self.allowed_with(signer, operation, key, context, Asking::default())
    }

    /// [`KeyAccess::allowed`], with what else the request asks.
    pub(crate) fn allowed_with(
        &self,
        signer: &Signer,
        operation: &str,
        key: Option<&KmsKeyRecord>,
        context: &EncryptionContext,
        asking: Asking<'_>,
    ) -> bool {
        let identity = self.identities.identity(signer);
        let mut conditions = ConditionContext::new();
        signer_keys(&mut conditions, identity, signer, KeySet::ALL);
        for (k, v) in context {
            conditions.set(format!("kms:EncryptionContext:{k}"), v.clone());
        }
        if let Some(ops) = asking.grant_operations {
            conditions.set_many("kms:GrantOperations", ops.to_vec());
        }
        if let Some(service) = asking.via_service {
            conditions.set("kms:ViaService", service.to_string());
        }
        let action = format!("kms:{operation}");
        let resource = key.map_or_else(|| "*".to_string(), |k| self.kms.key_arn(k));
        let request = Request {
            identity,
            action: &action,
            resource: &resource,
            context: &conditions,
        };
        let own = self.identities.identity_answer(signer, &request, None);
        if own.as_ref().is_some_and(|a| a.denies) {
            return false;
        }
        let own_allows = matches!(signer, Signer::Root(_)) || own.is_some_and(|a| a.allows != PrincipalMatch::No);
        let Some(key) = key else {
            return own_allows;
        };
        let Some(policy) = self.policy_of(key) else {
            // A stored policy that no longer parses allows nothing.
            return false;
        };
        let answer = policy.answer(&request);
        if answer.denies {
            return false;
        }
        let by_policy = match answer.allows {
            PrincipalMatch::Direct => true,
            PrincipalMatch::Account => own_allows,
            PrincipalMatch::No => false,
        };
        by_policy || self.grant_for(signer, operation, key, context).is_some()
    }

    /// A grant of `key` that lets `signer` do `operation` with `context`.
    pub(crate) fn grant_for<'k>(
        &self,
        signer: &Signer,
        operation: &str,
        key: &'k KmsKeyRecord,
        context: &EncryptionContext,
    ) -> Option<&'k KmsGrantRecord> {
        let arns = principal_arns(self.identities.identity(signer));
        key.grants
            .iter()
            .find(|g| arca_kms::grant_allows(g, &arns, operation, context))
    }
}

/// The ARNs a grant may name a principal by: its own, and (for a role's session) its role's.
pub(crate) fn principal_arns(identity: &Identity) -> Vec<String> {
    [identity.arn(), identity.principal_arn()]
        .into_iter()
        .flatten()
        .collect()
}
