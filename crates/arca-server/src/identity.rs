//! Who signed a request, and the policies that come with them: the one place the S3 access
//! hook, the key store and the IAM API learn a requester's identity.
//!
//! A signer is an account's root user, an IAM user of an account, or nobody. The first
//! account is the server's own (its root signs with the key pair the server starts with); the
//! others are those the operator added (`arca admin account add`), whose root users sign with
//! keys kept in the store like IAM users' keys.
//!
//! What an access key resolves to — its secret, its user, the user's parsed policies — is
//! kept in memory and used while the store's identity generation is unchanged; any change to
//! users or keys moves the generation, and the next request looks again. So a request costs no
//! store read and no policy parse, and a change still takes effect on the next request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use arca_iam::{ConditionContext, Identity, KeySet, Policy, PolicyAnswer, PolicyKind, Request, RequestKey};
use arca_store::{AccountRecord, Owner, PublicAccessBlock, RoleRecord, Store, StoreResult, UserRecord};

use crate::explain::PolicyReport;
use crate::policy_set::PolicySet;
use crate::secrets::SecretWrapper;
use crate::sessions::{SessionKeys, SessionPrincipal, TokenRefusal, is_session_key};

/// The id of the first account, the server's own: policies name its root as
/// `arn:aws:iam::000000000000:root` or `000000000000`, and its users as
/// `arn:aws:iam::000000000000:user/NAME`.
pub(crate) const FIRST_ACCOUNT: &str = "000000000000";

/// The first account's name (its buckets' `Owner/DisplayName`).
pub(crate) const FIRST_ACCOUNT_NAME: &str = "root";

/// An account as requests see it.
#[derive(Debug)]
pub(crate) struct Account {
    /// The 12-digit id.
    pub(crate) id: String,
    /// Its buckets' owner: canonical id and display name.
    pub(crate) owner: Owner,
    /// Its root user, as evaluation sees it.
    root: Identity,
}

impl Account {
    fn of(record: &AccountRecord) -> Self {
        Account {
            id: record.id.clone(),
            owner: Owner {
                id: record.canonical_id.clone(),
                display_name: record.name.clone(),
            },
            root: Identity::Root {
                account: record.id.clone(),
                canonical_id: record.canonical_id.clone(),
            },
        }
    }

    /// Whether the account owns a bucket owned by `owner`.
    pub(crate) fn owns(&self, owner: &Owner) -> bool {
        self.owner.id == owner.id
    }
}

/// Keys (or buckets' policies) kept resolved at most: a bound on memory; past it the cache
/// starts over.
const CACHE_MAX: usize = 4096;

/// An IAM user as a request sees it: the record, the identity policies evaluation uses, and
/// the user's policies parsed.
#[derive(Debug)]
pub(crate) struct ResolvedUser {
    pub(crate) account: Arc<Account>,
    pub(crate) record: UserRecord,
    pub(crate) identity: Identity,
    policies: PolicySet,
}

/// A session of an IAM role, as a request sees it: the role as it is now, and the session.
#[derive(Debug)]
pub(crate) struct ResolvedRole {
    pub(crate) account: Arc<Account>,
    pub(crate) record: RoleRecord,
    /// The session's name.
    pub(crate) session: String,
    pub(crate) identity: Identity,
    policies: PolicySet,
}

/// A request's signer.
#[derive(Debug, Clone)]
pub(crate) enum Signer {
    /// No signature.
    Anonymous,
    /// An account's root user.
    Root(Arc<Account>),
    /// An IAM user, as resolved at the current identity generation.
    User(Arc<ResolvedUser>),
    /// A session of an IAM role (temporary credentials from STS AssumeRole).
    Role(Arc<ResolvedRole>),
}

impl Signer {
    /// The account the signer acts for (none for anonymous requests).
    pub(crate) fn account(&self) -> Option<&Arc<Account>> {
        match self {
            Signer::Anonymous => None,
            Signer::Root(a) => Some(a),
            Signer::User(u) => Some(&u.account),
            Signer::Role(r) => Some(&r.account),
        }
    }

