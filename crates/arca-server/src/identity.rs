//! Who signed a request, and the policies that come with them: the one place the S3 access
//! hook and the IAM API learn a requester's identity. Policies are parsed once per text and
//! kept (a small cache), not parsed per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arca_iam::{ConditionContext, Identity, Policy, PolicyAnswer, PolicyKind, Request};
use arca_store::{Store, UserRecord};

/// The account id of the root user's account, until accounts exist: policies name the root
/// as `arn:aws:iam::000000000000:root` or `000000000000`, and its users as
/// `arn:aws:iam::000000000000:user/NAME`.
pub(crate) const ROOT_ACCOUNT: &str = "000000000000";

/// Parsed policies kept at most: a bound on memory whatever users store.
const CACHE_MAX: usize = 4096;

/// Parsed policies by where they are attached and their text (`None`: the text does not
/// parse).
type PolicyCache = HashMap<(PolicyKind, Arc<str>), Option<Arc<Policy>>>;

/// A request's signer.
#[derive(Debug, Clone)]
pub(crate) enum Signer {
    /// No signature.
    Anonymous,
    /// The root user.
    Root,
    /// An IAM user, with their record as it is now.
    User(Box<UserRecord>),
}

/// Resolves signers and parses their policies.
pub(crate) struct Identities {
    store: Arc<Store>,
    root_access_key: String,
    root: Identity,
    parsed: Mutex<PolicyCache>,
}

impl Identities {
    pub(crate) fn new(store: Arc<Store>, root_access_key: String, owner_id: String) -> Self {
        Identities {
            store,
            root_access_key,
            root: Identity::Root {
                account: ROOT_ACCOUNT.to_string(),
                canonical_id: owner_id,
            },
            parsed: Mutex::new(HashMap::new()),
        }
    }

    /// Who signed with `access_key` (`None`: unsigned). A key that vanished since its
    /// signature was checked counts as anonymous.
    pub(crate) fn signer(&self, access_key: Option<&str>) -> Signer {
        let Some(access_key) = access_key else {
            return Signer::Anonymous;
        };
        if access_key == self.root_access_key {
            return Signer::Root;
        }
        let user = self
            .store
            .get_access_key(access_key)
            .ok()
            .flatten()
            .filter(|k| k.active)
            .and_then(|k| self.store.get_user(&k.account, &k.user).ok().flatten());
        match user {
            Some(u) => Signer::User(Box::new(u)),
            None => Signer::Anonymous,
        }
    }

    /// The identity policies evaluation sees for `signer`.
    pub(crate) fn identity(&self, signer: &Signer) -> Identity {
        match signer {
            Signer::Anonymous => Identity::Anonymous,
            Signer::Root => self.root.clone(),
            Signer::User(u) => Identity::User {
                account: ROOT_ACCOUNT.to_string(),
                canonical_id: match &self.root {
                    Identity::Root { canonical_id, .. } => canonical_id.clone(),
                    _ => String::new(),
                },
                name: u.name.clone(),
                id: u.id.clone(),
            },
        }
    }

    /// `text` parsed as a policy of `kind`, from the cache if it was parsed before. `None`
    /// when it does not parse (a policy stored under an older, laxer parser): it then grants
    /// and denies nothing.
    pub(crate) fn parse(&self, kind: PolicyKind, text: &Arc<str>) -> Option<Arc<Policy>> {
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        let key = (kind, text.clone());
        if let Some(p) = parsed.get(&key) {
            return p.clone();
        }
        let policy = match Policy::parse(text, &key.0) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => {
                tracing::warn!(error = %e, "a stored policy no longer parses; ignoring it");
                None
            }
        };
        if parsed.len() >= CACHE_MAX {
            parsed.clear();
        }
        parsed.insert(key, policy.clone());
        policy
    }

    /// What `signer`'s identity policies say to a request: `None` for the root user (whose
    /// identity allows everything) and anonymous requests (which have none).
    pub(crate) fn identity_answer(&self, signer: &Signer, request: &Request<'_>) -> Option<PolicyAnswer> {
        let Signer::User(user) = signer else {
            return None;
        };
        let mut combined = PolicyAnswer {
            denies: false,
            allows: arca_iam::PrincipalMatch::No,
            trace: Vec::new(),
        };
        for text in user.inline_policies.values() {
            let text: Arc<str> = Arc::from(text.as_str());
            if let Some(policy) = self.parse(PolicyKind::Identity, &text) {
                let answer = policy.evaluate(request);
                combined.denies |= answer.denies;
                combined.allows = combined.allows.max(answer.allows);
                combined.trace.extend(answer.trace);
            }
        }
        Some(combined)
    }
}

/// The condition keys that depend on the signer.
pub(crate) fn signer_keys(context: &mut ConditionContext, identity: &Identity, signer: &Signer) {
    match (identity.arn(), identity.account()) {
        (Some(arn), Some(account)) => {
            context.set("aws:PrincipalArn", arn);
            context.set("aws:PrincipalAccount", account);
            match signer {
                Signer::User(u) => {
                    context.set("aws:PrincipalType", "User");
                    context.set("aws:username", u.name.clone());
                    context.set("aws:userid", u.id.clone());
                }
                _ => {
                    context.set("aws:PrincipalType", "Account");
                    context.set("aws:userid", account);
                }
            }
        }
        _ => {
            context.set("aws:PrincipalType", "Anonymous");
        }
    }
}