    /// Its identity policies (none for root users and anonymous requests).
    fn policies(&self) -> Option<&PolicySet> {
        match self {
            Signer::User(u) => Some(&u.policies),
            Signer::Role(r) => Some(&r.policies),
            _ => None,
        }
    }
}

/// A bucket policy parsed, with the stored text it was parsed from (`None`: the text does not
/// parse).
type ParsedBucketPolicy = (Arc<str>, Option<Arc<Policy>>);

/// An active access key, resolved: its secret and who signs with it.
struct ResolvedKey {
    generation: u64,
    secret: String,
    signer: Signer,
    /// A session key's token, as it resolved (another token must be opened on its own).
    token: Option<String>,
    /// A session key's expiry (ms since the epoch).
    expires_ms: Option<i64>,
}

/// Resolves signers, keeping what it resolved (see the module docs).
pub(crate) struct Identities {
    store: Arc<Store>,
    secrets: Arc<SecretWrapper>,
    root_access_key: String,
    /// The server's own account.
    first: Arc<Account>,
    keys: RwLock<HashMap<String, Arc<ResolvedKey>>>,
    sessions: Arc<SessionKeys>,
    /// Accounts' own Block Public Access, by canonical id, at an identity generation.
    account_blocks: RwLock<(u64, HashMap<String, Option<PublicAccessBlock>>)>,
    /// Bucket policies parsed, by bucket, with the stored text they were parsed from (the
    /// store's mirror hands out the same `Arc` until the policy changes).
    bucket_policies: RwLock<HashMap<String, ParsedBucketPolicy>>,
}

impl Identities {
    /// `first` is the first account, as stored; its root signs with `root_access_key`.
    pub(crate) fn new(
        store: Arc<Store>,
        secrets: Arc<SecretWrapper>,
        root_access_key: String,
        first: &AccountRecord,
        sessions: Arc<SessionKeys>,
    ) -> Self {
        Identities {
            store,
            secrets,
            sessions,
            root_access_key,
            first: Arc::new(Account::of(first)),
            keys: RwLock::new(HashMap::new()),
            account_blocks: RwLock::new((0, HashMap::new())),
            bucket_policies: RwLock::new(HashMap::new()),
        }
    }

    /// The first account's root user's access key id.
    pub(crate) fn root_access_key(&self) -> &str {
        &self.root_access_key
    }

    /// Whether the account with id `id` is `owner` (a bucket's). A store error counts as
    /// no: the request that asks is refused.
    pub(crate) fn account_owns(&self, id: &str, owner: &Owner) -> bool {
        self.account(id).ok().flatten().is_some_and(|a| a.owns(owner))
    }

    /// The Block Public Access of the account whose canonical id is `owner` (over its buckets'
    /// own), from memory while identities are unchanged. A store error counts as every block
    /// on: a block that cannot be read might be the one that protects.
    pub(crate) fn account_blocks(&self, owner: &str) -> Option<PublicAccessBlock> {
        let generation = self.store.identity_generation();
        {
            let cache = self.account_blocks.read().unwrap_or_else(|e| e.into_inner());
            if cache.0 == generation
                && let Some(blocks) = cache.1.get(owner)
            {
                return *blocks;
            }
        }
        let blocks = match self.store.account_by_canonical_id(owner) {
            Ok(account) => account.and_then(|a| a.public_access_block),
            Err(e) => {
                tracing::error!(error = %e, "reading an account's Block Public Access failed; blocking");
                return Some(PublicAccessBlock::ALL);
            }
        };
        let mut cache = self.account_blocks.write().unwrap_or_else(|e| e.into_inner());
        if cache.0 != generation || cache.1.len() >= CACHE_MAX {
            *cache = (generation, HashMap::new());
        }
        cache.1.insert(owner.to_string(), blocks);
        blocks
    }

    /// The account with id `id`, if there is one (a store error counts as none).
    pub(crate) fn account_by_id(&self, id: &str) -> Option<Arc<Account>> {
        self.account(id).ok().flatten()
    }

    /// The account with id `id`.
    fn account(&self, id: &str) -> StoreResult<Option<Arc<Account>>> {
        if id == FIRST_ACCOUNT {
            return Ok(Some(self.first.clone()));
        }
        Ok(self.store.get_account(id)?.map(|a| Arc::new(Account::of(&a))))
    }

    /// An active IAM access key, resolved: from memory while nothing changed, else from the
    /// store. `None` for unknown and inactive keys.
    fn resolve(&self, access_key: &str) -> Option<Arc<ResolvedKey>> {
        let generation = self.store.identity_generation();
        if let Some(k) = self.keys.read().unwrap_or_else(|e| e.into_inner()).get(access_key)
            && k.generation == generation
        {
            return Some(k.clone());
        }
        let key = self
            .store
            .get_access_key(access_key)
            .ok()
            .flatten()
            .filter(|k| k.active)?;
        let Some(secret) = self.secrets.unwrap(&key.id, &key.wrapped_secret) else {
            tracing::error!(
                access_key,
                "a stored secret does not open with this data folder's wrapping key"
            );
            return None;
        };
        let account = match self.account(&key.account) {
            Ok(Some(a)) => a,
            Ok(None) => return None,
            Err(e) => {
                tracing::error!(access_key, error = %e, "reading the key's account failed; refusing the key");
                return None;
            }
        };
        let signer = match key.user.as_str() {
            "" => Signer::Root(account),
            user => Signer::User(Arc::new(self.resolve_user(account, user)?)),
        };
        let resolved = Arc::new(ResolvedKey {
            generation,
            secret,
            signer,
            token: None,
            expires_ms: None,
        });
        self.remember(access_key, resolved.clone());
        Some(resolved)
    }

    /// Keeps what `access_key` resolved to (a bounded cache: past its size it starts over).
    fn remember(&self, access_key: &str, resolved: Arc<ResolvedKey>) {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if keys.len() >= CACHE_MAX {
            keys.clear();
        }
        keys.insert(access_key.to_string(), resolved);
    }

    /// A user with their identity policies, from the store.
    fn resolve_user(&self, account: Arc<Account>, name: &str) -> Option<ResolvedUser> {
        let record = self.store.get_user(&account.id, name).ok().flatten()?;
        // A policy that cannot be read might be the one that denies: then the user resolves
        // to nothing (their requests are refused), never to the policies that could be read.
        let policies = match PolicySet::of_user(&self.store, &account.id, &record) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(user = name, error = %e, "reading the user's policies failed; refusing the user");
                return None;
            }
        };
        let identity = Identity::User {
            account: account.id.clone(),
            canonical_id: account.owner.id.clone(),
            name: record.name.clone(),
            id: record.id.clone(),
        };
        Some(ResolvedUser {
            account,
            record,
            identity,
            policies,
        })
    }

    /// The signer of the session a session key's `token` is, with its role or user as it is
    /// now (`Ok(None)` if the role, the user or the account is gone), and its expiry.
    fn resolve_session(&self, access_key: &str, token: Option<&str>) -> Result<Option<(Signer, i64)>, TokenRefusal> {
        let session = self.sessions.open(access_key, token, arca_store::now_ms())?;
        let Some(account) = self.account(&session.account).ok().flatten() else {
            return Ok(None);
        };
        let signer = match session.principal {
            SessionPrincipal::Role { role, name } => self
                .resolve_role(account, &role, name)
                .map(|r| Signer::Role(Arc::new(r))),
            SessionPrincipal::User { name } => self.resolve_user(account, &name).map(|u| Signer::User(Arc::new(u))),
        };
        Ok(signer.map(|s| (s, session.expires_ms)))
    }

    /// A role's session with the role's identity policies, from the store.
    fn resolve_role(&self, account: Arc<Account>, role: &str, session: String) -> Option<ResolvedRole> {
        let record = self.store.get_role(&account.id, role).ok().flatten()?;
        let policies = match PolicySet::of_role(&self.store, &account.id, &record) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(role, error = %e, "reading the role's policies failed; refusing the session");
                return None;
            }
        };
        let identity = Identity::Role {
            account: account.id.clone(),
            canonical_id: account.owner.id.clone(),
            name: record.name.clone(),
            id: record.id.clone(),
            session: session.clone(),
        };
        Some(ResolvedRole {
            account,
            record,
            session,
            identity,
            policies,
        })
    }

    /// The signer a principal ARN names, for simulations: `arn:aws:iam::ACCOUNT:root`, a
    /// user's ARN, or a role's (a session named `simulated`); `None` if there is no such
    /// principal. `anonymous` (or `*`) is nobody.
    pub(crate) fn signer_named(&self, principal: &str) -> Option<Signer> {
        if principal == "anonymous" || principal == "*" {
            return Some(Signer::Anonymous);
        }
        let (account, resource) = principal.strip_prefix("arn:aws:iam::")?.split_once(':')?;
        let account = self.account(account).ok().flatten()?;
        match resource {
            "root" => Some(Signer::Root(account)),
            r if r.starts_with("role/") => {
                let name = r.rsplit('/').next()?;
                let session = self.resolve_role(account, name, "simulated".to_string())?;
                Some(Signer::Role(Arc::new(session)))
            }
            r => {
                let name = r.strip_prefix("user/")?.rsplit('/').next()?;
                Some(Signer::User(Arc::new(self.resolve_user(account, name)?)))
            }
        }
    }

    /// The secret of an active IAM access key, or of an STS session's key (the root key is
    /// the key store's own).
    pub(crate) fn secret(&self, access_key: &str) -> Option<String> {
        if is_session_key(access_key) {
            return Some(self.sessions.secret(access_key));
        }
        self.resolve(access_key).map(|k| k.secret.clone())
    }

    /// The sessions' keys, for STS to issue credentials with.
    pub(crate) fn sessions(&self) -> &SessionKeys {
        &self.sessions
    }

    /// Who signed with `access_key` (`None`: unsigned). A key that vanished or was
    /// deactivated since its signature was checked counts as anonymous. A session's key
    /// needs its `token`: refused if it is missing, not this server's, or expired.
    pub(crate) fn signer(&self, access_key: Option<&str>, token: Option<&str>) -> Result<Signer, TokenRefusal> {
        Ok(match access_key {
            None => Signer::Anonymous,
            Some(k) if k == self.root_access_key => Signer::Root(self.first.clone()),
            Some(k) if is_session_key(k) => self.session_signer(k, token)?,
            Some(k) => match self.resolve(k) {
                Some(resolved) => resolved.signer.clone(),
                None => Signer::Anonymous,
            },
        })
    }

    /// The signer of a session key: from memory while the token and the identity generation
    /// are the same and the session runs, else opened and resolved afresh.
    fn session_signer(&self, access_key: &str, token: Option<&str>) -> Result<Signer, TokenRefusal> {
        let generation = self.store.identity_generation();
        if let Some(k) = self.keys.read().unwrap_or_else(|e| e.into_inner()).get(access_key)
            && k.generation == generation
            && k.token.as_deref() == token
            && let Some(expires_ms) = k.expires_ms
        {
            if expires_ms <= arca_store::now_ms() {
                return Err(TokenRefusal::Expired);
            }
            return Ok(k.signer.clone());
        }
        let Some((signer, expires_ms)) = self.resolve_session(access_key, token)? else {
            return Ok(Signer::Anonymous);
        };
        let resolved = Arc::new(ResolvedKey {
            generation,
            secret: self.sessions.secret(access_key),
            signer: signer.clone(),
            token: token.map(str::to_string),
            expires_ms: Some(expires_ms),
        });
        self.remember(access_key, resolved);
        Ok(signer)
    }

    /// The identity policies evaluation sees for `signer`.
    pub(crate) fn identity<'a>(&'a self, signer: &'a Signer) -> &'a Identity {
        static ANONYMOUS: Identity = Identity::Anonymous;
        match signer {
            Signer::Anonymous => &ANONYMOUS,
            Signer::Root(a) => &a.root,
            Signer::User(u) => &u.identity,
            Signer::Role(r) => &r.identity,
        }
    }

    /// `bucket`'s policy parsed, from the cache while the stored text is the same `Arc`. A
    /// policy that no longer parses (stored under an older, laxer parser) stands as a Deny of
    /// everything on the bucket ([`crate::policy_set::unreadable`]): failing closed.
    pub(crate) fn bucket_policy(&self, bucket: &str, text: &Arc<str>) -> Option<Arc<Policy>> {
        // Read on every request to a bucket with a policy: shared, not exclusive.
        if let Some((stored, policy)) = self
            .bucket_policies
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(bucket)
            && Arc::ptr_eq(stored, text)
        {
            return policy.clone();
        }
        let kind = PolicyKind::Bucket {
            bucket: bucket.to_string(),
        };
        let policy = match Policy::parse(text, &kind) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => {
                tracing::error!(bucket, error = %e, "a stored bucket policy no longer parses; it denies everything until replaced");
                Some(Arc::new(crate::policy_set::unreadable(&kind)))
            }
        };
        let mut parsed = self.bucket_policies.write().unwrap_or_else(|e| e.into_inner());
        if parsed.len() >= CACHE_MAX {
            parsed.clear();
        }
        parsed.insert(bucket.to_string(), (text.clone(), policy.clone()));
        policy
    }

    /// The request keys `signer`'s identity policies read (none for the root user and
    /// anonymous requests).
    pub(crate) fn keys_read(&self, signer: &Signer) -> KeySet {
        signer.policies().map_or(KeySet::default(), |p| p.reads)
    }

    /// What `signer`'s identity policies say to a request: `None` for the root user (whose
    /// identity allows everything) and anonymous requests (which have none). With `reports`,
    /// each policy is evaluated with its trace and reported.
    pub(crate) fn identity_answer(
        &self,
        signer: &Signer,
        request: &Request<'_>,
        reports: Option<&mut Vec<PolicyReport>>,
    ) -> Option<PolicyAnswer> {
        signer.policies().map(|p| p.answer(request, reports))
    }
}

/// The condition keys that depend on the signer (those the policies `reads`).
pub(crate) fn signer_keys(context: &mut ConditionContext, identity: &Identity, signer: &Signer, reads: KeySet) {
    let mut set = |key: RequestKey, value: &dyn Fn() -> String| {
        if reads.contains(key) {
            context.set(key.name(), value());
        }
    };
    let Some(account) = identity.account() else {
        set(RequestKey::PrincipalType, &|| "Anonymous".into());
        return;
    };
    // The ARN is made only when read: it is formatted anew each time.
    if reads.contains(RequestKey::PrincipalArn)
        && let Some(arn) = identity.principal_arn()
    {
        set(RequestKey::PrincipalArn, &|| arn.clone());
    }
    set(RequestKey::PrincipalAccount, &|| account.to_string());
    match signer {
        Signer::User(u) => {
            set(RequestKey::PrincipalType, &|| "User".into());
            set(RequestKey::Username, &|| u.record.name.clone());
            set(RequestKey::Userid, &|| u.record.id.clone());
        }
        Signer::Role(r) => {
            set(RequestKey::PrincipalType, &|| "AssumedRole".into());
            set(RequestKey::Userid, &|| format!("{}:{}", r.record.id, r.session));
        }
        _ => {
            set(RequestKey::PrincipalType, &|| "Account".into());
            set(RequestKey::Userid, &|| account.to_string());
        }
    }
}
